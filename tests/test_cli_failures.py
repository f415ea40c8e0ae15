"""Every command meets missing, directory, empty, unreadable and non-UTF-8 files, and bad
options, with one line on stderr and a documented exit code; ``--debug`` adds the traceback."""

from __future__ import annotations

import builtins
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from titlerules.cli import main
from titlerules.commands.common import EXIT_FILE, EXIT_POLICY, EXIT_USAGE

from .conftest import POLICY_DIR

BAD = ("missing", "directory", "empty", "not-utf8", "unreadable")


def _bad_file(tmp_path: Path, kind: str, suffix: str, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / f"{kind}{suffix}"
    if kind == "directory":
        path.mkdir()
    elif kind == "empty":
        path.write_text("", "utf-8")
    elif kind == "not-utf8":
        path.write_bytes(b"\xff\xfe{}")
    elif kind == "unreadable":
        path.write_text("{}", "utf-8")
        # Permissions do not stop root: refuse the open itself, as an unreadable file does.
        real_open = builtins.open

        def refusing_open(file: Any, *args: Any, **kwargs: Any) -> Any:
            if str(file) == str(path):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", refusing_open)
    return str(path)


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def document(tmp_path: Path) -> str:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"id": "A-1"}), "utf-8")
    return str(path)


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize(
    "command",
    [["evaluate", "{}"], ["explain", "{}"], ["report", "{}"], ["replay", "{}", "{doc}"], ["replay", "{doc}", "{}"]],
    ids=["evaluate", "explain", "report", "replay-decision", "replay-document"],
)
def test_document_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    document: str,
    command: list[str],
    kind: str,
) -> None:
    bad = _bad_file(tmp_path, kind, ".json", monkeypatch)
    code = main([part.format(doc=document) if part == "{doc}" else part.format(bad) for part in command])
    line = _one_line(capsys)
    assert code == EXIT_FILE
    assert line.startswith(f"titlerules: {bad}: ")
    expected = {
        "missing": "no such file",
        "directory": "is a directory",
        "empty": "empty input, no document",
        "not-utf8": "not UTF-8 text",
        "unreadable": "Permission denied",
    }[kind]
    assert expected in line


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize(
    "command",
    [
        ["check", "{}"],
        ["fmt", "{}"],
        ["doc", "{}"],
        ["schema", "{}", "--input"],
        ["evaluate", "--policy", "{}", "{doc}"],
        ["diff", "{}", "{policy}"],
    ],
    ids=["check", "fmt", "doc", "schema", "evaluate", "diff"],
)
def test_policy_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    document: str,
    command: list[str],
    kind: str,
) -> None:
    good = tmp_path / "good.policy"
    shutil.copy(POLICY_DIR / "lishui-2021-crafts.policy", good)
    bad = _bad_file(tmp_path, kind, ".policy", monkeypatch)
    if kind == "unreadable":  # a policy file is read as bytes, to locate bad UTF-8
        real = Path.read_bytes

        def refusing(self: Path) -> bytes:
            if str(self) == bad:
                raise PermissionError(13, "Permission denied", bad)
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", refusing)
    named = {"{doc}": document, "{policy}": str(good), "{}": bad}
    code = main([named.get(part, part) for part in command])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert code == EXIT_POLICY
    # check reports diagnostics on stdout (its output) and its summary on stderr
    first = (captured.out if command[0] == "check" and kind == "empty" else captured.err).splitlines()[0]
    expected = {
        "missing": f"titlerules: cannot load policy '{bad}': no such file",
        "directory": f"titlerules: cannot load policy '{bad}': it is a directory",
        "empty": f"{bad}:1:1: error: the policy is empty",
        "not-utf8": f"{bad}:1:1: error: the file is not UTF-8 (byte 0xff); save it as UTF-8",
        "unreadable": f"titlerules: cannot load policy '{bad}': Permission denied",
    }[kind]
    assert first.startswith(expected), first


@pytest.mark.parametrize(
    "args",
    [
        ["evaluate"],
        ["evaluate", "--format", "xml", "x.json"],
        ["evaluate", "--as-of", "2021-02-30", "x.json"],
        ["evaluate", "--bogus", "x.json"],
        ["replay", "only-one.json"],
        ["replay", "--format", "yaml", "a.json", "b.json"],
        ["schema", "lishui-2021-crafts"],
        [],
    ],
)
def test_invalid_options_exit_2_with_a_usage_line(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(args)
    assert caught.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("titlerules")
    assert "error: " in err.splitlines()[-1]


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "missing.json")
    assert main(["--debug", "evaluate", missing]) == EXIT_FILE
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.endswith(f"titlerules: {missing}: no such file\n")

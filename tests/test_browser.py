"""The batch report and an explanation page, rendered by headless Chromium: the screenshot
shows the charts, the DOM holds what the page promises, and a page prints to PDF.

Marked ``browser``. It needs Debian's ``chromium`` package (``.ci/run`` installs it, with
``fonts-noto-cjk`` for the Chinese text); where Chromium is missing the test is skipped,
except under CI (``CI=true``), where a missing browser is a failure. Run it alone with
``pytest -m browser``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from .test_reading import blocked_document, tags

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs the browser test: install Debian's chromium package (.ci/run does)")
        pytest.skip("Chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    return CHROMIUM


def browse(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    documents = [
        blocked_document(),
        {"id": "A-2", "declared_level": "assistant", "workplace": {"city": "丽水市", "county": "龙泉市"}},
        {"id": "A-3"},
    ]
    stdin = "\n".join(json.dumps(d, ensure_ascii=False) for d in documents) + "\n"
    run = [sys.executable, "-m", "titlerules"]
    results = subprocess.run(
        [*run, "explain", "--as-of", "2021-12-01", "--format", "jsonl", "-"],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    (root / "results.jsonl").write_text(results.stdout, "utf-8")
    subprocess.run([*run, "report", str(root / "results.jsonl"), "--out-dir", str(root / "out")], check=True)
    return root / "out"


def test_the_report_renders_with_its_charts(chromium: str, site: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    page = (site / "index.html").as_uri()
    done = browse(chromium, tmp_path / "profile-1", "--window-size=1100,1600", f"--screenshot={shot}", page)
    assert shot.exists(), done.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1100, 1600)
    colours = image.getcolors(maxcolors=1 << 20) or []
    count = {rgb: n for n, rgb in colours}
    # The bars are drawn: the red of failing rules, the amber of actions, the verdict colours.
    assert count.get((0xB3, 0x26, 0x1E), 0) > 500
    assert count.get((0x9A, 0x67, 0x00), 0) > 500
    white = count.get((255, 255, 255), 0)
    assert white < 0.97 * image.size[0] * image.size[1]  # text and tables, not a blank page

    dom = browse(chromium, tmp_path / "profile-2", "--dump-dom", page)
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = tags(dom.stdout)
    assert [a["id"] for t, a in found if t == "svg"] == ["chart-verdicts", "chart-failing", "chart-actions"]
    rows = [
        a.get("class")
        for t, a in found
        if t == "tr" and a.get("class") in ("eligible", "ineligible", "pending", "undetermined")
    ]
    assert len(rows) == 3
    links = [a["href"] for t, a in found if t == "a"]
    assert links == ["explanations/LS-2021-0001.html", "explanations/A-2.html", "explanations/A-3.html"]
    assert all((site / link).exists() for link in links)


def test_an_explanation_page_prints(chromium: str, site: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "explanation.pdf"
    page = (site / "explanations" / "LS-2021-0001.html").as_uri()
    done = browse(chromium, tmp_path / "profile", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page)
    assert pdf.exists(), done.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert 1 <= pages <= 3

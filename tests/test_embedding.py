"""Safe to embed: policy text cannot reach Python, evaluation is thread-safe.

Hostile policies try every way a policy language embedded in Python is commonly broken
out of: dunder names, names that shadow builtins, strings built to escape a generated
source (quotes, newlines, backslashes, braces), attribute access, imports and calls of
functions the language does not have. Each is refused with a policy error or is inert (an
ordinary name or string); a sentinel file that any escape would create never appears.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import titlerules
from titlerules.cases import load_case_file
from titlerules.formatter import format_source

from .conftest import POLICY_DIR, ROOT

HEAD = 'policy "t" { year 2021 }\nfacts {\n  id: string key\n  hours: number\n}\n'


def _escapes(sentinel: Path) -> list[str]:
    """Payloads that would create ``sentinel`` if policy text ever reached Python."""
    code = f"open({str(sentinel)!r}, 'w').write('x')"
    return [
        code,
        f"__import__('os').system('touch {sentinel}')",
        f'"; {code}; "',
        f"'; {code}; '",
        f"\\n{code}\\n",
        f'\\"); {code}; ("',
        f"{{{code}}}",
        f"}}{{{code}}}{{",
        f'""" + {code} + """',
        f"\\\\{code}",
        f"${{{code}}}",
        f"%({code})s",
    ]


def _string_payloads(sentinel: Path) -> Iterator[str]:
    """Policy texts carrying each payload inside strings: messages, titles, cites, ids."""
    for payload in _escapes(sentinel):
        text = payload.replace("\\", "\\\\").replace('"', '\\"')
        # Braces interpolate in messages; doubled they are literal.
        literal = text.replace("{", "{{").replace("}", "}}")
        yield (
            HEAD
            + f'rule r {{\n  cite "{literal}"\n  title zh "{literal}" en "{literal}"\n'
            + f'  require hours >= 1\n    fail zh "{literal}" en "{literal}"\n}}\n'
        )
        yield HEAD + f'param p = "{literal}"\nrule r {{ cite "1" title zh "a" en "b" require hours >= 1 }}\n'


@pytest.fixture
def sentinel(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "escaped"
    yield path
    assert not path.exists(), "policy text ran Python code"


def _exercise(text: str) -> titlerules.Policy | titlerules.PolicyError:
    """Load, evaluate, explain, format and document a policy; return it or its error."""
    from titlerules.docgen import view

    try:
        policy = titlerules.Policy.from_source(text, "hostile.policy")
    except titlerules.PolicyError as error:
        return error
    for document in ({"id": "a", "hours": 0}, {"id": "a", "hours": 5}, {"id": "a"}):
        decision = policy.evaluate(document, "2021-06-01")
        decision.to_dict()
        policy.explain(document, "2021-06-01").to_dict()
    format_source(text)
    view(policy)
    return policy


def test_strings_built_to_escape_stay_strings(sentinel: Path) -> None:
    payloads = list(_string_payloads(sentinel))
    for text in payloads:
        result = _exercise(text)
        assert isinstance(result, titlerules.Policy), result
    # A message that held a payload reads back as the very text written.
    code = _escapes(sentinel)[2]
    policy = _exercise(list(_string_payloads(sentinel))[4])
    assert isinstance(policy, titlerules.Policy)
    finding = policy.evaluate({"id": "a", "hours": 0}).finding("r")
    assert finding.message.zh == code
    assert finding.title.en == code


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ("__import__('os') == 1", "syntax"),
        ('__import__("os").system("x") == 0', "syntax"),
        ('eval("1") == 1', "unknown-function"),
        ('exec("x") == none', "unknown-function"),
        ('open("/etc/passwd") == none', "unknown-function"),
        ('getattr(hours, "real") == 1', "unknown-function"),
        ("hours.__class__ == none", "type"),
        ("hours.real == 1", "type"),
        ("hours.__class__.__mro__ == none", "type"),
        ("w.__class__ == none", "unknown-field"),
        ("w.__dict__.city == none", "unknown-field"),
        ("id.upper() == 1", "syntax"),
        ("__builtins__ == 1", "unknown-name"),
        ("__import__ == 1", "unknown-name"),
        ("os.system == 1", "unknown-name"),
        ("import os", "syntax"),
        ("hours >= 1; import os", "syntax"),
        ("[c for c in ().__class__.__bases__] == []", "syntax"),
        ("lambda: 1", "syntax"),
        ("hours >= 1 if true else 0", "syntax"),
        ("hours @ 1", "syntax"),
        ("hours ** 2 > 1", "syntax"),
        ("`hours` > 1", "syntax"),
    ],
)
def test_python_is_out_of_reach(condition: str, code: str, sentinel: Path) -> None:
    head = HEAD.replace("hours: number", "hours: number\n  w: { city: string }")
    text = head + f'rule r {{ cite "1" title zh "a" en "b" require {condition} }}\n'
    result = _exercise(text.replace('"x"', f'"touch {sentinel}"'))
    assert isinstance(result, titlerules.PolicyError)
    assert result.code == code, str(result)


@pytest.mark.parametrize(
    "name",
    [
        "__class__",
        "__init__",
        "__builtins__",
        "__import__",
        "open",
        "eval",
        "exec",
        "print",
        "os",
        "sys",
        "self",
        "globals",
        "locals",
        "type",
        "object",
        "str",
        "int",
        "len",
        "id_",
        "_",
        "__",
    ],
)
def test_names_that_shadow_python_are_ordinary_names(name: str, sentinel: Path) -> None:
    """A fact, a parameter and a local may be called like a Python builtin or dunder: the
    name means only what the policy declares."""
    text = (
        'policy "t" { year 2021 }\n'
        f"facts {{\n  id: string key\n  {name}: number\n}}\n"
        f"param limit_{name.strip('_') or 'u'} = 3\n"
        f'rule r {{\n  cite "1"\n  title zh "a" en "b"\n  let twice = {name} * 2\n'
        f"  require twice >= limit_{name.strip('_') or 'u'}\n"
        f'    fail zh "{{{name}}}" en "{{twice}}"\n}}\n'
    )
    policy = _exercise(text)
    assert isinstance(policy, titlerules.Policy), policy
    assert policy.evaluate({"id": "a", name: 2}).verdict == titlerules.Verdict.ELIGIBLE
    failed = policy.evaluate({"id": "a", name: 1}).finding("r")
    assert (failed.outcome, failed.message.zh, failed.message.en) == (titlerules.Outcome.FAIL, "1", "2")


def test_document_keys_and_values_are_data(lishui: titlerules.Policy, sentinel: Path) -> None:
    code = _escapes(sentinel)[0]
    document = {"id": code, "__class__": code, "__proto__": {"x": code}, "constructor": code}
    decision = lishui.evaluate(document, "2021-06-01")
    assert decision.applicant == code
    assert set(decision.warnings) == {
        "__class__: unknown key, ignored",
        "__proto__: unknown key, ignored",
        "constructor: unknown key, ignored",
    }
    lishui.explain(document, "2021-06-01")


# ---- threads ------------------------------------------------------------------------------


def _cases() -> list[tuple[Any, Any]]:
    cases = load_case_file(POLICY_DIR / "lishui-2021-crafts.cases.yaml").cases
    return [(case.document, case.as_of) for case in cases]


def test_many_threads_on_shared_policies_give_identical_results() -> None:
    policies = [
        titlerules.load_policy("lishui-2021-crafts"),
        titlerules.load_policy(ROOT / "tests" / "fixtures" / "lishui-2022-crafts.policy"),
    ]
    work = [(p, doc, day) for p in policies for doc, day in _cases()]
    assert len(work) > 50

    explained = {id(doc) for _, doc, _ in work[::10]}

    def result(policy: titlerules.Policy, document: Any, day: Any) -> Any:
        try:
            if id(document) in explained:
                return policy.explain(document, day).to_dict()
            return policy.evaluate(document, day).to_dict()
        except titlerules.TitlerulesError as error:
            return (type(error).__name__, error.code, str(error))

    expected = [result(*item) for item in work]
    threads = 8
    start = threading.Barrier(threads)
    got: dict[int, list[Any]] = {}
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            # Each thread walks the work in its own order, so threads meet on every policy.
            order = work[index:] + work[:index]
            results = [result(*item) for item in order]
            got[index] = results[len(work) - index :] + results[: len(work) - index]
        except BaseException as error:  # reported below, with the thread's result missing
            failures.append(error)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads as often as possible
    try:
        pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    finally:
        sys.setswitchinterval(old)
    assert failures == []
    assert all(got[i] == expected for i in range(threads))


def test_policies_load_in_many_threads_at_once() -> None:
    text = (POLICY_DIR / "lishui-2021-crafts.policy").read_text("utf-8")
    barrier = threading.Barrier(8)
    loaded: list[str] = []

    def load() -> None:
        barrier.wait()
        policy = titlerules.Policy.from_source(text, "lishui-2021-crafts.policy")
        loaded.append(policy.source_sha256 + repr(policy.evaluate({"id": "a"}).to_dict()))

    pool = [threading.Thread(target=load) for _ in range(8)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert len(loaded) == 8 and len(set(loaded)) == 1

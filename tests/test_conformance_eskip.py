"""The conformance runner on eskip case files: the eskip vectors (the repository's copy, and the
conformance corpus's own when it is there) all pass, and a wrong expectation is reported as a FAIL
line with exit status 1."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from harness import DATA
from harness import conformance as corpus
from skipperd import conformance
from skipperd.conformance import eskip_cases

CASES = DATA / "eskip-cases.yaml"


def _case_count(path: Path = CASES) -> int:
    return len(yaml.safe_load(path.read_text(encoding="utf-8"))["cases"])


@pytest.fixture(params=["copy", "corpus"])
def cases(request: pytest.FixtureRequest) -> Path:
    """The eskip vectors: the repository's copy, and the corpus's own file when the corpus is given."""
    return CASES if request.param == "copy" else corpus("eskip/cases.yaml")


def test_eskip_cases_all_pass(cases: Path) -> None:
    out = io.StringIO()
    passed, failed = conformance.run_paths([str(cases)], out)
    assert "FAIL" not in out.getvalue()
    assert (passed, failed) == (_case_count(cases), 0)
    assert out.getvalue().endswith(f"{passed} passed, 0 failed\n")


def test_eskip_error_messages_match_upstream(cases: Path) -> None:
    loaded = eskip_cases.load_cases(cases)
    results = [eskip_cases.run_case(c) for c in loaded if c.expect_error and c.error_message is not None]
    matched = [r for r in results if r.message_matches]
    print(f"{len(matched)} of {len(results)} error messages match upstream exactly")
    assert results and all(r.ok for r in results)
    assert [r.name for r in results if not r.message_matches] == []


def test_directory_is_walked_for_case_files(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (nested / "cases.yaml").write_bytes(CASES.read_bytes())
    (tmp_path / "a" / "objects.yaml").write_text("kind: Service\nmetadata: {name: x}\n")  # not a case file
    (tmp_path / "notes.md").write_text("cases: not yaml here\n")
    out = io.StringIO()
    assert conformance.run_paths([str(tmp_path)], out) == (_case_count(), 0)


def _write_cases(path: Path, body: str) -> Path:
    path.write_text("cases:\n" + body, encoding="utf-8")
    return path


WRONG = """\
  - name: "right"
    mode: document
    input: 'r: * -> <shunt>'
    expect:
      routes:
        - {id: "r", predicates: [], filters: [], backend: {type: shunt}}
  - name: "wrong-arg-type"
    mode: document
    input: 'r: Traffic("10") -> <shunt>'
    expect:
      routes:
        - {id: "r", predicates: [["Traffic", [10]]], filters: [], backend: {type: shunt}}
"""


def test_main_reports_a_wrong_expectation(tmp_path: Path) -> None:
    path = _write_cases(tmp_path / "wrong.yaml", WRONG)
    out, err = io.StringIO(), io.StringIO()
    assert conformance.main([str(path)], out, err) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"FAIL {path}::wrong-arg-type: route #0 ('r'): predicates: got [Traffic('10')], want [Traffic(10.0)]")
    assert lines[-1] == "1 passed, 1 failed"


@pytest.mark.parametrize(
    "body, reason",
    [
        ("  - {name: n, mode: document, input: 'r: * -> <shunt>', expect_error: true}\n", "expected a parse error"),
        ("  - {name: n, mode: document, input: 'r: ->', expect: {routes: []}}\n", "unexpected parse error: parse failed after token ->"),
        ("  - {name: n, mode: filters, input: 'a()', expect: {filters: [['b', []]]}}\n", "filters: got [a()], want [b()]"),
        ("  - {name: n, mode: predicates, input: 'A(1)', expect: {predicates: [['A', ['1']]]}}\n", "predicates: got [A(1.0)], want [A('1')]"),
        ("  - {name: n, mode: other, input: '', expect: {}}\n", "unknown mode 'other'"),
        (
            "  - {name: n, input: 'r: * -> <\"http://a?zone=z\">', expect: {routes: [{id: r, predicates: [], filters: [],"
            " backend: {type: lb, algorithm: null, endpoints: ['http://a']}}]}}\n",
            "route #0 ('r'): backend zones are ['z'], want []",
        ),
        ("  - {name: n, input: '* -> \"x\"', expect: {routes: [{id: '', predicates: [], filters: [], backend: {type: shunt}}]}}\n",
         "route #0 (''): backend type is network, want shunt"),
    ],
)
def test_failures_are_reported(tmp_path: Path, body: str, reason: str) -> None:
    path = _write_cases(tmp_path / "c.yaml", body)
    out = io.StringIO()
    assert conformance.run_paths([str(path)], out) == (0, 1)
    assert out.getvalue().startswith(f"FAIL {path}::n: {reason}")


def test_different_message_is_a_note_not_a_failure(tmp_path: Path) -> None:
    path = _write_cases(
        tmp_path / "c.yaml",
        "  - {name: n, input: 'r: ->', expect_error: true, error_message: 'something else'}\n",
    )
    out = io.StringIO()
    assert conformance.main([str(path)], out, io.StringIO()) == 0
    note, total = out.getvalue().splitlines()
    assert note.startswith(f"NOTE {path}::n: error message differs: got 'parse failed after token ->")
    assert total == "1 passed, 0 failed"


def test_usage_errors(tmp_path: Path) -> None:
    err = io.StringIO()
    assert conformance.main([], io.StringIO(), err) == 2
    assert "usage" in err.getvalue()
    err = io.StringIO()
    assert conformance.main([str(tmp_path / "missing")], io.StringIO(), err) == 2
    assert "no such file or directory" in err.getvalue()
    assert conformance.main(["-x"], io.StringIO(), io.StringIO()) == 2


def test_not_a_case_file_fails(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("kind: Service\n")
    out = io.StringIO()
    assert conformance.main([str(path)], out, io.StringIO()) == 1
    assert out.getvalue().startswith(f"FAIL {path}: not a conformance file")


def test_broken_case_file_fails(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("cases: [\n")
    out = io.StringIO()
    assert conformance.run_paths([str(path)], out) == (0, 1)
    assert out.getvalue().startswith(f"FAIL {path}: cannot read case file")

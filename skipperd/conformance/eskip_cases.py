"""eskip case files: test vectors for the route language (``tests/data/eskip-cases.yaml`` is one).

A case file is YAML with a top-level ``cases:`` list. Each case parses ``input`` in its ``mode``
(``document``, ``filters`` or ``predicates``) and either compares the result with ``expect`` or,
with ``expect_error: true``, requires the parse to fail. The comparison rules: arguments keep
their type (a YAML number is a float, ``"10"`` is not ``10``), predicates and filters in order,
the backend by type and then by its fields. An error case
passes whatever the message; when the message differs from the upstream ``error_message`` that
is reported as a note, not a failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence

import yaml

from skipperd.eskip import ParseError, parse, parse_filters, parse_predicates
from skipperd.eskip.route import Backend, BackendType, Filter, Predicate, Route

__all__ = ["Case", "CaseResult", "is_case_file", "load_cases", "run_case", "run_file"]

MODES = ("document", "filters", "predicates")

_CASES_KEY = re.compile(rb"^cases\s*:", re.MULTILINE)


class Reporter(Protocol):
    """Where results go (``skipperd.conformance.Report``)."""

    def passed(self, where: str) -> None: ...

    def failed(self, where: str, reason: str) -> None: ...

    def note(self, where: str, text: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    mode: str
    input: str
    expect: Any = None  # the ``expect`` mapping as loaded
    expect_error: bool = False
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class CaseResult:
    """``failure`` is None when the case passed. ``message`` is the parse error we gave, if any;
    ``message_matches`` says whether it equals the upstream ``error_message`` (None when the
    case has none to compare with)."""

    name: str
    failure: str | None
    message: str | None = None
    message_matches: bool | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


class CaseFileError(Exception):
    """The file is not a well-formed case file."""


def is_case_file(path: Path) -> bool:
    """A ``*.yaml`` file whose top level has a ``cases:`` key (checked without parsing the YAML)."""
    if path.suffix != ".yaml" or not path.is_file():
        return False
    try:
        return _CASES_KEY.search(path.read_bytes()) is not None
    except OSError:
        return False


def load_cases(path: Path) -> list[Case]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise CaseFileError(f"cannot read case file: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
        raise CaseFileError("no top-level cases: list")
    cases = []
    for n, raw in enumerate(doc["cases"]):
        if not isinstance(raw, dict):
            raise CaseFileError(f"case #{n} is not a mapping")
        name = raw.get("name")
        text = raw.get("input")
        mode = raw.get("mode", "document")
        if not isinstance(name, str) or not isinstance(text, str) or not isinstance(mode, str):
            raise CaseFileError(f"case #{n} needs a string name, input and mode")
        message = raw.get("error_message")
        cases.append(
            Case(
                name=name,
                mode=mode,
                input=text,
                expect=raw.get("expect"),
                expect_error=raw.get("expect_error") is True,
                error_message=message if isinstance(message, str) else None,
            )
        )
    return cases


def run_file(path: Path, report: Reporter) -> None:
    try:
        cases = load_cases(path)
    except CaseFileError as e:
        report.failed(str(path), str(e))
        return
    for case in cases:
        where = f"{path}::{case.name}"
        result = run_case(case)
        if result.failure is not None:
            report.failed(where, result.failure)
            continue
        report.passed(where)
        if result.message_matches is False:
            report.note(where, f"error message differs: got {result.message!r}, upstream {case.error_message!r}")


def run_case(case: Case) -> CaseResult:
    if case.mode not in MODES:
        return CaseResult(case.name, f"unknown mode {case.mode!r}")
    try:
        if case.mode == "document":
            got: object = parse(case.input)
        elif case.mode == "filters":
            got = parse_filters(case.input)
        else:
            got = parse_predicates(case.input)
    except ParseError as e:
        if not case.expect_error:
            return CaseResult(case.name, f"unexpected parse error: {e}", message=str(e))
        matches = None if case.error_message is None else str(e) == case.error_message
        return CaseResult(case.name, None, message=str(e), message_matches=matches)
    except Exception as e:  # a crash is a failure of the case, not of the run
        return CaseResult(case.name, f"crashed: {type(e).__name__}: {e}")
    if case.expect_error:
        return CaseResult(case.name, f"expected a parse error, got {got!r}")
    try:
        failure = _compare(case, got)
    except CaseFileError as e:
        failure = f"bad expectation: {e}"
    return CaseResult(case.name, failure)


# -- comparison ---------------------------------------------------------------------------------

# An argument with its type: ("string", "10") is not ("number", 10.0).
_TypedArg = tuple[str, object]
_Call = tuple[str, list[_TypedArg]]


def _compare(case: Case, got: object) -> str | None:
    expect = case.expect
    if not isinstance(expect, dict):
        raise CaseFileError("expect is not a mapping")
    if case.mode == "document":
        assert isinstance(got, list)
        return _compare_routes(_field(expect, "routes", list), got)
    key = case.mode  # "filters" or "predicates"
    assert isinstance(got, list)
    want = [_expected_call(c) for c in _field(expect, key, list)]
    have = [_actual_call(c) for c in got]
    if want != have:
        return f"{key}: got {_show(have)}, want {_show(want)}"
    return None


def _compare_routes(want_routes: list[Any], got: list[Route]) -> str | None:
    if len(want_routes) != len(got):
        return f"got {len(got)} routes ({', '.join(repr(r.id) for r in got)}), want {len(want_routes)}"
    for n, (want, route) in enumerate(zip(want_routes, got)):
        if not isinstance(want, dict):
            raise CaseFileError(f"route #{n} is not a mapping")
        where = f"route #{n} ({route.id!r})"
        want_id = _field(want, "id", str)
        if want_id != route.id:
            return f"{where}: id is {route.id!r}, want {want_id!r}"
        for key, calls in (("predicates", route.predicates), ("filters", route.filters)):
            want_calls = [_expected_call(c) for c in _field(want, key, list)]
            have_calls = [_actual_call(c) for c in calls]
            if want_calls != have_calls:
                return f"{where}: {key}: got {_show(have_calls)}, want {_show(want_calls)}"
        problem = _compare_backend(_field(want, "backend", dict), route.backend)
        if problem is not None:
            return f"{where}: backend {problem}"
    return None


def _compare_backend(want: dict[str, Any], got: Backend) -> str | None:
    want_type = _field(want, "type", str)
    if want_type != got.type.value:
        return f"type is {got.type.value}, want {want_type}"
    if got.type is BackendType.NETWORK:
        address = _field(want, "address", str)
        if address != got.address:
            return f"address is {got.address!r}, want {address!r}"
    elif got.type is BackendType.LB:
        algorithm = want.get("algorithm")
        if algorithm != got.algorithm:
            return f"algorithm is {got.algorithm!r}, want {algorithm!r}"
        endpoints = _field(want, "endpoints", list)
        if endpoints != list(got.endpoints):
            return f"endpoints are {list(got.endpoints)!r}, want {endpoints!r}"
        zones = want.get("zones") or []
        if zones != list(got.zones):
            return f"zones are {list(got.zones)!r}, want {zones!r}"
    return None


def _field(mapping: dict[str, Any], key: str, kind: type) -> Any:
    value = mapping.get(key)
    if not isinstance(value, kind):
        raise CaseFileError(f"{key!r} should be a {kind.__name__}, is {value!r}")
    return value


def _expected_call(raw: Any) -> _Call:
    if not (isinstance(raw, list) and len(raw) == 2 and isinstance(raw[0], str) and isinstance(raw[1], list)):
        raise CaseFileError(f"{raw!r} is not [name, [args...]]")
    return raw[0], [_expected_arg(a) for a in raw[1]]


def _expected_arg(a: Any) -> _TypedArg:
    if isinstance(a, str):
        return "string", a
    if isinstance(a, (int, float)) and not isinstance(a, bool):
        return "number", float(a)  # the language has one number type, a float
    raise CaseFileError(f"argument {a!r} is neither a string nor a number")


def _actual_call(c: Predicate | Filter) -> _Call:
    return c.name, [("string", a) if isinstance(a, str) else ("number", a) for a in c.args]


def _show(calls: Sequence[_Call]) -> str:
    return "[" + ", ".join(f"{name}({', '.join(repr(v) for _, v in args)})" for name, args in calls) + "]"

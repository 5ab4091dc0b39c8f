"""``eskip.incremental.DocumentParser``: the answers of ``parse``, with unchanged definitions kept.

Differential: every eskip vector, generated documents and mutated documents (broken strings,
regexps, comments, stray ";") give the routes or the error message of the full parser, also when
the parser carries its memory from one document to the next. Reuse: an unchanged definition is
the same object, and only edited definitions are parsed.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from skipperd.eskip import ParseError, Route, parse, print_routes
from skipperd.eskip.incremental import DocumentParser
from tests.test_eskip_property import documents, examples, mutated_documents

CASES = Path(__file__).parent / "data" / "eskip-cases.yaml"


def _outcome(parse_fn: object, text: str | bytes) -> tuple[str, object]:
    try:
        return "routes", parse_fn(text)  # type: ignore[operator]
    except ParseError as e:
        return "error", (type(e).__name__, str(e), e.position, e.token, e.route_id)


def _full(text: str | bytes) -> list[Route]:
    return parse(text.decode("utf-8", "surrogatepass") if isinstance(text, bytes) else text)


def _agree(p: DocumentParser, text: str | bytes) -> None:
    assert _outcome(p.parse, text) == _outcome(_full, text)


def test_every_eskip_vector() -> None:
    docs = [c["input"] for c in yaml.safe_load(CASES.read_text())["cases"] if c["mode"] == "document"]
    assert len(docs) > 50
    carried = DocumentParser()
    for text in docs:
        _agree(DocumentParser(), text)
        _agree(carried, text)  # with the memory of the vectors before it


@examples(80)
@given(st.lists(documents, min_size=1, max_size=4), st.booleans())
def test_generated_documents_in_sequence(docs: list[list[Route]], pretty: bool) -> None:
    p = DocumentParser()
    for routes in docs:
        text = print_routes(routes, pretty=pretty)
        assert p.parse(text) == routes
        _agree(p, text)


@examples(120)
@given(st.lists(mutated_documents(), min_size=1, max_size=3))
def test_mutated_documents_in_sequence(texts: list[str]) -> None:
    p = DocumentParser()
    for text in texts:
        _agree(p, text)


TRICKY = [
    'a: Path("/;") -> <shunt>; b: * -> <shunt>;',                     # ";" in a string
    "a: PathRegexp(/;[;/]\\/;/) -> <shunt>; b: * -> <shunt>",          # ";" in a regexp, no final ";"
    "// c; d\na: * -> <shunt>; // e;\nb: * -> <shunt>;",               # ";" in comments
    "a: Header(`x;`, `y\\`;`) -> <shunt>;;; b: * -> <shunt>;",       # backquotes, empty definitions
    'a: * -> <shunt>; * -> <shunt>',                                   # an anonymous route after one
    '* -> <shunt>;',                                                   # anonymous with ";"
    '* -> <shunt>',                                                    # the anonymous document
    'a: Path("/x) -> <shunt>; b: * -> <shunt>;',                       # unclosed string
    'a: Path("/x") -> <shunt>; b: * -> <shunt>; c',                    # a broken last definition
    'a: PathRegexp(/x) -> <shunt>; b: * -> <shunt>;',                  # unclosed regexp
    'a: * -> <shunt> b: * -> <shunt>;',                                # missing ";"
    'a: * -> \\ <shunt>; b: * -> <shunt>;',                            # a byte that starts no token
    'a: * -> "http://x"; b: Path("/") && Path("/y") -> <shunt>;',    # a definition check fails
    ';', ';;', '', '  // only a comment', 'a: * -> <shunt>;;', 'a: * -> <shunt>; // the end',
    'a: * -> <shunt>; // c ; d\n ; // e', 'a: * -> <shunt>; /* not a comment */',
    'a: Path("\\"; b: x") -> <shunt>; c: * -> <shunt>;',             # an escaped quote
    'a: * -> <shunt>; "b: * -> <shunt>;',                              # garbage before a good piece
    'a: * -> <shunt>; /b: * -> <shunt>;',
    'a: * -> <shunt>; `b: * -> <shunt>;',
    'a: * -> <shunt>;"b: * -> <shunt>;',                               # one byte skipped
]


# Valid documents of named routes are handled a piece at a time, never by the full parser:
# (text, pieces parsed the first time, pieces).
PIECEWISE = [
    ("// c; d\na: * -> <shunt>; // e;\nb: * -> <shunt>;", 2, 2),
    ("a: * -> <shunt>; // the end", 1, 1),
    ("a: * -> <shunt>; b: * -> <shunt> // the end", 2, 2),
    ("a: * -> <shunt>;\n// c\n;\n;", 3, 3),  # two empty definitions
    ('a: Path("/;") && Header(`x;`, "y") && PathRegexp(/[;/]\\/;/) -> <shunt>; b: * -> <shunt>', 2, 2),
    ("a: * -> <shunt>; a: * -> <shunt>;\n   a: * -> <shunt>;", 1, 3),  # the same text, parsed once
]


def test_valid_documents_are_parsed_a_piece_at_a_time() -> None:
    for text, first, pieces in PIECEWISE:
        p = DocumentParser()
        routes = p.parse(text)
        assert routes == parse(text) and (p.parsed, p.reused) == (first, pieces - first), text
        assert p.parse(text) == routes and (p.parsed, p.reused) == (0, pieces), text
        assert all(a is b for a, b in zip(p.parse(text), routes)), text


def test_tricky_documents_alone_and_in_sequence() -> None:
    carried = DocumentParser()
    for text in TRICKY:
        _agree(DocumentParser(), text)
        _agree(carried, text)


def _doc(n: int, changed: int | None = None) -> str:
    lines = []
    for i in range(n):
        value = f"{i}-new" if i == changed else str(i)
        lines.append(f'r{i}: Host("^h{i}[.]example[.]org$") && PathSubtree("/a;b") '
                     f'-> setRequestHeader("X-Svc", "{value}") -> <roundRobin, "http://127.0.0.1:1", "http://127.0.0.1:2">;')
    return "\n".join(lines)


def test_unchanged_definitions_are_the_same_objects_and_not_parsed_again() -> None:
    p = DocumentParser()
    first = p.parse(_doc(200))
    assert (p.parsed, p.reused) == (200, 0)
    second = p.parse(_doc(200, changed=77))
    assert (p.parsed, p.reused) == (1, 199)
    assert second == parse(_doc(200, changed=77))
    assert all(a is b for i, (a, b) in enumerate(zip(first, second)) if i != 77)
    assert second[77] is not first[77] and second[77].filters[0].args == ("X-Svc", "77-new")
    # A failed document leaves the memory of the last good one.
    broken = _doc(200) + ' broken: Path("/'
    try:
        p.parse(broken)
    except ParseError as e:
        assert str(e) == str(_outcome(_full, broken)[1][1])  # type: ignore[index]
    else:
        raise AssertionError("a broken document parsed")
    third = p.parse(_doc(200, changed=77).encode())
    assert (p.parsed, p.reused) == (0, 200)
    assert all(a is b for a, b in zip(second, third))


def test_a_moved_definition_is_reused_and_a_removed_one_forgotten() -> None:
    p = DocumentParser()
    text = _doc(10)
    parts = text.split("\n")
    first = p.parse(text)
    moved = p.parse("\n".join(parts[5:] + parts[:5]))
    assert (p.parsed, p.reused) == (0, 10) and moved == first[5:] + first[:5]
    p.parse("\n".join(parts[:3]))
    p.parse(text)
    assert (p.parsed, p.reused) == (7, 3)

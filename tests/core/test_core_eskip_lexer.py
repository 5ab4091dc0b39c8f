"""The eskip lexer (skipperd.eskip.lexer) through the parser's errors: what mutation testing
showed unchecked (an unclosed backquoted string or regexp where the end of input is fine)."""

from __future__ import annotations

import pytest

from skipperd.eskip import parse, parse_filters, parse_predicates
from skipperd.eskip.parser import ParseError
from skipperd.eskip.route import Predicate


@pytest.mark.parametrize("text, message", [
    ("r: * -> <shunt>; `abc", "parse failed after token ;, last route id: r, position 21: incomplete token"),
    ("r: * -> <shunt>; /abc", "parse failed after token ;, last route id: r, position 21: incomplete token"),
    ('r: * -> <shunt>; "a\\"', "parse failed after token ;, last route id: r, position 21: incomplete token"),
    ("r: * -> <shunt>; @", "parse failed after token ;, last route id: r, position 17: unexpected token"),
    ("r: * -> <shunt>; /", "parse failed after token ;, last route id: r, position 17: invalid character"),
])
def test_a_lexer_failure_where_the_end_is_fine_gives_its_reason(text: str, message: str) -> None:
    with pytest.raises(ParseError) as e:
        parse(text)
    assert str(e.value) == message


def test_an_error_at_the_first_token_names_no_token() -> None:
    with pytest.raises(ParseError) as e:
        parse("@")
    assert str(e.value) == "parse failed after token , position 0: unexpected token"


@pytest.mark.parametrize("text, token, position", [
    ("r: PathRegexp(/a\\/b\\d/ @", "a/b\\d", 23),  # a regexp loses the backslash of \/ only
    ("r: * -> f(`a\\`b` @", "a`b", 17),
    ("r: * -> f(`a\\tb` @", "a\tb", 17),
    ('r: * -> f("a\\"b" @', 'a"b', 17),
])
def test_the_token_before_a_lexer_failure_is_named_as_its_value(text: str, token: str, position: int) -> None:
    """Past a byte that starts no token the lexer takes its exact path; the error names the
    last token by its value, and where lexing stopped, as Skipper's does."""
    with pytest.raises(ParseError) as e:
        parse(text)
    assert (e.value.token, e.value.position) == (token, position)
    assert str(e.value) == f"parse failed after token {token}, last route id: r, position {position}: syntax error"


@pytest.mark.parametrize("text, message", [
    ("r: * -> f() -> g();", "parse failed after token ;, last route id: r, position 19: syntax error"),
    ('r: * -> f() -> "http://a" -> g();', "parse failed after token ->, last route id: r, position 28: syntax error"),
])
def test_a_route_must_end_with_its_backend(text: str, message: str) -> None:
    with pytest.raises(ParseError) as e:
        parse(text)
    assert str(e.value) == message


def test_lone_surrogates_in_filter_arguments_read_back_as_themselves() -> None:
    assert parse_filters('f("\ud800", `\udcff`)')[0].args == ("\ud800", "\udcff")


def test_lone_surrogates_in_a_document_read_back_as_themselves() -> None:
    assert parse('r: Header("X", "\ud800") -> <shunt>;')[0].predicates[0].args == ("X", "\ud800")


def test_lone_surrogates_in_a_predicate_list_read_back_as_themselves() -> None:
    assert parse_predicates('Header("X", "\udcff")')[0].args == ("X", "\udcff")


def test_predicate_lists_are_trimmed_of_gos_spaces_only() -> None:
    assert parse_predicates("\u2000 Foo() \x85") == [Predicate("Foo")]
    with pytest.raises(ParseError):
        parse_predicates("\x1cFoo()")  # U+001C is space to Python's strip, not to Go's TrimSpace

"""The eskip lexer (skipperd.eskip.lexer) through the parser's errors: what mutation testing
showed unchecked (an unclosed backquoted string or regexp where the end of input is fine)."""

from __future__ import annotations

import pytest

from skipperd.eskip import parse, parse_filters
from skipperd.eskip.parser import ParseError


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


@pytest.mark.parametrize("text, token", [
    ("r: PathRegexp(/a\\/b\\d/ @", "a/b\\d"),  # a regexp loses the backslash of \/ only
    ("r: * -> f(`a\\`b` @", "a`b"),
    ("r: * -> f(`a\\tb` @", "a\tb"),
    ('r: * -> f("a\\"b" @', 'a"b'),
])
def test_the_token_before_a_lexer_failure_is_named_as_its_value(text: str, token: str) -> None:
    """Past a byte that starts no token the lexer takes its exact path; the error names the
    last token by its value, as Skipper's does."""
    with pytest.raises(ParseError) as e:
        parse(text)
    assert e.value.token == token
    assert str(e.value).startswith(f"parse failed after token {token}, last route id: r, position ")


def test_lone_surrogates_in_strings_read_back_as_themselves() -> None:
    assert parse_filters('f("\ud800", `\udcff`)')[0].args == ("\ud800", "\udcff")

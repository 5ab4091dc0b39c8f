"""The eskip lexer (skipperd.eskip.lexer) through the parser's errors: what mutation testing
showed unchecked (an unclosed backquoted string or regexp where the end of input is fine)."""

from __future__ import annotations

import pytest

from skipperd.eskip import parse
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

"""The eskip lexer: UTF-8 bytes in, a flat token table out.

The language is defined on bytes (GRAMMAR.md section 1), so the lexer works on the UTF-8 encoding
of the text and every position is a byte offset. One compiled pattern skips whitespace and
comments and matches the next token; the whole input is lexed up front into parallel lists,
which is what keeps a 10,000-route document well under a second.

Lexing stops at the first byte that cannot start a token. What happened there is kept in
``Tokens.error`` and the token table ends with an end-of-input token either way: the parser
treats a lexer failure as the end of the input, and only then decides which message wins
(a lexer reason when the end would have been acceptable, ``syntax error`` otherwise), as
Skipper's parser does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

# Token kinds. Fixed tokens are their own text; the varying ones get one capital letter.
SYMBOL: Final = "S"
STRING: Final = "Q"
REGEXP: Final = "R"
NUMBER: Final = "N"
EOF: Final = "$"

# Lexer failure reasons, in Skipper's words.
INVALID_CHARACTER: Final = "invalid character"
INCOMPLETE_TOKEN: Final = "incomplete token"
UNEXPECTED_TOKEN: Final = "unexpected token"

_TOKEN = re.compile(
    rb"""
    (?: [ \t\n\v\f\r\x85\xa0]++ | //[^\n]*+ )*+        # whitespace (bytes, not runes) and comments
    (?:
        (?P<S> [A-Za-z_][A-Za-z0-9_]*+ )
      | (?P<F> && | -> | <shunt> | <loopback> | <dynamic> | <forward> | [(),:;*<>] )
      | (?P<Q> " (?: [^"\\] | \\. )*+ " )
      | (?P<B> ` (?: [^`\\] | \\. )*+ ` )
      | (?P<N> -? (?: [0-9]++ (?: \.[0-9]*+ )? | \.[0-9]*+ ) )
      | (?P<R> / (?: [^/\\\[] | \\. | \[ (?: [^\]\\] | \\. )*+ \] )*+ / )
    )?
    """,
    re.VERBOSE | re.DOTALL,
)

_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)
_CONTROL = {b"a": b"\a", b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}
_DQ_ESCAPES = {**_CONTROL, b'"': b'"', b"\\": b"\\"}
_BQ_ESCAPES = {**_CONTROL, b"`": b"`", b"\\": b"\\"}
# In a regexp literal only \/ and \\ lose their backslash; \n stays the two characters \n.
_RE_ESCAPES = {b"/": b"/", b"\\": b"\\"}


def _unescape(raw: bytes, table: dict[bytes, bytes]) -> str:
    if b"\\" in raw:
        raw = _ESCAPE.sub(lambda m: table.get(m.group(1), m.group(0)), raw)
    return raw.decode("utf-8", "surrogatepass")


@dataclass(slots=True)
class Tokens:
    """The token table of one input.

    ``kinds[i]`` is the kind (a fixed token's text, or ``S``/``Q``/``R``/``N``/``$``),
    ``values[i]`` the symbol, the unescaped string, the fixed token's text, or for a number
    its raw bytes (the parser converts it; error messages quote the token as written), and
    ``ends[i]`` the byte offset after the token. The last entry is always ``$``; its end is where lexing stopped, and
    ``error`` says why if that was not the end of the input.
    """

    kinds: list[str] = field(default_factory=list)
    values: list[str | bytes] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    error: str | None = None

    def text(self, i: int) -> str:
        """The token as Skipper's error messages show it: strings unquoted, numbers as written."""
        kind = self.kinds[i]
        if kind == EOF:
            return ""
        value = self.values[i]
        if isinstance(value, bytes):
            return value.decode("ascii")
        return value


def tokenize(data: bytes) -> Tokens:
    toks = Tokens()
    kinds = toks.kinds
    values = toks.values
    ends = toks.ends
    match = _TOKEN.match
    size = len(data)
    pos = 0
    while True:
        m = match(data, pos)
        assert m is not None  # every part of the pattern is optional
        group = m.lastgroup
        end = m.end()
        if group is None:
            # Nothing lexed: the end of the input, or a byte where no token can start.
            if end < size:
                toks.error, end = _failure(data, end)
            kinds.append(EOF)
            values.append("")
            ends.append(end)
            return toks
        if group == "S":
            kinds.append(SYMBOL)
            values.append(m.group("S").decode("ascii"))
        elif group == "F":
            fixed = m.group("F").decode("ascii")
            kinds.append(fixed)
            values.append(fixed)
        elif group == "Q":
            kinds.append(STRING)
            values.append(_unescape(m.group("Q")[1:-1], _DQ_ESCAPES))
        elif group == "N":
            number = m.group("N")
            if number[-1:] == b".":  # "3.", "-." and "." are incomplete numbers
                toks.error = INCOMPLETE_TOKEN
                kinds.append(EOF)
                values.append("")
                ends.append(end)
                return toks
            kinds.append(NUMBER)
            values.append(number)
        elif group == "R":
            kinds.append(REGEXP)
            values.append(_unescape(m.group("R")[1:-1], _RE_ESCAPES))
        else:  # "B"
            kinds.append(STRING)
            values.append(_unescape(m.group("B")[1:-1], _BQ_ESCAPES))
        ends.append(end)
        pos = end


def _failure(data: bytes, pos: int) -> tuple[str, int]:
    """Why no token starts at ``pos``, and where lexing stopped."""
    c = data[pos : pos + 1]
    if c == b"/" and pos + 1 == len(data):
        return INVALID_CHARACTER, pos
    if c in (b'"', b"`", b"/"):
        return INCOMPLETE_TOKEN, len(data)  # an unclosed string or regexp runs to the end
    return UNEXPECTED_TOKEN, pos

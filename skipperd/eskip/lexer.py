"""The eskip lexer: UTF-8 bytes in, a flat token table out.

Skipper's eskip is defined on bytes, so the lexer works on the UTF-8 encoding
of the text and every position is a byte offset. The whole input is lexed up front into
parallel lists (kind, value), in one of two ways that give the same tokens:

* the fast path: a single ``findall`` with a pattern that skips whitespace and comments and
  captures the next token, or any one byte where no token starts, or the end. A valid input is
  thereby split without a Python-level step per token; the loop after it only classifies.
* the exact path: one anchored match per token, recording where each token ends and why lexing
  stopped. The fast path hands over to it as soon as it meets a byte that does not start a
  token, and the token ends are computed with it only when an error message needs a position.

Lexing stops at the first byte that cannot start a token. What happened there is kept in
``Tokens.error`` and the token table ends with an end-of-input token either way: the parser
treats a lexer failure as the end of the input, and only then decides which message wins
(the lexer's reason when the end would have been acceptable, ``syntax error`` otherwise), as
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

_SKIP = rb"(?: [ \t\n\v\f\r\x85\xa0]++ | //[^\n]*+ )*+"  # whitespace (bytes, not runes), comments
_SYMBOL = rb"[A-Za-z_][A-Za-z0-9_]*+"
_FIXED = rb"&& | -> | <shunt> | <loopback> | <dynamic> | <forward> | [(),:;*<>]"
_DQ_STRING = rb'" (?: [^"\\] | \\. )*+ "'
_BQ_STRING = rb"` (?: [^`\\] | \\. )*+ `"
_NUMBER = rb"-? (?: [0-9]++ (?: \.[0-9]*+ )? | \.[0-9]*+ )"  # "3." matches: the caller rejects it
# An unescaped "[" opens a class, in which "/" is plain text; "\[" and "\]" neither open nor close.
_REGEXP = rb"/ (?: [^/\\\[] | \\. | \[ (?: [^\]\\] | \\. )*+ \] )*+ /"

_TOKEN = re.compile(
    _SKIP
    + rb"(?: (?P<S>"
    + _SYMBOL
    + rb") | (?P<F>"
    + _FIXED
    + rb") | (?P<Q>"
    + _DQ_STRING
    + rb") | (?P<B>"
    + _BQ_STRING
    + rb") | (?P<N>"
    + _NUMBER
    + rb") | (?P<R>"
    + _REGEXP
    + rb") )?",
    re.VERBOSE | re.DOTALL,
)
_FAST = re.compile(
    _SKIP + rb"(" + b"|".join((_SYMBOL, _FIXED, _DQ_STRING, _BQ_STRING, _NUMBER, _REGEXP)) + rb"| . | \Z)",
    re.VERBOSE | re.DOTALL,
)

_FIXED_KINDS = {
    f.encode(): f for f in ("&&", "->", "<shunt>", "<loopback>", "<dynamic>", "<forward>", "(", ")", ",", ":", ";", "*", "<", ">")
}
# Kind by first byte, for the tokens that are not fixed. "X" is a byte that starts no token;
# a lone '"', '`', '/' or '-' captured by itself is one too (see the fast path).
_START = ["X"] * 256
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_":
    _START[_c] = SYMBOL
for _c in b"0123456789.-":
    _START[_c] = NUMBER
_START[ord('"')] = "D"
_START[ord("`")] = "B"
_START[ord("/")] = REGEXP

_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)
_CONTROL = {b"a": b"\a", b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}
_DQ_ESCAPES = {**_CONTROL, b'"': b'"', b"\\": b"\\"}
_BQ_ESCAPES = {**_CONTROL, b"`": b"`", b"\\": b"\\"}
# In a regexp literal only \/ and \\ lose their backslash; \n stays the two characters \n.
_RE_ESCAPES = {b"/": b"/", b"\\": b"\\"}


def _unescape(raw: bytes, table: dict[bytes, bytes]) -> str:
    if b"\\" in raw:
        raw = _ESCAPE.sub(lambda m: table.get(m.group(1), m.group(0)), raw)
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        # Bytes that are not UTF-8 (only through the bytes API; text input is always encoded):
        # kept as lone surrogates, as Go keeps them in a string, instead of failing the lexer.
        return raw.decode("utf-8", "surrogateescape")


@dataclass(slots=True)
class Tokens:
    """The token table of one input.

    ``kinds[i]`` is the kind (a fixed token's text, or ``S``/``Q``/``R``/``N``/``$``).
    ``values[i]`` is the symbol, the unescaped string, the fixed token's text, or for a number
    its raw bytes (the parser converts it; error messages quote the token as written). The last
    entry is always ``$``; ``error`` says why lexing stopped there if that was not the end of
    the input. ``end(i)`` is the byte offset after token ``i``, for ``$`` where lexing stopped.
    """

    data: bytes
    kinds: list[str] = field(default_factory=list)
    values: list[str | bytes] = field(default_factory=list)
    error: str | None = None
    ends: list[int] | None = None

    def end(self, i: int) -> int:
        if self.ends is None:
            self.ends = _tokenize_exact(self.data).ends
            assert self.ends is not None and len(self.ends) == len(self.kinds)
        return self.ends[i]

    def text(self, i: int) -> str:
        """The token as Skipper's error messages show it: strings unquoted, numbers as written
        (the end of input has the value "")."""
        value = self.values[i]
        if isinstance(value, bytes):
            return value.decode("ascii")
        return value


def tokenize(data: bytes) -> Tokens:
    toks = Tokens(data)
    kinds = toks.kinds
    values = toks.values
    add_kind = kinds.append
    add_value = values.append
    fixed_kinds = _FIXED_KINDS
    start = _START
    for raw in _FAST.findall(data):
        kind = fixed_kinds.get(raw)
        if kind is not None:
            add_kind(kind)
            add_value(kind)
            continue
        if not raw:
            add_kind(EOF)
            add_value("")
            return toks
        kind = start[raw[0]]
        if kind == SYMBOL:
            add_kind(SYMBOL)
            add_value(raw.decode("ascii"))
        elif kind == NUMBER:
            if raw[-1:] == b"." or raw == b"-":  # "3.", "-.", "." are incomplete; "-" starts nothing
                break
            add_kind(NUMBER)
            add_value(raw)
        elif len(raw) < 2:  # a byte that starts no token, or an unclosed string or regexp
            break
        elif kind == "D":
            add_kind(STRING)
            add_value(_unescape(raw[1:-1], _DQ_ESCAPES))
        elif kind == REGEXP:
            add_kind(REGEXP)
            add_value(_unescape(raw[1:-1], _RE_ESCAPES))
        else:  # "B"
            add_kind(STRING)
            add_value(_unescape(raw[1:-1], _BQ_ESCAPES))
    return _tokenize_exact(data)


def _tokenize_exact(data: bytes) -> Tokens:
    """One anchored match per token, recording the ends; stops at the first lexer failure."""
    toks = Tokens(data, ends=[])
    kinds = toks.kinds
    values = toks.values
    ends = toks.ends
    assert ends is not None
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
            break
        if group == "N" and m.group("N")[-1:] == b".":
            toks.error = INCOMPLETE_TOKEN  # "3.", "-." and "." are incomplete numbers
            break
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
            kinds.append(NUMBER)
            values.append(m.group("N"))
        elif group == "R":
            kinds.append(REGEXP)
            values.append(_unescape(m.group("R")[1:-1], _RE_ESCAPES))
        else:  # "B"
            kinds.append(STRING)
            values.append(_unescape(m.group("B")[1:-1], _BQ_ESCAPES))
        ends.append(end)
        pos = end
    kinds.append(EOF)
    values.append("")
    ends.append(end)
    return toks


def _failure(data: bytes, pos: int) -> tuple[str, int]:
    """Why no token starts at ``pos``, and where lexing stopped."""
    c = data[pos : pos + 1]
    if c == b"/" and pos + 1 == len(data):
        return INVALID_CHARACTER, pos
    if c in (b'"', b"`", b"/"):
        return INCOMPLETE_TOKEN, len(data)  # an unclosed string or regexp runs to the end
    return UNEXPECTED_TOKEN, pos

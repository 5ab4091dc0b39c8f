"""Parsing a document that changes a little at a time (a routes file with thousands of routes).

``DocumentParser.parse(text)`` returns what ``parse(text)`` returns (the same routes, or the same
``ParseError``), but a definition whose text is unchanged since the previous call comes back as
the very same ``Route`` object without being parsed again. The route supervisor re-reads a routes
file on every change; with 10,000 routes a full parse costs about 0.3 s of CPU on the core the
workers serve from, while one changed route costs one definition's parse. Downstream, the
supervisor's caches of validation and encoding are keyed by the ``Route`` object, so an unchanged
definition costs nothing there either.

How it works
------------
The text is cut at every ``;`` that is a token of its own: one regular expression steps over
strings, regexp literals and comments, whose ``;`` do not count, exactly as the lexer tokenizes
them. Each piece (a definition and its ``;``, without the whitespace before it) is looked up
by its bytes, in passes that run in C (``findall``, ``map``); a piece not seen last time is
parsed alone, as a document of its own.

A piece parses alone to the routes it contributes to the whole document when it holds one
``id: route`` definition (or nothing but a ``;``): tokens never span a top-level ``;``, and the
grammar of a document is a ``;``-separated list of definitions, each checked on its own after
parsing. Anything else (an anonymous route, a piece that fails to parse, text the cutter cannot
step over, such as an unclosed string) is handed to the full parser: errors always come from
parsing the whole document, so their positions and wording are Skipper's.
"""

from __future__ import annotations

import re
from itertools import chain
from typing import cast

from skipperd.eskip.lexer import _SKIP
from skipperd.eskip.parser import parse
from skipperd.eskip.route import Route

# A definition up to and including its ";": runs of bytes that cannot open a string, a regexp,
# a comment or end the definition; strings; comments (before regexps: "//" is always a comment);
# regexp literals. The lexer's patterns, with the loops unrolled (a run of plain bytes is one step).
_PIECE = re.compile(
    rb"""(?: [^;"`/]++
         | " [^"\\]*+ (?: \\. [^"\\]*+ )*+ "
         | ` [^`\\]*+ (?: \\. [^`\\]*+ )*+ `
         | //[^\n]*+
         | / (?: [^/\\\[]++ | \\. | \[ (?: [^\]\\]++ | \\. )*+ \] )*+ /
         )*+ ;""",
    re.VERBOSE | re.DOTALL,
)
# A piece that starts with "id:" after whitespace and comments: a named definition.
_NAMED = re.compile(_SKIP + rb"[A-Za-z_][A-Za-z0-9_]*+" + _SKIP + rb":", re.VERBOSE | re.DOTALL)
# A piece of nothing but whitespace, comments and its ";": an empty definition.
_EMPTY = re.compile(_SKIP + rb";", re.VERBOSE | re.DOTALL)

_Piece = tuple[Route, ...]


class DocumentParser:
    """``parse`` with a memory of the previous document's definitions (not thread-safe)."""

    __slots__ = ("_pieces", "parsed", "reused")

    def __init__(self) -> None:
        self._pieces: dict[bytes, _Piece] = {}
        self.parsed = 0  # pieces parsed by the last call (the whole document counts as one)
        self.reused = 0  # pieces taken from the previous call (or from earlier in the document)

    def parse(self, text: str | bytes) -> list[Route]:
        """The routes of ``text`` (``str``, or UTF-8 ``bytes``); raises ``ParseError`` as ``parse``."""
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        found: list[bytes] = _PIECE.findall(data)
        end = sum(map(len, found))
        if end != len(data) and data.find(b";", end) >= 0:
            # The cutter skipped bytes it could not step over (an unclosed string or regexp):
            # the document does not parse, and the full parser says why.
            return self._whole(data)
        pieces = list(map(bytes.lstrip, found))
        rest = data[end:].lstrip()
        if rest and not _EMPTY.fullmatch(rest + b"\n;"):  # a last definition without its ";"
            pieces.append(rest)
        # Passes in C over all pieces; Python code only for the pieces not seen last time.
        got: list[_Piece | None] = list(map(self._pieces.get, pieces))
        parsed = got.count(None)
        if parsed:
            fresh: dict[bytes, _Piece] = {}
            i = -1
            for _ in range(parsed):
                i = got.index(None, i + 1)
                piece = pieces[i]
                routes = fresh.get(piece)
                if routes is None:
                    alone = _alone(piece)
                    if alone is None:
                        return self._whole(data)
                    routes = fresh[piece] = alone
                got[i] = routes
            parsed = len(fresh)
        done = cast("list[_Piece]", got)  # no None left
        self._pieces = dict(zip(pieces, done))
        self.parsed, self.reused = parsed, len(pieces) - parsed
        return list(chain.from_iterable(done))

    def _whole(self, data: bytes) -> list[Route]:
        """The full parser's answer (and its error); the memory is kept for the next call."""
        self.parsed, self.reused = 1, 0
        return parse(data.decode("utf-8", "surrogatepass"))


def _alone(piece: bytes) -> _Piece | None:
    """The routes of one piece parsed as a document, or None when it must not be parsed alone."""
    if not _NAMED.match(piece):
        if _EMPTY.fullmatch(piece):
            return ()  # an empty definition: ";" is skipped by the grammar
        return None
    try:  # one route: "id:" opens the piece, and its only top-level ";" ends it
        return tuple(parse(piece.decode("utf-8", "surrogatepass")))
    except Exception:  # ParseError, or bytes that are not UTF-8: the whole document decides
        return None

"""Route regular expressions: Go's RE2 syntax and semantics, run by RE2 (the google-re2 package).

Skipper's regexp arguments are Go ``regexp`` expressions. Go's engine is RE2: matching takes time
linear in the input whatever the expression, and the syntax has no backreferences or
lookaround. Python's ``re`` backtracks (``^/(a+)+$`` against thirty ``a`` and a ``b`` takes
minutes), so every predicate and filter that takes a regexp compiles it here instead, with
``compile_re2(spec_name, source)``. An expression RE2 rejects raises ``InvalidArguments`` with
RE2's own message, so the route is dropped alone and reported at ``/routes/invalid``.

``Regexp`` answers what the callers need:

* ``matches(text)``: Go's ``MatchString`` (an unanchored search), a boolean, the cheapest call
  (predicates use it on the request path);
* ``search(text)`` / ``fullmatch(text)``: a ``RegexpMatch`` with groups, or ``None``;
* ``sub(template, text)``: Go's ``ReplaceAllString``: ``$1``, ``${1}``, ``$name``, ``${name}`` and
  ``$$`` expand as Go's ``Regexp.Expand`` does (``$1x`` is the group named ``1x``, empty);
* ``sub_literal(replacement, text)``: Go's ``ReplaceAllLiteralString``.

Text is matched as UTF-8 (lone surrogates pass through), as Go matches the bytes of a string.
RE2's options are Go's: leftmost-first, ``$`` is the end of the text unless ``(?m)``, ``.``
does not match a newline unless ``(?s)``; RE2 logs nothing on a bad expression.
"""

from __future__ import annotations

from typing import Any

from re2 import _re2

from skipperd.errors import InvalidArguments

_UNANCHORED = _re2.RE2.Anchor.UNANCHORED
_ANCHOR_BOTH = _re2.RE2.Anchor.ANCHOR_BOTH
_NO_MATCH = (-1, -1)


def _options(capture: bool) -> Any:
    o = _re2.RE2.Options()
    o.log_errors = False
    o.never_capture = not capture
    return o


_CAPTURE = _options(True)
_NO_CAPTURE = _options(False)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


class RegexpMatch:
    """One match: the spans of the whole match and its groups, over the text matched."""

    __slots__ = ("_data", "_spans", "_names")

    def __init__(self, data: bytes, spans: list[tuple[int, int]], names: dict[str, int]) -> None:
        self._data = data
        self._spans = spans
        self._names = names

    def _index(self, group: int | str) -> int:
        return self._names[group] if isinstance(group, str) else group

    def group(self, group: int | str = 0) -> str | None:
        s, e = self._spans[self._index(group)]
        return None if s < 0 else _decode(self._data[s:e])

    def groups(self) -> tuple[str | None, ...]:
        return tuple(self.group(i) for i in range(1, len(self._spans)))

    def groupdict(self) -> dict[str, str | None]:
        return {name: self.group(i) for name, i in self._names.items()}

    def span(self, group: int | str = 0) -> tuple[int, int]:
        """Character offsets (``(-1, -1)`` for a group that took no part)."""
        s, e = self._spans[self._index(group)]
        if s < 0:
            return _NO_MATCH
        return len(_decode(self._data[:s])), len(_decode(self._data[:e]))

    def start(self, group: int | str = 0) -> int:
        return self.span(group)[0]

    def end(self, group: int | str = 0) -> int:
        return self.span(group)[1]


class Regexp:
    """A compiled route regexp (see the module docstring)."""

    __slots__ = ("pattern", "_groupindex", "_test", "_full")

    def __init__(self, pattern: str, test: Any) -> None:
        self.pattern = pattern
        self._test = test    # never captures: the cheap yes/no
        self._full: Any = None    # captures, compiled on first use
        self._groupindex: dict[str, int] = {}

    @property
    def groups(self) -> int:
        """The number of capturing groups."""
        return self._capturing().NumberOfCapturingGroups()  # type: ignore[no-any-return]

    @property
    def groupindex(self) -> dict[str, int]:
        """Group numbers by name."""
        self._capturing()
        return self._groupindex

    def __repr__(self) -> str:
        return f"Regexp({self.pattern!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Regexp) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def matches(self, text: str) -> bool:
        """Go's ``MatchString``: whether the expression matches anywhere in ``text``."""
        data = _encode(text)
        return self._test.Match(_UNANCHORED, data, 0, len(data))[0][0] >= 0  # type: ignore[no-any-return]

    def find_bytes(self, data: bytes, pos: int = 0) -> tuple[int, int]:
        """The span of the leftmost match in ``data[pos:]`` (byte offsets into ``data``), or
        ``(-1, -1)``: for filters that edit bodies as bytes (sed)."""
        s, e = self._capturing().Match(_UNANCHORED, data, pos, len(data))[0]
        return int(s), int(e)

    def _capturing(self) -> Any:
        full = self._full
        if full is None:
            full = self._full = _re2.RE2(_encode(self.pattern), _CAPTURE)
            groups = full.NamedCapturingGroups()
            pairs = groups.items() if isinstance(groups, dict) else groups
            self._groupindex = {_decode(k) if isinstance(k, bytes) else str(k): int(v) for k, v in pairs}
        return full

    def _match(self, text: str, anchor: Any) -> RegexpMatch | None:
        full = self._capturing()
        data = _encode(text)
        spans = full.Match(anchor, data, 0, len(data))
        if spans[0][0] < 0:
            return None
        return RegexpMatch(data, list(spans), self._groupindex)

    def search(self, text: str) -> RegexpMatch | None:
        return self._match(text, _UNANCHORED)

    def fullmatch(self, text: str) -> RegexpMatch | None:
        return self._match(text, _ANCHOR_BOTH)

    def _replace(self, text: str, repl: bytes, expand: bool, count: int = 0) -> str:
        full = self._capturing()
        data = _encode(text)
        end = len(data)
        out: list[bytes] = []
        pos = 0          # where the next search starts
        copied = 0       # data[:copied] is in out
        last_end = -1    # end of the previous match (Go: no empty match right after a match)
        n = 0
        while pos <= end:
            spans = full.Match(_UNANCHORED, data, pos, end)
            s, e = spans[0]
            if s < 0:
                break
            if not (s == e and s == last_end):
                out.append(data[copied:s])
                out.append(_expand(repl, data, spans, self._groupindex) if expand else repl)
                copied = e
                n += 1
                if count and n >= count:
                    break
            last_end = e
            if e > pos:
                pos = e
            else:
                # An empty match: step over one character (a whole UTF-8 sequence, as Go does).
                pos += _char_len(data, pos)
        if not n:
            return text
        out.append(data[copied:])
        return _decode(b"".join(out))

    def sub(self, template: str, text: str, count: int = 0) -> str:
        """Go's ``ReplaceAllString``: every match replaced by ``template``, with ``$`` expanded."""
        return self._replace(text, _encode(template), True, count)

    def sub_literal(self, replacement: str, text: str, count: int = 0) -> str:
        """Go's ``ReplaceAllLiteralString``: every match replaced by ``replacement`` as it is."""
        return self._replace(text, _encode(replacement), False, count)


def _char_len(data: bytes, i: int) -> int:
    if i >= len(data):
        return 1
    b = data[i]
    if b < 0x80:
        return 1
    n = 2 if b >> 5 == 0b110 else 3 if b >> 4 == 0b1110 else 4 if b >> 3 == 0b11110 else 1
    return n if i + n <= len(data) else 1


def _is_name_byte(c: int) -> bool:
    return c == 0x5F or 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _expand(template: bytes, data: bytes, spans: Any, names: dict[str, int]) -> bytes:
    """Go's ``Regexp.Expand`` over bytes."""
    out: list[bytes] = []
    i = 0
    n = len(template)
    while i < n:
        j = template.find(b"$", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        i = j + 1
        if i < n and template[i] == 0x24:  # $$
            out.append(b"$")
            i += 1
            continue
        name = b""
        if i < n and template[i] == 0x7B:  # ${name}
            k = template.find(b"}", i + 1)
            cand = template[i + 1:k] if k > 0 else b""
            if k > 0 and cand and all(_is_name_byte(c) for c in cand):
                name = cand
                i = k + 1
        else:
            k = i
            while k < n and _is_name_byte(template[k]):
                k += 1
            if k > i:
                name = template[i:k]
                i = k
        if not name:
            out.append(b"$")  # Go: a malformed reference is copied as it is
            continue
        text = name.decode("ascii")
        idx = int(text) if text.isdigit() else names.get(text, -1)
        if 0 <= idx < len(spans):
            s, e = spans[idx]
            if s >= 0:
                out.append(data[s:e])
    return b"".join(out)


def compile_re2(name: str, source: str, capture: bool = False) -> Regexp:
    """Compile a route regexp; ``InvalidArguments(name, ...)`` with RE2's reason when it is not valid.

    ``capture``: compile the capturing form now too (filters that replace or extract do; a
    predicate only asks yes or no).
    """
    data = _encode(source)
    test = _re2.RE2(data, _NO_CAPTURE)
    if not test.ok():
        err = test.error()
        reason = err.decode("utf-8", "replace") if isinstance(err, bytes) else str(err)
        raise InvalidArguments(name, f"invalid regular expression {source!r}: {reason}")
    rx = Regexp(source, test)
    if capture:
        rx._capturing()
    return rx

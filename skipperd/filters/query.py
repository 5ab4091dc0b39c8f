"""Query filters: stripQuery, headerToQuery, queryToHeader.

``stripQuery([preserve])`` removes the query; with ``"true"`` (any case) each parameter first
becomes an ``X-Query-Param-<name>`` request header (the name reduced to letters, digits and
dashes). ``headerToQuery(header, param)`` sets a query parameter to a request header's value
(empty when the header is absent); the query is then re-encoded with sorted keys, as Go's
``url.Values.Encode``. ``queryToHeader(param, header[, format])`` sets a request header from a
query parameter when the header is not already set and the parameter is not empty; ``format``
is a Go format string whose ``%s`` (or ``%v``) takes the value, e.g. ``"Bearer %s"``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.header_ops import header_name
from skipperd.filters.spec import Spec
from skipperd.filters.values import header_value_ok
from skipperd.http.context import FilterContext
from skipperd.params import STRING, Param


_GO_ESCAPES = {"\a": "a", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", "\v": "v"}


def _go_ascii(c: str) -> str:
    """One character as Go's ``strconv.QuoteToASCII`` writes it (less the backslash)."""
    o = ord(c)
    if c in _GO_ESCAPES:
        return _GO_ESCAPES[c]
    if o < 0x20 or o == 0x7F:
        return f"x{o:02x}"
    if o < 0x80:
        return c
    return f"u{o:04x}" if o < 0x10000 else f"U{o:08x}"


def sanitize_name(name: str) -> str:
    """Skipper's header-name sanitiser: Go-quote the text as ASCII and keep ``[A-Za-z0-9-]``."""
    quoted = "".join(_go_ascii(c) for c in name)
    return "".join(c for c in quoted if c.isascii() and (c.isalnum() or c == "-"))


class StripQuery:
    __slots__ = ("preserve",)

    def __init__(self, preserve: bool) -> None:
        self.preserve = preserve

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        if not req.query:
            return
        if self.preserve:
            h = req.headers
            for k, values in req.query_params().items():
                for v in values:
                    if header_value_ok(v):
                        h.add(f"X-Query-Param-{sanitize_name(k)}", v)
        req.set_query("")


class StripQuerySpec(Spec):
    name = names.STRIP_QUERY
    summary = 'removes the query; with "true" its parameters become X-Query-Param-<name> headers'
    params = (Param("preserveAsHeader", STRING, '"true": keep the parameters as request headers', optional=True),)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return StripQuery(bool(args) and str(args[0]).lower() == "true")


def go_encode(pairs: list[tuple[str, str]]) -> str:
    """``url.Values.Encode``: keys sorted (stable for the values of one key), QueryEscape'd."""
    return urlencode(sorted(pairs, key=lambda kv: kv[0]))


class HeaderToQuery:
    __slots__ = ("header", "param")

    def __init__(self, header: str, param: str) -> None:
        self.header = header
        self.param = param

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        value = req.headers.get(self.header) or ""
        pairs = [(k, v) for k, v in parse_qsl(req.query, keep_blank_values=True) if k != self.param]
        pairs.append((self.param, value))
        req.set_query(go_encode(pairs))


class HeaderToQuerySpec(Spec):
    name = names.HEADER_TO_QUERY
    summary = "sets a query parameter to the value of a request header"
    params = (Param("header", STRING, "request header to read"), Param("param", STRING, "query parameter to set"))

    def make(self, args: tuple[Arg, ...]) -> Any:
        return HeaderToQuery(str(args[0]), str(args[1]))


def go_format(fmt: str) -> tuple[str, str]:
    """Split a one-verb Go format (``%s`` or ``%v``; ``%%`` is a percent sign) around its verb."""
    out: list[str] = []
    before: str | None = None
    i, n = 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c == "%" and i + 1 < n:
            nxt = fmt[i + 1]
            if nxt == "%":
                out.append("%")
                i += 2
                continue
            if nxt in "sv" and before is None:
                before = "".join(out)
                out = []
                i += 2
                continue
            raise ValueError(f"unsupported verb %{nxt} (only one %s or %v)")
        out.append(c)
        i += 1
    if before is None:
        # Go appends "%!(EXTRA string=value)"; a format without a verb is a mistake.
        raise ValueError("the format has no %s")
    return before, "".join(out)


def first_value(query: str, name: str) -> str | None:
    """``url.Values.Get``: the first value of ``name`` in a raw query, decoded; without parsing
    the whole query into a dict (this runs per request)."""
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        if key == name:
            return unquote_plus(value) if "%" in value or "+" in value else value
    return None


class QueryToHeader:
    __slots__ = ("param", "needle", "header", "lower", "prefix", "suffix")

    def __init__(self, param: str, header: str, prefix: str, suffix: str) -> None:
        self.param = param
        self.needle = param + "="
        self.header = header
        self.lower = header.lower()
        self.prefix = prefix
        self.suffix = suffix

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        current = req.headers.get(self.lower)
        if current or not req.query:
            return
        q = req.query
        if "%" in q or "+" in q:
            v = first_value(q, self.param)
            if v and not header_value_ok(v):  # a decoded %0D%0A: never into a header
                return
        else:
            # Nothing to decode: find "param=" at the start or after a "&" without splitting.
            needle = self.needle
            i = 0 if q.startswith(needle) else q.find("&" + needle) + 1
            if i == 0 and not q.startswith(needle):
                return
            start = i + len(needle)
            end = q.find("&", start)
            v = q[start:] if end < 0 else q[start:end]
        if not v:
            return
        # Undecoded, a request line's query holds no CR, LF or NUL; prefix and suffix were checked.
        value = f"{self.prefix}{v}{self.suffix}"
        if current is None:
            req.headers.raw().append((self.lower, self.header, value))  # absent: no scan to replace
        else:
            req.headers.set_field(self.lower, self.header, value)


class QueryToHeaderSpec(Spec):
    name = names.QUERY_TO_HEADER
    summary = "sets a request header from a query parameter, unless the header is already set"
    params = (Param("param", STRING, "query parameter to read"), Param("header", STRING, "request header to set"),
              Param("format", STRING, 'Go format of the value, e.g. "Bearer %s"', optional=True))

    def make(self, args: tuple[Arg, ...]) -> Any:
        header = header_name(self.name, args[1])
        try:
            prefix, suffix = go_format(str(args[2])) if len(args) == 3 else ("", "")
        except ValueError as e:
            raise InvalidArguments(self.name, f"invalid format {args[2]!r}: {e}") from None
        if not header_value_ok(prefix + suffix):
            raise InvalidArguments(self.name, "a header value cannot contain CR, LF or NUL")
        return QueryToHeader(str(args[0]), header, prefix, suffix)

"""The eskip parser: text in, route definitions out (pure; no I/O).

How it works
------------
1. The text is encoded as UTF-8 and lexed in one pass into a token table (``lexer.py``); every
   position is a byte offset, as in Skipper.
2. A hand-written recursive-descent parser walks the table with one token of lookahead. The
   grammar (Skipper's yacc grammar) is LL(1) except at the start of a document, where a symbol is
   either a route id (``r:``) or the first predicate of an anonymous route (``P(``); the parser
   takes the symbol and decides on the token after it, which is what an LR parser does too.
   Because both kinds of parser stop at the first token that cannot continue a valid prefix,
   the error names the same token and position as Skipper's yacc parser:
   ``parse failed after token <T>[, last route id: <ID>], position <N>: <reason>``.
   ``<T>`` is the last token lexed (the lookahead that failed, or the one before the end),
   ``<N>`` the byte offset where lexing stopped, ``<ID>`` the id of the last ``id:`` seen.
3. A lexer failure reads as the end of the input. If the parser would have accepted the input
   there, the lexer's reason is reported (``invalid character``, ``incomplete token``,
   ``unexpected token``); otherwise ``syntax error``. Either way the parse fails.
4. A document that parsed is then checked route by route, as Skipper does after parsing: LB endpoints
   must be request URIs of one scheme (a ``zone`` query is split off), the predicates with
   fixed shapes (``Path``, ``Method``, ``Host``, ``PathRegexp``, ``Header``, ``HeaderRegexp``)
   are checked, and ``*``/``Any`` are dropped. The first failure rejects the whole document.

The filter-list and predicate-list entry points trim the text (Go's ``strings.TrimSpace``) and
skip step 4; a predicate list drops only ``*``.
"""

from __future__ import annotations

import re
from typing import NoReturn
from urllib.parse import quote_plus, unquote_to_bytes

from skipperd.errors import SkipperdError
from skipperd.eskip.lexer import EOF, NUMBER, REGEXP, STRING, SYMBOL, Tokens, tokenize
from skipperd.eskip.route import (
    DYNAMIC,
    FORWARD,
    LOOPBACK,
    SHUNT,
    Arg,
    Backend,
    BackendType,
    Filter,
    Predicate,
    Route,
)

__all__ = ["ParseError", "RouteDefinitionError", "parse", "parse_filters", "parse_predicates", "go_quote"]


class ParseError(SkipperdError):
    """eskip text that is not a valid document, filter list or predicate list.

    For a syntax or lexer error, ``position`` is the byte offset where lexing stopped,
    ``token`` the last token lexed (strings unquoted) and ``route_id`` the last route id seen
    ("" when none); ``reason`` is ``syntax error`` or the lexer's reason. The message is
    Skipper's, word for word.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        position: int | None = None,
        token: str | None = None,
        route_id: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.position = position
        self.token = token
        self.route_id = route_id

    def describe(self) -> str:
        """The message, naming the route when the message itself does not."""
        return self.message


class RouteDefinitionError(ParseError):
    """A document that parsed but has a route Skipper's parser rejects (section 3 checks).

    ``route_id`` is the id of the offending route; ``position`` and ``token`` are ``None``.
    The message is Skipper's (``duplicate path tree predicate``, ``invalid route "r": ...``,
    ``parse "<endpoint>": invalid URI for request`` ...), some of which do not name the route;
    ``describe()`` adds it.
    """

    def __init__(self, route_id: str, message: str) -> None:
        super().__init__(message, reason=message, route_id=route_id)

    def describe(self) -> str:
        if not self.route_id or self.message.startswith("invalid route "):
            return self.message
        return f"route {go_quote(self.route_id)}: {self.message}"


# -- entry points -------------------------------------------------------------------------------


def parse(text: str) -> list[Route]:
    """Parse a routing document: one anonymous route, or zero or more ``id: route`` separated by ``;``."""
    parser = _Parser(tokenize(text.encode("utf-8", "surrogatepass")))
    parsed = parser.document()
    return [_definition(*r) for r in parsed]


def parse_filters(text: str) -> list[Filter]:
    """Parse a filter chain, ``f1() -> f2("x")``; blank text (or only comments) is no filters."""
    text = text.strip(_GO_SPACE)
    if not text:
        return []
    return _Parser(tokenize(text.encode("utf-8", "surrogatepass"))).filter_list()


def parse_predicates(text: str) -> list[Predicate]:
    """Parse a predicate list, ``P1() && P2()``; ``*`` is dropped, nothing is checked."""
    text = text.strip(_GO_SPACE)
    if not text:
        return []
    predicates = _Parser(tokenize(text.encode("utf-8", "surrogatepass"))).predicate_list()
    return [p for p in predicates if p is not _STAR]


# Go's unicode.IsSpace, which strings.TrimSpace uses (Python's str.strip() would also take
# U+001C..U+001F).
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"

# -- syntax -------------------------------------------------------------------------------------

_STAR = Predicate("*")
_SPECIAL_BACKENDS = {"<shunt>": SHUNT, "<loopback>": LOOPBACK, "<dynamic>": DYNAMIC, "<forward>": FORWARD}

# A route as the grammar sees it, before the section 3 checks: id, predicates (with ``*``),
# filters, backend (LB endpoints still as written).
_Parsed = tuple[str, list[Predicate], tuple[Filter, ...], Backend]


class _Parser:
    __slots__ = ("toks", "kinds", "values", "last_route_id")

    def __init__(self, toks: Tokens) -> None:
        self.toks = toks
        self.kinds = toks.kinds
        self.values = toks.values
        self.last_route_id = ""

    # The grammar's start symbols. Each ends by requiring the end of the input.

    def document(self) -> list[_Parsed]:
        kinds = self.kinds
        values = self.values
        first = kinds[0]
        if first == "*" or (first == SYMBOL and kinds[1] == "("):
            predicates, filters, backend, i = self.route(0)
            if kinds[i] != EOF:
                self.fail(i)  # an anonymous route is the whole document
            self.accept()
            return [("", predicates, filters, backend)]
        routes: list[_Parsed] = []
        i = 0
        while True:
            kind = kinds[i]
            if kind == ";":
                i += 1
                continue
            if kind == EOF:
                break
            if kind != SYMBOL:
                self.fail(i)
            if kinds[i + 1] != ":":
                self.fail(i + 1)
            route_id = values[i]
            assert isinstance(route_id, str)
            # Skipper records the id as soon as it has seen "id:", so an error inside the
            # route (or in the token right after the colon) names it.
            self.last_route_id = route_id
            predicates, filters, backend, i = self.route(i + 2)
            routes.append((route_id, predicates, filters, backend))
            kind = kinds[i]
            if kind == ";":
                i += 1
            elif kind != EOF:
                self.fail(i)  # routes are separated by ";"
        self.accept()
        return routes

    def filter_list(self) -> list[Filter]:
        kinds = self.kinds
        filters: list[Filter] = []
        i = 0
        if kinds[0] != EOF:
            while True:
                name, args, i = self.call(i)
                filters.append(Filter(name, args))
                if kinds[i] == "->":
                    i += 1
                    continue
                if kinds[i] != EOF:
                    self.fail(i)
                break
        self.accept()
        return filters

    def predicate_list(self) -> list[Predicate]:
        predicates: list[Predicate] = []
        i = 0
        if self.kinds[0] != EOF:
            predicates, i = self.predicates(0)
            if self.kinds[i] != EOF:
                self.fail(i)
        self.accept()
        return predicates

    # Productions. Each takes the index of its first token and returns the index after it.

    def route(self, i: int) -> tuple[list[Predicate], tuple[Filter, ...], Backend, int]:
        kinds = self.kinds
        predicates, i = self.predicates(i)
        if kinds[i] != "->":
            self.fail(i)
        i += 1
        filters: list[Filter] = []
        while kinds[i] == SYMBOL:  # a symbol after "->" starts a filter, anything else a backend
            name, args, i = self.call(i)
            filters.append(Filter(name, args))
            if kinds[i] != "->":
                self.fail(i)  # the backend comes last
            i += 1
        backend, i = self.backend(i)
        return predicates, tuple(filters), backend, i

    def predicates(self, i: int) -> tuple[list[Predicate], int]:
        kinds = self.kinds
        predicates: list[Predicate] = []
        while True:
            kind = kinds[i]
            if kind == "*":
                predicates.append(_STAR)
                i += 1
            elif kind == SYMBOL:
                name, args, i = self.call(i)
                predicates.append(Predicate(name, args))
            else:
                self.fail(i)
            if kinds[i] != "&&":
                return predicates, i
            i += 1

    def call(self, i: int) -> tuple[str, tuple[Arg, ...], int]:
        """A predicate or filter: ``SYMBOL "(" args ")"``."""
        if self.kinds[i] != SYMBOL:
            self.fail(i)
        name = self.values[i]
        assert isinstance(name, str)
        if self.kinds[i + 1] != "(":
            self.fail(i + 1)
        args, i = self.args(i + 2)
        return name, args, i

    def args(self, i: int) -> tuple[tuple[Arg, ...], int]:
        """Arguments after "(", up to and including ")"."""
        kinds = self.kinds
        values = self.values
        kind = kinds[i]
        if kind == ")":
            return (), i + 1
        if kind == ",":
            i += 1  # Skipper's grammar lets one comma open the list: f(,1) is f(1)
        args: list[Arg] = []
        while True:
            kind = kinds[i]
            value = values[i]
            if kind == NUMBER:
                assert isinstance(value, bytes)
                args.append(float(value))
            elif kind == STRING or kind == REGEXP:
                assert isinstance(value, str)
                args.append(value)
            else:
                self.fail(i)
            i += 1
            kind = kinds[i]
            if kind == ")":
                return tuple(args), i + 1
            if kind != ",":
                self.fail(i)
            i += 1

    def backend(self, i: int) -> tuple[Backend, int]:
        kind = self.kinds[i]
        if kind == STRING:
            address = self.values[i]
            assert isinstance(address, str)
            return Backend(BackendType.NETWORK, address=address), i + 1
        special = _SPECIAL_BACKENDS.get(kind)
        if special is not None:
            return special, i + 1
        if kind == "<":
            return self.lb_backend(i + 1)
        self.fail(i)

    def lb_backend(self, i: int) -> tuple[Backend, int]:
        """``[algorithm ","] endpoint {"," endpoint} ">"`` after the opening "<"."""
        kinds = self.kinds
        values = self.values
        algorithm: str | None = None
        if kinds[i] == SYMBOL:
            value = values[i]
            assert isinstance(value, str)
            algorithm = value
            if kinds[i + 1] != ",":
                self.fail(i + 1)
            i += 2
        endpoints: list[str] = []
        while True:
            if kinds[i] != STRING:
                self.fail(i)
            value = values[i]
            assert isinstance(value, str)
            endpoints.append(value)
            kind = kinds[i + 1]
            if kind == ">":
                return Backend(BackendType.LB, algorithm=algorithm, endpoints=tuple(endpoints)), i + 2
            if kind != ",":
                self.fail(i + 1)
            i += 2

    # Errors.

    def accept(self) -> None:
        """The parser reached the end; a lexer failure that ended the input still fails."""
        if self.toks.error is not None:
            raise self.error(len(self.kinds) - 1, self.toks.error)

    def fail(self, i: int) -> NoReturn:
        raise self.error(i, "syntax error")

    def error(self, i: int, reason: str) -> ParseError:
        toks = self.toks
        position = toks.end(i)
        if toks.kinds[i] == EOF:
            i -= 1  # the end (or a lexer failure) is no token; name the one before it
        token = toks.text(i) if i >= 0 else ""
        where = f", last route id: {self.last_route_id}" if self.last_route_id else ""
        message = f"parse failed after token {token}{where}, position {position}: {reason}"
        return ParseError(message, reason=reason, position=position, token=token, route_id=self.last_route_id)


# -- checks after parsing, as Skipper's ---------------------------------------------------------

# Predicates whose shape the parser checks: name -> number of string arguments.
_SHAPES = {"Path": 1, "Method": 1, "Host": 1, "PathRegexp": 1, "Header": 2, "HeaderRegexp": 2}


def _definition(route_id: str, predicates: list[Predicate], filters: tuple[Filter, ...], backend: Backend) -> Route:
    if backend.type is BackendType.LB:
        backend = _check_lb(route_id, backend)
    kept: list[Predicate] = []
    path_set = method_set = False
    headers: set[str] = set()
    for p in predicates:
        name = p.name
        shape = _SHAPES.get(name)
        if shape is None:
            if name != "*" and name != "Any":
                kept.append(p)
            continue
        # The duplicate checks come before the argument check, as in Skipper: Path("/a") &&
        # Path(1) is a duplicate, Path(1) && Path("/a") has a bad argument.
        if name == "Path" and path_set:
            raise RouteDefinitionError(route_id, "duplicate path tree predicate")
        if name == "Method" and method_set:
            raise RouteDefinitionError(route_id, "duplicate method predicate")
        args = p.args
        if len(args) != shape or not all(isinstance(a, str) for a in args):
            expects = "1 string argument" if shape == 1 else f"{shape} string arguments"
            raise RouteDefinitionError(route_id, f"invalid route {go_quote(route_id)}: {name} predicate expects {expects}")
        if name == "Path":
            path_set = True
        elif name == "Method":
            method_set = True
        elif name == "Header":
            header = args[0]
            assert isinstance(header, str)
            if header in headers:
                raise RouteDefinitionError(route_id, f"duplicate header predicate: {header}")
            headers.add(header)
        kept.append(p)
    return Route(route_id, tuple(kept), filters, backend)


def _check_lb(route_id: str, backend: Backend) -> Backend:
    """Endpoints must be request URIs; the scheme may not change; ``?zone=`` becomes a zone."""
    scheme = ""
    for endpoint in backend.endpoints:
        reason, endpoint_scheme = _parse_request_uri(endpoint)
        if reason is not None:
            raise RouteDefinitionError(route_id, f"parse {go_quote(endpoint)}: {reason}")
        # Each endpoint is compared with the one before it, and only when that one had a
        # scheme: <"/p", "http://a"> passes, <"http://a", "/p"> does not (upstream quirk).
        if scheme and scheme != endpoint_scheme:
            raise RouteDefinitionError(route_id, "loadbalancer endpoints cannot have mixed protocols")
        scheme = endpoint_scheme
    split = [_split_zone(e) for e in backend.endpoints]
    if not any(zone for _, zone in split):
        return backend
    return Backend(
        BackendType.LB,
        algorithm=backend.algorithm,
        endpoints=tuple(address for address, _ in split),
        zones=tuple(zone for _, zone in split),
    )


# -- Go's net/url, as far as LB endpoints need it -----------------------------------------------
#
# ParseRequestURI: an absolute URI (scheme, then for "//" a host with an optional all-digit
# port) or an absolute path. No fragment is split off (a "#" in the host is an error). The
# error texts are Go's. Not covered: Go's IP-literal validation inside "[...]".

_HEX = frozenset("0123456789abcdefABCDEF")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_HOST_OK = _ALNUM | frozenset("-_.~!$&'()*+,;=:[]<>\"")
_USERINFO_OK = _ALNUM | frozenset("-._:~!$&'()*+,;=%@")
_CONTROL = re.compile("[\x00-\x1f\x7f]")


# The common endpoint, "scheme://host[:port][/path][?query]" with nothing to check further.
_PLAIN_URI = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://[A-Za-z0-9._~-]*(?::[0-9]*)?(?:/[^?%\x00-\x1f\x7f]*)?(?:\?[^\x00-\x1f\x7f]*)?")


def _parse_request_uri(raw: str) -> tuple[str | None, str]:
    """``(error reason or None, lower-cased scheme)`` for Go's ``url.ParseRequestURI(raw)``."""
    m = _PLAIN_URI.fullmatch(raw)
    if m is not None:
        return None, m.group(1).lower()
    if _CONTROL.search(raw):
        return "net/url: invalid control character in URL", ""
    if raw == "":
        return "empty url", ""
    if raw == "*":
        return None, ""
    scheme, rest = "", raw
    for i, c in enumerate(raw):
        if c == ":":
            if i == 0:
                return "missing protocol scheme", ""
            scheme, rest = raw[:i].lower(), raw[i + 1 :]
            break
        if c not in _SCHEME_CHARS or (i == 0 and not c.isalpha()):
            break
    rest = rest.partition("?")[0]  # (Go's ForceQuery, a lone "?" at the end, reads the same)
    if not rest.startswith("/"):
        return (None if scheme else "invalid URI for request"), scheme  # "scheme:opaque" passes
    if scheme and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        reason = _check_authority(authority)
        if reason is not None:
            return reason, scheme
        rest = slash + path
    return _check_escapes(rest, "path"), scheme


def _check_authority(authority: str) -> str | None:
    at = authority.rfind("@")
    host = authority[at + 1 :]
    if host.startswith("["):
        close = host.rfind("]")
        if close < 0:
            return "missing ']' in host"
        port = host[close + 1 :]
        if not _valid_optional_port(port):
            return f"invalid port {go_quote(port)} after host"
        zone = host.find("%25", 0, close)
        if zone >= 0:
            # (Go checks host[close:] too: "]" and a port checked above, it never fails.)
            reason = _check_escapes(host[:zone], "host") or _check_escapes(host[zone:close], "zone")
        else:
            reason = _check_escapes(host, "host")
    else:
        colon = host.rfind(":")
        if colon >= 0 and not _valid_optional_port(host[colon:]):
            return f"invalid port {go_quote(host[colon:])} after host"
        reason = _check_escapes(host, "host")
    if reason is not None or at < 0:
        return reason
    userinfo = authority[:at]
    if not all(c in _USERINFO_OK for c in userinfo):
        return "net/url: invalid userinfo"
    return _check_escapes(userinfo, "userinfo")


def _valid_optional_port(port: str) -> bool:
    return port == "" or (port[0] == ":" and all("0" <= c <= "9" for c in port[1:]))


def _check_escapes(s: str, mode: str) -> str | None:
    """Go's ``unescape`` validation: well-formed %XX, and in a host only allowed characters."""
    if "%" not in s and (mode == "path" or mode == "userinfo" or all(c in _HOST_OK or c >= "\x80" for c in s)):
        return None
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "%":
            if i + 2 >= n or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                return f"invalid URL escape {go_quote(s[i:i + 3])}"
            escape = s[i : i + 3]
            if mode == "host" and int(s[i + 1], 16) < 8 and escape != "%25":
                return f"invalid URL escape {go_quote(escape)}"  # a host escapes only non-ASCII bytes
            if mode == "zone":
                byte = chr(int(s[i + 1 : i + 3], 16))
                if escape != "%25" and byte != " " and byte not in _HOST_OK:
                    return f"invalid URL escape {go_quote(escape)}"
            i += 3
            continue
        if (mode == "host" or mode == "zone") and c < "\x80" and c not in _HOST_OK:
            return f"invalid character {go_quote(c)} in host name"
        i += 1
    return None


def _split_zone(endpoint: str) -> tuple[str, str]:
    """Skipper's LB endpoint zone: the first ``zone`` query value, removed from the address.

    Go re-encodes the remaining query (keys sorted, ``url.QueryEscape``) and serialises the
    URL again; the part before the query is kept here as written, which is what Go produces
    for the usual ``scheme://host:port/path`` endpoints.
    """
    if "?" not in endpoint:
        return endpoint, ""
    base, hash_mark, fragment = endpoint.partition("#")  # url.Parse splits the fragment first
    if _check_escapes(fragment, "path") is not None:
        return endpoint, ""  # url.Parse fails; Skipper keeps the endpoint as it is
    head, _, query = base.partition("?")
    values: dict[str, list[str]] = {}
    for pair in query.split("&"):
        if ";" in pair or not pair:
            continue  # Go rejects ";" separators and skips empty pairs
        key, _, value = pair.partition("=")
        k, v = _query_unescape(key), _query_unescape(value)
        if k is None or v is None:
            continue
        values.setdefault(k, []).append(v)
    zone = values.pop("zone", [""])[0]
    if not zone:
        return endpoint, ""
    encoded = "&".join(f"{query_escape(k)}={query_escape(v)}" for k in sorted(values) for v in values[k])
    return head + ("?" + encoded if encoded else "") + hash_mark + fragment, zone


_BAD_ESCAPE = re.compile("%(?![0-9A-Fa-f]{2})")


def _query_unescape(s: str) -> str | None:
    if _BAD_ESCAPE.search(s):
        return None
    if "%" not in s and "+" not in s:
        return s
    return unquote_to_bytes(s.replace("+", " ")).decode("utf-8", "surrogateescape")


def query_escape(s: str) -> str:
    """Go's ``url.QueryEscape``: unreserved bytes as they are, space as ``+``, others ``%XX``."""
    try:
        data = s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = s.encode("utf-8", "surrogatepass")
    return quote_plus(data, safe=b"")


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"'}


def go_quote(s: str) -> str:
    """Go's ``strconv.Quote`` (``%q``), used in Skipper's and Go's error messages."""
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return f'"{s}"'
    out = ['"']
    for c in s:
        escaped = _GO_ESCAPES.get(c)
        if escaped is not None:
            out.append(escaped)
        elif c < " " or c == "\x7f":
            out.append(f"\\x{ord(c):02x}")
        elif "\ud800" <= c <= "\udfff":  # not valid UTF-8: Go shows the bytes
            out.extend(f"\\x{b:02x}" for b in c.encode("utf-8", "surrogatepass"))
        elif c.isprintable():
            out.append(c)
        elif c <= "\uffff":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(f"\\U{ord(c):08x}")
    out.append('"')
    return "".join(out)

"""Predicates on the request line and header fields.

Method, Methods, Header, HeaderRegexp, Cookie, QueryParam and ContentLengthBetween, with
Skipper's semantics: ``Method`` compares exactly, ``Methods`` case-insensitively against the
standard methods; header names are case-insensitive and any one value of a repeated field may
match; regexps search (unanchored) like Go's ``MatchString``.
"""

from __future__ import annotations


from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments
from skipperd.http.request import Request
from skipperd.params import INT, Param, REGEXP, STRING
from skipperd.predicates import args as A
from skipperd.regexp import Regexp, compile_re2

STANDARD_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"))


class MethodPredicate:
    __slots__ = ("method",)

    def __init__(self, method: str) -> None:
        self.method = method

    def match(self, request: Request) -> bool:
        return request.method == self.method


class MethodSpec:
    name = names.METHOD
    summary = 'the request method is this one'
    params = (Param("method", STRING),)

    def create(self, args: tuple[Arg, ...]) -> MethodPredicate:
        A.count(self.name, args, 1)
        method = A.string(self.name, args[0], "method")
        if not method:
            raise InvalidArguments(self.name, "method must not be empty")
        return MethodPredicate(method)


class MethodsPredicate:
    __slots__ = ("methods",)

    def __init__(self, methods: frozenset[str]) -> None:
        self.methods = methods

    def match(self, request: Request) -> bool:
        return request.method.upper() in self.methods


class MethodsSpec:
    name = names.METHODS
    summary = 'the request method is one of these (case-insensitive)'
    params = (Param("method", STRING, variadic=True),)

    def create(self, args: tuple[Arg, ...]) -> MethodsPredicate:
        A.at_least_one(self.name, args)
        methods = [m.upper() for m in A.strings(self.name, args, "method")]
        for m in methods:
            if m not in STANDARD_METHODS:
                raise InvalidArguments(self.name, f"method {m!r} is not allowed, expected one of "
                                       f"{', '.join(sorted(STANDARD_METHODS))}")
        return MethodsPredicate(frozenset(methods))


def _header_name(spec: str, arg: Arg) -> str:
    name = A.string(spec, arg, "header name")
    if not name:
        raise InvalidArguments(spec, "header name must not be empty")
    return name


class HeaderPredicate:
    __slots__ = ("header", "value")

    def __init__(self, header: str, value: str) -> None:
        self.header = header
        self.value = value

    def match(self, request: Request) -> bool:
        return self.value in request.headers.get_all(self.header)


class HeaderSpec:
    name = names.HEADER
    summary = 'a value of the header equals the given one'
    params = (Param("name", STRING), Param("value", STRING))

    def create(self, args: tuple[Arg, ...]) -> HeaderPredicate:
        A.count(self.name, args, 2)
        return HeaderPredicate(_header_name(self.name, args[0]), A.string(self.name, args[1], "header value"))


class HeaderRegexpPredicate:
    __slots__ = ("header", "rx")

    def __init__(self, header: str, rx: Regexp) -> None:
        self.header = header
        self.rx = rx

    def match(self, request: Request) -> bool:
        matches = self.rx.matches
        for v in request.headers.get_all(self.header):
            if matches(v):
                return True
        return False


class HeaderRegexpSpec:
    name = names.HEADER_REGEXP
    summary = 'a value of the header matches the regexp'
    params = (Param("name", STRING), Param("regexp", REGEXP))

    def create(self, args: tuple[Arg, ...]) -> HeaderRegexpPredicate:
        A.count(self.name, args, 2)
        header = _header_name(self.name, args[0])
        return HeaderRegexpPredicate(header, compile_re2(self.name, A.string(self.name, args[1], "regular expression")))


class CookiePredicate:
    __slots__ = ("cookie", "rx")

    def __init__(self, cookie: str, rx: Regexp) -> None:
        self.cookie = cookie
        self.rx = rx

    def match(self, request: Request) -> bool:
        value = request.cookie(self.cookie)
        return value is not None and self.rx.matches(value)


class CookieSpec:
    name = names.COOKIE
    summary = 'the cookie is present and its value matches the regexp'
    params = (Param("name", STRING), Param("regexp", REGEXP))

    def create(self, args: tuple[Arg, ...]) -> CookiePredicate:
        A.count(self.name, args, 2)
        cookie = A.string(self.name, args[0], "cookie name")
        return CookiePredicate(cookie, compile_re2(self.name, A.string(self.name, args[1], "regular expression")))


class QueryParamPredicate:
    """Present (with any value, even empty), or with one value that the regexp matches."""

    __slots__ = ("param", "rx")

    def __init__(self, param: str, rx: Regexp | None) -> None:
        self.param = param
        self.rx = rx

    def match(self, request: Request) -> bool:
        values = request.query_params().get(self.param)
        if values is None:
            return False
        rx = self.rx
        if rx is None:
            return True
        for v in values:
            if rx.matches(v):
                return True
        return False


class QueryParamSpec:
    name = names.QUERY_PARAM
    summary = 'the query parameter is present (and one value matches the regexp)'
    params = (Param("name", STRING), Param("regexp", REGEXP, optional=True))

    def create(self, args: tuple[Arg, ...]) -> QueryParamPredicate:
        A.count(self.name, args, 1, 2)
        param = A.string(self.name, args[0], "parameter name")
        rx = compile_re2(self.name, A.string(self.name, args[1], "regular expression")) if len(args) == 2 else None
        return QueryParamPredicate(param, rx)


def content_length(request: Request) -> int:
    """Go's ``Request.ContentLength`` on the server side: -1 when unknown (chunked), 0 without a body."""
    value = request.headers.get("content-length")
    if value is not None:
        value = value.strip()
        return int(value) if value.isdigit() and value.isascii() else -1
    return -1 if "transfer-encoding" in request.headers else 0


class ContentLengthBetweenPredicate:
    """``min <= length < max``. A request whose length is unknown (chunked) does not match; a
    request without body has length 0, as Go's server reports it."""

    __slots__ = ("min", "max")

    def __init__(self, lo: int, hi: int) -> None:
        self.min = lo
        self.max = hi

    def match(self, request: Request) -> bool:
        n = content_length(request)
        return self.min <= n < self.max


class ContentLengthBetweenSpec:
    name = names.CONTENT_LENGTH_BETWEEN
    summary = 'min <= Content-Length < max'
    params = (Param("min", INT), Param("max", INT))

    def create(self, args: tuple[Arg, ...]) -> ContentLengthBetweenPredicate:
        A.count(self.name, args, 2)
        lo = int(A.number(self.name, args[0], "min"))
        hi = int(A.number(self.name, args[1], "max"))
        if lo < 0 or hi < 0:
            raise InvalidArguments(self.name, "min and max must not be negative")
        if lo >= hi:
            raise InvalidArguments(self.name, f"min ({lo}) must be less than max ({hi})")
        return ContentLengthBetweenPredicate(lo, hi)

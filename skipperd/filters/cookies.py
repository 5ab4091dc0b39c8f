"""Cookie filters: dropRequestCookie, dropResponseCookie, requestCookie, responseCookie, jsCookie.

Cookies are read and written the way Go's net/http does (Skipper's ``filters/cookie``): a
request's ``Cookie`` fields are split on ``;`` into ``name=value`` pairs, pairs with an invalid
name or value are skipped, and a rewritten request carries one ``Cookie`` field joined with
``"; "``. ``responseCookie`` and ``jsCookie`` add ``Set-Cookie: name=value; Path=/;
Domain=<host less its first label>; Max-Age=N; HttpOnly; Secure`` (jsCookie without HttpOnly):
the domain is the request's host without its port, less its first label when it has at least
three; a max-age of 0 expires the cookie (``Max-Age=0``), none leaves it a session cookie; with
``"change-only"`` the cookie is only set when the request does not already carry it with that
value. Names and values are checked when the route is built.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import ANY, NUMBER, STRING, Param

CHANGE_ONLY = "change-only"
_TOKEN_EXTRA = frozenset("!#$%&'*+-.^_`|~")


def valid_name(name: str) -> bool:
    return bool(name) and all(c.isascii() and (c.isalnum() or c in _TOKEN_EXTRA) for c in name)


def _value_byte_ok(c: str) -> bool:
    return " " <= c < "\x7f" and c not in '";\\'


def parse_value(raw: str) -> str | None:
    """A cookie value as Go's ``parseCookieValue`` reads it: quotes stripped; None when invalid."""
    if len(raw) > 1 and raw[0] == '"' and raw[-1] == '"':
        raw = raw[1:-1]
    return raw if all(_value_byte_ok(c) for c in raw) else None


def format_value(value: str) -> str:
    """Go's ``sanitizeCookieValue``: invalid bytes dropped; quoted when it holds a space or comma."""
    v = "".join(c for c in value if _value_byte_ok(c))
    return f'"{v}"' if " " in v or "," in v else v


def request_cookies(headers: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for line in headers.get_all("cookie"):
        for part in line.split(";"):
            part = part.strip(" ")
            if not part:
                continue
            name, _, raw = part.partition("=")
            if not valid_name(name):
                continue
            value = parse_value(raw)
            if value is not None:
                out.append((name, value))
    return out


def request_cookie(headers: Any, name: str) -> str | None:
    for n, v in request_cookies(headers):
        if n == name:
            return v
    return None


def add_request_cookie(headers: Any, name: str, value: str) -> None:
    add_cookie_pair(headers, f"{name}={format_value(value)}")


def add_cookie_pair(headers: Any, pair: str) -> None:
    """Go's ``Request.AddCookie`` with the ``name=value`` text made once, at route build."""
    prior = headers.get("cookie")
    if prior is None:
        headers.raw().append(("cookie", "Cookie", pair))  # absent: no scan to replace
    else:
        headers.set_field("cookie", "Cookie", f"{prior}; {pair}" if prior else pair)


def cookie_domain(host: str) -> str:
    """The request host less its port, less its first label when it has three or more."""
    h = host
    if h.startswith("["):
        end = h.find("]")
        h = h[1:end] if end > 0 else h
    elif h.count(":") == 1:
        h = h.partition(":")[0]
    if h.count(".") < 2:
        return h
    return h.split(".", 1)[1]


def _domain_name_ok(d: str) -> bool:
    """Go's ``isCookieDomainName``."""
    if not d or len(d) > 255:
        return False
    if d[0] == ".":
        d = d[1:]
    last, ok, partlen = ".", False, 0
    for c in d:
        if c.isascii() and (c.isalpha() or c == "_"):
            ok = True
            partlen += 1
        elif c.isascii() and c.isdigit():
            partlen += 1
        elif c == "-":
            if last == ".":
                return False
            partlen += 1
        elif c == ".":
            if last in ".-" or partlen > 63 or partlen == 0:
                return False
            partlen = 0
        else:
            return False
        last = c
    return last != "-" and partlen <= 63 and ok


def _domain_ok(d: str) -> bool:
    if _domain_name_ok(d):
        return True
    try:
        return ipaddress.ip_address(d).version == 4
    except ValueError:
        return False


def set_cookie_value(name: str, value: str, domain: str, max_age: int, http_only: bool) -> str:
    parts = [f"{name}={format_value(value)}", "Path=/"]
    if domain and _domain_ok(domain):
        parts.append(f"Domain={domain.lstrip('.')}")
    if max_age > 0:
        parts.append(f"Max-Age={max_age}")
    elif max_age < 0:
        parts.append("Max-Age=0")
    if http_only:
        parts.append("HttpOnly")
    parts.append("Secure")
    return "; ".join(parts)


def _set_cookie_name(line: str) -> str:
    first = line.split(";", 1)[0]
    return first.partition("=")[0].strip(" ")


# --- drop -----------------------------------------------------------------------------------------

class DropRequestCookie:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def request(self, ctx: FilterContext) -> None:
        h = ctx.request.headers
        if "cookie" not in h:
            return
        cookies = request_cookies(h)
        if not any(n == self.name for n, _ in cookies):
            return
        h.remove("cookie")
        for n, v in cookies:
            if n != self.name:
                add_request_cookie(h, n, v)


class DropResponseCookie:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def response(self, ctx: FilterContext) -> None:
        resp = ctx.response
        if resp is None:
            return
        lines = resp.headers.get_all("set-cookie")
        keep = [line for line in lines if _set_cookie_name(line) != self.name]
        if len(keep) == len(lines):
            return
        resp.headers.remove("set-cookie")
        for line in keep:
            resp.headers.raw().append(("set-cookie", "Set-Cookie", line))


_NAME = Param("name", STRING, "cookie name")


def cookie_name(spec: str, arg: Arg) -> str:
    name = str(arg)
    if not valid_name(name):
        raise InvalidArguments(spec, f"invalid cookie name {name!r}")
    return name


class DropRequestCookieSpec(Spec):
    name = names.DROP_REQUEST_COOKIE
    summary = "removes a cookie from the request's Cookie header"
    params = (_NAME,)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return DropRequestCookie(str(args[0]))


class DropResponseCookieSpec(Spec):
    name = names.DROP_RESPONSE_COOKIE
    summary = "removes the Set-Cookie fields of a cookie from the response"
    params = (_NAME,)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return DropResponseCookie(str(args[0]))


# --- set ------------------------------------------------------------------------------------------

class RequestCookie:
    __slots__ = ("name", "value", "key", "pair")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.value = value
        self.key = "CookieSet:" + name
        self.pair = f"{name}={format_value(value)}"

    def request(self, ctx: FilterContext) -> None:
        ctx.state_bag[self.key] = self.value
        add_cookie_pair(ctx.request.headers, self.pair)


class ResponseCookie:
    """The ``Set-Cookie`` value depends on the request's host only: it is made once per host and
    kept in a small map (cleared when full), so a request costs a lookup."""

    __slots__ = ("name", "value", "key", "max_age", "change_only", "http_only", "by_host")

    def __init__(self, name: str, value: str, max_age: int, change_only: bool, http_only: bool) -> None:
        self.name = name
        self.value = value
        self.key = "CookieSet:" + name
        self.max_age = max_age
        self.change_only = change_only
        self.http_only = http_only
        self.by_host: dict[str, str] = {}

    def response(self, ctx: FilterContext) -> None:
        resp = ctx.response
        if resp is None:
            return
        ctx.state_bag[self.key] = self.value
        req = ctx.request
        if self.change_only and request_cookie(req.headers, self.name) == self.value:
            return
        line = self.by_host.get(req.host)
        if line is None:
            if len(self.by_host) >= 256:
                self.by_host.clear()
            line = self.by_host[req.host] = set_cookie_value(self.name, self.value, cookie_domain(req.host),
                                                             self.max_age, self.http_only)
        resp.headers.add("Set-Cookie", line)


_VALUE = Param("value", STRING, "cookie value")


class RequestCookieSpec(Spec):
    name = names.REQUEST_COOKIE
    summary = "adds a cookie to the request's Cookie header"
    params = (_NAME, _VALUE)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return RequestCookie(cookie_name(self.name, args[0]), str(args[1]))


class ResponseCookieSpec(Spec):
    name = names.RESPONSE_COOKIE
    summary = "adds a Set-Cookie (HttpOnly, Secure, Path=/, the request's parent domain) to the response"
    params = (_NAME, _VALUE,
              Param("maxAge", NUMBER, "Max-Age in seconds; 0 expires the cookie", optional=True),
              Param("changeOnly", ANY, '"change-only": only when the request lacks the cookie with '
                                          'this value', optional=True))
    http_only = True

    def make(self, args: tuple[Arg, ...]) -> Any:
        max_age = 0
        if len(args) >= 3:
            given = float(args[2])
            max_age = -1 if given == 0 else int(given)
        change_only = len(args) == 4 and args[3] == CHANGE_ONLY
        return ResponseCookie(cookie_name(self.name, args[0]), str(args[1]), max_age, change_only,
                              self.http_only)


class JsCookieSpec(ResponseCookieSpec):
    name = names.JS_COOKIE
    summary = "responseCookie without HttpOnly: the cookie is readable by scripts in the browser"
    http_only = False

"""The filters that choose where a ``<dynamic>`` backend sends a request (Skipper's
``dynamicbackendfilter.go``).

They put the target into the state bag under Skipper's keys; the proxy reads them (``skipperd.proxy.
target``). ``setDynamicBackendUrl(url)`` gives scheme and host at once and wins over the host and
scheme filters; ``setDynamicBackendHost(host)`` and ``setDynamicBackendScheme(scheme)`` set one part
each; the ``...FromHeader(name)`` forms take the value from a request header and do nothing when
it is missing or empty. The host and URL filters also set the outgoing ``Host`` header, as
Skipper's do. Routing a request by a client's header lets that client choose the backend (SSRF):
use the header forms only behind something that sets those headers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments
from skipperd.http.context import FilterContext
from skipperd.params import Param, STRING

#: State-bag keys (Skipper's ``filters.DynamicBackendHostKey`` ...).
HOST_KEY = "backend:dynamic:host"
SCHEME_KEY = "backend:dynamic:scheme"
URL_KEY = "backend:dynamic:url"


def url_host(url: str) -> str:
    """The ``host[:port]`` of an absolute URL, ``""`` when it has none (Go's ParseRequestURI)."""
    if not url or any(c in url for c in " \t\r\n"):
        return ""
    try:
        u = urlsplit(url)
    except ValueError:
        return ""
    return u.netloc.rpartition("@")[2] if u.scheme else ""


class _Dynamic:
    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value


class SetHost(_Dynamic):
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        ctx.state_bag[HOST_KEY] = self.value
        ctx.outgoing_host = self.value


class SetScheme(_Dynamic):
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        ctx.state_bag[SCHEME_KEY] = self.value


class SetUrl(_Dynamic):
    __slots__ = ("host",)

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.host = url_host(value)

    def request(self, ctx: FilterContext) -> None:
        ctx.state_bag[URL_KEY] = self.value
        if self.host:
            ctx.outgoing_host = self.host


class SetHostFromHeader(_Dynamic):
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        v = ctx.request.headers.get(self.value)
        if v:
            ctx.state_bag[HOST_KEY] = v
            ctx.outgoing_host = v


class SetSchemeFromHeader(_Dynamic):
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        v = ctx.request.headers.get(self.value)
        if v:
            ctx.state_bag[SCHEME_KEY] = v


class SetUrlFromHeader(_Dynamic):
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        v = ctx.request.headers.get(self.value)
        if v:
            ctx.state_bag[URL_KEY] = v
            host = url_host(v)
            if host:
                ctx.outgoing_host = host


class _Spec:
    name = ""
    what = ""
    summary = ""
    params: tuple[Param, ...] = ()
    cls: type[_Dynamic] = _Dynamic

    def create(self, args: tuple[Arg, ...]) -> _Dynamic:
        if len(args) != 1 or not isinstance(args[0], str):
            raise InvalidArguments(self.name, f"expects one {self.what}, as a string")
        return self.cls(args[0])


class SetDynamicBackendHostSpec(_Spec):
    name, what, cls = names.SET_DYNAMIC_BACKEND_HOST, "host", SetHost
    summary = "the host of a <dynamic> backend"
    params = (Param("host", STRING),)


class SetDynamicBackendSchemeSpec(_Spec):
    name, what, cls = names.SET_DYNAMIC_BACKEND_SCHEME, "scheme", SetScheme
    summary = "the scheme of a <dynamic> backend"
    params = (Param("scheme", STRING, "http or https"),)


class SetDynamicBackendUrlSpec(_Spec):
    name, what, cls = names.SET_DYNAMIC_BACKEND_URL, "URL", SetUrl
    summary = "the URL of a <dynamic> backend"
    params = (Param("url", STRING),)


class SetDynamicBackendHostFromHeaderSpec(_Spec):
    name, what, cls = names.SET_DYNAMIC_BACKEND_HOST_FROM_HEADER, "header name", SetHostFromHeader
    summary = "the host of a <dynamic> backend, from a request header"
    params = (Param("header", STRING),)


class SetDynamicBackendSchemeFromHeaderSpec(_Spec):
    name, what, cls = names.SET_DYNAMIC_BACKEND_SCHEME_FROM_HEADER, "header name", SetSchemeFromHeader
    summary = "the scheme of a <dynamic> backend, from a request header"
    params = (Param("header", STRING),)


class SetDynamicBackendUrlFromHeaderSpec(_Spec):
    name, what, cls = names.SET_DYNAMIC_BACKEND_URL_FROM_HEADER, "header name", SetUrlFromHeader
    summary = "the URL of a <dynamic> backend, from a request header"
    params = (Param("header", STRING),)


SPECS = (SetDynamicBackendHostSpec, SetDynamicBackendSchemeSpec, SetDynamicBackendUrlSpec,
         SetDynamicBackendHostFromHeaderSpec, SetDynamicBackendSchemeFromHeaderSpec,
         SetDynamicBackendUrlFromHeaderSpec)

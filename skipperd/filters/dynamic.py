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

from typing import Callable
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


class SetDynamic:
    """Puts ``value`` under the state-bag ``key``; ``host`` (unless None) becomes the outgoing Host."""

    __slots__ = ("key", "value", "host")

    def __init__(self, key: str, value: str, host: str | None) -> None:
        self.key = key
        self.value = value
        self.host = host

    def request(self, ctx: FilterContext) -> None:
        ctx.state_bag[self.key] = self.value
        if self.host is not None:
            ctx.outgoing_host = self.host


class SetDynamicFromHeader:
    """The request header ``header``'s value under ``key``, when it has one; ``host_of(value)``,
    when it gives one, becomes the outgoing Host."""

    __slots__ = ("key", "header", "host_of")

    def __init__(self, key: str, header: str, host_of: Callable[[str], str] | None) -> None:
        self.key = key
        self.header = header
        self.host_of = host_of

    def request(self, ctx: FilterContext) -> None:
        v = ctx.request.headers.get(self.header)
        if v:
            ctx.state_bag[self.key] = v
            if self.host_of is not None:
                host = self.host_of(v)
                if host:
                    ctx.outgoing_host = host


def _same(value: str) -> str:
    return value


#: How the outgoing Host follows from a filter's value: the value itself (host filters), the
#: value's host (URL filters); scheme filters leave it alone.
_HOST_OF: dict[str, Callable[[str], str]] = {"value": _same, "url": url_host}


class _Spec:
    """One of the six filters: the state-bag ``key`` it sets, whether its argument names a
    header to read the value from, and ``host_of``, the key of ``_HOST_OF`` that makes the
    outgoing Host from the value (``""``: none)."""

    name = ""
    what = ""
    summary = ""
    params: tuple[Param, ...] = ()
    key = ""
    from_header = False
    host_of = ""

    def create(self, args: tuple[Arg, ...]) -> SetDynamic | SetDynamicFromHeader:
        if len(args) != 1 or not isinstance(args[0], str):
            raise InvalidArguments(self.name, f"expects one {self.what}, as a string")
        value = args[0]
        host_of = _HOST_OF.get(self.host_of)
        if self.from_header:
            return SetDynamicFromHeader(self.key, value, host_of)
        if host_of is None:
            return SetDynamic(self.key, value, None)
        if host_of is url_host:
            return SetDynamic(self.key, value, url_host(value) or None)
        return SetDynamic(self.key, value, value)


class SetDynamicBackendHostSpec(_Spec):
    name, what, key, host_of = names.SET_DYNAMIC_BACKEND_HOST, "host", HOST_KEY, "value"
    summary = "the host of a <dynamic> backend"
    params = (Param("host", STRING),)


class SetDynamicBackendSchemeSpec(_Spec):
    name, what, key = names.SET_DYNAMIC_BACKEND_SCHEME, "scheme", SCHEME_KEY
    summary = "the scheme of a <dynamic> backend"
    params = (Param("scheme", STRING, "http or https"),)


class SetDynamicBackendUrlSpec(_Spec):
    name, what, key, host_of = names.SET_DYNAMIC_BACKEND_URL, "URL", URL_KEY, "url"
    summary = "the URL of a <dynamic> backend"
    params = (Param("url", STRING),)


class SetDynamicBackendHostFromHeaderSpec(SetDynamicBackendHostSpec):
    name, what, from_header = names.SET_DYNAMIC_BACKEND_HOST_FROM_HEADER, "header name", True
    summary = "the host of a <dynamic> backend, from a request header"
    params = (Param("header", STRING),)


class SetDynamicBackendSchemeFromHeaderSpec(SetDynamicBackendSchemeSpec):
    name, what, from_header = names.SET_DYNAMIC_BACKEND_SCHEME_FROM_HEADER, "header name", True
    summary = "the scheme of a <dynamic> backend, from a request header"
    params = (Param("header", STRING),)


class SetDynamicBackendUrlFromHeaderSpec(SetDynamicBackendUrlSpec):
    name, what, from_header = names.SET_DYNAMIC_BACKEND_URL_FROM_HEADER, "header name", True
    summary = "the URL of a <dynamic> backend, from a request header"
    params = (Param("header", STRING),)


SPECS = (SetDynamicBackendHostSpec, SetDynamicBackendSchemeSpec, SetDynamicBackendUrlSpec,
         SetDynamicBackendHostFromHeaderSpec, SetDynamicBackendSchemeFromHeaderSpec,
         SetDynamicBackendUrlFromHeaderSpec)

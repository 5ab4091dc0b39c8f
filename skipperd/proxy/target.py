"""Where ``<dynamic>`` and ``<forward>`` backends send a request.

``<dynamic>`` (Skipper's ``setRequestURLForDynamicBackend``): the target starts as the request's
own ``Host`` with scheme ``http`` (skipperd terminates no TLS yet); the URL that
``setDynamicBackendUrl``/``...UrlFromHeader`` put in the state bag replaces scheme and host when it
parses as an absolute URL, otherwise ``setDynamicBackendHost``/``...Scheme`` (and their header
forms) replace one part each. A target without a host, or with a scheme other than http and
https, is answered 500, as Skipper's transport fails on it.

``<forward>`` goes to ``-forward-backend-url``; without it the route is answered 500.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from skipperd.filters.dynamic import HOST_KEY, SCHEME_KEY, URL_KEY
from skipperd.proxy.errors import ProxyError
from skipperd.routing.route import parse_endpoint

DEFAULT_PORTS = {"http": 80, "https": 443}

#: (scheme, host, port) of the endpoint and the host[:port] as written, for the Host header.
Target = tuple[tuple[str, str, int], str]


def split_host_port(authority: str, scheme: str) -> tuple[str, int]:
    """``host[:port]`` or ``[v6][:port]`` -> (host, port); raises ValueError."""
    default = DEFAULT_PORTS[scheme]
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise ValueError(f"invalid host {authority!r}")
        host, rest = authority[1:end], authority[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError(f"invalid host {authority!r}")
        port = rest[1:]
    else:
        host, _, port = authority.partition(":")
        if ":" in port:
            raise ValueError(f"invalid host {authority!r}")
    if not host:
        raise ValueError("no host")
    if not port:
        return host, default
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"invalid port in {authority!r}")
    return host, int(port)


def dynamic(state_bag: dict[str, Any], request_host: str) -> Target:
    scheme, authority = "http", request_host
    url = state_bag.get(URL_KEY)
    if isinstance(url, str) and url:
        try:
            u = urlsplit(url)
            if u.scheme and (u.netloc or url.startswith(u.scheme + "://")):
                scheme, authority = u.scheme, u.netloc.rpartition("@")[2]
        except ValueError:
            pass
    else:
        host = state_bag.get(HOST_KEY)
        if isinstance(host, str) and host:
            authority = host
        s = state_bag.get(SCHEME_KEY)
        if isinstance(s, str) and s:
            scheme = s
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ProxyError(500, f"dynamic backend: unsupported protocol scheme {scheme!r}")
    if not authority:
        raise ProxyError(500, "dynamic backend: no host for the request")
    try:
        host, port = split_host_port(authority, scheme)
    except ValueError as e:
        raise ProxyError(500, f"dynamic backend: {e}") from None
    return (scheme, host.lower(), port), authority


def forward_endpoint(url: str) -> Target | None:
    """``-forward-backend-url`` parsed once; ``None`` when unset. Raises ValueError."""
    if not url:
        return None
    e = parse_endpoint(url)
    return e.key, urlsplit(url).netloc.rpartition("@")[2]

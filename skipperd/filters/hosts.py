"""``preserveHost("true" | "false")``: which Host the backend gets, per route.

``"true"`` sends the client's Host (as ``-proxy-preserve-host`` does for every route),
``"false"`` the backend's own host (``host[:port]`` of its URL), whatever the flag says. A Host
that an earlier filter set (``setRequestHeader("Host", ...)``) is kept, as in Skipper, where the
filter only swaps the one default for the other. On load-balanced and dynamic backends
``"false"`` leaves the choice to the proxy (the endpoint picked); ``"true"`` works everywhere.
"""

from __future__ import annotations

from typing import Any

from skipperd import names
from skipperd.eskip.route import Arg, BackendType
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import STRING, Param


def backend_host(route: Any) -> str | None:
    """``host[:port]`` of a network backend's URL, as the proxy would send it; None otherwise."""
    backend = getattr(route, "backend", None)
    if backend is None or backend.type is not BackendType.NETWORK or not backend.host:
        return None
    host = f"[{backend.host}]" if ":" in backend.host else backend.host
    default = (backend.scheme == "http" and backend.port == 80) or (backend.scheme == "https" and backend.port == 443)
    return host if default else f"{host}:{backend.port}"


class PreserveHost:
    __slots__ = ("preserve",)

    def __init__(self, preserve: bool) -> None:
        self.preserve = preserve

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        if self.preserve:
            if ctx.outgoing_host is None and req.host:
                ctx.outgoing_host = req.host
            return
        if ctx.outgoing_host is None or ctx.outgoing_host == req.host:
            own = backend_host(ctx.route)
            if own is not None:
                ctx.outgoing_host = own


class PreserveHostSpec(Spec):
    name = names.PRESERVE_HOST
    summary = 'sends the client\'s Host to the backend ("true") or the backend\'s own ("false"), whatever -proxy-preserve-host says'
    params = (Param("preserve", STRING, choices=("true", "false")),)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return PreserveHost(args[0] == "true")

"""``xforward()`` and ``xforwardFirst()``: the standard proxy headers, per route.

Both set ``X-Forwarded-Host`` to the request's host and add the client's IP address to
``X-Forwarded-For``: ``xforward`` after what the client sent, ``xforwardFirst`` before it (as
some load balancers expect). Arguments are ignored, as in Skipper.
"""

from __future__ import annotations

from typing import Any

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import ANY, Param


class XForward:
    __slots__ = ("first",)

    def __init__(self, first: bool) -> None:
        self.first = first

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        h = req.headers
        addr = req.remote_addr
        if addr:
            prior = h.get("x-forwarded-for")
            if prior is None:
                h.raw().append(("x-forwarded-for", "X-Forwarded-For", addr))  # absent: no scan to replace
            else:
                value = addr if not prior else f"{addr}, {prior}" if self.first else f"{prior}, {addr}"
                h.set_field("x-forwarded-for", "X-Forwarded-For", value)
        # The host comes from the request head, which the connection has checked for CR, LF, NUL.
        h.set_field("x-forwarded-host", "X-Forwarded-Host", req.host)


_IGNORED = (Param("ignored", ANY, "arguments are ignored", optional=True, variadic=True),)


class XForwardSpec(Spec):
    name = names.XFORWARD
    summary = "appends the client IP to X-Forwarded-For and sets X-Forwarded-Host"
    params = _IGNORED

    def make(self, args: tuple[Arg, ...]) -> Any:
        return XForward(False)


class XForwardFirstSpec(Spec):
    name = names.XFORWARD_FIRST
    summary = "prepends the client IP to X-Forwarded-For and sets X-Forwarded-Host"
    params = _IGNORED

    def make(self, args: tuple[Arg, ...]) -> Any:
        return XForward(True)

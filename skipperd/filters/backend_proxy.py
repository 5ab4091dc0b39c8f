"""``backendIsProxy()``: the route's backend is an HTTP proxy.

The request then goes to the backend in absolute form, ``GET http://<the request's host>/path
HTTP/1.1``, so that the proxy forwards it to the host the client asked for (Skipper puts the
client's host and scheme into the outgoing URL and lets Go's transport talk to the backend as
a proxy). Works with network, load-balanced and dynamic backends. The filter marks the request
in the state bag (``BACKEND_IS_PROXY_KEY``, Skipper's ``filters.BackendIsProxyKey``); the
proxy reads the mark when it writes the request head.
"""

from __future__ import annotations

from typing import Any

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import ANY, Param

BACKEND_IS_PROXY_KEY = "backend:isproxy"


class BackendIsProxy:
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        ctx.state_bag[BACKEND_IS_PROXY_KEY] = True


class BackendIsProxySpec(Spec):
    name = names.BACKEND_IS_PROXY
    summary = "the backend is an HTTP proxy: requests go to it in absolute form (http://host/path)"
    params = (Param("ignored", ANY, "arguments are ignored", optional=True, variadic=True),)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return BackendIsProxy()

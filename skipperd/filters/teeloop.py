"""``teeLoopback(label)``: a shadow copy of the request routed again from the start.

The copy (method, path, query, headers and body) carries ``X-Tee-Loopback-Key: <label>``, which
the ``Tee(label)`` predicate matches, and is fed to the worker's own routing from a background
greenlet (``FilterOptions.loopback``): route lookup, that route's filters and backend, the
answer dropped. As with ``tee``, the main request is never delayed, altered or failed by it; the
body is copied as it streams (up to ``tee.MAX_COPY`` bytes). A request that already is a copy
makes no further copies, so shadows cannot multiply.
"""

from __future__ import annotations

import logging
from typing import Any

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.filters.options import FilterOptions
from skipperd.filters.spec import Spec
from skipperd.filters.tee import _Copy
from skipperd.http.context import FilterContext
from skipperd.http.headers import Headers
from skipperd.http.request import Request
from skipperd.params import STRING, Param

log = logging.getLogger("skipperd.filters")

HEADER = "X-Tee-Loopback-Key"
_SKIP = frozenset({"content-length", "transfer-encoding", "expect"})


class TeeLoopback:
    __slots__ = ("label", "options")

    def __init__(self, label: str, options: FilterOptions) -> None:
        self.label = label
        self.options = options

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        loop = self.options.loopback
        if loop is None or HEADER in req.headers:
            return
        h = Headers([t for t in req.headers.raw() if t[0] not in _SKIP])
        h.set(HEADER, self.label)
        copy = Request(req.method, req.path, h, req.raw_path, req.query, req.host, req.remote_addr,
                       req.proto, req.version)
        copy.path_changed = req.path_changed

        def start(body: bytes | None) -> None:
            if body is None:
                return
            run = self.options.background

            def shadow() -> None:
                try:
                    loop(copy, body)
                except Exception as e:  # never the main request's business
                    log.debug("teeLoopback %s failed: %s", self.label, e)

            if run is None:
                shadow()
            else:
                run(shadow)

        if ctx.request_body is None:
            start(b"")
        else:
            ctx.wrap_request_body(_Copy(start), same_length=True)


class TeeLoopbackSpec(Spec):
    name = names.TEE_LOOPBACK
    summary = "routes a shadow copy of the request again, for routes with the Tee(label) predicate"
    params = (Param("label", STRING, "the tee group the copy belongs to"),)

    def __init__(self, options: FilterOptions | None = None) -> None:
        self.options = options if options is not None else FilterOptions()

    def make(self, args: tuple[Arg, ...]) -> Any:
        return TeeLoopback(str(args[0]), self.options)

"""``tee(url[, regexp, replacement])`` and ``teenf``: a shadow copy of each request.

The request goes to its route's backend as always; a copy (same method, headers and body, the
``Host`` of the shadow URL, the path optionally rewritten as ``modPath`` does) is sent to the
shadow backend from a background greenlet through the worker's outbound client, and its answer
is dropped. The shadow never delays, alters or fails the main request: the body is copied as it
streams to the main backend (up to ``MAX_COPY`` bytes; a larger body is not shadowed), the
shadow call starts only when the main request's body has been read, and whatever happens to it
(timeouts, resets, refusals) is only logged at debug level. The shadow call has the outbound
client's deadline (``-webhook-timeout`` is not used; ``SHADOW_TIMEOUT``). Neither form follows
redirects (Skipper's ``tee`` would; the shadow's answer is dropped either way).
"""

from __future__ import annotations

import logging
from typing import Any, Callable
from urllib.parse import urlsplit

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.options import FilterOptions
from skipperd.filters.spec import Spec
from skipperd.filters.values import outbound_url
from skipperd.http.context import FilterContext
from skipperd.params import REGEXP, STRING, Param
from skipperd.regexp import Regexp, compile_re2

log = logging.getLogger("skipperd.filters")

MAX_COPY = 1024 * 1024
SHADOW_TIMEOUT = 10.0
_SKIP = frozenset({"host", "content-length", "transfer-encoding", "connection", "expect", "keep-alive",
                   "te", "trailer", "upgrade", "proxy-connection"})


class _Copy:
    """A same-length ``Transform`` that keeps a copy of the body and starts the shadow at its end."""

    __slots__ = ("pieces", "size", "start")

    def __init__(self, start: Callable[[bytes | None], None]) -> None:
        self.pieces: list[bytes] | None = []
        self.size = 0
        self.start = start

    def feed(self, data: bytes) -> bytes:
        if self.pieces is not None:
            self.size += len(data)
            if self.size > MAX_COPY:
                self.pieces = None  # too large to shadow: drop the copy, not the request
            else:
                self.pieces.append(data)
        return data

    def flush(self) -> bytes:
        self.start(b"".join(self.pieces) if self.pieces is not None else None)
        return b""


class Tee:
    __slots__ = ("url", "scheme", "authority", "rx", "replacement", "options")

    def __init__(self, url: str, rx: Regexp | None, replacement: str, options: FilterOptions) -> None:
        u = urlsplit(url)
        self.url = url
        self.scheme = u.scheme
        self.authority = u.netloc
        self.rx = rx
        self.replacement = replacement
        self.options = options

    def request(self, ctx: FilterContext) -> None:
        req = ctx.request
        path = req.path
        if self.rx is not None:
            path = self.rx.sub(self.replacement, path)
        target = f"{self.scheme}://{self.authority}{path}" + (f"?{req.query}" if req.query else "")
        headers = [(n, v) for n, v in req.headers.items() if n.lower() not in _SKIP]
        method = req.method

        def start(body: bytes | None) -> None:
            if body is None:
                log.debug("tee to %s: the request body is too large to shadow", self.url)
                return
            self._spawn(method, target, headers, body)

        if ctx.request_body is None:
            start(b"")
        else:
            ctx.wrap_request_body(_Copy(start), same_length=True)

    def _spawn(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> None:
        client = self.options.client

        def shadow() -> None:
            try:
                client.request(method, target, headers, body, timeout=SHADOW_TIMEOUT)
            except Exception as e:  # the shadow's fate is never the main request's
                log.debug("tee to %s failed: %s", target, e)

        run = self.options.background
        if run is None:
            shadow()
        else:
            run(shadow)


class TeeSpec(Spec):
    name = names.TEE_FILTER
    summary = "sends a shadow copy of the request to another backend; its answer is dropped"
    params = (Param("url", STRING, "the shadow backend, http(s)://host[:port]"),
              Param("regexp", REGEXP, "path rewrite, as modPath", optional=True),
              Param("replacement", STRING, "path rewrite replacement", optional=True))

    def __init__(self, options: FilterOptions | None = None) -> None:
        self.options = options if options is not None else FilterOptions()

    def make(self, args: tuple[Arg, ...]) -> Any:
        url = str(args[0])
        outbound_url(self.name, url)
        if len(args) == 2:
            raise InvalidArguments(self.name, "a path regexp needs its replacement")
        rx = compile_re2(self.name, str(args[1]), capture=True) if len(args) == 3 else None
        return Tee(url, rx, str(args[2]) if len(args) == 3 else "", self.options)


class TeeNfSpec(TeeSpec):
    name = names.TEENF
    summary = "tee that does not follow redirects"

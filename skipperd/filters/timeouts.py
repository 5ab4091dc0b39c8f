"""Per-route timeouts: backendTimeout, readTimeout, writeTimeout (Skipper's).

``backendTimeout(d)`` bounds the whole backend exchange: connecting, sending the request,
reading the head (504 when it runs out) and the body (the response is cut off when it runs out
after its head was sent). ``readTimeout(d)`` is the time the client has between two reads of its
request body (instead of ``-read-timeout-server``), ``writeTimeout(d)`` the time from now in
which the whole response must have been written (instead of ``-write-timeout-server``). The
proxy reads them from the context.
"""

from __future__ import annotations

from typing import Any

from skipperd import names
from skipperd.durations import filter_duration
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import DURATION, Param


class BackendTimeout:
    __slots__ = ("timeout",)

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def request(self, ctx: FilterContext) -> None:
        ctx.backend_timeout = self.timeout


class ReadTimeout(BackendTimeout):
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        ctx.read_timeout = self.timeout
        body = ctx.request_body
        if body is not None and hasattr(body, "timeout"):
            body.timeout = self.timeout


class WriteTimeout(BackendTimeout):
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        ctx.write_timeout = self.timeout


class BackendTimeoutSpec(Spec):
    name = names.BACKEND_TIMEOUT
    summary = "bounds the backend exchange; 504 when it runs out before the response head"
    params = (Param("timeout", DURATION, "a Go duration"),)
    kind: type[BackendTimeout] = BackendTimeout

    def make(self, args: tuple[Arg, ...]) -> Any:
        return self.kind(filter_duration(self.name, args[0], "timeout"))


class ReadTimeoutSpec(BackendTimeoutSpec):
    name = names.READ_TIMEOUT
    summary = "the time the client has between two reads of its request body"
    kind = ReadTimeout


class WriteTimeoutSpec(BackendTimeoutSpec):
    name = names.WRITE_TIMEOUT
    summary = "the time from now in which the whole response must be written"
    kind = WriteTimeout

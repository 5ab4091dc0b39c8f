"""Traffic shaping for tests of clients and backends: latency, bandwidth, chunks and their
``backend`` forms (Skipper's diag throttle filters).

``latency(d)`` waits ``d`` before the response goes out; ``bandwidth(kbps)`` sends the response
body in 512-byte pieces paced to ``kbps`` KiB per second; ``chunks(size, d)`` sends it in pieces
of ``size`` bytes with ``d`` between them. Each first waits once (``d``, or one piece's time for
bandwidth), as Skipper's do. ``backendLatency``, ``backendBandwidth`` and ``backendChunks`` do the
same to the request on its way to the backend. Durations are Go duration strings or
milliseconds. Waits yield to the worker's other requests (time.sleep is cooperative there); the
body streams through, never held whole.
"""

from __future__ import annotations

import time
from typing import Any

from skipperd import names
from skipperd.durations import filter_duration
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.body import BodyStream, RequestBody
from skipperd.http.context import FilterContext
from skipperd.params import ANY, DURATION, INT, NUMBER, Param

CHUNK = 512  # Skipper's defaultChunkSize


def _sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


class _Pacer:
    """Cuts a stream of pieces into ``size``-byte pieces with ``delay`` after each."""

    __slots__ = ("size", "delay", "bandwidth", "pending", "started", "last")

    def __init__(self, size: int, delay: float, bandwidth: bool) -> None:
        self.size = size
        self.delay = delay
        self.bandwidth = bandwidth
        self.pending = b""
        self.started = False
        self.last = 0.0

    def next(self, more: Any) -> bytes:
        """The next piece, reading from ``more()`` (``b""`` at its end) as needed."""
        while len(self.pending) < self.size:
            piece = more()
            if not piece:
                break
            self.pending += piece
        out, self.pending = self.pending[:self.size], self.pending[self.size:]
        if out:
            if self.started:
                wait = self.delay
                if self.bandwidth:
                    wait -= time.monotonic() - self.last
                _sleep(wait)
            self.started = True
            self.last = time.monotonic()
        return out


class _PacedStream:
    __slots__ = ("inner", "pacer", "length")

    def __init__(self, inner: BodyStream, pacer: _Pacer) -> None:
        self.inner = inner
        self.pacer = pacer
        self.length = inner.length

    def buffered(self) -> bytes:
        return b""

    def _more(self) -> bytes:
        return self.inner.buffered() or self.inner.read()

    def read(self) -> bytes:
        return self.pacer.next(self._more)

    def exhausted(self) -> bool:
        return not self.pacer.pending and self.inner.exhausted()

    def close(self) -> None:
        self.inner.close()


class _PacedBody:
    __slots__ = ("inner", "pacer", "length", "chunked", "_first")

    def __init__(self, inner: RequestBody, pacer: _Pacer) -> None:
        self.inner = inner
        self.pacer = pacer
        self.length = inner.length
        self.chunked = inner.chunked
        self._first = True

    def buffered(self) -> bytes:
        return b""

    def _more(self) -> bytes:
        if self._first:
            self._first = False
            first = self.inner.buffered()
            if first:
                return first
        return self.inner.read()

    def read(self) -> bytes:
        return self.pacer.next(self._more)


class Throttle:
    __slots__ = ("size", "delay", "bandwidth")

    def __init__(self, size: int, delay: float, bandwidth: bool) -> None:
        self.size = size
        self.delay = delay
        self.bandwidth = bandwidth

    def _pacer(self) -> _Pacer:
        return _Pacer(self.size, self.delay, self.bandwidth)


class ResponseThrottle(Throttle):
    __slots__ = ()

    def response(self, ctx: FilterContext) -> None:
        _sleep(self.delay)
        if self.size > 0 and ctx.response is not None:
            stream = ctx.response_stream()
            ctx.response.stream = _PacedStream(stream, self._pacer())


class RequestThrottle(Throttle):
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        _sleep(self.delay)
        body = ctx.request_body
        if self.size > 0 and body is not None:
            ctx.request_body = _PacedBody(body, self._pacer())


def _bandwidth(name: str, arg: Arg) -> tuple[int, float]:
    kbps = float(arg)
    if kbps <= 0:
        raise InvalidArguments(name, f"the bandwidth must be positive, got {arg!r}")
    bpms = kbps * 1024 / 1000
    return CHUNK, float(int(CHUNK / bpms)) / 1000.0  # Go truncates to whole milliseconds


def _chunks(name: str, args: tuple[Arg, ...]) -> tuple[int, float]:
    size = float(args[0])
    if size <= 0:
        raise InvalidArguments(name, f"the chunk size must be positive, got {args[0]!r}")
    return int(size), filter_duration(name, args[1])


class LatencySpec(Spec):
    name = names.LATENCY
    summary = "delays the response"
    params = (Param("latency", ANY, "a Go duration or milliseconds"),)
    phase: type[Throttle] = ResponseThrottle

    def make(self, args: tuple[Arg, ...]) -> Any:
        return self.phase(0, filter_duration(self.name, args[0]), False)


class BandwidthSpec(Spec):
    name = names.BANDWIDTH
    summary = "limits the response body to a bandwidth"
    params = (Param("kbps", NUMBER, "KiB per second"),)
    phase: type[Throttle] = ResponseThrottle

    def make(self, args: tuple[Arg, ...]) -> Any:
        size, delay = _bandwidth(self.name, args[0])
        return self.phase(size, delay, True)


class ChunksSpec(Spec):
    name = names.CHUNKS
    summary = "sends the response body in pieces of a size, with a pause between them"
    params = (Param("size", INT, "bytes per piece"), Param("delay", DURATION, 'between pieces; "0" for none'))
    phase: type[Throttle] = ResponseThrottle

    def make(self, args: tuple[Arg, ...]) -> Any:
        size, delay = _chunks(self.name, args)
        return self.phase(size, delay, False)


class BackendLatencySpec(LatencySpec):
    name = names.BACKEND_LATENCY
    summary = "delays the request to the backend"
    phase = RequestThrottle


class BackendBandwidthSpec(BandwidthSpec):
    name = names.BACKEND_BANDWIDTH
    summary = "limits the request body to the backend to a bandwidth"
    phase = RequestThrottle


class BackendChunksSpec(ChunksSpec):
    name = names.BACKEND_CHUNKS
    summary = "sends the request body in pieces of a size, with a pause between them"
    phase = RequestThrottle

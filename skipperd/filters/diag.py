"""Diagnostic filters on connections and bodies: tarpit, absorb, absorbSilent, logHeader, logBody.

``tarpit(d)`` answers 200 and then sends a space every ``d``, forever (chunked): it holds a
client that should not be served without telling it so. ``absorb()`` reads the request body to
the end, discarding it, and answers 200; it logs the request's flow id (a new one when it has
none), the bytes consumed once a second and the end. ``absorbSilent()`` does the same without
logging. ``logHeader(["request"], ["response"])`` logs the request line and headers (the default)
and/or the response status and headers, Authorization values replaced by ``TRUNCATED``.
``logBody("request" | "response", limit)`` logs up to ``limit`` bytes of the body as it streams,
each piece prefixed ``logBody("request") <flow id>:``. These log at INFO on the
``skipperd.filters`` logger: they are for diagnostics, and log what requests carry.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from skipperd import names
from skipperd.durations import parse_go_duration
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.flowid import generate
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.http.headers import Headers
from skipperd.http.response import Response
from skipperd.params import INT, STRING, Param

log = logging.getLogger("skipperd.filters")


class _Tarpit:
    """A ``BodyStream`` without end: a space every ``interval`` seconds."""

    __slots__ = ("interval", "length", "closed")

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.length = -1
        self.closed = False

    def buffered(self) -> bytes:
        return b""

    def read(self) -> bytes:
        if self.closed:
            return b""
        if self.interval > 0:
            time.sleep(self.interval)
        return b" "

    def exhausted(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


class Tarpit:
    __slots__ = ("interval",)

    def __init__(self, interval: float) -> None:
        self.interval = interval

    def request(self, ctx: FilterContext) -> None:
        resp = Response(200, Headers())
        resp.stream = _Tarpit(self.interval)
        ctx.serve(resp)


class TarpitSpec(Spec):
    name = names.TARPIT
    summary = "answers 200 and sends a space every interval, never ending (holds unwanted clients)"
    params = (Param("interval", STRING, 'a Go duration, e.g. "1s"'),)

    def make(self, args: tuple[Arg, ...]) -> Any:
        try:
            d = parse_go_duration(str(args[0]))
        except ValueError as e:
            raise InvalidArguments(self.name, str(e)) from None
        return Tarpit(max(d, 0.0))


class Absorb:
    __slots__ = ("silent",)

    def __init__(self, silent: bool) -> None:
        self.silent = silent

    def request(self, ctx: FilterContext) -> None:
        flow_id = ctx.request.headers.get("x-flow-id") or generate()[:8]
        body = ctx.request_body
        count = 0
        if not self.silent:
            log.info("received request to be absorbed: %s", flow_id)
        next_log = time.monotonic() + 1.0
        try:
            if body is not None:
                piece = body.buffered() or body.read()
                while piece:
                    count += len(piece)
                    if not self.silent and time.monotonic() > next_log:
                        log.info("request %s, consumed bytes: %d", flow_id, count)
                        next_log += 1.0
                    piece = body.read()
        except Exception as e:  # a read error other than the end: logged even when silent
            log.info("request %s, error while consuming request: %s", flow_id, e)
            raise
        if not self.silent:
            log.info("request %s, consumed bytes: %d", flow_id, count)
            log.info("request finished: %s", flow_id)
        ctx.request_body = None
        ctx.serve(Response(200, Headers()))


class AbsorbSpec(Spec):
    name = names.ABSORB
    summary = "reads and discards the request body, answers 200; logs progress with the flow id"
    params = (Param("ignored", STRING, "arguments are ignored", optional=True, variadic=True),)
    silent = False

    def make(self, args: tuple[Arg, ...]) -> Any:
        return Absorb(self.silent)


class AbsorbSilentSpec(AbsorbSpec):
    name = names.ABSORB_SILENT
    summary = "reads and discards the request body, answers 200; logs only read errors"
    silent = True


def _header_lines(headers: Headers) -> list[str]:
    return [f"{n}: TRUNCATED" if n.lower() == "authorization" else f"{n}: {v}" for n, v in headers.items()]


class LogHeader:
    __slots__ = ("on_request", "on_response")

    def __init__(self, on_request: bool, on_response: bool) -> None:
        self.on_request = on_request
        self.on_response = on_response

    def request(self, ctx: FilterContext) -> None:
        if not self.on_request or not log.isEnabledFor(logging.INFO):
            return
        r = ctx.request
        lines = [f"{r.method} {r.path} HTTP/{r.version}", f"Host: {r.host}"] + _header_lines(r.headers)
        log.info("%s", "\r\n".join(lines) + "\r\n\r\n")

    def response(self, ctx: FilterContext) -> None:
        resp = ctx.response
        if not self.on_response or resp is None or not log.isEnabledFor(logging.INFO):
            return
        r = ctx.request
        lines = [f"{r.method} {r.path} HTTP/{r.version}", str(resp.status)] + _header_lines(resp.headers)
        log.info("Response for %s", "\r\n".join(lines) + "\r\n\r\n")


class LogHeaderSpec(Spec):
    name = names.LOG_HEADER
    summary = 'logs the request line and headers ("request", the default) and/or the response\'s ("response")'
    params = (Param("which", STRING, '"request" or "response"', optional=True, variadic=True),)

    def make(self, args: tuple[Arg, ...]) -> Any:
        which = {str(a).lower() for a in args}
        return LogHeader(not args or "request" in which, "response" in which)


def go_quote(data: bytes) -> str:
    """Go's ``%q`` of a byte string: double-quoted, escapes for what is not printable."""
    out = ['"']
    for c in data.decode("utf-8", "surrogateescape"):
        if 0xDC80 <= ord(c) <= 0xDCFF:  # a byte that is not UTF-8
            out.append(f"\\x{ord(c) - 0xDC00:02x}")
        elif c == '"' or c == "\\":
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c.isprintable():
            out.append(c)
        else:
            out.append(f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
    out.append('"')
    return "".join(out)


class _LogPieces:
    """A ``Transform`` that passes bytes on unchanged and logs the first ``left`` of them."""

    __slots__ = ("left", "prefix")

    def __init__(self, left: int, prefix: str) -> None:
        self.left = left
        self.prefix = prefix

    def feed(self, data: bytes) -> bytes:
        if self.left > 0 and data:
            piece = data[:self.left]
            self.left -= len(piece)
            log.info("%s: %s", self.prefix, go_quote(piece))
        return data

    def flush(self) -> bytes:
        return b""


class LogBody:
    __slots__ = ("on_request", "limit")

    def __init__(self, on_request: bool, limit: int) -> None:
        self.on_request = on_request
        self.limit = limit

    def _prefix(self, ctx: FilterContext) -> str:
        which = "request" if self.on_request else "response"
        return f'logBody("{which}") {ctx.request.headers.get("x-flow-id") or ""}'

    def request(self, ctx: FilterContext) -> None:
        if self.on_request and ctx.request_body is not None:
            ctx.wrap_request_body(_LogPieces(self.limit, self._prefix(ctx)), same_length=True)

    def response(self, ctx: FilterContext) -> None:
        if not self.on_request and ctx.response is not None:
            ctx.wrap_response_body(_LogPieces(self.limit, self._prefix(ctx)), same_length=True)


class LogBodySpec(Spec):
    name = names.LOG_BODY
    summary = "logs up to limit bytes of the request or response body as it streams"
    params = (Param("which", STRING, choices=("request", "response")),
              Param("limit", INT, "bytes to log at most"))

    def make(self, args: tuple[Arg, ...]) -> Any:
        limit = float(args[1])
        if limit != int(limit):
            raise InvalidArguments(self.name, f"limit must be an integer, got {args[1]!r}")
        return LogBody(args[0] == "request", int(limit))

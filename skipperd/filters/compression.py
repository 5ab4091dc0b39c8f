"""``compress`` and ``decompress``: response bodies encoded and decoded as they stream.

``compress([level,] [mime...])`` (Skipper's semantics): on the response, when the body has no
``Content-Encoding`` (or ``identity``), ``Cache-Control`` has no ``no-transform`` and the
``Content-Type`` (without parameters) is one of the types (Skipper's defaults: text/plain,
text/html, application/json, application/javascript, application/x-javascript, text/javascript,
text/css, image/svg+xml, application/octet-stream; arguments replace them, or extend them after
a first ``"..."``), the body is encoded with the encoding the request's ``Accept-Encoding``
prefers: highest q-value first, then gzip, deflate, br in that order; ``*`` and encodings with
q=0 are ignored, no header means no compression. ``level`` is 0-9 for gzip and deflate (1, best
speed, by default; -2 Huffman only, -1 the library default) and up to 11 for br. The response
gets ``Content-Encoding`` and ``Vary: Accept-Encoding``; its length becomes unknown, so the
writer sends it chunked. ``deflate`` is a raw DEFLATE stream, as Go's flate writer (and so
Skipper) sends it.

``decompress()``: a body whose ``Content-Encoding`` is gzip, deflate or br is decoded; the
``Content-Encoding`` and ``Vary`` fields are removed. Decoding hands out at most ``PIECE`` bytes
at a time, so a small body that expands enormously never sits whole in memory. zstd, which
Skipper also supports, is not (no zstd in Python's standard library).
"""

from __future__ import annotations

import zlib
from typing import Any

import brotli  # type: ignore[import-untyped]

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.body import BodyError, BodyStream
from skipperd.http.context import FilterContext
from skipperd.http.headers import Headers
from skipperd.params import ANY, Param

DEFAULT_MIME = ("text/plain", "text/html", "application/json", "application/javascript",
                "application/x-javascript", "text/javascript", "text/css", "image/svg+xml",
                "application/octet-stream")
ENCODINGS = ("gzip", "deflate", "br")
PIECE = 64 * 1024


class _Zlib:
    __slots__ = ("c",)

    def __init__(self, wbits: int, level: int) -> None:
        strategy = zlib.Z_HUFFMAN_ONLY if level == -2 else zlib.Z_DEFAULT_STRATEGY
        lv = -1 if level < 0 else min(level, 9)
        self.c = zlib.compressobj(lv, zlib.DEFLATED, wbits, 8, strategy)

    def feed(self, data: bytes) -> bytes:
        return self.c.compress(data)

    def flush(self) -> bytes:
        return self.c.flush()


class _Brotli:
    __slots__ = ("c",)

    def __init__(self, level: int) -> None:
        self.c = brotli.Compressor(quality=max(0, min(level, 11)))

    def feed(self, data: bytes) -> bytes:
        return self.c.process(data)  # type: ignore[no-any-return]

    def flush(self) -> bytes:
        return self.c.finish()  # type: ignore[no-any-return]


def encoder(enc: str, level: int) -> Any:
    if enc == "gzip":
        return _Zlib(31, level)
    if enc == "deflate":
        return _Zlib(-15, level)
    return _Brotli(level)


def accepted(header: str, priority: dict[str, int]) -> str:
    """The encoding to use for an ``Accept-Encoding`` value; ``""`` for none."""
    best = ""
    best_key = (0.0, 0)
    for part in header.split(","):
        name, _, params = part.partition(";")
        name = name.strip().lower()
        prio = priority.get(name)
        if prio is None:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                v = float(params[2:])
                if 0.0 <= v <= 1.0:
                    q = v
            except ValueError:
                pass
        if q <= 0:
            continue
        key = (q, -prio)
        if not best or key > best_key:
            best, best_key = name, key
    return best


class Compress:
    __slots__ = ("level", "mime", "priority")

    def __init__(self, level: int, mime: tuple[str, ...]) -> None:
        self.level = level
        self.mime = frozenset(mime)
        self.priority = {e: i for i, e in enumerate(ENCODINGS)}

    def response(self, ctx: FilterContext) -> None:
        resp = ctx.response
        if resp is None:
            return
        h = resp.headers
        ce = h.get("Content-Encoding")
        if ce and ce != "identity":
            return
        if "no-transform" in (h.get("Cache-Control") or "").lower():
            return
        ct = (h.get("Content-Type") or "").partition(";")[0]
        if ct not in self.mime:
            return
        enc = accepted(ctx.request.headers.get("Accept-Encoding") or "", self.priority)
        if not enc:
            return
        h.remove("Content-Length")
        h.set("Content-Encoding", enc)
        if not any(v.strip().lower() == "accept-encoding" for v in _list(h, "Vary")):
            h.add("Vary", "Accept-Encoding")
        ctx.wrap_response_body(encoder(enc, self.level))


def _list(h: Headers, name: str) -> list[str]:
    return [p for v in h.get_all(name) for p in v.split(",")]


class CompressSpec(Spec):
    name = names.COMPRESS
    summary = "compresses the response body (gzip, deflate, br) as the client accepts"
    params = (Param("level-or-mime", ANY, 'a compression level first, then content types ("..." keeps '
                    "the defaults)", optional=True, variadic=True),)

    def make(self, args: tuple[Arg, ...]) -> Any:
        level = 1
        rest = list(args)
        if rest and not isinstance(rest[0], str):
            lv = float(rest[0])
            if lv != int(lv) or not -2 <= lv <= 11:
                raise InvalidArguments(self.name, f"invalid compression level {rest[0]!r}")
            level = int(lv)
            rest = rest[1:]
        if not rest:
            return Compress(level, DEFAULT_MIME)
        mime: list[str] = []
        if rest[0] == "...":
            mime = list(DEFAULT_MIME)
            rest = rest[1:]
        for a in rest:
            if not isinstance(a, str):
                raise InvalidArguments(self.name, f"a content type must be a string, got {a!r}")
            mime.append(a)
        return Compress(level, tuple(mime))


class _Decoded:
    """A BodyStream decoding another, ``PIECE`` bytes at most per read."""

    __slots__ = ("inner", "d", "br", "length", "_tail", "_done")

    def __init__(self, inner: BodyStream, enc: str) -> None:
        self.inner = inner
        self.br = enc == "br"
        self.d: Any = brotli.Decompressor() if self.br else zlib.decompressobj(31 if enc == "gzip" else -15)
        self.length = -1
        self._tail = b""
        self._done = False

    def buffered(self) -> bytes:
        return b""

    def read(self) -> bytes:
        while not self._done:
            if self._tail:
                data, self._tail = self._tail, b""
            else:
                data = self.inner.buffered() or self.inner.read()
                if not data:
                    self._done = True
                    return b"" if self.br else self.d.flush()
            try:
                if self.br:
                    out = self.d.process(data)
                else:
                    out = self.d.decompress(data, PIECE)
                    self._tail = self.d.unconsumed_tail
            except (zlib.error, brotli.error) as e:
                raise BodyError(f"the backend's {('br' if self.br else 'deflate/gzip')} body is corrupt: {e}") from None
            if out:
                return out  # type: ignore[no-any-return]
        return b""

    def exhausted(self) -> bool:
        return self._done

    def close(self) -> None:
        self.inner.close()


class Decompress:
    __slots__ = ()

    def response(self, ctx: FilterContext) -> None:
        resp = ctx.response
        if resp is None:
            return
        h = resp.headers
        enc = (h.get("Content-Encoding") or "").strip().lower()
        if enc not in ENCODINGS:
            return
        h.remove("Content-Encoding")
        h.remove("Vary")
        h.remove("Content-Length")
        stream = ctx.response_stream()
        resp.stream = _Decoded(stream, enc)


class DecompressSpec(Spec):
    name = names.DECOMPRESS
    summary = "decodes a gzip, deflate or br response body"

    def make(self, args: tuple[Arg, ...]) -> Any:
        return Decompress()

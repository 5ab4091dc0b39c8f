"""Bodies as streams: what filters read, replace or wrap, and what the response writer sends.

A body is never held whole unless a filter must have it whole by its nature. Two kinds:

``RequestBody``
    the client's request body on its way to the backend (the worker's reader, or a filter's
    replacement or wrapper of it). ``length`` is the byte count, ``-1`` when unknown;
    ``chunked`` tells the backend request to use chunked framing (always when ``length`` is -1).
    ``read()`` returns the next piece, ``b""`` at the end.
``BodyStream``
    a response body being sent to the client (the backend's body, or a filter's wrapper of it).
    ``length`` is the byte count (``-1`` unknown: chunked, or close-delimited for HTTP/1.0),
    ``buffered()`` what can be had now without waiting (the writer sends it with the head),
    ``read()`` the next piece, waiting for it (``b""`` at the end), ``exhausted()`` whether
    ``read()`` would return ``b""`` now, and ``close()`` gives back what the stream holds (a
    backend connection goes back to its pool only when its body was read to the end).

``Transform`` is the unit filters wrap bodies with: ``feed(piece)`` returns what is ready of
the transformed body (maybe ``b""``), ``flush()`` the rest at the end. Memory stays bounded by
what the transform keeps (a compressor's window), not by the body.
"""

from __future__ import annotations

from typing import Protocol

from skipperd.errors import SkipperdError


class Transform(Protocol):
    def feed(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


class RequestBody(Protocol):
    """The request body as the proxy forwards it (the worker's implementation adds
    connection-level state: ``complete``, ``reusable_after_response``)."""

    length: int
    chunked: bool

    def read(self) -> bytes: ...

    def buffered(self) -> bytes:
        """Body bytes available without waiting (and without sending 100 Continue)."""
        ...


class BodyStream(Protocol):
    length: int

    def buffered(self) -> bytes: ...

    def read(self) -> bytes: ...

    def exhausted(self) -> bool: ...

    def close(self) -> None: ...


class BytesBody:
    """A request body replaced by a filter with bytes it has whole."""

    __slots__ = ("data", "length", "chunked")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.length = len(data)
        self.chunked = False

    def read(self) -> bytes:
        data = self.data
        self.data = b""
        return data

    def buffered(self) -> bytes:
        return b""


class TransformedRequestBody:
    """A request body passed through a ``Transform`` piece by piece.

    ``same_length`` is for transforms that change no byte count (a copy, a tee): the framing of
    the client's request is kept; otherwise the backend gets the body chunked.
    """

    __slots__ = ("inner", "transform", "length", "chunked", "_first", "_flushed")

    def __init__(self, inner: RequestBody, transform: Transform, same_length: bool = False) -> None:
        self.inner = inner
        self.transform = transform
        self.length = inner.length if same_length else -1
        self.chunked = inner.chunked if same_length else True
        self._first = True
        self._flushed = False

    def buffered(self) -> bytes:
        return b""

    def read(self) -> bytes:
        t = self.transform
        while not self._flushed:
            if self._first:
                self._first = False
                piece = self.inner.buffered() or self.inner.read()
            else:
                piece = self.inner.read()
            if piece:
                out = t.feed(piece)
            else:
                self._flushed = True
                out = t.flush()
            if out:
                return out
        return b""


class BytesStream:
    """A response body that is one piece of bytes."""

    __slots__ = ("data", "length")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.length = len(data)

    def buffered(self) -> bytes:
        data = self.data
        self.data = b""
        return data

    def read(self) -> bytes:
        return self.buffered()

    def exhausted(self) -> bool:
        return not self.data

    def close(self) -> None:
        self.data = b""


class TransformStream:
    """A response body passed through a ``Transform`` piece by piece (compress, sed, ...)."""

    __slots__ = ("inner", "transform", "length", "_flushed")

    def __init__(self, inner: BodyStream, transform: Transform, same_length: bool = False) -> None:
        self.inner = inner
        self.transform = transform
        self.length = inner.length if same_length else -1
        self._flushed = False

    def _out(self, piece: bytes) -> bytes:
        out = self.transform.feed(piece) if piece else b""
        if not self._flushed and self.inner.exhausted():
            self._flushed = True
            rest = self.transform.flush()
            if rest:
                out = out + rest if out else rest
        return out

    def buffered(self) -> bytes:
        if self._flushed:
            return b""
        return self._out(self.inner.buffered())

    def read(self) -> bytes:
        while not self._flushed:
            out = self._out(self.inner.read())
            if out:
                return out
        return b""

    def exhausted(self) -> bool:
        return self._flushed

    def close(self) -> None:
        self.inner.close()


class BodyError(SkipperdError):
    """A body stream failed after the response head went out (a backend cut it off, a filter's
    decoder met corrupt data): the client connection is closed, the response left incomplete."""

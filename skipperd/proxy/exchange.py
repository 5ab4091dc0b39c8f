"""One request/response exchange on a client connection, as the worker hands it to the proxy."""

from __future__ import annotations

from typing import Any, Protocol

from skipperd.http.body import RequestBody
from skipperd.http.request import Request
from skipperd.proxy.netio import Channel


class BodySource(RequestBody, Protocol):
    """The client's request body, streamed in bounded pieces (the worker implements it).

    ``length`` is the Content-Length, ``-1`` for a chunked body. ``read()`` returns the next
    piece, ``b""`` at the end; on the first read of a request that expects ``100 Continue`` it
    sends the interim response. It raises ``RequestBodyError`` for a body that is too large,
    malformed, cut short or too slow.
    """

    length: int
    chunked: bool

    @property
    def complete(self) -> bool:
        """All of the body was received (some of it may not have been read yet)."""
        ...

    def read(self) -> bytes: ...

    def buffered(self) -> bytes:
        """The body bytes that arrived with the head, taken without reading or sending 100 Continue."""
        ...

    def reusable_after_response(self) -> bool:
        """Whether the connection can carry another request although the body was not read whole."""
        ...


class Exchange:
    __slots__ = ("request", "client", "body", "head", "http10", "keep_alive",
                 "status", "sent", "route_id", "head_sent", "write_deadline", "upgrade", "state_bag",
                 "t_lookup", "t_backend", "backend_status", "backend_host")

    def __init__(self, request: Request, client: Channel, body: BodySource | None, keep_alive: bool,
                 http10: bool = False) -> None:
        self.request = request
        self.client = client
        self.body = body
        self.head = request.method == "HEAD"
        self.http10 = http10
        self.keep_alive = keep_alive
        self.status = 0
        self.sent = 0                   # response body bytes sent
        self.route_id = ""
        self.head_sent = False
        # When the response must have been written whole (-write-timeout-server, counted from
        # the end of the request head; the worker sets it).
        self.write_deadline = 1e18
        # An upgrade request to tunnel (-experimental-upgrade): its Upgrade value and the bytes
        # the client sent after its head, for the backend once it switched. None for all others.
        self.upgrade: tuple[str, bytes] | None = None
        # For the access log and metrics (skipperd.metrics.request), noted by the proxy:
        self.state_bag: dict[str, Any] | None = None  # the filters' state bag of the matched route
        self.t_lookup = -1.0            # seconds of the route lookup; -1: none was made
        self.t_backend = 0.0            # seconds from sending to the backend to its response head
        self.backend_status = 0         # the backend's status; 0: no backend response
        self.backend_host = ""          # the endpoint that answered, host:port

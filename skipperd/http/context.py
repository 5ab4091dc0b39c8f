"""The per-request context handed to filters (Skipper's ``filters.FilterContext``)."""

from __future__ import annotations

from typing import Any

from skipperd.http.body import (
    BodyStream, BytesBody, BytesStream, RequestBody, Transform, TransformedRequestBody, TransformStream,
)
from skipperd.http.request import Request
from skipperd.http.response import Response


class FilterContext:
    """Request state shared by the filters of one route for one request.

    ``path_params`` holds the values captured by ``Path`` wildcards. A request filter that calls
    ``serve()`` ends the request phase: the remaining request filters and the backend are skipped
    and the response filters of the filters already run see the response.

    Bodies (``skipperd.http.body``): ``request_body`` is the request body on its way to the
    backend (``None`` when there is none); request filters read it, replace it
    (``set_request_body``) or wrap it (``wrap_request_body``). In the response phase the body is
    ``response.body`` (bytes made locally) or ``response.stream`` (streamed, from the backend);
    ``wrap_response_body`` and ``set_response_body`` work on either. The writer takes the framing
    from the body finally sent, never from a header a filter set.

    Per-request settings filters hand to the proxy: ``backend_timeout`` (seconds for the whole
    backend exchange, 0 for the default; backendTimeout), ``read_timeout`` and ``write_timeout``
    (client body read and response write, 0 for the defaults), ``outgoing_host`` (Host sent to
    the backend). ``state_bag`` is free for filters to pass values along one request.
    """

    __slots__ = ("request", "response", "path_params", "state_bag", "served", "route_id", "outgoing_host",
                 "request_body", "backend_timeout", "read_timeout", "write_timeout", "route")

    def __init__(self, request: Request, path_params: dict[str, str], route_id: str = "",
                 request_body: RequestBody | None = None) -> None:
        self.request = request
        self.response: Response | None = None
        self.path_params = path_params
        self.state_bag: dict[str, Any] = {}
        self.served = False
        self.route_id = route_id
        self.outgoing_host: str | None = None
        self.request_body = request_body
        self.backend_timeout = 0.0
        self.read_timeout = 0.0
        self.write_timeout = 0.0
        self.route: Any = None  # the runtime route (``skipperd.routing.route.RuntimeRoute``)

    def serve(self, response: Response) -> None:
        self.response = response
        self.served = True

    # --- request body ------------------------------------------------------------------------------

    def set_request_body(self, data: bytes) -> None:
        """Replace the request body (what was not read of the client's is discarded)."""
        self.request_body = BytesBody(data)

    def wrap_request_body(self, transform: Transform, same_length: bool = False) -> None:
        """Pass the request body through ``transform`` as it streams to the backend."""
        body = self.request_body
        if body is not None:
            self.request_body = TransformedRequestBody(body, transform, same_length)

    # --- response body -----------------------------------------------------------------------------

    def set_response_body(self, data: bytes) -> None:
        """Replace the response body; a backend body not yet read is dropped with its connection."""
        resp = self.response
        if resp is None:
            return
        if resp.stream is not None:
            resp.stream.close()
            resp.stream = None
        resp.body = data

    def wrap_response_body(self, transform: Transform, same_length: bool = False) -> None:
        """Pass the response body through ``transform`` as it streams to the client."""
        resp = self.response
        if resp is None:
            return
        stream: BodyStream | None = resp.stream
        if stream is not None:
            resp.stream = TransformStream(stream, transform, same_length)
        else:
            data = resp.body or b""
            out = transform.feed(data) if data else b""
            resp.body = out + transform.flush()

    def response_stream(self) -> BodyStream:
        """The response body as a stream (a local body becomes one), for filters that read it."""
        resp = self.response
        assert resp is not None
        if resp.stream is None:
            resp.stream = BytesStream(resp.body or b"")
            resp.body = None
        return resp.stream

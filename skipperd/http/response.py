"""An HTTP response as filters see it: a status, header fields and a body (bytes or a stream)."""

from __future__ import annotations

from skipperd.http.body import BodyStream
from skipperd.http.headers import Headers


class Response:
    """``body`` holds a body made whole by skipperd (shunt, inlineContent, errors, a filter);
    ``stream`` a streamed one (the backend's, or a filter's wrapper of it). At most one of them
    is set; with neither, the body is empty. The response writer
    (``skipperd.proxy.respond.write_response``) frames the response from whichever is sent:
    ``Content-Length`` and ``Transfer-Encoding`` fields that filters leave are replaced.

    ``has_server`` is true when ``headers`` has a Server field (known from parsing the backend's
    head, so the proxy need not scan for it).
    """

    __slots__ = ("status", "headers", "body", "stream", "has_server")

    def __init__(self, status: int = 200, headers: Headers | None = None, body: bytes | None = None) -> None:
        self.status = status
        self.headers = headers if headers is not None else Headers()
        self.body = body
        self.stream: BodyStream | None = None
        self.has_server = False

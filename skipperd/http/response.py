"""An HTTP response as filters see it: a status, header fields and, when produced locally, a body."""

from __future__ import annotations

from typing import Any

from skipperd.http.headers import Headers


class Response:
    """``body`` is set for responses made by skipperd itself (shunt, inlineContent, errors).

    For proxied responses it stays ``None``: the proxy streams the backend's body and only the
    status and headers pass through the response filters. ``stream`` is the proxy's handle on
    that body (the backend connection); filters leave it alone.
    """

    __slots__ = ("status", "headers", "body", "stream")

    def __init__(self, status: int = 200, headers: Headers | None = None, body: bytes | None = None) -> None:
        self.status = status
        self.headers = headers if headers is not None else Headers()
        self.body = body
        self.stream: Any = None

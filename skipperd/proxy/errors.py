"""Backend failures and the status codes Skipper answers them with.

=============================================  ======
no route matched                               ``-default-http-status`` (404)
connection refused, unreachable, DNS error     502
TLS handshake failed (certificate refused)     502
connect timeout, TLS handshake timeout,        504
response header timeout
reset, closed early, malformed response        503
loopbacks past ``-max-loopbacks``              500
``<dynamic>`` without a host or with a scheme  500
other than http(s); ``<forward>`` without
``-forward-backend-url``
upgrade request over HTTP/1.0                  400
a 101 the request did not ask for              503
=============================================  ======

On a load-balanced backend, a connect or TLS handshake failure is retried once on another
endpoint before it is answered.
"""

from __future__ import annotations

from typing import Any

from skipperd.errors import SkipperdError


class ProxyError(SkipperdError):
    """A request could not be forwarded; ``status`` is what the client gets."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        self.ctx: Any = None  # the FilterContext of the route that failed, for error-handling filters
        self.ran = 0          # how many of that route's filters ran
        super().__init__(f"{status}: {reason}")


class ConnectError(ProxyError):
    """The backend connection could not be established (Skipper's dial errors)."""


class ClientGone(SkipperdError):
    """The client closed its connection or stopped reading; nothing more can be sent."""


class Tunnelled(ClientGone):
    """The client connection was handed to an upgrade tunnel (``proxy/tunnel.py``), which ended."""


class RequestBodyError(SkipperdError):
    """The client's request body could not be read: malformed, too large, or timed out.

    ``status`` is the answer when no response was sent yet (400, 408 or 413).
    """

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"{status}: {reason}")

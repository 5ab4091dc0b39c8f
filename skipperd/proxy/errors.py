"""Backend failures and the status codes Skipper answers them with.

==========================================  ======
no route matched                            ``-default-http-status`` (404)
connection refused, unreachable, DNS error  502
connect timeout, response header timeout    504
reset, closed early, malformed response     503
loopbacks past ``-max-loopbacks``           500
https backend (not built yet)               502
==========================================  ======
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


class RequestBodyError(SkipperdError):
    """The client's request body could not be read: malformed, too large, or timed out.

    ``status`` is the answer when no response was sent yet (400, 408 or 413).
    """

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"{status}: {reason}")

"""The per-request context handed to filters (Skipper's ``filters.FilterContext``)."""

from __future__ import annotations

from typing import Any

from skipperd.http.request import Request
from skipperd.http.response import Response


class FilterContext:
    """Request state shared by the filters of one route for one request.

    ``path_params`` holds the values captured by ``Path`` wildcards. A request filter that calls
    ``serve()`` ends the request phase: the remaining request filters and the backend are skipped
    and the response filters of the filters already run see the response.
    """

    __slots__ = ("request", "response", "path_params", "state_bag", "served", "route_id", "outgoing_host")

    def __init__(self, request: Request, path_params: dict[str, str], route_id: str = "") -> None:
        self.request = request
        self.response: Response | None = None
        self.path_params = path_params
        self.state_bag: dict[str, Any] = {}
        self.served = False
        self.route_id = route_id
        self.outgoing_host: str | None = None

    def serve(self, response: Response) -> None:
        self.response = response
        self.served = True

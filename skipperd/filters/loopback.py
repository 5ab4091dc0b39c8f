"""``loopbackIfStatus(code, path)``: a response with that status is replaced by the answer of
routing the request again with ``path`` (Skipper's ``LoopbackWithResponse``), e.g. a custom 404
page from another route. Loops count against ``-max-loopbacks``. The filter marks the request in
the state bag (``LOOPBACK_PATH_KEY``); the proxy reads the mark after the response filters ran.
"""

from __future__ import annotations

from typing import Any

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import INT, STRING, Param

LOOPBACK_PATH_KEY = "loopback:path"


class LoopbackIfStatus:
    __slots__ = ("status", "path")

    def __init__(self, status: int, path: str) -> None:
        self.status = status
        self.path = path

    def response(self, ctx: FilterContext) -> None:
        if ctx.response is not None and ctx.response.status == self.status:
            ctx.state_bag[LOOPBACK_PATH_KEY] = self.path


class LoopbackIfStatusSpec(Spec):
    name = names.LOOPBACK_IF_STATUS
    summary = "a response with this status is replaced by routing the request again with another path"
    params = (Param("status", INT, "100 to 599"), Param("path", STRING, "e.g. \"/loopback-404\""))

    def make(self, args: tuple[Arg, ...]) -> Any:
        status = int(args[0])
        if not 100 <= status < 600:
            raise InvalidArguments(self.name, f"invalid status code {args[0]!r}")
        return LoopbackIfStatus(status, str(args[1]))

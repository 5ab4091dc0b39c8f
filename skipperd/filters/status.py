"""``status(code)``: set the response status, whatever the backend answered (Skipper's status filter)."""

from __future__ import annotations

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.errors import InvalidArguments
from skipperd.http.context import FilterContext
from skipperd.params import INT, Param


class StatusFilter:
    __slots__ = ("code",)

    def __init__(self, code: int) -> None:
        self.code = code

    def response(self, ctx: FilterContext) -> None:
        if ctx.response is not None:
            ctx.response.status = self.code


class StatusSpec:
    name = names.STATUS
    summary = "sets the response status, whatever the backend answered"
    params = (Param("code", INT, "100 to 999"),)

    def create(self, args: tuple[Arg, ...]) -> StatusFilter:
        if len(args) != 1 or isinstance(args[0], str):
            raise InvalidArguments(self.name, "expects one status code")
        code = args[0]
        if code != int(code) or not 100 <= code <= 999:
            raise InvalidArguments(self.name, f"invalid status code {code!r}")
        return StatusFilter(int(code))

"""``corsOrigin([origin, ...])``: ``Access-Control-Allow-Origin`` on the response.

Without arguments the header is ``*``. With a list, it is set to the request's ``Origin`` when
that is one of the list (compared exactly), and left alone otherwise.
"""

from __future__ import annotations

from typing import Any

from skipperd import names
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.filters.values import header_value_ok
from skipperd.http.context import FilterContext
from skipperd.params import STRING, Param

_LOWER = "access-control-allow-origin"
_NAME = "Access-Control-Allow-Origin"


class CorsOrigin:
    __slots__ = ("origins",)

    def __init__(self, origins: frozenset[str]) -> None:
        self.origins = origins

    def response(self, ctx: FilterContext) -> None:
        resp = ctx.response
        if resp is None:
            return
        if not self.origins:
            resp.headers.set_field(_LOWER, _NAME, "*")
            return
        origin = ctx.request.headers.get("origin")
        if origin and origin in self.origins:
            resp.headers.set_field(_LOWER, _NAME, origin)


class CorsOriginSpec(Spec):
    name = names.CORS_ORIGIN
    summary = "sets Access-Control-Allow-Origin: * or the request's Origin when it is in the list"
    params = (Param("origin", STRING, "an accepted origin, e.g. \"https://www.example.org\"", optional=True,
                    variadic=True),)

    def make(self, args: tuple[Arg, ...]) -> Any:
        return CorsOrigin(frozenset(str(a) for a in args if header_value_ok(str(a))))

"""``redirect(code[, location])``: Skipper's deprecated redirect, run on the response.

Unlike ``redirectTo``, which answers before the backend, ``redirect`` lets the request go to the
backend and then replaces whatever came back with ``code`` and a ``Location``. The location is
completed from the request as ``redirectTo`` does: a missing scheme is ``https``, a missing host
the request's host, a missing path the request's path, a missing query the request's query.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, quote, urlsplit

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.filters.values import header_value_ok
from skipperd.http.context import FilterContext
from skipperd.http.headers import Headers
from skipperd.http.response import Response
from skipperd.params import INT, STRING, Param

_SAFE_PATH = "/:@!$&'()*+,;=-._~"


def location(target: SplitResult, ctx: FilterContext, lower: bool = False) -> str:
    req = ctx.request
    scheme = target.scheme or "https"
    host = target.netloc or req.headers.get("host") or req.host
    path = target.path if target.path else quote(req.path, safe=_SAFE_PATH)
    if lower:
        path = path.lower()
    query = target.query or req.query
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


def redirect_args(name: str, args: tuple[Arg, ...]) -> tuple[int, SplitResult]:
    """The status code and the (partial) location of ``redirect``, ``redirectTo`` and
    ``redirectToLower``, checked."""
    code = int(args[0])
    if not 100 <= code <= 999:
        raise InvalidArguments(name, f"invalid status code {args[0]!r}")
    text = str(args[1]) if len(args) == 2 else ""
    if not header_value_ok(text):
        raise InvalidArguments(name, "the location cannot contain CR, LF or NUL")
    try:
        return code, urlsplit(text)
    except ValueError as e:
        raise InvalidArguments(name, f"invalid location {text!r}: {e}") from None


class Redirect:
    __slots__ = ("code", "target")

    def __init__(self, code: int, target: SplitResult) -> None:
        self.code = code
        self.target = target

    def response(self, ctx: FilterContext) -> None:
        loc = location(self.target, ctx)
        if not header_value_ok(loc):
            return
        ctx.response = Response(self.code, Headers([("location", "Location", loc)]), b"")


class RedirectSpec(Spec):
    name = names.REDIRECT
    summary = "deprecated (use redirectTo): after the backend, answers with a redirect instead"
    params = (Param("code", INT, "status code, e.g. 301"),
              Param("location", STRING, "where to; parts left out come from the request", optional=True))

    def make(self, args: tuple[Arg, ...]) -> Any:
        return Redirect(*redirect_args(self.name, args))

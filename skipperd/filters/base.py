"""The filter spec interface (Skipper's ``filters.Spec`` and ``filters.Filter``).

``create(args)`` validates and returns an instance shared by every request on the route; an
instance holds no request state. ``request(ctx)`` runs before the backend, ``response(ctx)``
after it, in reverse filter order. A filter that has nothing to do in one phase leaves the
method out: the routing table only calls the phases an instance defines.
"""

from __future__ import annotations

from typing import Protocol

from skipperd.eskip.route import Arg
from skipperd.http.context import FilterContext


class RequestFilter(Protocol):
    def request(self, ctx: FilterContext) -> None: ...


class ResponseFilter(Protocol):
    def response(self, ctx: FilterContext) -> None: ...


class FilterInstance(Protocol):
    """Any object: it defines ``request`` (a ``RequestFilter``), ``response`` (a
    ``ResponseFilter``) or both. Typing cannot say "at least one of", so the routing table checks
    with ``getattr`` once per route, never per request."""


class FilterSpec(Protocol):
    name: str

    def create(self, args: tuple[Arg, ...]) -> FilterInstance: ...

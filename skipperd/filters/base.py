"""The filter spec interface (Skipper's ``filters.Spec`` and ``filters.Filter``).

A spec has a ``name``, ``validate(args)`` and ``create(args)``. ``validate`` checks the
arguments and raises ``InvalidArguments``; it builds nothing and is what the supervisor calls.
``create`` returns an instance (it validates too); only workers call it. A spec without a
``validate`` of its own is validated by ``create``, which is right for specs whose instances are
plain values; ``Spec`` below gives both from one ``parse``.

An instance defines ``request(ctx)`` and/or ``response(ctx)``: ``request`` runs before the
backend, ``response`` after it, in reverse filter order. A filter that has nothing to do in one
phase leaves the method out: the routing table only calls the phases an instance defines.

Optional attributes the runtime reads (class or instance attributes, read once per route build):

``per_route: bool`` (spec)
    instances hold per-route state (fadeIn, breakers): each route gets its own instance, still
    kept across table swaps while the route keeps the filter. Without it, instances with equal
    ``(name, args)`` are shared by all routes. ``cacheable = False`` is the older spelling.
``close()`` (instance)
    called once when no route of the worker's table uses the instance any more.
``handle_error_response: bool`` (instance)
    its ``response`` also runs on error responses (backend failures, timeouts), as Skipper's
    ``errorHandlerFilter``; other filters' response phases do not.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

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


def validate_args(spec: FilterSpec, args: tuple[Arg, ...]) -> None:
    """Check ``args`` the cheapest way the spec offers: ``validate`` when it has one."""
    v = getattr(spec, "validate", None)
    if v is not None:
        v(args)
    else:
        spec.create(args)


def is_per_route(spec: FilterSpec) -> bool:
    return bool(getattr(spec, "per_route", False)) or getattr(spec, "cacheable", True) is False


P = TypeVar("P")


class Spec(Generic[P]):
    """A base for specs: ``parse`` checks the arguments into a plain value, ``build`` makes the
    instance from it. ``validate`` is ``parse``; ``create`` is ``build(parse(args))``."""

    name: str = ""

    def parse(self, args: tuple[Arg, ...]) -> P:
        raise NotImplementedError

    def build(self, parsed: P) -> Any:
        raise NotImplementedError

    def validate(self, args: tuple[Arg, ...]) -> None:
        self.parse(args)

    def create(self, args: tuple[Arg, ...]) -> Any:
        return self.build(self.parse(args))

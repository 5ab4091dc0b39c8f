"""The exception tree of skipperd: one base, a few families, each naming what failed and why."""

from __future__ import annotations


class SkipperdError(Exception):
    """Base of every error skipperd raises on purpose."""


class ConfigError(SkipperdError):
    """A setting, flag or config-file key is unknown or has an invalid value."""


class InvalidArguments(SkipperdError):
    """A predicate or filter was created with arguments it does not accept.

    Mirrors Skipper's ``ErrInvalidFilterParameters``/``ErrInvalidPredicateParameters``. ``name``
    is the predicate or filter name; ``route_id`` is filled in by the caller that knows the route.
    """

    def __init__(self, name: str, reason: str, route_id: str = "") -> None:
        self.name = name
        self.reason = reason
        self.route_id = route_id
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"route {self.route_id!r}: " if self.route_id else ""
        return f"{where}invalid arguments to {self.name}: {self.reason}"

    def with_route(self, route_id: str) -> "InvalidArguments":
        return InvalidArguments(self.name, self.reason, route_id)


class UnknownSpec(SkipperdError):
    """A route names a predicate or filter that the registry does not have."""

    def __init__(self, kind: str, name: str, route_id: str = "") -> None:
        self.kind = kind
        self.name = name
        self.route_id = route_id
        where = f"route {route_id!r}: " if route_id else ""
        super().__init__(f"{where}{kind} not found: {name!r}")


class InvalidRoute(SkipperdError):
    """A route definition cannot be compiled into a runtime route (bad backend, duplicate Path ...)."""

    def __init__(self, route_id: str, reason: str) -> None:
        self.route_id = route_id
        self.reason = reason
        super().__init__(f"invalid route {route_id!r}: {reason}")

"""A registry of specs by name, built by ``make_registry`` functions, never filled by imports."""

from __future__ import annotations

from typing import Generic, Iterable, Iterator, Protocol, TypeVar


class _Named(Protocol):
    name: str


S = TypeVar("S", bound=_Named)


class Registry(Generic[S]):
    __slots__ = ("_specs",)

    def __init__(self, specs: Iterable[S] = ()) -> None:
        self._specs: dict[str, S] = {}
        for s in specs:
            self.register(s)

    def register(self, spec: S) -> None:
        self._specs[spec.name] = spec

    def get(self, name: str) -> S | None:
        return self._specs.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[S]:
        return iter(self._specs.values())

    def names(self) -> list[str]:
        return sorted(self._specs)

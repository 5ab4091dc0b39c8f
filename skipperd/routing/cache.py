"""Spec instances shared by identical definitions (../shared/STYLE.md §3).

A worker builds a new table on every generation; most routes are unchanged, and many routes
repeat the same filters and predicates (``Host(...)`` of one ingress, ``setRequestHeader`` with
the same arguments). ``SpecCache`` creates each ``(kind, name, args)`` once and hands out the
same instance across routes and across rebuilds. Backends are cached the same way by value.

Each build is a generation: ``begin()`` starts one, every lookup marks its entry, ``prune()``
drops what the generation did not use, so a long-lived worker holds only what its table needs.

A spec that keeps per-route state in its instances opts out with ``cacheable = False``; its
instances are created per use. A cache belongs to one pair of registries: given others, it
starts empty.
"""

from __future__ import annotations

from typing import Any, Hashable

from skipperd.errors import UnknownSpec
from skipperd.eskip.route import Backend, Filter, Predicate
from skipperd.filters.base import FilterInstance, FilterSpec
from skipperd.predicates.base import PredicateInstance, PredicateSpec
from skipperd.registry import Registry
from skipperd.routing.route import RuntimeBackend


class SpecCache:
    __slots__ = ("_entries", "_generation", "_registries")

    def __init__(self) -> None:
        self._entries: dict[Hashable, list[Any]] = {}  # key -> [value, generation]
        self._generation = 0
        self._registries: tuple[object, object] | None = None

    def use(self, predicates: Registry[PredicateSpec], filters: Registry[FilterSpec]) -> None:
        if self._registries is None or self._registries[0] is not predicates or self._registries[1] is not filters:
            self._entries.clear()
            self._registries = (predicates, filters)

    def begin(self) -> None:
        self._generation += 1

    def prune(self) -> None:
        g = self._generation
        self._entries = {k: e for k, e in self._entries.items() if e[1] == g}

    def __len__(self) -> int:
        return len(self._entries)

    def _get(self, key: Hashable) -> Any:
        e = self._entries.get(key)
        if e is None:
            return None
        e[1] = self._generation
        return e[0]

    def _put(self, key: Hashable, value: Any) -> None:
        self._entries[key] = [value, self._generation]

    def predicate(self, registry: Registry[PredicateSpec], p: Predicate) -> PredicateInstance:
        """Raises ``UnknownSpec``, ``InvalidArguments``, or whatever a faulty spec raises."""
        return self._instance("predicate", registry, p)  # type: ignore[no-any-return]

    def filter(self, registry: Registry[FilterSpec], f: Filter) -> FilterInstance:
        return self._instance("filter", registry, f)  # type: ignore[no-any-return]

    def _instance(self, kind: str, registry: Registry[Any], item: Predicate | Filter) -> Any:
        key = (kind, item)
        inst = self._get(key)
        if inst is None:
            spec = registry.get(item.name)
            if spec is None:
                raise UnknownSpec(kind, item.name)
            inst = spec.create(item.args)
            if getattr(spec, "cacheable", True):
                self._put(key, inst)
        return inst

    def backend(self, b: Backend) -> RuntimeBackend:
        """Raises ValueError with the reason when the backend is not usable."""
        key = ("b", b)
        rb = self._get(key)
        if rb is None:
            rb = RuntimeBackend.compile(b)
            self._put(key, rb)
        return rb  # type: ignore[no-any-return]

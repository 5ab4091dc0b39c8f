"""Spec instances shared by identical definitions.

A worker builds a new table on every generation; most routes are unchanged, and many routes
repeat the same filters and predicates (``Host(...)`` of one ingress, ``setRequestHeader`` with
the same arguments). ``SpecCache`` creates each ``(kind, name, args)`` once and hands out the
same instance across routes and across rebuilds. Backends are cached the same way by value.

Each build is a generation: ``begin()`` starts one, every lookup marks its entry, ``prune()``
drops what the generation did not use, so a long-lived worker holds only what its table needs;
a dropped filter instance that has a ``close()`` is closed then (a removed route's filters).
A builder that knows which entries fell out of use drops just those (``drop_entries``).

A filter spec that keeps per-route state in its instances says so with ``per_route = True``
(``cacheable = False`` is the older spelling): its instances are keyed by route id, filter
position, name and arguments, so each route has its own and keeps it across table swaps as long
as the route keeps that filter. A cache belongs to one pair of registries: given others, it
starts empty (and closes what it held).

``validate_only``: the supervisor's cache checks filter arguments with the specs' ``validate``
and creates no filter instance (``filters.base.validate_args``).
"""

from __future__ import annotations

from typing import Any, Hashable

from skipperd.errors import UnknownSpec
from skipperd.eskip.route import Backend, Filter, Predicate
from skipperd.filters.base import FilterInstance, FilterSpec, is_per_route, validate_args
from skipperd.predicates.base import PredicateInstance, PredicateSpec
from skipperd.registry import Registry
from skipperd.routing.route import RuntimeBackend


_VALIDATED = object()


class SpecCache:
    __slots__ = ("_entries", "_generation", "_registries", "validate_only", "collect")

    def __init__(self, validate_only: bool = False) -> None:
        self._entries: dict[Hashable, list[Any]] = {}  # key -> [value, generation]
        self._generation = 0
        self._registries: tuple[object, object] | None = None
        self.validate_only = validate_only
        # While set, every entry looked up or added is appended: a route's entries, so that
        # a route kept as it is into the next table marks them used without looking them up.
        self.collect: list[list[Any]] | None = None

    def use(self, predicates: Registry[PredicateSpec], filters: Registry[FilterSpec]) -> None:
        if self._registries is None or self._registries[0] is not predicates or self._registries[1] is not filters:
            self.close_all()
            self._registries = (predicates, filters)

    def begin(self) -> None:
        self._generation += 1

    def prune(self) -> None:
        g = self._generation
        keep: dict[Hashable, list[Any]] = {}
        for k, e in self._entries.items():
            if e[1] == g:
                keep[k] = e
            else:
                _close(k, e[0])
        self._entries = keep

    def drop_entries(self, entries: list[list[Any]]) -> None:
        """Drop (and close) these entries, which their owner knows no one uses any more (a
        worker's ``routing.incremental`` counts the routes that hold each): no other entry is
        looked at. An entry already replaced under its key is left alone."""
        cached = self._entries
        for e in entries:
            if len(e) > 2 and cached.get(e[2]) is e:
                del cached[e[2]]
                _close(e[2], e[0])

    def close_all(self) -> None:
        for k, e in self._entries.items():
            _close(k, e[0])
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _get(self, key: Hashable) -> Any:
        e = self._entries.get(key)
        if e is None:
            return None
        e[1] = self._generation
        if self.collect is not None:
            self.collect.append(e)
        return e[0]

    def _put(self, key: Hashable, value: Any) -> None:
        e = self._entries[key] = [value, self._generation, key]
        if self.collect is not None:
            self.collect.append(e)

    def touch(self, entries: list[list[Any]]) -> None:
        """Mark entries collected for a route as used by the generation being built."""
        g = self._generation
        for e in entries:
            e[1] = g

    def predicate(self, registry: Registry[PredicateSpec], p: Predicate) -> PredicateInstance:
        """Raises ``UnknownSpec``, ``InvalidArguments``, or whatever a faulty spec raises."""
        return self._instance("predicate", registry, p)  # type: ignore[no-any-return]

    def filter(self, registry: Registry[FilterSpec], f: Filter, route_id: str = "", position: int = 0) -> FilterInstance:
        """The instance for filter ``f`` at ``position`` in route ``route_id``: shared by equal
        ``(name, args)``, or the route's own for ``per_route`` specs; with ``validate_only``, a
        placeholder after the arguments were checked."""
        spec = registry.get(f.name)
        if spec is None:
            raise UnknownSpec("filter", f.name)
        if self.validate_only:
            key: Hashable = ("vf", f)
            if self._get(key) is None:
                validate_args(spec, f.args)
                self._put(key, _VALIDATED)
            return _VALIDATED
        key = ("fr", route_id, position, f) if is_per_route(spec) else ("filter", f)
        inst = self._get(key)
        if inst is None:
            inst = spec.create(f.args)
            self._put(key, inst)
        return inst  # type: ignore[no-any-return]

    def _instance(self, kind: str, registry: Registry[Any], item: Predicate | Filter) -> Any:
        key = (kind, item)
        inst = self._get(key)
        if inst is None:
            spec = registry.get(item.name)
            if spec is None:
                raise UnknownSpec(kind, item.name)
            inst = spec.create(item.args)
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


def _close(key: Hashable, value: Any) -> None:
    if not (isinstance(key, tuple) and key and key[0] in ("filter", "fr")):
        return
    close = getattr(value, "close", None)
    if close is not None:
        try:
            close()
        except Exception:  # a faulty filter must not stop the table swap
            import logging

            logging.getLogger("skipperd.routing").exception("closing filter instance %r", value)

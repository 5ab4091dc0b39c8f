"""Values computed from raw objects, kept from one conversion to the next.

A watch event changes one object; every other object of the next snapshot is the same dict as
before (or, after a re-list, an equal one). ``ObjectMemo`` finds what was computed from an
object by its identity, else by its namespace and name and equality, and forgets the objects
that a conversion no longer saw. Values are computed from the object alone (plus the options,
which are fixed for a memo's life); whatever else they read is checked by the caller.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from skipperd.dataclients.kubernetes.model import KubeObject

T = TypeVar("T")
NameKey = tuple[str | None, str | None]


def _name_key(obj: KubeObject) -> NameKey | None:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return None
    ns, name = meta.get("namespace"), meta.get("name")
    return (ns if isinstance(ns, str) else None), (name if isinstance(name, str) else None)


class ObjectMemo(Generic[T]):
    """Two generations: the conversion running (``keep``) and the last one that succeeded."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[KubeObject, T]] = {}
        self._by_name: dict[NameKey | None, list[tuple[KubeObject, T]]] = {}
        self._next: dict[int, tuple[KubeObject, T]] = {}

    def find(self, obj: KubeObject) -> T | None:
        """What was kept for this object, or for an equal one of the same name; None if nothing."""
        if not self._by_id:
            got = self._next.get(id(obj))  # nothing from a last conversion: only this one's
            return got[1] if got is not None and got[0] is obj else None
        got = self._by_id.get(id(obj))
        if got is not None and got[0] is obj:
            return got[1]
        got = self._next.get(id(obj))
        if got is not None and got[0] is obj:
            return got[1]
        if not self._by_name:
            self._index()
        for old, value in self._by_name.get(_name_key(obj), ()):
            if old == obj:
                return value
        return None

    def keep(self, obj: KubeObject, value: T) -> None:
        """Remember ``value`` for ``obj`` in the running conversion."""
        self._next[id(obj)] = (obj, value)

    def carry(self) -> None:
        """Keep everything the last conversion kept (its objects are all in this one)."""
        self._next.update(self._by_id)

    def commit(self) -> None:
        """The running conversion succeeded: what it kept is what the next one finds."""
        self._by_id, self._next = self._next, {}
        self._by_name = {}

    def abandon(self) -> None:
        """The running conversion failed: the next one finds what the last good one kept."""
        self._next = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def _index(self) -> None:
        by_name: dict[NameKey | None, list[tuple[KubeObject, T]]] = {None: []}
        for obj, value in self._by_id.values():
            by_name.setdefault(_name_key(obj), []).append((obj, value))
        self._by_name = by_name


class Generations(Generic[T]):
    """A memo by hashable key with the same two generations as ``ObjectMemo``."""

    def __init__(self) -> None:
        self._last: dict[Any, T] = {}
        self._next: dict[Any, T] = {}

    def get(self, key: Any) -> T | None:
        got = self._next.get(key)
        if got is None:
            got = self._last.get(key)
            if got is not None:
                self._next[key] = got
        return got

    def keep(self, key: Any, value: T) -> None:
        self._next[key] = value

    def commit(self) -> None:
        self._last, self._next = self._next, {}

    def abandon(self) -> None:
        self._next = {}

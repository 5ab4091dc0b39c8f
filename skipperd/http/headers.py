"""Header fields: an ordered, case-insensitive multi-map.

Kept as a flat list of ``(lower_name, name, value)`` triples: a request has about ten fields,
and a linear scan over pre-lowered names is cheaper in CPython than maintaining a dict beside
the list. Names keep their received case when forwarded.
"""

from __future__ import annotations

from typing import Iterator

from skipperd.http.fields import safe_items, unsafe_fields


class Headers:
    __slots__ = ("_items",)

    def __init__(self, items: list[tuple[str, str, str]] | None = None) -> None:
        self._items: list[tuple[str, str, str]] = items if items is not None else []

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, str]]) -> "Headers":
        return cls([(n.lower(), n, v) for n, v in pairs])

    def add(self, name: str, value: str) -> None:
        self._items.append((name.lower(), name, value))

    def get(self, name: str, default: str | None = None) -> str | None:
        key = name.lower()
        for k, _, v in self._items:
            if k == key:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        key = name.lower()
        return [v for k, _, v in self._items if k == key]

    def set(self, name: str, value: str) -> None:
        self.set_field(name.lower(), name, value)

    def set_field(self, lower: str, name: str, value: str) -> None:
        """``set`` for callers that lower-cased the name once (filters do, at route build)."""
        items = self._items
        n = 0
        for t in items:
            if t[0] == lower:
                n += 1
        if n == 0:
            items.append((lower, name, value))
        elif n == 1:
            for i, t in enumerate(items):
                if t[0] == lower:
                    items[i] = (lower, name, value)
                    return
        else:
            self._items = [t for t in items if t[0] != lower]
            self._items.append((lower, name, value))

    def remove_names(self, lowers: frozenset[str]) -> None:
        """Remove every field whose lower-case name is in ``lowers``."""
        self._items = [t for t in self._items if t[0] not in lowers]

    def remove(self, name: str) -> None:
        key = name.lower()
        self._items = [t for t in self._items if t[0] != key]

    def drop_unsendable(self) -> list[str]:
        """Remove the fields whose name or value carries CR, LF or NUL; their names."""
        bad = unsafe_fields(self._items)
        if bad:
            self._items = safe_items(self._items)
        return bad

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = name.lower()
        for k, _, _ in self._items:
            if k == key:
                return True
        return False

    def items(self) -> Iterator[tuple[str, str]]:
        for _, n, v in self._items:
            yield n, v

    def raw(self) -> list[tuple[str, str, str]]:
        """The underlying triples, for the proxy's serialiser. Do not mutate."""
        return self._items

    def copy(self) -> "Headers":
        return Headers(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({[(n, v) for _, n, v in self._items]!r})"

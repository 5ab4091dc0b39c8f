"""The fake API server's objects: a versioned store with a bounded event history.

Every change takes the next resourceVersion (one counter for the whole store, as etcd's revision
is for a real API server) and is appended to the history that watches replay. The history keeps
the last ``history`` events; a watch or a paged list that asks for a version older than what the
history still holds gets 410 Gone, exactly the condition a real server reports after etcd
compaction. ``compact()`` forces that condition for tests.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Iterable

from skipperd.kubeapi.resources import RESOURCES, Resource, by_kind, field_values
from skipperd.kubeapi.selectors import Selector

Obj = dict[str, Any]


class StoreError(Exception):
    """A change the store refuses: ``code`` is the HTTP status a real server would answer,
    ``details`` the Status object's ``details`` (name, group, kind, causes)."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        self.code = code
        self.reason = reason
        self.details = details
        super().__init__(message)


def _details(resource: Resource, name: str, **more: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"name": name}
    if resource.group:
        d["group"] = resource.group
    d["kind"] = resource.plural
    d.update(more)
    return d


def not_found(resource: Resource, name: str) -> StoreError:
    return StoreError(404, "NotFound", f'{resource.qualified} "{name}" not found', _details(resource, name))


def conflict(resource: Resource, name: str) -> StoreError:
    return StoreError(409, "Conflict", f'Operation cannot be fulfilled on {resource.qualified} "{name}": the '
                      "object has been modified; please apply your changes to the latest version and try again",
                      _details(resource, name))


def invalid(resource: Resource, name: str, field: str, cause: str, message: str) -> StoreError:
    """422 as a real server words it: ``Kind.group "name" is invalid: field: message``."""
    kind = f"{resource.kind}.{resource.group}" if resource.group else resource.kind
    d: dict[str, Any] = {"name": name}
    if resource.group:
        d["group"] = resource.group
    d["kind"] = resource.kind
    d["causes"] = [{"reason": cause, "message": message, "field": field}]
    return StoreError(422, "Invalid", f'{kind} "{name}" is invalid: {field}: {message}', d)


class Gone(StoreError):
    def __init__(self, message: str) -> None:
        super().__init__(410, "Expired", message)


class TooLarge(StoreError):
    """A version the store has not reached (a real server waits 3 s for it, then says this)."""

    def __init__(self, rv: int, current: int) -> None:
        super().__init__(504, "Timeout", f"Timeout: Too large resource version: {rv}, current: {current}",
                         {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                          "retryAfterSeconds": 1})


@dataclass(frozen=True, slots=True)
class Event:
    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    resource: str  # plural name
    namespace: str
    obj: Obj  # the object as it was after the change (for DELETED: the last state, new version)
    prev: Obj | None = None  # the object before the change (None for ADDED)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Store:
    def __init__(self, history: int = 10000) -> None:
        self._objects: dict[str, dict[tuple[str, str], Obj]] = {r.plural: {} for r in RESOURCES}
        self._events: deque[Event] = deque(maxlen=max(1, history))
        self._rv = 1
        self._floor = 1  # the oldest version a watch may start from
        self.compactions = 0  # a watch that started before a compaction is ended with 410
        self.cond = threading.Condition()

    # --- reading ---------------------------------------------------------------------------------

    @property
    def rv(self) -> int:
        return self._rv

    def items(self, resource: Resource, namespace: str | None, labels: Selector | None = None,
             fields: Selector | None = None) -> tuple[int, list[Obj]]:
        with self.cond:
            items = [o for (ns, _), o in sorted(self._objects[resource.plural].items())
                     if (namespace is None or ns == namespace) and selected(o, labels, fields)]
            return self._rv, items

    def items_at(self, rv: int, resource: Resource, namespace: str | None, labels: Selector | None = None,
                 fields: Selector | None = None) -> list[Obj]:
        """The objects as they were at version ``rv`` exactly (a list with
        ``resourceVersionMatch=Exact`` and the pages of a paged list): the current state with
        the history after ``rv`` undone. ``Gone`` when the history no longer reaches back to it,
        ``TooLarge`` when the store has not reached it."""
        with self.cond:
            if rv > self._rv:
                raise TooLarge(rv, self._rv)
            if rv < self._floor:
                raise Gone(f"too old resource version: {rv} ({self._floor})")
            objs = dict(self._objects[resource.plural])
            for e in reversed(self._events):
                if e.rv <= rv:
                    break
                if e.resource != resource.plural:
                    continue
                key = (e.namespace, str(e.obj["metadata"]["name"]))
                if e.prev is None:
                    objs.pop(key, None)
                else:
                    objs[key] = e.prev
            return [o for (ns, _), o in sorted(objs.items())
                    if (namespace is None or ns == namespace) and selected(o, labels, fields)]

    def wait_for(self, rv: int, timeout: float) -> None:
        """Wait until the store reached ``rv`` (a list or get with a newer resourceVersion than the
        server has seen); ``TooLarge`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self._rv < rv:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TooLarge(rv, self._rv)
                self.cond.wait(left)

    def get(self, resource: Resource, namespace: str, name: str) -> Obj | None:
        with self.cond:
            return self._objects[resource.plural].get((namespace, name))

    def events_since(self, rv: int, resource: Resource, namespace: str | None) -> tuple[list[Event], int]:
        """Events after ``rv`` for one resource, and the version they bring a watcher to; raises
        ``Gone`` when the history lost some of them."""
        with self.cond:
            if rv < self._floor:
                raise Gone(f"too old resource version: {rv} ({self._floor})")
            if rv >= self._rv:
                return [], rv
            return [e for e in self._events if e.rv > rv and e.resource == resource.plural
                    and (namespace is None or e.namespace == namespace)], self._rv

    def check_version(self, rv: int) -> None:
        with self.cond:
            if rv < self._floor:
                raise Gone(f"too old resource version: {rv} ({self._floor})")

    # --- changing --------------------------------------------------------------------------------

    def apply(self, obj: Obj, create_only: bool = False, update_only: bool = False,
              precondition: str = "") -> tuple[str, Obj]:
        """Create or replace one object; returns ("created" | "updated" | "unchanged", stored).
        ``precondition``: the resourceVersion the client read (an update or patch that carries
        one); another current version is a 409 Conflict, as optimistic concurrency has it."""
        resource, ns, name = _identify(obj)
        with self.cond:
            objs = self._objects[resource.plural]
            old = objs.get((ns, name))
            if old is not None and create_only:
                raise StoreError(409, "AlreadyExists", f'{resource.qualified} "{name}" already exists',
                                 _details(resource, name))
            if old is None and update_only:
                raise not_found(resource, name)
            if old is not None and precondition and precondition != old["metadata"].get("resourceVersion"):
                raise conflict(resource, name)
            new = copy.deepcopy(obj)
            new["apiVersion"] = resource.api_version
            new["kind"] = resource.kind
            meta = new.setdefault("metadata", {})
            meta["namespace"] = ns
            if old is not None:
                ometa = old["metadata"]
                if _content(old) == _content(new) and meta.get("labels") == ometa.get("labels") \
                        and meta.get("annotations") == ometa.get("annotations"):
                    return "unchanged", old
                meta["uid"] = ometa["uid"]
                meta["creationTimestamp"] = ometa["creationTimestamp"]
                gen = int(ometa.get("generation", 1))
                meta["generation"] = gen + 1 if _spec(old) != _spec(new) else gen
            else:
                meta["uid"] = str(uuid.uuid4())
                meta["creationTimestamp"] = _now()
                meta["generation"] = 1
            for k in ("resourceVersion", "selfLink", "managedFields", "deletionTimestamp"):
                meta.pop(k, None)
            self._rv += 1
            meta["resourceVersion"] = str(self._rv)
            objs[(ns, name)] = new
            self._record(Event(self._rv, "MODIFIED" if old is not None else "ADDED", resource.plural, ns, new, old))
            return ("updated" if old is not None else "created"), new

    def delete(self, resource: Resource, namespace: str, name: str, precondition: str = "") -> Obj:
        with self.cond:
            old = self._objects[resource.plural].get((namespace, name))
            if old is None:
                raise not_found(resource, name)
            if precondition and precondition != old["metadata"].get("resourceVersion"):
                raise conflict(resource, name)
            del self._objects[resource.plural][(namespace, name)]
            self._rv += 1
            gone = dict(old, metadata=dict(old["metadata"], resourceVersion=str(self._rv)))
            self._record(Event(self._rv, "DELETED", resource.plural, namespace, gone, old))
            return gone

    def delete_object(self, obj: Obj) -> Obj:
        resource, ns, name = _identify(obj)
        return self.delete(resource, ns, name)

    def replace_all(self, objs: Iterable[Obj]) -> None:
        """Make the store hold exactly ``objs``: deletions and changes become events, as if a
        client had made them one by one."""
        wanted: dict[tuple[str, str, str], Obj] = {}
        for o in objs:
            resource, ns, name = _identify(o)
            wanted[(resource.plural, ns, name)] = o
        with self.cond:
            for plural, objects in self._objects.items():
                for ns, name in list(objects):
                    if (plural, ns, name) not in wanted:
                        self.delete(RESOURCES_BY_PLURAL[plural], ns, name)
            for o in wanted.values():
                self.apply(o)

    def compact(self) -> None:
        """Forget the history: every open watch, and every watch or continue token from an
        earlier version, gets 410 Gone (as after etcd compaction or a watch-cache reset)."""
        with self.cond:
            self._events.clear()
            self._floor = self._rv
            self.compactions += 1
            self.cond.notify_all()

    def _record(self, event: Event) -> None:
        if len(self._events) == self._events.maxlen:
            self._floor = self._events[0].rv
        self._events.append(event)
        self.cond.notify_all()

    def counts(self) -> dict[str, int]:
        with self.cond:
            return {p: len(o) for p, o in self._objects.items()}


RESOURCES_BY_PLURAL = {r.plural: r for r in RESOURCES}


def _identify(obj: Obj) -> tuple[Resource, str, str]:
    if not isinstance(obj, dict):
        raise StoreError(400, "BadRequest", "an object must be a mapping")
    resource = by_kind(str(obj.get("kind", "")))
    if resource is None:
        raise StoreError(400, "BadRequest", f"kind {obj.get('kind')!r} is not served "
                         f"(served: {', '.join(r.kind for r in RESOURCES)})")
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise invalid(resource, "", "metadata.name", "FieldValueRequired",
                      "Required value: name or generateName is required")
    ns = meta.get("namespace") or "default"
    if not isinstance(ns, str):
        raise invalid(resource, meta["name"], "metadata.namespace", "FieldValueInvalid",
                      f"Invalid value: {ns!r}: must be a string")
    return resource, ns, meta["name"]


def _spec(o: Obj) -> Any:
    return {k: v for k, v in o.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _content(o: Obj) -> Any:
    return {k: v for k, v in o.items() if k not in ("metadata", "apiVersion", "kind")}


def selected(o: Obj, labels: Selector | None, fields: Selector | None) -> bool:
    meta = o.get("metadata", {})
    if labels is not None and not labels.matches(meta.get("labels") or {}):
        return False
    if fields is not None and not fields.matches(field_values(o)):
        return False
    return True

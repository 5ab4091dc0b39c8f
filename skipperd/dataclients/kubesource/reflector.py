"""One resource kept current: list, then watch from the list's version (client-go's reflector).

    list ──> watch from its resourceVersion (bookmarks advance the version) ──┐
      ^          the stream ends: watch again from the last version ──────────┤
      └──── 410 Gone, a failed watch, or -source-poll-timeout elapsed ────────┘

A failure (server gone, 5xx, timeout) keeps the objects of the last good list and retries with
exponential back-off; the error is logged once per distinct error and its recovery once. An item
that is not an object with a name is skipped with a log line naming it (kind, namespace, name or
position) and never fails the rest. Every change bumps ``version`` and calls ``notify`` so the
supervisor converts at once instead of at its next tick.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from skipperd.dataclients.kubesource.connection import APIError, Connection, WatchStream

log = logging.getLogger("skipperd.kubernetes")

BACKOFF_MIN = 0.25
BACKOFF_MAX = 10.0
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # "Ingress"
    prefix: str  # /apis/networking.k8s.io/v1
    plural: str  # ingresses

    def path(self, namespace: str) -> str:
        return f"{self.prefix}/namespaces/{namespace}/{self.plural}" if namespace else f"{self.prefix}/{self.plural}"


class Reflector:
    def __init__(self, conn: Connection, kind: Kind, namespace: str = "", label_selector: str = "",
                 relist_interval: float = 3.0, notify: Callable[[], None] = lambda: None,
                 available: Callable[[], bool | None] | None = None, watch: bool = True) -> None:
        self.conn = conn
        self.kind = kind
        self.path = kind.path(namespace)
        self.query = {"labelSelector": label_selector} if label_selector else {}
        self.relist_interval = max(1.0, relist_interval)
        self.notify = notify
        self.available = available  # None: always; else a check run before each list
        self.use_watch = watch
        self.objects: dict[Key, dict[str, Any]] = {}
        self.resource_version = ""
        self.synced = threading.Event()  # a first list (or "not available") has been taken
        self.is_available = True
        self.version = 0
        self.error = ""
        self.lists = 0
        self.watch_events = 0
        self._lock = threading.Lock()
        self._stopped = False
        self._stop = threading.Event()
        self._stream: WatchStream | None = None  # the watch being followed
        self._malformed: set[str] = set()
        self._thread: threading.Thread | None = None

    # --- the snapshot the source converts ---------------------------------------------------------

    def snapshot(self) -> tuple[tuple[dict[str, Any], ...], int]:
        with self._lock:
            return tuple(self.objects.values()), self.version

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"kubernetes-{self.kind.plural}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop at once: the watch being followed is aborted and no request follows."""
        self._stopped = True
        self._stop.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.abort()

    def join(self, timeout: float) -> bool:
        """Wait for the thread to end after ``stop()``; False if it has not."""
        t = self._thread
        if t is not None:
            t.join(timeout)
            return not t.is_alive()
        return True

    def run(self) -> None:
        backoff = BACKOFF_MIN
        while not self._stopped:
            try:
                self.cycle()
                backoff = BACKOFF_MIN
            except APIError as e:
                if self._stopped:
                    break
                self._failed(str(e))
                self._stop.wait(backoff)
                backoff = min(BACKOFF_MAX, backoff * 2)
            except Exception as e:  # a bug must not end the thread: the supervisor would go stale
                if self._stopped:
                    # stop() aborted the stream under a read: expected, and a logged traceback
                    # would keep the aborted connection's socket alive past its close.
                    break
                log.exception("kubernetes: %s: unexpected failure", self.kind.plural)
                self._failed(f"unexpected: {e}")
                self._stop.wait(backoff)
                backoff = min(BACKOFF_MAX, backoff * 2)

    def _failed(self, error: str) -> None:
        if error != self.error:
            kept = len(self.objects)
            log.error("kubernetes: %s; keeping the last good %s (%d), retrying with back-off",
                      error, self.kind.plural, kept)
        self.error = error

    def _recovered(self) -> None:
        if self.error:
            log.info("kubernetes: %s are read again", self.kind.plural)
            self.error = ""

    def cycle(self) -> None:
        """One list and the watches that follow it until the next re-list is due."""
        deadline = time.monotonic() + self.relist_interval
        if self.available is not None:
            avail = self.available()
            if avail is None:
                raise APIError(0, f"cannot tell whether {self.kind.plural} are served")
            if not avail:
                self._replace({}, "")
                self.is_available = False
                self._recovered()
                self.synced.set()
                self._sleep_until(deadline)
                return
            self.is_available = True
        self.list()
        self._recovered()
        self.synced.set()
        while not self._stopped:
            remaining = deadline - time.monotonic()
            if remaining <= 0.5:
                return
            if not self.use_watch:
                self._sleep_until(deadline)
                return
            if not self.watch(remaining):
                return  # 410 or an error event: list again now

    def _sleep_until(self, deadline: float) -> None:
        while not self._stopped and time.monotonic() < deadline:
            self._stop.wait(min(0.5, max(0.0, deadline - time.monotonic())))

    # --- list -------------------------------------------------------------------------------------

    def list(self) -> None:
        body = self.conn.get_json(self.path, self.query)
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise APIError(200, f"GET {self.path}: not a list")
        objects: dict[Key, dict[str, Any]] = {}
        old = self.objects
        for i, item in enumerate(body["items"]):
            key = self._key(item, f"item {i} of {self.path}")
            if key is not None:
                # An object listed again at the same resourceVersion is the one we hold: keeping
                # that dict lets the converter's cache know it by identity.
                prev = old.get(key)
                rv = _rv(item)
                objects[key] = prev if prev is not None and rv is not None and _rv(prev) == rv else item
        rv = str((body.get("metadata") or {}).get("resourceVersion") or "")
        self.lists += 1
        self._replace(objects, rv)

    def _replace(self, objects: dict[Key, dict[str, Any]], rv: str) -> None:
        with self._lock:
            same = _versions(objects) == _versions(self.objects)
            self.objects = objects
            self.resource_version = rv
            if not same:
                self.version += 1
        if not same:
            self.notify()

    def _key(self, item: Any, where: str) -> Key | None:
        """(namespace, name) of an item, or None (logged once) when it is malformed."""
        meta = item.get("metadata") if isinstance(item, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        if isinstance(meta, dict) and isinstance(name, str) and name:
            ns = meta.get("namespace") or ""
            if isinstance(ns, str):
                if not isinstance(item.get("spec", {}), dict):
                    self._malformed_item(f"{self.kind.name} {ns}/{name}", "spec is not an object")
                    return None
                return ns, name
        ident = f"{self.kind.name} {where}"
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            ident = f"{self.kind.name} {meta.get('namespace')}/{meta['name']}"
        self._malformed_item(ident, "metadata.name or metadata.namespace missing or not a string"
                             if isinstance(item, dict) else f"not an object but {type(item).__name__}")
        return None

    def _malformed_item(self, ident: str, why: str) -> None:
        if ident + why not in self._malformed:
            self._malformed.add(ident + why)
            log.warning("kubernetes: skipping malformed %s: %s", ident, why)

    # --- watch ------------------------------------------------------------------------------------

    def watch(self, remaining: float) -> bool:
        """Follow one watch stream; False when a re-list is needed now."""
        query = dict(self.query, allowWatchBookmarks="true", resourceVersion=self.resource_version,
                     timeoutSeconds=str(max(1, int(remaining))))
        started = time.monotonic()
        try:
            # The stream is closed when this block is left, however: its socket never waits
            # for the garbage collector (a traceback kept by a log record would keep it open).
            with self.conn.watch(self.path, query, read_timeout=remaining + 30.0) as events:
                with self._lock:
                    self._stream = events
                if self._stopped:
                    return False
                return self._follow(events)
        except APIError as e:
            if self._stopped:
                return False
            # A stream cut after it ran a while (a load balancer, an API server restart) is
            # watched again from the last version; one that fails at once is an error.
            if e.status != 0 or time.monotonic() - started < 1.0:
                raise
            # str(e): a record that kept the exception would keep its traceback, and the failed
            # request's connection with it, for as long as a handler keeps the record
            log.info("kubernetes: %s; watching again from version %s", str(e), self.resource_version)
            return True
        finally:
            with self._lock:
                self._stream = None

    def _follow(self, events: Iterable[Any]) -> bool:
        for event in events:
            if self._stopped:
                return False
            if not isinstance(event, dict):
                continue
            typ, obj = event.get("type"), event.get("object")
            if typ == "ERROR":
                code = obj.get("code") if isinstance(obj, dict) else None
                msg = obj.get("message") if isinstance(obj, dict) else obj
                if code == 410:
                    log.info("kubernetes: %s watch expired (%s); listing again", self.kind.plural, msg)
                    return False
                raise APIError(int(code or 0), f"watch {self.path}: {msg}")
            if not isinstance(obj, dict):
                continue
            rv = (obj.get("metadata") or {}).get("resourceVersion") if isinstance(obj.get("metadata"), dict) else None
            if typ == "BOOKMARK":
                if rv:
                    self.resource_version = str(rv)
                continue
            self.watch_events += 1
            key = self._key(obj, f"in a {typ} event of {self.path}")
            if key is None:
                if rv:
                    self.resource_version = str(rv)
                continue
            with self._lock:
                if typ == "DELETED":
                    changed = self.objects.pop(key, None) is not None
                elif typ in ("ADDED", "MODIFIED"):
                    old = self.objects.get(key)
                    changed = old is None or _rv(old) != _rv(obj) or old != obj
                    if changed:
                        self.objects[key] = obj
                else:
                    changed = False
                if rv:
                    self.resource_version = str(rv)
                if changed:
                    self.version += 1
            if changed:
                self.notify()
        return True


def _rv(obj: dict[str, Any]) -> Any:
    meta = obj.get("metadata")
    return meta.get("resourceVersion") if isinstance(meta, dict) else None


def _versions(objects: dict[Key, dict[str, Any]]) -> dict[Key, Any]:
    return {k: (_rv(v), v if _rv(v) is None else None) for k, v in objects.items()}

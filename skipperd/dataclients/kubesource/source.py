"""``KubernetesSource``: the supervisor's route source for a Kubernetes cluster.

Reflectors (one thread each; greenlets in the supervisor, which gevent patches) keep Ingresses,
RouteGroups (when ``zalando.org/v1`` serves them), Services, Endpoints or EndpointSlices, and
Secrets (with ``-kubernetes-enable-tls``) current. ``changed()`` is true when any of them moved
since the last ``load()``; ``load()`` converts one consistent snapshot with the pure converter
(``skipperd.dataclients.kubernetes``). A change wakes the supervisor at once (``set_wakeup``), so
an event reaches the published table without waiting for a tick. The conversion is incremental
(a ``ConversionCache`` lives as long as the source): after a watch event only the objects it
touched, and those that read them, are converted again, and the routes of the others are the
same ``Route`` objects as in the last ``load()``, which the supervisor's own caches recognise.

Before every resource has been listed once, ``load()`` waits a little and then raises
``SourceError``: the supervisor publishes nothing from this source until the first complete
list, and keeps its last good routes whenever the API fails later (the reflectors keep theirs).
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import time
from typing import Any, Callable

from skipperd.config import Settings
from skipperd.dataclients.base import SourceError
from skipperd.dataclients.default_filters_dir import DefaultFiltersError, read_default_filters_dir
from skipperd.dataclients.kubernetes import ClusterState, Conversion, KubeOptions, LogEntry, convert
from skipperd.dataclients.kubernetes.convert import ConversionCache
from skipperd.dataclients.kubesource.connection import APIError, Connection, ConnectionSettings
from skipperd.dataclients.kubesource.reflector import Kind, Reflector
from skipperd.eskip.route import Route

log = logging.getLogger("skipperd.kubernetes")

INGRESSES = Kind("Ingress", "/apis/networking.k8s.io/v1", "ingresses")
ROUTEGROUPS = Kind("RouteGroup", "/apis/zalando.org/v1", "routegroups")
SERVICES = Kind("Service", "/api/v1", "services")
ENDPOINTS = Kind("Endpoints", "/api/v1", "endpoints")
ENDPOINTSLICES = Kind("EndpointSlice", "/apis/discovery.k8s.io/v1", "endpointslices")
SECRETS = Kind("Secret", "/api/v1", "secrets")

FIRST_LIST_WAIT = 10.0  # seconds load() waits for the first complete list
RECONFIGURE_EVERY = 2.0  # seconds between attempts to build a connection that failed


def connection_settings(settings: Settings) -> ConnectionSettings:
    return ConnectionSettings(in_cluster=settings.kubernetes_in_cluster,
                              service_account_dir=settings.kubernetes_service_account_dir,
                              kubeconfig=settings.kubernetes_kubeconfig, url=settings.kubernetes_url,
                              token_file=settings.kubernetes_token_file)


def kube_options(settings: Settings) -> KubeOptions:
    """The converter's options from the settings, with the default-filters directory read (its
    failure is logged, as Skipper does, and the source runs without default filters). Raises
    ``ConfigError`` for options Skipper refuses at start."""
    default_filters: dict[str, str] = {}
    if settings.default_filters_dir:
        try:
            default_filters = read_default_filters_dir(settings.default_filters_dir)
        except DefaultFiltersError as e:
            log.error("kubernetes: could not fetch default filter configurations: %s", e)
    return KubeOptions.from_settings(settings, default_filters)


def _selector(labels: Any) -> str:
    return ",".join(f"{k}={v}" if v else k for k, v in sorted(dict(labels or {}).items()))


class KubernetesSource:
    name = "kubernetes"

    def __init__(self, options: KubeOptions, conn: ConnectionSettings, relist_interval: float = 3.0,
                 first_list_wait: float = FIRST_LIST_WAIT) -> None:
        self.options = options
        self.conn_settings = conn
        self.relist_interval = relist_interval
        self.first_list_wait = first_list_wait
        self.conn: Connection | None = None
        self.reflectors: dict[str, Reflector] = {}
        self._wakeup: Callable[[], None] = lambda: None
        self._loaded_version = -1
        self._logged: frozenset[str] = frozenset()
        self._config_error = ""
        self._next_configure = 0.0
        self._rg_warned = False
        self.conversions = 0
        self.last_conversion_seconds = 0.0
        self.cache = ConversionCache(options)

    @classmethod
    def from_settings(cls, settings: Settings) -> KubernetesSource:
        # The first load() blocks the supervisor's loop: well inside its heartbeat timeout.
        return cls(kube_options(settings), connection_settings(settings),
                   relist_interval=settings.source_poll_timeout / 1000.0,
                   first_list_wait=min(FIRST_LIST_WAIT, settings.worker_timeout / 3))

    def set_wakeup(self, wakeup: Callable[[], None]) -> None:
        self._wakeup = wakeup

    # --- start-up ---------------------------------------------------------------------------------

    def start(self) -> bool:
        """Build the connection and start the reflectors; False (error kept) when it cannot yet."""
        if self.conn is not None:
            return True
        if time.monotonic() < self._next_configure:
            return False
        self._next_configure = time.monotonic() + RECONFIGURE_EVERY
        try:
            self.conn = Connection(self.conn_settings, pool_size=8)
        except SourceError as e:
            if e.reason != self._config_error:
                log.error("kubernetes: %s", e.reason)
            self._config_error = e.reason
            return False
        self._config_error = ""
        o = self.options
        log.info("kubernetes: API server %s (%s)%s", self.conn.host, self.conn.where,
                 f", namespace {o.namespace}" if o.namespace else "")
        kinds: list[tuple[str, Kind, str, Callable[[], bool | None] | None]] = [
            ("ingresses", INGRESSES, _selector(o.ingress_label_selector), None),
            ("routegroups", ROUTEGROUPS, _selector(o.routegroup_label_selector), self._routegroups_served),
            ("services", SERVICES, _selector(o.services_label_selector), None),
        ]
        if o.enable_endpointslices:
            kinds.append(("endpointslices", ENDPOINTSLICES, _selector(o.endpointslices_label_selector), None))
        else:
            kinds.append(("endpoints", ENDPOINTS, _selector(o.endpoints_label_selector), None))
        if o.enable_tls:
            kinds.append(("secrets", SECRETS, _selector(o.secrets_label_selector), None))
        for key, kind, selector, available in kinds:
            r = Reflector(self.conn, kind, o.namespace, selector, self.relist_interval, self._changed, available)
            self.reflectors[key] = r
            r.start()
        return True

    def _changed(self) -> None:
        self._wakeup()

    def _routegroups_served(self) -> bool | None:
        """Whether ``zalando.org/v1`` lists ``routegroups``; None when the question failed."""
        assert self.conn is not None
        try:
            body = self.conn.get_json("/apis/zalando.org/v1")
        except APIError as e:
            if e.status == 404:
                if not self._rg_warned:
                    log.warning("kubernetes: RouteGroups are not served by the API server "
                                "(zalando.org/v1 not found); skipping them")
                    self._rg_warned = True
                return False
            log.debug("kubernetes: Error while checking known resource types: %s", e)
            return None
        served = isinstance(body, dict) and any(
            isinstance(r, dict) and r.get("name") == "routegroups" for r in body.get("resources") or ())
        if not served and not self._rg_warned:
            log.warning("kubernetes: RouteGroups are not served by the API server; skipping them")
            self._rg_warned = True
        if served:
            self._rg_warned = False
        return served

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop every reflector, wait up to ``timeout`` for their threads, close the connection
        (watches aborted, pooled sockets closed at once, not left to the garbage collector).
        False when a reflector's thread did not end in time."""
        for r in self.reflectors.values():
            r.stop()
        deadline = time.monotonic() + timeout
        ended = all([r.join(max(0.0, deadline - time.monotonic())) for r in self.reflectors.values()])
        if self.conn is not None:
            self.conn.close()
        return ended

    # --- Source -----------------------------------------------------------------------------------

    def _version(self) -> int:
        return sum(r.version for r in self.reflectors.values())

    def synced(self) -> bool:
        return bool(self.reflectors) and all(r.synced.is_set() for r in self.reflectors.values())

    def changed(self) -> bool:
        if not self.start():
            return False
        return self.synced() and self._version() != self._loaded_version

    def load(self) -> list[Route]:
        if not self.start():
            raise SourceError(self.name, self._config_error)
        deadline = time.monotonic() + (self.first_list_wait if self._loaded_version < 0 else 0.0)
        for r in self.reflectors.values():
            r.synced.wait(max(0.0, deadline - time.monotonic()))
        if not self.synced():
            waiting = [f"{k} ({r.error or 'no answer yet'})" for k, r in self.reflectors.items() if not r.synced.is_set()]
            raise SourceError(self.name, "no complete list yet of " + ", ".join(waiting))
        version = self._version()
        state = self.state()
        t0 = time.process_time()
        conversion = self._convert(state)
        self.last_conversion_seconds = time.process_time() - t0
        self.conversions += 1
        self._loaded_version = version
        self._log(conversion.log)
        return list(conversion.routes)

    def state(self) -> ClusterState:
        def objs(key: str) -> tuple[dict[str, Any], ...]:
            r = self.reflectors.get(key)
            return r.snapshot()[0] if r is not None else ()

        rg = self.reflectors.get("routegroups")
        return ClusterState(ingresses=objs("ingresses"), routegroups=objs("routegroups"), services=objs("services"),
                            endpoints=objs("endpoints"), endpointslices=objs("endpointslices"),
                            secrets=objs("secrets"), routegroups_available=rg is not None and rg.is_available)

    def _convert(self, state: ClusterState) -> Conversion:
        """The converter skips what it cannot convert; should it fail on an object anyway, that
        object alone is left out (found by converting each routing object on its own).

        The cyclic garbage collector is paused meanwhile: a conversion allocates tens of
        thousands of small objects that live on (routes, the cache), and with the cluster's
        JSON in memory every full collection they trigger walks it all; what the conversion
        drops is freed by reference counting, and the collector runs again afterwards."""
        paused = gc.isenabled()
        gc.disable()
        try:
            return self._convert_all(state)
        finally:
            if paused:
                gc.enable()

    def _convert_all(self, state: ClusterState) -> Conversion:
        try:
            return convert(state, self.options, self.cache)
        except Exception:
            log.exception("kubernetes: the conversion failed; looking for the object that fails it")
        bad: set[int] = set()
        for field in ("ingresses", "routegroups"):
            for obj in getattr(state, field):
                single = dataclasses.replace(state, ingresses=(obj,) if field == "ingresses" else (),
                                             routegroups=(obj,) if field == "routegroups" else ())
                try:
                    convert(single, self.options)
                except Exception as e:
                    meta = obj.get("metadata") or {}
                    log.error("kubernetes: skipping %s %s/%s: the conversion fails on it: %s",
                              field[:-1], meta.get("namespace"), meta.get("name"), e)
                    bad.add(id(obj))
        kept = dataclasses.replace(state, ingresses=tuple(o for o in state.ingresses if id(o) not in bad),
                                   routegroups=tuple(o for o in state.routegroups if id(o) not in bad))
        try:
            return convert(kept, self.options, self.cache)
        except Exception as e:
            raise SourceError(self.name, f"the conversion failed: {e}") from None

    def _log(self, entries: tuple[LogEntry, ...]) -> None:
        """Log what the conversion reports, each line once while it keeps being reported."""
        lines = frozenset(str(e) for e in entries)
        for e in entries:
            s = str(e)
            if s in self._logged:
                continue
            level = {"error": logging.ERROR, "warning": logging.WARNING}.get(e.level, logging.INFO)
            log.log(level, "kubernetes: %s", s)
        self._logged = lines

    def stats(self) -> dict[str, Any]:
        return {k: {"objects": len(r.objects), "synced": r.synced.is_set(), "error": r.error, "lists": r.lists,
                    "watch_events": r.watch_events, "resourceVersion": r.resource_version}
                for k, r in self.reflectors.items()}

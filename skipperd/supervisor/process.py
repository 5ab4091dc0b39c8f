"""``RouteSupervisor``: poll the sources, publish the table, serve the support listener.

The loop reads like gunicorn's arbiter: signal handlers only queue the
signal and wake the loop through a pipe; the loop dispatches ``handle_<signame>`` and otherwise
polls the sources every ``TICK`` seconds.

    SIGTERM, SIGINT, SIGQUIT   exit 0. The table stays published (the arbiter removes it at exit)
    SIGUSR2                    raise the shutdown flag: Shutdown() turns true, /healthz fails
    SIGHUP                     re-read every source and re-validate every route now

A source with news (a Kubernetes watch event) wakes the loop through the same pipe (``poke``),
so its change is converted and published at once. The loop beats a heartbeat the arbiter
watches: a supervisor stuck for ``-worker-timeout`` is killed and replaced, as gunicorn does
with its workers.

Rules that keep a good table (docs/architecture.md, invariant 3):

* a source that fails keeps its last good routes; its error is logged once, until it changes;
* nothing is published before every source has loaded once in this process: a restarted
  supervisor whose routes file is broken must not replace the full table by the inline routes;
* an empty table is published only because the sources say so (an empty file that parsed);
* an invalid route is dropped alone, logged once per change and listed at /routes/invalid;
* a table equal to the one published (same bytes) is not published again, also after a restart:
  the supervisor starts from the table already in shared memory.

Boot failures exit with their own codes, so the arbiter's log tells them apart.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import select
import signal
import socket
import threading
import time
from dataclasses import replace
from typing import Any, Protocol

from skipperd.config import Settings
from skipperd.dataclients.base import Source, SourceError
from skipperd.dataclients.inline import InlineRoutes
from skipperd.dataclients.routesfile import RoutesFile
from skipperd.eskip.route import Route
from skipperd.filters.base import FilterSpec
from skipperd.predicates.base import PredicateSpec
from skipperd.registry import Registry
from skipperd.shm.codec import CodecError, TableEncoder, decode_table
from skipperd.shm.segment import Publisher, ShmError
from skipperd.supervisor import table
from skipperd.supervisor.support import MetricsView, State, Support, SupportServer

log = logging.getLogger("skipperd.supervisor")


class Heartbeat(Protocol):
    def notify(self) -> None: ...

EXIT_OK = 0
EXIT_SHM = 3  # the control segment cannot be created or mapped
EXIT_REGISTRY = 4  # the predicate or filter registry cannot be built
EXIT_SUPPORT = 5  # the support listener cannot be served

TICK = 0.25  # seconds between polls of the sources (the routes file must be seen within a second)
HEARTBEAT_EVERY = 1.0  # seconds between heartbeats; the arbiter replaces a supervisor silent for -worker-timeout
INVALID_LOG_LINES = 50  # invalid routes logged by name per rebuild
PUBLISH_RETRY = 1.0  # seconds between attempts after a failed publication


class RouteSupervisor:
    SIGNALS = [signal.SIGHUP, signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR2]
    SIG_NAMES: dict[int, str] = {s: s.name[3:].lower() for s in SIGNALS}

    def __init__(self, settings: Settings, instance: str, support_socket: socket.socket | None,
                 draining: bool = False, heartbeat: Heartbeat | None = None) -> None:
        self.settings = settings
        self.instance = instance
        self.support_socket = support_socket
        self.draining = draining
        self.heartbeat = heartbeat
        self._last_beat = 0.0
        self._poked = False
        self.sources: list[Source] = []
        if settings.routes_file:
            self.sources.append(RoutesFile(settings.routes_file))
        if settings.kubernetes:
            from skipperd.dataclients.kubesource import KubernetesSource

            self.sources.append(KubernetesSource.from_settings(settings))
        if settings.inline_routes:
            self.sources.append(InlineRoutes(settings.inline_routes))
        self.sig_queue: list[int] = []
        self.pipe: tuple[int, int] | None = None
        self.publisher: Publisher | None = None
        self.support: SupportServer | None = None
        self.predicates: Registry[PredicateSpec] = Registry()
        self.filters: Registry[FilterSpec] = Registry()
        self.builder = table.TableBuilder(self.predicates, self.filters)
        self.encoder = TableEncoder()
        self.state = State(draining=draining)
        self._last_good: dict[str, list[Route]] = {}
        self._errors: dict[str, str] = {}
        self._published_digest = b""
        self._invalid_logged: frozenset[table.Invalid] = frozenset()
        self._built = False
        self._pending: tuple[bytes, bytes, list[Route], list[table.Invalid], float] | None = None
        self._next_publish = 0.0
        self._build_cpu = 0.0  # CPU seconds of the last rebuild (reading the sources included)
        self.ppid = os.getppid()
        self.metrics: Any = None  # skipperd.metrics.collector.Collector, once run() set it up

    # --- start-up --------------------------------------------------------------------------------

    def run(self) -> int:
        self.init_signals()
        try:
            self.publisher = Publisher(self.instance)
        except ShmError as e:
            log.error("route supervisor cannot start: %s", e)
            return EXIT_SHM
        self.publisher.set_shutdown(self.draining)
        self.adopt_published()
        self.start_metrics()
        try:
            self.build_registries()
        except Exception:
            log.exception("route supervisor cannot build the predicate and filter registries")
            return EXIT_REGISTRY
        if self.support_socket is not None:
            s = self.settings
            view = MetricsView(s.metrics_flavour, s.metrics_prefix, s.histogram_metric_buckets,
                               s.metrics_exp_decay_sample)
            try:
                self.support = SupportServer(self.support_socket, Support(lambda: self.state, self.instance, view))
                self.support.start()
            except (OSError, ValueError) as e:
                log.error("route supervisor cannot serve the support listener: %s", e)
                return EXIT_SUPPORT
        log.info("route supervisor for instance %s: sources %s", self.instance,
                 ", ".join(s.name for s in self.sources) or "none")
        for src in self.sources:
            set_wakeup = getattr(src, "set_wakeup", None)
            if set_wakeup is not None:
                set_wakeup(self.poke)
        try:
            self.beat(force=True)
            self.refresh(force=True)
            return self.loop()
        finally:
            self.publisher.close()
            if self.metrics is not None:
                self.metrics.close()

    def start_metrics(self) -> None:
        """The supervisor's metrics: slot 0 and StatsD (flushed by a thread of its own)."""
        from skipperd.metrics.process import SUPERVISOR_SLOT, process_collector

        self.metrics = process_collector(self.settings, self.instance, SUPERVISOR_SLOT)
        statsd = self.metrics.statsd if self.metrics is not None else None
        if statsd is not None:
            threading.Thread(target=statsd.run, args=(self.settings.statsd_flush_interval, time.sleep, lambda: True),
                             name="statsd", daemon=True).start()

    def init_signals(self) -> None:
        if self.pipe is None:
            r, w = os.pipe()
            for fd in (r, w):
                fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
                os.set_inheritable(fd, False)
            self.pipe = (r, w)
        for s in self.SIGNALS:
            signal.signal(s, self.signal)

    def signal(self, sig: int, frame: Any) -> None:
        if len(self.sig_queue) < 5:
            self.sig_queue.append(sig)
            self.wakeup()

    def poke(self) -> None:
        """A source has news: refresh now rather than at the next tick (called from its thread)."""
        if not self._poked:
            self._poked = True
            self.wakeup()

    def beat(self, force: bool = False) -> None:
        """Tell the arbiter this loop is alive (gunicorn's worker heartbeat, for the supervisor)."""
        now = time.monotonic()
        if self.heartbeat is not None and (force or now - self._last_beat >= HEARTBEAT_EVERY):
            self._last_beat = now
            self.heartbeat.notify()

    def wakeup(self) -> None:
        assert self.pipe is not None
        try:
            os.write(self.pipe[1], b".")
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EINTR):
                raise

    def build_registries(self) -> None:
        from skipperd.filters import FilterOptions, make_registry as make_filters
        from skipperd.filters.options import SUPERVISOR, NullMetrics
        from skipperd.predicates import make_registry as make_predicates

        self.predicates = make_predicates()
        self.filters = make_filters(FilterOptions(role=SUPERVISOR, settings=self.settings,
                                                   metrics=self.metrics or NullMetrics()))
        self.builder = table.TableBuilder(self.predicates, self.filters)

    def adopt_published(self) -> None:
        """Start from the table in shared memory (a restarted supervisor), so that /routes shows
        it and an unchanged table is not published again."""
        assert self.publisher is not None
        current = self.publisher.current()
        if current is None:
            return
        gen, payload = current
        try:
            routes, _ = decode_table(payload)
        except CodecError as e:  # written by another version: replaced by the next publication
            log.warning("the published route table (generation %d) is not readable: %s", gen, e)
            return
        self._published_digest = _digest(payload)
        self.state = replace(self.state, generation=gen, routes=tuple(routes),
                             updated_at=self.publisher.published_at())
        log.info("continuing from route table generation %d (%d routes)", gen, len(routes))

    # --- the loop --------------------------------------------------------------------------------

    def loop(self) -> int:
        next_tick = time.monotonic() + TICK
        try:
            while True:
                sig = self.sig_queue.pop(0) if self.sig_queue else None
                if sig is None:
                    self.sleep(next_tick - time.monotonic())
                    self.beat()
                    if self._poked or time.monotonic() >= next_tick:
                        self._poked = False
                        next_tick = time.monotonic() + TICK
                        if os.getppid() != self.ppid:
                            # The arbiter died (kill -9): an orphaned supervisor would keep a
                            # port and publish for nobody; the next instance starts its own.
                            log.warning("route supervisor: the arbiter (pid %d) is gone, exiting", self.ppid)
                            return EXIT_OK
                        self.refresh()
                    continue
                handler = getattr(self, "handle_" + self.SIG_NAMES.get(sig, ""), None)
                if handler is None:
                    log.info("ignoring unknown signal %s", sig)
                    continue
                handler()
        except StopIteration:
            return EXIT_OK

    def sleep(self, timeout: float) -> None:
        """Until the next tick or a signal (gunicorn's arbiter sleeps the same way)."""
        assert self.pipe is not None
        if timeout <= 0:
            return
        try:
            ready = select.select([self.pipe[0]], [], [], timeout)
            if ready[0]:
                while os.read(self.pipe[0], 64):
                    pass
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EINTR):
                raise

    def handle_term(self) -> None:
        self._stop("SIGTERM")

    def handle_int(self) -> None:
        self._stop("SIGINT")

    def handle_quit(self) -> None:
        self._stop("SIGQUIT")

    def _stop(self, why: str) -> None:
        log.info("route supervisor stopping (%s)", why)
        raise StopIteration

    def handle_usr2(self) -> None:
        assert self.publisher is not None
        if not self.draining:
            log.info("shutdown flag raised: the instance drains")
        self.draining = True
        self.publisher.set_shutdown(True)
        self.state = replace(self.state, draining=True)

    def handle_hup(self) -> None:
        log.info("re-reading the route sources (SIGHUP)")
        self.builder.forget()  # and validating every route again
        self.refresh(force=True)

    # --- sources to table ------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        """Poll the sources; rebuild and publish the table when their routes changed."""
        t0 = time.monotonic()
        c0 = time.thread_time()
        # With no source at all, the first refresh builds the empty table; SIGHUP (force)
        # rebuilds and validates everything again, publishing only if the table changed.
        changed = force or not self._built
        for src in self.sources:
            if not (force or src.changed()):
                continue
            try:
                routes = src.load()
            except SourceError as e:
                if self._errors.get(src.name) != e.reason:
                    self._errors[src.name] = e.reason
                    kept = len(self._last_good.get(src.name, ()))
                    log.error("%s; keeping its last good routes (%d)", e, kept)
                continue
            if self._errors.pop(src.name, None) is not None:
                log.info("%s loads again", src.name)
            if self._last_good.get(src.name) != routes:
                self._last_good[src.name] = routes
                changed = True
        if changed and all(s.name in self._last_good for s in self.sources):
            try:
                self.rebuild(t0)
                self._build_cpu = time.thread_time() - c0
            except Exception:  # a bug in a spec must not take the published table with it
                log.exception("building the route table failed; keeping generation %d", self.state.generation)
        if self._pending is not None and time.monotonic() >= self._next_publish:
            self.publish()
        assert self.publisher is not None
        self.publisher.collect()

    def rebuild(self, t0: float) -> None:
        loaded = [(s.name, self._last_good[s.name]) for s in self.sources]
        self._built = True  # also when build() fails: retried on the next change, not every tick
        result = self.builder.build(loaded)
        self.log_invalid(result.invalid)
        payload = self.encoder.encode(result.routes, {})
        digest = _digest(payload)
        if digest == self._published_digest:
            self._pending = None
            self.state = replace(self.state, invalid=tuple(result.invalid))
            self.measure_table()
            log.info("route table unchanged (generation %d, %d routes, %d invalid, %d validated)",
                     self.state.generation, len(result.routes), len(result.invalid), self.builder.validated)
            return
        self._pending = (payload, digest, result.routes, result.invalid, t0)
        self._next_publish = 0.0

    def log_invalid(self, invalid: list[table.Invalid]) -> None:
        """Each invalid route once, when it turns invalid or its reason changes (a Kubernetes
        source rebuilds on every change; thousands of repeated lines would cost more than the
        rebuild), at most ``INVALID_LOG_LINES`` lines a rebuild; /routes/invalid lists them all."""
        new = [inv for inv in invalid if inv not in self._invalid_logged]
        self._invalid_logged = frozenset(invalid)
        for inv in new[:INVALID_LOG_LINES]:
            log.warning("invalid route %r from %s dropped: %s", inv.route_id, inv.source or "?", inv.reason)
        if len(new) > INVALID_LOG_LINES:
            log.warning("%d more routes turned invalid and were dropped; /routes/invalid lists them all",
                        len(new) - INVALID_LOG_LINES)

    def publish(self) -> None:
        assert self.publisher is not None and self._pending is not None
        payload, digest, routes, invalid, t0 = self._pending
        try:
            gen = self.publisher.publish(payload)
        except ShmError as e:
            log.error("publishing the route table failed, retrying in %.0fs: %s", PUBLISH_RETRY, e)
            self._next_publish = time.monotonic() + PUBLISH_RETRY
            return
        latency = time.monotonic() - t0
        self._pending = None
        self._published_digest = digest
        self.state = replace(self.state, generation=gen, routes=tuple(routes), invalid=tuple(invalid),
                             updated_at=self.publisher.published_at(), update_latency=latency)
        log.info("route table generation %d: %d routes (%d invalid), published in %.1f ms "
                 "(%d validated, %d encoded, %.1f ms CPU)", gen, len(routes), len(invalid), latency * 1000,
                 self.builder.validated, self.encoder.packed, self._build_cpu * 1000)
        self.measure_table(latency)

    def measure_table(self, latency: float | None = None) -> None:
        """The route table gauges (Skipper's routes.total, routes.updated_timestamp and
        routes.update_latency, and skipperd's routes.invalid and routes.generation)."""
        m = self.metrics
        if m is None:
            return
        from skipperd.metrics import keys

        st = self.state
        m.gauge("routes.total", len(st.routes))
        m.gauge("routes.invalid", len(st.invalid))
        m.gauge("routes.generation", st.generation)
        m.gauge("routes.updated_timestamp", st.updated_at)
        if latency is not None:
            m.observe(keys.name("custom_timer", "routes.update_latency"), latency)


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=16).digest()


def run_supervisor(settings: Settings, instance: str, support_socket: socket.socket | None,
                   draining: bool = False, heartbeat: Heartbeat | None = None) -> int:
    """The route supervisor process; returns its exit code. The arbiter calls this in its child."""
    return RouteSupervisor(settings, instance, support_socket, draining, heartbeat).run()


"""The support listener, served by the route supervisor on the socket the arbiter bound.

``Support.respond(path, headers)`` decides every answer from one immutable ``State`` (swapped
whole by the main loop) and a read of the metrics slots, so the handlers need no lock. The
server is ``http.server``'s threaded server on the given socket: in the real process gevent has
patched ``threading``, so its threads are greenlets.

    GET /healthz           200 "ok"; 503 "draining" once the shutdown flag is up
    GET /routes            the valid table as eskip (``?format=json`` or ``Accept:
                           application/json``: Skipper's JSON form); ``?offset=&limit=`` pages
                           through it; X-Route-Generation, X-Count (all routes), X-Timestamp
    GET /routes/invalid    JSON list of {"route_id", "reason", "source"} (same paging)
    GET /metrics           every process's metrics summed (``skipperd.metrics.render``):
                           Prometheus text when ``-metrics-flavour`` has prometheus (codahale
                           JSON instead when it has only codahale, or when asked for with
                           ``Accept: application/codahale+json``, as Skipper does);
                           ``/metrics/<key prefix>`` filters the codahale document
    GET /status            per worker: the generation it serves beside the supervisor's, its
                           age, requests served and open connections (``?format=json`` too)
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from skipperd.eskip import print_routes
from skipperd.eskip.route import BackendType, Route
from skipperd.procs import alive
from skipperd.supervisor.table import Invalid

log = logging.getLogger("skipperd.supervisor")

Response = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True, slots=True)
class State:
    generation: int = 0
    routes: tuple[Route, ...] = ()
    invalid: tuple[Invalid, ...] = ()
    updated_at: float = 0.0  # unix time of the publication of ``generation``
    update_latency: float = 0.0  # seconds from noticing a change to having published it
    draining: bool = False
    # print_routes() once per state, on the first GET /routes; init=False: replace() starts afresh.
    _eskip: list[bytes] = field(default_factory=list, init=False, compare=False, repr=False)

    def eskip(self) -> bytes:
        if not self._eskip:
            self._eskip.append(print_routes(list(self.routes)).encode())
        return self._eskip[0]


@dataclass(frozen=True, slots=True)
class MetricsView:
    """What ``/metrics`` needs from the settings."""

    flavours: tuple[str, ...] = ("codahale",)
    prefix: str = "skipper."
    buckets: tuple[float, ...] = ()
    exp_decay: bool = False


_TEXT = "text/plain; charset=utf-8"
_JSON = "application/json"
_PROM = "text/plain; version=0.0.4; charset=utf-8"
SNAPSHOT_EVERY = 10.0  # seconds between the snapshots that the codahale decay window is cut from


class BadRequest(Exception):
    pass


def _page(query: dict[str, list[str]], items: tuple[Any, ...]) -> tuple[Any, ...]:
    def param(name: str) -> int | None:
        v = query.get(name, [""])[0]
        if v == "":
            return None
        try:
            n = int(v)
        except ValueError:
            raise BadRequest(f"invalid {name}") from None
        if n < 0:
            raise BadRequest(f"invalid {name}")
        return n

    offset = param("offset") or 0
    limit = param("limit")
    return items[offset:] if limit is None else items[offset:offset + limit]


def _args(args: tuple[Any, ...]) -> list[Any]:
    return [int(a) if isinstance(a, float) and a.is_integer() and abs(a) < 2 ** 53 else a for a in args]


def route_json(r: Route) -> dict[str, Any]:
    """Skipper's JSON form of a route (eskip/json.go)."""
    doc: dict[str, Any] = {"id": r.id}
    b = r.backend
    if b.type is not BackendType.NETWORK or b.address:
        backend: dict[str, Any] = {"type": b.type.value}
        if b.address:
            backend["address"] = b.address
        if b.algorithm:
            backend["algorithm"] = b.algorithm
        if b.endpoints:
            backend["endpoints"] = [e + (f"?zone={z}" if z else "") for e, z in
                                    zip(b.endpoints, b.zones or ("",) * len(b.endpoints))]
        doc["backend"] = backend
    if r.predicates:
        doc["predicates"] = [{"name": p.name, **({"args": _args(p.args)} if p.args else {})} for p in r.predicates]
    if r.filters:
        doc["filters"] = [{"name": f.name, **({"args": _args(f.args)} if f.args else {})} for f in r.filters]
    return doc


class Support:
    """The answers of the support listener."""

    def __init__(self, state: Callable[[], State], instance: str = "", metrics: MetricsView | None = None,
                 started: float | None = None) -> None:
        self.state = state
        self.instance = instance
        self.metrics = metrics or MetricsView()
        self.started = time.time() if started is None else started
        self._reader: Any = None
        self._reader_failed_at = 0.0
        self._snapshots: list[tuple[float, Any]] = []
        self._lock = threading.Lock()  # the snapshots (scrapes are rare; never the request path)

    def respond(self, path: str, headers: dict[str, str] | None = None) -> Response:
        headers = headers or {}
        u = urlsplit(path)
        p = u.path.rstrip("/") or "/"
        query = parse_qs(u.query)
        state = self.state()
        try:
            if p == "/healthz":
                return self._healthz(state)
            if p == "/routes":
                return self._routes(state, query, headers)
            if p == "/routes/invalid":
                return self._invalid(state, query)
            if p == "/status":
                return self._status(state, query)
            if p == "/metrics" or p.startswith("/metrics/"):
                return self._metrics(state, headers, p[len("/metrics/"):] if p.startswith("/metrics/") else "")
        except BadRequest as e:
            return 400, {"Content-Type": _TEXT}, f"{e}\n".encode()
        return 404, {"Content-Type": _TEXT}, b"not found\n"

    # --- health and routes -----------------------------------------------------------------------

    @staticmethod
    def _healthz(state: State) -> Response:
        if state.draining:
            return 503, {"Content-Type": _TEXT}, b"draining\n"
        return 200, {"Content-Type": _TEXT}, b"ok\n"

    @staticmethod
    def _routes(state: State, query: dict[str, list[str]], headers: dict[str, str]) -> Response:
        h = {"Content-Type": _TEXT, "X-Route-Generation": str(state.generation),
             "X-Count": str(len(state.routes)), "X-Timestamp": str(int(state.updated_at))}
        if state.generation == 0:
            return 503, h, b"no route table published yet\n"
        paged = _page(query, state.routes)
        if query.get("format", [""])[0] == "json" or "application/json" in headers.get("accept", ""):
            h["Content-Type"] = _JSON
            return 200, h, _dumps([route_json(r) for r in paged])
        if len(paged) == len(state.routes):
            return 200, h, state.eskip()
        return 200, h, print_routes(list(paged)).encode()

    @staticmethod
    def _invalid(state: State, query: dict[str, list[str]]) -> Response:
        body = [{"route_id": i.route_id, "reason": i.reason, "source": i.source}
                for i in _page(query, state.invalid)]
        return 200, {"Content-Type": _JSON, "X-Route-Generation": str(state.generation),
                     "X-Count": str(len(state.invalid))}, _dumps(body)

    # --- workers ---------------------------------------------------------------------------------

    def reader(self) -> Any:
        if self._reader is None and time.monotonic() - self._reader_failed_at > 1.0:
            from skipperd.shm.slots import Reader, SlotsError

            try:
                self._reader = Reader(self.instance)
            except SlotsError:
                self._reader_failed_at = time.monotonic()
        return self._reader

    def slot_views(self) -> list[Any]:
        r = self.reader()
        return r.slots() if r is not None else []

    def _status(self, state: State, query: dict[str, list[str]]) -> Response:
        now = time.time()
        workers = []
        for v in self.slot_views():
            if v.index == 0 or not alive(v.pid):
                continue
            workers.append({"slot": v.index, "pid": v.pid, "generation": v.generation,
                            "current": v.generation == state.generation, "age_seconds": round(now - v.started, 1),
                            "requests": v.requests, "connections": v.connections})
        doc = {"generation": state.generation, "routes": len(state.routes), "invalid_routes": len(state.invalid),
               "table_age_seconds": round(now - state.updated_at, 1) if state.updated_at else None,
               "draining": state.draining, "workers": workers,
               "all_current": all(w["current"] for w in workers)}
        if query.get("format", [""])[0] == "json":
            return 200, {"Content-Type": _JSON}, _dumps(doc)
        lines = [f"route supervisor: generation {state.generation}, {len(state.routes)} routes, "
                 f"{len(state.invalid)} invalid, table age {doc['table_age_seconds']}s"
                 + (", draining" if state.draining else ""),
                 "",
                 f"{'slot':>4} {'pid':>8} {'generation':>10} {'current':>7} {'age':>10} {'requests':>10} {'connections':>11}"]
        for w in workers:
            lines.append(f"{w['slot']:>4} {w['pid']:>8} {w['generation']:>10} {'yes' if w['current'] else 'NO':>7} "
                         f"{str(w['age_seconds']) + 's':>10} {w['requests']:>10} {w['connections']:>11}")
        lines.append("")
        lines.append("every worker serves the latest routes" if doc["all_current"]
                     else "some workers do not serve the latest routes yet")
        return 200, {"Content-Type": _TEXT}, ("\n".join(lines) + "\n").encode()

    # --- metrics ---------------------------------------------------------------------------------

    def _table_gauges(self, state: State) -> dict[str, float]:
        now = time.time()
        g = {
            "routes.total": float(len(state.routes)),
            "routes.invalid": float(len(state.invalid)),
            "routes.generation": float(state.generation),
            "routes.updated_timestamp": state.updated_at,
            "routes.age_seconds": now - state.updated_at if state.updated_at else 0.0,
            "routes.update_latency_seconds": state.update_latency,
        }
        return g

    def _metrics(self, state: State, headers: dict[str, str], only: str) -> Response:
        from skipperd.metrics import keys
        from skipperd.metrics.render import codahale_json, merge, prometheus_text, subtract

        r = self.reader()
        bounds = list(r.layout.bounds_ns) if r is not None else []
        views = r.slots() if r is not None else []
        merged = merge(views, len(bounds))
        # The supervisor's own gauges of the table (it also sends them to StatsD) come from the
        # state here, always current; so do the invalid routes, which come and go.
        for k in list(merged.gauges):
            got = keys.split(k)
            if got is not None and got[0].name == "custom_gauge" and got[1][0].startswith("routes."):
                del merged.gauges[k]
        table = self._table_gauges(state)
        flavours = self.metrics.flavours
        codahale = "codahale" in flavours and (
            "prometheus" not in flavours or headers.get("accept", "") == "application/codahale+json")
        if not flavours:
            return 404, {"Content-Type": _TEXT}, b"metrics are off (-metrics-flavour is empty)\n"
        if codahale:
            window = self._window(merged, bounds) if self.metrics.exp_decay else None
            extra = dict(table)
            for inv in state.invalid:
                extra[f"route.invalid.{inv.route_id}.{_reason_key(inv.reason)}"] = 1.0
            return 200, {"Content-Type": _JSON}, codahale_json(merged, bounds, self.metrics.prefix, self.started,
                                                              extra, only, window)
        extra_prom = [("skipper_custom_gauges", "Gauges number of custom metrics.", {"key": k}, v)
                      for k, v in table.items()]
        extra_prom += [("skipper_route_invalid", "Invalid route by route ID and name.",
                        {"route_id": inv.route_id, "reason": _reason_key(inv.reason)}, 1.0) for inv in state.invalid]
        return 200, {"Content-Type": _PROM}, prometheus_text(merged, bounds, self.metrics.buckets,
                                                              extra_prom).encode()

    def _window(self, merged: Any, bounds: list[int]) -> Any:
        from skipperd.metrics.render import DECAY_WINDOW, subtract

        now = time.monotonic()
        with self._lock:
            snaps = self._snapshots
            if not snaps or now - snaps[-1][0] >= SNAPSHOT_EVERY:
                snaps.append((now, merged))
            # Keep one snapshot older than the window as its start.
            while len(snaps) > 1 and now - snaps[1][0] >= DECAY_WINDOW:
                snaps.pop(0)
            base = snaps[0][1]
        return subtract(merged, base, len(bounds))


def _reason_key(reason: str) -> str:
    """A short, key-safe form of an invalid route's reason (Skipper uses its error kind)."""
    word = reason.split(":")[0].strip().lower() or "invalid"
    return "".join(c if c.isalnum() else "_" for c in word)[:40]


def _dumps(value: Any) -> bytes:
    return (json.dumps(value, indent=1) + "\n").encode()


class _Handler(BaseHTTPRequestHandler):
    server: SupportServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(*self._respond(), head=False)

    def do_HEAD(self) -> None:
        self._answer(*self._respond(), head=True)

    def _respond(self) -> Response:
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            return self.server.support.respond(self.path, headers)
        except Exception:
            log.exception("support listener: %s failed", self.path)
            return 500, {"Content-Type": _TEXT}, b"internal error\n"

    def _answer(self, status: int, headers: dict[str, str], body: bytes, head: bool) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("support listener: %s - %s", self.address_string(), format % args)


class SupportServer(ThreadingHTTPServer):
    """``http.server`` on a socket that is already bound and listening."""

    daemon_threads = True

    def __init__(self, sock: socket.socket, support: Support) -> None:
        self.address_family = sock.family
        super().__init__(sock.getsockname()[:2], _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.server_name, self.server_port = str(sock.getsockname()[0]), int(sock.getsockname()[1])
        self.support = support

    def start(self) -> threading.Thread:
        t = threading.Thread(target=self.serve_forever, name="support-listener", daemon=True)
        t.start()
        return t

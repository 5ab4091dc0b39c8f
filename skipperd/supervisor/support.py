"""The support listener, served by the route supervisor on the socket the arbiter bound.

``respond(path, state)`` decides every answer from one immutable ``State`` (swapped whole by the
main loop), so the handlers need no lock. The server is ``http.server``'s threaded server on the
given socket: in the real process gevent has patched ``threading``, so its threads are greenlets.

    GET /healthz          200 "ok"; 503 "draining" once the shutdown flag is up
    GET /routes           the valid table as eskip; X-Route-Generation, X-Count
    GET /routes/invalid   JSON list of {"route_id", "reason", "source"}
    GET /metrics          codahale-style JSON gauges of the route table
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlsplit

from skipperd.eskip import print_routes
from skipperd.eskip.route import Route
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


_TEXT = "text/plain; charset=utf-8"
_JSON = "application/json"


def respond(path: str, state: State) -> Response:
    route = _ROUTES.get(urlsplit(path).path.rstrip("/") or "/")
    if route is None:
        return 404, {"Content-Type": _TEXT}, b"not found\n"
    return route(state)


def _healthz(state: State) -> Response:
    if state.draining:
        return 503, {"Content-Type": _TEXT}, b"draining\n"
    return 200, {"Content-Type": _TEXT}, b"ok\n"


def _routes(state: State) -> Response:
    headers = {"Content-Type": _TEXT, "X-Route-Generation": str(state.generation),
               "X-Count": str(len(state.routes))}
    if state.generation == 0:
        return 503, headers, b"no route table published yet\n"
    return 200, headers, state.eskip()


def _invalid(state: State) -> Response:
    body = [{"route_id": i.route_id, "reason": i.reason, "source": i.source} for i in state.invalid]
    return 200, {"Content-Type": _JSON, "X-Route-Generation": str(state.generation)}, _dumps(body)


def _metrics(state: State) -> Response:
    gauges = {
        "routes.total": len(state.routes),
        "routes.invalid": len(state.invalid),
        "routes.generation": state.generation,
        "routes.updated_timestamp": state.updated_at,
        "routes.update_latency_ms": round(state.update_latency * 1000, 3),
    }
    return 200, {"Content-Type": _JSON}, _dumps({"gauges": {k: {"value": v} for k, v in gauges.items()}})


def _dumps(value: Any) -> bytes:
    return (json.dumps(value, indent=1) + "\n").encode()


_ROUTES: dict[str, Callable[[State], Response]] = {
    "/healthz": _healthz,
    "/routes": _routes,
    "/routes/invalid": _invalid,
    "/metrics": _metrics,
}


class _Handler(BaseHTTPRequestHandler):
    server: SupportServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(*respond(self.path, self.server.state()), head=False)

    def do_HEAD(self) -> None:
        self._answer(*respond(self.path, self.server.state()), head=True)

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

    def __init__(self, sock: socket.socket, state: Callable[[], State]) -> None:
        self.address_family = sock.family
        super().__init__(sock.getsockname()[:2], _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.server_name, self.server_port = str(sock.getsockname()[0]), int(sock.getsockname()[1])
        self.state = state

    def start(self) -> threading.Thread:
        t = threading.Thread(target=self.serve_forever, name="support-listener", daemon=True)
        t.start()
        return t

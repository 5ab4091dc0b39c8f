"""``SkipperdWorker``: skipperd's gunicorn worker class (a subclass of gunicorn's worker base).

gunicorn's arbiter forks it, watches its heartbeat and signals it; the worker runs skipperd's own
HTTP/1.1 server (``server.Server``) under gevent instead of a WSGI application. The process was
monkey-patched by the entry point before anything else was imported; after the fork the hub is
re-initialised, as gunicorn's gevent worker does.

Lifecycle:

* ``run``: with ``-wait-first-route-load`` nothing is accepted until the first table is loaded;
  otherwise requests get 404 until one is published. The main greenlet then only beats the
  heartbeat (at least every ``timeout/4``) and watches ``alive``;
* SIGTERM (``handle_exit``): graceful. Accepting stops, idle keep-alive connections close, requests
  in flight finish with ``Connection: close``, within ``-graceful-timeout``;
* SIGQUIT/SIGINT: immediate exit, as in gunicorn.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import time
from typing import Any

import _socket
import gevent
from gunicorn.workers.base import Worker

log = logging.getLogger("skipperd.worker")


class SkipperdWorker(Worker):  # type: ignore[misc]
    server: Any = None

    def init_process(self) -> None:
        from gevent import hub

        hub.reinit()
        super().init_process()

    def load_wsgi(self) -> None:
        self.wsgi = None  # skipperd serves HTTP itself

    # --- signals: keep blocking work out of signal handlers (gunicorn's gevent worker, #1126) ---

    def handle_quit(self, sig: int, frame: Any) -> None:
        gevent.spawn(super().handle_quit, sig, frame)

    def handle_usr1(self, sig: int, frame: Any) -> None:
        gevent.spawn(super().handle_usr1, sig, frame)

    def handle_exit(self, sig: int, frame: Any) -> None:
        self.alive = False

    # --- heartbeat -------------------------------------------------------------------------------

    def notify(self) -> None:
        super().notify()
        if self.ppid != os.getppid():
            log.info("parent changed, shutting down: %s", self)
            sys.exit(0)

    def _alive(self) -> bool:
        return bool(self.alive)

    # --- main loop -------------------------------------------------------------------------------

    def _listening_sockets(self) -> list[_socket.socket]:
        socks = []
        for s in self.sockets:
            raw = getattr(s, "sock", s)
            socks.append(_socket.socket(raw.family, _socket.SOCK_STREAM, 0, os.dup(raw.fileno())))
        return socks

    def run(self) -> None:
        from skipperd.metrics.process import process_collector
        from skipperd.shm.host import HostSegments
        from skipperd.shm.segment import TableReader
        from skipperd.worker.accesslog import AccessLog
        from skipperd.worker.server import Server

        settings = self.app.settings
        reader = TableReader(self.app.instance)
        collector = process_collector(settings, self.app.instance, getattr(self, "metrics_slot", None))
        server = self.server = Server(settings, reader, many_workers=self.cfg.workers > 1,
                                      collector=collector, access=AccessLog(settings),
                                      host_state=HostSegments(self.app.instance))
        # SIGQUIT/SIGINT exit at once: what the access log and StatsD hold is still written.
        atexit.register(server.close_outputs)
        beat = max(0.1, min(1.0, self.timeout / 4.0))
        last_beat = 0.0

        def heartbeat() -> None:
            nonlocal last_beat
            now = time.monotonic()
            if now - last_beat >= beat:
                last_beat = now
                self.notify()

        if settings.wait_first_route_load:
            if not server.wait_first_table(self._alive, heartbeat):
                return
        else:
            server.tables.current()
        server.start(self._listening_sockets())
        while self.alive:
            heartbeat()
            gevent.sleep(0.1)
        server.begin_stop()
        server.finish(max(0.0, float(self.cfg.graceful_timeout) - 0.5), heartbeat)

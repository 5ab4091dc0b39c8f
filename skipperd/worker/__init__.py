"""The worker processes: gunicorn's worker base running skipperd's own HTTP/1.1 server on gevent.

``SkipperdWorker`` (``worker``) is the class the arbiter forks; ``Server`` (``server``) accepts
client connections, one greenlet each; ``ClientConnection`` (``conn``) parses requests with
httptools and hands them to the proxy; ``TableHolder`` (``routes``) swaps route tables between
requests when the supervisor publishes a new generation; ``accesslog`` writes Skipper's access
log line. The worker never talks to route sources: routes reach it only through shared memory.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # gunicorn loads "skipperd.worker.SkipperdWorker"; importing gunicorn's worker base only
    # then keeps ``import skipperd.worker.conn`` light for tools and tests.
    if name == "SkipperdWorker":
        from skipperd.worker.worker import SkipperdWorker

        return SkipperdWorker
    raise AttributeError(name)


__all__ = ["SkipperdWorker"]

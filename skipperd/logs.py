"""The application log, as Skipper's flags describe it (the access log: ``skipperd.worker.accesslog``).

Text lines by default; with ``-application-log-json-enabled`` one JSON object a line with
Skipper's (logrus') keys ``level``, ``msg`` and ``time``, plus ``logger`` and ``pid``, so that
no message (a path a client sent, say) can break a line.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from skipperd.config import Settings

_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
_LEVELS = {"PANIC": logging.CRITICAL, "FATAL": logging.CRITICAL, "ERROR": logging.ERROR,
           "WARN": logging.WARNING, "WARNING": logging.WARNING, "INFO": logging.INFO,
           "DEBUG": logging.DEBUG}
_LOGRUS = {logging.CRITICAL: "fatal", logging.ERROR: "error", logging.WARNING: "warning",
           logging.INFO: "info", logging.DEBUG: "debug"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        if record.exc_info:
            msg += "\n" + self.formatException(record.exc_info)
        t = time.gmtime(record.created)
        doc = {"level": _LOGRUS.get(record.levelno, record.levelname.lower()), "msg": msg,
               "time": time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{int(record.msecs):03d}Z",
               "logger": record.name, "pid": record.process}
        return json.dumps(doc)


def _handler(path: str) -> logging.Handler:
    if path:
        return logging.FileHandler(path)
    return logging.StreamHandler(sys.stderr)


def formatter(settings: Settings) -> logging.Formatter:
    return JSONFormatter() if settings.application_log_json_enabled else logging.Formatter(_FORMAT)


def configure_logging(settings: Settings) -> None:
    """(Re)configure the ``skipperd`` logger; safe to call on SIGHUP."""
    app = logging.getLogger("skipperd")
    for h in list(app.handlers):
        app.removeHandler(h)
        h.close()
    h = _handler(settings.application_log)
    h.setFormatter(formatter(settings))
    app.addHandler(h)
    app.setLevel(_LEVELS.get(settings.application_log_level.upper(), logging.INFO))
    app.propagate = False

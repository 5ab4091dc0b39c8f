"""Logging set-up: the application log and the access log, as Skipper's flags describe them."""

from __future__ import annotations

import logging
import sys

from skipperd.config import Settings

_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
_LEVELS = {"PANIC": logging.CRITICAL, "FATAL": logging.CRITICAL, "ERROR": logging.ERROR,
           "WARN": logging.WARNING, "WARNING": logging.WARNING, "INFO": logging.INFO,
           "DEBUG": logging.DEBUG}


def _handler(path: str) -> logging.Handler:
    if path:
        return logging.FileHandler(path)
    return logging.StreamHandler(sys.stderr)


def configure_logging(settings: Settings) -> None:
    """(Re)configure the ``skipperd`` and ``skipperd.access`` loggers; safe to call on SIGHUP."""
    app = logging.getLogger("skipperd")
    for h in list(app.handlers):
        app.removeHandler(h)
        h.close()
    h = _handler(settings.application_log)
    h.setFormatter(logging.Formatter(_FORMAT))
    app.addHandler(h)
    app.setLevel(_LEVELS.get(settings.application_log_level.upper(), logging.INFO))
    app.propagate = False

    access = logging.getLogger("skipperd.access")
    for h in list(access.handlers):
        access.removeHandler(h)
        h.close()
    access.propagate = False
    if settings.access_log_disabled:
        access.disabled = True
        return
    access.disabled = False
    ah = _handler(settings.access_log)
    ah.setFormatter(logging.Formatter("%(message)s"))
    access.addHandler(ah)
    access.setLevel(logging.INFO)

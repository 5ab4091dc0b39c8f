"""What a conversion logs, collected instead of written (the caller decides where it goes).

Skipper logs per object through a logger that carries ``kind``, ``ns`` and ``name`` and writes
each distinct message once per conversion; messages without an object go out as they are.
"""

from __future__ import annotations

from skipperd.dataclients.kubernetes.model import LogEntry


class Log:
    def __init__(self) -> None:
        self.entries: list[LogEntry] = []
        self.certificate_hosts: set[str] = set()  # hosts whose certificate was logged as added

    def error(self, message: str) -> None:
        self.entries.append(LogEntry("error", message))

    def warning(self, message: str) -> None:
        self.entries.append(LogEntry("warning", message))

    def info(self, message: str) -> None:
        self.entries.append(LogEntry("info", message))

    def for_object(self, kind: str, namespace: str, name: str) -> ObjectLog:
        return ObjectLog(self, (("kind", kind), ("name", name), ("ns", namespace)))


class ObjectLog:
    """Skipper's per-object logger: each (level, message) is written once."""

    def __init__(self, log: Log, fields: tuple[tuple[str, str], ...]) -> None:
        self._log = log
        self._fields = fields
        self._seen: set[tuple[str, str]] = set()

    def error(self, message: str) -> None:
        self._once("error", message)

    def info(self, message: str) -> None:
        self._once("info", message)

    def _once(self, level: str, message: str) -> None:
        if (level, message) in self._seen:
            return
        self._seen.add((level, message))
        self._log.entries.append(LogEntry(level, message, self._fields))

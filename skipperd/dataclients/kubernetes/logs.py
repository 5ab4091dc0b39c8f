"""What a conversion logs, collected instead of written (the caller decides where it goes).

Skipper logs per object through a logger that carries ``kind``, ``ns`` and ``name`` and writes
each distinct message once per conversion; messages without an object go out as they are.

One object's conversion logs into a ``TraceLog``, which keeps its lines, and the one thing
that depends on the objects converted before it (a host's certificate is logged as added once
per conversion), as operations; ``Log.replay`` applies them in the conversion's order, so an
object's remembered conversion logs exactly what converting it again would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from skipperd.dataclients.kubernetes.model import LogEntry


@dataclass(frozen=True, slots=True)
class CertificateAdded:
    """A host's certificate was added: logged unless an earlier object of this conversion added one."""

    host: str


LogOp = LogEntry | CertificateAdded


class Log:
    def __init__(self) -> None:
        self.entries: list[LogEntry] = []
        self.certificate_hosts: set[str] = set()  # hosts whose certificate was logged as added

    def emit(self, entry: LogEntry) -> None:
        self.entries.append(entry)

    def error(self, message: str) -> None:
        self.emit(LogEntry("error", message))

    def warning(self, message: str) -> None:
        self.emit(LogEntry("warning", message))

    def info(self, message: str) -> None:
        self.emit(LogEntry("info", message))

    def certificate_added(self, host: str) -> None:
        if host not in self.certificate_hosts:  # a later one replaces it only when newer: not logged
            self.certificate_hosts.add(host)
            self.info(f"adding certificate to registry - {host}")

    def replay(self, ops: Sequence[LogOp]) -> None:
        """Apply what one object's conversion logged (a ``TraceLog``'s ``ops``), in order."""
        for op in ops:
            if isinstance(op, CertificateAdded):
                self.certificate_added(op.host)
            else:
                self.emit(op)

    def for_object(self, kind: str, namespace: str, name: str) -> ObjectLog:
        return ObjectLog(self, (("kind", kind), ("name", name), ("ns", namespace)))


class TraceLog(Log):
    """The log of one object's conversion, kept as operations for ``Log.replay``."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[LogOp] = []

    def emit(self, entry: LogEntry) -> None:
        self.ops.append(entry)

    def certificate_added(self, host: str) -> None:
        self.ops.append(CertificateAdded(host))


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
        self._log.emit(LogEntry(level, message, self._fields))

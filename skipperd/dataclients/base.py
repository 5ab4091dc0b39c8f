"""What the route supervisor needs of a route source."""

from __future__ import annotations

from typing import Protocol

from skipperd.errors import SkipperdError
from skipperd.eskip.route import Route


class SourceError(SkipperdError):
    """A source could not deliver its routes (unreadable, or a document that does not parse).

    The supervisor keeps that source's last good routes.
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class Source(Protocol):
    name: str

    def changed(self) -> bool:
        """Whether ``load()`` would now give something other than it gave last time; cheap."""
        ...

    def load(self) -> list[Route]:
        """The source's complete list of definitions; raises ``SourceError``."""
        ...

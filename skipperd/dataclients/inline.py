"""Routes given as eskip text on the command line (``-inline-routes``)."""

from __future__ import annotations

from skipperd.dataclients.base import SourceError
from skipperd.eskip import ParseError, parse
from skipperd.eskip.route import Route


class InlineRoutes:
    """A fixed document: it changes only when the supervisor is restarted with new settings."""

    name = "inline routes"

    def __init__(self, text: str) -> None:
        self.text = text
        self._loaded = False

    def changed(self) -> bool:
        return not self._loaded

    def load(self) -> list[Route]:
        self._loaded = True
        try:
            return parse(self.text)
        except ParseError as e:
            raise SourceError(self.name, str(e)) from None

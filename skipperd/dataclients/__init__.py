"""Route sources ("data clients" in Skipper): where route definitions come from.

A source is polled by the route supervisor, never by a worker (docs/architecture.md, invariant 1).
Each one has a ``name`` for logs and reports, a cheap ``changed()`` that the supervisor calls on
every tick, and ``load()`` that returns the source's whole list of definitions or raises
``SourceError``. Sources do not validate routes against the registries and do not keep "last good"
routes: the supervisor does both over the merged set of all sources.

* ``routesfile.RoutesFile``: an eskip file, watched by stat and content hash;
* ``inline.InlineRoutes``: eskip text from the command line.
"""

from skipperd.dataclients.base import Source, SourceError

__all__ = ["Source", "SourceError"]

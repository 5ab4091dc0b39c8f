"""skipperd: an HTTP router and Kubernetes ingress controller with Skipper's route language.

The package is laid out along the data flow of ``docs/architecture.md``: route sources
(``dataclients``) are read by the route supervisor (``supervisor``), parsed (``eskip``),
validated against the predicate and filter registries (``predicates``, ``filters``,
``routing``), published into shared memory (``shm``) and served by gevent workers
(``worker``) that proxy requests (``proxy``).

This module imports nothing but ``skipperd.compiled`` (standard library only, no ``threading``,
``ssl`` or ``logging``) on purpose: the server entry point must monkey-patch with gevent before
those are imported (see ``skipperd.__main__``). ``compiled.guard()`` runs first of all, so that
a stale compiled build of the request path is never imported.
"""

from skipperd import compiled as _compiled

__version__ = "0.1.0"

_compiled.guard()

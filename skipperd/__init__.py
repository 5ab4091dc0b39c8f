"""skipperd: an HTTP router and Kubernetes ingress controller with Skipper's route language.

The package is laid out along the data flow of ``../shared/DESIGN.md``: route sources
(``dataclients``) are read by the route supervisor (``supervisor``), parsed (``eskip``),
validated against the predicate and filter registries (``predicates``, ``filters``,
``routing``), published into shared memory (``shm``) and served by gevent workers
(``worker``) that proxy requests (``proxy``).

This module imports nothing on purpose: the server entry point must monkey-patch with gevent
before ``threading``, ``ssl`` or ``logging`` are imported (see ``skipperd.__main__``).
"""

__version__ = "0.1.0"

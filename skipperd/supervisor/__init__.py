"""The route supervisor: the one process that reads route sources and publishes the route table.

The arbiter forks it and calls ``run_supervisor``. It polls the sources (``skipperd.dataclients``),
merges their definitions, validates them with the predicate and filter registries (an invalid
route is dropped alone and reported), and publishes each new table whole into shared memory under
a new generation (``skipperd.shm``). It also serves the support listener (/healthz, /routes,
/routes/invalid, /metrics). It never imports the worker or the proxy: routes reach the workers
only through shared memory (docs/architecture.md).

* ``table``: merging and validation, pure;
* ``support``: the support listener's responses and its small HTTP server;
* ``process``: ``RouteSupervisor``, the main loop in the style of gunicorn's arbiter.
"""

from skipperd.supervisor.process import EXIT_OK, EXIT_REGISTRY, EXIT_SHM, EXIT_SUPPORT, RouteSupervisor, run_supervisor

__all__ = ["EXIT_OK", "EXIT_REGISTRY", "EXIT_SHM", "EXIT_SUPPORT", "RouteSupervisor", "run_supervisor"]

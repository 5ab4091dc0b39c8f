"""A fake Kubernetes API server of skipperd's own, for tests and for trying skipperd without a
cluster (``skipperd fake-apiserver``).

It serves Ingresses, RouteGroups, Services, Endpoints, EndpointSlices and Secrets in the real
wire format (lists with resourceVersion and selectors, watch streams with bookmarks and 410
Gone, discovery, Status errors), over plain HTTP or TLS with a CA generated at start, with
bearer-token auth and optionally a ClusterRole enforced. Objects come from files in the
conformance fixture format and change through a small control API; failures (500, 404, hangs,
the server going away) are injected through the same API.

* ``store``: the versioned objects and the event history;
* ``server``: the HTTP side and the control API;
* ``fixtures``: the fixture YAML format; ``selectors``: label and field selectors;
* ``resources``: what is served, by group; ``rbac``: the optional ClusterRole;
* ``tlscert``: the generated CA and server certificate; ``main``: the command.
"""

from skipperd.kubeapi.server import FakeAPIServer
from skipperd.kubeapi.store import Store

__all__ = ["FakeAPIServer", "Store"]

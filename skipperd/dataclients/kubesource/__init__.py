"""The route supervisor's Kubernetes source: the I/O half of Skipper's Kubernetes data client.

It reads the API server (in-cluster service account, kubeconfig or ``-kubernetes-url``, through
the kubernetes package's configuration; raw JSON, never the typed models), keeps each resource
current with list + watch (resourceVersion, bookmarks, re-list on 410 Gone and every
``-source-poll-timeout``), and hands snapshots to the pure converter
(``skipperd.dataclients.kubernetes``). An API outage keeps the last good objects and retries
with back-off.

* ``connection``: configuration, raw GETs and watch streams over urllib3;
* ``reflector``: one resource kept current;
* ``source``: ``KubernetesSource``, the ``Source`` the supervisor polls.
"""

from skipperd.dataclients.kubesource.source import KubernetesSource

__all__ = ["KubernetesSource"]

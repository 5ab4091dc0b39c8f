"""``convert``: one full conversion of a cluster state (Skipper's ``loadAndConvert``)."""

from __future__ import annotations

from skipperd.dataclients.kubernetes.model import ClusterState, Conversion, KubeOptions


def convert(state: ClusterState, options: KubeOptions) -> Conversion:
    """Every route of the cluster: Ingress routes, RouteGroup routes, then the global ones."""
    return Conversion(routes=(), log=())

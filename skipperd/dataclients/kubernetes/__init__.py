"""Kubernetes objects to routes: Skipper's Kubernetes data client, the pure half (no I/O).

It models how Skipper turns a cluster's Ingresses (``networking.k8s.io/v1``), RouteGroups
(``zalando.org/v1``), Services, Endpoints, EndpointSlices and TLS Secrets into route
definitions: route ids, host predicates, path modes, the ``zalando.org/`` annotations, backend
weights, catch-all and redirect routes, east-west routes, health-check routes and default
filters, with the warnings Skipper logs about objects it skips. Reading the API (lists,
watches) and the default-filters directory is the caller's business; this package only
converts what it is given::

    convert(ClusterState(...), KubeOptions(...)) -> Conversion(routes, log)

A ``ConversionCache`` passed along makes a sequence of conversions incremental (the result is
the same; routes of unchanged objects are the same objects)::

    convert(state, options, cache)
"""

from skipperd.dataclients.kubernetes.convert import ConversionCache, convert
from skipperd.dataclients.kubernetes.model import (
    AnnotationFilters,
    AnnotationPredicates,
    ClusterState,
    Conversion,
    KubeObject,
    KubeOptions,
    LogEntry,
)

__all__ = [
    "AnnotationFilters",
    "AnnotationPredicates",
    "ClusterState",
    "Conversion",
    "ConversionCache",
    "KubeObject",
    "KubeOptions",
    "LogEntry",
    "convert",
]

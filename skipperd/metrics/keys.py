"""Metric families with Skipper's names, in both of Skipper's flavours.

A metric is stored under a structured name, ``<family>`` followed by its label values, joined
with ``SEP``. From it come the codahale key (``routelookup``, ``all.response.200.GET.skipper``,
also the StatsD name) and the Prometheus name and labels
(``skipper_response_duration_seconds{code="200",method="GET",route=""}``), as upstream
metrics/codahale.go and metrics/prometheus.go name them.
"""

from __future__ import annotations

from dataclasses import dataclass

SEP = "\x1f"

COUNTER, GAUGE, HISTOGRAM = 0, 1, 2  # as skipperd.shm.slots


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    kind: int
    codahale: str                   # format with the label values, by label name
    prometheus: str                 # metric name without the namespace
    labels: tuple[str, ...]
    prom_labels: tuple[str, ...] = ()  # label names as Prometheus shows them (default: labels)
    help: str = ""


def _f(name: str, kind: int, codahale: str, prometheus: str, labels: tuple[str, ...] = (),
       prom_labels: tuple[str, ...] | None = None, help: str = "") -> Family:
    return Family(name, kind, codahale, prometheus, labels, labels if prom_labels is None else prom_labels, help)


FAMILIES: dict[str, Family] = {f.name: f for f in (
    _f("routelookup", HISTOGRAM, "routelookup", "route_lookup_duration_seconds",
       help="Duration in seconds of a route lookup."),
    _f("routefailure", COUNTER, "routefailure", "route_error_total", help="The total of route lookup errors."),
    _f("backend_all", HISTOGRAM, "all.backend", "backend_combined_duration_seconds",
       help="Duration in seconds of a proxy backend combined."),
    _f("backend", HISTOGRAM, "backend.{route}", "backend_duration_seconds", ("route", "host", "zone"),
       help="Duration in seconds of a proxy backend."),
    _f("backendhost", HISTOGRAM, "backendhost.{host}", "backend_duration_seconds", ("route", "host", "zone"),
       help="Duration in seconds of a proxy backend."),
    _f("backend5xx", HISTOGRAM, "all.backend.5xx", "backend_5xx_duration_seconds",
       help="Duration in seconds of backend 5xx."),
    _f("errors_backend", COUNTER, "errors.backend.{route}", "backend_error_total", ("route",),
       help="Total number of backend route errors."),
    _f("response", HISTOGRAM, "", "response_duration_seconds", ("code", "method", "route"),
       help="Duration in seconds of a response."),
    _f("proxy_total", HISTOGRAM, "proxy.total", "proxy_total_duration_seconds",
       help="Total duration in seconds of skipper latency."),
    _f("servehost", HISTOGRAM, "", "serve_host_duration_seconds", ("code", "method", "host"),
       help="Duration in seconds of serving a host."),
    _f("serveroute", HISTOGRAM, "", "serve_route_duration_seconds", ("code", "method", "route"),
       help="Duration in seconds of serving a route."),
    _f("custom_timer", HISTOGRAM, "{key}", "custom_duration_seconds", ("key",),
       help="Duration in seconds of custom metrics."),
    _f("custom_counter", COUNTER, "{key}", "custom_total", ("key",), help="Total number of custom metrics."),
    _f("custom_gauge", GAUGE, "{key}", "custom_gauges", ("key",), help="Gauges number of custom metrics."),
    _f("route_invalid", GAUGE, "route.invalid.{route_id}.{reason}", "route_invalid", ("route_id", "reason"),
       help="Invalid route by route ID and name."),
)}


def name(family: str, *labels: str) -> str:
    """The stored name of a metric."""
    if not labels:
        return family
    return SEP.join((family,) + labels)


def split(stored: str) -> tuple[Family, tuple[str, ...]] | None:
    parts = stored.split(SEP)
    fam = FAMILIES.get(parts[0])
    if fam is None:
        return None
    values = tuple(parts[1:])
    if len(values) != len(fam.labels):
        return None
    return fam, values


def codahale_key(stored: str) -> str:
    """Skipper's codahale key (without the ``-metrics-prefix``), also the StatsD name."""
    got = split(stored)
    if got is None:
        return stored
    fam, values = got
    v = dict(zip(fam.labels, values))
    if fam.name == "response":
        if v["route"]:
            return f"response.{v['code']}.{v['method']}.skipper.{v['route']}"
        return f"all.response.{v['code']}.{v['method']}.skipper"
    if fam.name in ("servehost", "serveroute"):
        subject = v["host"] if fam.name == "servehost" else v["route"]
        return ".".join([fam.name, subject] + [x for x in (v["method"], v["code"]) if x])
    return fam.codahale.format(**v)


def host_for_key(host: str) -> str:
    """Skipper's hostForKey: ``.`` becomes ``_`` and ``:`` becomes ``__``; anything else that is
    not a letter, digit or ``-`` becomes ``_`` too (a client sends the Host header)."""
    h = host.replace(".", "_").replace(":", "__")
    if h.isalnum():
        return h
    return "".join(c if (c.isascii() and c.isalnum()) or c in "-_" else "_" for c in h[:253])


def measured_method(method: str) -> str:
    """Skipper's measuredMethod: unusual methods are counted as one, so clients cannot grow keys."""
    return method if method in _METHODS else "_unknownmethod_"


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"})

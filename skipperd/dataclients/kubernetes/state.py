"""The cluster state indexed for lookups: services, endpoints, EndpointSlices, secrets.

Mirrors Skipper's ``clusterState``: services and endpoints by namespace and name, EndpointSlices
merged per service (ready, non-terminating endpoints, de-duplicated by address), and the
per-conversion caches of endpoint lists, whose keys decide, as in Skipper, when two backends of
the same service share one endpoint list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skipperd.dataclients.kubernetes import objects as o
from skipperd.dataclients.kubernetes.logs import Log
from skipperd.dataclients.kubernetes.model import KubeObject

MIN_ENDPOINTS_BY_ZONE = 3
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
APP_PROTOCOL_H2C = "kubernetes.io/h2c"

ResourceID = tuple[str, str]  # (namespace, name)


class ServiceNotFound(Exception):
    def __init__(self, text: str = "service not found") -> None:
        super().__init__(text)


@dataclass(frozen=True, slots=True)
class ServicePort:
    name: str
    port: int
    target_port: int | str | None

    def __str__(self) -> str:
        return f"{self.name} {self.port} {o.port_string(self.target_port)}"


@dataclass(frozen=True, slots=True)
class Service:
    namespace: str
    name: str
    type: str
    external_name: str
    ports: tuple[ServicePort, ...]


@dataclass(frozen=True, slots=True)
class SlicePort:
    name: str
    port: int
    protocol: str
    app_protocol: str


@dataclass(slots=True)
class MergedSlice:
    endpoints: list[tuple[str, str]]  # (address, zone)
    ports: list[SlicePort]


def _service(obj: KubeObject) -> Service:
    meta = o.Meta(obj)
    spec = o.mapping(obj, "spec")
    ports = tuple(
        ServicePort(o.string(p, "name"), o.integer(p, "port"), o.int_or_string(p, "targetPort"))
        for p in o.items(spec, "ports")
        if isinstance(p, dict)
    )
    return Service(meta.namespace, meta.name, o.string(spec, "type"), o.string(spec, "externalName"), ports)


def endpoint_string(ip: str, scheme: str, port: int) -> str:
    host = f"[{ip}]" if ":" in ip else ip
    return f"{scheme}://{host}:{port}"


class State:
    def __init__(
        self,
        services: tuple[KubeObject, ...],
        endpoints: tuple[KubeObject, ...],
        endpointslices: tuple[KubeObject, ...],
        secrets: tuple[KubeObject, ...],
        enable_endpointslices: bool,
        log: Log,
    ) -> None:
        self.enable_endpointslices = enable_endpointslices
        self.services: dict[ResourceID, Service] = {}
        invalid = False
        for s in services:
            if not isinstance(s, dict) or not isinstance(s.get("metadata"), dict) or not isinstance(s.get("spec"), dict):
                invalid = True
                continue
            try:
                svc = _service(s)
            except o.Malformed:
                invalid = True
                continue
            self.services[(o.resource_namespace(svc.namespace), svc.name)] = svc
        if invalid:
            log.error("Invalid service resource detected.")
        self.endpoints: dict[ResourceID, KubeObject] = {}
        if not enable_endpointslices:
            for e in endpoints:
                if isinstance(e, dict):
                    meta = o.mapping(e, "metadata")
                    self.endpoints[(o.resource_namespace(o.string(meta, "namespace")), o.string(meta, "name"))] = e
        self.slices: dict[ResourceID, MergedSlice] = _collect_ready(endpointslices) if enable_endpointslices else {}
        self.secrets: dict[ResourceID, KubeObject] = {}
        for sec in secrets:
            if isinstance(sec, dict) and isinstance(sec.get("metadata"), dict):
                meta = o.mapping(sec, "metadata")
                self.secrets[(o.resource_namespace(o.string(meta, "namespace")), o.string(meta, "name"))] = sec
        self._cached_endpoints: dict[tuple[str, str, str, str], list[str]] = {}
        self._cached_slices: dict[tuple[str, str, str, str], list[tuple[str, str]]] = {}

    def service(self, namespace: str, name: str) -> Service:
        s = self.services.get((o.resource_namespace(namespace), name))
        if s is None:
            raise ServiceNotFound()
        return s

    # Ingress backends: by the service port.
    def endpoints_by_service(self, namespace: str, name: str, protocol: str, sp: ServicePort) -> list[str]:
        key = (namespace, name, protocol, o.port_string(sp.target_port))
        if key in self._cached_endpoints:
            return self._cached_endpoints[key]
        ep = self.endpoints.get((o.resource_namespace(namespace), name))
        if ep is None:
            return []
        targets = sorted(_targets_by_service_port(ep, protocol, sp))
        self._cached_endpoints[key] = targets
        return targets

    def slices_by_service(self, zone: str, namespace: str, name: str, protocol: str, annotation_set: bool,
                          sp: ServicePort, zone_aware: bool) -> list[tuple[str, str]]:
        key = (namespace, name, protocol if annotation_set else "", o.port_string(sp.target_port))
        targets = self._cached_slices.get(key)
        if targets is None:
            eps = self.slices.get((namespace, name))
            if eps is None:
                return []
            targets = sorted(_slice_targets_by_service_port(eps, "TCP", protocol, annotation_set, sp))
            self._cached_slices[key] = targets
        return filter_by_zone(zone, targets) if zone_aware else targets

    # RouteGroup backends: by the target port.
    def endpoints_by_target(self, namespace: str, name: str, scheme: str, target: int | str | None) -> list[str]:
        key = (namespace, name, "TCP", o.port_string(target))
        if key in self._cached_endpoints:
            return self._cached_endpoints[key]
        ep = self.endpoints.get((o.resource_namespace(namespace), name))
        if ep is None:
            return []
        targets = sorted(_targets_by_target(ep, scheme, target))
        self._cached_endpoints[key] = targets
        return targets

    def slices_by_target(self, zone: str, namespace: str, name: str, scheme: str, annotation_set: bool,
                         target: int | str | None, zone_aware: bool) -> list[tuple[str, str]]:
        key = (namespace, name, "TCP", o.port_string(target))
        targets = self._cached_slices.get(key)
        if targets is None:
            eps = self.slices.get((namespace, name))
            if eps is None:
                return []
            targets = sorted(_slice_targets_by_target(eps, "TCP", scheme, annotation_set, target))
            self._cached_slices[key] = targets
        return filter_by_zone(zone, targets) if zone_aware else targets


def filter_by_zone(zone: str, targets: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if zone:
        in_zone = [t for t in targets if t[1] == zone]
        if len(in_zone) >= MIN_ENDPOINTS_BY_ZONE:
            return in_zone
    return targets


def _subset_addresses(subset: dict[str, Any]) -> list[str]:
    return [o.string(a, "ip") for a in o.items(subset, "addresses") if isinstance(a, dict)]


def _targets_by_service_port(ep: KubeObject, protocol: str, sp: ServicePort) -> list[str]:
    for s in o.items(ep, "subsets"):
        ports = [p for p in o.items(s, "ports") if isinstance(p, dict)]
        if len(ports) == 1:
            return [endpoint_string(ip, protocol, o.integer(ports[0], "port")) for ip in _subset_addresses(s)]
        for p in ports:
            if o.string(p, "name") != sp.name:
                continue
            return [endpoint_string(ip, protocol, o.integer(p, "port")) for ip in _subset_addresses(s)]
    return []


def _targets_by_target(ep: KubeObject, scheme: str, target: int | str | None) -> list[str]:
    for s in o.items(ep, "subsets"):
        for p in o.items(s, "ports"):
            if isinstance(target, str) and o.string(p, "name") != target:
                continue
            if isinstance(target, int) and o.integer(p, "port") != target:
                continue
            return [endpoint_string(ip, scheme, o.integer(p, "port")) for ip in _subset_addresses(s)]
    return []


def _slice_port(eps: MergedSlice, protocol: str, name: str, value: int) -> SlicePort | None:
    for p in eps.ports:
        if protocol and p.protocol != protocol:
            continue
        if p.name == name:
            return p
        if value != 0 and p.port == value:
            return p
    return None


def _effective_scheme(p: SlicePort | None, default: str, annotation_set: bool) -> str:
    if annotation_set:
        return default
    if p is not None and p.app_protocol == APP_PROTOCOL_H2C:
        return "h2c"
    return default


def _slice_targets_by_service_port(eps: MergedSlice, protocol: str, scheme: str, annotation_set: bool,
                                   sp: ServicePort) -> list[tuple[str, str]]:
    port = 0
    if not sp.name and isinstance(sp.target_port, int):
        port = sp.target_port
    else:
        found = _slice_port(eps, protocol, sp.name, sp.port)
        port = found.port if found else 0
    scheme = _effective_scheme(_slice_port(eps, protocol, sp.name, sp.port), scheme, annotation_set)
    return [(endpoint_string(a, scheme, port), z) for a, z in eps.endpoints]


def _slice_targets_by_target(eps: MergedSlice, protocol: str, scheme: str, annotation_set: bool,
                             target: int | str | None) -> list[tuple[str, str]]:
    name = target if isinstance(target, str) else ""
    value = target if isinstance(target, int) else 0
    found = _slice_port(eps, protocol, name, value)
    port = found.port if found else 0
    scheme = _effective_scheme(found, scheme, annotation_set)
    return [(endpoint_string(a, scheme, port), z) for a, z in eps.endpoints]


def _condition(ep: dict[str, Any], key: str) -> bool | None:
    c = ep.get("conditions")
    if not isinstance(c, dict):
        return None
    v = c.get(key)
    return v if isinstance(v, bool) else None


def _collect_ready(slices: tuple[KubeObject, ...]) -> dict[ResourceID, MergedSlice]:
    by_service: dict[ResourceID, list[KubeObject]] = {}
    for s in slices:
        if not isinstance(s, dict) or s.get("ports") is None:
            continue  # EndpointSlices can have nil ports (zalando/skipper#3151)
        try:
            meta = o.Meta(s)
        except o.Malformed:
            continue
        rid = (meta.namespace, meta.labels.get(SERVICE_NAME_LABEL, ""))
        by_service.setdefault(rid, []).append(s)
    result: dict[ResourceID, MergedSlice] = {}
    for rid, group in by_service.items():
        terminating: set[str] = set()
        ready: dict[str, tuple[str, str]] = {}
        ports: list[SlicePort] = []
        for s in group:
            for ep in o.items(s, "endpoints"):
                addresses = o.strings(ep, "addresses") if isinstance(ep, dict) else []
                if not addresses:
                    continue
                address = addresses[0]
                if address in terminating:
                    continue
                if _condition(ep, "terminating") is True:
                    terminating.add(address)
                    ready.pop(address, None)
                elif _condition(ep, "ready") is not False:
                    ready[address] = (address, o.string(ep, "zone"))
            ports = [
                SlicePort(o.string(p, "name"), o.integer(p, "port"), o.string(p, "protocol"), o.string(p, "appProtocol"))
                for p in o.items(s, "ports")
                if isinstance(p, dict)
            ]
        result[rid] = MergedSlice(list(ready.values()), ports)
    return result

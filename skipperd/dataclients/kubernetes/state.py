"""The cluster state indexed for lookups: services, endpoints, EndpointSlices, secrets.

Mirrors Skipper's ``clusterState``: services and endpoints by namespace and name, EndpointSlices
merged per service (ready, non-terminating endpoints, de-duplicated by address), and the
per-conversion caches of endpoint lists, whose keys decide, as in Skipper, when two backends of
the same service share one endpoint list.

With a ``StateMemo`` the parsed services and the merged EndpointSlices of unchanged objects are
taken from the last conversion. While ``trace`` is a list, every lookup appends what it was
asked and what it answered; ``replay`` asks a new state the same questions in the same order,
so a remembered object conversion is reused only when every answer it read is still the same
(and the per-conversion caches fill exactly as converting the object again would fill them).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Sequence

from skipperd.dataclients.kubernetes import objects as o
from skipperd.dataclients.kubernetes.logs import Log
from skipperd.dataclients.kubernetes.memo import Generations, ObjectMemo
from skipperd.dataclients.kubernetes.model import KubeObject

MIN_ENDPOINTS_BY_ZONE = 3
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
APP_PROTOCOL_H2C = "kubernetes.io/h2c"

ResourceID = tuple[str, str]  # (namespace, name)
#: One lookup an object's conversion made: the method, its arguments, and its answer.
Lookup = tuple[str, tuple[Any, ...], Any]
_INVALID = "invalid"


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
    # sorted targets by the arguments that computed them (pure; kept while this merge is kept)
    targets: dict[tuple[Any, ...], list[tuple[str, str]]] = field(default_factory=dict)


def _service(obj: KubeObject) -> Service:
    meta = o.Meta(obj)
    spec = o.mapping(obj, "spec")
    ports = tuple(
        ServicePort(o.string(p, "name"), o.integer(p, "port"), o.int_or_string(p, "targetPort"))
        for p in o.items(spec, "ports")
        if isinstance(p, dict)
    )
    return Service(meta.namespace, meta.name, o.string(spec, "type"), o.string(spec, "externalName"), ports)


def _identical(a: tuple[KubeObject, ...], b: tuple[KubeObject, ...]) -> bool:
    return len(a) == len(b) and all(map(operator.is_, a, b))


def _index_services(services: tuple[KubeObject, ...],
                    memo: StateMemo | None) -> tuple[dict[ResourceID, Service], bool]:
    """Services by (namespace, name), and whether one was invalid."""
    out: dict[ResourceID, Service] = {}
    invalid = False
    for s in services:
        if not isinstance(s, dict) or not isinstance(s.get("metadata"), dict) or not isinstance(s.get("spec"), dict):
            invalid = True
            continue
        svc = memo.services.find(s) if memo is not None else None
        if svc is None:
            try:
                svc = _service(s)
            except o.Malformed:
                svc = _INVALID
        if memo is not None:
            memo.services.keep(s, svc)
        if isinstance(svc, str):
            invalid = True
            continue
        out[(o.resource_namespace(svc.namespace), svc.name)] = svc
    return out, invalid


def endpoint_string(ip: str, scheme: str, port: int) -> str:
    host = f"[{ip}]" if ":" in ip else ip
    return f"{scheme}://{host}:{port}"


class StateMemo:
    """What ``State`` computes per object, kept between conversions with the same options."""

    def __init__(self) -> None:
        self.services: ObjectMemo[Service | str] = ObjectMemo()
        self.slice_ids: ObjectMemo[ResourceID | str] = ObjectMemo()
        self.merged: Generations[tuple[tuple[KubeObject, ...], MergedSlice]] = Generations()
        self.endpoint_targets: ObjectMemo[dict[tuple[Any, ...], list[str]]] = ObjectMemo()
        # the services of the last conversion, their index (never changed once built) and validity
        self.last_services: tuple[tuple[KubeObject, ...], dict[ResourceID, Service], bool] | None = None
        self._last_services_kept: tuple[tuple[KubeObject, ...], dict[ResourceID, Service], bool] | None = None

    def commit(self) -> None:
        self._last_services_kept = self.last_services
        self.endpoint_targets.commit()
        self.services.commit()
        self.slice_ids.commit()
        self.merged.commit()

    def abandon(self) -> None:
        self.last_services = self._last_services_kept
        self.endpoint_targets.abandon()
        self.services.abandon()
        self.slice_ids.abandon()
        self.merged.abandon()


class State:
    def __init__(
        self,
        services: tuple[KubeObject, ...],
        endpoints: tuple[KubeObject, ...],
        endpointslices: tuple[KubeObject, ...],
        secrets: tuple[KubeObject, ...],
        enable_endpointslices: bool,
        log: Log,
        memo: StateMemo | None = None,
    ) -> None:
        self.enable_endpointslices = enable_endpointslices
        self.trace: list[Lookup] | None = None
        self._memo = memo
        last = memo.last_services if memo is not None else None
        if memo is not None and last is not None and _identical(last[0], services):
            memo.services.carry()  # the same objects as last time: the same index
            self.services, invalid = last[1], last[2]
        else:
            self.services, invalid = _index_services(services, memo)
            if memo is not None:
                memo.last_services = (services, self.services, invalid)
        if invalid:
            log.error("Invalid service resource detected.")
        self.endpoints: dict[ResourceID, KubeObject] = {}
        if not enable_endpointslices:
            for e in endpoints:
                if isinstance(e, dict):
                    meta = o.mapping(e, "metadata")
                    self.endpoints[(o.resource_namespace(o.string(meta, "namespace")), o.string(meta, "name"))] = e
        self.slices: dict[ResourceID, MergedSlice] = (_collect_ready(endpointslices, memo)
                                                      if enable_endpointslices else {})
        self.secrets: dict[ResourceID, KubeObject] = {}
        for sec in secrets:
            if isinstance(sec, dict) and isinstance(sec.get("metadata"), dict):
                meta = o.mapping(sec, "metadata")
                self.secrets[(o.resource_namespace(o.string(meta, "namespace")), o.string(meta, "name"))] = sec
        self._cached_endpoints: dict[tuple[str, str, str, str], list[str]] = {}
        self._cached_slices: dict[tuple[str, str, str, str], list[tuple[str, str]]] = {}

    def replay(self, lookups: Sequence[Lookup]) -> bool:
        """Ask the recorded questions again; True when every answer equals the recorded one."""
        trace, self.trace = self.trace, None
        try:
            for method, args, answer in lookups:
                if method == "service":
                    got: Any = self.services.get((o.resource_namespace(args[0]), args[1]))
                else:
                    got = getattr(self, method)(*args)
                if got is not answer and got != answer:
                    return False
            return True
        finally:
            self.trace = trace

    def _targets(self, ep: KubeObject, args: tuple[Any, ...]) -> list[str]:
        """An Endpoints object's sorted targets for ``args`` (pure: kept with the object)."""
        memo = self._memo.endpoint_targets.find(ep) if self._memo is not None else None
        if memo is None:
            memo = {}
        if self._memo is not None:
            self._memo.endpoint_targets.keep(ep, memo)
        got = memo.get(args)
        if got is None:
            if args[0] == "service":
                got = sorted(_targets_by_service_port(ep, args[1], args[2]))
            else:
                got = sorted(_targets_by_target(ep, args[1], args[2]))
            memo[args] = got
        return got

    def secret(self, namespace: str, name: str) -> KubeObject | None:
        """The secret ``namespace/name`` as given (the namespace is not defaulted), or None."""
        got = self.secrets.get((namespace, name))
        if self.trace is not None:
            self.trace.append(("secret", (namespace, name), got))
        return got

    def service(self, namespace: str, name: str) -> Service:
        s = self.services.get((o.resource_namespace(namespace), name))
        if self.trace is not None:
            self.trace.append(("service", (namespace, name), s))
        if s is None:
            raise ServiceNotFound()
        return s

    # Ingress backends: by the service port.
    def endpoints_by_service(self, namespace: str, name: str, protocol: str, sp: ServicePort) -> list[str]:
        got = self._endpoints_by_service(namespace, name, protocol, sp)
        if self.trace is not None:
            self.trace.append(("endpoints_by_service", (namespace, name, protocol, sp), got))
        return got

    def _endpoints_by_service(self, namespace: str, name: str, protocol: str, sp: ServicePort) -> list[str]:
        key = (namespace, name, protocol, o.port_string(sp.target_port))
        if key in self._cached_endpoints:
            return self._cached_endpoints[key]
        ep = self.endpoints.get((o.resource_namespace(namespace), name))
        if ep is None:
            return []
        targets = self._targets(ep, ("service", protocol, sp))
        self._cached_endpoints[key] = targets
        return targets

    def slices_by_service(self, zone: str, namespace: str, name: str, protocol: str, annotation_set: bool,
                          sp: ServicePort, zone_aware: bool) -> list[tuple[str, str]]:
        got = self._slices_by_service(zone, namespace, name, protocol, annotation_set, sp, zone_aware)
        if self.trace is not None:
            args = (zone, namespace, name, protocol, annotation_set, sp, zone_aware)
            self.trace.append(("slices_by_service", args, got))
        return got

    def _slices_by_service(self, zone: str, namespace: str, name: str, protocol: str, annotation_set: bool,
                           sp: ServicePort, zone_aware: bool) -> list[tuple[str, str]]:
        key = (namespace, name, protocol if annotation_set else "", o.port_string(sp.target_port))
        targets = self._cached_slices.get(key)
        if targets is None:
            eps = self.slices.get((namespace, name))
            if eps is None:
                return []
            args = ("service", protocol, annotation_set, sp)
            targets = eps.targets.get(args)
            if targets is None:
                targets = eps.targets[args] = sorted(_slice_targets_by_service_port(eps, "TCP", protocol,
                                                                                    annotation_set, sp))
            self._cached_slices[key] = targets
        return filter_by_zone(zone, targets) if zone_aware else targets

    # RouteGroup backends: by the target port.
    def endpoints_by_target(self, namespace: str, name: str, scheme: str, target: int | str | None) -> list[str]:
        got = self._endpoints_by_target(namespace, name, scheme, target)
        if self.trace is not None:
            self.trace.append(("endpoints_by_target", (namespace, name, scheme, target), got))
        return got

    def _endpoints_by_target(self, namespace: str, name: str, scheme: str, target: int | str | None) -> list[str]:
        key = (namespace, name, "TCP", o.port_string(target))
        if key in self._cached_endpoints:
            return self._cached_endpoints[key]
        ep = self.endpoints.get((o.resource_namespace(namespace), name))
        if ep is None:
            return []
        targets = self._targets(ep, ("target", scheme, target))
        self._cached_endpoints[key] = targets
        return targets

    def slices_by_target(self, zone: str, namespace: str, name: str, scheme: str, annotation_set: bool,
                         target: int | str | None, zone_aware: bool) -> list[tuple[str, str]]:
        got = self._slices_by_target(zone, namespace, name, scheme, annotation_set, target, zone_aware)
        if self.trace is not None:
            args = (zone, namespace, name, scheme, annotation_set, target, zone_aware)
            self.trace.append(("slices_by_target", args, got))
        return got

    def _slices_by_target(self, zone: str, namespace: str, name: str, scheme: str, annotation_set: bool,
                          target: int | str | None, zone_aware: bool) -> list[tuple[str, str]]:
        key = (namespace, name, "TCP", o.port_string(target))
        targets = self._cached_slices.get(key)
        if targets is None:
            eps = self.slices.get((namespace, name))
            if eps is None:
                return []
            args = ("target", scheme, annotation_set, target)
            targets = eps.targets.get(args)
            if targets is None:
                targets = eps.targets[args] = sorted(_slice_targets_by_target(eps, "TCP", scheme, annotation_set,
                                                                              target))
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


def _slice_service(s: KubeObject) -> ResourceID | str:
    try:
        meta = o.Meta(s)
    except o.Malformed:
        return _INVALID
    return (meta.namespace, meta.labels.get(SERVICE_NAME_LABEL, ""))


def _collect_ready(slices: tuple[KubeObject, ...], memo: StateMemo | None = None) -> dict[ResourceID, MergedSlice]:
    by_service: dict[ResourceID, list[KubeObject]] = {}
    for s in slices:
        if not isinstance(s, dict) or s.get("ports") is None:
            continue  # EndpointSlices can have nil ports (zalando/skipper#3151)
        rid = memo.slice_ids.find(s) if memo is not None else None
        if rid is None:
            rid = _slice_service(s)
        if memo is not None:
            memo.slice_ids.keep(s, rid)
        if isinstance(rid, str):
            continue
        by_service.setdefault(rid, []).append(s)
    result: dict[ResourceID, MergedSlice] = {}
    for rid, group in by_service.items():
        if memo is None:
            result[rid] = _merge(group)
            continue
        got = memo.merged.get(rid)
        if got is None or not _same_objects(got[0], group):
            got = (tuple(group), _merge(group))
        memo.merged.keep(rid, got)
        result[rid] = got[1]
    return result


def _same_objects(old: tuple[KubeObject, ...], new: list[KubeObject]) -> bool:
    return len(old) == len(new) and all(a is b or a == b for a, b in zip(old, new))


def _merge(group: list[KubeObject]) -> MergedSlice:
    """One service's EndpointSlices merged: ready, non-terminating endpoints by address."""
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
    return MergedSlice(list(ready.values()), ports)

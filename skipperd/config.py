"""Settings, declared once (../shared/STYLE.md §6).

Each field of ``Settings`` is one setting: its type, default, flag, help text, section and status
live in the field's declaration, and the command line (Skipper's single-dash flags), the config
file (YAML, keys are the flag names without the dash) and the generated reference
(``docs/settings.md``, ``skipperd settings-doc``) are all derived from it.

Precedence: built-in defaults < config file (``-config=PATH``) < command-line flags. SIGHUP
re-reads the config file; the command-line flags keep winning over it.

A setting whose feature is not built yet is still accepted, so that a Skipper command line
starts, and its help says ``(planned: ...)``; a setting that skipperd accepts for compatibility
but that has no meaning here says ``(accepted, no effect: ...)``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from skipperd.errors import ConfigError

IMPLEMENTED = ""


def _setting(
    default: Any,
    help: str,
    *,
    section: str,
    kind: str | None = None,
    status: str = IMPLEMENTED,
    flag: str | None = None,
    check: Callable[[Any], str | None] | None = None,
) -> Any:
    meta = {"help": help, "section": section, "kind": kind, "status": status, "flag": flag, "check": check}
    if isinstance(default, (list, dict)):
        raise TypeError("use tuples for sequence defaults")
    return field(default=default, metadata=meta)


def _planned(what: str) -> str:
    return f"planned: {what}"


def _noop(why: str) -> str:
    return f"accepted, no effect: {why}"


def _positive(v: Any) -> str | None:
    return None if v > 0 else "must be greater than 0"


def _forward_url(v: Any) -> str | None:
    from skipperd.routing.route import parse_endpoint

    try:
        if v:
            parse_endpoint(v)
    except ValueError as e:
        return str(e)
    return None


def _non_negative(v: Any) -> str | None:
    return None if v >= 0 else "must not be negative"


def _listen_address(v: Any) -> str | None:
    if v == "":
        return None
    try:
        parse_address(v)
    except ValueError as e:
        return str(e)
    return None


_FORWARDED = ("X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Method", "X-Forwarded-Uri",
              "X-Forwarded-Port", "X-Forwarded-Proto")


def _forwarded_headers(v: Any) -> str | None:
    for item in v:
        name, _, value = item.partition("=")
        if name not in _FORWARDED:
            return f"unknown forwarded header {name!r}, expected one of {', '.join(_FORWARDED)}"
        if name == "X-Forwarded-Proto" and value not in ("", "http", "https", "auto"):
            return "X-Forwarded-Proto takes http, https or auto"
        if name == "X-Forwarded-Port" and value not in ("", "auto") and not value.isdigit():
            return "X-Forwarded-Port takes a port number or auto"
    return None


def _cidrs(v: Any) -> str | None:
    for item in v:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            return f"invalid CIDR {item!r}"
    return None


K8S = _planned("Kubernetes data client (issue: Kubernetes ingress)")
RATELIMIT = _planned("rate limits")


@dataclass(frozen=True, slots=True)
class Settings:
    # --- skipperd's own process model ----------------------------------------------------------
    config: str = _setting("", "Path of the YAML config file; its keys are the flag names without the dash. "
                           "SIGHUP re-reads it.", section="process", flag="config")
    workers: int = _setting(0, "Number of gevent worker processes; 0 means one per CPU.",
                            section="process", check=_non_negative)
    worker_connections: int = _setting(10000, "Maximum concurrent client connections per worker.",
                                       section="process", check=_positive)
    graceful_timeout: float = _setting(30.0, "Time a stopping worker gets to finish in-flight requests "
                                       "before it is killed.", section="process", kind="duration")
    worker_timeout: float = _setting(30.0, "A worker that has not sent a heartbeat for this long is "
                                     "killed and replaced.", section="process", kind="duration", check=_positive)
    pidfile: str = _setting("", "Write the arbiter's PID to this file.", section="process", kind="path")
    instance_name: str = _setting("", "Names this instance's shared-memory segments; by default derived "
                                  "from -address and -support-listener, so that several instances on a host "
                                  "keep separate tables.", section="process")

    # --- listeners ----------------------------------------------------------------------------
    address: str = _setting(":9090", "Network address the proxy listens on, host:port.",
                            section="listeners", check=_listen_address)
    support_listener: str = _setting(":9911", "Address of the support listener (/metrics, /routes, "
                                     "/healthz); empty disables it.", section="listeners", check=_listen_address)
    insecure_address: str = _setting("", "Plain-HTTP address when TLS is enabled.", section="listeners",
                                     status=_planned("TLS termination"))
    metrics_listener: str = _setting(":9911", "Skipper's separate metrics address.", section="listeners",
                                     status=_noop("metrics are served on -support-listener"))
    tls_cert: str = _setting("", "TLS certificate file(s).", section="listeners", status=_planned("TLS termination"))
    tls_key: str = _setting("", "TLS key file(s).", section="listeners", status=_planned("TLS termination"))

    # --- route sources ------------------------------------------------------------------------
    routes_file: str = _setting("", "File with route definitions in eskip; changes are picked up within "
                                "a second.", section="routes", kind="path")
    inline_routes: str = _setting("", "Route definitions in eskip given on the command line.", section="routes")
    wait_first_route_load: bool = _setting(False, "Accept no traffic until the first route table is "
                                           "published.", section="routes")
    source_poll_timeout: float = _setting(3000.0, "Polling interval of route sources that are polled, "
                                          "in milliseconds (the routes file is watched every 250 ms regardless).",
                                          section="routes", check=_positive)
    ignore_trailing_slash: bool = _setting(False, "Ignore trailing slashes in paths when routing.",
                                           section="routes")
    default_filters_prepend: str = _setting("", "Filters prepended to every route (eskip filter chain).",
                                            section="routes", status=_planned("default filters"))
    default_filters_append: str = _setting("", "Filters appended to every route (eskip filter chain).",
                                           section="routes", status=_planned("default filters"))
    default_filters_dir: str = _setting("", "Directory of per-service default filters.", section="routes",
                                        kind="path", status=K8S)
    forward_backend_url: str = _setting("", "Target URL of the <forward> backend (http(s)://host[:port]); "
                                        "routes with <forward> send there and run no filters.",
                                        section="routes", check=_forward_url)
    default_http_status: int = _setting(404, "Status returned when no route matches.", section="routes")

    # --- proxy --------------------------------------------------------------------------------
    proxy_preserve_host: bool = _setting(False, "Send the incoming Host header to the backend instead of "
                                         "the backend's host.", section="proxy")
    forwarded_headers: tuple[str, ...] = _setting(
        (), "Comma-separated headers to set on the request before routing: X-Forwarded-For (append the "
        "client IP), X-Forwarded-Host, X-Forwarded-Method, X-Forwarded-Uri, X-Forwarded-Port=<port|auto>, "
        "X-Forwarded-Proto=<http|https|auto>.", section="proxy", kind="list", check=_forwarded_headers)
    forwarded_headers_exclude_cidrs: tuple[str, ...] = _setting(
        (), "Comma-separated CIDRs of clients for which no forwarded headers are set.", section="proxy",
        kind="list", check=_cidrs)
    normalize_host: bool = _setting(False, "Lower-case the request host and strip its port and trailing dot "
                                    "before routing.", section="proxy")
    max_content_length: int = _setting(0, "Largest request body accepted, in bytes; larger requests are "
                                       "answered 413. 0 means no limit.", section="proxy", check=_non_negative)
    max_header_bytes: int = _setting(1 << 20, "Largest request head (request line and header fields) "
                                     "accepted, in bytes; larger requests are answered 431.", section="proxy",
                                     check=_positive)
    max_header_count: int = _setting(100, "Most request header fields accepted; more are answered 431.",
                                     section="proxy", check=_positive)
    timeout_backend: float = _setting(60.0, "Timeout for connecting to a backend.", section="proxy",
                                      kind="duration", check=_positive)
    response_header_timeout_backend: float = _setting(60.0, "Timeout for a backend's response headers after "
                                                      "the request was sent.", section="proxy", kind="duration",
                                                      check=_positive)
    idle_timeout_backend: float = _setting(60.0, "Pooled backend connections idle longer than this are "
                                           "closed instead of reused.", section="proxy", kind="duration",
                                           check=_positive)
    idle_conns_num: int = _setting(64, "Most idle connections kept per backend endpoint and worker.",
                                   section="proxy", check=_non_negative)
    close_idle_conns_period: float = _setting(20.0, "How often idle backend connections past "
                                              "-idle-timeout-backend are closed.", section="proxy",
                                              kind="duration")
    keepalive_backend: float = _setting(30.0, "TCP keep-alive period of backend connections.",
                                        section="proxy", kind="duration")
    disable_http_keepalives: bool = _setting(False, "Use a new backend connection for every request.",
                                             section="proxy")
    expect_continue_timeout_backend: float = _setting(30.0, "Skipper's wait for a backend's 100 Continue.",
                                                      section="proxy", kind="duration",
                                                      status=_noop("Expect: 100-continue is answered by "
                                                                   "skipperd and the body streamed"))
    tls_timeout_backend: float = _setting(60.0, "TLS handshake timeout for backend connections.",
                                          section="proxy", kind="duration")
    insecure: bool = _setting(False, "Do not verify backend TLS certificates.", section="proxy")
    remove_hop_headers: bool = _setting(False, "Skipper's opt-in removal of hop-by-hop headers.",
                                        section="proxy",
                                        status=_noop("skipperd always removes hop-by-hop headers (RFC 9110 §7.6.1)"))
    reverse_source_predicate: bool = _setting(False, "Source() takes the last X-Forwarded-For entry instead "
                                              "of the first.", section="proxy")
    experimental_upgrade: bool = _setting(False, "Proxy protocol upgrades (WebSocket): tunnel both ways "
                                          "after the backend's 101.", section="proxy")
    max_loopbacks: int = _setting(9, "Most loopbacks for one incoming request.", section="proxy",
                                  check=_non_negative)

    # --- client connections -------------------------------------------------------------------
    idle_timeout_server: float = _setting(60.0, "Idle keep-alive client connections are closed after this.",
                                          section="server", kind="duration", check=_positive)
    read_header_timeout_server: float = _setting(60.0, "Time a client has to send a complete request head.",
                                                 section="server", kind="duration", check=_positive)
    read_timeout_server: float = _setting(300.0, "Time a client has between two reads of its request body.",
                                          section="server", kind="duration", check=_positive)
    write_timeout_server: float = _setting(60.0, "Time a client has to accept each piece of the response.",
                                           section="server", kind="duration", check=_positive)
    keepalive_requests_server: int = _setting(0, "Requests per client connection before it is closed; 0 "
                                              "means unlimited.", section="server", check=_non_negative)
    wait_for_healthcheck_interval: float = _setting(
        45.0, "On SIGTERM: how long Shutdown() is true and the health check fails while traffic is still "
        "served, so that the load balancer takes the host out, before the workers stop.", section="server",
        kind="duration", check=_non_negative)
    enable_connection_metrics: bool = _setting(False, "Connection metrics: lb-conn-new, -active, -idle, "
                                               "-closed.", section="server")

    # --- logging and metrics ------------------------------------------------------------------
    application_log_level: str = _setting("INFO", "Log level: ERROR, WARN, INFO or DEBUG.", section="logging",
                                          check=lambda v: None if v.upper() in ("ERROR", "WARN", "WARNING", "INFO", "DEBUG", "PANIC", "FATAL")
                                          else "expected one of ERROR, WARN, INFO, DEBUG")
    application_log: str = _setting("", "File for the application log; standard error when empty.",
                                    section="logging", kind="path")
    application_log_json_enabled: bool = _setting(False, "Write the application log as JSON lines "
                                                  "(level, msg, time).", section="logging")
    access_log: str = _setting("", "File for the access log; standard output when empty (journald "
                               "takes it under systemd).", section="logging", kind="path")
    access_log_disabled: bool = _setting(False, "Write no access log (enableAccessLog turns it on per route).",
                                         section="logging")
    access_log_json_enabled: bool = _setting(False, "Write the access log as JSON lines.", section="logging")
    access_log_strip_query: bool = _setting(False, "Leave the query string out of the access log.",
                                            section="logging")
    max_audit_body: int = _setting(1024, "Most request body bytes that auditLog() writes; 0 omits the body, "
                                   "-1 writes all of it.", section="logging")
    statsd_address: str = _setting("", "host:port of a StatsD daemon (UDP); empty disables StatsD.",
                                   section="metrics")
    statsd_prefix: str = _setting("skipper", "Prefix of every StatsD metric name.", section="metrics")
    statsd_flush_interval: float = _setting(1.0, "How often each worker sends its batched StatsD "
                                            "datagrams; at most 1s.", section="metrics", kind="duration",
                                            check=lambda v: None if 0 < v <= 1.0 else "must be greater than 0 and at most 1s")
    metrics_prefix: str = _setting("skipper.", "Prefix of the codahale metric keys on /metrics.", section="metrics")
    metrics_flavour: tuple[str, ...] = _setting(("codahale",), "Formats of /metrics on the support listener: "
                                                "codahale (JSON), prometheus (text), or both; empty collects "
                                                "no metrics in shared memory.", section="metrics", kind="list",
                                                check=lambda v: next((f"unknown metrics flavour {x!r}" for x in v
                                                                      if x not in ("codahale", "prometheus")), None))
    route_backend_metrics: bool = _setting(False, "Backend latency per route (backend.<route>).", section="metrics")
    route_response_metrics: bool = _setting(False, "Response time per route and status "
                                            "(response.<code>.<method>.skipper.<route>).", section="metrics")
    combined_response_metrics: bool = _setting(True, "Response time per status code and method over all "
                                               "routes (all.response.<code>.<method>.skipper).", section="metrics")
    serve_host_metrics: bool = _setting(False, "Serve time per request host (servehost.<host>.<method>.<code>).",
                                        section="metrics")
    serve_route_metrics: bool = _setting(False, "Serve time per route (serveroute.<route>.<method>.<code>).",
                                         section="metrics")
    serve_method_metric: bool = _setting(True, "The HTTP method as part of the serve-host/-route keys.",
                                         section="metrics")
    serve_status_code_metric: bool = _setting(True, "The status code as part of the serve-host/-route keys.",
                                              section="metrics")
    backend_host_metrics: bool = _setting(False, "Backend latency per backend host (backendhost.<host>).",
                                          section="metrics")
    metrics_exp_decay_sample: bool = _setting(False, "Codahale percentiles weighted towards the last minutes "
                                              "(an exponentially decaying sample) instead of all time.",
                                              section="metrics")
    histogram_metric_buckets: tuple[float, ...] = _setting((), "Upper bounds (seconds) of the Prometheus "
                                                           "histogram buckets; Prometheus' defaults when empty.",
                                                           section="metrics", kind="floats")
    lb_healthcheck_interval: float = _setting(0.0, "Deprecated in Skipper as well.", section="proxy",
                                              kind="duration", status=_noop("deprecated in Skipper"))

    # --- features built by later issues -------------------------------------------------------
    enable_ratelimits: bool = _setting(False, "Enable rate-limit filters.", section="ratelimits", status=RATELIMIT)
    ratelimits: tuple[str, ...] = _setting((), "Default rate-limit settings.", section="ratelimits",
                                           kind="list", status=RATELIMIT)
    enable_swarm: bool = _setting(False, "Cluster rate limits.", section="ratelimits", status=RATELIMIT)
    swarm_redis_urls: tuple[str, ...] = _setting((), "Redis addresses for cluster rate limits.",
                                                 section="ratelimits", kind="list", status=RATELIMIT)
    enable_breakers: bool = _setting(False, "Enable circuit breakers.", section="breakers",
                                     status=_planned("circuit breakers"))
    breaker: tuple[str, ...] = _setting((), "Circuit breaker settings.", section="breakers", kind="list",
                                        status=_planned("circuit breakers"))
    kubernetes: bool = _setting(False, "Build routes from Kubernetes Ingresses and RouteGroups.",
                                section="kubernetes", status=K8S)
    kubernetes_in_cluster: bool = _setting(False, "Use the in-cluster service account.", section="kubernetes",
                                           status=K8S)
    kubernetes_url: str = _setting("", "Kubernetes API server URL.", section="kubernetes", status=K8S)
    kubernetes_token_file: str = _setting("", "Bearer token file for the API server.", section="kubernetes",
                                          status=K8S)
    kubernetes_path_mode: str = _setting("kubernetes-ingress", "Interpretation of Ingress paths: "
                                         "kubernetes-ingress, path-regexp or path-prefix.", section="kubernetes",
                                         status=K8S, check=lambda v: None if v in ("kubernetes-ingress", "path-regexp", "path-prefix")
                                         else "expected kubernetes-ingress, path-regexp or path-prefix")
    kubernetes_ingress_class: str = _setting("", "Ingress class regexp.", section="kubernetes", status=K8S)
    kubernetes_routegroup_class: str = _setting("", "RouteGroup class regexp.", section="kubernetes", status=K8S)
    kubernetes_namespace: str = _setting("", "Watch only this namespace.", section="kubernetes", status=K8S)
    kubernetes_healthcheck: bool = _setting(True, "Generate the /kube-system/healthz route.",
                                            section="kubernetes", status=K8S)
    kubernetes_https_redirect: bool = _setting(True, "Generate HTTP to HTTPS redirect routes.",
                                               section="kubernetes", status=K8S)
    kubernetes_https_redirect_code: int = _setting(308, "Status of the HTTPS redirect.", section="kubernetes",
                                                   status=K8S)
    enable_kubernetes_endpointslices: bool = _setting(False, "Read EndpointSlices instead of Endpoints.",
                                                      section="kubernetes", status=K8S)
    kubernetes_enable_tls: bool = _setting(False, "Terminate TLS with Kubernetes secrets.",
                                           section="kubernetes", status=K8S)
    whitelisted_healthcheck_cidr: str = _setting("", "CIDRs allowed on the health check route.",
                                                 section="kubernetes", status=K8S)


# --- field metadata and value parsing ---------------------------------------------------------

_FIELDS: dict[str, dataclasses.Field[Any]] = {f.name: f for f in dataclasses.fields(Settings)}


def flag_name(name: str) -> str:
    """The flag (without dash) and config key of a setting: ``proxy_preserve_host`` → ``proxy-preserve-host``."""
    meta_flag = _FIELDS[name].metadata["flag"]
    return meta_flag or name.replace("_", "-")


_BY_FLAG: dict[str, str] = {flag_name(n): n for n in _FIELDS}
# Skipper's spelling of the config-file flag.
_BY_FLAG["config-file"] = "config"


def kind_of(name: str) -> str:
    f = _FIELDS[name]
    kind = f.metadata["kind"]
    if kind:
        return str(kind)
    t = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    return {"bool": "bool", "int": "int", "float": "float", "str": "string"}[t]


_DURATION_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go's duration syntax (``1m30s``, ``250ms``, ``3s``); a bare number means seconds."""
    s = text.strip()
    if not s:
        raise ValueError("empty duration")
    try:
        return float(s)
    except ValueError:
        pass
    sign = 1.0
    if s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    pos, total = 0, 0.0
    while pos < len(s):
        m = _DURATION_RE.match(s, pos)
        if not m:
            raise ValueError(f"invalid duration {text!r}")
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return sign * total


_TRUE = {"1", "t", "true", "yes", "on"}
_FALSE = {"0", "f", "false", "no", "off"}


def _convert(name: str, raw: Any) -> Any:
    kind = kind_of(name)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        s = str(raw).strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        raise ValueError(f"expected a boolean, got {raw!r}")
    if kind == "int":
        if isinstance(raw, bool):
            raise ValueError(f"expected an integer, got {raw!r}")
        if isinstance(raw, int):
            return raw
        return int(str(raw).strip())
    if kind == "float":
        return float(raw)
    if kind == "duration":
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return float(raw)
        return parse_duration(str(raw))
    if kind == "list":
        if isinstance(raw, (list, tuple)):
            return tuple(str(x).strip() for x in raw if str(x).strip())
        return tuple(x.strip() for x in str(raw).split(",") if x.strip())
    if kind == "floats":
        items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
        return tuple(float(x) for x in items if str(x).strip())
    if raw is None:
        return ""
    return str(raw)  # "string" and "path"


def _apply(values: dict[str, Any], name: str, raw: Any, origin: str) -> None:
    try:
        value = _convert(name, raw)
    except ValueError as e:
        raise ConfigError(f"{origin}: invalid value for -{flag_name(name)}: {e}") from None
    check = _FIELDS[name].metadata["check"]
    if check is not None:
        problem = check(value)
        if problem:
            raise ConfigError(f"{origin}: invalid value for -{flag_name(name)}: {problem}")
    values[name] = value


# --- command line -------------------------------------------------------------------------------

def parse_flags(argv: Sequence[str]) -> dict[str, Any]:
    """Parse Skipper-style flags into setting values.

    Accepted forms, as Go's ``flag`` package does: ``-name=value``, ``-name value``, ``--name=value``
    and, for booleans, ``-name`` alone. Returns only the settings given.
    """
    values: dict[str, Any] = {}
    i = 0
    args = list(argv)
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            if i < len(args):
                raise ConfigError(f"unexpected argument {args[i]!r}")
            break
        if not arg.startswith("-") or arg in ("-", "--"):
            raise ConfigError(f"unexpected argument {arg!r}; settings are given as -name=value")
        body = arg[2:] if arg.startswith("--") else arg[1:]
        name_part, eq, value = body.partition("=")
        name = _BY_FLAG.get(name_part)
        if name is None:
            raise ConfigError(f"unknown flag -{name_part} (see skipperd -help)")
        if not eq:
            if kind_of(name) == "bool":
                value = "true"
            else:
                if i >= len(args):
                    raise ConfigError(f"flag needs an argument: -{name_part}")
                value = args[i]
                i += 1
        _apply(values, name, value, "command line")
    return values


# --- config file ----------------------------------------------------------------------------------

def load_file(path: str) -> dict[str, Any]:
    """Read a YAML config file whose keys are flag names (``workers``, ``proxy-preserve-host`` ...)."""
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"config file {path} is not valid YAML: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected a mapping of setting names to values")
    values: dict[str, Any] = {}
    for key, raw in data.items():
        name = _BY_FLAG.get(str(key)) or (str(key) if str(key) in _FIELDS else None)
        if name is None:
            raise ConfigError(f"config file {path}: unknown key {key!r}")
        if name == "config":
            raise ConfigError(f"config file {path}: a config file cannot name another config file")
        _apply(values, name, raw, f"config file {path}")
        if kind_of(name) == "path" and values[name] and not os.path.isabs(values[name]):
            # Paths in a config file are relative to the file, not to the working directory.
            values[name] = os.path.join(os.path.dirname(os.path.abspath(path)), values[name])
    return values


def load(argv: Sequence[str], env: dict[str, str] | None = None) -> Settings:
    """Build the settings from defaults, the config file the flags name, and the flags."""
    flags = parse_flags(argv)
    values: dict[str, Any] = {}
    path = flags.get("config", "")
    if path:
        values.update(load_file(path))
    values.update(flags)
    return Settings(**values)


def replace(settings: Settings, **changes: Any) -> Settings:
    """A copy with some settings changed, validated like the command line."""
    values: dict[str, Any] = {}
    for name, raw in changes.items():
        if name not in _FIELDS:
            raise ConfigError(f"unknown setting {name!r}")
        _apply(values, name, raw, "replace")
    return dataclasses.replace(settings, **values)


def to_args(settings: Settings) -> list[str]:
    """The flags that reproduce ``settings`` (non-default values only), for child processes and tests."""
    out: list[str] = []
    for name, f in _FIELDS.items():
        value = getattr(settings, name)
        if value == f.default:
            continue
        kind = kind_of(name)
        if kind in ("list", "floats"):
            text = ",".join(str(x) for x in value)
        elif kind == "bool":
            text = "true" if value else "false"
        else:
            text = str(value)
        out.append(f"-{flag_name(name)}={text}")
    return out


# --- addresses ----------------------------------------------------------------------------------

def parse_address(addr: str) -> tuple[str, int]:
    """``":9999"`` → ``("0.0.0.0", 9999)``; ``"127.0.0.1:80"``; ``"[::1]:80"``."""
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"invalid address {addr!r}, expected host:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host or "0.0.0.0", int(port)


def effective_workers(settings: Settings) -> int:
    return settings.workers or (os.cpu_count() or 1)


# --- reference docs -------------------------------------------------------------------------------

def describe() -> list[dict[str, Any]]:
    """One entry per setting, for ``-help`` and the generated reference."""
    out = []
    for name, f in _FIELDS.items():
        out.append({
            "name": name, "flag": "-" + flag_name(name), "kind": kind_of(name), "default": f.default,
            "help": f.metadata["help"], "section": f.metadata["section"], "status": f.metadata["status"],
        })
    return out


def _default_text(default: Any, kind: str) -> str:
    if kind in ("list", "floats"):
        return ",".join(str(x) for x in default)
    if kind == "bool":
        return "true" if default else "false"
    if kind == "duration":
        return f"{default:g}s"
    return str(default)


def help_text() -> str:
    lines = ["Usage: skipperd [-flag=value ...]", "       skipperd eskip check FILE...",
             "       skipperd eskip print FILE", "       skipperd conformance PATH...",
             "       skipperd settings-doc", "", "Settings (flags; the same names are keys of the -config file):"]
    section = None
    for d in describe():
        if d["section"] != section:
            section = d["section"]
            lines.append(f"\n  [{section}]")
        default = _default_text(d["default"], d["kind"])
        note = f" ({d['status']})" if d["status"] else ""
        lines.append(f"  {d['flag']} {d['kind']}   default {default!r}")
        lines.append(f"        {d['help']}{note}")
    return "\n".join(lines) + "\n"


def reference_markdown() -> str:
    """``docs/settings.md``: generated from the declarations above."""
    lines = ["# Settings reference", "",
             "Generated by `skipperd settings-doc` from `skipperd/config.py`; do not edit by hand.", "",
             "Every setting is a command-line flag in Skipper's form (`-name=value`, `-name value`, and "
             "`-name` alone for booleans) and a key of the YAML config file named by `-config` "
             "(the flag name without the dash). Flags override the file. Durations take Go's syntax "
             "(`250ms`, `3s`, `1m30s`) or a number of seconds. Relative paths in the config file are "
             "relative to the file.", ""]
    section = None
    for d in describe():
        if d["section"] != section:
            section = d["section"]
            lines += ["", f"## {section}", "", "| flag / key | type | default | description |",
                      "|---|---|---|---|"]
        default = _default_text(d["default"], d["kind"])
        note = f" *({d['status']})*" if d["status"] else ""
        help_ = d["help"].replace("|", "\\|")
        lines.append(f"| `{d['flag']}` | {d['kind']} | `{default}` | {help_}{note} |")
    return "\n".join(lines) + "\n"

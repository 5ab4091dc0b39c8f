"""Settings, declared once: every one of Skipper's flags, and skipperd's own.

Each field of ``Settings`` is one setting: its type, default, flag, help text, section and status
live in the field's declaration, and the command line (Go's flag syntax, as Skipper takes it), the
config file (YAML, keys are the flag names without the dash) and the generated reference
(``docs/settings.md``, ``skipperd settings-doc``) are all derived from it.

Precedence: built-in defaults < config file (``-config=PATH`` or Skipper's ``-config-file``) <
command-line flags. SIGHUP re-reads the config file; the command-line flags keep winning over it.

Every flag of Skipper (``config/config.go`` of the Skipper release skipperd follows) is declared,
with one of four statuses, so that an operator's existing command line starts:

- implemented: skipperd honours it;
- planned: accepted, but the feature is not built yet; one warning at start names the features of
  the planned settings in use (``planned_in_use``);
- refused: skipperd will not build it; a value other than the default stops start-up with the
  reason (the etcd route source, for example);
- no effect: accepted and ignored, because skipperd has nothing for it to do (a setting of Go's
  runtime, for example).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from skipperd.errors import ConfigError

#: The status of a setting: implemented, planned (accepted; the feature is not built yet),
#: refused (skipperd will not build it; a value other than the default stops start-up) or
#: accepted without effect (nothing to do in skipperd). Flipping a planned setting to implemented
#: is one change: drop its ``status=`` (or write ``status=IMPLEMENTED``).
IMPLEMENTED = "implemented"
PLANNED = "planned"
REFUSED = "refused"
NO_EFFECT = "no effect"


def planned(feature: str) -> str:
    """Accepted; the start-up warning names ``feature`` as not built yet when the setting is used."""
    return _check_feature_name(f"{PLANNED}: {feature}")


def refused(reason: str) -> str:
    """Not built, ever: a value other than the default stops start-up with ``reason``."""
    return f"{REFUSED}: {reason}"


def no_effect(reason: str) -> str:
    """Accepted and ignored, because in skipperd there is nothing for it to do (``reason``)."""
    return f"{NO_EFFECT}: {reason}"


def status_kind(status: str) -> str:
    """``implemented``, ``planned``, ``refused`` or ``no effect``."""
    return status.partition(":")[0]


def status_detail(status: str) -> str:
    """The feature (planned) or the reason (refused, no effect)."""
    return status.partition(":")[2].strip()


def _check_feature_name(status: str) -> str:
    # The start-up warning lists "feature (-flag, ...); ..." and stays readable only so.
    if any(c in status for c in "();"):
        raise ValueError(f"a planned feature's name has no parentheses or semicolons: {status!r}")
    return status


def _setting(
    default: Any,
    help: str,
    *,
    section: str,
    kind: str | None = None,
    status: str = IMPLEMENTED,
    flag: str | None = None,
    aliases: tuple[str, ...] = (),
    own: bool = False,
    check: Callable[[Any], str | None] | None = None,
) -> Any:
    """One setting. ``own``: skipperd's, not one of Skipper's flags; ``aliases``: other flag names
    and config keys for it."""
    meta = {"help": help, "section": section, "kind": kind, "status": status, "flag": flag,
            "aliases": aliases, "own": own, "check": check}
    if isinstance(default, (list, dict)):
        raise TypeError("use tuples for sequence defaults")
    if status_kind(status) not in (IMPLEMENTED, PLANNED, REFUSED, NO_EFFECT):
        raise ValueError(f"unknown status {status!r}")
    return field(default=default, metadata=meta)


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


# --- features not built yet; the start-up warning names them --------------------------------------
KUBERNETES_TLS = planned("TLS termination with Kubernetes secrets")
KUBERNETES_STATUS = planned("Ingress status updates")
ADMISSION = planned("Kubernetes admission webhook")
METRICS = planned("StatsD and Prometheus metrics")
LOG_FORMATS = planned("access and application log formats")
AUDIT_LOG = planned("auditLog filter")
RATELIMITS = planned("rate limits")
BREAKERS = planned("circuit breakers")
TRACING = planned("tracing")
AUTH = planned("authentication filters")
API_MONITORING = planned("API usage monitoring")
OPA = planned("Open Policy Agent")
LUA = planned("lua filters")
COMPRESS = planned("compress filter")
TLS = planned("TLS termination")
H2C = planned("HTTP/2 cleartext")
PROXY_PROTOCOL = planned("PROXY protocol")
TCP_QUEUE = planned("TCP listener queue")
BACKEND_MTLS = planned("client certificates for backends")
UPGRADE = planned("WebSocket and other protocol upgrades")
FORWARD = planned("<forward> backend")
PASSIVE_HEALTH = planned("passive health checks")
BACKEND_CONN_LIMIT = planned("a limit on all idle backend connections")
BODY_MATCHER = no_effect("blockContent scans the body as it streams and keeps only the longest blocked string's length")
VALIDATE_QUERY = planned("query validation")
REFUSE_PAYLOAD = planned("payload refusal")
RFC_PATH = planned("RFC path patching")
CONN_AGE = planned("a maximum client connection age")
DEFAULT_FILTERS = planned("default filters")
ROUTE_EDITS = planned("route editing")
DISABLED_FILTERS = planned("disabled filters")
ROUTES_URLS = planned("remote routes files")
ENSURE_DATACLIENTS = planned("required route sources")
DEBUG_LISTENER = planned("debug listener")
STATUS_CHECKS = planned("start-up status checks")
PROFILE = planned("profiling endpoint")

# --- refused, with the reason -----------------------------------------------------------------------
ETCD = refused("skipperd has no etcd data client")
PLUGINS = refused("skipperd cannot load Skipper's Go plugins")

# --- accepted without effect ------------------------------------------------------------------------
GO_RUNTIME = no_effect("a setting of Go's runtime, which skipperd does not have")
GO_COPY_POOL = no_effect("an optimisation inside Skipper's Go proxy")
DUALSTACK = no_effect("skipperd tries each address of a backend host in turn, IPv6 and IPv4")
DEV_MODE = no_effect("skipperd publishes each route update as soon as it is read")
ROUTESRV = no_effect("used only by Skipper's separate routesrv program")


@dataclass(frozen=True, slots=True)
class Settings:
    # --- skipperd's own process model ----------------------------------------------------------
    config: str = _setting("", "Path of the YAML config file; its keys are the flag names without the dash. "
                           "SIGHUP re-reads it. Skipper's -config-file is the same setting.", section="process",
                           flag="config", aliases=("config-file",))
    version: bool = _setting(False, "Print the version and which request path (compiled or interpreted) this "
                             "installation runs, then exit; like -help, it may stand anywhere on the command line.",
                             section="process")
    workers: int = _setting(0, "Number of gevent worker processes; 0 means one per CPU.",
                            own=True, section="process", check=_non_negative)
    worker_connections: int = _setting(10000, "Maximum concurrent client connections per worker.",
                                       own=True, section="process", check=_positive)
    graceful_timeout: float = _setting(30.0, "Time a stopping worker gets to finish in-flight requests "
                                       "before it is killed.", own=True, section="process", kind="duration")
    worker_timeout: float = _setting(30.0, "A worker or the route supervisor that has not sent a heartbeat for this long is "
                                     "killed and replaced.", own=True, section="process", kind="duration", check=_positive)
    pidfile: str = _setting("", "Write the arbiter's PID to this file.", own=True, section="process", kind="path")
    instance_name: str = _setting("", "Names this instance's shared-memory segments; by default derived "
                                  "from -address and -support-listener, so that several instances on a host "
                                  "keep separate tables.", own=True, section="process")

    # --- listeners ----------------------------------------------------------------------------
    address: str = _setting(":9090", "Network address the proxy listens on, host:port.",
                            section="listeners", check=_listen_address)
    support_listener: str = _setting(":9911", "Address of the support listener (/metrics, /routes, "
                                     "/healthz); empty disables it.", section="listeners", check=_listen_address)
    insecure_address: str = _setting("", "Plain-HTTP address when TLS is enabled.", section="listeners",
                                     status=TLS)
    metrics_listener: str = _setting(":9911", "Skipper's separate metrics address.", section="listeners",
                                     status=no_effect("metrics are served on -support-listener"))
    tls_cert: str = _setting("", "TLS certificate file(s).", section="listeners", status=TLS)
    tls_key: str = _setting("", "TLS key file(s).", section="listeners", status=TLS)

    # --- route sources ------------------------------------------------------------------------
    routes_file: str = _setting("", "File with route definitions in eskip; changes are picked up within "
                                "a second.", section="routes", kind="path")
    inline_routes: str = _setting("", "Route definitions in eskip given on the command line.", section="routes")
    wait_first_route_load: bool = _setting(False, "Accept no traffic until the first route table is "
                                           "published.", section="routes")
    source_poll_timeout: float = _setting(3000.0, "Polling interval of route sources that are polled, "
                                          "in milliseconds: the Kubernetes source re-lists everything this often "
                                          "(watches keep it current in between); the routes file is watched every "
                                          "250 ms regardless.", section="routes", check=_positive)
    ignore_trailing_slash: bool = _setting(False, "Ignore trailing slashes in paths when routing.",
                                           section="routes")
    default_filters_prepend: str = _setting("", "Filters prepended to every route (eskip filter chain).",
                                            section="routes", status=DEFAULT_FILTERS)
    default_filters_append: str = _setting("", "Filters appended to every route (eskip filter chain).",
                                           section="routes", status=DEFAULT_FILTERS)
    default_filters_dir: str = _setting("", "Directory of per-service default filters.", section="routes",
                                        kind="path")
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
                                     "accepted, in bytes; larger requests are answered 431. A backend's "
                                     "response head has the same limit (502 past it).", section="proxy",
                                     check=_positive)
    max_header_count: int = _setting(100, "Most request header fields accepted; more are answered 431. "
                                     "The same limit applies to a backend's response (502).",
                                     own=True, section="proxy", check=_positive)
    timeout_backend: float = _setting(60.0, "Timeout for connecting to a backend.", section="proxy",
                                      kind="duration", check=_positive)
    response_header_timeout_backend: float = _setting(60.0, "Timeout for a backend's response headers after "
                                                      "the request was sent.", section="proxy", kind="duration",
                                                      check=_positive)
    idle_timeout_backend: float = _setting(60.0, "Pooled backend connections idle longer than this are "
                                           "closed instead of reused.", own=True, section="proxy", kind="duration",
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
                                                      status=no_effect("Expect: 100-continue is answered by "
                                                                   "skipperd and the body streamed"))
    tls_timeout_backend: float = _setting(60.0, "TLS handshake timeout for backend connections.",
                                          section="proxy", kind="duration")
    insecure: bool = _setting(False, "Do not verify backend TLS certificates.", section="proxy")
    remove_hop_headers: bool = _setting(False, "Skipper's opt-in removal of hop-by-hop headers.",
                                        section="proxy",
                                        status=no_effect("skipperd always removes hop-by-hop headers (RFC 9110 §7.6.1)"))
    reverse_source_predicate: bool = _setting(False, "Source() takes the last X-Forwarded-For entry instead "
                                              "of the first, as SourceFromLast() does.", section="proxy")
    experimental_upgrade: bool = _setting(False, "Proxy protocol upgrades (WebSocket): tunnel both ways "
                                          "after the backend's 101.", section="proxy")
    experimental_upgrade_audit: bool = _setting(False, "Audit upgrades: each upgrade request's method, path "
                                                "and query as one JSON line on standard error, and every "
                                                "byte the backend sends through the tunnel copied to "
                                                "standard output.", section="proxy")
    upgrade_client_keepalive: float = _setting(15.0, "TCP keep-alive period of a client connection once it is "
                                               "an upgrade tunnel (Go's listener default); a peer gone "
                                               "silent is dropped after this and nine unanswered probes. "
                                               "0 turns it off.", own=True, section="proxy",
                                               kind="duration", check=_non_negative)
    max_loopbacks: int = _setting(9, "Most loopbacks for one incoming request.", section="proxy",
                                  check=_non_negative)

    # --- client connections -------------------------------------------------------------------
    idle_timeout_server: float = _setting(60.0, "Idle keep-alive client connections are closed after this.",
                                          section="server", kind="duration", check=_positive)
    read_header_timeout_server: float = _setting(60.0, "Time a client has to send a complete request head.",
                                                 section="server", kind="duration", check=_positive)
    read_timeout_server: float = _setting(300.0, "Time a client has between two reads of its request body.",
                                          section="server", kind="duration", check=_positive)
    write_timeout_server: float = _setting(60.0, "Time from the end of the request head to the end of the "
                                           "response sent to the client (Go's WriteTimeout): the whole "
                                           "response, however slowly the client reads.",
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
                                   own=True, section="metrics")
    statsd_prefix: str = _setting("skipper", "Prefix of every StatsD metric name.", own=True,
                                  section="metrics")
    statsd_flush_interval: float = _setting(1.0, "How often each worker sends its batched StatsD "
                                            "datagrams; at most 1s.", own=True, section="metrics", kind="duration",
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
                                              kind="duration", status=no_effect("deprecated in Skipper"))

    # --- features built by later issues -------------------------------------------------------
    enable_ratelimits: bool = _setting(False, "Enable rate-limit filters.", section="ratelimits", status=RATELIMITS)
    ratelimits: tuple[str, ...] = _setting((), "Default rate-limit settings, e.g. type=client,max-hits=20,"
                                           "time-window=60s; repeat the flag for more.", section="ratelimits",
                                           kind="multi", status=RATELIMITS)
    enable_swarm: bool = _setting(False, "Cluster rate limits.", section="ratelimits", status=RATELIMITS)
    swarm_redis_urls: tuple[str, ...] = _setting((), "Redis addresses for cluster rate limits.",
                                                 section="ratelimits", kind="list", status=RATELIMITS)
    enable_breakers: bool = _setting(False, "Enable circuit breakers.", section="breakers",
                                     status=BREAKERS)
    breaker: tuple[str, ...] = _setting((), "Circuit breaker settings, e.g. type=rate,host=www.example.org,"
                                        "window=300s,failures=30; repeat the flag for more.", section="breakers", kind="multi",
                                        status=BREAKERS)
    kubernetes: bool = _setting(False, "Build routes from Kubernetes Ingresses, RouteGroups, Services and "
                                "Endpoints/EndpointSlices, kept current by watches.", section="kubernetes")
    kubernetes_in_cluster: bool = _setting(False, "Use the in-cluster service account "
                                           "(KUBERNETES_SERVICE_HOST/_PORT, its token and CA files).",
                                           section="kubernetes")
    kubernetes_service_account_dir: str = _setting(
        "/var/run/secrets/kubernetes.io/serviceaccount", "Where -kubernetes-in-cluster reads the "
        "service account's token and ca.crt (re-read when the token rotates).", own=True, section="kubernetes", kind="path")
    kubernetes_kubeconfig: str = _setting("", "A kubeconfig to reach the API server with (its current "
                                          "context), for hosts outside the cluster; ignored with "
                                          "-kubernetes-in-cluster.", own=True, section="kubernetes", kind="path")
    kubernetes_url: str = _setting("", "Kubernetes API server URL (default http://127.0.0.1:8001, kubectl proxy); "
                                   "ignored with -kubernetes-in-cluster or -kubernetes-kubeconfig.",
                                   section="kubernetes")
    kubernetes_token_file: str = _setting("", "Bearer token file for -kubernetes-url, re-read when it changes.",
                                          section="kubernetes", kind="path")
    kubernetes_path_mode: str = _setting("kubernetes-ingress", "Interpretation of Ingress paths: "
                                         "kubernetes-ingress, path-regexp or path-prefix.", section="kubernetes", check=lambda v: None if v in ("kubernetes-ingress", "path-regexp", "path-prefix")
                                         else "expected kubernetes-ingress, path-regexp or path-prefix")
    kubernetes_ingress_class: str = _setting("", "Ingress class regexp.", section="kubernetes")
    kubernetes_routegroup_class: str = _setting("", "RouteGroup class regexp.", section="kubernetes")
    kubernetes_namespace: str = _setting("", "Watch only this namespace.", section="kubernetes")
    kubernetes_healthcheck: bool = _setting(True, "Generate the /kube-system/healthz route.",
                                            section="kubernetes")
    kubernetes_https_redirect: bool = _setting(True, "Generate HTTP to HTTPS redirect routes.",
                                               section="kubernetes")
    kubernetes_https_redirect_code: int = _setting(308, "Status of the HTTPS redirect.", section="kubernetes")
    enable_kubernetes_endpointslices: bool = _setting(False, "Read EndpointSlices instead of Endpoints.",
                                                      section="kubernetes")
    kubernetes_enable_tls: bool = _setting(False, "Terminate TLS with Kubernetes secrets.",
                                           section="kubernetes", status=KUBERNETES_TLS)
    whitelisted_healthcheck_cidr: str = _setting("", "CIDRs allowed on the health check route.",
                                                 section="kubernetes")


    # --- listeners (Skipper flags) ---
    enable_tcp_queue: bool = _setting(False, 'Enable the TCP listener queue.', section="listeners", status=TCP_QUEUE)
    expected_bytes_per_request: int = _setting(51200, 'Bytes per request, that is used to calculate concurrency limits to buffer connection spikes.', section="listeners", status=TCP_QUEUE)
    max_tcp_listener_concurrency: int = _setting(0, 'Sets hardcoded max for TCP listener concurrency, normally calculated based on available memory cgroups with max TODO.', section="listeners", status=TCP_QUEUE)
    max_tcp_listener_queue: int = _setting(0, 'Sets hardcoded max queue size for TCP listener, normally calculated 10x concurrency with max TODO:50k.', section="listeners", status=TCP_QUEUE)
    debug_listener: str = _setting("", 'When this address is set, skipper starts an additional listener returning the original and transformed requests.', section="listeners", status=DEBUG_LISTENER)
    tls_min_version: str = _setting("1.2", 'Minimal TLS Version to be used in server, proxy and client connections.', section="listeners", status=TLS)
    tls_client_auth: str = _setting("", 'TLS client authentication policy for server, one of: NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert. See https://pkg.go.dev/crypto/tls#ClientAuthType for details.', section="listeners", status=TLS)
    tls_key_log_file: str = _setting("", 'Path to a file where TLS master secrets are logged in NSS Key Log Format for debugging with tools like Wireshark. WARNING: anyone with access to this file can decrypt all TLS traffic â\x80\x94 never use in production.', section="listeners", status=TLS)
    exclude_insecure_cipher_suites: bool = _setting(False, 'Excludes insecure cipher suites.', section="listeners", status=TLS)
    enable_h2c_server: bool = _setting(False, 'Enable h2c (HTTP/2 cleartext) on the incoming listener.', section="listeners", status=H2C)
    enable_proxy_protocol: bool = _setting(False, 'Enable the haproxy PROXY protocol v1 and v2. Default is false and if enabled the default will reject all connections. Please check allow, deny and skip list.', section="listeners", status=PROXY_PROTOCOL)
    proxy_allow_cidrs: tuple[str, ...] = _setting((), 'Comma separated list of CIDRs that are allowed to use the PROXY protocol v1/v2. To allow all ipv6 and ipv4 addresses use: "::/0,0.0.0.0/0".', section="listeners", status=PROXY_PROTOCOL, kind="list")
    proxy_deny_cidrs: tuple[str, ...] = _setting((), 'Comma separated list of CIDRs that are denied to use the PROXY protocol v1/v2.', section="listeners", status=PROXY_PROTOCOL, kind="list")
    proxy_skip_cidrs: tuple[str, ...] = _setting((), 'Comma separated list of CIDRs that are skipped to use the PROXY protocol v1/v2.', section="listeners", status=PROXY_PROTOCOL, kind="list")

    # --- proxy (Skipper flags) ---
    enable_copy_stream_pool: bool = _setting(False, 'Flag to use a pooled copy stream in the proxy. This is an optimization that is experimental and this option might disappear in the future.', section="proxy", status=GO_COPY_POOL)
    rfc_patch_path: bool = _setting(False, 'Patches the incoming request path to preserve uncoded reserved characters according to RFC 2616 and RFC 3986.', section="proxy", status=RFC_PATH)
    response_cache_max_memory_bytes: int = _setting(
        64 << 20, "Memory the cache() filter's store may take in each worker, in bytes (Skipper's "
        "ResponseCacheMaxMemoryBytes option).", own=True, section="filters", check=_positive)
    max_matcher_buffer_size: int = _setting(2097152, 'Sets the maximum read size of the body read by the block filter, default is 2MiB.', section="proxy", status=BODY_MATCHER)
    validate_query: bool = _setting(True, 'Validates the HTTP Query of a request and if invalid responds with status code 400.', section="proxy", status=VALIDATE_QUERY)
    validate_query_log: bool = _setting(True, 'Enable logging for validate query logs.', section="proxy", status=VALIDATE_QUERY)
    refuse_payload: tuple[str, ...] = _setting((), 'Refuse requests that match configured value. Can be set multiple times.', section="proxy", status=REFUSE_PAYLOAD, kind="multi")
    client_tls_key: str = _setting("", 'TLS Key file for backend connections, multiple keys may be given comma separated - the order must match the certs.', section="proxy", status=BACKEND_MTLS)
    client_tls_cert: str = _setting("", 'TLS certificate files for backend connections, multiple keys may be given comma separated - the order must match the keys.', section="proxy", status=BACKEND_MTLS)
    client_tls_cert_refresh_interval: float = _setting(0.0, 'How often to reload client TLS certificate and key files for backend connections. Defaults to 5 minutes if certificate files are set.', section="proxy", status=BACKEND_MTLS, kind="duration")
    enable_mtls: bool = _setting(False, 'Enables MTLS support in the proxy. It uses -client-tls-cert and -client-tls-key as files and rotates the client cert every -client-tls-cert-refresh-interval time.Duration. It only supports one cert and one key file!.', section="proxy", status=BACKEND_MTLS)
    backend_flush_interval: float = _setting(0.02, 'Flush interval for upgraded proxy connections.', section="proxy", status=UPGRADE, kind="duration")
    upgrade_dial_timeout: float = _setting(0.0, 'Sets the explicit connect-time ceiling for websocket/spdy upgrade backend connections. Zero falls back to the built-in 30s default; negative disables the ceiling entirely.', section="proxy", status=UPGRADE, kind="duration")
    enable_dualstack_backend: bool = _setting(True, 'Enables DualStack for backend connections.', section="proxy", status=DUALSTACK)
    max_idle_connection_backend: int = _setting(0, 'Sets the maximum idle connections for all backend connections.', section="proxy", status=BACKEND_CONN_LIMIT)
    passive_health_check: str = _setting("", 'Sets the parameters for passive health check feature.', section="proxy", status=PASSIVE_HEALTH)

    # --- routes (Skipper flags) ---
    dev_mode: bool = _setting(False, 'Enables developer time behavior, like unbuffered routing updates.', section="routes", status=DEV_MODE)
    etcd_urls: str = _setting("", 'Urls of nodes in an etcd cluster, storing route definitions.', section="routes", status=ETCD)
    etcd_prefix: str = _setting("/skipper", 'Path prefix for skipper related data in etcd.', section="routes", status=ETCD)
    etcd_timeout: float = _setting(1.0, 'Http client timeout duration for etcd.', section="routes", status=ETCD, kind="duration")
    etcd_insecure: bool = _setting(False, 'Ignore the verification of TLS certificates for etcd.', section="routes", status=ETCD)
    etcd_oauth_token: str = _setting("", 'Optional token for OAuth authentication with etcd.', section="routes", status=ETCD)
    etcd_username: str = _setting("", 'Optional username for basic authentication with etcd.', section="routes", status=ETCD)
    etcd_password: str = _setting("", 'Optional password for basic authentication with etcd.', section="routes", status=ETCD)
    routes_urls: tuple[str, ...] = _setting((), 'Comma separated URLs to route definitions in eskip format.', section="routes", status=ROUTES_URLS, kind="list")
    disabled_filters: tuple[str, ...] = _setting((), 'Comma separated list of filters unavailable for use.', section="routes", status=DISABLED_FILTERS, kind="list")
    edit_route: tuple[str, ...] = _setting((), 'Match and edit filters and predicates of all routes.', section="routes", status=ROUTE_EDITS, kind="multi")
    clone_route: tuple[str, ...] = _setting((), 'Clone all matching routes and replace filters and predicates of all matched routes.', section="routes", status=ROUTE_EDITS, kind="multi")
    ensure_dataclients: tuple[str, ...] = _setting((), 'Comma separated list of routing.NamedDataClient names: "etcd", "eskipfile-watch", "eskipfile-remote", "eskipfile", "inline", "kubernetes".', section="routes", status=ENSURE_DATACLIENTS, kind="list")
    route_server_filters: tuple[str, ...] = _setting((), 'Set of filters to apply to all routes of the main listener of routesrv.', section="routes", status=ROUTESRV, kind="multi")

    # --- server (Skipper flags) ---
    status_checks: tuple[str, ...] = _setting((), 'Experimental URLs to check before reporting healthy on startup.', section="server", status=STATUS_CHECKS, kind="list")
    keepalive_server: float = _setting(0.0, 'Sets maximum age for http server connections. The connection is closed after it existed for this duration. Default is 0 for unlimited.', section="server", status=CONN_AGE, kind="duration")

    # --- filters (Skipper flags) ---
    plugindir: str = _setting("", 'Set the directory to load plugins from, default is ./.', section="filters", status=PLUGINS)
    filter_plugin: tuple[str, ...] = _setting((), 'Set a custom filter plugins to load, a comma separated list of name and arguments.', section="filters", status=PLUGINS, kind="list")
    predicate_plugin: tuple[str, ...] = _setting((), 'Set a custom predicate plugins to load, a comma separated list of name and arguments.', section="filters", status=PLUGINS, kind="list")
    dataclient_plugin: tuple[str, ...] = _setting((), 'Set a custom dataclient plugins to load, a comma separated list of name and arguments.', section="filters", status=PLUGINS, kind="list")
    multi_plugin: tuple[str, ...] = _setting((), 'Set a custom multitype plugins to load, a comma separated list of name and arguments.', section="filters", status=PLUGINS, kind="list")
    compress_encodings: tuple[str, ...] = _setting((), 'Set encodings supported for compression, the order defines priority when Accept-Header has equal quality values, see RFC 7231 section 5.3.1.', section="filters", status=COMPRESS, kind="list")
    enable_lua: bool = _setting(False, 'Enable the Lua scripting engine to be able to use the lua() filter.', section="filters", status=LUA)
    lua_modules: tuple[str, ...] = _setting((), 'Comma separated list of lua filter modules. Use <module>.<symbol> to selectively enable module symbols, for example: package,base._G,base.print,json.', section="filters", status=LUA, kind="list")
    lua_sources: tuple[str, ...] = _setting((), 'Comma separated list of lua input types for the lua() filter. Valid sources "", "file", "inline", "file,inline" and "none". Use "file" to only allow lua file references in lua filter. Default "" is the same as "file","inline". Use "none" to disable lua filters.', section="filters", status=LUA, kind="list")

    # --- metrics (Skipper flags) ---
    enable_route_fifo_metrics: bool = _setting(False, 'Enable metrics for the individual route FIFO queues.', section="metrics", status=METRICS)
    enable_route_lifo_metrics: bool = _setting(False, 'Enable metrics for the individual route LIFO queues.', section="metrics", status=METRICS)
    disable_metrics_compression: bool = _setting(False, 'Disable metrics compression on /metrics handler endpoint.', section="metrics", status=METRICS)
    enable_prometheus_native_histograms: bool = _setting(False, 'Enables prometheus native histograms in addition to the classic bucketed histograms.', section="metrics", status=METRICS)
    prometheus_native_histogram_bucket_factor: float = _setting(1.1, 'Resolution of prometheus native histograms, must be greater than 1, defaults to 1.1 when native histograms are enabled.', section="metrics", status=METRICS)
    enable_prometheus_metrics: bool = _setting(False, 'Deprecated: use metrics-flavour. Switch to Prometheus metrics format to expose metrics.', section="metrics", status=METRICS)
    enable_prometheus_start_label: bool = _setting(False, 'Adds start label to each prometheus counter with the value of counter creation timestamp as unix nanoseconds.', section="metrics", status=METRICS)
    runtime_metrics: bool = _setting(True, 'Enables reporting of the Go runtime statistics exported in runtime and specifically runtime.MemStats.', section="metrics", status=METRICS)
    serve_route_counter: bool = _setting(False, 'Enables reporting counting metrics for each route. Has the route, HTTP method and status code as labels. Currently just implemented for the Prometheus metrics flavour.', section="metrics", status=METRICS)
    serve_host_counter: bool = _setting(False, 'Enables reporting counting metrics for each host. Has the route, HTTP method and status code as labels. Currently just implemented for the Prometheus metrics flavour.', section="metrics", status=METRICS)
    backend_zone_metrics: bool = _setting(False, 'Enables reporting backend serve time metrics per availability zone of the destination endpoint.', section="metrics", status=METRICS)
    proxy_request_metrics: bool = _setting(False, 'Enables reporting latency / time spent in handling the request part of the proxy operation i.e., the duration from entry till before the backend round trip.', section="metrics", status=METRICS)
    proxy_response_metrics: bool = _setting(False, 'Enables reporting latency / time spent in handling the response part of the proxy operation i.e., the duration from after the backend round trip till the response is served.', section="metrics", status=METRICS)
    all_filters_metrics: bool = _setting(False, 'Enables reporting combined filter metrics for each route.', section="metrics", status=METRICS)
    route_backend_error_counters: bool = _setting(False, 'Enables counting backend errors for each route.', section="metrics", status=METRICS)
    route_stream_error_counters: bool = _setting(False, 'Enables counting streaming errors for each route.', section="metrics", status=METRICS)
    route_creation_metrics: bool = _setting(False, 'Enables reporting for route creation times.', section="metrics", status=METRICS)
    response_size_buckets: str = _setting("", 'Use custom buckets for prometheus response size metrics, must be a comma-separated list of numbers.', section="metrics", status=METRICS)
    request_size_buckets: str = _setting("", 'Use custom buckets for prometheus request header size metrics, must be a comma-separated list of numbers.', section="metrics", status=METRICS)
    disable_metrics_compat: bool = _setting(False, 'Disables the default true value for all-filters-metrics, route-response-metrics, route-backend-errorCounters and route-stream-error-counters.', section="metrics", status=METRICS)

    # --- tracing (Skipper flags) ---
    opentracing: str = _setting("noop", 'List of arguments for opentracing (space separated), first argument is the tracer implementation.', section="tracing", status=TRACING)
    opentracing_initial_span: str = _setting("ingress", 'Set the name of the initial, pre-routing, tracing span.', section="tracing", status=TRACING)
    opentracing_excluded_proxy_tags: str = _setting("", 'Set tags that should be excluded from spans created for proxy operation. must be a comma-separated list of strings.', section="tracing", status=TRACING)
    opentracing_disable_filter_spans: bool = _setting(False, 'Disable creation of spans representing request and response filters.', section="tracing", status=TRACING)
    opentracing_log_filter_lifecycle_events: bool = _setting(True, "Enables the logs for request & response filters' lifecycle events that are marking start & end times.", section="tracing", status=TRACING)
    opentracing_log_stream_events: bool = _setting(True, 'Enables the logs for events marking the times response headers & payload are streamed to the client.', section="tracing", status=TRACING)
    opentracing_client_trace_by_tag: bool = _setting(False, 'Enables the logs for events marking the times response headers & payload are streamed to the client.', section="tracing", status=TRACING)
    opentracing_backend_name_tag: bool = _setting(False, "Enables an additional tracing tag that contains a backend name for a route when it's available (e.g. for RouteGroups) (default false).", section="tracing", status=TRACING)
    open_telemetry: str = _setting("", 'OpenTelemetry configuration in YAML format, use flow-style for convenience.', section="tracing", status=TRACING)

    # --- logging (Skipper flags) ---
    enable_profile: bool = _setting(False, 'Enable profile information on the metrics endpoint with path /pprof.', section="logging", status=PROFILE)
    block_profile_rate: int = _setting(0, 'Block profile sample rate, see runtime.SetBlockProfileRate.', section="logging", status=GO_RUNTIME)
    mutex_profile_fraction: int = _setting(0, 'Mutex profile fraction rate, see runtime.SetMutexProfileFraction.', section="logging", status=GO_RUNTIME)
    memory_profile_rate: int = _setting(0, 'Memory profile rate, see runtime.MemProfileRate, keeps default 512 kB.', section="logging", status=GO_RUNTIME)
    debug_gc_metrics: bool = _setting(False, 'Enables reporting of the Go garbage collector statistics exported in debug.GCStats.', section="logging", status=GO_RUNTIME)
    application_log_prefix: str = _setting("[APP]", 'Prefix for each log entry.', section="logging", status=LOG_FORMATS)
    suppress_route_update_logs: bool = _setting(False, 'Print only summaries on route updates/deletes.', section="logging", status=LOG_FORMATS)

    # --- kubernetes (Skipper flags) ---
    kubernetes_disable_catchall_routes: bool = _setting(False, 'Disables creation of catchall routes.', section="kubernetes")
    kubernetes_topology_zone: str = _setting("", 'Sets the topology zone to be used for zone aware routing.', section="kubernetes")
    enable_kubernetes_east_west: bool = _setting(False, 'Deprecated: use kubernetes-east-west-range feature. Enables east-west communication, which automatically adds routes for Ingress objects with hostname <name>.<namespace>.skipper.cluster.local.', section="kubernetes")
    kubernetes_east_west_domain: str = _setting("", 'Deprecated: use kubernetes-east-west-range feature. Sets the east-west domain, defaults to .skipper.cluster.local.', section="kubernetes")
    kubernetes_east_west_range_domains: tuple[str, ...] = _setting((), 'Set the cluster internal domains for east west traffic. Identified routes to such domains will include the -kubernetes-east-west-range-predicates.', section="kubernetes", kind="list")
    kubernetes_east_west_range_predicates: str = _setting("", 'Set the predicates that will be appended to routes identified as to -kubernetes-east-west-range-domains.', section="kubernetes")
    kubernetes_annotation_predicates: tuple[str, ...] = _setting((), "Configures predicates appended to non east-west routes of annotated resources. E.g. -kubernetes-annotation-predicates='zone-a=true=Foo() && Bar()' will add 'Foo() && Bar()' predicates to all non east-west routes of ingress or routegroup annotated with 'zone-a: true'. For east-west routes use -kubernetes-east-west-range-annotation-predicates.", section="kubernetes", kind="multi")
    kubernetes_annotation_filters_append: tuple[str, ...] = _setting((), "Configures filters appended to non east-west routes of annotated resources. E.g. -kubernetes-annotation-filters-append='zone-a=true=foo() -> bar()' will add 'foo() -> bar()' filters to all non east-west routes of ingress or routegroup annotated with 'zone-a: true'. For east-west routes use -kubernetes-east-west-range-annotation-filters-append.", section="kubernetes", kind="multi")
    kubernetes_application_annotation_label: str = _setting("", 'Label key on Kubernetes routing objects used for application annotation, when set adds annotate("Application", <label value>) to routes generated from Kubernetes routing objects.', section="kubernetes")
    kubernetes_east_west_range_annotation_predicates: tuple[str, ...] = _setting((), 'Similar to -kubernetes-annotation-predicates configures predicates appended to east-west routes of annotated resources. See also -kubernetes-east-west-range-domains.', section="kubernetes", kind="multi")
    kubernetes_east_west_range_annotation_filters_append: tuple[str, ...] = _setting((), 'Similar to -kubernetes-annotation-filters-append configures filters appended to east-west routes of annotated resources. See also -kubernetes-east-west-range-domains.', section="kubernetes", kind="multi")
    enable_kubernetes_external_names: bool = _setting(False, 'Only if enabled we allow to use external name services as backends in Ingress.', section="kubernetes")
    kubernetes_external_name_preserve_host: bool = _setting(False, 'If enabled, skipper does not overwrite the Host header for Ingress backends of Kubernetes service type ExternalName, letting the preserveHost filter and -proxy-preserve-host flag control it instead.', section="kubernetes")
    kubernetes_only_allowed_external_names: bool = _setting(False, 'Only accept external name services, route group network backends and route group explicit LB endpoints from an allow list defined by zero or more -kubernetes-allowed-external-name flags.', section="kubernetes")
    kubernetes_allowed_external_name: tuple[str, ...] = _setting((), 'Set zero or more regular expressions from which at least one should be matched by the external name services, route group network addresses and explicit endpoints domain names.', section="kubernetes", kind="multi", aliases=("kubernetes-allowed-external-names",))
    kubernetes_backend_traffic_algorithm: str = _setting("traffic-predicate", 'Sets the algorithm to be used for traffic splitting between backends: traffic-predicate or traffic-segment-predicate.', section="kubernetes")
    kubernetes_default_lb_algorithm: str = _setting("roundRobin", 'Sets the default algorithm to be used for load balancing between backend endpoints, available options: roundRobin, consistentHash, random, powerOfRandomNChoices, weightedRoundRobin, leastRequests.', section="kubernetes")
    kubernetes_force_service: bool = _setting(False, 'Overrides default Skipper functionality and routes traffic using Kubernetes Services instead of Endpoints.', section="kubernetes")
    kubernetes_status_from_service: str = _setting("", 'When set to <namespace>/<name>, updates Ingress status.loadBalancer.ingress from the referenced service.', section="kubernetes", status=KUBERNETES_STATUS)
    validation_webhook_enabled: bool = _setting(False, 'Enables validation webhook for incoming requests.', section="kubernetes", status=ADMISSION)
    validation_webhook_address: str = _setting(":9000", 'Address of the validation webhook service.', section="kubernetes", status=ADMISSION)
    validation_webhook_cert_file: str = _setting("", 'Path to the certificate file for the validation webhook.', section="kubernetes", status=ADMISSION)
    validation_webhook_key_file: str = _setting("", 'Path to the key file for the validation webhook.', section="kubernetes", status=ADMISSION)
    enable_advanced_validation: bool = _setting(False, 'Enables advanced validation logic for Kubernetes resources.', section="kubernetes", status=ADMISSION)

    # --- ratelimits (Skipper flags) ---
    kubernetes_redis_service_namespace: str = _setting("", 'Sets namespace for redis to be used to lookup endpoints.', section="ratelimits", status=RATELIMITS)
    kubernetes_redis_service_name: str = _setting("", 'Sets name for redis to be used to lookup endpoints.', section="ratelimits", status=RATELIMITS)
    kubernetes_redis_service_port: int = _setting(6379, 'Sets the port for redis to be used to lookup endpoints.', section="ratelimits", status=RATELIMITS)
    kubernetes_valkey_service_namespace: str = _setting("", 'Sets namespace for valkey to be used to lookup endpoints.', section="ratelimits", status=RATELIMITS)
    kubernetes_valkey_service_name: str = _setting("", 'Sets name for valkey to be used to lookup endpoints.', section="ratelimits", status=RATELIMITS)
    kubernetes_valkey_service_port: int = _setting(6379, 'Sets the port for valkey to be used to lookup endpoints.', section="ratelimits", status=RATELIMITS)
    swarm_redis_hash_algorithm: str = _setting("", 'Sets hash algorithm to be used in redis ring client to find the shard <jump|mpchash|rendezvous|rendezvousVnodes>, defaults to github.com/redis/go-redis default.', section="ratelimits", status=RATELIMITS)
    swarm_redis_dial_timeout: float = _setting(0.025, 'Set redis client dial timeout.', section="ratelimits", status=RATELIMITS, kind="duration")
    swarm_redis_read_timeout: float = _setting(0.025, 'Set redis socket read timeout.', section="ratelimits", status=RATELIMITS, kind="duration")
    swarm_redis_write_timeout: float = _setting(0.025, 'Set redis socket write timeout.', section="ratelimits", status=RATELIMITS, kind="duration")
    swarm_redis_pool_timeout: float = _setting(0.025, 'Set redis get connection from pool timeout.', section="ratelimits", status=RATELIMITS, kind="duration")
    swarm_redis_min_conns: int = _setting(100, 'Set min number of connections to redis.', section="ratelimits", status=RATELIMITS)
    swarm_redis_max_conns: int = _setting(100, 'Set max number of connections to redis.', section="ratelimits", status=RATELIMITS)
    swarm_redis_remote: str = _setting("", 'Remote URL to pull redis endpoints from.', section="ratelimits", status=RATELIMITS)
    swarm_redis_update_interval: float = _setting(10.0, 'Set update interval to update redis addresses.', section="ratelimits", status=RATELIMITS, kind="duration")
    swarm_redis_heartbeat_frequency: float = _setting(0.5, 'Set redis heartbeat frequency.', section="ratelimits", status=RATELIMITS, kind="duration")
    swarm_valkey_urls: tuple[str, ...] = _setting((), "Valkey URLs as comma separated list, used for building a swarm, for example in valkey based cluster ratelimits. Use SWARM_VALKEY_PASSWORD environment variable or 'swarm-valkey-password' key in config file to set valkey password.", section="ratelimits", status=RATELIMITS, kind="list")
    swarm_valkey_remote: str = _setting("", 'Remote URL to pull valkey endpoints from.', section="ratelimits", status=RATELIMITS)
    swarm_valkey_conn_lifetime: float = _setting(60.0, 'Set valkey client connection life time.', section="ratelimits", status=RATELIMITS, kind="duration")
    swarm_valkey_conn_timeout: float = _setting(0.025, 'Set valkey client timeout for connect,read,write.', section="ratelimits", status=RATELIMITS, kind="duration")
    swarm_valkey_dial_timeout: float = _setting(0.025, 'Set valkey client dial timeout.', section="ratelimits", status=RATELIMITS, kind="duration")
    swarm_valkey_keepalive: float = _setting(1.0, 'Set valkey keepalive probes interval.', section="ratelimits", status=RATELIMITS, kind="duration")
    swarm_valkey_update_interval: float = _setting(10.0, 'Set update interval to update valkey addresses.', section="ratelimits", status=RATELIMITS, kind="duration")
    swarm_namespace: str = _setting("kube-system", 'Kubernetes namespace to find swarm peer instances.', section="ratelimits", status=RATELIMITS)
    swarm_label_selector_key: str = _setting("application", 'Kubernetes labelselector key to find swarm peer instances.', section="ratelimits", status=RATELIMITS)
    swarm_label_selector_value: str = _setting("skipper-ingress", 'Kubernetes labelselector value to find swarm peer instances.', section="ratelimits", status=RATELIMITS)
    swarm_port: int = _setting(9990, 'Swarm port to use to communicate with our peers.', section="ratelimits", status=RATELIMITS)
    swarm_max_msg_buffer: int = _setting(4194304, 'Swarm max message buffer size to use for member list messages.', section="ratelimits", status=RATELIMITS)
    swarm_leave_timeout: float = _setting(5.0, 'Swarm leave timeout to use for leaving the memberlist on timeout.', section="ratelimits", status=RATELIMITS, kind="duration")
    swarm_static_self: str = _setting("", 'Set static swarm self node, for example 127.0.0.1:9001.', section="ratelimits", status=RATELIMITS)
    swarm_static_other: str = _setting("", 'Set static swarm all nodes, for example 127.0.0.1:9002,127.0.0.1:9003.', section="ratelimits", status=RATELIMITS)
    cluster_ratelimit_max_group_shards: int = _setting(1, 'Sets the maximum number of group shards for the clusterRatelimit filter.', section="ratelimits", status=RATELIMITS)

    # --- auth (Skipper flags) ---
    enable_oauth2_grant_flow: bool = _setting(False, 'Enables OAuth2 Grant Flow filter.', section="auth", status=AUTH)
    oauth2_auth_url: str = _setting("", 'Sets the OAuth2 Auth URL to redirect the requests to when login is required.', section="auth", status=AUTH)
    oauth2_token_url: str = _setting("", 'The url where the access code should be exchanged for the access token.', section="auth", status=AUTH)
    oauth2_revoke_token_url: str = _setting("", 'The url where the access and refresh tokens can be revoked when logging out.', section="auth", status=AUTH)
    oauth2_tokeninfo_url: str = _setting("", 'Sets the default tokeninfo URL to query information about an incoming OAuth2 token in oauth2Tokeninfo filters.', section="auth", status=AUTH)
    oauth2_secret_file: str = _setting("", 'Sets the filename with the encryption key for the authentication cookie and grant flow state stored in secrets registry.', section="auth", status=AUTH)
    oauth2_client_id: str = _setting("", 'Sets the OAuth2 client id of the current service, used to exchange the access code. Falls back to env variable OAUTH2_CLIENT_ID if value is empty.', section="auth", status=AUTH)
    oauth2_client_secret: str = _setting("", 'Sets the OAuth2 client secret associated with the oauth2-client-id, used to exchange the access code. Falls back to env variable OAUTH2_CLIENT_SECRET if value is empty.', section="auth", status=AUTH)
    oauth2_client_id_file: str = _setting("", 'Sets the path of the file containing the OAuth2 client id of the current service, used to exchange the access code. File name may contain {host} placeholder which will be replaced by the request host.', section="auth", status=AUTH)
    oauth2_client_secret_file: str = _setting("", 'Sets the path of the file containing the OAuth2 client secret associated with the oauth2-client-id, used to exchange the access code. File name may contain {host} placeholder which will be replaced by the request host.', section="auth", status=AUTH)
    oauth2_callback_path: str = _setting("", 'Sets the path where the OAuth2 callback requests with the authorization code should be redirected to.', section="auth", status=AUTH)
    oauth2_tokeninfo_timeout: float = _setting(2.0, 'Sets the default tokeninfo request timeout duration to 2000ms.', section="auth", status=AUTH, kind="duration")
    oauth2_tokeninfo_cache_size: int = _setting(0, 'Non-zero value enables tokeninfo cache and sets the maximum number of cached tokens.', section="auth", status=AUTH)
    oauth2_tokeninfo_cache_ttl: float = _setting(0.0, "Non-zero value limits the lifetime of a cached tokeninfo which otherwise equals the tokeninfo 'expires_in' field value.", section="auth", status=AUTH, kind="duration")
    oauth2_tokenintrospect_timeout: float = _setting(2.0, 'Sets the default tokenintrospection request timeout duration to 2000ms.', section="auth", status=AUTH, kind="duration")
    oauth2_auth_url_parameters: str = _setting("", 'Sets additional parameters to send when calling the OAuth2 authorize or token endpoints as key-value pairs.', section="auth", status=AUTH)
    oauth2_access_token_header_name: str = _setting("", 'Sets the access token to a header on the request with this name.', section="auth", status=AUTH)
    oauth2_tokeninfo_subject_key: str = _setting("uid", 'Sets the tokeninfo subject key.', section="auth", status=AUTH)
    oauth2_grant_tokeninfo_keys: tuple[str, ...] = _setting((), 'Non-empty comma separated list configures keys to preserve in OAuth2 Grant Flow tokeninfo.', section="auth", status=AUTH, kind="list")
    oauth2_token_cookie_name: str = _setting("oauth2-grant", 'Sets the name of the cookie where the encrypted token is stored.', section="auth", status=AUTH)
    oauth2_token_cookie_remove_subdomains: int = _setting(1, 'Sets the number of subdomains to remove from the callback request hostname to obtain token cookie domain.', section="auth", status=AUTH)
    oauth2_grant_insecure: bool = _setting(False, 'Omits Secure attribute of the token cookie and uses http scheme for callback url.', section="auth", status=AUTH)
    webhook_timeout: float = _setting(2.0, 'Sets the webhook request timeout duration.', section="auth", status=AUTH, kind="duration")
    oidc_secrets_file: str = _setting("", 'File storing the encryption key of the OID Connect token. Enables OIDC filters.', section="auth", status=AUTH)
    oidc_cookie_validity: float = _setting(3600.0, "Sets the cookie expiry time to +1h for OIDC filters, when no 'exp' claim is found in the JWT token.", section="auth", status=AUTH, kind="duration")
    oidc_distributed_claims_timeout: float = _setting(2.0, 'Sets the default OIDC distributed claims request timeout duration to 2000ms.', section="auth", status=AUTH, kind="duration")
    oidc_cookie_remove_subdomains: int = _setting(1, 'Sets the number of subdomains to remove from the callback request hostname to obtain token cookie domain.', section="auth", status=AUTH)
    credentials_paths: tuple[str, ...] = _setting((), 'Directories or files to watch for credentials to use by bearerinjector filter.', section="auth", status=AUTH, kind="list")
    credentials_update_interval: float = _setting(600.0, 'Sets the interval to update secrets.', section="auth", status=AUTH, kind="duration")
    enable_open_policy_agent: bool = _setting(False, 'Enables Open Policy Agent filters.', section="auth", status=OPA)
    enable_open_policy_agent_custom_control_loop: bool = _setting(False, 'When enabled skipper will use a custom control loop to orchestrate certain opa behaviour (like the download of new bundles) instead of relying on periodic plugin triggers.', section="auth", status=OPA)
    enable_open_policy_agent_preloading: bool = _setting(False, 'EXPERIMENTAL: when enabled, OPA instances will be pre-loaded during route processing instead of during filter creation, making filter creation non-blocking.', section="auth", status=OPA)
    enable_open_policy_agent_async_decision_logging: bool = _setting(False, 'When enabled, decision log events are offloaded to a background goroutine so that slow decision log plugins (e.g. eopa_dl with S3 output) do not delay HTTP responses.', section="auth", status=OPA)
    open_policy_agent_control_loop_interval: float = _setting(60.0, 'Interval between the execution of the control loop. Only applies if the custom control loop is enabled.', section="auth", status=OPA, kind="duration")
    open_policy_agent_control_loop_max_jitter: float = _setting(1.0, 'Maximum jitter to add to the control loop interval. Only applies if the custom control loop is enabled.', section="auth", status=OPA, kind="duration")
    enable_open_policy_agent_data_preprocessing_optimization: bool = _setting(False, 'As a latency optimization, open policy agent will read values from in-memory storage as pre converted ASTs, removing conversion overhead at evaluation time. Currently experimental and if successful will be enabled by default.', section="auth", status=OPA)
    enable_open_policy_agent_print_tracing: bool = _setting(False, 'When enabled, OPA print() statements in policies are emitted as events on the OpenTracing span.', section="auth", status=OPA)
    open_policy_agent_config_template: str = _setting("", 'File containing a template for an Open Policy Agent configuration file that is interpolated for each OPA filter instance.', section="auth", status=OPA)
    open_policy_agent_envoy_metadata: str = _setting("", 'JSON file containing meta-data passed as input for compatibility with Envoy policies in the format.', section="auth", status=OPA)
    open_policy_agent_cleaner_interval: float = _setting(10.0, 'Duration in seconds to wait before cleaning up unused opa instances.', section="auth", status=OPA, kind="duration")
    open_policy_agent_startup_timeout: float = _setting(30.0, 'Maximum duration in seconds to wait for the open policy agent to start up and if the custom control loop is enabled, how long to wait for the processing of each instance to finish (to f.ex. download updated bundles).', section="auth", status=OPA, kind="duration")
    open_policy_agent_max_request_body_size: int = _setting(1048576, 'Maximum number of bytes from a http request body that are passed as input to the policy.', section="auth", status=OPA)
    open_policy_agent_request_body_buffer_size: int = _setting(8192, 'Read buffer size for the request body.', section="auth", status=OPA)
    open_policy_agent_max_memory_body_parsing: int = _setting(104857600, 'Total number of bytes used to parse http request bodies across all requests. Once the limit is met, requests will be rejected.', section="auth", status=OPA)
    mtls_authn_ca: str = _setting("", 'PEM encoded CA files to use in mtlsAuthn() filter to validate client certificates, multiple files may be given comma separated.', section="auth", status=AUTH)
    mtls_authn_append_ca: bool = _setting(False, 'If set to true -mtls-authn-ca will load system CAs, too.', section="auth", status=AUTH)
    enable_api_usage_monitoring: bool = _setting(False, 'Enables the apiUsageMonitoring filter.', section="auth", status=API_MONITORING)
    api_usage_monitoring_realm_keys: str = _setting("", 'Name of the property in the JWT payload that contains the authority realm.', section="auth", status=API_MONITORING)
    api_usage_monitoring_client_keys: str = _setting("sub", 'Comma separated list of names of the properties in the JWT body that contains the client ID.', section="auth", status=API_MONITORING)
    api_usage_monitoring_default_client_tracking_pattern: str = _setting("", 'Deprecated: set `client_tracking_pattern` directly on filter.', section="auth", status=API_MONITORING)
    api_usage_monitoring_realms_tracking_pattern: str = _setting("services", "Regular expression used for matching monitored realms (defaults is 'services').", section="auth", status=API_MONITORING)

# --- field metadata and value parsing ---------------------------------------------------------

_FIELDS: dict[str, dataclasses.Field[Any]] = {f.name: f for f in dataclasses.fields(Settings)}


def flag_name(name: str) -> str:
    """The flag (without dash) and config key of a setting: ``proxy_preserve_host`` → ``proxy-preserve-host``."""
    meta_flag = _FIELDS[name].metadata["flag"]
    return meta_flag or name.replace("_", "-")


_BY_FLAG: dict[str, str] = {flag_name(n): n for n in _FIELDS}
for _n, _f in _FIELDS.items():
    for _alias in _f.metadata["aliases"]:
        _BY_FLAG[_alias] = _n


def status_of(name: str) -> str:
    return str(_FIELDS[name].metadata["status"])


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
    if kind == "multi":
        # A flag that may be repeated: each occurrence is one item, commas included.
        if isinstance(raw, (list, tuple)):
            return tuple(str(x).strip() for x in raw if str(x).strip())
        return (str(raw).strip(),) if str(raw).strip() else ()
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


def _apply(values: dict[str, Any], name: str, raw: Any, origin: str, *, repeat: bool = False) -> None:
    """Convert and check one value; ``repeat``: a repeated flag of kind ``multi`` adds to it."""
    try:
        value = _convert(name, raw)
    except ValueError as e:
        raise ConfigError(f"{origin}: invalid value for -{flag_name(name)}: {e}") from None
    check = _FIELDS[name].metadata["check"]
    if check is not None:
        problem = check(value)
        if problem:
            raise ConfigError(f"{origin}: invalid value for -{flag_name(name)}: {problem}")
    status = status_of(name)
    if status_kind(status) == REFUSED and value != _FIELDS[name].default:
        raise ConfigError(f"{origin}: -{flag_name(name)} is not supported: {status_detail(status)}")
    if repeat and kind_of(name) == "multi" and name in values:
        value = values[name] + value
    values[name] = value


# --- command line -------------------------------------------------------------------------------

HELP_FLAGS = ("h", "help")


def _tokens(argv: Sequence[str]) -> list[tuple[str, str | None, str]]:
    """Go's flag syntax: ``(name, value, arg)`` per flag; ``value`` is None for a boolean given
    alone. ``-name=value``, ``-name value``, ``--name=value``, ``--name value``; a boolean never
    takes the next argument as its value (``-name=false`` turns it off). Unknown names are
    returned too (``parse_flags`` rejects them), and consume no argument."""
    out: list[tuple[str, str | None, str]] = []
    i = 0
    args = list(argv)
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            if i < len(args):
                raise ConfigError(f"unexpected argument {args[i]!r}")
            break
        if not arg.startswith("-") or arg in ("-", "--") or arg.startswith("---"):
            raise ConfigError(f"unexpected argument {arg!r}; settings are given as -name=value")
        body = arg[2:] if arg.startswith("--") else arg[1:]
        name_part, eq, value = body.partition("=")
        name = _BY_FLAG.get(name_part)
        if eq:
            out.append((name_part, value, arg))
        elif name is None or kind_of(name) == "bool":
            out.append((name_part, None, arg))
        else:
            if i >= len(args):
                raise ConfigError(f"flag needs an argument: -{name_part}")
            out.append((name_part, args[i], arg))
            i += 1
    return out


def wants(argv: Sequence[str]) -> str:
    """``"help"`` or ``"version"`` when the command line asks for it anywhere (``-help``, ``-h``,
    ``-version``, with one or two dashes), else ``""``. Help wins."""
    try:
        tokens = _tokens(argv)
    except ConfigError:
        tokens = [(a.lstrip("-").partition("=")[0], None, a) for a in argv if a.startswith("-")]
    names = {n for n, v, _ in tokens if v is None or v.lower() in _TRUE}
    if names & set(HELP_FLAGS):
        return "help"
    if "version" in names:
        return "version"
    return ""


def parse_flags(argv: Sequence[str]) -> dict[str, Any]:
    """Parse a command line in Go's flag syntax (``_tokens``) into setting values.

    Returns only the settings given. A repeated flag overrides, except for settings of kind
    ``multi`` (``-ratelimits``, ``-breaker``, ``-edit-route`` ...), whose occurrences add up.
    """
    values: dict[str, Any] = {}
    for name_part, value, _ in _tokens(argv):
        name = _BY_FLAG.get(name_part)
        if name is None:
            if name_part in HELP_FLAGS:
                continue
            raise ConfigError(f"unknown flag -{name_part} (see skipperd -help)")
        _apply(values, name, "true" if value is None else value, "command line", repeat=True)
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
        if name in ("config", "version"):
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
        if kind == "multi":
            out += [f"-{flag_name(name)}={x}" for x in value]
            continue
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


# --- statuses in use ---------------------------------------------------------------------------------

def planned_in_use(settings: Settings) -> dict[str, list[str]]:
    """Feature -> the flags of it that ``settings`` sets (to a value other than the default), for
    every feature not built yet."""
    out: dict[str, list[str]] = {}
    for name, f in _FIELDS.items():
        status = f.metadata["status"]
        if status_kind(status) == PLANNED and getattr(settings, name) != f.default:
            out.setdefault(status_detail(status), []).append("-" + flag_name(name))
    return out


def no_effect_in_use(settings: Settings) -> list[str]:
    """The flags without effect that ``settings`` sets, each with the reason."""
    return [f"-{flag_name(n)} ({status_detail(f.metadata['status'])})" for n, f in _FIELDS.items()
            if status_kind(f.metadata["status"]) == NO_EFFECT and getattr(settings, n) != f.default]


def planned_warning(settings: Settings) -> str:
    """The one start-up warning about planned settings in use, or ``""``."""
    features = planned_in_use(settings)
    if not features:
        return ""
    named = "; ".join(f"{feature} ({', '.join(flags)})" for feature, flags in features.items())
    return f"planned, not built yet (the flags are accepted and do nothing yet): {named}"


# --- reference docs -------------------------------------------------------------------------------

SECTIONS = ("process", "listeners", "routes", "proxy", "server", "logging", "metrics", "filters", "auth",
            "tracing", "ratelimits", "breakers", "kubernetes")


def describe() -> list[dict[str, Any]]:
    """One entry per setting, by section, for ``-help`` and the generated reference."""
    out = []
    for name, f in _FIELDS.items():
        out.append({
            "name": name, "flag": "-" + flag_name(name), "kind": kind_of(name), "default": f.default,
            "help": f.metadata["help"], "section": f.metadata["section"], "status": f.metadata["status"],
            "aliases": ["-" + a for a in f.metadata["aliases"]], "own": f.metadata["own"],
        })
    return sorted(out, key=lambda d: SECTIONS.index(d["section"]))


def _default_text(default: Any, kind: str) -> str:
    if kind in ("list", "floats", "multi"):
        return ",".join(str(x) for x in default)
    if kind == "bool":
        return "true" if default else "false"
    if kind == "duration":
        return f"{default:g}s"
    return str(default)


def _status_text(d: dict[str, Any]) -> str:
    if d["own"] and d["status"] == IMPLEMENTED:
        return "skipperd's own"
    return str(d["status"]) + (" (skipperd's own)" if d["own"] else "")


def help_text() -> str:
    lines = ["Usage: skipperd [-flag value | -flag=value | -bool-flag ...]", "       skipperd eskip check FILE...",
             "       skipperd eskip print FILE", "       skipperd conformance PATH...",
             "       skipperd settings-doc", "",
             "Settings (Skipper's flags and skipperd's own; the same names are keys of the -config file).",
             "[planned: F] accepted, feature F not built yet; [refused: R] only the default is accepted;",
             "[no effect: R] accepted and ignored; [skipperd's own] not a Skipper flag."]
    section = None
    for d in describe():
        if d["section"] != section:
            section = d["section"]
            lines.append(f"\n  [{section}]")
        default = _default_text(d["default"], d["kind"])
        note = "" if d["status"] == IMPLEMENTED and not d["own"] else f"   [{_status_text(d)}]"
        names = ", ".join([d["flag"], *d["aliases"]])
        lines.append(f"  {names} {d['kind']}   default {default!r}{note}")
        lines.append(f"        {d['help']}")
    return "\n".join(lines) + "\n"


def reference_markdown() -> str:
    """``docs/settings.md``: generated from the declarations above."""
    counts: dict[str, int] = {}
    for d in describe():
        if not d["own"]:
            counts[status_kind(d["status"])] = counts.get(status_kind(d["status"]), 0) + 1
    total = sum(counts.values())
    lines = ["# Settings: Skipper's flags in skipperd", "",
             "Generated by `skipperd settings-doc` from `skipperd/config.py`; do not edit by hand.", "",
             f"skipperd declares all {total} of Skipper's flags, so that a Skipper command line starts "
             "as it is, and a few of its own. Each has a status:", "",
             f"- **implemented** ({counts.get(IMPLEMENTED, 0)}): skipperd honours it as Skipper does;",
             f"- **planned** ({counts.get(PLANNED, 0)}): accepted, the feature is not built yet; when such "
             "a flag is set to a value other than its default, one warning at start names the features "
             "not built yet and their flags;",
             f"- **refused** ({counts.get(REFUSED, 0)}): skipperd will not build it; any value other than "
             "the default stops start-up with the reason given;",
             f"- **no effect** ({counts.get(NO_EFFECT, 0)}): accepted and ignored, because skipperd has "
             "nothing for it to do (the reason is given);",
             "- **skipperd's own**: not a Skipper flag.", "",
             "Flags take Go's syntax, as Skipper does: `-name value`, `-name=value`, `--name=value`; a "
             "boolean is `-name` or `-name=false` and never takes the next argument; `-help` and "
             "`-version` may stand anywhere. Flags marked *repeatable* add up when given more than once "
             "(`-ratelimits`, `-breaker`, `-edit-route` ...); a list takes comma-separated values. "
             "Every setting is also a key of the YAML config file named by `-config` (or Skipper's "
             "`-config-file`): the flag name without the dash. Flags override the file. Durations take "
             "Go's syntax (`250ms`, `3s`, `1m30s`) or a number of seconds. Relative paths in the config "
             "file are relative to the file.", ""]
    section = None
    for d in describe():
        if d["section"] != section:
            section = d["section"]
            lines += ["", f"## {section}", "", "| flag / key | type | status | default | description |",
                      "|---|---|---|---|---|"]
        default = _default_text(d["default"], d["kind"]).replace("|", "\\|")
        help_ = d["help"].replace("|", "\\|")
        names = ", ".join(f"`{n}`" for n in [d["flag"], *d["aliases"]])
        kind = "string, repeatable" if d["kind"] == "multi" else d["kind"]
        default_cell = f"`{default}`" if default else ""
        lines.append(f"| {names} | {kind} | {_status_text(d)} | {default_cell} | {help_} |")
    return "\n".join(lines) + "\n"

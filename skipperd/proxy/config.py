"""The proxy's view of the settings, computed once per worker (no per-request dicts of settings)."""

from __future__ import annotations

from dataclasses import dataclass

from skipperd import config
from skipperd.config import Settings
from skipperd.proxy.forwarded import Forwarded
from skipperd.proxy.target import Target, forward_endpoint

#: Waits that Skipper does not bound (a backend's body after its head) still need a deadline.
FOREVER = 1e9


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    preserve_host: bool = False
    default_status: int = 404
    max_loopbacks: int = 9
    connect_timeout: float = 60.0
    header_timeout: float = 60.0
    idle_timeout_backend: float = 60.0
    idle_conns_num: int = 64
    disable_keepalives: bool = False
    tcp_keepalive: float = 30.0          # backend sockets: TCP keep-alive idle time and interval
    max_content_length: int = 0
    max_header_bytes: int = 1 << 20      # a backend's response head, as a client's request head
    max_header_count: int = 100
    read_timeout: float = 300.0          # client body, between two reads
    write_timeout: float = 60.0          # client, per write
    forwarded: Forwarded | None = None
    insecure: bool = False               # https backends: no certificate verification
    tls_timeout: float = 60.0            # https backends: handshake deadline
    forward: Target | None = None        # -forward-backend-url, parsed
    upgrade: bool = False                # -experimental-upgrade
    upgrade_audit: bool = False          # -experimental-upgrade-audit
    upgrade_client_keepalive: float = 15.0  # client sockets of a tunnel: TCP keep-alive period

    @classmethod
    def from_settings(cls, s: Settings) -> "ProxyConfig":
        _, port = config.parse_address(s.address)
        return cls(
            preserve_host=s.proxy_preserve_host,
            default_status=s.default_http_status,
            max_loopbacks=s.max_loopbacks,
            connect_timeout=s.timeout_backend,
            header_timeout=s.response_header_timeout_backend,
            idle_timeout_backend=s.idle_timeout_backend,
            idle_conns_num=s.idle_conns_num,
            disable_keepalives=s.disable_http_keepalives,
            tcp_keepalive=s.keepalive_backend,
            max_content_length=s.max_content_length,
            max_header_bytes=s.max_header_bytes,
            max_header_count=s.max_header_count,
            read_timeout=s.read_timeout_server,
            write_timeout=s.write_timeout_server,
            forwarded=Forwarded.create(s.forwarded_headers, s.forwarded_headers_exclude_cidrs, port),
            insecure=s.insecure,
            tls_timeout=s.tls_timeout_backend,
            forward=forward_endpoint(s.forward_backend_url),
            upgrade=s.experimental_upgrade,
            upgrade_audit=s.experimental_upgrade_audit,
            upgrade_client_keepalive=s.upgrade_client_keepalive,
        )

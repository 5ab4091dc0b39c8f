"""Settings declared once: flags in Skipper's form, the config file, the generated reference."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from harness import REPO, Options, Skipperd
from skipperd import config
from skipperd.errors import ConfigError

# The container arguments of the skipper-ingress DaemonSet in Skipper's ingress-controller guide
# (docs/kubernetes/ingress-controller.md of Skipper), copied as they are.
DAEMONSET_FLAGS = [
    "-kubernetes", "-kubernetes-in-cluster", "-kubernetes-path-mode=path-prefix", "-address=:9999",
    "-wait-first-route-load", "-proxy-preserve-host", "-serve-host-metrics", "-enable-ratelimits",
    "-experimental-upgrade", "-metrics-exp-decay-sample", "-reverse-source-predicate",
    "-lb-healthcheck-interval=3s", "-metrics-flavour=codahale,prometheus", "-enable-connection-metrics",
    "-max-audit-body=0",
    "-histogram-metric-buckets=.01,.025,.05,.075,.1,.2,.3,.4,.5,.75,1,2,3,4,5,7,10,15,20,30,60,120,300,600",
]

# The flags in the examples of Skipper's operations guide (docs/operation/operation.md), with the
# values the guide gives (or a plausible one where it shows only the flag).
OPERATION_FLAGS = [
    "-close-idle-conns-period=20s", "-idle-conns-num=64", "-disable-http-keepalives=false",
    "-max-idle-connection-backend=100", "-tls-timeout-backend=1m", "-timeout-backend=1m", "-keepalive-backend=30s",
    "-enable-dualstack-backend=false", "-enable-h2c-server", "-read-timeout-server=5m",
    "-read-header-timeout-server=1m", "-write-timeout-server=1m", "-idle-timeout-server=1m",
    "-keepalive-requests-server=1000", "-keepalive-server=10m", "-max-header-bytes=1048576",
    "-enable-tcp-queue", "-expected-bytes-per-request=51200", "-max-tcp-listener-concurrency=100",
    "-max-tcp-listener-queue=1000",
    "-enable-proxy-protocol", "-proxy-allow-cidrs=::0/0,0.0.0.0/0", "-proxy-deny-cidrs=10.1.0.0/16",
    "-proxy-skip-cidrs=10.2.0.0/16",
    "-enable-mtls", "-client-tls-cert=/etc/skipper/client.crt", "-client-tls-key=/etc/skipper/client.key",
    "-client-tls-cert-refresh-interval=5m", "-mtls-authn-ca=pem1,pem2", "-mtls-authn-append-ca=true",
    "-oauth2-tokeninfo-timeout=3s", "-oauth2-tokenintrospect-timeout=3s",
    "-metrics-flavour=codahale,prometheus", "-enable-prometheus-native-histograms",
    "-prometheus-native-histogram-bucket-factor=1.2", "-proxy-request-metrics", "-proxy-response-metrics",
    "-backend-zone-metrics", "-enable-connection-metrics", "-enable-route-lifo-metrics", "-serve-host-metrics",
    "-serve-route-metrics", "-serve-method-metric=false", "-serve-status-code-metric=false",
    "-serve-host-counter", "-serve-route-counter", "-metrics-exp-decay-sample", "-route-response-metrics",
    "-route-backend-metrics", "-histogram-metric-buckets=.01,.1,1,10",
    "-opentracing=lightstep component-name=skipper-ingress tag=cluster=mycluster",
    "-open-telemetry={}", "-opentracing-log-filter-lifecycle-events=false", "-opentracing-disable-filter-spans",
    "-source-poll-timeout=3000",
    "-passive-health-check=period=1s,min-requests=10,min-drop-probability=0.05,max-drop-probability=0.9,"
    "max-unhealthy-endpoints-ratio=0.3",
    '-default-filters-prepend=enableAccessLog(4,5) -> lifo(100,100,"10s")',
    '-default-filters-append=enableAccessLog(4,5) -> lifo(100,100,"10s")',
    "-rfc-patch-path", "-debug-listener=:9922", "-tls-key-log-file=/path/to/tls-secrets.log", "-enable-profile",
    "-forwarded-headers=X-Forwarded-For,X-Forwarded-Host,X-Forwarded-Proto=https",
    "-forwarded-headers-exclude-cidrs=10.0.0.0/8",
    '-edit-route=/inlineContent[(]["](.*)["][)]/inlineContent("modified \\"$1\\" response")/',
    "-clone-route=/SourceFromLast[(](.*)[)]/ClientIP($1)/", "-edit-route=#/26#/24#",
]


def _expected_notes(argv: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """What the declarations say about a command line: planned feature -> flags, and the flags
    without effect, among the flags set to a value other than their default."""
    s = config.load(argv)
    planned: dict[str, list[str]] = {}
    ignored: list[str] = []
    for name, value in config.parse_flags(argv).items():
        if value == config.Settings.__dataclass_fields__[name].default:
            continue
        status = config.status_of(name)
        if config.status_kind(status) == config.PLANNED:
            planned.setdefault(config.status_detail(status), []).append("-" + config.flag_name(name))
        elif config.status_kind(status) == config.NO_EFFECT:
            ignored.append("-" + config.flag_name(name))
    assert set(config.planned_in_use(s)) == set(planned)
    return planned, ignored


def test_daemonset_flags_are_accepted() -> None:
    s = config.load(DAEMONSET_FLAGS)
    assert s.address == ":9999"
    assert s.kubernetes and s.kubernetes_in_cluster and s.proxy_preserve_host and s.wait_first_route_load
    assert s.kubernetes_path_mode == "path-prefix"
    assert s.lb_healthcheck_interval == 3.0
    assert s.metrics_flavour == ("codahale", "prometheus")
    assert s.histogram_metric_buckets[:3] == (0.01, 0.025, 0.05) and s.histogram_metric_buckets[-1] == 600.0
    assert s.max_audit_body == 0
    planned, ignored = _expected_notes(DAEMONSET_FLAGS)
    assert ignored == ["-lb-healthcheck-interval"]
    assert _named(config.planned_warning(s)) == {k: set(v) for k, v in planned.items()}


def _named(warning: str) -> dict[str, set[str]]:
    """``feature (-a, -b); other (-c)`` after the warning's colon, as a mapping."""
    out: dict[str, set[str]] = {}
    for part in warning.split("): ", 1)[1].split("; "):
        feature, _, flags = part.rstrip(")").partition(" (")
        out[feature] = set(flags.split(", "))
    return out


def _start_log_notes(log: str) -> tuple[list[str], list[str]]:
    warnings = [line for line in log.splitlines() if "planned, not built yet" in line]
    infos = [line for line in log.splitlines() if "accepted without effect" in line]
    return warnings, infos


@pytest.mark.parametrize("flags", [DAEMONSET_FLAGS, OPERATION_FLAGS], ids=["daemonset", "operation-guide"])
def test_skipper_command_lines_start_and_name_what_is_not_built(flags: list[str], tmp_path: Path) -> None:
    """skipperd starts with the flags of Skipper's own guides, serves, and its one warning names
    exactly the features not built yet among them (as the declarations say), each with its flags."""
    args = [f for f in flags if not f.startswith("-address=")]
    env: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        if "-kubernetes-in-cluster" in args:  # the cluster it asks for: the fake API server
            from kubefake import FakeAPI

            api = stack.enter_context(FakeAPI(tmp_path, "", tls=True, token="t"))
            env = api.in_cluster_env()
            args.append(f"-kubernetes-service-account-dir={api.serviceaccount}")
        s = stack.enter_context(Skipperd(Options(routes='r: * -> inlineContent("up") -> <shunt>', args=args,
                                                 env=env), tmp_path))
        status, _, body = s.request("GET", "/")
        assert (status, body) == (200, b"up")
        log = s.log()
    planned, ignored = _expected_notes(args)
    warnings, infos = _start_log_notes(log)
    if planned:
        assert len(warnings) == 1, warnings
        assert _named(warnings[0]) == {k: set(v) for k, v in planned.items()}
    else:
        assert warnings == []
    if ignored:
        assert len(infos) == 1 and all(f in infos[0] for f in ignored), infos
    else:
        assert infos == []


def test_every_skipper_flag_is_declared() -> None:
    listed = [line.strip() for line in (REPO / "tests" / "data" / "skipper-flags.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert len(listed) == 283
    declared = set()
    for d in config.describe():
        if not d["own"]:
            declared |= {d["flag"][1:], *(a[1:] for a in d["aliases"])}
    assert sorted(set(listed) - declared) == []
    for d in config.describe():
        assert config.status_kind(d["status"]) in (config.IMPLEMENTED, config.PLANNED, config.REFUSED,
                                                   config.NO_EFFECT), d
        if d["status"] != config.IMPLEMENTED:
            assert config.status_detail(d["status"]), f"{d['flag']}: a status names its feature or reason"


def test_refused_flags_stop_startup_with_the_reason_but_accept_their_default() -> None:
    with pytest.raises(ConfigError, match="-etcd-urls is not supported: skipperd has no etcd data client"):
        config.load(["-etcd-urls=http://127.0.0.1:2379"])
    with pytest.raises(ConfigError, match="-filter-plugin is not supported"):
        config.load(["-filter-plugin=noop"])
    assert config.load(["-etcd-prefix=/skipper", "-etcd-timeout=1s"]).etcd_prefix == "/skipper"
    p = subprocess.run([sys.executable, "-m", "skipperd", "-address=127.0.0.1:1", "-etcd-urls", "http://x:2379"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert "skipperd has no etcd data client" in p.stderr


def test_go_flag_syntax() -> None:
    # A boolean never takes the next argument; -name=false turns it off; -- and -- forms.
    s = config.load(["-proxy-preserve-host", "-workers", "3", "--idle-conns-num", "7", "--normalize-host=true",
                     "-ignore-trailing-slash=false", "-wait-first-route-load=0"])
    assert (s.proxy_preserve_host, s.workers, s.idle_conns_num, s.normalize_host) == (True, 3, 7, True)
    assert not s.ignore_trailing_slash and not s.wait_first_route_load
    with pytest.raises(ConfigError, match="unexpected argument 'false'"):
        config.load(["-proxy-preserve-host", "false"])
    # A repeatable flag adds up; a list flag takes commas and is replaced when repeated.
    s = config.load(["-ratelimits=type=client,max-hits=20,time-window=60s", "-ratelimits", "type=service,max-hits=5",
                     "-forwarded-headers=X-Forwarded-For", "-forwarded-headers=X-Forwarded-Host,X-Forwarded-Uri"])
    assert s.ratelimits == ("type=client,max-hits=20,time-window=60s", "type=service,max-hits=5")
    assert s.forwarded_headers == ("X-Forwarded-Host", "X-Forwarded-Uri")
    assert config.load(config.to_args(s)) == s


@pytest.mark.parametrize("argv, wanted", [
    (["-version"], "version"), (["-address=:1", "-version"], "version"), (["-workers", "2", "--version"], "version"),
    (["-proxy-preserve-host", "-help"], "help"), (["-h"], "help"), (["-version", "--help"], "help"),
    (["-version=false"], ""), (["-inline-routes", "-version"], ""), (["-workers=2"], ""),
    (["-no-such-flag", "-version"], "version"),
])
def test_help_and_version_anywhere(argv: list[str], wanted: str) -> None:
    assert config.wants(argv) == wanted


def test_version_anywhere_on_the_command_line() -> None:
    p = subprocess.run([sys.executable, "-m", "skipperd", "-address=127.0.0.1:1", "-workers", "2", "-version"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("skipperd ") and "request path" in p.stdout


def test_skipper_config_file_flag_takes_the_same_keys(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("address: ':8081'\nproxy-preserve-host: true\nenable-ratelimits: true\n"
                   "ratelimits:\n  - type=client,max-hits=20,time-window=60s\n"
                   "kubernetes-allowed-external-names: ['^a$', '^b$']\n")
    for flag in ("-config-file", "-config"):
        s = config.load([f"{flag}={cfg}", "-workers=2"])
        assert (s.address, s.proxy_preserve_host, s.workers) == (":8081", True, 2)
        assert s.ratelimits == ("type=client,max-hits=20,time-window=60s",)
        assert s.kubernetes_allowed_external_name == ("^a$", "^b$")
    cfg.write_text("etcd-urls: http://127.0.0.1:2379\n")
    with pytest.raises(ConfigError, match="skipperd has no etcd data client"):
        config.load([f"-config-file={cfg}"])


@pytest.mark.parametrize("argv, name, value", [
    (["-workers=3"], "workers", 3),
    (["-workers", "3"], "workers", 3),
    (["--workers=3"], "workers", 3),
    (["-proxy-preserve-host=false"], "proxy_preserve_host", False),
    (["-timeout-backend=1m30s"], "timeout_backend", 90.0),
    (["-timeout-backend=250ms"], "timeout_backend", 0.25),
    (["-idle-timeout-server=2.5"], "idle_timeout_server", 2.5),
    (["-forwarded-headers=X-Forwarded-For,X-Forwarded-Proto=https"], "forwarded_headers",
     ("X-Forwarded-For", "X-Forwarded-Proto=https")),
    (["-inline-routes", "r: * -> <shunt>"], "inline_routes", "r: * -> <shunt>"),
])
def test_flag_forms(argv: list[str], name: str, value: object) -> None:
    assert getattr(config.load(argv), name) == value


@pytest.mark.parametrize("argv, message", [
    (["-no-such-flag"], "unknown flag -no-such-flag"),
    (["-workers=many"], "invalid value for -workers"),
    (["-workers=-1"], "must not be negative"),
    (["-timeout-backend=soon"], "invalid duration"),
    (["-address=9999"], "invalid address"),
    (["-forwarded-headers=X-Nope"], "unknown forwarded header"),
    (["-timeout-backend"], "flag needs an argument"),
    (["stray"], "unexpected argument"),
])
def test_bad_flags_are_clear_errors(argv: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config.load(argv)


def test_config_file_keys_and_precedence(tmp_path: Path) -> None:
    routes = tmp_path / "routes.eskip"
    cfg = tmp_path / "skipperd.conf"
    cfg.write_text("workers: 4\naddress: ':8080'\nproxy-preserve-host: true\nroutes-file: routes.eskip\n"
                   "timeout-backend: 5s\n")
    s = config.load([f"-config={cfg}", "-address=:9999"])
    assert s.workers == 4
    assert s.address == ":9999", "flags override the file"
    assert s.proxy_preserve_host is True
    assert s.routes_file == str(routes), "relative paths are relative to the config file"
    assert s.timeout_backend == 5.0


def test_config_file_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.conf"
    cfg.write_text("workerz: 4\n")
    with pytest.raises(ConfigError, match="unknown key 'workerz'"):
        config.load([f"-config={cfg}"])
    cfg.write_text("workers: [1\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        config.load([f"-config={cfg}"])
    with pytest.raises(ConfigError, match="cannot read config file"):
        config.load([f"-config={tmp_path / 'missing.conf'}"])


def test_to_args_round_trip() -> None:
    s = config.load(["-workers=3", "-proxy-preserve-host", "-forwarded-headers=X-Forwarded-For",
                     "-timeout-backend=2s"])
    assert config.load(config.to_args(s)) == s


def test_every_setting_is_documented() -> None:
    for d in config.describe():
        assert d["help"].strip(), d["name"]
        assert d["section"], d["name"]


def test_generated_reference_is_current() -> None:
    assert (REPO / "docs" / "settings.md").read_text() == config.reference_markdown(), \
        "regenerate with: .venv/bin/skipperd settings-doc > docs/settings.md"


def test_unknown_flag_stops_startup() -> None:
    p = subprocess.run([sys.executable, "-m", "skipperd", "-address=127.0.0.1:1", "-bogus"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert "unknown flag -bogus" in p.stderr


def test_help_marks_planned_features() -> None:
    p = subprocess.run([sys.executable, "-m", "skipperd", "-help"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0
    assert "-kubernetes-in-cluster" in p.stdout
    line = p.stdout.split("\n  -enable-ratelimits", 1)[1].split("\n", 1)[0]
    assert "[planned: rate limits]" in line
    line = p.stdout.split("\n  -etcd-urls", 1)[1].split("\n", 1)[0]
    assert "[refused: skipperd has no etcd data client]" in line


@pytest.mark.parametrize("reverse", [False, True])
def test_reverse_source_predicate_makes_source_take_the_last_forwarded_address(
        reverse: bool, skipperd: Callable[..., Skipperd]) -> None:
    s = skipperd(routes='r: Source("10.0.0.1") -> inlineContent("from 10.0.0.1") -> <shunt>;',
                 args=["-reverse-source-predicate"] if reverse else [])
    first = s.request("GET", "/", headers={"X-Forwarded-For": "10.0.0.1, 192.168.1.1"})
    last = s.request("GET", "/", headers={"X-Forwarded-For": "192.168.1.1, 10.0.0.1"})
    assert (first[0], last[0]) == ((404, 200) if reverse else (200, 404))

"""Settings declared once: flags in Skipper's form, the config file, the generated reference."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness import REPO, SHARED
from skipperd import config
from skipperd.errors import ConfigError

# The DaemonSet of Skipper's ingress-controller guide (../shared/reference).
DAEMONSET_FLAGS = [
    "-kubernetes", "-kubernetes-in-cluster", "-kubernetes-path-mode=path-prefix", "-address=:9999",
    "-wait-first-route-load", "-proxy-preserve-host", "-serve-host-metrics", "-enable-ratelimits",
    "-experimental-upgrade", "-metrics-exp-decay-sample", "-reverse-source-predicate",
    "-lb-healthcheck-interval=3s", "-metrics-flavour=codahale,prometheus", "-enable-connection-metrics",
    "-max-audit-body=0",
    "-histogram-metric-buckets=.01,.025,.05,.075,.1,.2,.3,.4,.5,.75,1,2,3,4,5,7,10,15,20,30,60,120,300,600",
]


def test_daemonset_flags_from_the_guide_are_accepted() -> None:
    guide = (SHARED / "reference" / "skipper-ingress-controller.md").read_text()
    for flag in DAEMONSET_FLAGS:
        assert f'"{flag}"' in guide, flag
    s = config.load(DAEMONSET_FLAGS)
    assert s.address == ":9999"
    assert s.kubernetes and s.kubernetes_in_cluster and s.proxy_preserve_host and s.wait_first_route_load
    assert s.kubernetes_path_mode == "path-prefix"
    assert s.lb_healthcheck_interval == 3.0
    assert s.metrics_flavour == ("codahale", "prometheus")
    assert s.histogram_metric_buckets[:3] == (0.01, 0.025, 0.05) and s.histogram_metric_buckets[-1] == 600.0
    assert s.max_audit_body == 0


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
    line = p.stdout.split("-enable-ratelimits", 1)[1].split("\n  -", 1)[0]
    assert "planned" in line

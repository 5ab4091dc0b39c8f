"""The bare-metal deployment material agrees with itself and works: the systemd unit with its
Kubernetes drop-in (systemd/), the config and kubeconfig it uses (conf/), and the README's steps.

The drop-in hands the kubeconfig, CA and token to the unit's dynamic user as systemd credentials;
here a directory laid out as systemd lays out /run/credentials/skipperd.service/ plays that part,
and a real skipperd reads the fake API server through it.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from harness import REPO, Options, Skipperd
from kube_objects import demo
from kubefake import FakeAPI

UNIT = REPO / "systemd" / "skipperd.service"
DROPIN = REPO / "systemd" / "skipperd.service.d" / "kubernetes.conf"
CONF = REPO / "conf" / "skipperd-kubernetes.conf"
KUBECONFIG = REPO / "conf" / "kubeconfig.example"
CREDENTIALS = "/run/credentials/skipperd.service/"


def credentials() -> dict[str, str]:
    """The drop-in's LoadCredential= lines: credential name -> the file systemd reads."""
    out = {}
    for line in DROPIN.read_text().splitlines():
        m = re.fullmatch(r"LoadCredential=([^:]+):(.+)", line.strip())
        if m:
            out[m.group(1)] = m.group(2)
    return out


def unit_path(tmp: Path, dropin: str) -> Path:
    """The unit and its drop-in in a unit directory, ExecStart on this venv's skipperd."""
    d = tmp / "units"
    (d / "skipperd.service.d").mkdir(parents=True)
    exe = Path(sys.executable).parent / "skipperd"
    (d / "skipperd.service").write_text(UNIT.read_text().replace("/opt/skipperd/.venv/bin/skipperd", str(exe)))
    (d / "skipperd.service.d" / "kubernetes.conf").write_text(dropin)
    return d


def verify(units: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SYSTEMD_UNIT_PATH=f"{units}:")
    return subprocess.run(["systemd-analyze", "verify", str(units / "skipperd.service")], capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_unit_with_the_kubernetes_dropin_verifies(tmp_path: Path) -> None:
    p = verify(unit_path(tmp_path / "good", DROPIN.read_text()))
    assert p.returncode == 0 and "skipperd" not in p.stderr, p.stderr
    # the drop-in is really read: a mistake in it is reported
    p = verify(unit_path(tmp_path / "bad", DROPIN.read_text().replace("LoadCredential=kubeconfig:",
                                                                       "LoadCredentialz=kubeconfig:")))
    assert "LoadCredentialz" in p.stderr, p.stderr


def test_unit_dropin_config_and_kubeconfig_agree() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read_string(UNIT.read_text())
    svc = unit["Service"]
    assert svc["DynamicUser"] == "yes" and svc["ExecStart"].endswith("-config=/etc/skipperd/skipperd.conf")
    creds = credentials()
    assert set(creds) == {"kubeconfig", "kubernetes-ca.crt", "kubernetes-token"}
    assert all(src.startswith("/etc/skipperd/") for src in creds.values())
    conf = yaml.safe_load(CONF.read_text())
    assert conf["kubernetes"] is True
    # the config reads the kubeconfig where systemd puts the credential, not from /etc
    assert conf["kubernetes-kubeconfig"] == CREDENTIALS + "kubeconfig"
    kc = yaml.safe_load(KUBECONFIG.read_text())
    files = [c["cluster"].get("certificate-authority") for c in kc["clusters"]] + [
        u["user"].get(k) for u in kc["users"] for k in ("tokenFile", "client-certificate", "client-key")]
    files = [f for f in files if f]
    # every file the kubeconfig names is a credential, by a relative path that resolves beside it
    assert files and all(not f.startswith("/") and f in creds for f in files), files
    # each credential's source is named in the example's comments and the README's install steps
    readme = (REPO / "README.md").read_text()
    for name, src in creds.items():
        assert src in readme, f"README does not install {src}"
    assert "systemd/skipperd.service.d/kubernetes.conf" in readme
    assert "/etc/systemd/system/skipperd.service.d/" in readme


def test_skipperd_reads_the_cluster_through_credentials_as_the_unit_does(tmp_path: Path) -> None:
    """conf/skipperd-kubernetes.conf and conf/kubeconfig.example, laid out as the drop-in lays
    them out, against the fake API server (TLS, token): the routes come from the cluster."""
    with FakeAPI(tmp_path, demo(9090), tls=True, token="bare-metal-token") as api:
        creds = tmp_path / "credentials"  # plays /run/credentials/skipperd.service/
        creds.mkdir(mode=0o700)
        kc = KUBECONFIG.read_text().replace("https://kubernetes.example.org:6443", api.url)
        sources = {"kubeconfig": kc, "kubernetes-ca.crt": api.ca.read_text(), "kubernetes-token": "bare-metal-token\n"}
        assert set(sources) == set(credentials())
        for name, text in sources.items():
            (creds / name).write_text(text)
            (creds / name).chmod(0o400)
        etc = tmp_path / "etc"
        etc.mkdir()
        conf = CONF.read_text()
        assert conf.count(CREDENTIALS) == 1
        (etc / "skipperd.conf").write_text(conf.replace(CREDENTIALS, f"{creds}/"))
        d = tmp_path / "run"
        d.mkdir()
        s = Skipperd(Options(routes=None, ready_path="/", args=[f"-config={etc / 'skipperd.conf'}"]), d)
        with s.start(timeout=60):
            assert f"(kubeconfig {creds / 'kubeconfig'})" in s.log()
            status, _, body = s.support("/routes")
            assert status == 200 and b"kube_default__skipper_demo__skipper_demo_example_org" in body
            # the demo's pods are not running here: routed to them (502), not unknown (404)
            assert s.request("GET", "/", headers={"Host": "skipper-demo.example.org"})[0] == 502
        assert [r for r in api.requests() if r["status"] == 401] == []

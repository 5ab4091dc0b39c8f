"""``skipperd fake-apiserver``: run the fake API server until SIGTERM or SIGINT.

It prints one line, ``fake API server at URL``, once it accepts connections; with
``--serviceaccount-out`` it also writes what a pod's service account holds (``token``, ``ca.crt``,
``namespace``) and with ``--kubeconfig-out`` a kubeconfig that points at it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
from typing import Sequence, TextIO

import yaml

from skipperd.config import parse_address
from skipperd.kubeapi import fixtures, tlscert
from skipperd.kubeapi.rbac import RbacError, cluster_role
from skipperd.kubeapi.server import FakeAPIServer
from skipperd.kubeapi.store import Store, StoreError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="skipperd fake-apiserver",
                                description="A fake Kubernetes API server for tests and for trying skipperd.")
    p.add_argument("--address", default="127.0.0.1:0", help="host:port to listen on (port 0: any free port)")
    p.add_argument("--tls", action="store_true", help="serve HTTPS with a CA and certificate generated at start")
    p.add_argument("--cert-dir", default="", help="where the generated ca.crt, apiserver.crt and .key go "
                   "(default: a new temporary directory)")
    p.add_argument("--token", action="append", default=[], help="an accepted bearer token (repeatable); "
                   "without any, requests need no token")
    p.add_argument("--objects", action="append", default=[], help="a fixture-format YAML file or a directory "
                   "of them, loaded at start (repeatable)")
    p.add_argument("--api", default="", help="a fixture's .api file: failOn, findNot, disableRouteGroups")
    p.add_argument("--rbac", default="", help="a YAML file holding the ClusterRole to enforce for every token")
    p.add_argument("--bookmark-interval", type=float, default=5.0, help="seconds between watch bookmarks")
    p.add_argument("--watch-timeout", type=float, default=300.0, help="seconds a watch without timeoutSeconds lasts")
    p.add_argument("--history", type=int, default=10000, help="events kept for watches; older versions get 410")
    p.add_argument("--kubeconfig-out", default="", help="write a kubeconfig for this server here")
    p.add_argument("--serviceaccount-out", default="", help="write token, ca.crt and namespace into this directory")
    return p


def main(argv: Sequence[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    args = _parser().parse_args(list(argv))
    try:
        host, port = parse_address(args.address)
    except ValueError as e:
        err.write(f"skipperd fake-apiserver: {e}\n")
        return 2
    store = Store(history=args.history)
    try:
        for o in fixtures.load_paths(args.objects):
            store.apply(o)
        rbac = None
        if args.rbac:
            with open(args.rbac, encoding="utf-8") as f:
                rbac = cluster_role(f.read())
        api_behaviour = fixtures.load_api_behaviour(args.api) if args.api else {}
    except (fixtures.FixtureError, StoreError, RbacError, OSError) as e:
        err.write(f"skipperd fake-apiserver: {e}\n")
        return 2
    certs = None
    if args.tls:
        certs = tlscert.generate(args.cert_dir or tempfile.mkdtemp(prefix="skipperd-fake-apiserver-"))
    server = FakeAPIServer(store, host or "127.0.0.1", port, certs, tuple(args.token), args.bookmark_interval,
                           args.watch_timeout, rbac)
    server.failures.set(api_behaviour)
    try:
        server.start()
    except OSError as e:
        err.write(f"skipperd fake-apiserver: cannot listen on {args.address}: {e.strerror}\n")
        return 1
    token = args.token[0] if args.token else ""
    if args.serviceaccount_out:
        write_serviceaccount(args.serviceaccount_out, token, certs.ca if certs else "")
    if args.kubeconfig_out:
        write_kubeconfig(args.kubeconfig_out, server.url, token, certs.ca if certs else "")
    counts = ", ".join(f"{n} {k}" for k, n in store.counts().items() if n)
    out.write(f"fake API server at {server.url} ({counts or 'no objects'})\n")
    if certs:
        out.write(f"CA certificate: {certs.ca}\n")
    out.flush()
    done = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: done.set())
    done.wait()
    server.stop()
    return 0


def write_serviceaccount(directory: str, token: str, ca: str) -> None:
    os.makedirs(directory, exist_ok=True)
    _write(os.path.join(directory, "token"), token)
    _write(os.path.join(directory, "namespace"), "kube-system")
    if ca:
        with open(ca, encoding="ascii") as f:
            _write(os.path.join(directory, "ca.crt"), f.read())


def write_kubeconfig(path: str, url: str, token: str, ca: str) -> None:
    cluster: dict[str, str] = {"server": url}
    if ca:
        cluster["certificate-authority"] = os.path.abspath(ca)
    user: dict[str, str] = {"token": token} if token else {}
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": "fake",
           "clusters": [{"name": "fake", "cluster": cluster}],
           "users": [{"name": "skipperd", "user": user}],
           "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "skipperd"}}]}
    _write(path, yaml.safe_dump(doc, sort_keys=False))


def _write(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)

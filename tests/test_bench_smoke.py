"""scripts/bench --quick: skipperd and nginx in front of one origin, and the summary line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from harness import REPO

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


@pytest.mark.slow
@pytest.mark.skipif(NGINX is None or shutil.which("wrk") is None,
                    reason="nginx and wrk are needed (./scripts/test installs them)")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the benchmark pins the proxy and wrk to separate CPUs")
def test_bench_quick_prints_the_ratio_line() -> None:
    p = subprocess.run([str(REPO / "scripts" / "bench"), "--quick"], capture_output=True, text=True,
                       timeout=300, cwd=REPO)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.strip().splitlines()
    assert re.fullmatch(r"skipperd/nginx rps ratio \d+\.\d\d p99 ratio \d+\.\d\d", lines[-1]), p.stdout
    # Both proxies answered every request with 2xx and the filters' header (checked by the script).
    assert "non-2xx 0" in p.stdout and "bench:" not in p.stderr, p.stdout + p.stderr
    swap = re.search(r"10,000 routes, one changed every 2 s for \d+ s \((\d+) tables built in the worker; per change: "
                     r"supervisor \d+ ms CPU, worker build \d+ ms\): [\d.]+ requests/s, p99 [\d.]+ ms, worst [\d.]+ ms",
                     p.stdout)
    assert swap and int(swap.group(1)) >= 2, p.stdout
    ratio = float(lines[-1].split()[3])
    assert ratio > 0.05, "skipperd served a meaningful share of nginx's throughput"

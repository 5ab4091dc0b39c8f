"""scripts/bench-kubernetes in its smoke mode prints every figure with its target (no timing asserts)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from harness import REPO


@pytest.mark.slow
def test_bench_kubernetes_prints_the_figures() -> None:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (./scripts/test installs it)")
    p = subprocess.run([sys.executable, str(REPO / "scripts" / "bench-kubernetes"), "--quick"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode in (0, 1), p.stdout + p.stderr  # 1 only means a target was missed on this machine
    lines = p.stdout.splitlines()
    expected = [
        r"objects: 100 Ingresses, 100 Services, 100 EndpointSlices \(3 endpoints each\)",
        r"full re-list \+ conversion \+ publication: [\d.]+ s CPU, \d+ routes, \d+ invalid \(target < 0.5 s\) (PASS|FAIL)",
        r"  the same re-list with the conversion cache warm \(equal objects\): [\d.]+ s CPU",
        r"change at the API to served by every worker \(2 workers\): median \d+ ms, max \d+ ms over 3 changes "
        r"\(target: median < 1 s\) (PASS|FAIL)",
        r"  route supervisor CPU meanwhile: [\d.]+ s per change, .*",
        r"worst request latency, one EndpointSlice changing every second: [\d.]+ ms \(p99 [\d.]+ ms, \d+ requests, "
        r"0 errors\) \(target < 50 ms\) (PASS|FAIL)",
    ]
    assert len(lines) == len(expected), p.stdout + p.stderr
    for pattern, line in zip(expected, lines, strict=True):
        assert re.fullmatch(pattern, line), line
    # The smoke run converts what it serves: every Ingress becomes a route.
    routes = int(re.search(r"CPU, (\d+) routes", lines[1]).group(1))  # type: ignore[union-attr]
    assert routes >= 100

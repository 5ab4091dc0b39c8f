"""scripts/bench-routing runs on a small table and prints every figure with its target (no timing asserts)."""

from __future__ import annotations

import re
import subprocess
import sys

from harness import REPO


def test_bench_routing_prints_the_figures() -> None:
    p = subprocess.run([sys.executable, str(REPO / "scripts" / "bench-routing"), "--routes", "200", "--lookups", "300"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode in (0, 1), p.stderr  # 1 only means a target was missed on this machine
    lines = p.stdout.splitlines()
    expected = [
        r"lookup median, 200 routes: [\d.]+ us \(target < 20 us\)",
        r"lookup median, 100 routes: [\d.]+ us \(target < 20 us\)",
        r"lookup ratio 200/100: [\d.]+ \(target <= 2\)",
        r"build, 200 routes: [\d.]+ s \(target < 1 s\)",
        r"memory held, 200 routes: [\d.]+ MB \(target < 60 MB\)",
        r"worker full build, 200 routes: [\d.]+ s \(target < 1 s\)",
        r"worker build, 1 of 200 routes changed: [\d.]+ ms CPU \(target < 20 ms\)",
        r"longest piece without a yield, 1 changed: [\d.]+ ms \(target < 10 ms\)",
    ]
    assert lines[0].startswith("routes: 200 on 50 hosts"), p.stdout
    for pattern, line in zip(expected, lines[1:], strict=True):
        assert re.fullmatch(pattern + r" +(PASS|FAIL)", line), line

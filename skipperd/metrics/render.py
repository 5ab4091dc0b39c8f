"""``/metrics``: the slots of every process summed, as Prometheus text or codahale JSON.

Counters and histograms are summed over every slot, including slots whose process has exited:
their counts stay part of the total, so a total never goes back. Gauges are taken only from the
slots of processes that are running (the route supervisor's slot 0 and live workers).

Prometheus: Skipper's metric families (``skipper_route_lookup_duration_seconds``, ...), the
histogram buckets of ``-histogram-metric-buckets`` (Prometheus' defaults otherwise), which the
stored bounds contain exactly. Codahale: Skipper's keys under ``-metrics-prefix``; timers in
nanoseconds with count, min, max, mean, median and the 75/95/99/99.9th percentiles, estimated
within a bucket of the stored histogram (a factor of √2 at worst; min and max too). With
``-metrics-exp-decay-sample`` the percentiles, mean and extremes come from the last
``DECAY_WINDOW`` seconds (the window over which Skipper's exponentially decaying sample keeps
nearly all its weight) instead of all time.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from skipperd.metrics import keys
from skipperd.metrics.collector import DEFAULT_BUCKETS
from skipperd.metrics.keys import FAMILIES
from skipperd.procs import alive

DECAY_WINDOW = 300.0


@dataclass
class Merged:
    counters: dict[str, int] = field(default_factory=dict)
    gauges: dict[str, float] = field(default_factory=dict)
    histograms: dict[str, list[float]] = field(default_factory=dict)  # bucket counts..., sum (s)


def merge(views: Iterable[Any], nbounds: int) -> Merged:
    m = Merged()
    for v in views:
        for k, n in v.counters.items():
            m.counters[k] = m.counters.get(k, 0) + n
        if alive(v.pid):
            for k, g in v.gauges.items():
                m.gauges[k] = m.gauges.get(k, 0.0) + g
        for k, h in v.histograms.items():
            cur = m.histograms.get(k)
            if cur is None:
                m.histograms[k] = list(h)
                continue
            for i in range(nbounds + 2):
                cur[i] += h[i]
    return m


# --- Prometheus text ---------------------------------------------------------------------------------

def _esc_label(v: str) -> str:
    return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(v: float) -> str:
    if isinstance(v, int):
        return str(v)
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if math.isnan(v):
        return "NaN"
    return repr(float(v))


def prometheus_text(m: Merged, bounds_ns: Sequence[int], prom_buckets: Sequence[float],
                    extra_gauges: Sequence[tuple[str, str, dict[str, str], float]] = ()) -> str:
    """``extra_gauges``: (name, help, labels, value) rendered as gauges (the route table's)."""
    buckets = [b for b in (prom_buckets or DEFAULT_BUCKETS) if b > 0]
    index = {b: i for i, b in enumerate(bounds_ns)}
    prom_idx = [index.get(int(round(b * 1e9)), -1) for b in buckets]
    families: dict[str, tuple[str, str, list[str]]] = {}  # prom name -> (type, help, lines)

    def fam(name: str, typ: str, help: str) -> list[str]:
        got = families.get(name)
        if got is None:
            got = families[name] = (typ, help, [])
        return got[2]

    def labels(names: Sequence[str], values: Sequence[str]) -> str:
        if not names:
            return ""
        return "{" + ",".join(f'{n}="{_esc_label(v)}"' for n, v in zip(names, values)) + "}"

    def split(stored: str) -> tuple[Any, tuple[str, ...]] | None:
        got = keys.split(stored)
        if got is None:  # an older layout's name: shown as a custom key
            return None
        f, values = got
        if f.name in ("servehost", "serveroute"):
            # Skipper leaves the disabled labels out (-serve-method-metric, -serve-status-code-metric).
            pairs = [(n, v) for n, v in zip(f.prom_labels, values) if v or n in ("host", "route")]
            return f, tuple(p[0] for p in pairs) + tuple(p[1] for p in pairs)
        return f, f.prom_labels + values

    for stored, n in sorted(m.counters.items()):
        got = split(stored)
        if got is None:
            continue
        f, lv = got
        half = len(lv) // 2
        fam("skipper_" + f.prometheus, "counter", f.help).append(
            f"skipper_{f.prometheus}{labels(lv[:half], lv[half:])} {n}")
    for stored, g in sorted(m.gauges.items()):
        got = split(stored)
        if got is None:
            continue
        f, lv = got
        half = len(lv) // 2
        fam("skipper_" + f.prometheus, "gauge", f.help).append(
            f"skipper_{f.prometheus}{labels(lv[:half], lv[half:])} {_num(g)}")
    for name, help, lbl, value in extra_gauges:
        fam(name, "gauge", help).append(f"{name}{labels(list(lbl), list(lbl.values()))} {_num(value)}")
    nb = len(bounds_ns)
    for stored, h in sorted(m.histograms.items()):
        got = split(stored)
        if got is None:
            continue
        f, lv = got
        half = len(lv) // 2
        names, values = list(lv[:half]), list(lv[half:])
        base = "skipper_" + f.prometheus
        out = fam(base, "histogram", f.help)
        cum = 0.0
        pos = 0
        for b, i in zip(buckets, prom_idx):
            if i < 0:
                continue
            while pos <= i:
                cum += h[pos]
                pos += 1
            out.append(f"{base}_bucket{labels(names + ['le'], values + [_num(b)])} {int(cum)}")
        count = int(sum(h[:nb + 1]))
        out.append(f"{base}_bucket{labels(names + ['le'], values + ['+Inf'])} {count}")
        out.append(f"{base}_sum{labels(names, values)} {_num(float(h[nb + 1]))}")
        out.append(f"{base}_count{labels(names, values)} {count}")
    text = []
    for name, (typ, help, lines) in families.items():
        text.append(f"# HELP {name} {help}")
        text.append(f"# TYPE {name} {typ}")
        text.extend(lines)
    return "\n".join(text) + "\n"


# --- codahale JSON -----------------------------------------------------------------------------------

def _percentile(h: Sequence[float], bounds_ns: Sequence[int], count: float, q: float, lo: float,
                hi: float) -> float:
    """The q-quantile in nanoseconds, interpolated within its bucket, within [lo, hi]."""
    if count <= 0:
        return 0.0
    rank = q * count
    cum = 0.0
    nb = len(bounds_ns)
    for i in range(nb + 1):
        c = h[i]
        if c and cum + c >= rank:
            low = bounds_ns[i - 1] if i > 0 else 0
            high = bounds_ns[i] if i < nb else hi
            v = low + (high - low) * ((rank - cum) / c)
            return float(min(max(v, lo), hi))
        cum += c
    return float(hi)


def timer_values(h: Sequence[float], bounds_ns: Sequence[int], started: float, now: float) -> dict[str, Any]:
    """A codahale timer in nanoseconds. The extremes are those the buckets allow: the lower
    bound of the first bucket used and the upper bound of the last one (or the mean times two
    past the last bound)."""
    nb = len(bounds_ns)
    count = int(sum(h[:nb + 1]))
    total_ns = float(h[nb + 1]) * 1e9
    mean = total_ns / count if count else 0.0
    used = [i for i in range(nb + 1) if h[i]]
    if used:
        lo = float(bounds_ns[used[0] - 1]) if used[0] > 0 else 0.0
        hi = float(bounds_ns[used[-1]]) if used[-1] < nb else max(float(bounds_ns[-1]), 2 * mean)
    else:
        lo = hi = 0.0
    return {
        "count": count, "min": lo, "max": hi, "mean": mean,
        "median": _percentile(h, bounds_ns, count, 0.5, lo, hi),
        "75%": _percentile(h, bounds_ns, count, 0.75, lo, hi),
        "95%": _percentile(h, bounds_ns, count, 0.95, lo, hi),
        "99%": _percentile(h, bounds_ns, count, 0.99, lo, hi),
        "99.9%": _percentile(h, bounds_ns, count, 0.999, lo, hi),
        "mean.rate": count / (now - started) if now > started else 0.0,
    }


def codahale_json(m: Merged, bounds_ns: Sequence[int], prefix: str, started: float,
                  extra_gauges: dict[str, float] | None = None, only: str = "",
                  window: Merged | None = None) -> bytes:
    """Skipper's codahale document; ``only``: a key prefix (``/metrics/<prefix>``).
    ``window``: the histograms of the decay window, used for the distribution when given."""
    now = time.time()
    doc: dict[str, dict[str, Any]] = {}

    def put(section: str, key: str, value: Any) -> None:
        full = prefix + key
        if only and not (key.startswith(only) or full.startswith(only)):
            return
        doc.setdefault(section, {})[full] = value

    for stored, n in m.counters.items():
        put("counters", keys.codahale_key(stored), {"count": n})
    for stored, g in m.gauges.items():
        put("gauges", keys.codahale_key(stored), {"value": g})
    for k, g in (extra_gauges or {}).items():
        put("gauges", k, {"value": g})
    for stored, h in m.histograms.items():
        values = timer_values(h, bounds_ns, started, now)
        if window is not None:
            w = window.histograms.get(stored)
            if w is not None and any(w[:len(bounds_ns) + 1]):
                recent = timer_values(w, bounds_ns, started, now)
                for k in ("min", "max", "mean", "median", "75%", "95%", "99%", "99.9%"):
                    values[k] = recent[k]
        put("timers", keys.codahale_key(stored), values)
    return (json.dumps(doc, sort_keys=True) + "\n").encode()


def subtract(now: Merged, before: Merged, nbounds: int) -> Merged:
    """The histogram counts added between two merges (for the decay window)."""
    out = Merged()
    for k, h in now.histograms.items():
        b = before.histograms.get(k)
        out.histograms[k] = list(h) if b is None else [max(0.0, h[i] - b[i]) for i in range(nbounds + 2)]
    return out

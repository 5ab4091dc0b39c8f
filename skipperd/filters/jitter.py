"""Latency diagnostics: uniform, normal and histogram latency, on the request or the response.

``uniformRequestLatency(mean, delta)`` sleeps ``mean ± delta`` (uniform) before the backend is
called, ``normalRequestLatency(mean, sigma)`` a normally distributed time; the ``Response``
forms sleep after the backend answered. ``histogramRequestLatency(d0, w0, d1, w1, ..., dn)``
picks bucket ``[d_i, d_i+1)`` with probability ``w_i / sum(w)`` and sleeps a uniform time in it.
Durations are Go duration strings (the uniform and normal forms also take milliseconds); a
sleep that comes out negative is no sleep. The sleep yields to other requests of the worker
(time.sleep is cooperative there).
"""

from __future__ import annotations

import random
import time
from typing import Any, Callable

from skipperd import names
from skipperd.durations import filter_duration, parse_go_duration
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.context import FilterContext
from skipperd.params import ANY, DURATION, Param

Sleep = Callable[[float], None]


def _sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def uniform(mean: float, delta: float) -> Callable[[], float]:
    return lambda: mean + (2 * random.random() - 1) * delta


def normal(mean: float, sigma: float) -> Callable[[], float]:
    return lambda: mean + random.gauss(0.0, 1.0) * sigma


class RequestLatency:
    __slots__ = ("sample", "sleep")

    def __init__(self, sample: Callable[[], float], sleep: Sleep = _sleep) -> None:
        self.sample = sample
        self.sleep = sleep

    def request(self, ctx: FilterContext) -> None:
        self.sleep(self.sample())


class ResponseLatency:
    __slots__ = ("sample", "sleep")

    def __init__(self, sample: Callable[[], float], sleep: Sleep = _sleep) -> None:
        self.sample = sample
        self.sleep = sleep

    def response(self, ctx: FilterContext) -> None:
        self.sleep(self.sample())


class _JitterSpec(Spec):
    params = (Param("mean", DURATION, 'e.g. "100ms"'), Param("delta", DURATION, 'e.g. "10ms"'))
    normal = False
    on_response = False

    def make(self, args: tuple[Arg, ...]) -> Any:
        mean = filter_duration(self.name, args[0], "mean")
        delta = filter_duration(self.name, args[1], "delta")
        sample = normal(mean, delta) if self.normal else uniform(mean, delta)
        return ResponseLatency(sample) if self.on_response else RequestLatency(sample)


class UniformRequestLatencySpec(_JitterSpec):
    name = names.UNIFORM_REQUEST_LATENCY
    summary = "sleeps mean ± delta (uniform) before the backend is called"


class NormalRequestLatencySpec(_JitterSpec):
    name = names.NORMAL_REQUEST_LATENCY
    summary = "sleeps a normally distributed time (mean, sigma) before the backend is called"
    params = (Param("mean", DURATION), Param("sigma", DURATION))
    normal = True


class UniformResponseLatencySpec(_JitterSpec):
    name = names.UNIFORM_RESPONSE_LATENCY
    summary = "sleeps mean ± delta (uniform) after the backend answered"
    on_response = True


class NormalResponseLatencySpec(_JitterSpec):
    name = names.NORMAL_RESPONSE_LATENCY
    summary = "sleeps a normally distributed time (mean, sigma) after the backend answered"
    params = (Param("mean", DURATION), Param("sigma", DURATION))
    normal = True
    on_response = True


class Histogram:
    """Buckets ``[bounds[i], bounds[i+1])`` with cumulative probabilities ``cumulative[i]``."""

    __slots__ = ("bounds", "cumulative")

    def __init__(self, bounds: list[float], weights: list[float]) -> None:
        total = sum(weights)
        self.bounds = bounds
        acc, cumulative = 0.0, []
        for w in weights:
            acc += w / total
            cumulative.append(acc)
        self.cumulative = cumulative

    def __call__(self) -> float:
        r = random.random()
        i = 0
        for i, c in enumerate(self.cumulative):
            if c > r:
                break
        lo, hi = self.bounds[i], self.bounds[i + 1]
        return lo + random.random() * (hi - lo)


def parse_histogram(name: str, args: tuple[Arg, ...]) -> Histogram:
    if len(args) < 3 or len(args) % 2 != 1:
        raise InvalidArguments(name, "expects boundaries and weights interleaved: d0, w0, d1, ..., dn")
    bounds: list[float] = []
    weights: list[float] = []
    for i, a in enumerate(args):
        if i % 2 == 0:
            if not isinstance(a, str):
                raise InvalidArguments(name, f"argument {i + 1} must be a duration string, got {a!r}")
            try:
                d = parse_go_duration(a)
            except ValueError as e:
                raise InvalidArguments(name, str(e)) from None
            if d < 0 or (bounds and d <= bounds[-1]):
                raise InvalidArguments(name, "boundaries must not be negative and must increase")
            bounds.append(d)
        else:
            if isinstance(a, str) or a < 0:
                raise InvalidArguments(name, f"argument {i + 1} must be a weight (a number >= 0), got {a!r}")
            weights.append(float(a))
    if sum(weights) == 0:
        raise InvalidArguments(name, "the weights must not all be 0")
    return Histogram(bounds, weights)


class _HistogramSpec(Spec):
    params = (Param("boundary", DURATION, "first bucket's lower bound"),
              Param("weightAndBoundary", ANY, "a bucket's weight, then its upper bound", variadic=True))
    on_response = False

    def make(self, args: tuple[Arg, ...]) -> Any:
        h = parse_histogram(self.name, args)
        return ResponseLatency(h) if self.on_response else RequestLatency(h)


class HistogramRequestLatencySpec(_HistogramSpec):
    name = names.HISTOGRAM_REQUEST_LATENCY
    summary = "sleeps a time drawn from a histogram (boundaries and weights) before the backend"


class HistogramResponseLatencySpec(_HistogramSpec):
    name = names.HISTOGRAM_RESPONSE_LATENCY
    summary = "sleeps a time drawn from a histogram (boundaries and weights) after the backend answered"
    on_response = True

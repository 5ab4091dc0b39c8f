"""Setting up a process's metrics from the settings: its slot, StatsD, or nothing."""

from __future__ import annotations

import logging

from skipperd.config import Settings
from skipperd.metrics.collector import Collector, bucket_bounds
from skipperd.metrics.statsd import Batch
from skipperd.shm.slots import Slot, SlotsError

log = logging.getLogger("skipperd.metrics")

SUPERVISOR_SLOT = 0


def slot_count(workers: int) -> int:
    """Slots for the supervisor and the workers, with room for a SIGHUP's rotation (old and new
    workers at once) and for more workers after a reload."""
    return max(32, 4 * workers + 4)


def process_collector(settings: Settings, instance: str, slot_index: int | None) -> Collector | None:
    """The process's collector; None when neither shared-memory metrics nor StatsD are on."""
    slot = None
    if settings.metrics_flavour and slot_index is not None:
        try:
            slot = Slot(instance, slot_index)
        except SlotsError as e:
            log.warning("metrics are not collected in shared memory: %s", e)
    statsd = None
    if settings.statsd_address:
        try:
            statsd = Batch(settings.statsd_address, settings.statsd_prefix)
        except (OSError, ValueError) as e:
            log.error("StatsD is off: cannot use -statsd-address=%s: %s", settings.statsd_address, e)
    if slot is None and statsd is None:
        return None
    bounds = list(slot.layout.bounds_ns) if slot is not None else bucket_bounds(settings.histogram_metric_buckets)
    return Collector(slot, statsd, bounds)

"""The process tree: gunicorn's arbiter with skipperd's route supervisor beside the workers.

``run(settings, argv)`` starts gunicorn's arbiter programmatically with skipperd's own worker
class. ``SkipperdArbiter`` adds what gunicorn does not know:

* the route supervisor, one process forked and restarted by the arbiter (with back-off when it
  keeps failing), the only process that reads route sources and writes shared memory;
* the support listener socket, bound by the arbiter (so that a bind failure stops start-up) and
  handed to the supervisor, which serves it;
* start-up clean-up of shared-memory segments that a crashed instance with the same address left;
* systemd readiness (``READY=1``) only after the first route table is published;
* SIGHUP: gunicorn re-reads the config and rotates the workers; the supervisor is restarted with
  the new settings, so the route sources are re-read too. The published table outlives it;
* SIGTERM: a drain. The supervisor raises the shutdown flag (``Shutdown()`` turns true, health
  checks fail) while the workers keep serving for ``-wait-for-healthcheck-interval``; then
  gunicorn's graceful stop lets in-flight requests finish. A second SIGTERM skips the rest of
  the drain; SIGINT and SIGQUIT stop at once as in gunicorn.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import sys
import time
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from skipperd import config
from skipperd.config import Settings
from skipperd.errors import ConfigError
from skipperd.logs import configure_logging
from skipperd.procs import alive

log = logging.getLogger("skipperd.arbiter")

SUPERVISOR_BACKOFF_MAX = 30.0


class SkipperdApplication(BaseApplication):  # type: ignore[misc]
    """gunicorn's view of skipperd: settings in, no WSGI callable out."""

    def __init__(self, settings: Settings, argv: list[str]) -> None:
        self.argv = argv
        self.settings = settings
        from skipperd.shm.segment import instance_key

        self.instance = instance_key(settings)
        super().__init__(prog="skipperd")

    def load_config(self) -> None:
        # On SIGHUP gunicorn calls this again: re-read the config file, keep the old settings if
        # the new ones are invalid (a typo in the file must not take the host down).
        if getattr(self, "_loaded", False):
            try:
                settings = config.load(self.argv)
                if settings.kubernetes:
                    from skipperd.dataclients.kubernetes import KubeOptions

                    KubeOptions.from_settings(settings)  # what Skipper refuses at start
                self.settings = settings
            except ConfigError as e:
                log.error("reload: %s; keeping the previous settings", e)
        self._loaded = True
        s = self.settings
        host, port = config.parse_address(s.address)
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        cfg = self.cfg
        cfg.set("bind", [bind])
        cfg.set("workers", config.effective_workers(s))
        cfg.set("worker_class", "skipperd.worker.SkipperdWorker")
        cfg.set("worker_connections", s.worker_connections)
        cfg.set("timeout", max(1, int(s.worker_timeout)))
        cfg.set("graceful_timeout", max(1, int(s.graceful_timeout)))
        cfg.set("proc_name", f"skipperd {s.address}")
        cfg.set("control_socket_disable", True)
        cfg.set("loglevel", _gunicorn_level(s.application_log_level))
        if s.application_log:
            cfg.set("errorlog", s.application_log)
        if s.pidfile:
            cfg.set("pidfile", s.pidfile)
        cfg.set("post_fork", _post_fork)
        cfg.set("pre_fork", _pre_fork)

    def load(self) -> None:
        return None


def _gunicorn_level(level: str) -> str:
    level = level.upper()
    return {"WARN": "warning", "PANIC": "critical", "FATAL": "critical"}.get(level, level.lower())


def _pre_fork(arbiter: "SkipperdArbiter", worker: Any) -> None:
    worker.metrics_slot = arbiter.free_metrics_slot()


def _post_fork(arbiter: "SkipperdArbiter", worker: Any) -> None:
    # Workers serve the proxy listener only: the support listener belongs to the supervisor.
    if arbiter.support_socket is not None:
        arbiter.support_socket.close()


class SkipperdArbiter(Arbiter):  # type: ignore[misc]
    def __init__(self, app: SkipperdApplication) -> None:
        self.supervisor_pid = 0
        self.supervisor_tmp: Any = None
        self.support_socket: socket.socket | None = None
        self.support_address = ""
        self.notify_socket = os.environ.pop("NOTIFY_SOCKET", "")
        self.ready_notified = False
        self.draining_until: float | None = None
        self._supervisor_failures = 0
        self._supervisor_next_start = 0.0
        self._supervisor_stopping = False
        self._reader: Any = None
        self.metrics_slots = 0
        super().__init__(app)
        self._format_gunicorn_log()

    # --- start-up ----------------------------------------------------------------------------

    def start(self) -> None:
        super().start()  # binds the proxy listener: a live instance on this address stops us here
        from skipperd.shm.segment import cleanup_stale

        removed = cleanup_stale(self.app.instance)
        if removed:
            self.log.info("removed %d shared-memory segment(s) left by an earlier instance", removed)
        self._format_gunicorn_log()
        self._log_request_path()
        self._log_setting_statuses()
        self._create_metrics_segment()
        self._bind_support_listener()

    def _format_gunicorn_log(self) -> None:
        """gunicorn's own lines in the application log's format (-application-log-json-enabled)."""
        from skipperd.logs import formatter

        error_log = getattr(self.log, "error_log", None)
        if error_log is None or not self.app.settings.application_log_json_enabled:
            return
        for h in error_log.handlers:
            h.setFormatter(formatter(self.app.settings))

    def _create_metrics_segment(self) -> None:
        from skipperd.metrics.collector import bucket_bounds
        from skipperd.metrics.process import slot_count
        from skipperd.shm import slots

        s = self.app.settings
        self.metrics_slots = slot_count(config.effective_workers(s))
        try:
            slots.create(self.app.instance, self.metrics_slots, bucket_bounds(s.histogram_metric_buckets))
        except slots.SlotsError as e:
            self.metrics_slots = 0
            self.log.error("metrics are not kept in shared memory: %s", e)

    def free_metrics_slot(self) -> int | None:
        """The lowest worker slot no running worker holds: a restarted worker gets its
        predecessor's slot and continues its counters (slot 0 is the route supervisor's)."""
        from skipperd.metrics.process import SUPERVISOR_SLOT

        used = {getattr(w, "metrics_slot", None) for w in self.WORKERS.values()}
        for i in range(SUPERVISOR_SLOT + 1, self.metrics_slots):
            if i not in used:
                return i
        self.log.warning("no free metrics slot: this worker's metrics are not counted on /metrics")
        return None

    def _log_setting_statuses(self) -> None:
        # One warning naming the features not built yet whose flags are set; one line for the
        # flags that are accepted without effect.
        settings = self.app.settings
        warning = config.planned_warning(settings)
        if warning:
            self.log.warning("%s", warning)
        ignored = config.no_effect_in_use(settings)
        if ignored:
            self.log.info("accepted without effect: %s", "; ".join(ignored))

    def _log_request_path(self) -> None:
        from skipperd import compiled

        (self.log.warning if compiled.build_ignored() else self.log.info)("request path: %s", compiled.status())

    def _bind_support_listener(self) -> None:
        addr = self.app.settings.support_listener
        if addr == self.support_address and (self.support_socket is not None or not addr):
            return
        if self.support_socket is not None:
            self.support_socket.close()
            self.support_socket = None
        self.support_address = addr
        if not addr:
            return
        host, port = config.parse_address(addr)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            s.close()
            self.log.error("cannot bind the support listener %s: %s", addr, e.strerror)
            raise SystemExit(1) from None
        s.listen(128)
        s.set_inheritable(True)
        self.support_socket = s
        self.log.info("support listener at %s", addr)

    # --- the route supervisor ----------------------------------------------------------------

    def manage_workers(self) -> None:
        self.manage_supervisor()
        super().manage_workers()
        self._maybe_notify_ready()
        if self.draining_until is not None and time.monotonic() >= self.draining_until:
            self.log.info("drain period over, stopping")
            raise StopIteration

    def manage_supervisor(self) -> None:
        if self.supervisor_pid:
            self._reap_supervisor()
        if self.supervisor_pid:
            self._check_supervisor_heartbeat()
            return
        if time.monotonic() < self._supervisor_next_start:
            return
        self.spawn_supervisor()

    def _check_supervisor_heartbeat(self) -> None:
        """gunicorn's murder_workers() for the supervisor: silent for the timeout means hung."""
        tmp = self.supervisor_tmp
        if tmp is None or self._supervisor_stopping:
            return
        timeout = self.app.settings.worker_timeout
        silent = time.monotonic() - tmp.last_update()  # gunicorn stamps monotonic time
        if silent <= timeout:
            return
        self.log.critical("route supervisor (pid:%s) sent no heartbeat for %.0fs; killing and replacing it",
                          self.supervisor_pid, silent)
        try:
            os.kill(self.supervisor_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def spawn_supervisor(self) -> None:
        from gunicorn.workers.workertmp import WorkerTmp

        settings = self.app.settings
        instance = self.app.instance
        draining = self.draining_until is not None
        if self.supervisor_tmp is not None:
            self.supervisor_tmp.close()
        self.supervisor_tmp = heartbeat = WorkerTmp(self.cfg)
        heartbeat.notify()
        pid = os.fork()
        if pid:
            self.supervisor_pid = pid
            self._supervisor_stopping = False
            self.log.info("Booting route supervisor with pid: %s", pid)
            return
        # child
        code = 1
        try:
            for s in self.SIGNALS:
                signal.signal(s, signal.SIG_DFL)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for lnr in self.LISTENERS:
                lnr.close()
            for w in self.WORKERS.values():
                w.tmp.close()
            try:
                from gunicorn import util

                util._setproctitle(f"route supervisor [{self.proc_name}]")
            except Exception:
                pass
            from skipperd.supervisor import run_supervisor

            code = run_supervisor(settings, instance, self.support_socket, draining, heartbeat)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException:
            logging.getLogger("skipperd.supervisor").exception("route supervisor crashed")
            code = 1
        finally:
            os._exit(code)

    def _reap_supervisor(self) -> None:
        try:
            pid, status = os.waitpid(self.supervisor_pid, os.WNOHANG)
        except ChildProcessError:
            # Reaped by gunicorn's waitpid(-1) loop in reap_workers() before we looked.
            pid, status = self.supervisor_pid, 0
        if not pid:
            return
        self._supervisor_exited(pid, status)

    def _supervisor_exited(self, pid: int, status: int) -> None:
        self.supervisor_pid = 0
        if self._supervisor_stopping:
            self._supervisor_stopping = False
            self._supervisor_next_start = 0.0
            return
        if os.WIFSIGNALED(status):
            why = f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
        else:
            why = f"exited with code {os.WEXITSTATUS(status)}"
        self._supervisor_failures += 1
        delay = min(SUPERVISOR_BACKOFF_MAX, 0.5 * 2 ** (self._supervisor_failures - 1))
        if self._supervisor_failures == 1:
            delay = 0.0
        self._supervisor_next_start = time.monotonic() + delay
        self.log.error("route supervisor (pid:%s) %s; restarting in %.1fs", pid, why, delay)

    def handle_chld(self) -> None:
        if self.supervisor_pid:
            self._reap_supervisor()
        super().handle_chld()
        if self.supervisor_pid and not alive(self.supervisor_pid):
            self._supervisor_exited(self.supervisor_pid, 0)

    handle_cld = handle_chld

    def stop_supervisor(self, timeout: float = 5.0) -> None:
        pid = self.supervisor_pid
        if not pid:
            return
        self._supervisor_stopping = True
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                wpid, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                wpid = pid
            if wpid:
                break
            time.sleep(0.05)
        else:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        self.supervisor_pid = 0
        self._supervisor_stopping = False

    # --- readiness ---------------------------------------------------------------------------

    def _maybe_notify_ready(self) -> None:
        if self.ready_notified:
            return
        if self._reader is None:
            from skipperd.shm.segment import TableReader

            self._reader = TableReader(self.app.instance)
        if self._reader.generation() <= 0:
            return
        self.ready_notified = True
        self.log.info("first route table published; ready")
        sd_notify(self.notify_socket, "READY=1\nSTATUS=serving")

    # --- signals -------------------------------------------------------------------------------

    def handle_hup(self) -> None:
        sd_notify(self.notify_socket, f"RELOADING=1\nMONOTONIC_USEC={time.monotonic_ns() // 1000}")
        self.log.info("Hang up: re-reading the config and the route sources, rotating workers")
        # gunicorn: reload the config, spawn new workers, stop the old ones gracefully.
        super().handle_hup()
        configure_logging(self.app.settings)
        self._format_gunicorn_log()
        self._bind_support_listener()
        # A new supervisor with the new settings re-reads every source; the table in shared
        # memory stays in place meanwhile.
        self.stop_supervisor()
        self.spawn_supervisor()
        sd_notify(self.notify_socket, "READY=1\nSTATUS=serving")

    def handle_term(self) -> None:
        if self.draining_until is not None:
            self.log.info("second SIGTERM: skipping the rest of the drain")
            raise StopIteration
        delay = self.app.settings.wait_for_healthcheck_interval
        sd_notify(self.notify_socket, "STOPPING=1")
        self.log.info("SIGTERM: draining for %.1fs (Shutdown() is true, health checks fail)", delay)
        self.draining_until = time.monotonic() + delay
        if self.supervisor_pid:
            try:
                os.kill(self.supervisor_pid, signal.SIGUSR2)
            except ProcessLookupError:
                pass
        if delay <= 0:
            raise StopIteration

    def stop(self, graceful: bool = True) -> None:
        super().stop(graceful)
        self.stop_supervisor()

    def halt(self, reason: str | None = None, exit_status: int = 0) -> None:
        self.stop_supervisor()
        if self.support_socket is not None:
            self.support_socket.close()
        try:
            from skipperd.shm.segment import cleanup_stale

            cleanup_stale(self.app.instance)
        except Exception as e:  # clean-up is best effort; the next start cleans up too
            self.log.warning("could not remove shared-memory segments: %s", e)
        super().halt(reason, exit_status)


def sd_notify(address: str, state: str) -> None:
    """Send a state to systemd's notify socket (no-op outside systemd)."""
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.connect(address)
        s.sendall(state.encode())
    except OSError as e:
        if e.errno not in (errno.ENOENT, errno.ECONNREFUSED):
            log.warning("sd_notify failed: %s", e)
    finally:
        s.close()


def run(settings: Settings, argv: list[str]) -> int:
    configure_logging(settings)
    app = SkipperdApplication(settings, argv)
    try:
        SkipperdArbiter(app).run()
    except RuntimeError as e:
        print(f"skipperd: {e}", file=sys.stderr)
        return 1
    return 0

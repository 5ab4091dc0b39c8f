"""Non-blocking sockets on the gevent hub, with deadlines checked by one sweeping timer.

How it works
============

A ``Channel`` wraps a real (unpatched) non-blocking socket. Waiting for input uses a libev read
watcher that stays started between waits: starting and stopping a watcher for every wait costs
an ``epoll_ctl`` system call each time (libev re-adds the descriptor), two per proxied request.
The watcher's callback switches to the greenlet waiting on the channel; when nobody waits (a
pooled upstream connection, or a client that sent more while its request is served) the callback
stops the watcher and remembers that input is pending (``input_pending``): an idle pooled
connection that the backend closed is thus known before it is reused, without a ``poll()``.

Timeouts do not use ``gevent.Timeout`` (a timer started and cancelled per wait, about 4 µs
each, several per request). A wait stores an absolute deadline on the channel instead; one
periodic libev timer (``start_watchdog``) walks the open channels and throws ``IOTimeout`` into
the greenlets waiting past their deadline, from the hub, as gevent's own timeouts do (a wait
costs two attribute stores; the walk, a comparison per open channel per tick). Deadlines are based
on a clock that the timer refreshes on every tick, so they are precise to one tick (``TICK``).

Writes use a plain ``send()`` loop: the first ``send`` usually takes everything, and a write
watcher is started only when the socket buffer is full.
"""

from __future__ import annotations

import errno
import socket as _pysocket  # gevent-patched: used only for name resolution
import time
from typing import Any

import _socket

from gevent import get_hub, getcurrent

from skipperd.errors import SkipperdError

TICK = 0.1  # seconds between deadline sweeps

_hub: Any = None
_loop: Any = None
_now = time.monotonic()
_channels: set["Channel"] = set()  # every open channel; the sweep checks those that wait
_timer: Any = None


class IOTimeout(SkipperdError):
    """A read, write or connect did not complete before its deadline."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"{what} timed out")


class ChannelClosed(SkipperdError):
    """The channel was closed by this process while a greenlet waited on it."""


def bind_hub() -> None:
    """Bind to the current thread's hub (after ``hub.reinit()`` in a forked worker)."""
    global _hub, _loop
    _hub = get_hub()
    _loop = _hub.loop


def now() -> float:
    """The sweeper's clock: monotonic seconds, refreshed every tick."""
    return _now


def refresh_now() -> float:
    global _now
    _now = time.monotonic()
    return _now


def _sweep() -> None:
    global _now
    _now = t = time.monotonic()
    expired = [ch for ch in _channels if ch.deadline <= t and ch._waiter is not None]
    for ch in expired:
        g = ch._waiter
        # An earlier throw in this loop may have let this greenlet move on.
        if g is None or ch.deadline > t or g.dead:
            continue
        ch._waiter = None
        try:
            g.throw(IOTimeout(ch.wait_what))
        except Exception:  # the greenlet's own error handling failed; nothing to do here
            pass


def start_watchdog(tick: float = TICK) -> None:
    """Start the periodic deadline sweep on the current hub (once per process)."""
    global _timer
    if _hub is None:
        bind_hub()
    if _timer is not None:
        _timer.stop()
    _timer = _loop.timer(tick, tick)
    _timer.start(_sweep)


def stop_watchdog() -> None:
    global _timer
    if _timer is not None:
        _timer.stop()
        _timer = None


class Channel:
    """One connected socket: ``recv``/``send_all`` that wait on the hub with deadlines."""

    __slots__ = ("sock", "fd", "_rw", "_ww", "_reader", "_waiter", "deadline", "wait_what",
                 "input_pending", "closed", "__weakref__")

    def __init__(self, sock: _socket.socket) -> None:
        if _hub is None:
            bind_hub()
        sock.setblocking(False)
        self.sock = sock
        self.fd = sock.fileno()
        self._rw = _loop.io(self.fd, 1)
        self._ww: Any = None
        self._reader: Any = None
        self._waiter: Any = None
        self.deadline = 0.0
        self.wait_what = ""
        self.input_pending = False
        self.closed = False
        _channels.add(self)

    # --- waiting -----------------------------------------------------------------------------

    def _on_readable(self) -> None:
        g = self._reader
        if g is None:
            # Nobody waits: level-triggered epoll would call us again on every loop iteration.
            self._rw.stop()
            self.input_pending = True
            return
        self._reader = None
        g.switch()

    def wait_readable(self, timeout: float, what: str = "read") -> None:
        rw = self._rw
        if not rw.active:
            if self.closed:
                raise ChannelClosed("channel closed")
            rw.start(self._on_readable)
        g = getcurrent()
        self._reader = g
        self._waiter = g
        self.deadline = _now + timeout
        self.wait_what = what
        try:
            _hub.switch()
        finally:
            self._reader = None
            self._waiter = None
        self.input_pending = False

    def _on_writable(self) -> None:
        self._ww.stop()
        g = self._waiter
        if g is not None:
            g.switch()

    def wait_writable(self, timeout: float, what: str = "write") -> None:
        if self.closed:
            raise ChannelClosed("channel closed")
        ww = self._ww
        if ww is None:
            ww = self._ww = _loop.io(self.fd, 2)
        g = getcurrent()
        self._waiter = g
        self.deadline = _now + timeout
        self.wait_what = what
        ww.start(self._on_writable)
        try:
            _hub.switch()
        finally:
            ww.stop()
            self._waiter = None

    # --- I/O ---------------------------------------------------------------------------------

    def recv(self, size: int, timeout: float, what: str = "read") -> bytes:
        """Up to ``size`` bytes; ``b""`` at end of stream. Tries the socket before waiting."""
        sock = self.sock
        while True:
            try:
                data = sock.recv(size)
                self.input_pending = False  # taken; a stopped watcher restarts at the next wait
                return data
            except BlockingIOError:
                pass
            self.wait_readable(timeout, what)

    def watch(self) -> None:
        """Keep the read watcher started while nobody reads (an idle pooled connection): input
        that arrives then, a close by the peer, sets ``input_pending``."""
        rw = self._rw
        if not rw.active and not self.closed and not self.input_pending:
            rw.start(self._on_readable)

    def recv_next(self, size: int, timeout: float, what: str = "read") -> bytes:
        """Like ``recv``, but waits first unless the read watcher saw input arrive meanwhile.

        For a client's next request: it is rarely there the moment the previous response went
        out, and a ``recv`` that fails costs a system call and an exception.
        """
        if self.input_pending:
            return self.recv(size, timeout, what)
        return self.recv_after_wait(size, timeout, what)

    def recv_after_wait(self, size: int, timeout: float, what: str = "read") -> bytes:
        """Like ``recv`` but waits first: for a reply that cannot be there yet (saves a system call)."""
        sock = self.sock
        while True:
            self.wait_readable(timeout, what)
            try:
                return sock.recv(size)
            except BlockingIOError:
                pass

    def send_all(self, data: bytes | bytearray | memoryview, timeout: float, what: str = "write") -> None:
        sock = self.sock
        try:
            n = sock.send(data)
        except BlockingIOError:
            n = 0
        if n == len(data):
            return
        view = memoryview(data)[n:]
        while view:
            self.wait_writable(timeout, what)
            try:
                n = sock.send(view)
            except BlockingIOError:
                continue
            view = view[n:]

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        _channels.discard(self)
        rw, ww = self._rw, self._ww
        rw.stop()
        rw.close()
        if ww is not None:
            ww.stop()
            ww.close()
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self) -> None:
        """Close with a reset (SO_LINGER 0): for connections in an unknown state."""
        if not self.closed:
            try:
                self.sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
        self.close()


def _is_ip(host: str) -> int:
    for family in (_socket.AF_INET, _socket.AF_INET6):
        try:
            _socket.inet_pton(family, host)
            return family
        except OSError:
            continue
    return 0


def _keepalive(sock: _socket.socket, period: float) -> None:
    if period <= 0:
        return
    secs = max(1, int(period))
    sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_KEEPALIVE, 1)
    if hasattr(_socket, "TCP_KEEPIDLE"):
        sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_KEEPIDLE, secs)
        sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_KEEPINTVL, secs)


def connect(host: str, port: int, timeout: float, keepalive: float = 0.0) -> Channel:
    """A connected ``Channel``. Raises ``IOTimeout`` or ``OSError`` (``gaierror`` for names).

    ``keepalive`` is the TCP keep-alive period (Go's dialer ``KeepAlive``, 0 for none)."""
    family = _is_ip(host)
    if family:
        addrs: list[tuple[int, Any]] = [(family, (host, port))]
    else:
        infos = _pysocket.getaddrinfo(host, port, 0, _socket.SOCK_STREAM)
        addrs = [(fam, addr) for fam, _, _, _, addr in infos]
    last: BaseException | None = None
    for fam, addr in addrs:
        sock = _socket.socket(fam, _socket.SOCK_STREAM)
        try:
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            _keepalive(sock, keepalive)
        except OSError:
            pass
        ch = Channel(sock)
        try:
            err = sock.connect_ex(addr)
            if err == errno.EINPROGRESS:
                ch.wait_writable(timeout, "connect")
                err = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR)
            if err:
                raise OSError(err, f"connect to {host}:{port}: {errno.errorcode.get(err, err)}")
            return ch
        except BaseException as e:
            ch.close()
            last = e
            if not isinstance(e, OSError) or isinstance(e, IOTimeout):
                raise
    assert last is not None
    raise last


class Listener:
    """A listening socket that greenlets accept from."""

    __slots__ = ("sock", "ch")

    def __init__(self, sock: _socket.socket) -> None:
        self.sock = sock
        self.ch = Channel(sock)

    def accept(self, timeout: float) -> tuple[_socket.socket, Any] | None:
        """One connection, or ``None`` when none arrived within ``timeout``."""
        try:
            fd, addr = self.sock._accept()  # type: ignore[attr-defined]
        except BlockingIOError:
            try:
                self.ch.wait_readable(timeout, "accept")
            except IOTimeout:
                return None
            try:
                fd, addr = self.sock._accept()  # type: ignore[attr-defined]
            except (BlockingIOError, InterruptedError):
                return None
        return _socket.socket(self.sock.family, _socket.SOCK_STREAM, 0, fd), addr

    def accept_nowait(self) -> tuple[_socket.socket, Any] | None:
        try:
            fd, addr = self.sock._accept()  # type: ignore[attr-defined]
        except (BlockingIOError, InterruptedError):
            return None
        return _socket.socket(self.sock.family, _socket.SOCK_STREAM, 0, fd), addr

    def close(self) -> None:
        self.ch.close()

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
costs two attribute stores; the walk, a comparison per open channel per tick). A wait reads the
clock itself when it blocks (a tick-old clock would set deadlines short by up to a tick, more on a
loaded host); the sweep fires them to within one tick (``TICK``).

Writes use a plain ``send()`` loop: the first ``send`` usually takes everything, and a write
watcher is started only when the socket buffer is full.

TLS (https backends) is a ``TLSChannel``: the same socket, watchers and deadlines, with an
``ssl.SSLObject`` over two memory BIOs in between (the socket stays ours, non-blocking, on the
hub: no gevent SSL socket, no extra greenlet). Ciphertext is read and written with the same
``recv``/``send`` loops as plain channels; plain channels pay nothing for it.
"""

from __future__ import annotations

import errno
import socket as _pysocket  # gevent-patched: used only for name resolution
import ssl
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
        self.deadline = refresh_now() + timeout
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
        self.deadline = refresh_now() + timeout
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


class TLSChannel(Channel):
    """A client-side TLS connection over a non-blocking socket (SNI and verification as the
    ``ssl.SSLContext`` says). ``handshake`` must run before any ``recv`` or ``send_all``."""

    __slots__ = ("tls", "incoming", "outgoing", "keeper")

    def __init__(self, sock: _socket.socket, context: ssl.SSLContext, server_hostname: str,
                 keeper: Any = None) -> None:
        super().__init__(sock)
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        # ``keeper.tls_session`` (a pool) holds the session that new connections resume; this
        # connection stores its own there once it has read data, when TLS 1.3 tickets arrived.
        self.keeper = keeper
        session = keeper.tls_session if keeper is not None else None
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=False,
                                    server_hostname=server_hostname, session=session)

    def _flush(self, timeout: float, what: str) -> None:
        out = self.outgoing
        if out.pending:
            Channel.send_all(self, out.read(), timeout, what)

    def _fill(self, timeout: float, what: str) -> bool:
        """Feed ciphertext from the socket to the TLS object; False at the peer's end of stream."""
        data = Channel.recv(self, 65536, timeout, what)
        if not data:
            self.incoming.write_eof()
            return False
        self.incoming.write(data)
        return True

    def handshake(self, timeout: float) -> None:
        """Raises ``IOTimeout`` when it takes longer than ``timeout`` in all."""
        tls = self.tls
        end = _now + timeout
        while True:
            left = max(end - _now, 0.001)
            try:
                tls.do_handshake()
                self._flush(left, "TLS handshake")
                return
            except ssl.SSLWantReadError:
                self._flush(left, "TLS handshake")
                if not self._fill(left, "TLS handshake"):
                    raise ConnectionResetError(errno.ECONNRESET, "connection closed during the TLS handshake") from None

    def _keep_session(self) -> None:
        keeper = self.keeper
        self.keeper = None
        tls = self.tls
        session = tls.session
        # TLS 1.3 sessions resume by the ticket the server sends after the handshake.
        if session is not None and (session.has_ticket or tls.version() != "TLSv1.3"):
            keeper.tls_session = session

    def recv(self, size: int, timeout: float, what: str = "read") -> bytes:
        tls = self.tls
        while True:
            try:
                data = tls.read(size)
                if self.keeper is not None:
                    self._keep_session()
                return data
            except ssl.SSLWantReadError:
                pass
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""  # close_notify, or a close without it (Go accepts both at a message end)
            self._flush(timeout, what)  # a key update or a session ticket may want an answer
            if not self._fill(timeout, what):
                try:
                    return tls.read(size)
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError, ssl.SSLWantReadError):
                    return b""

    def recv_next(self, size: int, timeout: float, what: str = "read") -> bytes:
        return self.recv(size, timeout, what)

    def recv_after_wait(self, size: int, timeout: float, what: str = "read") -> bytes:
        return self.recv(size, timeout, what)

    def send_all(self, data: bytes | bytearray | memoryview, timeout: float, what: str = "write") -> None:
        tls = self.tls
        view = memoryview(data)
        while view:
            try:
                n = tls.write(view)
            except ssl.SSLWantReadError:
                self._flush(timeout, what)
                if not self._fill(timeout, what):
                    raise BrokenPipeError(errno.EPIPE, "the peer closed the TLS connection") from None
                continue
            view = view[n:]
            self._flush(timeout, what)


def _is_ip(host: str) -> int:
    for family in (_socket.AF_INET, _socket.AF_INET6):
        try:
            _socket.inet_pton(family, host)
            return family
        except OSError:
            continue
    return 0


def set_keepalive(sock: _socket.socket, period: float) -> None:
    """TCP keep-alive on ``sock``: probes after ``period`` seconds of silence and then every
    ``period`` seconds (Go's ``KeepAlive``; the kernel's probe count, 9); 0 turns nothing on."""
    if period <= 0:
        return
    secs = max(1, int(period))
    sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_KEEPALIVE, 1)
    if hasattr(_socket, "TCP_KEEPIDLE"):
        sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_KEEPIDLE, secs)
        sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_KEEPINTVL, secs)


def connect(host: str, port: int, timeout: float, keepalive: float = 0.0,
            tls: ssl.SSLContext | None = None, tls_timeout: float = 0.0,
            session_keeper: Any = None) -> Channel:
    """A connected ``Channel``. Raises ``IOTimeout`` or ``OSError`` (``gaierror`` for names,
    ``ssl.SSLError`` for a failed handshake).

    ``keepalive`` is the TCP keep-alive period (Go's dialer ``KeepAlive``, 0 for none). With
    ``tls``, a ``TLSChannel`` whose handshake (SNI ``host``) completed within ``tls_timeout``,
    resuming the session of ``session_keeper.tls_session`` (see ``TLSChannel``)."""
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
            set_keepalive(sock, keepalive)
        except OSError:
            pass
        ch = Channel(sock) if tls is None else TLSChannel(sock, tls, host, session_keeper)
        try:
            err = sock.connect_ex(addr)
            if err == errno.EINPROGRESS:
                ch.wait_writable(timeout, "connect")
                err = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR)
            if err:
                raise OSError(err, f"connect to {host}:{port}: {errno.errorcode.get(err, err)}")
            if isinstance(ch, TLSChannel):
                ch.handshake(tls_timeout)
            return ch
        except BaseException as e:
            ch.close()
            last = e
            if not isinstance(e, OSError) or isinstance(e, ssl.SSLError):
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

"""
Stand-ins for the services a fault takes away, on this machine's loopback only; used by the fault
table (tools/faults.py) and by the tests of the outbox and of a degraded cache.

- SmtpServer: one port that is "refusing" (nothing listens), "hanging" (accepts and never says a
  word, as a wedged server does) or "answering" (a real SMTP server, aiosmtpd, keeping what it got).
- TcpProxy: a port in front of a real server (PostgreSQL, Redis) that "forwards", "refuses" (closed
  port; open connections cut) or "hangs" (accepts and never answers; open connections cut).
"""

import contextlib
import socket
import threading
from email import message_from_bytes

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Hanging:
    """Accepts connections and never answers; cut() closes everything."""

    def __init__(self, port: int):
        self.listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self.listener.settimeout(0.2)
        self.accepted: list[socket.socket] = []
        self.count = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                connection, _address = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted.append(connection)
            self.count += 1

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.listener.close()
        for connection in self.accepted:
            connection.close()


class _Collect:
    def __init__(self, messages: list):
        self.messages = messages

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.original_content)))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.mode = "refusing"
        self.messages: list = []  # (recipients, email.message.Message), in arrival order
        self._hanging: _Hanging | None = None
        self._controller: Controller | None = None

    def set(self, mode: str) -> None:
        if mode == self.mode:
            return
        self._stop()
        if mode == "hanging":
            self._hanging = _Hanging(self.port)
        elif mode == "answering":
            self._controller = Controller(_Collect(self.messages), hostname="127.0.0.1", port=self.port)
            self._controller.start()
        self.mode = mode

    @property
    def connections_while_hanging(self) -> int:
        return self._hanging.count if self._hanging else 0

    def message_ids(self) -> list[str]:
        return [message["Message-ID"] for _recipients, message in self.messages]

    def _stop(self) -> None:
        if self._hanging:
            self._hanging.close()
            self._hanging = None
        if self._controller:
            self._controller.stop()
            self._controller = None

    def close(self) -> None:
        self._stop()
        self.mode = "refusing"


class TcpProxy:
    def __init__(self, target_port: int, port: int | None = None, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self.mode = "refusing"
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def set(self, mode: str) -> None:
        """'forwarding', 'refusing' (closed port) or 'hanging' (accepts, never answers)."""
        if mode == self.mode:
            return
        self._cut()
        self.mode = mode
        if mode in {"forwarding", "hanging"}:
            self._listener = socket.create_server(("127.0.0.1", self.port))
            self._listener.settimeout(0.2)
            self._thread = threading.Thread(target=self._accept, args=(self._listener, mode), daemon=True)
            self._thread.start()

    def _accept(self, listener: socket.socket, mode: str) -> None:
        while self.mode == mode and listener.fileno() != -1:
            try:
                client, _address = listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self._open.append(client)
            if mode == "forwarding":
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    client.close()
                    continue
                upstream.settimeout(None)
                with self._lock:
                    self._open.append(upstream)
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def _cut(self) -> None:
        listener, self._listener = self._listener, None
        self.mode = "refusing"
        if listener is not None:
            listener.close()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        with self._lock:
            connections, self._open = self._open, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def close(self) -> None:
        self._cut()

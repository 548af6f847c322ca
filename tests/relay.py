"""A TCP relay between one process and a shared service, which a test can cut or stall:
the network failures (a broker that is gone, or that stops answering) that the shared
service itself must never be put through."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field

from tests.stack import free_port


@dataclass
class Relay:
    target_port: int
    target_host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    mode: str = "up"  # up: relay; down: cut every connection, refuse new ones; stall: hold
    _sockets: set[socket.socket] = field(default_factory=set)
    _listener: socket.socket | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if self.mode == "down":
                client.close()
                continue
            try:
                upstream = socket.create_connection((self.target_host, self.target_port), 5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)  # the connect timeout, not one for an idle connection
            with self._lock:
                self._sockets.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                while self.mode == "stall":
                    time.sleep(0.02)  # bytes are held, as by a partition, until cut
                if self.mode == "down":
                    break
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            self._close(sock)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def down(self) -> None:
        """The service is gone: open connections are cut, new ones closed at once."""
        self.mode = "down"
        with self._lock:
            open_sockets = list(self._sockets)
        for sock in open_sockets:
            self._close(sock)

    def stall(self) -> None:
        """The service stops answering: connections stay open, nothing gets through."""
        self.mode = "stall"

    def up(self) -> None:
        self.mode = "up"

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        self.down()

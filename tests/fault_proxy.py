"""A fault-injecting HTTP proxy for tests: it sits between the Hub client and tests/hub_server.py.

Every request is forwarded to the upstream server unless a rule matches it (by method and a regex on
the path, for a number of times): then the proxy answers as a failing network or Hub would.

* ``500`` / ``503`` / ``429``: that status with a JSON error, without forwarding.
* ``echo``: a 500 whose body and ``X-Error-Message`` quote the request's headers, ``Authorization``
  included, as a misconfigured server or proxy may: what the client makes of it must not leak the token.
* ``reset``: the connection closed with a TCP reset before any answer.
* ``hang``: no answer for ``hang_s`` seconds (beyond the client's timeout), then a close.
* ``truncate``: the upstream answer with its full ``Content-Length``, but only half the body.
* ``html``: the upstream status and headers, with the body replaced by an HTML error page of the same
  length: it passes every size check, only a hash check catches it.

With ``after=True`` the request is forwarded first, so the upstream acts on it (a commit lands), and the
fault then replaces the answer: the client sees a failure of a write that happened.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import struct
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from tests.hub_server import read_body

Kind = Literal["500", "503", "429", "echo", "reset", "hang", "truncate", "html"]
KINDS: tuple[Kind, ...] = ("500", "503", "429", "echo", "reset", "hang", "truncate", "html")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


@dataclass
class Fault:
    kind: Kind
    method: str = "*"  # "*" or an HTTP method
    path: str = ".*"  # a regex searched in the request path (without the query)
    times: int | None = 1  # how many matching requests get the fault; None: all of them
    after: bool = False  # forward first, then fail the answer
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        left = self.times is None or self.hits < self.times
        return left and self.method in ("*", method) and re.search(self.path, path) is not None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    proxy: FaultProxy


class FaultProxy:
    """Use as a context manager; ``inject`` rules, read ``log`` (method, path, fault kind or None)."""

    def __init__(self, upstream: str, *, hang_s: float = 3.0) -> None:
        split = urlsplit(upstream)
        self.upstream_host, self.upstream_port = split.hostname or "127.0.0.1", split.port or 80
        self.hang_s = hang_s
        self.url = ""
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, str | None]] = []
        self._lock = threading.Lock()
        self._released = threading.Event()  # ends every hang at stop()
        self._httpd: _Server | None = None

    def inject(self, kind: Kind, method: str = "*", path: str = ".*", *, times: int | None = 1, after: bool = False):
        fault = Fault(kind, method, path, times, after)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first rule matching this request, now used once; None to forward it untouched."""
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    self.log.append((method, path, fault.kind))
                    return fault
            self.log.append((method, path, None))
            return None

    def __enter__(self) -> FaultProxy:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.proxy = self
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    disable_nagle_algorithm = True
    server: _Server
    _ERRORS: ClassVar[dict[str, int]] = {"500": 500, "503": 503, "429": 429, "echo": 500}

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def _handle(self) -> None:
        body = read_body(self)
        proxy = self.server.proxy
        fault = proxy.take(self.command, urlsplit(self.path).path)
        if fault is None or fault.after or fault.kind in ("truncate", "html"):
            status, headers, payload = self._forward(body)
        if fault is None:
            return self._send(status, headers, payload)
        kind = fault.kind
        if kind == "reset":
            return self._reset()
        if kind == "hang":
            proxy._released.wait(proxy.hang_s)
            self.close_connection = True
            return None
        if kind in self._ERRORS:
            message = "Internal Error" if kind != "echo" else f"bad request; headers were {dict(self.headers)}"
            error = json.dumps({"error": message}).encode()
            safe = " ".join(message.split()).encode("ascii", "replace").decode()
            return self._send(
                self._ERRORS[kind], [("Content-Type", "application/json"), ("X-Error-Message", safe)], error
            )
        if kind == "truncate":
            return self._send(status, headers, payload, cut=len(payload) // 2)
        page = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
        html = (page * (len(payload) // len(page) + 1))[: len(payload)]
        kept = [(k, v) for k, v in headers if k.lower() != "content-type"] + [("Content-Type", "text/html")]
        return self._send(status, kept, html)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        proxy = self.server.proxy
        connection = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP | {"host"}}
            headers["Content-Length"] = str(len(body))
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP | {"content-length"}]
            return response.status, kept, payload
        finally:
            connection.close()

    def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes, *, cut: int | None = None) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload if cut is None else payload[:cut])
        if cut is not None:  # a clean close after half the body: the client sees it end early
            self.close_connection = True

    def _reset(self) -> None:
        """Close with a TCP RST (SO_LINGER 0), as a dropped connection looks to the client."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

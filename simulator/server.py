"""The HTTP side: the simulator object tests start, its server (plain HTTP or TLS), and the request
handler that parses each request, records it, plays the faults and hands it to the endpoints."""

import json
import logging
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import wire
from .browser import AgentBrowser
from .control import CONTROL_PREFIX, control
from .legacy import LegacyApi
from .rest import RestApi
from .state import Credentials, SimulatorState
from .wire import Reply, Request

_logger = logging.getLogger(__name__)

LOOPBACK_HOSTS = ('127.0.0.1', 'localhost', '::1')
REST_PREFIX = '/ameyorestapi/'
# a client gone away, a TLS handshake refused
QUIET_ERRORS = (ConnectionError, TimeoutError, ssl.SSLError)


class AmeyoSimulator(AgentBrowser, SimulatorState):
    """An Ameyo server double on loopback. See the package docstring for the endpoints.

    ``ssl_context`` (a server-side ``ssl.SSLContext`` with its certificate loaded) serves HTTPS
    instead of HTTP, as an Ameyo server behind an internal CA does. ``recording_delay`` and
    ``recording_failure_share``: when and how its own calls' recordings exist (package docstring).
    The other keywords are the credentials Ameyo checks (see ``Credentials``)."""

    def __init__(
        self,
        host: str = '127.0.0.1',
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
        log_requests: bool = False,
        recording_delay: float = 0.0,
        recording_failure_share: float = 0.0,
        **credentials,
    ):
        if host not in LOOPBACK_HOSTS:
            raise ValueError(
                f'AmeyoSimulator listens on loopback only ({", ".join(LOOPBACK_HOSTS)}), not '
                f'{host!r}'
            )
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.log_requests = log_requests
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        super().__init__(Credentials(**credentials), recording_delay, recording_failure_share)
        self.rest_api = RestApi(self)
        self.legacy_api = LegacyApi(self)

    def start(self) -> 'AmeyoSimulator':
        """Serve in a daemon thread (port 0 picks a free port)."""
        if self._server is not None:
            raise RuntimeError('the simulator is already running')
        server_class = _IPv6Server if self.host == '::1' else _Server
        bind_host = '127.0.0.1' if self.host == 'localhost' else self.host
        server = server_class((bind_host, self.port), _Handler)
        server.simulator = self
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, name='ameyo-simulator', daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket (idempotent)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> 'AmeyoSimulator':
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8899`` (``https://`` with an ``ssl_context``)."""
        host = '[::1]' if self.host == '::1' else '127.0.0.1'
        scheme = 'https' if self.ssl_context else 'http'
        return f'{scheme}://{host}:{self.port}'

    def serve(self, request: Request) -> Reply:
        """The answer of the Ameyo API to ``request``."""
        if request.path.startswith(REST_PREFIX):
            return self.rest_api.dispatch(request)
        if self.legacy_api.serves(request.path):
            return self.legacy_api.dispatch(request)
        return Reply(404, b'Not Found', 'text/plain')


def server_ssl_context(certfile: str, keyfile: str | None = None) -> ssl.SSLContext:
    """A server-side TLS context with the certificate chain of ``certfile`` (and its key)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    return context


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    simulator: AmeyoSimulator

    def finish_request(self, request, client_address):
        """Serve one connection; with TLS, the handshake runs in the connection's own thread."""
        context = self.simulator.ssl_context
        if context is None:
            super().finish_request(request, client_address)
            return
        with context.wrap_socket(request, server_side=True) as tls_connection:
            super().finish_request(tls_connection, client_address)

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], QUIET_ERRORS):
            # a timeout test, a dropped connection, a client refusing the certificate: nothing to
            # report
            return
        super().handle_error(request, client_address)


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    """Parses each request, applies faults, records it, and hands it to the simulator."""

    protocol_version = 'HTTP/1.1'
    server_version = 'Apache-Coyote/1.1'
    sys_version = ''
    server: _Server

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    def log_message(self, format, *args):
        """Silence http.server's own log; the simulator logs masked lines itself."""

    def _read_body(self) -> bytes:
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    self.rfile.readline()
                    return b''.join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length > 0 else b''

    def _handle(self):
        sim = self.server.simulator
        started = time.monotonic()
        body = self._read_body()
        split = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        path = split.path
        if path.startswith(CONTROL_PREFIX):
            status, answer = control(sim, self.command, path, _json_or_none(body))
            self._send(wire.json_reply(answer, status))
            return

        form = None
        if 'application/x-www-form-urlencoded' in (self.headers.get('Content-Type') or '').lower():
            parsed = urllib.parse.parse_qs(body.decode('utf-8', 'replace'), keep_blank_values=True)
            form = {key: values[0] for key, values in parsed.items()}
        request = Request(
            self.command,
            path,
            query,
            self.headers,
            body,
            form,
            _json_or_none(body) if form is None else None,
        )
        target = path + ('?' + split.query if split.query else '')
        record = sim.record(request, target)
        # (host, port): which process sent it (the scale bench's failover)
        record['client'] = self.client_address
        try:
            self._serve(request, target, record, started)
        finally:
            sim.request_done(record)

    def _serve(self, request: Request, target: str, record: dict, started: float) -> None:
        """Answer a recorded request to the Ameyo API, playing the fault it matches."""
        sim = self.server.simulator
        path, query = request.path, request.query
        fault = sim.take_fault(target)
        reply = None
        if fault is not None and fault.carry_out:
            reply = self._dispatch(request)  # Ameyo does the work; what reaches Odoo is the fault's
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                self._drop()
                self._log(path, query, None, started)
                if reply is not None and reply.after is not None:
                    reply.after()
                return
        if fault is not None and (fault.status is not None or fault.body is not None):
            carried, reply = (
                reply,
                wire.forced_reply(fault.status, fault.body, fault.content_type, fault.chunked),
            )
            reply.after = carried.after if carried is not None else None
        elif reply is None:
            reply = self._dispatch(request)
        record['status'] = reply.status
        self._send(reply)
        self._log(path, query, reply.status, started)
        if reply.after is not None:
            reply.after()

    def _dispatch(self, request: Request) -> Reply:
        try:
            return self.server.simulator.serve(request)
        # a bug in the double answers like Tomcat, and its traceback goes to the log
        except Exception:
            _logger.exception('the simulator failed on %s %s', request.method, request.path)
            return wire.html_reply(wire.HTML_500, 500)

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status, wire.REASONS.get(reply.status))
            self.send_header('Content-Type', reply.content_type)
            if reply.chunked:
                self.send_header('Transfer-Encoding', 'chunked')
            else:
                self.send_header('Content-Length', str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != 'HEAD' and reply.chunked:
                for start in range(0, len(reply.body), 16384):
                    piece = reply.body[start : start + 16384]
                    self.wfile.write(b'%x\r\n%s\r\n' % (len(piece), piece))
                self.wfile.write(b'0\r\n\r\n')
            elif self.command != 'HEAD':
                self.wfile.write(reply.body)
            self.wfile.flush()
        except QUIET_ERRORS:
            self.close_connection = True

    def _drop(self) -> None:
        """Close the connection without writing a byte."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError as error:
            _logger.debug('dropping a connection the client already closed: %s', error)

    def _log(self, path: str, query: dict, status: int | None, started: float) -> None:
        if not self.server.simulator.log_requests:
            return
        elapsed = (time.monotonic() - started) * 1000
        outcome = 'dropped' if status is None else str(status)
        _logger.info('%s -> %s (%.0f ms)', wire.mask_target(path, query), outcome, elapsed)


def _json_or_none(body: bytes):
    """The JSON value of a body, or None when it is empty or not JSON."""
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None

"""How a request reaches Ameyo: the one place that sends it.

One HTTP session per client, explicit timeouts, TLS verification as the server record says,
retries only for transient failures of requests that a retry cannot turn against another call,
bodies read within a size cap, and transport failures turned into :class:`AmeyoError` with a
translated message (never the exception's text: it holds the URL).

Nothing here logs a header, a body, a query string or an exception text: Ameyo's URLs and
bodies carry session ids and tokens. Log lines name the API, the HTTP status, the elapsed
time and Ameyo's reason, masked and without any credential the client sent.
"""

import io
import logging
import os
import re
import time
from urllib.parse import urlsplit, urlunsplit

import requests

from .answers import ameyo_reason, is_transient_answer, read_response, starts_like_audio
from .errors import AmeyoError

_logger = logging.getLogger(__name__)

# How much of a streamed answer that is not audio is read (enough to say why), in chunks of this
# size.
MAX_ERROR_BODY_BYTES = 64 * 1024
STREAM_CHUNK_BYTES = 64 * 1024
RETRY_DELAYS = (0.5, 1.5)
# The roots of Ameyo's own APIs, which the client appends to the base URL: a base URL pasted with
# one of them (http://host:8888/ameyorestapi/, or a whole API URL) would double it on every request
# (a 404).
API_ROOT_RE = re.compile(r'/(?:ameyorestapi|ameyowebaccess|dacx)(?:/.*)?$', re.IGNORECASE)


def normalize_base_url(url):
    """``url`` as the base the client appends Ameyo's API paths to: without the trailing slash, and
    without an Ameyo API path and what follows it (its query too). A path before it stays: the
    prefix a reverse proxy may publish Ameyo under (``https://gateway.example.com/ameyo``)."""
    url = url.strip()
    parts = urlsplit(url)
    path = parts.path.rstrip('/')
    match = API_ROOT_RE.search(path)
    if not match:
        return urlunsplit(parts._replace(path=path))
    return urlunsplit((parts.scheme, parts.netloc, path[: match.start()].rstrip('/'), '', ''))


class AmeyoTransport:
    """Sends requests to one Ameyo server, as its ``ameyo.server`` record (read with sudo)
    configures."""

    def __init__(self, server):
        server.ensure_one()
        self.env = server.env
        self.server = server
        self.base_url = server.base_url.rstrip('/')
        self.timeout = server.timeout or 10
        if not server.verify_tls:
            self.verify = False
        else:
            self.verify = server.ca_bundle or True
        self.session = requests.Session()
        # Every credential this client sends, scrubbed from any text it logs or shows.
        self._secrets = {
            value
            for value in (
                server.hash_key,
                server.dispose_token,
                server.admin_password,
                server.url_token,
            )
            if value
        }

    # ------------------------------------------------------------------
    # Credentials
    # ------------------------------------------------------------------

    def add_secret(self, value):
        """Remember a credential the client sends (a password, a session id): never logged, never
        shown."""
        if value:
            self._secrets.add(value)

    def scrub(self, text):
        """Return ``text`` without any credential this client sent (Ameyo may echo them)."""
        if not text:
            return text
        for secret in sorted(self._secrets, key=len, reverse=True):
            if len(secret) >= 4:
                text = text.replace(secret, '***')
        return text

    def token_headers(self):
        """The token-policy headers (hash key, policy name, requesting host) of the server."""
        server = self.server
        if not server.hash_key:
            raise AmeyoError(
                self.env._(
                    "The Ameyo server %(server)s has no hash key: set it on the server's "
                    "Credentials tab.",
                    server=server.name,
                ),
                kind='auth',
                sent=False,
            )
        return {
            'hash-key': server.hash_key,
            'policy-name': server.policy_name or 'token-based-authorization-policy',
            'requesting-host': server.requesting_host or '',
        }

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    def send(
        self,
        api,
        method,
        path,
        *,
        headers=None,
        params=None,
        json_body=None,
        form=None,
        idempotent=False,
        max_bytes=None,
    ):
        """Send one request and return an :class:`~.answers.AmeyoResponse`.

        A request that never reached Ameyo (connection refused, connect timeout) is
        sent again; one that may have reached it (read timeout, dropped connection,
        502/503/504, Ameyo's transient login 512) only when ``idempotent``, i.e. when
        sending it twice cannot act on another call. Transport failures raise
        :class:`AmeyoError`; HTTP errors are returned for the caller to interpret.

        ``max_bytes`` streams the body (voice logs): at most that many bytes, all of them within
        the server's timeout (see :meth:`_read_capped`).
        """
        url = f'{self.base_url}{path}'
        self._secrets.update(value for value in (headers or {}).values() if value)
        attempts = 1 + len(RETRY_DELAYS)
        for attempt in range(attempts):
            last_attempt = attempt + 1 == attempts
            started = time.monotonic()
            try:
                try:
                    raw = self.session.request(
                        method,
                        url,
                        headers=headers,
                        params=params,
                        json=json_body,
                        data=form,
                        timeout=self.timeout,
                        verify=self.verify,
                        allow_redirects=False,
                        stream=max_bytes is not None,
                    )
                except requests.exceptions.RequestException as exc:
                    raise self._transport_error(exc) from None
                # a missing CA bundle, a bad header: the caller gets a message
                except Exception as exc:  # noqa: BLE001
                    raise self._unexpected_error(exc, answered=False) from None
                try:
                    response = self._read(raw, max_bytes, started)
                except AmeyoError:
                    raise
                except requests.exceptions.RequestException as exc:
                    raise self._transport_error(exc) from None
                except Exception as exc:  # noqa: BLE001 (Ameyo answered, Odoo could not read it)
                    raise self._unexpected_error(exc, answered=True) from None
            except AmeyoError as error:
                self._log(api, None, started, error.kind)
                # Nothing reached Ameyo: any request may be sent again. Otherwise only idempotent
                # ones.
                if last_attempt or not error.transient or (error.sent and not idempotent):
                    raise
            else:
                self._log(api, response, started)
                if last_attempt or not (is_transient_answer(response) and idempotent):
                    return response
            time.sleep(RETRY_DELAYS[attempt])
        raise AssertionError('unreachable')  # pragma: no cover

    def _read(self, raw, max_bytes, started):
        try:
            if max_bytes is not None:
                raw._content = self._read_capped(raw, max_bytes, started)
            return read_response(raw)
        finally:
            raw.close()

    def _read_capped(self, raw, max_bytes, started):
        """Read a streamed body into one buffer (never held twice): at most ``max_bytes``, all of it
        within the server's timeout from the request's start; of a body that is not audio, only its
        first ``MAX_ERROR_BODY_BYTES`` (enough to say why), whatever its ``Content-Type`` claims."""
        declared = raw.headers.get('Content-Length') or ''
        if declared.isdigit() and int(declared) > max_bytes:
            raise self._too_large(max_bytes)
        buffer = io.BytesIO()
        head, audio = b'', None
        for chunk in raw.iter_content(STREAM_CHUNK_BYTES):
            if buffer.tell() + len(chunk) > max_bytes:
                raise self._too_large(max_bytes)
            buffer.write(chunk)
            if time.monotonic() - started > self.timeout:
                raise AmeyoError(
                    self.env._(
                        "Ameyo server %(server)s did not send the whole recording within "
                        "%(timeout)s s.",
                        server=self.server.name,
                        timeout=self.timeout,
                    ),
                    kind='timeout',
                    transient=True,
                )
            if audio is None:
                head += chunk[:16]
                if len(head) >= 12:
                    audio = starts_like_audio(head[:16])
            if audio is False and buffer.tell() >= MAX_ERROR_BODY_BYTES:
                break
        return buffer.getvalue()

    def _too_large(self, max_bytes):
        return AmeyoError(
            self.env._(
                "Ameyo sent a recording larger than %(size)s MB: it was not stored.",
                size=round(max_bytes / (1024 * 1024), 2),
            ),
            kind='bad_response',
        )

    # ------------------------------------------------------------------
    # Failures and logs
    # ------------------------------------------------------------------

    def _transport_error(self, exc):
        """Map a ``requests`` exception to an :class:`AmeyoError` (never quoting it: it holds the
        URL)."""
        server = self.server.name
        if isinstance(exc, requests.exceptions.SSLError):
            return AmeyoError(
                self.env._(
                    "The TLS certificate of Ameyo server %(server)s is not trusted. Install its CA "
                    "bundle on the Odoo server and set its path on the server record.",
                    server=server,
                ),
                kind='tls',
                sent=False,
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return AmeyoError(
                self.env._(
                    "Ameyo server %(server)s did not accept the connection within %(timeout)s s.",
                    server=server,
                    timeout=self.timeout,
                ),
                kind='timeout',
                sent=False,
                transient=True,
            )
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return AmeyoError(
                self.env._(
                    "Ameyo server %(server)s did not answer within %(timeout)s s; the request may "
                    "or may not have been carried out.",
                    server=server,
                    timeout=self.timeout,
                ),
                kind='timeout',
                transient=True,
                outcome_unknown=True,
            )
        if isinstance(exc, requests.exceptions.ConnectionError) and _connection_was_established(
            exc
        ):
            return AmeyoError(
                self.env._(
                    "Ameyo server %(server)s closed the connection without answering; the request "
                    "may or may not have been carried out.",
                    server=server,
                ),
                kind='unreachable',
                transient=True,
                outcome_unknown=True,
            )
        if isinstance(exc, requests.exceptions.ConnectionError):
            return AmeyoError(
                self.env._(
                    "Ameyo server %(server)s is unreachable at %(url)s (connection refused or "
                    "unknown host).",
                    server=server,
                    url=self.base_url,
                ),
                kind='unreachable',
                sent=False,
                transient=True,
            )
        if isinstance(
            exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
        ):
            return self._unexpected_error(exc, answered=True)
        return AmeyoError(
            self.env._(
                "The request to Ameyo server %(server)s failed: %(error)s.",
                server=server,
                error=type(exc).__name__,
            ),
            kind='unreachable',
            sent=False,
        )

    def _unexpected_error(self, exc, answered):
        """Map any other failure to an :class:`AmeyoError` with a plain message (never the
        exception's text).

        ``answered``: Ameyo answered and Odoo could not read the answer, so the outcome is unknown.
        """
        server = self.server.name
        if (
            isinstance(exc, OSError)
            and isinstance(self.verify, str)
            and not os.path.isfile(self.verify)
        ):
            return AmeyoError(
                self.env._(
                    "The CA bundle set on Ameyo server %(server)s is not on this Odoo server: "
                    "check its CA Bundle Path.",
                    server=server,
                ),
                kind='tls',
                sent=False,
            )
        _logger.warning(
            "Ameyo server %s: unexpected %s while %s",
            self.server.id,
            type(exc).__name__,
            'reading the answer' if answered else 'sending the request',
        )
        if answered:
            return AmeyoError(
                self.env._(
                    "Ameyo server %(server)s answered, but Odoo could not read the answer "
                    "(%(error)s); the request may or may not have been carried out.",
                    server=server,
                    error=type(exc).__name__,
                ),
                kind='bad_response',
                outcome_unknown=True,
            )
        # raised inside the HTTP library: whether anything reached Ameyo is not known
        return AmeyoError(
            self.env._(
                "Odoo could not send the request to Ameyo server %(server)s (%(error)s).",
                server=server,
                error=type(exc).__name__,
            ),
            kind='unreachable',
            outcome_unknown=True,
        )

    def _log(self, api, response, started, error_kind=None):
        elapsed = (time.monotonic() - started) * 1000
        if response is None:
            _logger.warning(
                "Ameyo %s on server %s: %s after %.0f ms", api, self.server.id, error_kind, elapsed
            )
        elif response.status >= 400:
            _logger.warning(
                "Ameyo %s on server %s: HTTP %s in %.0f ms (%s)",
                api,
                self.server.id,
                response.status,
                elapsed,
                self.scrub(ameyo_reason(response)) or 'no reason given',
            )
        else:
            _logger.info(
                "Ameyo %s on server %s: HTTP %s in %.0f ms",
                api,
                self.server.id,
                response.status,
                elapsed,
            )


def _connection_was_established(exc):
    """Tell a dropped connection (request possibly received) from one that was never opened."""
    text = repr(exc.args[0]) if exc.args else ''
    never_opened = (
        'NewConnectionError',
        'Connection refused',
        'Name or service not known',
        'nodename nor servname',
        'Failed to resolve',
        'No route to host',
        'Network is unreachable',
    )
    return not any(marker in text for marker in never_opened)

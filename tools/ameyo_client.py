"""The one place through which Odoo calls Ameyo.

Every outbound request to an Ameyo server goes through :class:`AmeyoClient`:
explicit timeouts, TLS verification as the server record says, the
authentication each API wants (token-policy headers, the agent's ``sessionId``,
the dispose token), retries only for transient failures of requests that a
retry cannot turn against another call, responses read whatever their shape
(JSON, plain text, HTML, audio), and failures turned into :class:`AmeyoError`
with a translated message that carries Ameyo's own reason.

Nothing here logs a header, a body, a query string or an exception text:
Ameyo's URLs and bodies carry session ids and tokens. Log lines name the API,
the HTTP status, the elapsed time and Ameyo's reason (masked).
"""

import codecs
import io
import json
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass

import requests

from odoo.exceptions import UserError

from .log_masking import mask_secrets

_logger = logging.getLogger(__name__)

# Public samples keep requestId within 21 characters (reference 1.5).
REQUEST_ID_LENGTH = 20
# Default size cap of a voice log (the server record sets its own); how much of a non-audio answer is read.
MAX_VOICE_LOG_BYTES = 64 * 1024 * 1024
MAX_ERROR_BODY_BYTES = 64 * 1024
STREAM_CHUNK_BYTES = 64 * 1024
RETRY_DELAYS = (0.5, 1.5)
TRANSIENT_STATUSES = {502, 503, 504}
# Ameyo's login can fail transiently while it fetches user info (reference 1.8).
TRANSIENT_MESSAGES = {'SessionService.login.failed.not.able.to.fetch.user.info'}
# The ways Ameyo's APIs are known to say "done": plain text (quoted or not), or JSON result/status.
SUCCESS_WORDS = {'ok', 'success', 'dispose successfully'}
FAILURE_WORDS = {'error', 'failure', 'failed', 'fail'}
# Plain-text failures of the legacy APIs ("Invalid session Id", "Invalid crtObjectId",
# "Disposition code not in plan", "Call already disposed"), and any text that says it failed.
_FAILURE_TEXT_RE = re.compile(
    r'^invalid\b|\bnot in (?:the )?plan\b|\balready disposed\b|\b(?:error|exception|fail(?:ed|ure)?)\b', re.I)
_HTML_TITLE_RE = re.compile(r'<title[^>]*>(.*?)</title>|<h1[^>]*>(.*?)</h1>', re.I | re.S)
_TAG_RE = re.compile(r'<[^>]+>')


def new_request_id():
    """Return a fresh requestId: 20 hex characters, unique enough, within Ameyo's 21."""
    return uuid.uuid4().hex[:REQUEST_ID_LENGTH]


class AmeyoError(UserError):
    """A failed call to Ameyo, with a message fit for the agent.

    ``kind`` says what went wrong: ``unreachable``, ``timeout``, ``tls``,
    ``auth`` (token or session rejected), ``refused`` (Ameyo said no, with a
    reason), ``server`` (5xx or HTML error page), ``bad_response``.
    ``reason`` is Ameyo's own words, when it gave any. ``sent`` tells whether
    the request may have reached Ameyo. ``outcome_unknown`` tells that it may
    have been carried out although Odoo has no answer it can read as such: a
    read timeout, a connection dropped after sending, a gateway's 502/503/504,
    an answer that is neither a known success nor a known failure.
    """

    def __init__(self, message, *, kind, reason=None, status=None, sent=True, transient=False,
                 outcome_unknown=False):
        super().__init__(message)
        self.kind = kind
        self.reason = reason
        self.status = status
        self.sent = sent
        self.transient = transient
        self.outcome_unknown = outcome_unknown


@dataclass
class AmeyoResponse:
    """What Ameyo answered, read once whatever its shape."""
    status: int
    content_type: str
    body: bytes
    data: object = None          # parsed JSON, when the body is JSON
    text: str = ''               # the body as text (empty for binary)

    @property
    def is_html(self):
        return 'html' in self.content_type or self.text.lstrip()[:15].lower().startswith(('<!doctype', '<html'))


def read_response(response):
    """Return an :class:`AmeyoResponse` for a ``requests`` response, parsing JSON when it is JSON."""
    content_type = (response.headers.get('Content-Type') or '').split(';')[0].strip().lower()
    body = response.content or b''
    result = AmeyoResponse(status=response.status_code, content_type=content_type, body=body)
    if content_type.startswith(('audio/', 'application/octet-stream')):
        return result
    result.text = body.decode(_known_encoding(response.encoding), errors='replace') if body else ''
    stripped = result.text.strip()
    if stripped[:1] in ('{', '[') or stripped == 'null':
        try:
            result.data = json.loads(stripped)
        except ValueError:
            result.data = None
    return result


def _known_encoding(name):
    """The charset an answer declares when Python knows it, else UTF-8 (a wrong label must not lose the answer)."""
    try:
        return codecs.lookup(name).name if name else 'utf-8'
    except LookupError:
        return 'utf-8'


def dispose_answer(response):
    """Read an answer whose shape Ameyo does not pin down: ``'success'``, ``'failure'`` or None (not known).

    Success: HTTP 2xx with ``ok``, ``success`` or ``Dispose Successfully`` as plain text, quoted
    or not, or JSON whose ``result`` or ``status`` is one of them; in any case. Failure: any other
    HTTP status, JSON whose ``result`` or ``status`` says error or failure (or is an HTTP error
    code, as in the REST error envelope), an HTML page, a text that says it failed.
    """
    if not 200 <= response.status < 300:
        return 'failure'
    data = response.data
    if isinstance(data, dict):
        values = {str(key).lower(): value for key, value in data.items()}
        for key in ('result', 'status'):
            value = values.get(key)
            word = value.strip().lower() if isinstance(value, str) else None
            if word in SUCCESS_WORDS:
                return 'success'
            if word in FAILURE_WORDS or isinstance(value, int) and not isinstance(value, bool) and value >= 400:
                return 'failure'
        return None
    if data is not None:  # a JSON list or null: no shape Ameyo is known to answer a dispose with
        return None
    if response.is_html:
        return 'failure'
    text = response.text.strip().strip('"').strip().lower()
    if text in SUCCESS_WORDS:
        return 'success'
    if text and _FAILURE_TEXT_RE.search(text):
        return 'failure'
    return None


def ameyo_reason(response):
    """Return Ameyo's reason for a failure, from whichever error shape it used, or None."""
    data = response.data
    if isinstance(data, dict):
        # REST envelope {message, code, info, status}: message may be null, info is often the key.
        # Legacy {status: error, reason, details}; manual dial {result: failure, reason}.
        for key in ('reason', 'message', 'info', 'details', 'error'):
            value = data.get(key)
            if value and isinstance(value, str | int):
                parts = [str(value)]
                if key == 'message' and data.get('info') and data.get('info') != value:
                    parts.append(str(data['info']))
                return mask_secrets(' / '.join(parts))[:500]
        return None
    if response.is_html:
        match = _HTML_TITLE_RE.search(response.text)
        text = next((group for group in match.groups() if group), '') if match else ''
        body = _TAG_RE.sub(' ', response.text)
        # an uncaught Java exception shows its class name in the page body
        exception = re.search(r'\b(?:java|javax)\.[\w.]+(?:Exception|Error)\b', body)
        text = ' '.join(filter(None, (_TAG_RE.sub('', text).strip(), exception and exception.group(0))))
        return mask_secrets(text)[:300] or None
    text = response.text.strip()
    return mask_secrets(text)[:300] if text else None


class AmeyoClient:
    """Calls one Ameyo server, as its ``ameyo.server`` record configures.

    Build it with ``server._get_ameyo_client()``: the record is read with sudo
    by the server model (the secrets are for system admins only), after the
    caller authenticated whoever it acts for.
    """

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
        self._secrets = {value for value in (server.hash_key, server.dispose_token, server.admin_password,
                                             server.url_token) if value}

    # ------------------------------------------------------------------
    # Transport
    # ------------------------------------------------------------------

    def _token_headers(self):
        server = self.server
        if not server.hash_key:
            raise AmeyoError(
                self.env._("The Ameyo server %(server)s has no hash key: set it on the server's Credentials tab.",
                           server=server.name), kind='auth', sent=False)
        return {
            'hash-key': server.hash_key,
            'policy-name': server.policy_name or 'token-based-authorization-policy',
            'requesting-host': server.requesting_host or '',
        }

    def _send(self, api, method, path, *, headers=None, params=None, json_body=None, form=None,
                 idempotent=False, max_bytes=None):
        """Send one request and return an :class:`AmeyoResponse`.

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
                        method, url, headers=headers, params=params, json=json_body, data=form,
                        timeout=self.timeout, verify=self.verify, allow_redirects=False,
                        stream=max_bytes is not None)
                except requests.exceptions.RequestException as exc:
                    raise self._transport_error(exc) from None
                except Exception as exc:  # noqa: BLE001 (a missing CA bundle, a bad header: the caller gets a message)
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
                # Nothing reached Ameyo: any request may be sent again. Otherwise only idempotent ones.
                if last_attempt or not error.transient or (error.sent and not idempotent):
                    raise
            else:
                transient = response.status in TRANSIENT_STATUSES or (
                    response.status == 512 and isinstance(response.data, dict)
                    and response.data.get('message') in TRANSIENT_MESSAGES)
                self._log(api, response, started)
                if last_attempt or not (transient and idempotent):
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
        """Read a streamed body into one buffer (never held twice): at most ``max_bytes``, all of it within
        the server's timeout from the request's start; of a body that is not audio, only its first
        ``MAX_ERROR_BODY_BYTES`` (enough to say why), whatever its ``Content-Type`` claims."""
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
                raise AmeyoError(self.env._(
                    "Ameyo server %(server)s did not send the whole recording within %(timeout)s s.",
                    server=self.server.name, timeout=self.timeout), kind='timeout', transient=True)
            if audio is None:
                head += chunk[:16]
                if len(head) >= 12:
                    audio = _audio_start(head[:16])
            if audio is False and buffer.tell() >= MAX_ERROR_BODY_BYTES:
                break
        return buffer.getvalue()

    def _too_large(self, max_bytes):
        return AmeyoError(self.env._(
            "Ameyo sent a recording larger than %(size)s MB: it was not stored.",
            size=round(max_bytes / (1024 * 1024), 2)), kind='bad_response')

    def _transport_error(self, exc):
        """Map a ``requests`` exception to an :class:`AmeyoError` (never quoting it: it holds the URL)."""
        server = self.server.name
        if isinstance(exc, requests.exceptions.SSLError):
            return AmeyoError(self.env._(
                "The TLS certificate of Ameyo server %(server)s is not trusted. Install its CA bundle on the "
                "Odoo server and set its path on the server record.", server=server), kind='tls', sent=False)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return AmeyoError(self.env._(
                "Ameyo server %(server)s did not accept the connection within %(timeout)s s.",
                server=server, timeout=self.timeout), kind='timeout', sent=False, transient=True)
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return AmeyoError(self.env._(
                "Ameyo server %(server)s did not answer within %(timeout)s s; the request may or may not "
                "have been carried out.", server=server, timeout=self.timeout), kind='timeout', transient=True,
                outcome_unknown=True)
        if isinstance(exc, requests.exceptions.ConnectionError) and _connection_was_established(exc):
            return AmeyoError(self.env._(
                "Ameyo server %(server)s closed the connection without answering; the request may or may not "
                "have been carried out.", server=server), kind='unreachable', transient=True,
                outcome_unknown=True)
        if isinstance(exc, requests.exceptions.ConnectionError):
            return AmeyoError(self.env._(
                "Ameyo server %(server)s is unreachable at %(url)s (connection refused or unknown host).",
                server=server, url=self.base_url), kind='unreachable', sent=False, transient=True)
        if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
            return self._unexpected_error(exc, answered=True)
        return AmeyoError(self.env._(
            "The request to Ameyo server %(server)s failed: %(error)s.", server=server,
            error=type(exc).__name__), kind='unreachable', sent=False)

    def _unexpected_error(self, exc, answered):
        """Map any other failure to an :class:`AmeyoError` with a plain message (never the exception's text).

        ``answered``: Ameyo answered and Odoo could not read the answer, so the outcome is unknown.
        """
        server = self.server.name
        if isinstance(exc, OSError) and isinstance(self.verify, str) and not os.path.isfile(self.verify):
            return AmeyoError(self.env._(
                "The CA bundle set on Ameyo server %(server)s is not on this Odoo server: check its CA Bundle "
                "Path.", server=server), kind='tls', sent=False)
        _logger.warning("Ameyo server %s: unexpected %s while %s", self.server.id, type(exc).__name__,
                        'reading the answer' if answered else 'sending the request')
        if answered:
            return AmeyoError(self.env._(
                "Ameyo server %(server)s answered, but Odoo could not read the answer (%(error)s); the request "
                "may or may not have been carried out.", server=server, error=type(exc).__name__),
                kind='bad_response', outcome_unknown=True)
        # raised inside the HTTP library: whether anything reached Ameyo is not known
        return AmeyoError(self.env._(
            "Odoo could not send the request to Ameyo server %(server)s (%(error)s).", server=server,
            error=type(exc).__name__), kind='unreachable', outcome_unknown=True)

    def _log(self, api, response, started, error_kind=None):
        elapsed = (time.monotonic() - started) * 1000
        if response is None:
            _logger.warning("Ameyo %s on server %s: %s after %.0f ms", api, self.server.id, error_kind, elapsed)
        elif response.status >= 400:
            _logger.warning("Ameyo %s on server %s: HTTP %s in %.0f ms (%s)", api, self.server.id,
                            response.status, elapsed, self._reason(response) or 'no reason given')
        else:
            _logger.info("Ameyo %s on server %s: HTTP %s in %.0f ms", api, self.server.id, response.status, elapsed)

    # ------------------------------------------------------------------
    # Interpreting answers
    # ------------------------------------------------------------------

    def _scrub(self, text):
        """Return ``text`` without any credential this client sent (Ameyo may echo them)."""
        if not text:
            return text
        for secret in sorted(self._secrets, key=len, reverse=True):
            if len(secret) >= 4:
                text = text.replace(secret, '***')
        return text

    def _reason(self, response):
        return self._scrub(ameyo_reason(response))

    def _fail(self, api_label, response):
        """Raise the :class:`AmeyoError` that describes a failed answer."""
        reason = self._reason(response)
        if reason and reason.strip().strip('"').strip().lower() in SUCCESS_WORDS:
            reason = None  # never "Ameyo refused the dispose: success"
        server = self.server.name
        status = response.status
        reason_key = (reason or '').lower()
        if status in TRANSIENT_STATUSES:
            # a gateway or proxy in front of Ameyo gave up waiting: Ameyo may have done the work anyway
            raise AmeyoError(self.env._(
                "Ameyo server %(server)s did not answer %(api)s in time (HTTP %(status)s from a gateway); the "
                "request may or may not have been carried out.", server=server, api=api_label, status=status),
                kind='server', reason=reason, status=status, transient=True, outcome_unknown=True)
        if status in (401, 403) or 'invalid.session.id' in reason_key or 'invalid session id' in reason_key \
                or 'token' in reason_key and ('invalid' in reason_key or 'reject' in reason_key):
            message = self.env._(
                "Ameyo server %(server)s rejected the credentials of %(api)s: %(reason)s. Check the hash key and "
                "requesting host, the dispose token, or log in to Ameyo again.",
                server=server, api=api_label, reason=reason or self.env._("HTTP %s", status))
            kind = 'auth'
        elif response.is_html and status >= 500:
            # the page's title is for the log (Tomcat's "Error report ... NullPointerException"), not for agents
            message = self.env._("Ameyo server %(server)s had an internal error (HTTP %(status)s) on %(api)s.",
                                 server=server, status=status, api=api_label)
            kind = 'server'
        elif response.is_html:
            message = self.env._(
                "Ameyo server %(server)s answered %(api)s with a web page instead of data (HTTP %(status)s): "
                "check the base URL and the credentials.", server=server, api=api_label, status=status)
            kind = 'bad_response'
        elif reason and (status < 500 or status == 512 or isinstance(response.data, dict)):
            # 4xx, Ameyo's own 512, or any JSON reason: Ameyo understood the request and said no.
            message = self.env._("Ameyo refused %(api)s: %(reason)s", api=api_label, reason=reason)
            kind = 'refused'
        elif reason:
            message = self.env._("Ameyo server %(server)s failed on %(api)s (HTTP %(status)s): %(reason)s",
                                 server=server, api=api_label, status=status, reason=reason)
            kind = 'server'
        else:
            message = self.env._("Ameyo server %(server)s answered %(api)s with HTTP %(status)s and no reason.",
                                 server=server, api=api_label, status=status)
            kind = 'server' if status >= 500 else 'refused'
        raise AmeyoError(message, kind=kind, reason=reason, status=status)

    def _expect_json(self, api_label, response, types=(dict, list)):
        if response.status != 200 or not isinstance(response.data, types):
            self._fail(api_label, response)
        if isinstance(response.data, dict) and (
                response.data.get('status') == 'error' or response.data.get('result') == 'failure'):
            self._fail(api_label, response)
        return response.data

    def _expect_done(self, api_label, response, names_call):
        """Return when the answer is one of Ameyo's success shapes (:func:`dispose_answer`), else raise.

        An answer that is neither a known success nor a known failure is an unknown outcome when
        the request names no call (``disposeCallForUser``: it may have acted, and is never sent
        again), and a failure with Ameyo's words when it names the call (a resend is harmless).
        """
        answer = dispose_answer(response)
        if answer == 'success':
            return
        if answer is None and not names_call:
            raise AmeyoError(self.env._(
                "Ameyo answered %(api)s with %(answer)s, which is neither a success nor a failure Odoo knows: "
                "the request may or may not have been carried out.", api=api_label,
                answer=self._answer_summary(response)),
                kind='bad_response', reason=self._reason(response), status=response.status, outcome_unknown=True)
        if answer is None:
            raise AmeyoError(self.env._("Ameyo did not confirm %(api)s; it answered %(answer)s.", api=api_label,
                                        answer=self._answer_summary(response)),
                             kind='refused', reason=self._reason(response), status=response.status)
        self._fail(api_label, response)

    def _answer_summary(self, response):
        """A few words on an answer, fit for the agent: Ameyo's text (masked, short), never a web page."""
        if not response.text.strip():
            return self.env._("an empty answer (HTTP %s)", response.status)
        if response.is_html:
            return self.env._("a web page (HTTP %s)", response.status)
        return '"%s"' % self._scrub(mask_secrets(response.text.strip()))[:120]

    # ------------------------------------------------------------------
    # Sessions
    # ------------------------------------------------------------------

    def login(self, user_id, password):
        """Log ``user_id`` in to Ameyo and return his new ``sessionId``."""
        label = self.env._("login")
        self._secrets.add(password)
        if self.server.api_flavour == 'legacy':
            response = self._send('login', 'POST', '/ameyowebaccess/command', params={'command': 'login'},
                                  form={'data': json.dumps({'userId': user_id, 'password': password})},
                                  idempotent=True)
            data = self._expect_json(label, response, dict)
            session_id = data.get('sessionId')
        else:
            response = self._send('login', 'POST', '/ameyorestapi/userLogin/login', idempotent=True,
                                  json_body={'userId': user_id, 'token': password, 'forceLogin': True})
            data = self._expect_json(label, response, dict)
            session_id = (data.get('userSessionInfo') or {}).get('sessionId') or data.get('sessionId')
        if not session_id:
            raise AmeyoError(self.env._("Ameyo accepted the login of %(user)s but returned no session id.",
                                        user=user_id), kind='bad_response')
        self._secrets.add(session_id)
        return session_id

    def logout(self, session_id):
        """End an Ameyo session; failures are logged, never raised (the session expires anyway)."""
        self._secrets.add(session_id)
        try:
            if self.server.api_flavour == 'legacy':
                self._send('logout', 'POST', '/ameyowebaccess/command', params={'command': 'logout'},
                           form={'data': json.dumps({'sessionId': session_id})})
            else:
                self._send('logout', 'POST', '/ameyorestapi/session/userLogout', headers={'sessionId': session_id})
        except AmeyoError as error:
            _logger.info("Ameyo logout on server %s failed: %s", self.server.id, error.kind)

    def ping_session(self, session_id):
        """Return True when ``session_id`` is a live Ameyo session (legacy ``ping-session``)."""
        self._secrets.add(session_id)
        response = self._send('ping-session', 'POST', '/ameyowebaccess/command', params={'command': 'ping-session'},
                              form={'data': json.dumps({'sessionId': session_id, 'sessionPushSeqNo': '0'})},
                              idempotent=True)
        if response.status == 200 and isinstance(response.data, dict) and response.data.get('alive') is True:
            return True
        if response.status == 200 and isinstance(response.data, dict) and response.data.get('status') == 'error':
            return False
        self._fail(self.env._("session check"), response)

    # ------------------------------------------------------------------
    # Configuration reads (REST, with a session)
    # ------------------------------------------------------------------

    def get_assigned_campaigns(self, session_id):
        """Return ``[{campaignId, campaignName, campaignType, ...}]`` assigned to the session's user."""
        response = self._send('campaigns', 'GET', '/ameyorestapi/cc/campaigns/getAssigned',
                              headers={'sessionId': session_id}, idempotent=True)
        if response.status == 512 and isinstance(response.data, dict) \
                and response.data.get('message') == 'user.not.assigned.to.any.campaign':
            return []
        return self._expect_json(self.env._("the campaign list"), response, list)

    def get_disposition_codes(self, session_id, campaign_id):
        """Return ``[{dispositionCodeId, dispositionCodeName, dispositionClassId}]`` of a campaign."""
        response = self._send('disposition codes', 'GET', '/ameyorestapi/cc/dispositionCodes/getByCampaign',
                              headers={'sessionId': session_id}, idempotent=True,
                              params={'campaignId': campaign_id, 'info': 'false'})
        return self._expect_json(self.env._("the disposition plan of campaign %s", campaign_id), response, list)

    # ------------------------------------------------------------------
    # Dispose
    # ------------------------------------------------------------------

    def dispose_call_for_user(self, user_id, disposition_code, *, request_id, notes=None, callback_time=None,
                              self_callback=False, phone=None):
        """REST ``disposeCallForUser``: dispose whatever call ``user_id`` is on.

        It names no call, so it is never retried here: a retry after Ameyo's wrap
        timeout would dispose the agent's next call. The caller owns that decision.
        """
        server = self.server
        if not server.dispose_token:
            raise AmeyoError(self.env._(
                "The Ameyo server %(server)s has no dispose authorization token.", server=server.name),
                kind='auth', sent=False)
        params = {'isSelfCallback': bool(self_callback)}
        if callback_time:
            params['callbackTime'] = callback_time
        if phone:
            params['phone'] = phone
        body = {'userId': user_id, 'dispositionCodeName': disposition_code, 'dispositionParams': params,
                'requestId': request_id, 'notes': notes or ''}
        response = self._send('disposeCallForUser', 'POST', '/ameyorestapi/voice/disposeCallForUser',
                              headers={server.dispose_token_header or 'authorization': server.dispose_token},
                              json_body=body)
        self._expect_done(self.env._("the dispose"), response, names_call=False)

    def dispose_legacy(self, *, session_id, campaign_id, crt_object_id, user_crt_object_id, disposition_code,
                       phone=None, customer_id='-1', disposition_attribute=None, self_callback=None, user_id=None):
        """Legacy ``GET /dacx/dispose``: names the call, so a transient failure is retried."""
        self._secrets.add(session_id)
        params = {
            'phone': phone or '', 'campaignId': campaign_id, 'crtObjectId': crt_object_id,
            'userCrtObjectId': user_crt_object_id, 'customerId': customer_id or '-1',
            'dispositionCode': disposition_code, 'sessionId': session_id,
        }
        if disposition_attribute:
            params['dispositionAttr'] = disposition_attribute
        if self_callback is not None:
            params['selfCallback'] = 'true' if self_callback else 'false'
        if user_id:
            params['userId'] = user_id
        response = self._send('dacx/dispose', 'GET', '/dacx/dispose', params=params, idempotent=True)
        self._expect_done(self.env._("the dispose"), response, names_call=True)

    def dispose_and_manual_dial(self, *, session_id, campaign_id, crt_object_id, user_crt_object_id,
                                disposition_code, phone, request_id, customer_id='-1'):
        """REST ``disposeAndManualDial``: dispose the named call and dial ``phone``.

        It dials, so it is never retried here once it may have reached Ameyo (a read timeout, a dropped
        connection, a gateway's 502/503/504): a resend could dial the customer twice. Such a failure, or an
        answer Odoo does not know, leaves the outcome unknown; the caller never resends it on its own.
        """
        body = {
            'campaignContextId': _as_number(campaign_id),
            self.server._get_agent_leg_json_key(): user_crt_object_id,
            'crtObjectId': crt_object_id,
            'dispositionCode': disposition_code,
            'phone': phone,
            'customerId': str(customer_id or '-1'),
            'requestId': request_id,
        }
        response = self._send('disposeAndManualDial', 'POST', '/ameyorestapi/voice/disposeAndManualDial',
                              headers={'sessionId': session_id}, json_body=body)
        # names the call, but also dials: an answer Odoo does not know may hide a dial under way
        self._expect_done(self.env._("the dispose and redial"), response, names_call=False)

    # ------------------------------------------------------------------
    # Dial
    # ------------------------------------------------------------------

    def manual_dial(self, *, session_id, campaign_id, phone, request_id, user_crt_object_id=None,
                    customer_id=-1, additional_params=None, customer_record=None):
        """REST ``manualdial`` with the agent's session. Not retried: a retry could dial twice.

        Return Ameyo's answer (a dict; it may name the call's ``crtObjectId``).
        """
        self._secrets.add(session_id)
        body = {'campaignId': _as_number(campaign_id), 'phone': phone, 'customerId': customer_id,
                'shouldAddCustomer': True, 'requestId': request_id, 'additionalParams': additional_params}
        if customer_record:
            body['customerRecord'] = customer_record
        if user_crt_object_id:
            body[self.server._get_agent_leg_json_key()] = user_crt_object_id
        response = self._send('manualdial', 'POST', '/ameyorestapi/voice/manualdial',
                              headers={'sessionId': session_id}, json_body=body)
        return self._expect_dial(self.env._("the dial request"), response)

    def click_to_dial(self, *, user_id, campaign_id, phone, asynchronous=True, additional_params=None,
                      customer_record=None, should_add_customer=False):
        """``clickToDialWithTokenAsync`` (JSON body, as the vendor's sample) or the confirmed synchronous
        ``clickToDialWithToken`` (form field ``data``), with the token-policy headers. Not retried."""
        command = 'clickToDialWithTokenAsync' if asynchronous else 'clickToDialWithToken'
        data = {'userId': user_id, 'campaignId': str(campaign_id), 'phone': phone,
                'shouldAddCustomer': bool(should_add_customer)}
        if additional_params:
            data['additionalParams'] = additional_params
        if customer_record:
            data['customerRecord'] = customer_record
        if asynchronous:
            payload = {'json_body': data}
        else:
            payload = {'form': {'data': json.dumps(data)}}
        response = self._send(command, 'POST', '/ameyowebaccess/command/', params={'command': command},
                              headers=self._token_headers(), **payload)
        return self._expect_dial(self.env._("the dial request"), response)

    def _expect_dial(self, api_label, response):
        """Return Ameyo's answer to a dial when it says success (``{"result": "success"}``), else raise.

        An answer that is neither a known success nor a known failure leaves the outcome unknown: Ameyo
        may be dialing. The caller must not dial again on its own.
        """
        answer = dispose_answer(response)
        if answer == 'success':
            return response.data if isinstance(response.data, dict) else {'result': 'success'}
        if answer is None:
            raise AmeyoError(self.env._(
                "Ameyo answered %(api)s with %(answer)s, which is neither a success nor a failure Odoo knows: "
                "the call may or may not be placed.", api=api_label, answer=self._answer_summary(response)),
                kind='bad_response', reason=self._reason(response), status=response.status, outcome_unknown=True)
        self._fail(api_label, response)

    # ------------------------------------------------------------------
    # Recordings
    # ------------------------------------------------------------------

    def download_voice_log(self, crt_object_id, *, target_format='mp3', campaign_id=None, call_id=None,
                           session_id=None, api=None, max_bytes=None):
        """Return the recording of a call as ``(bytes, mimetype)``.

        ``api`` is ``'rest'`` (``GET /ameyorestapi/cc/downloadVoiceLog``: the agent's ``session_id`` in
        the ``sessionId`` header, else the token-policy headers) or ``'legacy'``
        (``GET /ameyowebaccess/command?command=downloadVoiceLog``: the token-policy headers, else the
        agent's session in ``data``); by default REST when a session is given. The body is streamed
        within ``max_bytes`` (default ``MAX_VOICE_LOG_BYTES``) and the server's timeout. A download
        that may have reached Ameyo is not resent here (a slow voice-log server would hold the worker
        for three timeouts): the caller's backoff asks again. Ameyo answers failures with HTTP 200 and
        a non-audio body (empty, ``null``, an HTML login page, JSON): the bytes are checked, not the
        ``Content-Type``, before anything is returned.
        """
        api = api or ('rest' if session_id else 'legacy')
        max_bytes = max_bytes or MAX_VOICE_LOG_BYTES
        if session_id:
            self._secrets.add(session_id)
        if api == 'rest':
            params = {'crtObjectId': crt_object_id, 'targetFormat': target_format}
            if campaign_id:
                params['campaignId'] = campaign_id
            if call_id:
                params['filters'] = json.dumps({'callId': call_id})
            headers = {'sessionId': session_id} if session_id else self._token_headers()
            response = self._send('downloadVoiceLog', 'GET', '/ameyorestapi/cc/downloadVoiceLog',
                                  headers=headers, params=params, max_bytes=max_bytes)
        else:
            data = {'crtObjectId': crt_object_id, 'targetFormat': target_format}
            headers = None
            if self.server.hash_key or not session_id:
                headers = self._token_headers()
            else:
                data['sessionId'] = session_id
            response = self._send('downloadVoiceLog', 'GET', '/ameyowebaccess/command',
                                  params={'command': 'downloadVoiceLog', 'data': json.dumps(data)},
                                  headers=headers, max_bytes=max_bytes)
        mimetype = audio_mimetype(response.body)
        if response.status == 200 and mimetype:
            return response.body, mimetype
        if response.status != 200:
            self._fail(self.env._("the recording download"), response)
        kind = 'refused'
        if not response.body.strip(b' \r\n\t'):
            reason = self.env._("no recording (empty answer)")
        elif response.body.strip() == b'null':
            reason = self.env._("no recording (Ameyo answered null)")
        elif _audio_start(response.body[:16]):
            # a WAV header without samples, an ID3 tag without an MPEG frame after it: nothing to play
            reason = self.env._("not an audio file (an audio header with no sound after it)")
        else:
            reason = self._reason(response) or self.env._("not an audio file")
            lowered = reason.lower()
            # a login page, or an error about the token or session: Ameyo did not accept our credentials
            if response.is_html and 'login' in lowered or isinstance(response.data, dict) and (
                    'token' in lowered or 'session' in lowered):
                kind = 'auth'
        raise AmeyoError(self.env._("Ameyo has no recording for call %(call)s: %(reason)s",
                                    call=crt_object_id, reason=reason),
                         kind=kind, reason=reason, status=response.status)

    # ------------------------------------------------------------------
    # Diagnostics
    # ------------------------------------------------------------------

    def check_connection(self):
        """Run the checks of "Test connection"; return ``[(status, message), ...]``, one per check.

        ``status`` is ``'ok'``, ``'warning'`` (something is not configured: the features that need it
        are off) or ``'failed'`` (configured but refused or unreachable: the APIs the message names
        will fail). The first check says whether Ameyo was reached at all.
        """
        checks = []
        server = self.server
        # 1. reachable, TLS trusted, and it is Ameyo: an unauthenticated read must answer Ameyo's way.
        try:
            if server.api_flavour == 'legacy':
                probe = json.dumps({'sessionId': 'crm-ameyo-test', 'sessionPushSeqNo': '0'})
                response = self._send('ping-session', 'POST', '/ameyowebaccess/command',
                                      params={'command': 'ping-session'}, form={'data': probe})
                looks_like_ameyo = isinstance(response.data, dict) and ('alive' in response.data
                                                                        or response.data.get('status') == 'error')
            else:
                response = self._send('campaigns', 'GET', '/ameyorestapi/cc/campaigns/getAssigned',
                                      headers={'sessionId': 'crm-ameyo-test'})
                looks_like_ameyo = isinstance(response.data, dict) and {'message', 'code'} <= set(response.data)
        except AmeyoError as error:
            return [('failed', str(error.args[0]))]
        if looks_like_ameyo:
            checks.append(('ok', self.env._("Ameyo server reached at %(url)s.", url=self.base_url)))
        else:
            checks.append(('failed', self.env._(
                "%(url)s answered (HTTP %(status)s), but not as an Ameyo server does: check the base URL and "
                "the port.", url=self.base_url, status=response.status)))
            return checks
        # 2. token policy: a read with the token headers (a probe call id, so nothing can be touched).
        if server.hash_key:
            try:
                self.download_voice_log('crm-ameyo-connection-test')
                checks.append(('ok', self.env._("Ameyo accepts the hash key, policy name and requesting host.")))
            except AmeyoError as error:
                if error.kind in ('auth', 'unreachable', 'timeout', 'tls', 'server'):
                    checks.append(('failed', self.env._(
                        "Ameyo rejected the hash key, policy name or requesting host (%(reason)s): click-to-dial "
                        "(clickToDialWithToken) and recording downloads (downloadVoiceLog) will fail. Check them "
                        "on the Credentials tab.", reason=error.reason or error.args[0])))
                else:
                    checks.append(('ok', self.env._("Ameyo accepts the hash key, policy name and requesting host.")))
        else:
            checks.append(('warning', self.env._(
                "No hash key: click-to-dial and recording downloads need the token-policy credentials "
                "(Credentials tab).")))
        # 3. admin login, used to sync campaigns and dispositions.
        if server.admin_user_id and server.admin_password:
            try:
                session_id = self.login(server.admin_user_id, server.admin_password)
            except AmeyoError as error:
                # the admin login itself is a secret of system administrators: not in the answer
                checks.append(('failed', self.env._(
                    "The admin login (Credentials tab) failed (%(reason)s): Sync Campaigns and Sync Dispositions "
                    "will fail.", reason=error.reason or error.args[0])))
            else:
                self.logout(session_id)
                checks.append(('ok', self.env._("The admin login (Credentials tab) works.")))
        if not server.dispose_token and server.api_flavour == 'rest':
            checks.append(('warning', self.env._(
                "No dispose authorization token: Odoo cannot dispose calls in Ameyo for its agents "
                "(disposeCallForUser).")))
        return checks


def _as_number(value):
    """Ameyo wants numeric campaign ids as numbers in JSON bodies; keep anything else as it is."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _connection_was_established(exc):
    """Tell a dropped connection (request possibly received) from one that was never opened."""
    text = repr(exc.args[0]) if exc.args else ''
    never_opened = ('NewConnectionError', 'Connection refused', 'Name or service not known',
                    'nodename nor servname', 'Failed to resolve', 'No route to host', 'Network is unreachable')
    return not any(marker in text for marker in never_opened)


def audio_mimetype(data):
    """Return the mimetype of ``data`` when it is audio, else None.

    Audio is a RIFF/WAVE file with a ``data`` chunk that holds samples, or an MPEG audio frame header
    (after any ID3v2 tags): a WAV header alone, or an ID3 tag with nothing playable after it, is not.
    """
    if _is_wav(data):
        return 'audio/wav'
    if _is_mpeg_frame(data, _id3_end(data)):
        return 'audio/mpeg'
    return None


def _audio_start(head):
    """Whether the first bytes of a body are those of an audio file (streaming: the rest is checked at
    the end by :func:`audio_mimetype`)."""
    if head[:4] == b'RIFF' and head[8:12] == b'WAVE':
        return True
    if head[:3] == b'ID3':
        return _id3_tag_size(head, 0) is not None
    return _is_mpeg_frame(head, 0)


def _is_wav(data):
    if len(data) < 12 or data[:4] != b'RIFF' or data[8:12] != b'WAVE':
        return False
    offset = 12
    while offset + 8 <= len(data):
        chunk_id, size = data[offset:offset + 4], int.from_bytes(data[offset + 4:offset + 8], 'little')
        if chunk_id == b'data':
            # samples follow the chunk's header (a streamed WAV may declare its size 0 or 0xFFFFFFFF)
            return len(data) > offset + 8
        offset += 8 + size + (size & 1)
    return False


def _id3_tag_size(data, offset):
    """The size of the ID3v2 tag at ``offset`` (header, footer included), or None when there is none."""
    header = data[offset:offset + 10]
    if len(header) < 10 or header[:3] != b'ID3' or header[3] == 0xFF or header[4] == 0xFF \
            or any(byte & 0x80 for byte in header[6:10]):
        return None
    size = (header[6] << 21) | (header[7] << 14) | (header[8] << 7) | header[9]
    footer = 10 if header[5] & 0x10 else 0
    return 10 + size + footer


def _id3_end(data):
    """Where the audio starts: after every ID3v2 tag at the start of ``data``."""
    offset = 0
    while (size := _id3_tag_size(data, offset)) is not None:
        offset += size
    return offset


def _is_mpeg_frame(data, offset):
    """Whether a valid MPEG audio frame header is at ``offset``."""
    header = data[offset:offset + 4]
    if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xE0) != 0xE0:  # frame sync
        return False
    version, layer = (header[1] >> 3) & 0x03, (header[1] >> 1) & 0x03
    bitrate, sampling = header[2] >> 4, (header[2] >> 2) & 0x03
    return version != 1 and layer != 0 and bitrate not in (0, 0x0F) and sampling != 3

"""Reading Ameyo's answers, whatever their shape.

Ameyo answers in JSON (the REST envelope ``{message, code, info, status}``, the legacy ``{status,
reason}``, the dial's ``{result, reason}``), in plain text (quoted or not, in any case), with HTML
pages (a login page, Tomcat's error report) and with audio; its failures come with HTTP 200 as often
as not. This module reads an answer once (:func:`read_response`), says what it means (success,
failure, not known), finds Ameyo's reason in it, and turns a failed answer into the
:class:`AmeyoError` that says so (:class:`AnswerReader`).
"""

import codecs
import json
import re
from dataclasses import dataclass

from ..log_masking import mask_secrets
from .errors import AmeyoError

TRANSIENT_STATUSES = {502, 503, 504}
# Ameyo's login can fail transiently while it fetches user info (reference 1.8).
TRANSIENT_MESSAGES = {'SessionService.login.failed.not.able.to.fetch.user.info'}
# The ways Ameyo's APIs are known to say "done": plain text (quoted or not), or JSON result/status.
SUCCESS_WORDS = {'ok', 'success', 'dispose successfully'}
FAILURE_WORDS = {'error', 'failure', 'failed', 'fail'}
# Plain-text failures of the legacy APIs ("Invalid session Id", "Invalid crtObjectId",
# "Disposition code not in plan", "Call already disposed"), and any text that says it failed.
_FAILURE_TEXT_RE = re.compile(
    r'^invalid\b|\bnot in (?:the )?plan\b|\balready '
    r'disposed\b|\b(?:error|exception|fail(?:ed|ure)?)\b',
    re.I,
)
_HTML_TITLE_RE = re.compile(r'<title[^>]*>(.*?)</title>|<h1[^>]*>(.*?)</h1>', re.I | re.S)
_TAG_RE = re.compile(r'<[^>]+>')


@dataclass
class AmeyoResponse:
    """What Ameyo answered, read once whatever its shape."""

    status: int
    content_type: str
    body: bytes
    data: object = None  # parsed JSON, when the body is JSON
    text: str = ''  # the body as text (empty for binary)

    @property
    def is_html(self):
        return 'html' in self.content_type or self.text.lstrip()[:15].lower().startswith(
            ('<!doctype', '<html')
        )


def read_response(response):
    """Return an :class:`AmeyoResponse` for a ``requests`` response, parsing JSON when it is
    JSON."""
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
    """The charset an answer declares when Python knows it, else UTF-8 (a wrong label must not lose
    the answer)."""
    try:
        return codecs.lookup(name).name if name else 'utf-8'
    except LookupError:
        return 'utf-8'


def is_transient_answer(response):
    """Whether an answer says Ameyo (or a gateway before it) failed for now: a gateway's
    502/503/504, or Ameyo's own 512 of a login that could not fetch the user."""
    return response.status in TRANSIENT_STATUSES or (
        response.status == 512
        and isinstance(response.data, dict)
        and response.data.get('message') in TRANSIENT_MESSAGES
    )


def answers_like_ameyo(response, api_flavour):
    """Whether an answer to an unauthenticated probe has the shape only Ameyo gives: the legacy
    ``ping-session``'s ``{alive}`` or ``{status: error}``, the REST error envelope ``{message, code,
    ...}``."""
    data = response.data
    if not isinstance(data, dict):
        return False
    if api_flavour == 'legacy':
        return 'alive' in data or data.get('status') == 'error'
    return {'message', 'code'} <= set(data)


def dispose_answer(response):
    """Read an answer whose shape Ameyo does not pin down: ``'success'``, ``'failure'`` or None (not
    known).

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
            if (
                word in FAILURE_WORDS
                or isinstance(value, int)
                and not isinstance(value, bool)
                and value >= 400
            ):
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
        text = ' '.join(
            filter(None, (_TAG_RE.sub('', text).strip(), exception and exception.group(0)))
        )
        return mask_secrets(text)[:300] or None
    text = response.text.strip()
    return mask_secrets(text)[:300] if text else None


class AnswerReader:
    """What a client makes of Ameyo's answers: a success returned, a failure raised as the
    :class:`AmeyoError` that names the server and keeps Ameyo's reason, without any credential the
    client sent (Ameyo may echo them: ``transport.scrub``)."""

    def __init__(self, transport):
        self.env = transport.env
        self.server = transport.server
        self.transport = transport

    def reason(self, response):
        """Ameyo's reason for a failure (:func:`ameyo_reason`) without the client's credentials, or
        None."""
        return self.transport.scrub(ameyo_reason(response))

    def fail(self, api_label, response):
        """Raise the :class:`AmeyoError` that describes a failed answer."""
        reason = self.reason(response)
        if reason and reason.strip().strip('"').strip().lower() in SUCCESS_WORDS:
            reason = None  # never "Ameyo refused the dispose: success"
        server = self.server.name
        status = response.status
        reason_key = (reason or '').lower()
        if status in TRANSIENT_STATUSES:
            # a gateway or proxy in front of Ameyo gave up waiting: Ameyo may have done the work
            # anyway
            raise AmeyoError(
                self.env._(
                    "Ameyo server %(server)s did not answer %(api)s in time (HTTP %(status)s from "
                    "a gateway); the request may or may not have been carried out.",
                    server=server,
                    api=api_label,
                    status=status,
                ),
                kind='server',
                reason=reason,
                status=status,
                transient=True,
                outcome_unknown=True,
            )
        session_rejected = 'invalid.session.id' in reason_key or 'invalid session id' in reason_key
        if session_rejected:
            # the agent's Ameyo session is dead (logged out, timed out): only the agent can do
            # something
            message = self.env._(
                "Ameyo server %(server)s no longer accepts the agent's Ameyo session for %(api)s "
                "(%(reason)s): log in to Ameyo again.",
                server=server,
                api=api_label,
                reason=reason,
            )
            kind = 'auth'
        elif (
            status in (401, 403)
            or 'token' in reason_key
            and ('invalid' in reason_key or 'reject' in reason_key)
        ):
            message = self.env._(
                "Ameyo server %(server)s rejected the credentials of %(api)s: %(reason)s. Check "
                "the hash key and requesting host, the dispose token, or log in to Ameyo again.",
                server=server,
                api=api_label,
                reason=reason or self.env._("HTTP %s", status),
            )
            kind = 'auth'
        elif response.is_html and status >= 500:
            # the page's title is for the log (Tomcat's "Error report ... NullPointerException"),
            # not for agents
            message = self.env._(
                "Ameyo server %(server)s had an internal error (HTTP %(status)s) on %(api)s.",
                server=server,
                status=status,
                api=api_label,
            )
            kind = 'server'
        elif response.is_html:
            message = self.env._(
                "Ameyo server %(server)s answered %(api)s with a web page instead of data (HTTP "
                "%(status)s): check the base URL and the credentials.",
                server=server,
                api=api_label,
                status=status,
            )
            kind = 'bad_response'
        elif reason and (status < 500 or status == 512 or isinstance(response.data, dict)):
            # 4xx, Ameyo's own 512, or any JSON reason: Ameyo understood the request and said no.
            message = self.env._("Ameyo refused %(api)s: %(reason)s", api=api_label, reason=reason)
            kind = 'refused'
        elif reason:
            message = self.env._(
                "Ameyo server %(server)s failed on %(api)s (HTTP %(status)s): %(reason)s",
                server=server,
                api=api_label,
                status=status,
                reason=reason,
            )
            kind = 'server'
        else:
            message = self.env._(
                "Ameyo server %(server)s answered %(api)s with HTTP %(status)s and no reason.",
                server=server,
                api=api_label,
                status=status,
            )
            kind = 'server' if status >= 500 else 'refused'
        raise AmeyoError(
            message, kind=kind, reason=reason, status=status, session_rejected=session_rejected
        )

    def expect_json(self, api_label, response, types=(dict, list)):
        """Return the JSON of a successful answer (of one of ``types``), else raise."""
        if response.status != 200 or not isinstance(response.data, types):
            self.fail(api_label, response)
        if isinstance(response.data, dict) and (
            response.data.get('status') == 'error' or response.data.get('result') == 'failure'
        ):
            self.fail(api_label, response)
        return response.data

    def expect_done(self, api_label, response, names_call):
        """Return when the answer is one of Ameyo's success shapes (:func:`dispose_answer`), else
        raise.

        An answer that is neither a known success nor a known failure is an unknown outcome when
        the request names no call (``disposeCallForUser``: it may have acted, and is never sent
        again), and a failure with Ameyo's words when it names the call (a resend is harmless).
        """
        answer = dispose_answer(response)
        if answer == 'success':
            return
        if answer is None and not names_call:
            raise AmeyoError(
                self.env._(
                    "Ameyo answered %(api)s with %(answer)s, which is neither a success nor a "
                    "failure Odoo knows: the request may or may not have been carried out.",
                    api=api_label,
                    answer=self.summary(response),
                ),
                kind='bad_response',
                reason=self.reason(response),
                status=response.status,
                outcome_unknown=True,
            )
        if answer is None:
            raise AmeyoError(
                self.env._(
                    "Ameyo did not confirm %(api)s; it answered %(answer)s.",
                    api=api_label,
                    answer=self.summary(response),
                ),
                kind='refused',
                reason=self.reason(response),
                status=response.status,
            )
        self.fail(api_label, response)

    def expect_dial(self, api_label, response):
        """Return Ameyo's answer to a dial when it says success (``{"result": "success"}``), else
        raise.

        An answer that is neither a known success nor a known failure leaves the outcome unknown:
        Ameyo may be dialing. The caller must not dial again on its own.
        """
        answer = dispose_answer(response)
        if answer == 'success':
            return response.data if isinstance(response.data, dict) else {'result': 'success'}
        if answer is None:
            raise AmeyoError(
                self.env._(
                    "Ameyo answered %(api)s with %(answer)s, which is neither a success nor a "
                    "failure Odoo knows: the call may or may not be placed.",
                    api=api_label,
                    answer=self.summary(response),
                ),
                kind='bad_response',
                reason=self.reason(response),
                status=response.status,
                outcome_unknown=True,
            )
        self.fail(api_label, response)

    def expect_audio(self, crt_object_id, response):
        """Return ``(bytes, mimetype)`` when a voice-log answer is audio, else raise.

        Ameyo answers failures with HTTP 200 and a non-audio body (empty, ``null``, an HTML login
        page, JSON): the bytes are checked, not the ``Content-Type``.
        """
        mimetype = audio_mimetype(response.body)
        if response.status == 200 and mimetype:
            return response.body, mimetype
        if response.status != 200:
            self.fail(self.env._("the recording download"), response)
        kind = 'refused'
        if not response.body.strip(b' \r\n\t'):
            reason = self.env._("no recording (empty answer)")
        elif response.body.strip() == b'null':
            reason = self.env._("no recording (Ameyo answered null)")
        elif starts_like_audio(response.body[:16]):
            # a WAV header without samples, an ID3 tag without an MPEG frame after it: nothing to
            # play
            reason = self.env._("not an audio file (an audio header with no sound after it)")
        else:
            reason = self.reason(response) or self.env._("not an audio file")
            lowered = reason.lower()
            # a login page, or an error about the token or session: Ameyo did not accept our
            # credentials
            if (
                response.is_html
                and 'login' in lowered
                or isinstance(response.data, dict)
                and ('token' in lowered or 'session' in lowered)
            ):
                kind = 'auth'
        raise AmeyoError(
            self.env._(
                "Ameyo has no recording for call %(call)s: %(reason)s",
                call=crt_object_id,
                reason=reason,
            ),
            kind=kind,
            reason=reason,
            status=response.status,
        )

    def summary(self, response):
        """A few words on an answer, fit for the agent: Ameyo's text (masked, short), never a web
        page."""
        if not response.text.strip():
            return self.env._("an empty answer (HTTP %s)", response.status)
        if response.is_html:
            return self.env._("a web page (HTTP %s)", response.status)
        return '"%s"' % self.transport.scrub(mask_secrets(response.text.strip()))[:120]


# ----------------------------------------------------------------------
# Audio: what a voice log must be before it is stored
# ----------------------------------------------------------------------


def audio_mimetype(data):
    """Return the mimetype of ``data`` when it is audio, else None.

    Audio is a RIFF/WAVE file with a ``data`` chunk that holds samples, or an MPEG audio frame
    header (after any ID3v2 tags): a WAV header alone, or an ID3 tag with nothing playable after it,
    is not.
    """
    if _is_wav(data):
        return 'audio/wav'
    if _is_mpeg_frame(data, _id3_end(data)):
        return 'audio/mpeg'
    return None


def starts_like_audio(head):
    """Whether the first bytes of a body are those of an audio file (streaming: the rest is checked
    at the end by :func:`audio_mimetype`)."""
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
        chunk_id, size = (
            data[offset : offset + 4],
            int.from_bytes(data[offset + 4 : offset + 8], 'little'),
        )
        if chunk_id == b'data':
            # samples follow the chunk's header (a streamed WAV may declare its size 0 or
            # 0xFFFFFFFF)
            return len(data) > offset + 8
        offset += 8 + size + (size & 1)
    return False


def _id3_tag_size(data, offset):
    """The size of the ID3v2 tag at ``offset`` (header, footer included), or None when there is
    none."""
    header = data[offset : offset + 10]
    if (
        len(header) < 10
        or header[:3] != b'ID3'
        or header[3] == 0xFF
        or header[4] == 0xFF
        or any(byte & 0x80 for byte in header[6:10])
    ):
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
    header = data[offset : offset + 4]
    if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xE0) != 0xE0:  # frame sync
        return False
    version, layer = (header[1] >> 3) & 0x03, (header[1] >> 1) & 0x03
    bitrate, sampling = header[2] >> 4, (header[2] >> 2) & 0x03
    return version != 1 and layer != 0 and bitrate not in (0, 0x0F) and sampling != 3

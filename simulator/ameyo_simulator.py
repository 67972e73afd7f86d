#!/usr/bin/env python3
"""A loopback HTTP double of the Ameyo contact-center server, for tests and demos.

It answers the Ameyo APIs the ``crm_ameyo`` addon calls with the headers, body shapes, casing and
failure shapes described in ``reference/ameyo_api.md``; it keeps agent state (ready / in_call /
wrap / logged_out) and it can play the agent's embedded browser, throwing the knowledge-base,
customer, preview and dispose URLs at Odoo as Ameyo does. Standard library only; it never imports
Odoo and it refuses to listen anywhere but on loopback.

Endpoints (every request to them is recorded, including the rejected ones):

REST, ``/ameyorestapi/...`` (JSON bodies; errors use ``RESTAPIErrorResponseEntity``
``{"message", "code", "info", "status"}``)
    ``POST voice/disposeCallForUser``, ``POST voice/disposeAndManualDial``, ``POST voice/manualdial``,
    ``GET cc/dispositionCodes/getByCampaign``, ``GET cc/campaigns/getAssigned``,
    ``GET cc/downloadVoiceLog``, ``POST userLogin/login``, ``POST session/userLogin``,
    ``POST session/userLogout``.
Legacy, ``/ameyowebaccess/command[/]?command=<name>`` (form field ``data`` = JSON, or ``&data=``)
    ``clickToDialWithTokenAsync``, ``clickToDialWithToken``, ``downloadVoiceLog``, ``ping-session``,
    ``login``, ``force-login``, ``logout``.
Legacy dispose, ``GET /dacx/dispose[/]``.
Control API, ``/__sim__/...`` (no auth, loopback only, neither recorded nor subject to faults).

The simulator's reading where the reference is silent:

* Token policy (``hash-key``, ``policy-name``, ``requesting-host``; header names case-insensitive,
  values compared exactly). On REST a failure is ``403 {"message": null, "code": 99999,
  "info": "invalid.authentication.token", "status": 403}`` (the 401 variant only exists in Ameyo's
  ``secure.mode``). On ``/ameyowebaccess/command`` it is HTTP 200 ``{"status": "error",
  "reason": "Invalid token", "details": "hash-key, policy-name or requesting-host rejected"}``,
  the legacy API's usual error object. Legacy ``downloadVoiceLog`` sent with neither token headers
  nor a live ``sessionId`` in ``data`` answers 200 with an HTML login page, as the reference
  reports for requests without a session.
* ``disposeCallForUser``: a ``sessionId`` header that is sent but dead gives ``invalid.session.id``;
  a missing or wrong dispose token (and no session) gives ``invalid.authentication.token``. An agent
  session may only dispose for its own userId (the admin session for anyone), else
  ``invalid.session.id``. requestIds are remembered only for successful disposals: a replay answers
  success again and counts ``replays`` on the recorded disposition.
* A forced login (REST ``forceLogin``, legacy ``force-login``, ``sim.login``) ends the user's
  older sessions, as Ameyo does; plain legacy ``login`` keeps them.
* Dispositions are matched exactly (case-sensitive) against the campaign plan of the leg.
* The "current leg" of an agent is his most recent leg that is not disposed. ``sim.start_call``
  does not refuse a busy agent (tests may want overlapping legs); the HTTP dial APIs do.
* A transferred leg keeps the crtObjectId, customer, campaign, queue and callType of the original
  call and gets its own userCrtObjectId and callId.
* ``downloadVoiceLog`` serves what ``set_voice_log`` stored whatever ``targetFormat`` asks. A call
  without one is recorded by the simulator itself: ``recording_delay`` seconds after the agent's
  leg ended (hang-up, transfer or dispose) it serves a 3-second tone, a WAV it generates
  (``targetFormat=wav``) or the MP3 fixture ``voice_log.mp3`` (made with LAME: 8 kHz mono, 16
  kbit/s CBR); before that, and while the call lasts, it answers JSON ``{"message": "Voice log
  could not be found ..."}``. A share ``recording_failure_share`` (0 to 1) of the calls, picked by a
  hash of the crtObjectId, answer one of Ameyo's non-audio 200 shapes instead: an empty body,
  ``null``, the HTML login page or that JSON message.
* ``getByCampaign`` on a campaign the session may not see (unknown, or not assigned) is the 403
  ``invalid.session.id`` the reference reports per campaign.
* The dial APIs (``manualdial``, ``clickToDialWithToken[Async]``) answer failures as
  ``{"result": "failed", "reason": ...}`` (the vendor guide's "success or failed"): ``User not found``,
  ``User is not logged in``, ``User is not in ready state`` (busy), ``User is not assigned to campaign
  <id>``, ``Phone number is empty``, ``Invalid phone number <n>`` (other than digits with an optional
  leading +, 3 to 16 digits). A dead ``sessionId`` on ``manualdial`` is the REST ``invalid.session.id``.
* A dial puts the agent in a call at once (no ringing state). When the simulator knows Odoo's URL
  (``set_crm``, ``serve --odoo``, ``POST /__sim__/crm``), it throws the customer URL of the dialed
  call at Odoo after a short ring (``callType=outbound.manual.dial``), as the agent's browser would;
  with ``sso_url`` it first logs the agent in to Odoo's SSO API with his Ameyo password and appends
  the ``crmSessionId`` it got. ``wait_for_throws`` waits for those throws and returns what Odoo answered.
* ``/dacx/dispose`` on an already disposed leg answers text ``Call already disposed``.
* Lifecycle params omit keys whose value is None (e.g. queueId on an outbound call); the preview
  URL carries no userCrtObjectId (the reference lists it for connect and dispose only).
"""

import argparse
import http.client
import io
import itertools
import json
import math
import os
import re
import secrets
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import wave
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape as xml_escape

__all__ = ['AmeyoSimulator', 'HTML_500', 'HTML_LOGIN_PAGE', 'build_lifecycle_params', 'make_mp3', 'make_wav',
           'recording_mp3', 'recording_wav']

HTML_500 = (
    '<html><head><title>Apache Tomcat - Error report</title></head><body><h1>HTTP Status 500 - </h1>'
    '<p>java.lang.NullPointerException</p></body></html>'
)
HTML_LOGIN_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Ameyo - Login</title></head><body>'
    '<div id="loginPanel"><h2>Ameyo</h2><form method="post" action="/ameyowebaccess/login.htm">'
    '<input type="text" name="userId" placeholder="User ID"/>'
    '<input type="password" name="password" placeholder="Password"/>'
    '<button type="submit">Login</button></form></div></body></html>'
)

LOOPBACK_HOSTS = ('127.0.0.1', 'localhost', '::1')
AGENT_STATES = ('ready', 'in_call', 'wrap', 'logged_out')
LIFECYCLE_EVENTS = ('kb', 'customer', 'preview', 'dispose')
NODE_ID = 'd928'
DEFAULT_CAMPAIGN_TYPE = 'Interactive Voice Application'
CALLBACK_TIME_RE = re.compile(r'^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$')
INTEGER_RE = re.compile(r'^-?\d+$')
MAX_REQUEST_ID_LENGTH = 21

# Parameters Ameyo appends to each lifecycle URL, in the order it sends them (reference §2).
_LIFECYCLE_KEYS = {
    'kb': ('sessionId', 'userId', 'campaignId'),
    'customer': ('sessionId', 'campaignId', 'crtObjectId', 'userCrtObjectId', 'userId', 'customerId', 'phone',
                 'queueId', 'queueName', 'callType'),
    'preview': ('sessionId', 'campaignId', 'crtObjectId', 'userId', 'customerId', 'phone', 'callType'),
    'dispose': ('sessionId', 'campaignId', 'crtObjectId', 'userCrtObjectId', 'userId', 'customerId', 'phone',
                'callType'),
}
_CALL_KEYS = ('crtObjectId', 'userCrtObjectId', 'callId', 'campaignId', 'phone', 'customerId', 'userId', 'sessionId',
              'callType', 'queueId', 'queueName')


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------

def _json_bytes(value) -> bytes:
    """Serialise ``value`` compactly, as Ameyo's Jackson does."""
    return json.dumps(value, separators=(',', ':')).encode()


def _to_bytes(body) -> bytes:
    """Bytes for a response body given as bytes, str, or a JSON-able dict/list."""
    if body is None:
        return b''
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    return _json_bytes(body)


def sniff_content_type(body: bytes) -> str:
    """The content type a body "looks like": audio by magic bytes, else HTML, JSON or plain text."""
    if body.startswith(b'RIFF') and body[8:12] == b'WAVE':
        return 'audio/wav'
    if body.startswith(b'ID3') or (len(body) > 1 and body[0] == 0xFF and body[1] & 0xE0 == 0xE0):
        return 'audio/mpeg'
    head = body.lstrip()[:1]
    if head == b'<':
        return 'text/html'
    if head in (b'{', b'[') or body.strip() == b'null':
        return 'application/json'
    return 'text/plain'


def make_wav(seconds: float = 0.25, rate: int = 8000, tone_hz: float = 0) -> bytes:
    """A valid mono 16-bit PCM WAV file: silence, or a sine tone of ``tone_hz``."""
    buffer = io.BytesIO()
    frames = int(seconds * rate)
    if tone_hz:
        samples = b''.join(struct.pack('<h', int(8000 * math.sin(2 * math.pi * tone_hz * index / rate)))
                           for index in range(frames))
    else:
        samples = b'\x00\x00' * frames
    with wave.open(buffer, 'wb') as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples)
    return buffer.getvalue()


# The recordings the simulator makes of its calls: 3 seconds of a 440 Hz tone, as Ameyo's telephony
# records them (8 kHz mono). The MP3 was made once with Debian's LAME from the WAV
# (lame -m m -b 16 --resample 8): MPEG-2.5 Layer III frames, no ID3 tag.
RECORDING_SECONDS = 3
MP3_FIXTURE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'voice_log.mp3')
VOICE_LOG_NOT_FOUND = 'Voice log could not be found for crtObjectId %s'


def recording_wav() -> bytes:
    """The WAV recording the simulator serves for its calls."""
    return make_wav(seconds=RECORDING_SECONDS, tone_hz=440)


def recording_mp3() -> bytes:
    """The MP3 recording the simulator serves for its calls (the committed LAME fixture)."""
    with open(MP3_FIXTURE_PATH, 'rb') as fixture:
        return fixture.read()


def make_mp3(frames: int = 12, id3: bool = True) -> bytes:
    """A valid MP3 of silence: MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, sync 0xFFFB),
    preceded by an ID3v2.3 tag when ``id3`` is true."""
    header = bytes((0xFF, 0xFB, 0x90, 0x64))
    frame_length = 144 * 128000 // 44100  # 417 bytes, no padding
    audio = (header + bytes(frame_length - len(header))) * frames
    if not id3:
        return audio
    text = b'\x00ameyo-simulator'  # encoding byte (ISO-8859-1) + text
    tag_frame = b'TSSE' + struct.pack('>I', len(text)) + b'\x00\x00' + text
    size = len(tag_frame)
    syncsafe = bytes(((size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F))
    return b'ID3\x03\x00\x00' + syncsafe + tag_frame + audio


def parse_legacy_data(text: str | None):
    """Parse the legacy ``data`` value: JSON, or the single-quoted pseudo-JSON seen in the wild.

    Returns the parsed value, or raises ValueError."""
    if text is None:
        raise ValueError('data parameter missing')
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return json.loads(text.replace("'", '"'))
    except ValueError as error:
        raise ValueError('data is not valid JSON') from error


def _first(values: Mapping[str, list[str]], key: str) -> str | None:
    """The first value of ``key`` in a parse_qs-style dict, or None."""
    found = values.get(key)
    return found[0] if found else None


def _mask_target(path: str, query: Mapping[str, list[str]]) -> str:
    """The request target for the log: the path, the legacy command, every other value masked."""
    parts = []
    for key, values in query.items():
        for value in values:
            parts.append(f'{key}={value}' if key == 'command' else f'{key}=***')
    return path + ('?' + '&'.join(parts) if parts else '')


def _now_ms() -> int:
    return int(time.time() * 1000)


def build_lifecycle_params(call: Mapping, event: str, session_id: str | None = None, **extra) -> dict:
    """The camelCase params Ameyo appends to the CRM URL of ``event`` for ``call``.

    ``event`` is one of ``kb``, ``customer``, ``preview``, ``dispose``. ``session_id`` replaces the
    call's sessionId (the agent's live session). ``extra`` (e.g. ``dispositionCode``,
    ``dispositionAttr``, ``crmSessionId``) is appended, or overrides a key; None values are left out.
    """
    if event not in _LIFECYCLE_KEYS:
        raise ValueError(f'unknown lifecycle event {event!r}; expected one of {", ".join(LIFECYCLE_EVENTS)}')
    source = dict(call)
    if session_id:
        source['sessionId'] = session_id
    params = {key: source.get(key) for key in _LIFECYCLE_KEYS[event]}
    if event == 'dispose':
        params['dispositionCode'] = extra.pop('dispositionCode', None)
        params['dispositionAttr'] = extra.pop('dispositionAttr', None)
    params['crm_push_generated_time'] = str(_now_ms())
    params.update(extra)
    return {key: str(value) for key, value in params.items() if value is not None}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand 3xx answers back to the caller instead of following them."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _open_without_redirect(request: urllib.request.Request, timeout: float):
    """Send ``request`` directly (no proxy, no redirect); return (status, headers, body)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


# --------------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------------

@dataclass
class _DispositionCode:
    code_id: int
    name: str
    class_id: int


@dataclass
class _Campaign:
    campaign_id: str
    name: str
    campaign_type: str
    codes: list[_DispositionCode]

    def has_code(self, name: str | None) -> bool:
        return any(code.name == name for code in self.codes)

    def as_json(self) -> dict:
        campaign_id = int(self.campaign_id) if INTEGER_RE.match(self.campaign_id) else self.campaign_id
        return {'campaignId': campaign_id, 'campaignName': self.name, 'campaignType': self.campaign_type,
                'description': f'{self.name} (simulated)', 'processId': 1, 'contactCenterId': 1}


@dataclass
class _Agent:
    user_id: str
    password: str
    campaigns: list[str]
    is_admin: bool = False
    sessions: list[str] = field(default_factory=list)


@dataclass
class _Leg:
    """One agent leg of a call (keyed by its userCrtObjectId)."""

    call: dict
    state: str  # 'in_call' | 'wrap' | 'disposed'
    seq: int
    dispositions: list[dict] = field(default_factory=list)
    ended_at: float | None = None  # when the agent's part of the call ended (time.time())

    def as_json(self) -> dict:
        return {**self.call, 'state': self.state, 'dispositions': [dict(entry) for entry in self.dispositions]}


@dataclass
class _Fault:
    match: str
    status: int | None
    body: object
    content_type: str | None
    delay: float
    drop: bool
    times: int | None
    carry_out: bool = False
    chunked: bool = False

    def as_json(self) -> dict:
        body = self.body.decode('utf-8', 'replace') if isinstance(self.body, bytes) else self.body
        return {'match': self.match, 'status': self.status, 'body': body, 'content_type': self.content_type,
                'delay': self.delay, 'drop': self.drop, 'times': self.times, 'carry_out': self.carry_out,
                'chunked': self.chunked}


@dataclass
class _Request:
    """A parsed incoming request, handed to the endpoint functions."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: http.client.HTTPMessage
    body: bytes
    form: dict[str, str] | None
    json: object

    def param(self, key: str) -> str | None:
        return _first(self.query, key)


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str
    headers: tuple = ()
    after: Callable[[], None] | None = None
    chunked: bool = False  # sent with Transfer-Encoding: chunked, its size not announced


def _json_reply(value, status: int = 200) -> _Reply:
    return _Reply(status, _json_bytes(value), 'application/json')


def _text_reply(text: str, status: int = 200) -> _Reply:
    return _Reply(status, text.encode(), 'text/plain')


def _rest_error(status: int, message: str | None, code: int, info: str | None) -> _Reply:
    """Ameyo's RESTAPIErrorResponseEntity."""
    return _json_reply({'message': message, 'code': code, 'info': info, 'status': status}, status)


def _invalid_input(info: str) -> _Reply:
    return _rest_error(400, 'InvalidInput', 40001, info)


def _missing(name: str) -> _Reply:
    return _invalid_input(f'parameter expected in input: {name}')


def _invalid_session() -> _Reply:
    return _rest_error(403, None, 99999, 'invalid.session.id')


def _invalid_token() -> _Reply:
    return _rest_error(403, None, 99999, 'invalid.authentication.token')


def _not_found() -> _Reply:
    return _rest_error(404, 'requested.resource.not.found', 99999, None)


def _method_not_allowed() -> _Reply:
    return _rest_error(405, 'method.not.allowed', 0, None)


def _not_in_plan(code, campaign_id) -> _Reply:
    return _rest_error(512, 'disposition.code.not.in.plan', 0,
                       f'disposition code {code} is not in the disposition plan of campaign {campaign_id}')


def _no_call_to_dispose() -> _Reply:
    return _rest_error(512, 'no.call.to.dispose', 0, 'no call to dispose for user')


def _legacy_error(reason: str, details: str) -> _Reply:
    return _json_reply({'status': 'error', 'reason': reason, 'details': details})


def _dial_failure(reason: str) -> _Reply:
    return _json_reply({'result': 'failed', 'reason': reason})


DIAL_PHONE_RE = re.compile(r'^\+?\d{3,16}$')


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --------------------------------------------------------------------------------------------------
# The simulator
# --------------------------------------------------------------------------------------------------

class AmeyoSimulator:
    """An Ameyo server double on loopback. See the module docstring for the endpoints."""

    def __init__(self, host: str = '127.0.0.1', port: int = 0, hash_key: str = 'sim-hash-key',
                 requesting_host: str = 'odoo.example.com', policy_name: str = 'token-based-authorization-policy',
                 dispose_token: str = 'sim-dispose-token', dispose_token_header: str = 'authorization',
                 admin_user_id: str = 'admin', admin_password: str = 'admin', log_requests: bool = False,
                 recording_delay: float = 0.0, recording_failure_share: float = 0.0):
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f'AmeyoSimulator listens on loopback only ({", ".join(LOOPBACK_HOSTS)}), not {host!r}')
        self.host = host
        self.port = port
        self.hash_key = hash_key
        self.requesting_host = requesting_host
        self.policy_name = policy_name
        self.dispose_token = dispose_token
        self.dispose_token_header = dispose_token_header
        self.admin_user_id = admin_user_id
        self.admin_password = admin_password
        self.log_requests = log_requests
        # voice logs of the simulator's own calls: how long after a leg ends its recording exists, and
        # which share of calls answer a non-audio 200 instead (reset() restores these values)
        self._recording_defaults = (float(recording_delay), float(recording_failure_share))
        self.recording_delay, self.recording_failure_share = self._recording_defaults
        self._lock = threading.RLock()
        self._throw_done = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._server_hex = secrets.token_hex(4)
        self._counter = itertools.count(1)
        self._endpoints = _Endpoints(self)
        self.reset()

    # ---- lifecycle -------------------------------------------------------------------------------

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
        self._thread = threading.Thread(target=server.serve_forever, name='ameyo-simulator', daemon=True)
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
        """The base URL, e.g. ``http://127.0.0.1:8899``."""
        host = '[::1]' if self.host == '::1' else '127.0.0.1'
        return f'http://{host}:{self.port}'

    def reset(self) -> None:
        """Back to an empty state (credentials kept): no campaigns, agents, calls, requests, faults."""
        with self._lock:
            self._campaigns: dict[str, _Campaign] = {}
            self._agents: dict[str, _Agent] = {
                self.admin_user_id: _Agent(self.admin_user_id, self.admin_password, [], is_admin=True),
            }
            self._sessions: dict[str, str] = {}
            self._legs: dict[str, _Leg] = {}
            self._voice_logs: dict[str, bytes] = {}
            self.recording_delay, self.recording_failure_share = self._recording_defaults
            self._disposed_request_ids: dict[str, dict] = {}
            self._dial_request_ids: dict[str, dict] = {}
            self._requests: list[dict] = []
            self._faults: list[_Fault] = []
            self._crm: dict | None = None
            self._throws: list[dict] = []

    # ---- campaigns, agents, sessions -------------------------------------------------------------

    def add_campaign(self, campaign_id, name: str, dispositions: Iterable = ('Sale', 'Callback'),
                     campaign_type: str = DEFAULT_CAMPAIGN_TYPE) -> dict:
        """Create (or replace) a campaign. ``dispositions`` are code names, or (name, classId) pairs."""
        with self._lock:
            codes = []
            for item in dispositions:
                name_, class_id = (item, 1) if isinstance(item, str) else (item[0], int(item[1]))
                codes.append(_DispositionCode(next(self._counter), name_, class_id))
            campaign = _Campaign(str(campaign_id), name, campaign_type, codes)
            self._campaigns[campaign.campaign_id] = campaign
            return campaign.as_json()

    def add_agent(self, user_id: str, password: str = 'secret', campaigns: Iterable = ()) -> str:
        """Create (or update) an agent assigned to ``campaigns``, log him in, return his sessionId."""
        with self._lock:
            agent = self._agents.get(user_id)
            if agent is None:
                agent = self._agents[user_id] = _Agent(user_id, password, [])
            agent.password = password
            agent.campaigns = [str(campaign_id) for campaign_id in campaigns]
            return self._login_locked(agent, force=True)

    def login(self, user_id: str, force: bool = True) -> str:
        """Log ``user_id`` in and return the new sessionId; a forced login ends his older sessions."""
        with self._lock:
            agent = self._agents.get(user_id)
            if agent is None:
                raise ValueError(f'unknown Ameyo user {user_id!r}')
            return self._login_locked(agent, force=force)

    def logout(self, session_id: str) -> None:
        """Invalidate ``session_id``."""
        with self._lock:
            user_id = self._sessions.pop(session_id, None)
            if user_id in self._agents:
                agent = self._agents[user_id]
                agent.sessions = [sid for sid in agent.sessions if sid != session_id]

    def agent_state(self, user_id: str) -> str:
        """'ready' | 'in_call' | 'wrap' | 'logged_out'."""
        with self._lock:
            agent = self._agents.get(user_id)
            if agent is None:
                raise ValueError(f'unknown Ameyo user {user_id!r}')
            return self._state_locked(agent)

    # ---- calls -----------------------------------------------------------------------------------

    def start_call(self, user_id: str, campaign_id, phone: str, customer_id='-1', call_type: str = 'inbound.call.dial',
                   queue_id=None, queue_name=None) -> dict:
        """Connect a call to a logged-in agent and return the call dict of his leg."""
        with self._lock:
            agent = self._agents.get(user_id)
            if agent is None:
                raise ValueError(f'unknown Ameyo user {user_id!r}')
            if not agent.sessions:
                raise ValueError(f'Ameyo user {user_id!r} is logged out')
            if str(campaign_id) not in self._campaigns:
                raise ValueError(f'unknown campaign {campaign_id!r}')
            n = next(self._counter)
            call = {
                'crtObjectId': f'{NODE_ID}-{self._server_hex}-vce-{n}',
                'campaignId': str(campaign_id),
                'phone': str(phone),
                'customerId': str(customer_id),
                'callType': call_type,
                'queueId': None if queue_id is None else str(queue_id),
                'queueName': queue_name,
            }
            return self._open_leg_locked(agent, call)

    def transfer(self, call: Mapping, to_user_id: str) -> dict:
        """Transfer the call to another agent: the first agent goes to wrap, the receiver gets his own leg."""
        with self._lock:
            leg = self._leg_locked(call)
            target = self._agents.get(to_user_id)
            if target is None:
                raise ValueError(f'unknown Ameyo user {to_user_id!r}')
            if not target.sessions:
                raise ValueError(f'Ameyo user {to_user_id!r} is logged out')
            if leg.state == 'in_call':
                leg.state = 'wrap'
                leg.ended_at = time.time()
            shared = {key: leg.call[key] for key in ('crtObjectId', 'campaignId', 'phone', 'customerId', 'callType',
                                                     'queueId', 'queueName')}
            return self._open_leg_locked(target, shared)

    def hangup(self, call: Mapping) -> None:
        """End the call: the agent goes to 'wrap' until the leg is disposed."""
        with self._lock:
            leg = self._leg_locked(call)
            if leg.state == 'in_call':
                leg.state = 'wrap'
                leg.ended_at = time.time()

    def dispositions_of(self, call: Mapping) -> list[dict]:
        """The dispositions recorded for that leg: code, attribute, callbackTime, notes, requestId, via, ..."""
        with self._lock:
            return [dict(entry) for entry in self._leg_locked(call).dispositions]

    def calls(self) -> list[dict]:
        """Every leg, oldest first, with its state and dispositions."""
        with self._lock:
            return [leg.as_json() for leg in self._legs.values()]

    def set_voice_log(self, crt_object_id: str, body=None, fmt: str = 'mp3') -> None:
        """Store the voice log of a call. ``body`` None generates a small valid file of ``fmt``
        ('mp3' or 'wav'); bytes/str are served as given (failure bodies: b'', b'null', HTML, JSON)."""
        if body is None:
            if fmt not in ('mp3', 'wav'):
                raise ValueError(f'unknown voice-log format {fmt!r}')
            body = make_mp3() if fmt == 'mp3' else make_wav()
        with self._lock:
            self._voice_logs[crt_object_id] = _to_bytes(body)

    # ---- recorded requests and faults ------------------------------------------------------------

    @property
    def requests(self) -> list[dict]:
        """Every recorded request, oldest first (method, path, query, headers, body, form, json, status, time)."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, path_substring: str) -> list[dict]:
        """Recorded requests whose path (or ``?command=X`` query) contains ``path_substring``."""
        with self._lock:
            return [record for record in self._requests if path_substring in record['target']]

    def inject(self, match: str, status: int | None = None, body=None, content_type: str | None = None,
               delay: float = 0.0, drop: bool = False, times: int | None = 1, carry_out: bool = False,
               chunked: bool = False) -> None:
        """Make the next ``times`` requests whose path or ``?command=`` contains ``match`` misbehave.

        They wait ``delay`` seconds, then either the connection is dropped without an answer
        (``drop``), or ``status``/``body`` is answered instead of the real answer, or (neither given)
        they are served normally. ``times`` None means forever. Faults are consumed in order.

        ``carry_out``: Ameyo does the work first (the request is served, e.g. the call is disposed),
        then the fault replaces its answer: a proxy that timed out (``status=504``), a connection
        dropped after the work (``drop``), or another shape of the same success (``body``).

        ``chunked``: the forced answer is sent in chunks, without a Content-Length."""
        if times is not None and times < 1:
            raise ValueError('times must be a positive number or None')
        with self._lock:
            self._faults.append(_Fault(match, status, body, content_type, float(delay), bool(drop), times,
                                       bool(carry_out), bool(chunked)))

    def clear_faults(self) -> None:
        """Forget every injected fault."""
        with self._lock:
            self._faults.clear()

    # ---- the agent's browser ---------------------------------------------------------------------

    def lifecycle_params(self, call: Mapping, event: str, **extra) -> dict:
        """The params Ameyo appends to the CRM URL of ``event`` ('kb', 'customer', 'preview', 'dispose').

        The sessionId is the agent's live session (the call's own if he has none); ``extra``
        (dispositionCode, dispositionAttr, crmSessionId, or an override such as sessionId) is added."""
        with self._lock:
            agent = self._agents.get(call.get('userId'))
            session_id = agent.sessions[-1] if agent and agent.sessions else None
        return build_lifecycle_params(call, event, session_id=session_id, **extra)

    def throw_url(self, odoo_url: str, params, session: dict | None = None, timeout: float = 30.0):
        """GET ``odoo_url`` with ``params`` appended, as the agent's embedded browser does.

        Redirects are not followed. ``session`` is a cookie dict sent along and updated with the
        cookies the answer sets. Returns (status, headers, body) with case-insensitive headers."""
        query = urllib.parse.urlencode(list(params.items()) if isinstance(params, Mapping) else list(params))
        url = odoo_url + (('&' if '?' in odoo_url else '?') + query if query else '')
        request = urllib.request.Request(url, method='GET')
        if session:
            request.add_header('Cookie', '; '.join(f'{name}={value}' for name, value in session.items()))
        status, headers, body = _open_without_redirect(request, timeout)
        if session is not None:
            for set_cookie in headers.get_all('Set-Cookie') or ():
                cookie = SimpleCookie()
                cookie.load(set_cookie)
                for name, morsel in cookie.items():
                    session[name] = morsel.value
        return status, headers, body

    def throw(self, odoo_base_url: str, call: Mapping, event: str, session: dict | None = None, **extra):
        """Throw the ``event`` URL of ``call`` at ``<odoo_base_url>/ameyo/<event>``; see throw_url."""
        url = odoo_base_url.rstrip('/') + f'/ameyo/{event}'
        return self.throw_url(url, self.lifecycle_params(call, event, **extra), session=session)

    def sso_login(self, odoo_sso_url: str, user_id: str, password: str, form: str = 'xml',
                  timeout: float = 30.0) -> dict:
        """Call the CRM's SSO endpoint with ``command=login`` as Ameyo does.

        ``form``: 'xml' (raw XML body), 'requestXml' (form field), 'json' (JSON body) or 'request'
        (form field holding JSON). Returns {'status', 'message', 'crmSessionId', 'http_status', 'raw'}."""
        return self._sso_call(odoo_sso_url, {'command': 'login', 'userId': user_id, 'password': password}, form,
                              timeout)

    def sso_logout(self, odoo_sso_url: str, crm_session_id: str, form: str = 'xml', timeout: float = 30.0) -> dict:
        """Call the CRM's SSO endpoint with ``command=logout``; same return value as sso_login."""
        return self._sso_call(odoo_sso_url, {'command': 'logout', 'crmSessionId': crm_session_id}, form, timeout)

    # ---- dialed calls thrown back at Odoo ---------------------------------------------------------

    def set_crm(self, odoo_url: str | None, sso_url: str | None = None, ring: float = 1.0,
                cookies: dict | None = None) -> None:
        """Throw the customer URL of every dialed call at ``odoo_url`` (``http://host:port``) after
        ``ring`` seconds. ``sso_url``: log the agent in there first and append his crmSessionId;
        ``cookies``: sent along, as the agent's browser would. None stops the throws."""
        with self._lock:
            self._crm = {'odoo_url': odoo_url.rstrip('/'), 'sso_url': sso_url, 'ring': float(ring),
                         'cookies': dict(cookies or {})} if odoo_url else None

    def wait_for_throws(self, count: int, timeout: float = 30.0) -> list[dict]:
        """Wait until ``count`` dialed calls were thrown at Odoo (or ``timeout``); return every throw:
        ``{userId, crtObjectId, phone, status, location, error}``."""
        with self._throw_done:
            self._throw_done.wait_for(lambda: len(self._throws) >= count, timeout=timeout)
            return [dict(entry) for entry in self._throws]

    def _ring_locked(self, call: dict) -> None:
        """After a dial: throw the call's customer URL at Odoo after the ring, when Odoo's URL is known."""
        if not self._crm:
            return
        crm = dict(self._crm)
        timer = threading.Timer(crm['ring'], self._throw_dialed, args=(dict(call), crm))
        timer.daemon = True
        timer.start()

    def _throw_dialed(self, call: dict, crm: dict) -> None:
        entry = {'userId': call['userId'], 'crtObjectId': call['crtObjectId'], 'phone': call['phone'],
                 'status': None, 'location': None, 'error': None}
        try:
            extra = {}
            if crm['sso_url']:
                with self._lock:
                    password = self._agents[call['userId']].password
                answer = self.sso_login(crm['sso_url'], call['userId'], password)
                if answer.get('crmSessionId'):
                    extra['crmSessionId'] = answer['crmSessionId']
                else:
                    entry['error'] = f'SSO login refused: {answer.get("message")}'
            session = dict(crm['cookies'])
            status, headers, _body = self.throw(crm['odoo_url'], call, 'customer', session=session, **extra)
            entry.update(status=status, location=headers.get('Location'))
        except Exception as error:  # noqa: BLE001 (Odoo unreachable: recorded for whoever waits, never raised)
            entry['error'] = f'{type(error).__name__}: {error}'
        if self.log_requests:
            print(f'{time.strftime("%H:%M:%S")} threw the customer URL of {call["crtObjectId"]} at Odoo -> '
                  f'{entry["status"] or entry["error"]}', file=sys.stderr, flush=True)
        with self._throw_done:
            self._throws.append(entry)
            self._throw_done.notify_all()

    # ---- state dump ------------------------------------------------------------------------------

    def state(self) -> dict:
        """A JSON-able dump of everything (session ids included: this is a test double)."""
        with self._lock:
            return {
                'campaigns': [
                    {**campaign.as_json(), 'dispositions': [
                        {'dispositionCodeId': code.code_id, 'dispositionCodeName': code.name,
                         'dispositionClassId': code.class_id} for code in campaign.codes]}
                    for campaign in self._campaigns.values()],
                'agents': [
                    {'userId': agent.user_id, 'state': self._state_locked(agent), 'isAdmin': agent.is_admin,
                     'campaigns': self._campaign_ids_locked(agent), 'sessions': list(agent.sessions)}
                    for agent in self._agents.values()],
                'sessions': dict(self._sessions),
                'calls': [leg.as_json() for leg in self._legs.values()],
                'voiceLogs': sorted(self._voice_logs),
                'faults': [fault.as_json() for fault in self._faults],
            }

    # ---- internals (callers hold the lock) -------------------------------------------------------

    def _login_locked(self, agent: _Agent, force: bool) -> str:
        if force:
            for session_id in agent.sessions:
                self._sessions.pop(session_id, None)
            agent.sessions = []
        session_id = f'{NODE_ID}-{self._server_hex}-ses-{agent.user_id}-{secrets.token_hex(3)}-{next(self._counter)}'
        agent.sessions.append(session_id)
        self._sessions[session_id] = agent.user_id
        return session_id

    def _session_agent_locked(self, session_id: str | None) -> _Agent | None:
        user_id = self._sessions.get(session_id or '')
        return self._agents.get(user_id) if user_id else None

    def _campaign_ids_locked(self, agent: _Agent) -> list[str]:
        if agent.is_admin:
            return list(self._campaigns)
        return [campaign_id for campaign_id in agent.campaigns if campaign_id in self._campaigns]

    def _state_locked(self, agent: _Agent) -> str:
        if not agent.sessions:
            return 'logged_out'
        states = {leg.state for leg in self._legs.values() if leg.call['userId'] == agent.user_id}
        if 'in_call' in states:
            return 'in_call'
        return 'wrap' if 'wrap' in states else 'ready'

    def _open_leg_locked(self, agent: _Agent, shared: dict) -> dict:
        session_id = agent.sessions[-1]
        n = next(self._counter)
        call = dict(shared)
        call.update({
            'userCrtObjectId': f'{session_id}-uce-webrtc_{agent.user_id}-{n}',
            'callId': f'{NODE_ID}-{self._server_hex}-vcall-{n}',
            'userId': agent.user_id,
            'sessionId': session_id,
        })
        call = {key: call[key] for key in _CALL_KEYS}
        self._legs[call['userCrtObjectId']] = _Leg(call, 'in_call', n)
        return dict(call)

    def _leg_locked(self, call: Mapping) -> _Leg:
        leg = self._legs.get(call.get('userCrtObjectId'))
        if leg is None:
            raise ValueError(f'unknown call leg {call.get("userCrtObjectId")!r}')
        return leg

    def _current_leg_locked(self, user_id: str) -> _Leg | None:
        open_legs = [leg for leg in self._legs.values() if leg.call['userId'] == user_id and leg.state != 'disposed']
        return max(open_legs, key=lambda leg: leg.seq) if open_legs else None

    def _dispose_locked(self, leg: _Leg, code: str, via: str, attribute=None, callback_time=None,
                        self_callback=None, notes=None, request_id=None) -> dict:
        entry = {'code': code, 'attribute': attribute if attribute is not None else callback_time,
                 'callbackTime': callback_time, 'selfCallback': self_callback, 'notes': notes,
                 'requestId': request_id, 'via': via, 'time': time.time(), 'replays': 0}
        leg.dispositions.append(entry)
        leg.state = 'disposed'
        leg.ended_at = leg.ended_at or time.time()
        if request_id:
            self._disposed_request_ids[request_id] = entry
        return entry

    def _take_fault(self, target: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.match in target:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _record(self, request: _Request, target: str) -> dict:
        record = {'method': request.method, 'path': request.path, 'query': request.query,
                  'headers': dict(request.headers.items()), 'body': request.body, 'form': request.form,
                  'json': request.json, 'status': None, 'time': time.time(), 'target': target}
        with self._lock:
            self._requests.append(record)
        return record

    def _sso_call(self, url: str, fields: dict, form: str, timeout: float) -> dict:
        if form in ('xml', 'requestXml'):
            elements = ''.join(f'<{key}>{xml_escape(str(value))}</{key}>' for key, value in fields.items())
            document = f'<?xml version="1.0" encoding="UTF-8"?><request>{elements}</request>'
            if form == 'xml':
                data, content_type = document.encode(), 'text/xml; charset=UTF-8'
            else:
                data = urllib.parse.urlencode({'requestXml': document}).encode()
                content_type = 'application/x-www-form-urlencoded'
        elif form in ('json', 'request'):
            # The brief's JSON variant spells the keys in lower case (userid, crmsessionid).
            payload = json.dumps({key.lower() if key != 'command' else key: value for key, value in fields.items()})
            if form == 'json':
                data, content_type = payload.encode(), 'application/json'
            else:
                data = urllib.parse.urlencode({'request': payload}).encode()
                content_type = 'application/x-www-form-urlencoded'
        else:
            raise ValueError(f"unknown SSO form {form!r}; expected 'xml', 'requestXml', 'json' or 'request'")
        request = urllib.request.Request(url, data=data, method='POST', headers={'Content-Type': content_type})
        status, _headers, body = _open_without_redirect(request, timeout)
        return _parse_sso_response(status, body)


def _parse_sso_response(http_status: int, body: bytes) -> dict:
    """Read an SSO answer, XML ``<response>`` or JSON, into a dict."""
    raw = body.decode('utf-8', 'replace')
    result = {'status': None, 'message': None, 'crmSessionId': None, 'http_status': http_status, 'raw': raw}
    text = raw.strip()
    if text.startswith('{'):
        try:
            data = json.loads(text)
        except ValueError:
            return result
        lowered = {str(key).lower(): value for key, value in data.items()} if isinstance(data, dict) else {}
        result.update(status=lowered.get('status'), message=lowered.get('message'),
                      crmSessionId=lowered.get('crmsessionid'))
    elif text.startswith('<'):
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            return result
        for child in root:
            key = {'status': 'status', 'message': 'message', 'crmsessionid': 'crmSessionId'}.get(child.tag.lower())
            if key:
                result[key] = (child.text or '').strip()
    return result


# --------------------------------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------------------------------

class _Endpoints:
    """The Ameyo HTTP API on top of the simulator's state. Each endpoint returns a _Reply."""

    def __init__(self, sim: AmeyoSimulator):
        self.sim = sim
        self.rest_routes = {
            '/ameyorestapi/voice/disposeCallForUser': ('POST', self.dispose_call_for_user),
            '/ameyorestapi/voice/disposeAndManualDial': ('POST', self.dispose_and_manual_dial),
            '/ameyorestapi/voice/manualdial': ('POST', self.manual_dial),
            '/ameyorestapi/cc/dispositionCodes/getByCampaign': ('GET', self.disposition_codes),
            '/ameyorestapi/cc/campaigns/getAssigned': ('GET', self.assigned_campaigns),
            '/ameyorestapi/cc/downloadVoiceLog': ('GET', self.rest_voice_log),
            '/ameyorestapi/userLogin/login': ('POST', self.rest_login),
            '/ameyorestapi/session/userLogin': ('POST', self.rest_login),
            '/ameyorestapi/session/userLogout': ('POST', self.rest_logout),
        }
        self.commands = {
            'clickToDialWithTokenAsync': self.click_to_dial_async,
            'clickToDialWithToken': self.click_to_dial,
            'downloadVoiceLog': self.legacy_voice_log,
            'ping-session': self.ping_session,
            'login': self.legacy_login,
            'force-login': self.legacy_force_login,
            'logout': self.legacy_logout,
        }

    # ---- dispatch --------------------------------------------------------------------------------

    def dispatch(self, request: _Request) -> _Reply:
        path = request.path
        if path.startswith('/ameyorestapi/'):
            if (request.param('info') or '').lower() == 'true':
                return _method_not_allowed()
            route = self.rest_routes.get(path.rstrip('/'))
            if route is None:
                return _not_found()
            method, endpoint = route
            if request.method != method:
                return _method_not_allowed()
            if request.method == 'POST' and request.body.strip() and not isinstance(request.json, dict):
                return _invalid_input('request body is not a JSON object')
            return endpoint(request)
        if path in ('/ameyowebaccess/command', '/ameyowebaccess/command/'):
            return self.legacy_command(request)
        if path in ('/dacx/dispose', '/dacx/dispose/'):
            return self.dacx_dispose(request)
        return _Reply(404, b'Not Found', 'text/plain')

    # ---- auth helpers ----------------------------------------------------------------------------

    def token_policy_ok(self, request: _Request) -> bool:
        sim, headers = self.sim, request.headers
        return (headers.get('hash-key') == sim.hash_key and headers.get('policy-name') == sim.policy_name
                and headers.get('requesting-host') == sim.requesting_host)

    @staticmethod
    def has_token_headers(request: _Request) -> bool:
        return any(request.headers.get(name) is not None for name in ('hash-key', 'policy-name', 'requesting-host'))

    def dispose_token_ok(self, request: _Request) -> bool:
        if not self.sim.dispose_token:
            return False
        value = (request.headers.get(self.sim.dispose_token_header) or '').strip()
        if value[:7].lower() == 'bearer ':
            value = value[7:].strip()
        return secrets.compare_digest(value.encode(), self.sim.dispose_token.encode())

    def session_agent(self, request: _Request) -> _Agent | None:
        """The agent of the ``sessionId`` header (any case), or None. Caller holds the lock."""
        return self.sim._session_agent_locked(request.headers.get('sessionId'))

    # ---- REST: dispose ---------------------------------------------------------------------------

    def dispose_call_for_user(self, request: _Request) -> _Reply:
        sim = self.sim
        body = request.json if isinstance(request.json, dict) else {}
        with sim._lock:
            caller = self.session_agent(request)
            if caller is None and not self.dispose_token_ok(request):
                return _invalid_session() if request.headers.get('sessionId') is not None else _invalid_token()
            user_id, code = body.get('userId'), body.get('dispositionCodeName')
            if _blank(user_id):
                return _missing('userId')
            if _blank(code):
                return _missing('dispositionCodeName')
            if caller is not None and not caller.is_admin and caller.user_id != user_id:
                return _invalid_session()
            params = body.get('dispositionParams') or {}
            params = params if isinstance(params, dict) else {}
            callback_time = params.get('callbackTime')
            if not _blank(callback_time) and not _valid_callback_time(callback_time):
                return _invalid_input('invalid callbackTime')
            request_id = body.get('requestId')
            if request_id and request_id in sim._disposed_request_ids:
                sim._disposed_request_ids[request_id]['replays'] += 1
                return _text_reply('Dispose Successfully')
            agent = sim._agents.get(user_id)
            if agent is None:
                return _rest_error(512, 'user.not.found', 0, 'user not found')
            leg = sim._current_leg_locked(agent.user_id)
            if leg is None or not agent.sessions:
                return _no_call_to_dispose()
            campaign = sim._campaigns.get(leg.call['campaignId'])
            if campaign is None or not campaign.has_code(code):
                return _not_in_plan(code, leg.call['campaignId'])
            sim._dispose_locked(leg, code, 'disposeCallForUser', callback_time=callback_time or None,
                                self_callback=params.get('isSelfCallback'), notes=body.get('notes'),
                                request_id=request_id)
        return _text_reply('Dispose Successfully')

    def dispose_and_manual_dial(self, request: _Request) -> _Reply:
        sim = self.sim
        body = request.json if isinstance(request.json, dict) else {}
        with sim._lock:
            agent = self.session_agent(request)
            if agent is None:
                return _invalid_session()
            for name in ('crtObjectId', 'dispositionCode', 'phone'):
                if _blank(body.get(name)):
                    return _missing(name)
            context_id = body.get('campaignContextId')
            if context_id is not None and not INTEGER_RE.match(str(context_id)):
                return _invalid_input('invalid campaignContextId')
            request_id = body.get('requestId')
            if request_id is not None and len(str(request_id)) > MAX_REQUEST_ID_LENGTH:
                return _invalid_input('requestId too long')
            if request_id and request_id in sim._disposed_request_ids:
                sim._disposed_request_ids[request_id]['replays'] += 1
                return _text_reply('ok')
            crt = body['crtObjectId']
            user_crt = body.get('userCRTObjectId') or body.get('userCrtObjectId')
            legs = [leg for leg in sim._legs.values()
                    if leg.call['crtObjectId'] == crt and leg.call['userId'] == agent.user_id
                    and (not user_crt or leg.call['userCrtObjectId'] == user_crt)]
            if not legs:
                return _rest_error(512, 'invalid.crt.object.id', 0, f'invalid crtObjectId {crt}')
            leg = max(legs, key=lambda candidate: candidate.seq)
            if leg.state == 'disposed':
                return _no_call_to_dispose()
            code = body['dispositionCode']
            campaign = sim._campaigns.get(leg.call['campaignId'])
            if campaign is None or not campaign.has_code(code):
                return _not_in_plan(code, leg.call['campaignId'])
            sim._dispose_locked(leg, code, 'disposeAndManualDial', request_id=request_id)
            customer_id = body.get('customerId')
            sim.start_call(agent.user_id, leg.call['campaignId'], str(body['phone']),
                           customer_id='-1' if customer_id is None else customer_id, call_type='outbound.manual.dial')
        return _text_reply('ok')

    # ---- REST: dial ------------------------------------------------------------------------------

    def manual_dial(self, request: _Request) -> _Reply:
        sim = self.sim
        body = request.json if isinstance(request.json, dict) else {}
        with sim._lock:
            agent = self.session_agent(request)
            if agent is None:
                return _invalid_session()
            if _blank(body.get('campaignId')):
                return _missing('campaignId')
            if _blank(body.get('phone')):
                return _missing('phone')
            request_id = body.get('requestId')
            if request_id and request_id in sim._dial_request_ids:
                return _json_reply(sim._dial_request_ids[request_id])
            campaign_id = str(body['campaignId'])
            if campaign_id not in sim._campaign_ids_locked(agent):
                return _dial_failure(f'User is not assigned to campaign {campaign_id}')
            if sim._state_locked(agent) != 'ready':
                return _dial_failure('User is not in ready state')
            phone = str(body['phone']).strip()
            if not DIAL_PHONE_RE.match(phone):
                return _dial_failure(f'Invalid phone number {phone}')
            customer_id = body.get('customerId')
            call = sim.start_call(agent.user_id, campaign_id, phone,
                                  customer_id='-1' if customer_id is None else customer_id,
                                  call_type='outbound.manual.dial')
            sim._ring_locked(call)
            result = {'result': 'success', 'reason': None, 'crtObjectId': call['crtObjectId']}
            if request_id:
                sim._dial_request_ids[request_id] = result
        return _json_reply(result)

    # ---- REST: plan, campaigns, voice log, sessions ----------------------------------------------

    def disposition_codes(self, request: _Request) -> _Reply:
        sim = self.sim
        with sim._lock:
            agent = self.session_agent(request)
            if agent is None:
                return _invalid_session()
            campaign_id = request.param('campaignId')
            if _blank(campaign_id):
                return _missing('campaignId')
            if not INTEGER_RE.match(campaign_id.strip()):
                return _not_found()
            campaign_id = str(int(campaign_id))
            if campaign_id not in sim._campaign_ids_locked(agent):
                return _invalid_session()
            codes = sim._campaigns[campaign_id].codes
            return _json_reply([{'dispositionCodeId': code.code_id, 'dispositionCodeName': code.name,
                                 'dispositionClassId': code.class_id} for code in codes])

    def assigned_campaigns(self, request: _Request) -> _Reply:
        sim = self.sim
        with sim._lock:
            agent = self.session_agent(request)
            if agent is None:
                return _invalid_session()
            campaign_ids = sim._campaign_ids_locked(agent)
            if not campaign_ids:
                return _rest_error(512, 'user.not.assigned.to.any.campaign', 0, 'user not assigned to any campaign')
            return _json_reply([sim._campaigns[campaign_id].as_json() for campaign_id in campaign_ids])

    def rest_voice_log(self, request: _Request) -> _Reply:
        sim = self.sim
        with sim._lock:
            if self.session_agent(request) is None:
                if self.has_token_headers(request) and request.headers.get('sessionId') is None:
                    if not self.token_policy_ok(request):
                        return _invalid_token()
                else:
                    return _invalid_session()
            crt = request.param('crtObjectId')
            if _blank(crt):
                return _missing('crtObjectId')
            campaign_id = request.param('campaignId')
            if campaign_id is not None and not INTEGER_RE.match(campaign_id.strip()):
                return _not_found()
            return self.voice_log_reply(crt, request.param('targetFormat'))

    def voice_log_reply(self, crt: str, target_format=None) -> _Reply:
        """The voice log of ``crt``: the one ``set_voice_log`` stored, else the simulator's own recording
        of that call (see the module docstring), else 200 with an empty body. Lock held."""
        body = self.sim._voice_logs.get(crt)
        if body is None:
            body = self.own_recording(crt, target_format)
        content_type = sniff_content_type(body)
        headers = ()
        if content_type.startswith('audio/'):
            extension = 'wav' if content_type == 'audio/wav' else 'mp3'
            headers = (('Content-Disposition', f'attachment; filename="{crt}.{extension}"'),)
        return _Reply(200, body, content_type, headers)

    def own_recording(self, crt: str, target_format=None) -> bytes:
        """The simulator's recording of call ``crt``, or the non-audio body Ameyo answers instead. Lock held."""
        sim = self.sim
        legs = [leg for leg in sim._legs.values() if leg.call['crtObjectId'] == crt]
        if not legs:
            return b''
        not_found = _json_bytes({'message': VOICE_LOG_NOT_FOUND % crt})
        ended = [leg.ended_at for leg in legs]
        if None in ended or time.time() < max(ended) + sim.recording_delay:
            return not_found  # Ameyo writes the file after the call
        pick = zlib.crc32(crt.encode())
        if pick % 1000 < sim.recording_failure_share * 1000:
            return (b'', b'null', HTML_LOGIN_PAGE.encode(), not_found)[(pick // 1000) % 4]
        return recording_wav() if str(target_format or 'wav').lower() == 'wav' else recording_mp3()

    def rest_login(self, request: _Request) -> _Reply:
        sim = self.sim
        body = request.json if isinstance(request.json, dict) else {}
        user_id, token = body.get('userId'), body.get('token')
        if _blank(user_id):
            return _missing('userId')
        if _blank(token):
            return _missing('token')
        with sim._lock:
            agent = sim._agents.get(user_id)
            if agent is None or not secrets.compare_digest(str(token).encode(), agent.password.encode()):
                return _rest_error(403, 'invalid.credentials', 0, 'Incorrect password')
            session_id = sim._login_locked(agent, force=bool(body.get('forceLogin', True)))
        if request.path.rstrip('/').endswith('/session/userLogin'):
            return _json_reply({'userId': user_id, 'terminalInfo': body.get('terminalInfo'), 'sessionId': session_id})
        return _json_reply({
            'requestId': secrets.token_hex(8),
            'contactCenterId': 1,
            'userSessionInfo': {'sessionId': session_id, 'userId': user_id},
            'authenticationState': {'authPolicyVsUserInfo': {'auth.type.passwd': {'loginProperties': {}}}},
            'configurations': {},
        })

    def rest_logout(self, request: _Request) -> _Reply:
        sim = self.sim
        with sim._lock:
            if self.session_agent(request) is None:
                return _invalid_session()
            sim.logout(request.headers.get('sessionId'))
        return _text_reply('ok')

    # ---- legacy webaccess ------------------------------------------------------------------------

    def legacy_command(self, request: _Request) -> _Reply:
        name = request.param('command')
        if _blank(name):
            return _legacy_error('Invalid command', 'command parameter missing')
        command = self.commands.get(name)
        if command is None:
            return _legacy_error('Invalid command', f'Unknown command: {name}')
        raw = (request.form or {}).get('data')
        if raw is None:
            raw = request.param('data')
        if raw is None and isinstance(request.json, dict):
            raw = json.dumps(request.json)
        try:
            data = parse_legacy_data(raw)
        except ValueError as error:
            data = error
        return command(request, data)

    def click_to_dial_async(self, request: _Request, data) -> _Reply:
        return self.click_to_dial(request, data, asynchronous=True)

    def click_to_dial(self, request: _Request, data, asynchronous: bool = False) -> _Reply:
        sim = self.sim
        if not self.token_policy_ok(request):
            return _legacy_error('Invalid token', 'hash-key, policy-name or requesting-host rejected')
        if not isinstance(data, dict):
            return _legacy_error('Invalid data', str(data) if isinstance(data, Exception) else 'data is not an object')
        with sim._lock:
            agent = sim._agents.get(data.get('userId') or '')
            if agent is None:
                return _dial_failure('User not found')
            state = sim._state_locked(agent)
            if state == 'logged_out':
                return _dial_failure('User is not logged in')
            if state != 'ready':
                return _dial_failure('User is not in ready state')
            campaign_id = str(data.get('campaignId') or '')
            if campaign_id not in sim._campaign_ids_locked(agent):
                return _dial_failure(f'User is not assigned to campaign {campaign_id}')
            phone = str(data.get('phone') or '').strip()
            if not phone:
                return _dial_failure('Phone number is empty')
            if not DIAL_PHONE_RE.match(phone):
                return _dial_failure(f'Invalid phone number {phone}')

            def dial():
                with sim._lock:
                    try:
                        call = sim.start_call(agent.user_id, campaign_id, phone, call_type='outbound.manual.dial')
                    except ValueError:
                        return  # the agent logged out meanwhile: the asynchronous dial fails silently, as Ameyo's does
                    sim._ring_locked(call)

            if not asynchronous:
                dial()
        return _Reply(200, _json_bytes({'result': 'success', 'reason': None}), 'application/json',
                      after=dial if asynchronous else None)

    def legacy_voice_log(self, request: _Request, data) -> _Reply:
        sim = self.sim
        with sim._lock:
            session_ok = isinstance(data, dict) and sim._session_agent_locked(data.get('sessionId')) is not None
            if not session_ok:
                if self.has_token_headers(request):
                    if not self.token_policy_ok(request):
                        return _legacy_error('Invalid token', 'hash-key, policy-name or requesting-host rejected')
                else:
                    return _Reply(200, HTML_LOGIN_PAGE.encode(), 'text/html')
            if not isinstance(data, dict) or _blank(data.get('crtObjectId')):
                return _Reply(200, b'null', 'application/json')
            return self.voice_log_reply(data['crtObjectId'], data.get('targetFormat'))

    def ping_session(self, request: _Request, data) -> _Reply:
        with self.sim._lock:
            alive = isinstance(data, dict) and self.sim._session_agent_locked(data.get('sessionId')) is not None
        if not alive:
            return _legacy_error('Invalid session Id', 'Invalid session Id')
        return _json_reply({'alive': True, 'serverTime': _now_ms()})

    def legacy_login(self, request: _Request, data, force: bool = False) -> _Reply:
        sim = self.sim
        if not isinstance(data, dict):
            return _legacy_error('Invalid credentials', 'Invalid credentials')
        with sim._lock:
            agent = sim._agents.get(data.get('userId') or '')
            password = str(data.get('password') or '')
            if agent is None or not secrets.compare_digest(password.encode(), agent.password.encode()):
                return _legacy_error('Invalid credentials', 'Invalid credentials')
            session_id = sim._login_locked(agent, force=force)
        return _json_reply({'sessionId': session_id, 'userId': agent.user_id})

    def legacy_force_login(self, request: _Request, data) -> _Reply:
        return self.legacy_login(request, data, force=True)

    def legacy_logout(self, request: _Request, data) -> _Reply:
        if isinstance(data, dict) and data.get('sessionId'):
            self.sim.logout(str(data['sessionId']))
        return _text_reply('ok')

    # ---- legacy dispose --------------------------------------------------------------------------

    def dacx_dispose(self, request: _Request) -> _Reply:
        sim = self.sim
        param = request.param
        with sim._lock:
            agent = sim._session_agent_locked(param('sessionId'))
            if agent is None:
                return _text_reply('Invalid session Id')
            crt, user_crt = param('crtObjectId'), param('userCrtObjectId')
            legs = [leg for leg in sim._legs.values()
                    if crt and leg.call['crtObjectId'] == crt and leg.call['userId'] == agent.user_id
                    and (not user_crt or leg.call['userCrtObjectId'] == user_crt)]
            if not legs:
                return _text_reply('Invalid crtObjectId')
            leg = max(legs, key=lambda candidate: candidate.seq)
            if leg.state == 'disposed':
                return _text_reply('Call already disposed')
            code = param('dispositionCode')
            campaign = sim._campaigns.get(leg.call['campaignId'])
            if campaign is None or not campaign.has_code(code):
                return _text_reply('Disposition code not in plan')
            sim._dispose_locked(leg, code, 'dacx/dispose', attribute=param('dispositionAttr'),
                                self_callback=param('selfCallback'))
        return _text_reply('Dispose Successfully')


def _valid_callback_time(value) -> bool:
    if not isinstance(value, str) or not CALLBACK_TIME_RE.match(value):
        return False
    try:
        time.strptime(value, '%Y-%m-%d %H:%M:%S')
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------------------------------
# Control API (/__sim__/...)
# --------------------------------------------------------------------------------------------------

def _control(sim: AmeyoSimulator, method: str, path: str, body) -> tuple[int, object]:
    """Serve the control API; returns (status, JSON-able answer)."""
    data = body if isinstance(body, dict) else {}
    route = (method, path.rstrip('/'))
    try:
        if route == ('GET', '/__sim__/state'):
            return 200, sim.state()
        if route == ('GET', '/__sim__/requests'):
            return 200, [_request_as_json(record) for record in sim.requests]
        if route == ('POST', '/__sim__/reset'):
            sim.reset()
            return 200, {'ok': True}
        if route == ('POST', '/__sim__/campaigns'):
            return 200, sim.add_campaign(data['campaignId'], data.get('name') or str(data['campaignId']),
                                         dispositions=data.get('dispositions') or (),
                                         campaign_type=data.get('campaignType') or DEFAULT_CAMPAIGN_TYPE)
        if route == ('POST', '/__sim__/agents'):
            session_id = sim.add_agent(data['userId'], password=data.get('password') or 'secret',
                                       campaigns=data.get('campaigns') or ())
            return 200, {'userId': data['userId'], 'sessionId': session_id}
        if route == ('POST', '/__sim__/login'):
            return 200, {'userId': data['userId'], 'sessionId': sim.login(data['userId'])}
        if route == ('POST', '/__sim__/logout'):
            sim.logout(data['sessionId'])
            return 200, {'ok': True}
        if route == ('POST', '/__sim__/calls'):
            return 200, sim.start_call(data['userId'], data['campaignId'], data['phone'],
                                       customer_id=data.get('customerId', '-1'),
                                       call_type=data.get('callType') or 'inbound.call.dial',
                                       queue_id=data.get('queueId'), queue_name=data.get('queueName'))
        if route == ('POST', '/__sim__/hangup'):
            sim.hangup(_find_call(sim, data))
            return 200, {'ok': True}
        if route == ('POST', '/__sim__/transfer'):
            return 200, sim.transfer(_find_call(sim, data), data['toUserId'])
        if route == ('POST', '/__sim__/voicelogs'):
            sim.set_voice_log(data['crtObjectId'], body=data.get('body'), fmt=data.get('fmt') or 'mp3')
            return 200, {'ok': True}
        if route == ('POST', '/__sim__/faults'):
            sim.inject(**{key: data[key] for key in ('match', 'status', 'body', 'content_type', 'delay', 'drop',
                                                     'times', 'carry_out', 'chunked') if key in data})
            return 200, {'ok': True}
        if route == ('POST', '/__sim__/crm'):
            sim.set_crm(data.get('odooUrl'), sso_url=data.get('ssoUrl'), ring=float(data.get('ring', 1.0)))
            return 200, {'ok': True}
        if route == ('DELETE', '/__sim__/faults'):
            sim.clear_faults()
            return 200, {'ok': True}
    except KeyError as error:
        return 400, {'error': f'missing field {error.args[0]}'}
    except (TypeError, ValueError) as error:
        return 400, {'error': str(error)}
    return 404, {'error': f'no control endpoint {method} {path}'}


def _find_call(sim: AmeyoSimulator, data: dict) -> dict:
    """The call dict named by userCrtObjectId, or the latest open leg of crtObjectId."""
    user_crt, crt = data.get('userCrtObjectId'), data.get('crtObjectId')
    legs = [leg for leg in sim.calls() if (user_crt and leg['userCrtObjectId'] == user_crt)
            or (not user_crt and crt and leg['crtObjectId'] == crt and leg['state'] != 'disposed')]
    if not legs:
        raise ValueError('no such call leg')
    return legs[-1]


def _request_as_json(record: dict) -> dict:
    answer = {key: value for key, value in record.items() if key != 'target'}
    answer['body'] = record['body'].decode('utf-8', 'replace')
    return answer


# --------------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    simulator: AmeyoSimulator

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # the client went away (a timeout test, a dropped connection): nothing to report
        super().handle_error(request, client_address)


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    """Parses each request, applies faults, records it, and hands it to the endpoints."""

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
        if path.startswith('/__sim__'):
            try:
                payload = json.loads(body) if body.strip() else None
            except ValueError:
                payload = None
            status, answer = _control(sim, self.command, path, payload)
            self._send(_json_reply(answer, status))
            return

        content_type = (self.headers.get('Content-Type') or '').lower()
        form = None
        if 'application/x-www-form-urlencoded' in content_type:
            parsed = urllib.parse.parse_qs(body.decode('utf-8', 'replace'), keep_blank_values=True)
            form = {key: values[0] for key, values in parsed.items()}
        parsed_json = None
        if form is None and body.strip():
            try:
                parsed_json = json.loads(body)
            except ValueError:
                parsed_json = None
        request = _Request(self.command, path, query, self.headers, body, form, parsed_json)
        target = path + ('?' + split.query if split.query else '')
        record = sim._record(request, target)

        fault = sim._take_fault(target)
        reply = None
        if fault is not None and fault.carry_out:
            reply = self._dispatch(request)  # Ameyo does the work; what reaches Odoo is the fault's
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                self._drop()
                self._log(sim, path, query, None, started)
                if reply is not None and reply.after is not None:
                    reply.after()
                return
        if fault is not None and (fault.status is not None or fault.body is not None):
            carried, reply = reply, _forced_reply(fault)
            reply.after = carried.after if carried is not None else None
        elif reply is None:
            reply = self._dispatch(request)
        record['status'] = reply.status
        self._send(reply)
        self._log(sim, path, query, reply.status, started)
        if reply.after is not None:
            reply.after()

    def _dispatch(self, request: _Request) -> _Reply:
        try:
            return self.server.simulator._endpoints.dispatch(request)
        except Exception:  # a bug in the double answers like Tomcat, and its traceback goes to stderr
            traceback.print_exc()
            return _Reply(500, HTML_500.encode(), 'text/html')

    def _send(self, reply: _Reply) -> None:
        try:
            self.send_response(reply.status, _REASONS.get(reply.status))
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
                    piece = reply.body[start:start + 16384]
                    self.wfile.write(b'%x\r\n%s\r\n' % (len(piece), piece))
                self.wfile.write(b'0\r\n\r\n')
            elif self.command != 'HEAD':
                self.wfile.write(reply.body)
            self.wfile.flush()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _drop(self) -> None:
        """Close the connection without writing a byte."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    @staticmethod
    def _log(sim: AmeyoSimulator, path: str, query: dict, status: int | None, started: float) -> None:
        if not sim.log_requests:
            return
        elapsed = (time.monotonic() - started) * 1000
        outcome = 'dropped' if status is None else str(status)
        print(f'{time.strftime("%H:%M:%S")} {_mask_target(path, query)} -> {outcome} ({elapsed:.0f} ms)',
              file=sys.stderr, flush=True)


_REASONS = {512: 'Internal Error'}


def _forced_reply(fault: _Fault) -> _Reply:
    """The answer an injected fault forces."""
    status = fault.status if fault.status is not None else 200
    if fault.body is None:
        if status == 500:
            body = HTML_500.encode()
        elif status >= 400:
            body = _json_bytes({'message': '', 'code': 0, 'info': None, 'status': status})
        else:
            body = b''
    else:
        body = _to_bytes(fault.body)
    return _Reply(status, body, fault.content_type or sniff_content_type(body), chunked=fault.chunked)


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------

DEMO_CAMPAIGNS = (
    ('1', 'Inbound Sales', ('Sale', 'Not Interested', 'Callback', 'Wrong Number')),
    ('2', 'Outbound Collections', ('Promise To Pay', 'Paid', 'Callback', 'No Answer')),
)
DEMO_AGENTS = (('agent1', 'agent1'), ('agent2', 'agent2'))


def seed_demo(sim: AmeyoSimulator) -> dict[str, str]:
    """Seed the demo campaigns and agents; returns {userId: sessionId}."""
    for campaign_id, name, codes in DEMO_CAMPAIGNS:
        sim.add_campaign(campaign_id, name, dispositions=codes)
    campaign_ids = [campaign_id for campaign_id, _name, _codes in DEMO_CAMPAIGNS]
    return {user_id: sim.add_agent(user_id, password=password, campaigns=campaign_ids)
            for user_id, password in DEMO_AGENTS}


def _control_call(sim_url: str, method: str, path: str, payload=None):
    """Call the running simulator's control API; returns the parsed JSON answer."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(sim_url.rstrip('/') + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
    status, _headers, body = _open_without_redirect(request, timeout=10)
    answer = json.loads(body or b'null')
    if status != 200:
        raise SystemExit(f'simulator {method} {path}: {status} {answer}')
    return answer


def _cmd_serve(args) -> int:
    sim = AmeyoSimulator(host=args.host, port=args.port, hash_key=args.hash_key,
                         requesting_host=args.requesting_host, policy_name=args.policy_name,
                         dispose_token=args.dispose_token, dispose_token_header=args.dispose_token_header,
                         admin_user_id=args.admin_user, admin_password=args.admin_password, log_requests=True,
                         recording_delay=args.recording_delay, recording_failure_share=args.recording_failure_share)
    sim.start()
    print(f'Ameyo simulator listening on {sim.url}', flush=True)
    if args.odoo:
        sim.set_crm(args.odoo, sso_url=args.odoo.rstrip('/') + '/ameyo/sso' if args.sso else None, ring=args.ring)
        print(f'dialed calls are thrown at {args.odoo}/ameyo/customer after {args.ring:g} s'
              + (' (with an SSO crmSessionId)' if args.sso else ''), flush=True)
    if args.demo:
        sessions = seed_demo(sim)
        print('demo: campaigns 1 "Inbound Sales", 2 "Outbound Collections"; '
              f'users agent1/agent1, agent2/agent2, {args.admin_user} (admin)', flush=True)
        for user_id, session_id in sessions.items():
            print(f'demo: {user_id} sessionId {session_id}', flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


def _cmd_throw(args) -> int:
    state = _control_call(args.sim, 'GET', '/__sim__/state')
    agents = {agent['userId']: agent for agent in state['agents']}
    agent = agents.get(args.user)
    if agent is None or not agent['sessions']:
        raise SystemExit(f'agent {args.user!r} is unknown or logged out on {args.sim}')
    extra = {}
    if args.event == 'kb':
        call = {'userId': args.user, 'sessionId': agent['sessions'][-1], 'campaignId': args.campaign}
    else:
        open_legs = [leg for leg in state['calls'] if leg['userId'] == args.user and leg['state'] != 'disposed']
        if args.event == 'dispose' and open_legs:
            call = open_legs[-1]
        else:
            if not args.phone:
                raise SystemExit('--phone is required to start a call')
            call = _control_call(args.sim, 'POST', '/__sim__/calls', {
                'userId': args.user, 'campaignId': args.campaign, 'phone': args.phone,
                'customerId': args.customer_id, 'callType': args.call_type,
                'queueId': args.queue_id, 'queueName': args.queue_name})
        if args.event == 'dispose':
            if not args.disposition:
                raise SystemExit('--disposition is required for --event dispose')
            _control_call(args.sim, 'POST', '/__sim__/hangup', {'userCrtObjectId': call['userCrtObjectId']})
            extra = {'dispositionCode': args.disposition, 'dispositionAttr': args.disposition_attr}
    params = build_lifecycle_params(call, args.event, session_id=agent['sessions'][-1], **extra)
    print(f'{args.odoo.rstrip("/")}/ameyo/{args.event}?{urllib.parse.urlencode(params)}')
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description='A loopback double of the Ameyo server, for tests and demos.')
    commands = parser.add_subparsers(dest='command', required=True)

    serve = commands.add_parser('serve', help='run the simulator until interrupted')
    serve.add_argument('--host', default='127.0.0.1', help='127.0.0.1, localhost or ::1 (loopback only)')
    serve.add_argument('--port', type=int, default=8899)
    serve.add_argument('--demo', action='store_true', help='seed the demo campaigns and agents')
    serve.add_argument('--hash-key', default='sim-hash-key')
    serve.add_argument('--requesting-host', default='odoo.example.com')
    serve.add_argument('--policy-name', default='token-based-authorization-policy')
    serve.add_argument('--dispose-token', default='sim-dispose-token')
    serve.add_argument('--dispose-token-header', default='authorization')
    serve.add_argument('--admin-user', default='admin')
    serve.add_argument('--admin-password', default='admin')
    serve.add_argument('--odoo', help="Odoo's base URL: throw the customer URL of dialed calls there")
    serve.add_argument('--sso', action='store_true', help="log the agent in to Odoo's SSO API before a throw")
    serve.add_argument('--ring', type=float, default=1.0, help='seconds between a dial and its customer URL')
    serve.add_argument('--recording-delay', type=float, default=0.0,
                       help='seconds after a call ends before its recording exists (default 0)')
    serve.add_argument('--recording-failure-share', type=float, default=0.0,
                       help="share of calls (0 to 1) whose voice log answers a non-audio 200 (default 0)")
    serve.set_defaults(func=_cmd_serve)

    throw = commands.add_parser('throw', help="print the Odoo URL the agent's browser would load")
    throw.add_argument('--odoo', required=True, help='Odoo base URL, e.g. http://localhost:8069')
    throw.add_argument('--event', choices=LIFECYCLE_EVENTS, default='customer')
    throw.add_argument('--user', required=True, help='Ameyo userId of the agent')
    throw.add_argument('--campaign', required=True, help='Ameyo campaignId')
    throw.add_argument('--phone', help='customer phone (starts a new call)')
    throw.add_argument('--sim', default='http://127.0.0.1:8899', help='the running simulator')
    throw.add_argument('--disposition', help='dispositionCode (dispose event)')
    throw.add_argument('--disposition-attr', help='dispositionAttr (dispose event), e.g. local-2030-01-01 10:00:00')
    throw.add_argument('--customer-id', default='-1')
    throw.add_argument('--call-type', default='inbound.call.dial')
    throw.add_argument('--queue-id')
    throw.add_argument('--queue-name')
    throw.set_defaults(func=_cmd_throw)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as error:
        parser.error(str(error))
        return 2


if __name__ == '__main__':
    sys.exit(main())

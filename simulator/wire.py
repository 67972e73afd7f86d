"""What goes over the wire: a parsed request, a reply, Ameyo's answer shapes and the bodies it
serves."""

import http.client
import io
import json
import math
import os
import re
import struct
import time
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass

HTML_500 = (
    '<html><head><title>Apache Tomcat - Error report</title></head><body><h1>HTTP Status 500 - '
    '</h1>'
    '<p>java.lang.NullPointerException</p></body></html>'
)
HTML_LOGIN_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Ameyo - Login</title></head><body>'
    '<div id="loginPanel"><h2>Ameyo</h2><form method="post" action="/ameyowebaccess/login.htm">'
    '<input type="text" name="userId" placeholder="User ID"/>'
    '<input type="password" name="password" placeholder="Password"/>'
    '<button type="submit">Login</button></form></div></body></html>'
)
INTEGER_RE = re.compile(r'^-?\d+$')
# what the dial APIs accept: digits, an optional leading +
DIAL_PHONE_RE = re.compile(r'^\+?\d{3,16}$')
TOKEN_HEADERS = ('hash-key', 'policy-name', 'requesting-host')
REASONS = {512: 'Internal Error'}  # the status line Ameyo's Tomcat sends for its own status


# ---- bodies ------------------------------------------------------------------------------------


def json_bytes(value) -> bytes:
    """Serialise ``value`` compactly, as Ameyo's Jackson does."""
    return json.dumps(value, separators=(',', ':')).encode()


def to_bytes(body) -> bytes:
    """Bytes for a response body given as bytes, str, or a JSON-able dict/list."""
    if body is None:
        return b''
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    return json_bytes(body)


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
        samples = b''.join(
            struct.pack('<h', int(8000 * math.sin(2 * math.pi * tone_hz * index / rate)))
            for index in range(frames)
        )
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
    for candidate in (text, text.replace("'", '"')):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    raise ValueError('data is not valid JSON')


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def now_ms() -> int:
    return int(time.time() * 1000)


def mask_target(path: str, query: Mapping[str, list[str]]) -> str:
    """The request target for the log: the path, the legacy command, every other value masked."""
    parts = [
        f'{key}={value}' if key == 'command' else f'{key}=***'
        for key, values in query.items()
        for value in values
    ]
    return path + ('?' + '&'.join(parts) if parts else '')


# ---- requests and replies ------------------------------------------------------------------------


@dataclass
class Request:
    """A parsed incoming request, handed to the endpoint functions."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: http.client.HTTPMessage
    body: bytes
    form: dict[str, str] | None
    json: object

    def param(self, key: str) -> str | None:
        """The first value of the query parameter ``key``, or None."""
        found = self.query.get(key)
        return found[0] if found else None

    def json_object(self) -> dict:
        """The JSON body when it is an object, else an empty dict."""
        return self.json if isinstance(self.json, dict) else {}

    def has_token_headers(self) -> bool:
        """Whether any token-policy header was sent (whatever its value)."""
        return any(self.headers.get(name) is not None for name in TOKEN_HEADERS)


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str
    headers: tuple = ()
    after: Callable[[], None] | None = None  # run once the answer is sent (asynchronous work)
    chunked: bool = False  # sent with Transfer-Encoding: chunked, its size not announced


def json_reply(value, status: int = 200) -> Reply:
    return Reply(status, json_bytes(value), 'application/json')


def text_reply(text: str, status: int = 200) -> Reply:
    return Reply(status, text.encode(), 'text/plain')


def html_reply(html: str, status: int = 200) -> Reply:
    return Reply(status, html.encode(), 'text/html')


def file_reply(body: bytes, name: str) -> Reply:
    """A stored file (a voice log) as Ameyo serves it: its type sniffed, audio as an attachment."""
    content_type = sniff_content_type(body)
    headers = ()
    if content_type.startswith('audio/'):
        extension = 'wav' if content_type == 'audio/wav' else 'mp3'
        headers = (('Content-Disposition', f'attachment; filename="{name}.{extension}"'),)
    return Reply(200, body, content_type, headers)


# ---- Ameyo's answers -----------------------------------------------------------------------------


def rest_error(status: int, message: str | None, code: int, info: str | None) -> Reply:
    """Ameyo's RESTAPIErrorResponseEntity."""
    return json_reply({'message': message, 'code': code, 'info': info, 'status': status}, status)


def invalid_input(info: str) -> Reply:
    return rest_error(400, 'InvalidInput', 40001, info)


def missing(name: str) -> Reply:
    return invalid_input(f'parameter expected in input: {name}')


def invalid_session() -> Reply:
    return rest_error(403, None, 99999, 'invalid.session.id')


def invalid_token() -> Reply:
    return rest_error(403, None, 99999, 'invalid.authentication.token')


def not_found() -> Reply:
    return rest_error(404, 'requested.resource.not.found', 99999, None)


def method_not_allowed() -> Reply:
    return rest_error(405, 'method.not.allowed', 0, None)


def not_in_plan(code, campaign_id) -> Reply:
    return rest_error(
        512,
        'disposition.code.not.in.plan',
        0,
        f'disposition code {code} is not in the disposition plan of campaign {campaign_id}',
    )


def no_call_to_dispose() -> Reply:
    return rest_error(512, 'no.call.to.dispose', 0, 'no call to dispose for user')


def legacy_error(reason: str, details: str) -> Reply:
    """The legacy API's usual error object (HTTP 200)."""
    return json_reply({'status': 'error', 'reason': reason, 'details': details})


def legacy_invalid_token() -> Reply:
    return legacy_error('Invalid token', 'hash-key, policy-name or requesting-host rejected')


def dial_failure(reason: str) -> Reply:
    """A dial API's refusal: the vendor guide's "success or failed"."""
    return json_reply({'result': 'failed', 'reason': reason})


def forced_reply(
    status: int | None, body, content_type: str | None, chunked: bool = False
) -> Reply:
    """The answer an injected fault forces: Ameyo's HTML 500 page, the REST envelope of another
    error status, an empty 200, or the body given; ``chunked``: without a Content-Length."""
    status = 200 if status is None else status
    if body is not None:
        body = to_bytes(body)
    elif status == 500:
        body = HTML_500.encode()
    elif status >= 400:
        body = json_bytes({'message': '', 'code': 0, 'info': None, 'status': status})
    else:
        body = b''
    return Reply(status, body, content_type or sniff_content_type(body), chunked=chunked)

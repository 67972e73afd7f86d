"""Ameyo calling the CRM: the lifecycle URLs the agent's embedded browser loads (knowledge base,
customer, preview, dispose) and the SSO login/logout calls of Ameyo's server."""

import json
import logging
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from http.cookies import SimpleCookie
from xml.sax.saxutils import escape as xml_escape

from .wire import now_ms

_logger = logging.getLogger(__name__)
LIFECYCLE_EVENTS = ('kb', 'customer', 'preview', 'dispose')
# Parameters Ameyo appends to each lifecycle URL, in the order it sends them (reference §2).
LIFECYCLE_KEYS = {
    'kb': ('sessionId', 'userId', 'campaignId'),
    'customer': (
        'sessionId',
        'campaignId',
        'crtObjectId',
        'userCrtObjectId',
        'userId',
        'customerId',
        'phone',
        'queueId',
        'queueName',
        'callType',
    ),
    'preview': (
        'sessionId',
        'campaignId',
        'crtObjectId',
        'userId',
        'customerId',
        'phone',
        'callType',
    ),
    'dispose': (
        'sessionId',
        'campaignId',
        'crtObjectId',
        'userCrtObjectId',
        'userId',
        'customerId',
        'phone',
        'callType',
    ),
}
SSO_FORMS = ('xml', 'requestXml', 'json', 'request')


def build_lifecycle_params(
    call: Mapping, event: str, session_id: str | None = None, **extra
) -> dict:
    """The camelCase params Ameyo appends to the CRM URL of ``event`` for ``call``.

    ``event`` is one of ``kb``, ``customer``, ``preview``, ``dispose``. ``session_id`` replaces the
    call's sessionId (the agent's live session). ``extra`` (e.g. ``dispositionCode``,
    ``dispositionAttr``, ``crmSessionId``) is appended, or overrides a key; None values are left
    out.
    """
    if event not in LIFECYCLE_KEYS:
        raise ValueError(
            f'unknown lifecycle event {event!r}; expected one of {", ".join(LIFECYCLE_EVENTS)}'
        )
    source = dict(call)
    if session_id:
        source['sessionId'] = session_id
    params = {key: source.get(key) for key in LIFECYCLE_KEYS[event]}
    if event == 'dispose':
        params['dispositionCode'] = extra.pop('dispositionCode', None)
        params['dispositionAttr'] = extra.pop('dispositionAttr', None)
    params['crm_push_generated_time'] = str(now_ms())
    params.update(extra)
    return {key: str(value) for key, value in params.items() if value is not None}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand 3xx answers back to the caller instead of following them."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def open_without_redirect(request: urllib.request.Request, timeout: float):
    """Send ``request`` directly (no proxy, no redirect); return (status, headers, body)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def _send(url: str, session: dict, data: bytes | None = None, timeout: float = 30.0):
    """GET (POST with form ``data``) ``url`` with the cookies of ``session``, which takes the
    cookies the answer sets; return (status, headers, body)."""
    request = urllib.request.Request(url, data=data, method='POST' if data is not None else 'GET')
    if data is not None:
        request.add_header('Content-Type', 'application/x-www-form-urlencoded')
    if session:
        request.add_header(
            'Cookie', '; '.join(f'{name}={value}' for name, value in session.items())
        )
    status, headers, body = open_without_redirect(request, timeout)
    for set_cookie in headers.get_all('Set-Cookie') or ():
        cookie = SimpleCookie()
        cookie.load(set_cookie)
        for name, morsel in cookie.items():
            session[name] = morsel.value
    return status, headers, body


def odoo_login(odoo_url: str, login: str, password: str, timeout: float = 30.0) -> dict:
    """Log ``login`` in to Odoo through its login page, as an agent does once in Ameyo's browser
    (the session-cookie mode); return the cookies of their Odoo session, or {} when Odoo refused."""
    session: dict = {}
    base = odoo_url.rstrip('/')
    _status, _headers, body = _send(f'{base}/web/login', session, timeout=timeout)
    token = re.search(rb'name="csrf_token" value="([^"]+)"', body)
    if not token:
        return {}
    form = urllib.parse.urlencode(
        {'login': login, 'password': password, 'csrf_token': token.group(1).decode()}
    )
    status, headers, _body = _send(
        f'{base}/web/login', session, data=form.encode(), timeout=timeout
    )
    # a success redirects into Odoo; a refusal shows the login page again (200)
    return (
        session
        if status in (302, 303) and '/web/login' not in (headers.get('Location') or '')
        else {}
    )


def sso_request(fields: dict, form: str) -> tuple[bytes, str]:
    """The body and content type of an SSO call in ``form``."""
    if form in ('xml', 'requestXml'):
        elements = ''.join(
            f'<{key}>{xml_escape(str(value))}</{key}>' for key, value in fields.items()
        )
        document = f'<?xml version="1.0" encoding="UTF-8"?><request>{elements}</request>'
        if form == 'xml':
            return document.encode(), 'text/xml; charset=UTF-8'
        return urllib.parse.urlencode(
            {'requestXml': document}
        ).encode(), 'application/x-www-form-urlencoded'
    if form in ('json', 'request'):
        # The brief's JSON variant spells the keys in lower case (userid, crmsessionid).
        payload = json.dumps(
            {key.lower() if key != 'command' else key: value for key, value in fields.items()}
        )
        if form == 'json':
            return payload.encode(), 'application/json'
        return urllib.parse.urlencode(
            {'request': payload}
        ).encode(), 'application/x-www-form-urlencoded'
    raise ValueError(f"unknown SSO form {form!r}; expected one of {', '.join(SSO_FORMS)}")


def sso_login(
    odoo_sso_url: str, user_id: str, password: str, form: str = 'xml', timeout: float = 30.0
) -> dict:
    """Call the CRM's SSO endpoint with ``command=login`` as Ameyo's server does.

    ``form``: 'xml' (raw XML body), 'requestXml' (form field), 'json' (JSON body) or 'request'
    (form field holding JSON). Returns {'status', 'message', 'crmSessionId', 'http_status',
    'raw'}."""
    return _sso_call(
        odoo_sso_url, {'command': 'login', 'userId': user_id, 'password': password}, form, timeout
    )


def sso_logout(
    odoo_sso_url: str, crm_session_id: str, form: str = 'xml', timeout: float = 30.0
) -> dict:
    """Call the CRM's SSO endpoint with ``command=logout``; same return value as sso_login."""
    return _sso_call(
        odoo_sso_url, {'command': 'logout', 'crmSessionId': crm_session_id}, form, timeout
    )


def _sso_call(url: str, fields: dict, form: str, timeout: float) -> dict:
    data, content_type = sso_request(fields, form)
    request = urllib.request.Request(
        url, data=data, method='POST', headers={'Content-Type': content_type}
    )
    status, _headers, body = open_without_redirect(request, timeout)
    return parse_sso_response(status, body)


def parse_sso_response(http_status: int, body: bytes) -> dict:
    """Read an SSO answer, XML ``<response>`` or JSON, into a dict."""
    raw = body.decode('utf-8', 'replace')
    result = {
        'status': None,
        'message': None,
        'crmSessionId': None,
        'http_status': http_status,
        'raw': raw,
    }
    text = raw.strip()
    if text.startswith('{'):
        try:
            data = json.loads(text)
        except ValueError:
            return result
        lowered = (
            {str(key).lower(): value for key, value in data.items()}
            if isinstance(data, dict)
            else {}
        )
        result.update(
            status=lowered.get('status'),
            message=lowered.get('message'),
            crmSessionId=lowered.get('crmsessionid'),
        )
    elif text.startswith('<'):
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            return result
        for child in root:
            key = {'status': 'status', 'message': 'message', 'crmsessionid': 'crmSessionId'}.get(
                child.tag.lower()
            )
            if key:
                result[key] = (child.text or '').strip()
    return result


class AgentBrowser:
    """The agent's embedded browser and Ameyo's SSO client; mixed into the simulator, whose state
    gives the agent's live Ameyo session (``latest_session``), their password and Odoo's URL
    (``crm``)."""

    def lifecycle_params(self, call: Mapping, event: str, **extra) -> dict:
        """The params Ameyo appends to the CRM URL of ``event`` ('kb', 'customer', 'preview',
        'dispose').

        The sessionId is the agent's live session (the call's own if they have none); ``extra``
        (dispositionCode, dispositionAttr, crmSessionId, or an override such as sessionId) is
        added."""
        return build_lifecycle_params(
            call, event, session_id=self.latest_session(call.get('userId')), **extra
        )

    def throw_url(self, odoo_url: str, params, session: dict | None = None, timeout: float = 30.0):
        """GET ``odoo_url`` with ``params`` appended, as the agent's embedded browser does.

        Redirects are not followed. ``session`` is a cookie dict sent along and updated with the
        cookies the answer sets. Returns (status, headers, body) with case-insensitive headers."""
        query = urllib.parse.urlencode(
            list(params.items()) if isinstance(params, Mapping) else list(params)
        )
        url = odoo_url + (('&' if '?' in odoo_url else '?') + query if query else '')
        return _send(url, session if session is not None else {}, timeout=timeout)

    def throw(
        self, odoo_base_url: str, call: Mapping, event: str, session: dict | None = None, **extra
    ):
        """Throw the ``event`` URL of ``call`` at ``<odoo_base_url>/ameyo/<event>``; see
        throw_url."""
        url = odoo_base_url.rstrip('/') + f'/ameyo/{event}'
        return self.throw_url(url, self.lifecycle_params(call, event, **extra), session=session)

    sso_login = staticmethod(sso_login)
    sso_logout = staticmethod(sso_logout)
    odoo_login = staticmethod(odoo_login)

    def dialed(self, call: dict) -> None:
        """A dial connected ``call``: when Odoo's URL is known (set_crm), throw its customer URL
        there after the ring, as the agent's browser would."""
        crm = self.crm()
        if crm:
            timer = threading.Timer(crm['ring'], self._throw_dialed, args=(dict(call), crm))
            timer.daemon = True
            timer.start()

    def _throw_dialed(self, call: dict, crm: dict) -> None:
        entry = {
            'userId': call['userId'],
            'crtObjectId': call['crtObjectId'],
            'phone': call['phone'],
            'status': None,
            'location': None,
            'error': None,
        }
        try:
            extra = {}
            session = dict(crm['cookies'])
            if crm.get('login'):  # the agent logged in to Odoo in Ameyo's browser (cookie mode)
                cookies = odoo_login(
                    crm['odoo_url'], call['userId'], self.agent(call['userId']).password
                )
                if cookies:
                    session.update(cookies)
                else:
                    entry['error'] = 'Odoo login refused'
            if crm['sso_url']:
                answer = sso_login(
                    crm['sso_url'], call['userId'], self.agent(call['userId']).password
                )
                if answer.get('crmSessionId'):
                    extra['crmSessionId'] = answer['crmSessionId']
                else:
                    entry['error'] = f'SSO login refused: {answer.get("message")}'
            status, headers, _body = self.throw(
                crm['odoo_url'], call, 'customer', session=session, **extra
            )
            entry.update(status=status, location=headers.get('Location'))
        # Odoo unreachable: recorded for whoever waits, never raised
        except Exception as error:  # noqa: BLE001
            entry['error'] = f'{type(error).__name__}: {error}'
        if self.log_requests:
            _logger.info(
                'threw the customer URL of %s at Odoo -> %s',
                call['crtObjectId'],
                entry['status'] or entry['error'],
            )
        self.record_throw(entry)

"""Ameyo's login/logout API, served by Odoo: POST /ameyo/sso.

Ameyo calls it with ``command=login`` (userId, password) when the agent logs in to
Ameyo and ``command=logout`` (crmSessionId) when he logs out. Every request form seen in
the wild is accepted: a raw XML body ``<request><command/>...</request>``, a form field
``requestXml`` with that XML, a JSON body, a form field ``request`` holding JSON. Names
are case-insensitive. The answer uses the request's format. Nothing malformed or
hostile gets past the parser, and no failure says whether the user exists.

A body over 16 KiB is refused before it is read (Odoo would otherwise read up to its
upload limit); a caller outside the server's SSO source networks is refused before any
counter or password check (see models/ameyo_sso_token.py for the throttles).
"""

import json
import logging

from lxml import etree
from markupsafe import escape

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
# an oversized body this small is read and dropped, so that the client gets the answer: closing a
# connection with unread data resets it, and the client may lose the answer
DRAIN_BYTES = 64 * 1024
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                              remove_comments=True, remove_pis=True)
FIELDS = {'command': 'command', 'userid': 'userId', 'password': 'password', 'crmsessionid': 'crmSessionId'}


class SsoRequestError(ValueError):
    """The body is not a request Odoo understands; the message says why (safe to show to Ameyo).

    ``fmt`` is the format the answer must use when the request's format is known ('xml' or 'json')."""

    def __init__(self, message, fmt=None):
        super().__init__(message)
        self.fmt = fmt


def parse_sso_request(content_type, body, form):
    """Return ``(format, {command, userId, password, crmSessionId})`` from any accepted request form."""
    # form fields are parsed before the controller runs: their size counts as the body's
    if len(body) > MAX_BODY_BYTES or sum(len(value) for value in form.values()) > MAX_BODY_BYTES:
        raise SsoRequestError('Request too large')
    fields_by_name = {str(name).lower(): value for name, value in form.items()}
    if fields_by_name.get('requestxml'):
        return 'xml', _parse_xml(fields_by_name['requestxml'].strip().lstrip('\ufeff'))
    if fields_by_name.get('request'):
        raw = fields_by_name['request'].strip().lstrip('\ufeff')
        return ('xml', _parse_xml(raw)) if raw.startswith('<') else ('json', _parse_json(raw))
    # a raw body, whatever its declared type (Java clients post raw XML as x-www-form-urlencoded)
    text = body.decode('utf-8', errors='strict') if body else ''
    stripped = text.strip().lstrip('\ufeff').strip()
    if 'json' in content_type or stripped.startswith('{'):
        return 'json', _parse_json(stripped)
    if stripped.startswith('<'):
        return 'xml', _parse_xml(stripped)
    raise SsoRequestError('Invalid request format')


def _normalize(pairs):
    values = {}
    for key, value in pairs:
        name = FIELDS.get(str(key).strip().lower())
        if name is None:
            continue
        if value is not None and not isinstance(value, str):
            if isinstance(value, int | float) and not isinstance(value, bool) and name != 'command':
                value = str(value)
            else:
                raise SsoRequestError(f'Invalid value for {name}', 'json')
        value = (value or '').strip()
        if any(ord(char) < 32 for char in value):  # NUL and other controls: never a user id or password
            raise SsoRequestError(f'Invalid value for {name}')
        values[name] = value
    return values


def _parse_json(text):
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:  # deep nesting exhausts the decoder's recursion
        raise SsoRequestError('Invalid JSON format', 'json') from error
    if isinstance(data, dict) and isinstance(data.get('request'), dict):
        data = data['request']
    if not isinstance(data, dict):
        raise SsoRequestError('Invalid JSON format', 'json')
    return _normalize(data.items())


def _parse_xml(text):
    lowered = text.lower()  # the whole text (at most MAX_BODY_BYTES): a DTD may follow a long comment
    # no DTD, no entity: billion laughs and external entities never reach the parser
    if '<!doctype' in lowered or '<!entity' in lowered:
        raise SsoRequestError('Invalid XML format')
    try:
        root_element = etree.fromstring(text.encode('utf-8'), parser=_XML_PARSER)
    except (etree.XMLSyntaxError, ValueError, RecursionError) as error:
        raise SsoRequestError('Invalid XML format') from error
    if any(len(child) for child in root_element):
        raise SsoRequestError('Invalid XML format')
    return _normalize((child.tag, child.text) for child in root_element if isinstance(child.tag, str))


def render_sso_response(fmt, status, message, token=''):
    if fmt == 'json':
        body = json.dumps({'status': status, 'message': message, 'crmsessionid': token, 'crmSessionId': token})
        return request.make_response(body, headers=[('Content-Type', 'application/json'),
                                                    ('Cache-Control', 'no-store')])
    body = (f'<response><status>{escape(status)}</status><message>{escape(message)}</message>'
            f'<crmSessionId>{escape(token)}</crmSessionId></response>')
    return request.make_response(body, headers=[('Content-Type', 'application/xml; charset=utf-8'),
                                                ('Cache-Control', 'no-store')])


def refuse_oversized_body():
    """Before anything reads the body: the answer to a body over MAX_BODY_BYTES, or None.

    The declared length decides, before a byte of the body is read. A body without one
    (chunked) could only be measured by reading it: refused too (Ameyo's clients and
    reverse proxies send Content-Length).
    """
    httprequest = request.httprequest
    chunked = bool(httprequest.headers.get('Transfer-Encoding'))
    length = httprequest.content_length or 0
    if not chunked and length <= MAX_BODY_BYTES:
        return None
    if not chunked and length <= DRAIN_BYTES:
        httprequest.get_data(cache=False, parse_form_data=False)  # at most DRAIN_BYTES, dropped
    fmt = 'json' if 'json' in (httprequest.content_type or '') else 'xml'
    return render_sso_response(fmt, 'failed', 'Request too large')


class AmeyoSso(http.Controller):

    @http.route(['/ameyo/sso', '/ameyo/<int:server_id>/sso'], type='http', auth='none', methods=['POST'],
                csrf=False, save_session=False, readonly=False, sitemap=False, ameyo_raw_body=True,
                ameyo_body_guard=refuse_oversized_body)
    def ameyo_sso(self, server_id=None, **_kwargs):
        httprequest = request.httprequest
        fmt = 'json' if 'json' in (httprequest.content_type or '') else 'xml'
        try:
            body = httprequest.get_data(cache=True)
            form = httprequest.form if httprequest.mimetype in (
                'application/x-www-form-urlencoded', 'multipart/form-data') else {}
            fmt, values = parse_sso_request(httprequest.mimetype or '', body, form)
        except (SsoRequestError, UnicodeDecodeError) as error:
            message = str(error) if isinstance(error, SsoRequestError) else 'Invalid request format'
            return render_sso_response(getattr(error, 'fmt', None) or fmt, 'failed', message)
        # the address as Odoo sees it: the peer's, or with proxy_mode the one the proxy forwarded
        source = httprequest.remote_addr
        server = request.env['ameyo.server']._ameyo_sso_server(server_id)
        if server and not server._ameyo_sso_source_allowed(source):
            _logger.info("Ameyo SSO call refused: %s is not in the SSO source networks of server %s",
                         source, server.id)
            return render_sso_response(fmt, 'failed', 'Address not allowed')
        command = values.get('command', '').lower()
        if command == 'login':
            if not server:
                return render_sso_response(fmt, 'failed', 'Single sign-on is not enabled')
            status, message, token = request.env['ameyo.sso.token']._ameyo_sso_login(
                server, values.get('userId'), values.get('password'), source)
            return render_sso_response(fmt, status, message, token)
        if command == 'logout':
            if not request.env['ameyo.sso.token']._ameyo_sso_logout(values.get('crmSessionId'), source):
                return render_sso_response(fmt, 'failed', 'Address not allowed')
            return render_sso_response(fmt, 'success', 'Logout Successful', values.get('crmSessionId') or '')
        return render_sso_response(fmt, 'failed', 'Invalid command')

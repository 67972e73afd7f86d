"""Ameyo's login/logout API, served by Odoo: POST /ameyo/sso.

Ameyo calls it with ``command=login`` (userId, password) when the agent logs in to
Ameyo and ``command=logout`` (crmSessionId) when they log out (the status says whether the
CRM session is ended: an unknown crmSessionId fails, one already ended succeeds). Every request form
seen in the wild is accepted: a raw XML body ``<request><command/>...</request>``, a form field
``requestXml`` with that XML, a JSON body, a form field ``request`` holding JSON. Names are
case-insensitive. The answer uses the request's format. Nothing malformed or hostile gets past the
parser, and no failure says whether the user exists.

A body over 16 KiB is refused before it is read (Odoo would otherwise read up to its
upload limit); a caller outside the server's SSO source networks is refused before any
counter or password check (see models/ameyo_sso_token.py and models/ameyo_sso_throttle.py for the
throttles).
"""

import logging

from markupsafe import escape

from odoo import http
from odoo.http import request

from ..tools.sso_body import MAX_BODY_BYTES, SsoRequestError, parse_sso_request

_logger = logging.getLogger(__name__)

# an oversized body this small is read and dropped, so that the client gets the answer: closing a
# connection with unread data resets it, and the client may lose the answer
DRAIN_BYTES = 64 * 1024


def render_sso_response(fmt, status, message, token=''):
    """The answer in the request's format: ``{"status", "message", "crmsessionid"}`` or
    ``<response>``."""
    if fmt == 'json':
        return request.make_json_response(
            {'status': status, 'message': message, 'crmsessionid': token, 'crmSessionId': token},
            # the Content-Type as Ameyo's clients have always received it (no charset parameter)
            headers=[('Content-Type', 'application/json'), ('Cache-Control', 'no-store')],
        )
    body = (
        f'<response><status>{escape(status)}</status><message>{escape(message)}</message>'
        f'<crmSessionId>{escape(token)}</crmSessionId></response>'
    )
    return request.make_response(
        body,
        headers=[('Content-Type', 'application/xml; charset=utf-8'), ('Cache-Control', 'no-store')],
    )


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
    @http.route(
        ['/ameyo/sso', '/ameyo/<int:server_id>/sso'],
        type='http',
        auth='none',
        methods=['POST'],
        csrf=False,
        save_session=False,
        readonly=False,
        sitemap=False,
        ameyo_raw_body=True,
        ameyo_body_guard=refuse_oversized_body,
    )
    def ameyo_sso(self, server_id=None, **_kwargs):
        httprequest = request.httprequest
        fmt = 'json' if 'json' in (httprequest.content_type or '') else 'xml'
        try:
            body = httprequest.get_data(cache=True)
            form = (
                httprequest.form
                if httprequest.mimetype
                in ('application/x-www-form-urlencoded', 'multipart/form-data')
                else {}
            )
            fmt, values = parse_sso_request(httprequest.mimetype or '', body, form)
        except (SsoRequestError, UnicodeDecodeError) as error:
            message = str(error) if isinstance(error, SsoRequestError) else 'Invalid request format'
            return render_sso_response(getattr(error, 'fmt', None) or fmt, 'failed', message)
        # the address as Odoo sees it: the peer's, or with proxy_mode the one the proxy forwarded
        source = httprequest.remote_addr
        server = request.env['ameyo.server']._ameyo_sso_server(server_id)
        if server and not server._ameyo_sso_source_allowed(source):
            _logger.info(
                "Ameyo SSO call refused: %s is not in the SSO source networks of server %s",
                source,
                server.id,
            )
            return render_sso_response(fmt, 'failed', 'Address not allowed')
        command = values.get('command', '').lower()
        if command == 'login':
            if not server:
                return render_sso_response(fmt, 'failed', 'Single sign-on is not enabled')
            status, message, token = request.env['ameyo.sso.token']._ameyo_sso_login(
                server, values.get('userId'), values.get('password'), source
            )
            return render_sso_response(fmt, status, message, token)
        if command == 'logout':
            token = values.get('crmSessionId') or ''
            status, message = request.env['ameyo.sso.token']._ameyo_sso_logout(token, source)
            return render_sso_response(fmt, status, message, token if status == 'success' else '')
        return render_sso_response(fmt, 'failed', 'Invalid command')

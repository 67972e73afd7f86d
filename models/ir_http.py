"""Odoo inside Ameyo's agent iframe, for the origins configured on an Ameyo server and only them.

Odoo 19 answers ``X-Frame-Options: DENY`` on the web client and ``frame-ancestors 'self'``
on its login page, and browsers do not send its session cookie inside a cross-site
iframe. For the pages the agent needs (login, web client, our routes), the configured
origins are allowed as frame ancestors; every other origin keeps the protection. In a
browser context that is such an embed, the session cookie goes out
``SameSite=None; Secure; Partitioned`` every time Odoo sets it (login, rotation, logout).
"""

import re

import werkzeug.exceptions

from odoo import models, tools
from odoo.http import STORED_SESSION_BYTES, request, root

from ..tools.http_origin import request_origin

EMBED_COOKIE = 'ameyo_embed'
EMBED_COOKIE_ATTRIBUTES = 'Path=/; HttpOnly; SameSite=None; Secure; Partitioned'
_FRAMED_PATHS = re.compile(r'^/(?:web(?:/login|/session/logout)?|odoo(?:/.*)?|ameyo/.*)$')
_FRAME_ANCESTORS_RE = re.compile(r'frame-ancestors[^;]*;?\s*', re.I)
_SAMESITE_RE = re.compile(r';\s*(?:SameSite=[^;]*|Secure|Partitioned)(?=;|$)', re.I)


class IrHttp(models.AbstractModel):
    _inherit = 'ir.http'

    def session_info(self):
        """Tell the web client where to offer click-to-dial: the models that can dial, for a user mapped
        to an Ameyo agent (none for anyone else: Odoo looks as it was)."""
        info = super().session_info()
        user = self.env.user
        info['ameyo_dial_models'] = list(self._ameyo_dial_models()) \
            if user and not user.share and user.ameyo_user_id else []
        return info

    @tools.ormcache()
    def _ameyo_dial_models(self):
        """The models that can dial (they have ``action_ameyo_dial``), once per registry."""
        return tuple(sorted(name for name, model in self.env.registry.items()
                            if not model._abstract and hasattr(model, 'action_ameyo_dial')))

    @classmethod
    def _pre_dispatch(cls, rule, args):
        guard = rule.endpoint.routing.get('ameyo_body_guard')
        refusal = guard() if guard else None
        if refusal is not None:  # answered before Odoo (form parsing) or the route reads the body
            request.session.can_save &= rule.endpoint.routing.get('save_session', True)
            werkzeug.exceptions.abort(refusal)
        if rule.endpoint.routing.get('ameyo_raw_body'):
            # keep the raw body readable after Odoo parses the form: Ameyo's Java clients post raw XML
            # declared as x-www-form-urlencoded
            request.httprequest.get_data(cache=True, parse_form_data=False)
        return super()._pre_dispatch(rule, args)

    @classmethod
    def _post_dispatch(cls, response):
        result = super()._post_dispatch(response)
        cls._ameyo_allow_embedding(response)
        return result

    @classmethod
    def _handle_error(cls, exception):
        response = super()._handle_error(exception)
        if hasattr(response, 'headers'):
            cls._ameyo_allow_embedding(response)
        return response

    @classmethod
    def _ameyo_open_session(cls, user, token=None):
        """Log this browser in as ``user``, whom an SSO token or the URL token authenticated.

        Called last, once every check of the request passed. The session is rotated at once
        (not at the end of the request) so that an SSO token knows the session its logout
        must end.
        """
        session = request.session
        if session.uid != user.id:
            if session.uid:
                session.logout(keep_db=True)
            session['pre_login'] = user.login
            session['pre_uid'] = user.id
            session.finalize(request.env)
            root.session_store.rotate(session, request.env(user=user.id))
            request.update_env(user=user.id)
        if token:
            token._remember_session(session.sid[:STORED_SESSION_BYTES])

    @classmethod
    def _ameyo_allow_embedding(cls, response):
        if not request or not request.db or not getattr(request, 'env', None):
            return
        try:
            origins = request.env['ameyo.server']._ameyo_all_frame_origins()
        except Exception:  # noqa: BLE001 - registry not ready (e.g. during install): change nothing
            return
        if not origins:
            return
        httprequest = request.httprequest
        if _FRAMED_PATHS.match(httprequest.path) and 'html' in (response.headers.get('Content-Type') or ''):
            response.headers.pop('X-Frame-Options', None)
            policy = _FRAME_ANCESTORS_RE.sub('', response.headers.get('Content-Security-Policy', '')).strip()
            ancestors = "frame-ancestors 'self' " + ' '.join(origins)
            response.headers['Content-Security-Policy'] = f'{policy}; {ancestors}' if policy else ancestors
        if cls._ameyo_is_embedded(origins):
            cookies = response.headers.getlist('Set-Cookie')
            if cookies or httprequest.cookies.get(EMBED_COOKIE) != '1':
                response.headers.remove('Set-Cookie')
                for cookie in cookies:
                    if cookie.startswith('session_id='):
                        cookie = _SAMESITE_RE.sub('', cookie) + '; SameSite=None; Secure; Partitioned'
                    response.headers.add('Set-Cookie', cookie)
                if httprequest.cookies.get(EMBED_COOKIE) != '1':
                    response.headers.add('Set-Cookie', f'{EMBED_COOKIE}=1; {EMBED_COOKIE_ATTRIBUTES}')

    @classmethod
    def _ameyo_is_embedded(cls, origins):
        """This browser context is Odoo inside an allowed Ameyo iframe.

        The first request comes from the iframe (Sec-Fetch-Dest: iframe) of an allowed
        origin; it leaves a partitioned marker cookie that only that iframe context sends
        back, so later requests (logins, XHRs, logouts) are recognised too.
        """
        httprequest = request.httprequest
        if httprequest.cookies.get(EMBED_COOKIE) == '1':
            return True
        headers = httprequest.headers
        if headers.get('Sec-Fetch-Dest') != 'iframe' or headers.get('Sec-Fetch-Site') != 'cross-site':
            return False
        return request_origin(headers, prefer='Referer') in origins

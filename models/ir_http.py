"""The lifecycle URLs' auth method (``auth='ameyo'``), and Odoo inside Ameyo's agent iframe.

Auth method ``ameyo`` (:meth:`IrHttp._auth_method_ameyo`): who a lifecycle URL acts for,
decided before the controller runs; a refused URL is answered here with its page and
writes nothing, and the agent's browser session opens only once the controller answered
a success.

Embedding: for the origins configured on an Ameyo server and only them.

Odoo 19 answers ``X-Frame-Options: DENY`` on the web client and ``frame-ancestors 'self'``
on its login page, and browsers do not send its session cookie inside a cross-site
iframe. For the pages the agent needs (login, web client, our routes), the configured
origins are allowed as frame ancestors; every other origin keeps the protection. In a
browser context that is such an embed, the session cookie goes out
``SameSite=None; Secure; Partitioned`` every time Odoo sets it (login, rotation, logout).
"""

import re
from urllib.parse import urlencode

import werkzeug.exceptions

from odoo import models, tools
from odoo.http import STORED_SESSION_BYTES, Response, SessionExpiredException, request, root
from odoo.tools.misc import get_lang

from ..tools.ameyo_params import EVENTS, AmeyoParamError, LifecycleRequest, parse_lifecycle_request
from ..tools.http_origin import request_origin

EMBED_COOKIE = 'ameyo_embed'
EMBED_COOKIE_ATTRIBUTES = 'Path=/; HttpOnly; SameSite=None; Secure; Partitioned'
_FRAMED_PATHS = re.compile(r'^/(?:web(?:/login|/session/logout)?|odoo(?:/.*)?|ameyo/.*)$')
_FRAME_ANCESTORS_RE = re.compile(r'frame-ancestors[^;]*;?\s*', re.I)
_SAMESITE_RE = re.compile(r';\s*(?:SameSite=[^;]*|Secure|Partitioned)(?=;|$)', re.I)


class IrHttp(models.AbstractModel):
    _inherit = 'ir.http'

    def session_info(self):
        """Tell the web client where to offer click-to-dial: the models that can dial, for a user
        mapped to an Ameyo agent (none for anyone else: Odoo looks as it was)."""
        info = super().session_info()
        user = self.env.user
        info['ameyo_dial_models'] = (
            list(self._ameyo_dial_models())
            if user and not user.share and user.ameyo_effective_user_id
            else []
        )
        return info

    @tools.ormcache()
    def _ameyo_dial_models(self):
        """The models that can dial (they have ``action_ameyo_dial``), once per registry."""
        return tuple(
            sorted(
                name
                for name, model in self.env.registry.items()
                if not model._abstract and hasattr(model, 'action_ameyo_dial')
            )
        )

    @classmethod
    def _pre_dispatch(cls, rule, args):
        guard = rule.endpoint.routing.get('ameyo_body_guard')
        refusal = guard() if guard else None
        if refusal is not None:  # answered before Odoo (form parsing) or the route reads the body
            request.session.can_save &= rule.endpoint.routing.get('save_session', True)
            werkzeug.exceptions.abort(refusal)
        if rule.endpoint.routing.get('ameyo_raw_body'):
            # keep the raw body readable after Odoo parses the form: Ameyo's Java clients post raw
            # XML declared as x-www-form-urlencoded
            request.httprequest.get_data(cache=True, parse_form_data=False)
        return super()._pre_dispatch(rule, args)

    @classmethod
    def _post_dispatch(cls, response):
        lifecycle = getattr(request, 'ameyo_lifecycle', None)
        if lifecycle and response.status_code < 400:
            # a lifecycle URL's agent: their browser is logged in only now, the request answered
            # with a success
            cls._ameyo_open_session(lifecycle.agent, lifecycle.token)
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
        """Log this browser in as ``user``, whom an SSO token or the URL token authenticated
        (nothing to do for the session's own user without a token).

        Called last (:meth:`_post_dispatch`), once every check of the request passed and the
        controller answered a success. The session is rotated at once (not at the end of the
        request) so that an SSO token knows the session its logout must end.
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

    # ------------------------------------------------------------------
    # auth='ameyo': who a lifecycle URL acts for
    # ------------------------------------------------------------------

    @classmethod
    def _auth_method_ameyo(cls):
        """Authenticate the agent a lifecycle URL (``/ameyo/<event>``, ``/ameyo/<server
        id>/<event>``) acts for.

        The one place that decides who the agent is. Odoo runs it before the controller, so
        it reads the URL itself: the event, the parameters (parsed once) and the server; the
        result is kept on ``request.ameyo_lifecycle`` (:class:`LifecycleRequest`) for the
        controller. Cookie mode: the agent's Odoo session; without one, Odoo's login page,
        which brings them back to this very URL (:class:`SessionExpiredException`). SSO mode:
        a valid crmSessionId names its user. No-auth mode: the server's URL token, then the
        agent of the server's company mapped to the URL's userId. In every mode the URL's
        Ameyo userId must be the user's, and the server must belong to one of their companies:
        a call is never logged to someone else.

        A refusal is the page that explains it, raised as an HTTPException carrying it (Odoo
        turns any other exception of an auth method into a bare AccessDenied): the request
        ends here, its transaction is rolled back, the browser's session is left as it was.
        Nothing here opens a session: :meth:`_post_dispatch` does, once the controller
        answered a success.
        """
        # the ORM calls below need a user: the session's, else the public one
        cls._auth_method_public()
        cls._ameyo_set_page_lang()
        request.ameyo_lifecycle = None
        httprequest = request.httprequest
        env = request.env
        if httprequest.method != 'GET':  # werkzeug also routes HEAD and OPTIONS here: no writes
            raise cls._ameyo_refusal(
                env._("Method not allowed"), env._("Ameyo opens these pages with GET."), 405
            )
        # the route's own arguments (already matched: no redirect)
        _rule, args = cls._match(httprequest.path)
        event, server_id = args['event'], args.get('server_id')
        if event not in EVENTS:
            raise cls._ameyo_refusal(
                env._("Unknown Ameyo page"),
                env._(
                    "%(path)s is not one of Odoo's Ameyo URLs (%(events)s).",
                    path=httprequest.path,
                    events=', '.join(EVENTS),
                ),
                404,
            )
        try:
            params = parse_lifecycle_request(httprequest, event)
        except AmeyoParamError as error:
            raise cls._ameyo_refusal(
                env._("Invalid Ameyo URL"),
                env._(
                    "%(problem)s Nothing was recorded: check the URL configured in Ameyo.",
                    problem=error.message(env),
                ),
                400,
            ) from error
        server = env['ameyo.server']._ameyo_resolve(server_id, params.get('campaignId'))
        if not server:
            if server_id is None:
                reason = env._(
                    "Odoo has no active Ameyo server for this URL: an administrator adds the "
                    "server (Ameyo Contact Center, Configuration, Servers). Nothing was recorded."
                )
            else:
                reason = env._(
                    "This URL names the Ameyo server %(server)s, which Odoo does not have (or it "
                    "is archived): copy the URLs from the server's Integration URLs tab. Nothing "
                    "was recorded.",
                    server=server_id,
                )
            raise cls._ameyo_refusal(env._("Which Ameyo server?"), reason, 400)
        cls._ameyo_check_same_site(server, params)
        agent, token = cls._ameyo_agent_of(server, params, event)
        # cached: reading company_ids costs two queries
        if server.company_id.id not in agent._get_company_ids():
            raise cls._ameyo_refusal(
                env._("Access refused"),
                env._(
                    "This Ameyo server belongs to a company you do not work for. Nothing was "
                    "recorded."
                ),
                403,
            )
        if request.env.uid != agent.id:
            # act as the agent; their browser session opens only on success
            request.update_env(user=agent.id)
        request.ameyo_lifecycle = LifecycleRequest(event, params, server, agent, token)

    @classmethod
    def _ameyo_agent_of(cls, server, params, event):
        """``(user, SSO token or None)``: whom the URL acts for, by the server's session mode; else
        raise the refusal (cookie mode without a session: Odoo's login page)."""
        env = request.env
        if server.session_mode == 'none' and not server._ameyo_check_url_token(params.get('token')):
            raise cls._ameyo_refusal(
                env._("Access refused"),
                env._(
                    "This Ameyo URL does not carry the URL token configured on the Ameyo server in "
                    "Odoo."
                ),
                403,
            )
        if server.session_mode == 'sso' and params.get('crmSessionId'):
            token = env['ameyo.sso.token']._find_valid(params['crmSessionId'], server)
            if not token:
                raise cls._ameyo_refusal(
                    env._("Single sign-on expired"),
                    env._(
                        "Your Ameyo single sign-on session has expired or was ended. Log out of "
                        "Ameyo and log in again; nothing was recorded."
                    ),
                    403,
                )
            if not token.user_id._ameyo_user_id_matches(params['userId']):
                raise cls._ameyo_refusal(
                    env._("Wrong Odoo user"),
                    env._(
                        "This single sign-on session belongs to another Ameyo user than "
                        "%(theirs)s. Nothing was recorded.",
                        theirs=params['userId'],
                    ),
                    403,
                )
            cls._ameyo_check_no_silent_switch(token.user_id)
            return token.user_id, token
        if server.session_mode == 'none':
            agent = env['res.users']._ameyo_find_agent(params['userId'], server)
            if not agent:
                reason = env['res.users']._ameyo_no_auth_refusal(params['userId'])
                # more rights than an agent's: say so, and which session mode to set instead
                if reason:
                    raise cls._ameyo_refusal(env._("Access refused"), reason, 403)
                raise cls._ameyo_refusal(
                    env._("Unknown agent"),
                    env._(
                        "No Ameyo agent of this server's company has the Ameyo user ID (or, "
                        "without one, the login) %(user)s.",
                        user=params['userId'],
                    ),
                    403,
                )
            cls._ameyo_check_no_silent_switch(agent)
            return agent, None
        user = env.user
        if user._is_public():
            # Odoo's answer: its login page, redirecting back to this very URL once the agent logged
            # in
            raise SessionExpiredException("Ameyo lifecycle URL without an Odoo session")
        if not user._ameyo_user_id_matches(params['userId']):
            logout_url = '/web/session/logout?' + urlencode(
                {'redirect': request.httprequest.full_path}
            )
            raise cls._ameyo_refusal(
                env._("Wrong Odoo user"),
                cls._ameyo_wrong_user_message(user, params, event),
                403,
                links=[(env._("Log out and log in again"), logout_url)],
            )
        return user, None

    @classmethod
    def _ameyo_wrong_user_message(cls, user, params, event):
        """What the page says when the URL's Ameyo user is not the logged-in Odoo user: who they
        are, what Ameyo opened (their workspace, or a call) for whom (an Ameyo user no Odoo user
        has, maybe), and what to do."""
        env = request.env
        theirs = params['userId']
        known = bool(env['res.users']._ameyo_user_for(theirs))
        mine = user.ameyo_effective_user_id
        if mine:
            who = env._(
                "You are logged in to Odoo as %(user)s, whose Ameyo user is %(mine)s.",
                user=user.name,
                mine=mine,
            )
        else:
            who = env._(
                "You are logged in to Odoo as %(user)s, who is not mapped to an Ameyo user.",
                user=user.name,
            )
        workspace = event == 'kb'
        if workspace and known:
            what = env._("This page is the Ameyo workspace of %(theirs)s.", theirs=theirs)
        elif workspace:
            what = env._(
                "Ameyo opened this workspace for %(theirs)s, an Ameyo user ID no Odoo user has.",
                theirs=theirs,
            )
        elif known:
            what = env._(
                "Ameyo sent this call for %(theirs)s. Nothing was recorded.", theirs=theirs
            )
        else:
            what = env._(
                "Ameyo sent this call for %(theirs)s, an Ameyo user ID no Odoo user has. Nothing "
                "was recorded.",
                theirs=theirs,
            )
        if known:
            todo = env._("Log out and log in as the Odoo user of %(theirs)s.", theirs=theirs)
        else:
            todo = env._(
                "If %(theirs)s is your Ameyo login, ask an administrator to set it as the Ameyo "
                "user ID of your Odoo user; otherwise log out and log in to Ameyo and Odoo as the "
                "same agent.",
                theirs=theirs,
            )
        return ' '.join((who, what, todo))

    @classmethod
    def _ameyo_check_no_silent_switch(cls, user):
        """A browser logged in to Odoo as someone else is not switched by a link: it asks first.

        Otherwise a link carrying another user's token, sent by mail or chat, would log the
        victim's browser in as that user without their noticing.
        """
        current = request.session.uid
        if not current or current == user.id:
            return
        env = request.env
        logout_url = '/web/session/logout?' + urlencode({'redirect': request.httprequest.full_path})
        raise cls._ameyo_refusal(
            env._("Switch Odoo user?"),
            env._(
                "This browser is logged in to Odoo as %(current)s, and this Ameyo link opens Odoo "
                "as %(user)s. Nothing was recorded. Log out first to continue as %(user)s.",
                current=env.user.name,
                user=user.name,
            ),
            403,
            links=[(env._("Log out and continue"), logout_url)],
        )

    @classmethod
    def _ameyo_check_same_site(cls, server, params):
        """Refuse a pop another site made the agent's browser send (its cookie may be
        SameSite=None).

        The browser says where a request comes from: ``Sec-Fetch-Site``, else (older
        browsers) ``Origin`` or ``Referer``. A request from another site, a sibling
        subdomain included, passes only when that origin is one of the server's
        embedding origins, or when the URL carries the server's URL token. Navigations
        of the browser's own (``none``), requests from Odoo itself, and requests that
        carry none of the three headers (Ameyo's desktop client) pass.
        """
        headers = request.httprequest.headers
        fetch_site = headers.get('Sec-Fetch-Site')
        if fetch_site in ('same-origin', 'none'):
            return
        origin = request_origin(headers)
        if not fetch_site and (not origin or origin in cls._ameyo_own_origins()):
            return
        # origins compare in lower case (browsers send them so; an admin may type capitals)
        if (
            origin and origin in server._ameyo_server_frame_origins()
        ) or server._ameyo_check_url_token(params.get('token')):
            return
        env = request.env
        raise cls._ameyo_refusal(
            env._("Request refused"),
            env._(
                "Another web site (%(origin)s) tried to open this Ameyo page in your browser. "
                "Nothing was recorded. If it is your Ameyo web client, add its origin to the Ameyo "
                "server's embedding origins in Odoo.",
                origin=origin or env._("unknown"),
            ),
            403,
        )

    @classmethod
    def _ameyo_own_origins(cls):
        """The origins of Odoo itself: as this request reached it, and as its base URL says."""
        own = {request_origin({'Origin': request.httprequest.host_url})}
        base_url = request.env['ir.config_parameter'].sudo().get_param('web.base.url')
        if base_url:
            own.add(request_origin({'Origin': base_url}))
        return own

    @classmethod
    def _ameyo_set_page_lang(cls):
        """The language of the request, as Odoo's pre-dispatch sets it, set now (the request has a
        user by then, the public one at least): the auth method runs before it, and its pages are
        written in it."""
        request.update_context(lang=get_lang(request.env).code)

    @classmethod
    def _ameyo_refusal(cls, title, message, status, links=()):
        """The exception that ends the request with a message page: an HTTPException carrying the
        rendered page (as ``werkzeug.exceptions.abort(response)`` raises), the one kind of exception
        (with AccessDenied and SessionExpiredException) an auth method may raise without Odoo
        turning it into a bare AccessDenied. The transaction is rolled back, and the browser's
        session is neither opened, rotated nor saved."""
        request.session.can_save = False
        response = cls._ameyo_message_page(title, message, status=status, links=links)
        response.flatten()  # now: Odoo's dispatch, which renders lazy pages, does not run
        cls._ameyo_allow_embedding(response)
        return werkzeug.exceptions.HTTPException(response=response)

    @classmethod
    def _ameyo_message_page(cls, title, message, status=200, links=(), back=None):
        """A message page of the lifecycle URLs; every one has a way back (``back``: label and URL;
        Odoo's home by default)."""
        return Response(
            template='crm_ameyo.ameyo_message_page',
            qcontext={
                'title': title,
                'message': message,
                'links': links,
                'back': back or (request.env._("Go to Odoo"), '/odoo'),
            },
            status=status,
        )

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
        if _FRAMED_PATHS.match(httprequest.path) and 'html' in (
            response.headers.get('Content-Type') or ''
        ):
            response.headers.pop('X-Frame-Options', None)
            policy = _FRAME_ANCESTORS_RE.sub(
                '', response.headers.get('Content-Security-Policy', '')
            ).strip()
            ancestors = "frame-ancestors 'self' " + ' '.join(origins)
            response.headers['Content-Security-Policy'] = (
                f'{policy}; {ancestors}' if policy else ancestors
            )
        if cls._ameyo_is_embedded(origins):
            cookies = response.headers.getlist('Set-Cookie')
            if cookies or httprequest.cookies.get(EMBED_COOKIE) != '1':
                response.headers.remove('Set-Cookie')
                for cookie in cookies:
                    if cookie.startswith('session_id='):
                        cookie = (
                            _SAMESITE_RE.sub('', cookie) + '; SameSite=None; Secure; Partitioned'
                        )
                    response.headers.add('Set-Cookie', cookie)
                if httprequest.cookies.get(EMBED_COOKIE) != '1':
                    response.headers.add(
                        'Set-Cookie', f'{EMBED_COOKIE}=1; {EMBED_COOKIE_ATTRIBUTES}'
                    )

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
        if (
            headers.get('Sec-Fetch-Dest') != 'iframe'
            or headers.get('Sec-Fetch-Site') != 'cross-site'
        ):
            return False
        return request_origin(headers, prefer='Referer') in origins

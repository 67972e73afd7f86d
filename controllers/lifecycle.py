"""The pages Ameyo's agent client loads: knowledge base, customer, preview, dispose.

Each request is validated first (a clear 400 page, nothing written), then the
agent is authenticated (one place: :meth:`AmeyoLifecycle._authenticate_agent`),
then the models do the work. Paths are a contract with Ameyo's configuration.
"""

import logging
from urllib.parse import urlencode

from odoo import fields, http
from odoo.exceptions import AccessError
from odoo.http import request

from ..tools.ameyo_params import EVENTS, URL_PREFIX, AmeyoParamError, lifecycle_path, parse_lifecycle_params
from ..tools.http_origin import request_origin

_logger = logging.getLogger(__name__)


class AgentLogin:
    """Who a lifecycle URL acts for, and how his browser gets a session once the answer is a success.

    A URL authenticated by an SSO token or the URL token opens an Odoo session for its
    user; that happens only in :meth:`accept`, after every check passed, so a refused
    request never leaves a session cookie behind.
    """

    def __init__(self, user, token=None):
        self.user = user
        self.token = token

    def accept(self, response):
        if self.token is not None or request.session.uid != self.user.id:
            request.env['ir.http']._ameyo_open_session(self.user, self.token)
        return response


class AmeyoLifecycle(http.Controller):

    @http.route([f'{URL_PREFIX}/<string:event>', f'{URL_PREFIX}/<int:server_id>/<string:event>'], type='http',
                auth='public', methods=['GET'], sitemap=False, readonly=False)
    def ameyo_lifecycle(self, event, server_id=None, **_kwargs):
        if request.httprequest.method != 'GET':  # werkzeug also routes HEAD and OPTIONS here: no writes
            return self._page(request.env._("Method not allowed"), request.env._(
                "Ameyo opens these pages with GET."), status=405)
        if event not in EVENTS:
            return self._page(request.env._("Unknown Ameyo page"), request.env._(
                "%(path)s is not one of Odoo's Ameyo URLs (%(events)s).",
                path=request.httprequest.path, events=', '.join(EVENTS)), status=404)
        httprequest = request.httprequest
        try:
            params = parse_lifecycle_params(list(httprequest.args.items(multi=True)), event,
                                            httprequest.query_string.decode('latin-1'))
        except AmeyoParamError as error:
            return self._bad_parameter(error)

        server = request.env['ameyo.server']._ameyo_resolve(server_id, params.get('campaignId'))
        if not server:
            return self._page(request.env._("Which Ameyo server?"), request.env._(
                "Odoo cannot tell which Ameyo server this URL is for: use the URL that names the server "
                "(see the server's Integration URLs)."), status=400)

        login = self._authenticate_agent(server, params)
        if not isinstance(login, AgentLogin):
            return login  # the login page, or a refusal
        agent = login.user
        if server.company_id.id not in agent._get_company_ids():  # cached: reading company_ids costs two queries
            return self._page(request.env._("Access refused"), request.env._(
                "This Ameyo server belongs to a company you do not work for. Nothing was recorded."), status=403)
        if request.env.uid != agent.id:
            request.update_env(user=agent.id)  # act as the agent; his browser session opens only on success

        if event == 'kb':
            server._ameyo_record_agent_session(agent, params.get('sessionId'))
            return login.accept(self._workspace(server, agent, params))
        try:
            leg = request.env['ameyo.call']._ameyo_register_leg(server, params, event, agent)
        except AccessError as error:
            return self._page(request.env._("Not your call"), str(error.args[0]), status=403)
        server._ameyo_record_agent_session(agent, params.get('sessionId'))
        if event == 'dispose':
            leg._ameyo_record_disposition(params)
            leg._ameyo_notify_agent()
            return login.accept(self._page(request.env._("Call disposed"), request.env._(
                "Ameyo disposed the call with %(phone)s as %(code)s. Odoo recorded it.",
                phone=leg.phone or leg.crt_object_id, code=params['dispositionCode']), status=200,
                links=[(request.env._("Open the call"), f'/odoo/ameyo-calls/{leg.id}')],
                back=self._back_to_workspace(server, agent)))
        leg = leg.with_env(request.env)  # the agent's environment: his rights and companies for the lookup
        outcome, records = leg._ameyo_resolve_pop(create_allowed=event == 'customer')
        leg._ameyo_notify_agent()
        if outcome == 'choose':
            return login.accept(self._chooser(leg, records))
        if outcome == 'no_number':
            return login.accept(self._page(request.env._("No number"), request.env._(
                "Ameyo sent no phone number for this call: Odoo looked nobody up and created nothing. The call "
                "is logged; link it to the caller's contact or lead from the call."), status=200,
                links=[(request.env._("Open the call"), f'/odoo/ameyo-calls/{leg.id}')]))
        if outcome == 'new' and event == 'preview':
            return login.accept(self._page(request.env._("No match"), request.env._(
                "No contact or lead has the number %(phone)s.", phone=leg.phone or '-'), status=200,
                links=[(request.env._("Open the call"), f'/odoo/ameyo-calls/{leg.id}')],
                back=self._back_to_workspace(server, agent)))
        return login.accept(request.redirect(leg._ameyo_pop_url(), local=True))

    @http.route('/ameyo/choose/<int:leg_id>', type='http', auth='user', methods=['GET'], sitemap=False)
    def ameyo_choose(self, leg_id, **_kwargs):
        """The chooser again for the agent's live leg (the call banner's "Wrong caller")."""
        leg = self._live_leg(leg_id)
        if not leg:
            return self._not_your_live_call()
        return self._chooser(leg, leg._ameyo_find_callers(leg._ameyo_pop_model()))

    @http.route('/ameyo/pick', type='http', auth='user', methods=['POST'], sitemap=False)
    def ameyo_pick(self, leg_id=None, res_model=None, res_id=None, **_kwargs):
        """The agent chose one of the records sharing the caller's number, or none of them (``res_id``
        empty: a new record, and the number's remembered pick is forgotten)."""
        try:
            leg_id, res_id = int(leg_id), int(res_id or 0)
        except (TypeError, ValueError):
            return self._page(request.env._("Invalid choice"), request.env._("The choice is incomplete."), status=400)
        if res_model not in ('res.partner', 'crm.lead'):
            return self._page(request.env._("Invalid choice"), request.env._("The choice is incomplete."), status=400)
        leg = self._live_leg(leg_id)
        if not leg:
            return self._not_your_live_call()
        if not res_id:
            leg._ameyo_forget_pick(res_model)
        else:
            # among the records with the caller's number, whoever owns them
            record = leg._ameyo_find_callers(res_model).filtered(lambda candidate: candidate.id == res_id)
            if not record:
                return self._page(request.env._("Invalid choice"), request.env._(
                    "This record no longer has the caller's number."), status=403)
            leg._ameyo_remember_pick(record)
        leg._ameyo_notify_agent()
        return request.redirect(leg._ameyo_pop_url(), local=True)

    def _live_leg(self, leg_id):
        """The current user's live leg ``leg_id`` (his record rule on legs), or an empty recordset."""
        leg = request.env['ameyo.call'].search([('id', '=', leg_id), ('user_id', '=', request.env.uid)])
        return leg if leg.phase == 'live' else leg.browse()

    def _not_your_live_call(self):
        return self._page(request.env._("Invalid choice"), request.env._(
            "This call is not yours, or it is over: only the agent on a call chooses its caller."), status=403)

    def _chooser(self, leg, candidates):
        """Who is calling? The records with the caller's number (named whoever owns them, with their owner),
        the one remembered for the number (who picked it, when), and "None of these"."""
        model = leg._ameyo_pop_model()
        pick = leg._ameyo_remembered_pick(model)
        # what the agent may open himself is shown whole; of the others (another salesperson's pipeline, for an
        # "own documents only" agent) only the name and a hint, enough to choose
        readable_ids = {model: set(candidates._filtered_access('read').ids)}
        return request.render('crm_ameyo.ameyo_chooser_page', {
            'leg': leg, 'candidates': candidates.sudo(), 'model': model, 'readable_ids': readable_ids,
            'pick': pick if pick.res_id in candidates.ids else pick.browse(),
            'title': request.env._("Who is calling?")})

    # ------------------------------------------------------------------
    # Who is the agent
    # ------------------------------------------------------------------

    def _authenticate_agent(self, server, params):
        """Return the :class:`AgentLogin` of the user the URL acts for, or the response to send instead.

        The one place that decides who the agent is. Cookie mode: the agent's Odoo
        session; without one, Odoo's login page, which brings him back to this very URL.
        SSO mode: a valid crmSessionId names its user. No-auth mode: the server's URL
        token, then the agent of the server's company mapped to the URL's userId. In every
        mode the URL's Ameyo userId must be the user's: a call is never logged to someone
        else. Nothing here opens a session: the caller does, once every check passed.
        """
        refusal = self._refuse_cross_site(server, params)
        if refusal:
            return refusal
        if server.session_mode == 'none' and not server._ameyo_check_url_token(params.get('token')):
            return self._page(request.env._("Access refused"), request.env._(
                "This Ameyo URL does not carry the URL token configured on the Ameyo server in Odoo."), status=403)
        if server.session_mode == 'sso' and params.get('crmSessionId'):
            token = request.env['ameyo.sso.token']._find_valid(params['crmSessionId'], server)
            if not token:
                return self._page(request.env._("Single sign-on expired"), request.env._(
                    "Your Ameyo single sign-on session has expired or was ended. Log out of Ameyo and log in "
                    "again; nothing was recorded."), status=403)
            if not token.user_id._ameyo_user_id_matches(params['userId']):
                return self._page(request.env._("Wrong Odoo user"), request.env._(
                    "This single sign-on session belongs to another Ameyo user than %(theirs)s. Nothing was "
                    "recorded.", theirs=params['userId']), status=403)
            return self._refuse_silent_switch(token.user_id) or AgentLogin(token.user_id, token)
        if server.session_mode == 'none':
            agent = request.env['res.users']._ameyo_find_agent(params['userId'], server)
            if not agent:
                reason = request.env['res.users']._ameyo_no_auth_refusal(params['userId'])
                if reason:  # more rights than an agent's: say so, and which session mode to set instead
                    return self._page(request.env._("Access refused"), reason, status=403)
                return self._page(request.env._("Unknown agent"), request.env._(
                    "No Ameyo agent of this server's company has the Ameyo user ID %(user)s.",
                    user=params['userId']), status=403)
            return self._refuse_silent_switch(agent) or AgentLogin(agent)
        user = request.env.user
        if user._is_public():
            login_url = '/web/login?' + urlencode({'redirect': request.httprequest.full_path})
            return request.redirect(login_url, local=True)
        if not user._ameyo_user_id_matches(params['userId']):
            logout_url = '/web/session/logout?' + urlencode({'redirect': request.httprequest.full_path})
            if user.ameyo_user_id:
                message = request.env._(
                    "You are logged in to Odoo as %(user)s, whose Ameyo user is %(mine)s, but Ameyo sent this "
                    "call for %(theirs)s. Nothing was recorded. Log out and log in as the Odoo user of %(theirs)s.",
                    user=user.name, mine=user.ameyo_user_id, theirs=params['userId'])
            else:
                message = request.env._(
                    "You are logged in to Odoo as %(user)s, who is not mapped to an Ameyo user, but Ameyo sent this "
                    "call for %(theirs)s. Nothing was recorded. Log out and log in as the Odoo user of %(theirs)s, "
                    "or ask an administrator to set the Ameyo user ID on your user.",
                    user=user.name, theirs=params['userId'])
            return self._page(request.env._("Wrong Odoo user"), message, status=403,
                              links=[(request.env._("Log out and log in again"), logout_url)])
        return AgentLogin(user)

    def _refuse_silent_switch(self, user):
        """A browser logged in to Odoo as someone else is not switched by a link: it asks first.

        Otherwise a link carrying another user's token, sent by mail or chat, would log the
        victim's browser in as that user without his noticing.
        """
        current = request.session.uid
        if not current or current == user.id:
            return None
        logout_url = '/web/session/logout?' + urlencode({'redirect': request.httprequest.full_path})
        return self._page(request.env._("Switch Odoo user?"), request.env._(
            "This browser is logged in to Odoo as %(current)s, and this Ameyo link opens Odoo as %(user)s. "
            "Nothing was recorded. Log out first to continue as %(user)s.",
            current=request.env.user.name, user=user.name), status=403,
            links=[(request.env._("Log out and continue"), logout_url)])

    def _refuse_cross_site(self, server, params):
        """Refuse a pop another site made the agent's browser send (its cookie may be SameSite=None).

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
            return None
        origin = request_origin(headers)
        if not fetch_site and (not origin or origin in self._own_origins()):
            return None
        # origins compare in lower case (browsers send them so; an admin may type capitals)
        if (origin and origin in server._ameyo_server_frame_origins()) or \
                server._ameyo_check_url_token(params.get('token')):
            return None
        return self._page(request.env._("Request refused"), request.env._(
            "Another web site (%(origin)s) tried to open this Ameyo page in your browser. Nothing was recorded. "
            "If it is your Ameyo web client, add its origin to the Ameyo server's embedding origins in Odoo.",
            origin=origin or request.env._("unknown")), status=403)

    def _own_origins(self):
        """The origins of Odoo itself: as this request reached it, and as its base URL says."""
        own = {request_origin({'Origin': request.httprequest.host_url})}
        base_url = request.env['ir.config_parameter'].sudo().get_param('web.base.url')
        if base_url:
            own.add(request_origin({'Origin': base_url}))
        return own

    # ------------------------------------------------------------------
    # Pages
    # ------------------------------------------------------------------

    def _workspace(self, server, agent, params):
        return request.render('crm_ameyo.ameyo_workspace_page', {
            'title': request.env._("Ameyo workspace"),
            'agent': agent,
            'server': server,
            'logout_url': '/web/session/logout?redirect=/web/login',
            **self._workspace_lists(server, agent),
        })

    def _workspace_lists(self, server, agent):
        """What the workspace lists: the agent's calls and callbacks (as the agent: his own legs)."""
        Call = request.env['ameyo.call']
        return {
            'in_progress': Call.search([('user_id', '=', agent.id), ('phase', '=', 'live'),
                                        ('server_id', '=', server.id)], limit=20),
            'failed': Call.search([('user_id', '=', agent.id), ('phase', '=', 'waiting')], limit=20),
            'callbacks': request.env['mail.activity'].search([
                ('user_id', '=', agent.id), ('res_model', 'in', ('res.partner', 'crm.lead', 'ameyo.call')),
                ('date_deadline', '<=', fields.Date.context_today(agent)),
            ], order='date_deadline', limit=20),
            'recent': Call.search([('user_id', '=', agent.id)], limit=10),
        }

    @http.route('/ameyo/workspace/lists', type='http', auth='user', methods=['GET'], sitemap=False, readonly=True)
    def ameyo_workspace_lists(self, server_id=None, **_kwargs):
        """The workspace's lists again: its page asks for them when the bus says one of the agent's calls
        changed (static/src/public/workspace.js)."""
        agent = request.env.user
        if not agent.has_group('crm_ameyo.group_ameyo_agent'):
            return request.make_response(request.env._("Access refused"), status=403)
        try:
            server = request.env['ameyo.server'].search([('id', '=', int(server_id))])
        except (TypeError, ValueError):
            server = None
        if not server:
            return request.make_response(request.env._("Unknown Ameyo server"), status=404)
        return request.render('crm_ameyo.ameyo_workspace_lists', self._workspace_lists(server, agent))

    def _bad_parameter(self, error):
        return self._page(request.env._("Invalid Ameyo URL"), request.env._(
            "%(problem)s Nothing was recorded: check the URL configured in Ameyo.",
            problem=error.message(request.env)), status=400)

    def _back_to_workspace(self, server, agent):
        """The way back of a page shown to a known agent: his workspace (the knowledge-base page).

        With the 'No authentication' mode that page wants the URL token, which a page never shows:
        Odoo's home then (the agent's session is open by now).
        """
        if server.session_mode == 'none' or not agent.ameyo_user_id:
            return self._back_to_odoo()
        return (request.env._("Back to my workspace"),
                lifecycle_path('kb', server.id) + '?' + urlencode({'userId': agent.ameyo_user_id}))

    def _back_to_odoo(self):
        return (request.env._("Go to Odoo"), '/odoo')

    def _page(self, title, message, status=200, links=(), back=None):
        """A message page; every one has a way back (``back``: label and URL; Odoo's home by default)."""
        return request.render('crm_ameyo.ameyo_message_page', {
            'title': title, 'message': message, 'links': links, 'back': back or self._back_to_odoo()},
            status=status)

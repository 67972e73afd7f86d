"""The pages Ameyo's agent client loads: knowledge base, customer, preview, dispose.

The routes declare ``auth='ameyo'``: before the controller runs, ``ir.http``'s auth method
(models/ir_http.py) parses the URL, resolves the server and authenticates the agent, or
answers with the page that explains the refusal (a clear 400 or 403, nothing written).
The controller then lets the models do the work and renders the answer; the agent's
browser session opens once that answer is a success. Paths are a contract with Ameyo's
configuration.
"""

import logging
from urllib.parse import urlencode

from odoo import fields, http
from odoo.http import request

from ..models.ameyo_call import NotYourCall
from ..tools.ameyo_params import URL_PREFIX, lifecycle_path

_logger = logging.getLogger(__name__)


class AmeyoLifecycle(http.Controller):
    @http.route(
        [f'{URL_PREFIX}/<string:event>', f'{URL_PREFIX}/<int:server_id>/<string:event>'],
        type='http',
        auth='ameyo',
        methods=['GET'],
        sitemap=False,
        readonly=False,
    )
    def ameyo_lifecycle(self, event, server_id=None, **_kwargs):
        # parsed, resolved and authenticated by ir.http._auth_method_ameyo
        lifecycle = request.ameyo_lifecycle
        server, params, agent = lifecycle.server, lifecycle.params, lifecycle.agent
        if event == 'kb':
            server._ameyo_record_agent_session(agent, params.get('sessionId'))
            return self._workspace(server, agent, params)
        Call = request.env['ameyo.call']
        try:
            if event == 'dispose':
                leg = Call._ameyo_register_leg(server, params, event, agent)
            else:
                # a pop: its leg and what the agent sees (the agent's environment: their rights for
                # the lookup)
                leg, outcome, records = Call._ameyo_pop_leg(server, params, event, agent)
        except NotYourCall as error:
            return self._page(request.env._("Not your call"), str(error.args[0]), status=403)
        server._ameyo_record_agent_session(agent, params.get('sessionId'))
        if event == 'dispose':
            leg._ameyo_record_disposition(params)
            leg._ameyo_notify_agent()
            return self._page(
                request.env._("Call disposed"),
                request.env._(
                    "Ameyo disposed the call with %(phone)s as %(code)s. Odoo recorded it.",
                    phone=leg.phone or leg.crt_object_id,
                    code=params['dispositionCode'],
                ),
                status=200,
                links=[(request.env._("Open the call"), f'/odoo/ameyo-calls/{leg.id}')],
                back=self._back_to_workspace(server, agent),
            )
        leg._ameyo_notify_agent()
        if outcome == 'choose':
            return self._chooser(leg, records, back=self._back_to_workspace(server, agent))
        if outcome == 'no_number':
            return self._page(
                request.env._("No number"),
                request.env._(
                    "Ameyo sent no phone number for this call: Odoo looked nobody up and created "
                    "nothing. The call is logged; link it to the caller's contact or lead from the "
                    "call."
                ),
                status=200,
                links=[(request.env._("Open the call"), f'/odoo/ameyo-calls/{leg.id}')],
            )
        if outcome == 'new' and event == 'preview':
            return self._page(
                request.env._("No match"),
                request.env._(
                    "No contact or lead has the number %(phone)s.", phone=leg.phone or '-'
                ),
                status=200,
                links=[(request.env._("Open the call"), f'/odoo/ameyo-calls/{leg.id}')],
                back=self._back_to_workspace(server, agent),
            )
        return request.redirect(leg._ameyo_pop_url(), local=True)

    @http.route(
        '/ameyo/choose/<int:leg_id>', type='http', auth='user', methods=['GET'], sitemap=False
    )
    def ameyo_choose(self, leg_id, **_kwargs):
        """The chooser again for the agent's live leg (the call banner's "Wrong caller"); Cancel
        goes back to what the call shows (its record, or the pop), nothing changed."""
        leg = self._live_leg(leg_id)
        if not leg:
            return self._not_your_live_call()
        return self._chooser(
            leg,
            leg._ameyo_find_callers(leg._ameyo_pop_model()),
            back=(request.env._("Cancel"), leg._ameyo_pop_url()),
        )

    @http.route('/ameyo/pick', type='http', auth='user', methods=['POST'], sitemap=False)
    def ameyo_pick(self, leg_id=None, res_model=None, res_id=None, **_kwargs):
        """The agent chose one of the records sharing the caller's number, or none of them
        (``res_id`` empty: a new record, and the number's remembered pick is forgotten)."""
        try:
            leg_id, res_id = int(leg_id), int(res_id or 0)
        except (TypeError, ValueError):
            return self._page(
                request.env._("Invalid choice"),
                request.env._("The choice is incomplete."),
                status=400,
            )
        if res_model not in ('res.partner', 'crm.lead'):
            return self._page(
                request.env._("Invalid choice"),
                request.env._("The choice is incomplete."),
                status=400,
            )
        leg = self._live_leg(leg_id)
        if not leg:
            return self._not_your_live_call()
        if not res_id:
            leg._ameyo_forget_pick(res_model)
        else:
            # among the records with the caller's number, whoever owns them
            record = leg._ameyo_find_callers(res_model).filtered(
                lambda candidate: candidate.id == res_id
            )
            if not record:
                return self._page(
                    request.env._("Invalid choice"),
                    request.env._("This record no longer has the caller's number."),
                    status=403,
                )
            leg._ameyo_remember_pick(record)
        leg._ameyo_notify_agent()
        return request.redirect(leg._ameyo_pop_url(), local=True)

    def _live_leg(self, leg_id):
        """The current user's live leg ``leg_id`` (their record rule on legs), or an empty
        recordset."""
        leg = request.env['ameyo.call'].search(
            [('id', '=', leg_id), ('user_id', '=', request.env.uid)]
        )
        return leg if leg.phase == 'live' else leg.browse()

    def _not_your_live_call(self):
        return self._page(
            request.env._("Invalid choice"),
            request.env._(
                "This call is not yours, or it is over: only the agent on a call chooses its "
                "caller."
            ),
            status=403,
        )

    def _chooser(self, leg, candidates, back=None):
        """Who is calling? The records with the caller's number (named whoever owns them, with their
        owner), the one remembered for the number (who picked it, when), "None of these", and the
        way back (``back``: label and URL) without choosing."""
        model = leg._ameyo_pop_model()
        pick = leg._ameyo_remembered_pick(model)
        # what the agents may open themselves is shown whole; of the others (another salesperson's
        # pipeline, for an "own documents only" agent) only the name and a hint, enough to choose
        readable_ids = {model: set(candidates._filtered_access('read').ids)}
        return request.render(
            'crm_ameyo.ameyo_chooser_page',
            {
                'leg': leg,
                'candidates': candidates.sudo(),
                'model': model,
                'readable_ids': readable_ids,
                'pick': pick if pick.res_id in candidates.ids else pick.browse(),
                'back': back,
                'title': request.env._("Who is calling?"),
            },
        )

    # ------------------------------------------------------------------
    # Pages
    # ------------------------------------------------------------------

    def _workspace(self, server, agent, params):
        return request.render(
            'crm_ameyo.ameyo_workspace_page',
            {
                'title': request.env._("Ameyo workspace"),
                'agent': agent,
                'server': server,
                'logout_url': '/web/session/logout?redirect=/web/login',
                **self._workspace_lists(server, agent),
            },
        )

    def _workspace_lists(self, server, agent):
        """What the workspace lists: the agent's calls and callbacks (as the agent: their own
        legs)."""
        Call = request.env['ameyo.call']
        return {
            'in_progress': Call.search(
                [('user_id', '=', agent.id), ('phase', '=', 'live'), ('server_id', '=', server.id)],
                limit=20,
            ),
            'failed': Call.search(
                [('user_id', '=', agent.id), ('phase', '=', 'waiting')], limit=20
            ),
            'callbacks': request.env['mail.activity'].search(
                [
                    ('user_id', '=', agent.id),
                    ('res_model', 'in', ('res.partner', 'crm.lead', 'ameyo.call')),
                    ('date_deadline', '<=', fields.Date.context_today(agent)),
                ],
                order='date_deadline',
                limit=20,
            ),
            'recent': Call.search([('user_id', '=', agent.id)], limit=10),
        }

    @http.route(
        '/ameyo/workspace/lists',
        type='http',
        auth='user',
        methods=['GET'],
        sitemap=False,
        readonly=True,
    )
    def ameyo_workspace_lists(self, server_id=None, **_kwargs):
        """The workspace's lists again: its page asks for them when the bus says one of the agent's
        calls changed (static/src/public/workspace.js)."""
        agent = request.env.user
        if not agent.has_group('crm_ameyo.group_ameyo_agent'):
            return request.make_response(request.env._("Access refused"), status=403)
        try:
            server = request.env['ameyo.server'].search([('id', '=', int(server_id))])
        except (TypeError, ValueError):
            server = None
        if not server:
            return request.make_response(request.env._("Unknown Ameyo server"), status=404)
        return request.render(
            'crm_ameyo.ameyo_workspace_lists', self._workspace_lists(server, agent)
        )

    def _back_to_workspace(self, server, agent):
        """The way back of a page shown to a known agent: their workspace (the knowledge-base page).

        With the 'No authentication' mode that page wants the URL token, which a page never shows:
        None then, the page's own way back to Odoo's home (the agent's session is open by now).
        """
        if server.session_mode == 'none' or not agent.ameyo_effective_user_id:
            return None
        return (
            request.env._("Back to my workspace"),
            lifecycle_path('kb', server.id)
            + '?'
            + urlencode({'userId': agent.ameyo_effective_user_id}),
        )

    def _page(self, title, message, status=200, links=(), back=None):
        """A message page; every one has a way back (``back``: label and URL; Odoo's home by
        default)."""
        return request.env['ir.http']._ameyo_message_page(
            title, message, status=status, links=links, back=back
        )

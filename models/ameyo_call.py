from contextlib import contextmanager
from contextvars import ContextVar

from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import AccessError, ConcurrencyError, UserError
from odoo.tools import SQL, mute_logger
from odoo.tools.safe_eval import safe_eval

from ..tools.phone_key import key_digits, phone_key

# How many candidates a chooser offers at most.
MAX_CANDIDATES = 50

# In the order a call lives (the status bar reads in it): a failed dispose comes before "Disposed".
CALL_STATES = [
    ('dialing', 'Dialing'),
    ('dial_failed', 'Dial Failed'),
    ('preview', 'Preview'),
    ('connected', 'Connected'),
    ('dispose_pending', 'Dispose Pending'),
    ('dispose_failed', 'Dispose Failed'),
    ('disposed', 'Disposed'),
    ('ended', 'Ended'),  # over in Ameyo (it gave the agent another call), never disposed in Odoo
]
# The one vocabulary of a leg's life: code, views (through the ``phase`` field) and the call banner
# (through ``live`` in its data) ask these groups, never a list of states of their own.
LIVE_STATES = ('preview', 'connected')  # the agent is on the call
WAITING_STATES = ('dispose_pending', 'dispose_failed')  # saved in Odoo, Ameyo not told: he may sit in wrap
# nothing left to do; ``ended``: over in Ameyo (it gave the agent another call), never disposed in Odoo
CLOSED_STATES = ('disposed', 'dial_failed', 'ended')
# A click-to-dial request Ameyo may still place: not a call yet, until a pop adopts the leg.
DIALING_STATES = ('dialing',)
PHASE_STATES = {'dialing': DIALING_STATES, 'live': LIVE_STATES, 'waiting': WAITING_STATES,
                'closed': CLOSED_STATES}
# Legs no pop named (a dial attempt not adopted, or one that failed): not calls Ameyo gave the agent.
# What watches for the agent's calls (the banner, the dispose rule about his next pop) ignores them.
ATTEMPT_STATES = ('dialing', 'dial_failed')
# what the agent can still dispose: a live call, or one whose dispose Ameyo refused
DISPOSABLE_STATES = (*LIVE_STATES, 'dispose_failed')
# Campaigns where Odoo's disposition is expected: an ``ended`` leg there is a call nobody disposed.
ODOO_DISPOSE_MODES = ('crm_only', 'dual')
# Ameyo's callType of a call transferred to this agent: a second agent's leg of a call is his only then.
TRANSFER_CALL_TYPE_PREFIX = 'transferred.'
# The fields the pop fills from the server's own records (its company, campaign, queue, dispositions).
SERVER_VALUE_FIELDS = frozenset({'server_id', 'campaign_id', 'queue_id', 'disposition_id'})
# Set only inside :meth:`AmeyoCall._ameyo_server_values`: a Python context variable, which no RPC caller can
# set (a context key could be), so the company check is skipped for the pop's writes and nothing else.
_writing_server_values = ContextVar('crm_ameyo_writing_server_values', default=False)


class AmeyoCall(models.Model):
    """One agent leg of an Ameyo call.

    A call is identified in Ameyo by its customer leg (``crtObjectId``); each
    agent who handles it (the first one, then whoever it is transferred to) has
    his own leg (``userCrtObjectId``) and disposes it on his own.
    """
    _name = 'ameyo.call'
    _description = 'Ameyo Call Leg'
    _inherit = ['mail.thread', 'mail.activity.mixin', 'ameyo.call.voice.log.mixin']
    _order = 'create_date desc, id desc'
    _rec_name = 'crt_object_id'
    _rec_names_search = ['crt_object_id', 'phone']
    _check_company_auto = True

    server_id = fields.Many2one('ameyo.server', required=True, index=True, ondelete='restrict', check_company=True)
    company_id = fields.Many2one(related='server_id.company_id', store=True, index=True, precompute=True)
    # empty only on a click-to-dial attempt, until the pop of the call it placed names it
    crt_object_id = fields.Char(string="Call (crtObjectId)", readonly=True, copy=False)
    direction = fields.Selection(
        [('inbound', 'Inbound'), ('outbound', 'Outbound')], required=True, default='inbound', readonly=True,
        help="Outbound: a call the agent placed (click-to-dial from Odoo, or a dial in Ameyo).")
    user_crt_object_id = fields.Char(string="Agent Leg (userCrtObjectId)", readonly=True, copy=False)
    ameyo_call_id = fields.Char(string="Ameyo Leg Call ID", readonly=True, copy=False,
                                help="The leg's callId, the key of archived recordings.")
    campaign_id = fields.Many2one('ameyo.campaign', index='btree_not_null', check_company=True, tracking=True)
    queue_id = fields.Many2one('ameyo.queue', index='btree_not_null', check_company=True)
    ameyo_campaign_ref = fields.Char(string="Campaign ID Received", readonly=True,
                                     help="The campaignId Ameyo sent, kept even when Odoo does not know it.")
    ameyo_queue_ref = fields.Char(string="Queue Received", readonly=True,
                                  help="The queueId / queueName Ameyo sent, kept even when Odoo does not know them.")
    ameyo_user_ref = fields.Char(string="Ameyo User ID", readonly=True)
    ameyo_customer_id = fields.Char(string="Ameyo Customer ID", readonly=True)
    phone = fields.Char(readonly=True)
    phone_key = fields.Char(
        string="Phone Lookup Key", compute='_compute_phone_key', store=True, precompute=True,
        index='btree_not_null')  # precomputed: a pop inserts its leg in one query, not an insert and an update
    callback_origin_id = fields.Many2one(
        'ameyo.call', string="Callback Of", readonly=True, copy=False, index='btree_not_null',
        help="The earlier call that scheduled this callback.")
    callback_call_ids = fields.One2many('ameyo.call', 'callback_origin_id', string="Callback Calls")
    call_type = fields.Char(string="Ameyo callType", readonly=True,
                            help="Ameyo's callType, e.g. inbound.call.dial, outbound.manual.dial.")
    call_type_label = fields.Char(string="Call Type", compute='_compute_call_type_label',
                                  help="Ameyo's callType in words (as Ameyo sent it when Odoo does not know it).")
    user_id = fields.Many2one('res.users', string="Agent", index=True, tracking=True,
                              default=lambda self: self.env.user)
    partner_id = fields.Many2one('res.partner', string="Contact", index='btree_not_null', tracking=True,
                                 check_company=True)
    lead_id = fields.Many2one('crm.lead', index='btree_not_null', tracking=True, check_company=True)
    pop_lead_id = fields.Many2one(
        'crm.lead', string="Lead Opened by the Pop", readonly=True, copy=False, index='btree_not_null',
        ondelete='set null',
        help="The lead the screen-pop (or the agent's choice among the records with the caller's number) linked "
             "to this leg. Written by the pop only: the agent may work on this lead while the call is live, "
             "whoever owns it.")
    ameyo_assigned = fields.Boolean(
        string="Given by Ameyo", readonly=True, copy=False,
        help="Ameyo gave this call to this agent: the first leg of the call on its server, a leg of that same "
             "agent, or a transfer (Ameyo's callType transferred.*). Only then may the agent replay its "
             "recording; another agent naming a call that is not his gets a leg, never its recording.")
    state = fields.Selection(CALL_STATES, required=True, default='connected', index=True, tracking=True)
    phase = fields.Selection(
        [('dialing', 'Dialing'), ('live', 'Live'), ('waiting', 'Waiting for Ameyo'), ('closed', 'Closed')],
        compute='_compute_phase', search='_search_phase',
        help="Dialing: Odoo asked Ameyo to place the call, no pop named it yet. Live: the agent is on the call. "
             "Waiting for Ameyo: the outcome is saved in Odoo, Ameyo was not "
             "told yet (the agent may be held in wrap). Closed: nothing left to do.")
    ended_undisposed = fields.Boolean(
        string="Ended Without Disposition", compute='_compute_ended_undisposed', store=True, index=True,
        help="Ameyo gave the agent another call before this one was disposed in Odoo, in a campaign whose "
             "outcome is recorded in Odoo (CRM only, dual entry): a supervisor should look at it.")
    disposition_id = fields.Many2one(
        'ameyo.disposition', domain="[('campaign_id', '=', campaign_id)]", tracking=True, check_company=True)
    disposition_code = fields.Char(
        readonly=True, tracking=True,
        help="The disposition code as recorded, also when Ameyo sent one Odoo does not know.")
    disposition_attribute = fields.Char(help="Ameyo's dispositionAttribute, e.g. local-2026-11-25 10:00:00.")
    callback_at = fields.Datetime(tracking=True)
    notes = fields.Text()
    connected_at = fields.Datetime(readonly=True, copy=False)
    disposed_at = fields.Datetime(readonly=True, copy=False)

    # One leg per (server, call, agent leg). An empty agent leg counts as a value, which
    # a plain UNIQUE (NULLs are distinct) would not enforce.
    _agent_leg_uniq = models.UniqueIndex(
        "(server_id, crt_object_id, COALESCE(user_crt_object_id, ''))",
        "This agent leg of the call is already logged.")
    _user_state_idx = models.Index('(user_id, state)')
    _crt_object_id_set = models.Constraint(
        "CHECK(crt_object_id IS NOT NULL OR state IN ('dialing', 'dial_failed'))",
        "Only a dial attempt may lack Ameyo's call id (crtObjectId).")

    guidance = fields.Html(compute='_compute_guidance', help="The queue's script, else the campaign's.")

    @api.depends('queue_id.guidance', 'campaign_id.guidance')
    def _compute_guidance(self):
        for call in self:
            call.guidance = call.queue_id.guidance or call.campaign_id.guidance


    # What an agent may change on his own legs himself; everything else is written by the
    # connector (as superuser, after authenticating him) or by a manager.
    AGENT_WRITABLE_FIELDS = frozenset({'notes', 'partner_id', 'lead_id'})
    # The caller fields: an agent names only a record he may read, or one the pop found for the call.
    CALLER_FIELDS = {'partner_id': 'res.partner', 'lead_id': 'crm.lead'}

    def _ameyo_writable_fields(self):
        """The fields the current user (not a manager) may write on the legs he can see."""
        return self.AGENT_WRITABLE_FIELDS

    def write(self, vals):
        if not self.env.su and not self.env.user.has_group('crm_ameyo.group_ameyo_manager'):
            forbidden = set(vals) - self._ameyo_writable_fields() - {
                name for name in vals if name.startswith(('message_', 'activity_'))}
            if forbidden:
                raise AccessError(self.env._(
                    "You can only change the notes, contact and lead of a call (not %(fields)s).",
                    fields=', '.join(sorted(forbidden))))
            self._ameyo_check_caller_values(vals)
        return super().write(vals)

    def _ameyo_check_caller_values(self, vals):
        """Refuse a contact or lead the current user names as a leg's caller unless he may read it himself,
        or the pop found it for that leg's number. Odoo's many2one write never checks the target's access, and
        a leg's caller decides what the agent works on (its chatter, its activities) during the call."""
        for field_name, model in self.CALLER_FIELDS.items():
            record = self.env[model].browse(vals.get(field_name) or ()).exists()
            if not record or record.has_access('read'):
                continue
            for leg in self:
                if record not in leg._ameyo_find_callers(model):
                    raise AccessError(self.env._(
                        "You may not link this call to this lead: it is neither a lead you can open nor one with "
                        "the caller's number.") if model == 'crm.lead' else self.env._(
                        "You may not link this call to this contact: it is neither a contact you can open nor one "
                        "with the caller's number."))

    @api.model
    def _ameyo_cron_batch(self, domain, order, limit, process):
        """Run ``process(leg)`` on the legs ``domain`` finds (as superuser), the way Odoo 19's crons report:
        what is left first, then each leg's progress committed on its own, stopping when the run's time
        is up (Odoo runs the cron again at once while work remains). ``process`` isolates its leg: a
        failure is recorded on it, never raised. The dispose, dial and recording crons share it.
        """
        Call = self.sudo()
        legs = Call.search(domain, order=order, limit=limit)
        Cron = self.env['ir.cron']
        Cron._commit_progress(remaining=len(legs) if len(legs) < limit else Call.search_count(domain))
        for leg in legs:
            process(leg)
            if not Cron._commit_progress(1):
                break

    def _check_company(self, fnames=None):
        # What the pop writes from the server is consistent by construction: the server's company, the
        # server's campaign (_ameyo_find_campaign), that campaign's queue and disposition. Odoo's check of them
        # (a domain evaluated per field) was a sixth of a pop's time: skipped inside _ameyo_server_values only;
        # the contact and lead stay checked there too.
        if _writing_server_values.get():
            names = self._fields if fnames is None else fnames
            fnames = [name for name in names if name not in SERVER_VALUE_FIELDS and name != 'company_id'
                      and self._fields[name].relational and self._fields[name].check_company]
            if not fnames:
                return
        super()._check_company(fnames)

    @staticmethod
    @contextmanager
    def _ameyo_server_values():
        """The pop's creation and update of a leg with the server's own values (``_ameyo_register_leg``):
        Odoo's company check skips those values, and only those, within this block."""
        token = _writing_server_values.set(True)
        try:
            yield
        finally:
            _writing_server_values.reset(token)

    @api.depends('state')
    def _compute_phase(self):
        phase_of = {state: phase for phase, states in PHASE_STATES.items() for state in states}
        for call in self:
            call.phase = phase_of.get(call.state, False)

    def _search_phase(self, operator, value):
        if operator not in ('=', '!=', 'in', 'not in'):
            raise UserError(self.env._("Unsupported search on the phase of a call."))
        phases = [value] if isinstance(value, str) else list(value or ())
        states = [state for phase in phases for state in PHASE_STATES.get(phase, ())]
        return [('state', 'in' if operator in ('=', 'in') else 'not in', states)]

    @api.depends('state', 'campaign_id.dispose_mode')
    def _compute_ended_undisposed(self):
        for call in self:
            call.ended_undisposed = call.state == 'ended' and call.campaign_id.dispose_mode in ODOO_DISPOSE_MODES

    @api.depends('phone')
    def _compute_phone_key(self):
        digits = key_digits(self.env)
        for call in self:
            call.phone_key = phone_key(call.phone, digits)

    @api.depends('phone', 'partner_id', 'lead_id')
    @api.depends_context('uid')
    def _compute_display_name(self):
        # the number and the caller, as the reader may know them; Ameyo's call id only when there is no number
        callers = self._ameyo_caller_names()
        for call in self:
            call.display_name = ' · '.join(filter(None, (call.phone or call.crt_object_id, callers[call.id]))) \
                or self.env._("Call attempt")

    def _ameyo_caller_names(self):
        """{leg id: the name of its lead (else contact) as the current user may know it}: after the call, a
        colleague's lead is closed to the agent again, and the pages of his calls must still open. Only the
        records shown are checked: one access query per kind of record."""
        shown = {call.id: call.sudo().lead_id or call.sudo().partner_id for call in self}
        known = {}
        for model in self.CALLER_FIELDS.values():
            records = self.env[model].sudo().union(*(record for record in shown.values() if record._name == model))
            known.update(self._ameyo_names_for_reader(records))
        return {call_id: known[record][0] if record else '' for call_id, record in shown.items()}

    @api.model
    def _ameyo_names_for_reader(self, records):
        """{record: (its name as the current user may know it, whether he may read it)} of ``records`` (contacts
        or leads of one model, as superuser): the record's name when he may read it, else words that name nothing
        of it ("a lead of another salesperson"). One access query."""
        if not records:
            return {}
        if self.env.su:
            readable = records
        elif self.env[records._name].has_access('read'):
            readable = records.with_env(self.env)._filtered_access('read')
        else:
            readable = records.browse()
        hidden = self._ameyo_unreadable_name(records._name)
        return {record: (record.display_name, True) if record in readable else (hidden, False) for record in records}

    @api.model
    def _ameyo_unreadable_name(self, model):
        """What a page says of a contact or lead its reader may not read: words that name nothing of it."""
        return self.env._("a lead of another salesperson") if model == 'crm.lead' else \
            self.env._("a contact you cannot open")

    @api.depends('call_type')
    def _compute_call_type_label(self):
        words = {
            'inbound.call.dial': self.env._("Inbound call"),
            'transferred.to.campaign.dial': self.env._("Transferred from another campaign"),
            'outbound.manual.dial': self.env._("Manual dial"),
            'outbound.auto.dial': self.env._("Automatic dial (campaign)"),
            'outbound.callback.dial': self.env._("Callback"),
            'outbound.auto.preview.dial': self.env._("Preview dial (automatic)"),
            'outbound.manual.preview.dial': self.env._("Preview dial (manual)"),
            'click.to.call.dial': self.env._("Click-to-call"),
        }
        for call in self:
            call.call_type_label = words.get((call.call_type or '').lower(), call.call_type)

    # ------------------------------------------------------------------
    # Lifecycle URLs (called by the controller once it knows the agent)
    # ------------------------------------------------------------------

    @api.model
    def _ameyo_register_leg(self, server, params, event, agent):
        """Create or update the agent leg a lifecycle URL is about, and return it (as superuser).

        One leg per (server, crtObjectId, userCrtObjectId): a repeated or concurrent
        throw of the same URL updates it. A connect that follows a preview (which
        carries no agent leg) takes over the agent's preview leg. Runs after the
        controller authenticated ``agent``.
        """
        # a pop is on the agent's critical path: no creation message, follower or tracking for it
        # (tracking_disable: not even the agent's auto-subscription as follower of his leg's user_id), and
        # no company check of values that are the server's own (see _check_company)
        Call = self.sudo().with_context(mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True,
                                        tracking_disable=True)
        crt, agent_leg = params['crtObjectId'], params.get('userCrtObjectId') or False
        domain = [('server_id', '=', server.id), ('crt_object_id', '=', crt)]
        # every leg of this call on this server (a handful), in one query: the agent's leg is among them, and
        # the other agents' legs say whether Ameyo gave the call to this agent
        call_legs = Call.search(domain)
        if agent_leg:
            # his leg, else his preview leg of this call (a preview carries no agent leg)
            leg = call_legs.filtered(lambda candidate: candidate.user_crt_object_id == agent_leg)[:1] or \
                call_legs.filtered(lambda candidate: not candidate.user_crt_object_id
                                   and candidate.user_id == agent and candidate.state == 'preview')[:1]
        else:
            leg = call_legs.filtered(lambda candidate: not candidate.user_crt_object_id)[:1]
        if not leg and event in ('customer', 'preview'):
            # the call a click-to-dial of this agent asked for: the pop adopts that attempt
            leg = Call._ameyo_dial_attempt_for(server, agent, crt, params.get('phone'))
        if leg and leg.user_id and leg.user_id != agent:
            # an agent leg is one agent's: another agent naming it is not a transfer (that has its own leg)
            raise AccessError(self.env._("This call belongs to another agent. Nothing was recorded."))
        values = {'user_id': agent.id, 'ameyo_user_ref': params['userId']}
        # a URL updates what it carries: a dispose URL without campaign or queue keeps the leg's
        campaign = server._ameyo_find_campaign(params.get('campaignId')) if params.get('campaignId') or not leg \
            else leg.campaign_id
        if params.get('campaignId') or not leg:
            values.update(campaign_id=campaign.id, ameyo_campaign_ref=params.get('campaignId') or False)
        if params.get('queueId') or params.get('queueName') or not leg or campaign != leg.campaign_id:
            queue = campaign._ameyo_find_or_create_queue(params.get('queueId'), params.get('queueName'))
            values.update(queue_id=queue.id, ameyo_queue_ref=' / '.join(
                filter(None, (params.get('queueId'), params.get('queueName')))) or False)
        for field_name, param in (('phone', 'phone'), ('call_type', 'callType'), ('ameyo_customer_id', 'customerId')):
            if params.get(param) and not (param == 'customerId' and params[param] == '-1'):
                values[field_name] = params[param]
        if event == 'customer':
            if not leg or leg.state in ('preview', *DIALING_STATES):
                values.update(state='connected', connected_at=fields.Datetime.now())
        elif event == 'preview' and leg.state in DIALING_STATES:
            values['state'] = 'preview'
        if leg:
            if not leg.crt_object_id:
                values['crt_object_id'] = crt
            if agent_leg and not leg.user_crt_object_id:
                values['user_crt_object_id'] = agent_leg
            if not leg.crt_object_id:  # an adopted dial attempt: Ameyo names its call now
                values['ameyo_assigned'] = self._ameyo_given_by_ameyo(
                    values.get('call_type') or leg.call_type, call_legs, agent)
            with self._ameyo_server_values():
                leg.write(values)
        else:
            values.update(server_id=server.id, crt_object_id=crt, user_crt_object_id=agent_leg,
                          state='preview' if event == 'preview' else 'connected',
                          direction=self._ameyo_direction_of(values.get('call_type')),
                          ameyo_assigned=self._ameyo_given_by_ameyo(values.get('call_type'), call_legs, agent))
            try:
                # a concurrent throw of the same URL is an expected race: no ERROR line for it
                with self.env.cr.savepoint(), mute_logger('odoo.sql_db'), self._ameyo_server_values():
                    leg = Call.create(values)
            except UniqueViolation as error:
                # Another request created this leg after our transaction began: Odoo replays
                # the whole request, which then finds and updates it.
                raise ConcurrencyError("concurrent creation of the same Ameyo call leg") from error
        if event in ('customer', 'preview'):
            leg._ameyo_end_earlier_legs()
        return leg

    def _ameyo_end_earlier_legs(self):
        """Ameyo gives a busy agent no new call: his other live legs on this server are over (``ended``).

        A dial attempt is not live (the pop that answers it adopts it); a leg disposed later by Ameyo's
        dispose URL still records its disposition.
        """
        self.ensure_one()
        earlier = self.sudo().search([('user_id', '=', self.user_id.id), ('server_id', '=', self.server_id.id),
                                      ('state', 'in', LIVE_STATES), ('id', '!=', self.id)])
        earlier.with_context(mail_notrack=True).write({'state': 'ended'})

    @api.model
    def _ameyo_given_by_ameyo(self, call_type, call_legs, agent):
        """Whether Ameyo gave this call to ``agent``, for a new leg of it, as far as a URL can tell
        (``call_legs``: every leg of the call on this server): no other agent has a leg of it, Ameyo gave him an
        earlier leg of it, or Ameyo says it transferred the call (callType ``transferred.*``). A URL naming
        another agent's call with a new agent leg gets a leg of its own, never that call's recording."""
        mine = call_legs.filtered(lambda leg: leg.user_id == agent)
        return mine == call_legs or any(mine.mapped('ameyo_assigned')) \
            or (call_type or '').lower().startswith(TRANSFER_CALL_TYPE_PREFIX)

    @api.model
    def _ameyo_direction_of(self, call_type):
        """Ameyo's callType says who placed the call: ``outbound.*`` and click-to-call are the agent's."""
        return 'outbound' if (call_type or '').lower().startswith(('outbound.', 'click.to.call')) else 'inbound'

    @api.model
    def _ameyo_dial_attempt_for(self, server, agent, crt, phone):
        """The click-to-dial attempt a pop of ``agent`` is about, or an empty recordset (models/ameyo_call_dial.py)."""
        return self.browse()

    def _ameyo_find_callers(self, model):
        """Return the records of ``model`` ('res.partner' or 'crm.lead') that have this leg's number.

        Found whoever owns them (an agent whose CRM rights are "own documents only" still finds the caller,
        never a duplicate): active records of the call's company or of none (a record of another company
        cannot be linked to this call), through the indexed lookup key, in a fixed order. Returned in the
        agent's environment: linked to his live leg, a record rule lets him work on it.
        """
        self.ensure_one()
        if not self.phone_key:
            return self.env[model]
        order = 'id' if model == 'res.partner' else 'id desc'
        return self.env[model].sudo().search(
            [('ameyo_phone_key', '=', self.phone_key), *self._ameyo_company_domain()],
            order=order, limit=MAX_CANDIDATES).with_env(self.env)

    def _ameyo_company_domain(self):
        """Records this call may be linked to: of the call's company, or shared by all companies."""
        return [('company_id', 'in', [self.company_id.id, False])]

    def _ameyo_pop_model(self):
        """What the pop opens: the queue's choice, else the campaign's ('res.partner' or 'crm.lead')."""
        self.ensure_one()
        target = self.queue_id.pop_target or self.campaign_id.pop_target
        return 'crm.lead' if target == 'lead' else 'res.partner'

    def _ameyo_creates_on_no_match(self):
        """Whether a pop with no matching caller creates the record: the queue's choice, else the campaign's."""
        self.ensure_one()
        setting = self.queue_id.create_on_no_match
        return setting == 'create' if setting else self.campaign_id.create_on_no_match

    def _ameyo_resolve_pop(self, create_allowed=True):
        """Decide what the agent sees for this leg; link the leg to its record; write the lookup trace.

        Return ``('open', record)``, ``('choose', records)``, ``('new', model)``, or
        ``('no_number', model)`` when Ameyo sent no number (nothing is looked up or created).
        """
        self.ensure_one()
        model = self._ameyo_pop_model()
        outcome, records, by, candidates = self._ameyo_decide_pop(model, create_allowed)
        self._ameyo_store_lookup_trace(model, outcome, records, by, candidates)  # ameyo_call_lookup_trace.py
        return outcome, records

    def _ameyo_decide_pop(self, model, create_allowed):
        """The pop's decision: ``(outcome, records, by, candidates)``; ``by`` says why that record opens
        (dialed, callback, customer_id, pick, number, created), ``candidates`` the records with the number when
        the number was looked up (None when another rule decided first)."""
        Partner = self.env['res.partner'].sudo()
        # Ameyo calls back a number with a pending callback: the call that scheduled it names the record.
        # The call the agent dialed from a contact or lead: that record, even when others share the number.
        dialed = self.lead_id if model == 'crm.lead' else self.partner_id
        if self.direction == 'outbound' and self.dial_requested_at and dialed:
            # a record the agent could read when he dialed it (_ameyo_dial checks it): the pop's link now
            self._ameyo_link(dialed)
            return 'open', dialed.with_env(self.env), 'dialed', None
        origin = self._ameyo_link_callback_origin()
        origin_record = origin.lead_id if model == 'crm.lead' else origin.partner_id
        if origin_record.sudo().active:
            self._ameyo_link(origin_record)
            return 'open', origin_record.with_env(self.env), 'callback', None
        # Ameyo's customerId, once linked, names the contact.
        if self.ameyo_customer_id and model == 'res.partner':
            partner = Partner.search([('ameyo_customer_id', '=', self.ameyo_customer_id),
                                      *self._ameyo_company_domain()], order='id', limit=1)
            if partner:
                self._ameyo_link(partner)
                return 'open', partner.with_env(self.env), 'customer_id', None
        if not self.phone:
            return 'no_number', model, None, None  # no number, no new record: the pop says so, the leg is kept
        candidates = self._ameyo_find_callers(model)
        chosen = candidates
        if len(candidates) > 1:
            pick = self._ameyo_remembered_pick(model)
            if pick and pick.res_id in candidates.ids:
                chosen = candidates.browse(pick.res_id)
        if len(chosen) == 1:
            self._ameyo_link(chosen)
            return 'open', chosen, 'pick' if len(candidates) > 1 else 'number', candidates
        if candidates:
            return 'choose', candidates, None, candidates
        if model == 'crm.lead':
            partners = self._ameyo_find_callers('res.partner')
            if len(partners) == 1:
                self._ameyo_link(partners)
        if create_allowed and self.phone_key and self._ameyo_creates_on_no_match():
            record = self.env[model].with_company(self.company_id).create(self._ameyo_new_record_values(model))
            self._ameyo_link(record)
            return 'open', record, 'created', candidates
        return 'new', model, None, candidates

    def _ameyo_remembered_pick(self, model):
        """The record remembered for this leg's number (``ameyo.phone.pick``, as superuser), if any."""
        self.ensure_one()
        if not self.phone_key:
            return self.env['ameyo.phone.pick']
        return self.env['ameyo.phone.pick'].sudo().search(
            [('phone_key', '=', self.phone_key), ('res_model', '=', model)], limit=1)

    def _ameyo_link_callback_origin(self):
        """For a callback call, link the latest earlier call of this number whose callback is pending."""
        self.ensure_one()
        leg = self.sudo()
        if self.call_type != 'outbound.callback.dial' or not self.phone_key:
            return leg.callback_origin_id
        if not leg.callback_origin_id:
            # pending: no callback call answered it yet
            origin = leg.search([
                ('phone_key', '=', self.phone_key), ('callback_at', '!=', False), ('id', '!=', self.id),
                ('callback_call_ids', '=', False), ('server_id', '=', self.server_id.id),
            ], order='callback_at desc, id desc', limit=1)
            leg.callback_origin_id = origin
        return leg.callback_origin_id

    def _ameyo_new_record_values(self, model):
        """Default values of a contact or lead created for this leg's caller."""
        self.ensure_one()
        phone = self._ameyo_display_phone()
        if model == 'res.partner':
            values = {'name': phone or self.env._("Unknown caller"), 'phone': phone}
            if self.ameyo_customer_id:
                values['ameyo_customer_id'] = self.ameyo_customer_id
            return values
        team = self.queue_id.team_id or self.campaign_id.team_id
        return {
            'name': self.env._("Call from %(phone)s", phone=phone or self.env._("unknown number")),
            'phone': phone,
            'type': 'lead' if not self.partner_id else 'opportunity',
            'partner_id': self.partner_id.id,
            'team_id': team.id,
            'user_id': self.user_id.id,
            'tag_ids': [fields.Command.set(self.queue_id.tag_ids.ids)],
        }

    def _ameyo_display_phone(self):
        """The caller's number as Odoo shows numbers (international form), '' for a masked one.

        Ameyo often sends bare national digits: they are read in the home country of
        Settings (its calling code), and formatted by ``phone_validation``. A number
        ``phonenumbers`` cannot read is kept as Ameyo sent it.
        """
        phone = (self.phone or '').strip()
        if any(char in 'Xx*' for char in phone):
            return ''  # a masked number is not the caller's number
        country = self._ameyo_home_country()
        if phone and country:
            return self._phone_format(number=phone, country=country, force_format='INTERNATIONAL') or phone
        return phone

    @api.model
    def _ameyo_home_country(self):
        """The country whose calling code Settings names (the company's own when several share it)."""
        code = self.env['ir.config_parameter'].sudo().get_param('crm_ameyo.phone_country_code', '91')
        if not code or not code.isdigit():
            return self.env['res.country']
        company_country = self.env.company.country_id
        if company_country.phone_code == int(code):
            return company_country
        return self.env['res.country'].search([('phone_code', '=', int(code))], order='id', limit=1)

    def _ameyo_link(self, record):
        """Attach the leg to the contact or lead it is about (and remember Ameyo's customerId).

        The pop's own link: only the pop, the chooser among the records the pop found, and the record the agent
        creates from the pop's prefilled form call it. A lead linked here is also the leg's ``pop_lead_id``,
        which the agent's record rule on leads reads while the call is live.
        """
        self.ensure_one()
        leg = self.sudo().with_context(tracking_disable=True)  # part of the pop: the leg's fields say it
        record = record.sudo()  # found whoever owns it: the agent may work on it once it is his live leg's
        if record._name == 'res.partner':
            leg.partner_id = record
            if leg.ameyo_customer_id and not record.ameyo_customer_id:
                record.sudo().ameyo_customer_id = leg.ameyo_customer_id
        else:
            leg.write({'lead_id': record.id, 'pop_lead_id': record.id,
                       'partner_id': record.partner_id.id or leg.partner_id.id})

    def _ameyo_remember_pick(self, record):
        """Remember the agent's choice among several records sharing this leg's number, and link it.

        One pick per number and kind of record, written in one statement: two agents
        choosing at once both succeed, the later choice stays.
        """
        self.ensure_one()
        if self.phone_key:
            Pick = self.env['ameyo.phone.pick']
            Pick.flush_model()
            self.env.cr.execute(SQL(
                """INSERT INTO ameyo_phone_pick (phone_key, res_model, res_id, user_id,
                                                 create_uid, create_date, write_uid, write_date)
                   VALUES (%(key)s, %(model)s, %(res_id)s, %(uid)s,
                           %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC')
                   ON CONFLICT (phone_key, res_model) DO UPDATE
                   SET res_id = EXCLUDED.res_id, user_id = EXCLUDED.user_id,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date""",
                key=self.phone_key, model=record._name, res_id=record.id, uid=self.env.uid))
            Pick.invalidate_model()
        self._ameyo_link(record)

    def _ameyo_forget_pick(self, model):
        """The chooser's "None of these": the caller is none of the records with this number. Forget the
        number's remembered pick and unlink the leg's record, so the pop opens a new one (prefilled)."""
        self.ensure_one()
        self._ameyo_remembered_pick(model).unlink()
        values = {'lead_id': False, 'pop_lead_id': False} if model == 'crm.lead' else {'partner_id': False}
        self.sudo().with_context(mail_notrack=True).write(values)

    def _ameyo_record_disposition(self, params):
        """Record Ameyo's disposition (dispose URL) on this leg; notes saved in Odoo stay as they are."""
        self.ensure_one()
        leg = self.sudo()
        code = params['dispositionCode']
        disposition = leg.campaign_id.disposition_ids.filtered(lambda d: d.code == code)[:1]
        leg.write({
            'disposition_code': code,
            'disposition_id': disposition.id,
            'disposition_attribute': params.get('dispositionAttribute') or leg.disposition_attribute,
            'state': 'disposed',
            'disposed_at': fields.Datetime.now(),
            'dispose_error': False,
        })
        body = self.env._("Ameyo disposed this call with code %(code)s.", code=code)
        leg.message_post(body=body)
        leg._ameyo_callback_from_ameyo(params)  # a callback the agent scheduled in Ameyo (ameyo_call_dispose.py)
        # on the caller's record too, as a dispose in Odoo notes it
        record = leg.lead_id or leg.partner_id
        if record:
            record.message_post(body=self.env._("Call %(phone)s disposed in Ameyo: %(outcome)s", phone=leg.phone or '',
                                                outcome=disposition.name or code), subtype_xmlid='mail.mt_note')

    def _ameyo_pop_action_record(self, model):
        """The window action the pop opens ``model`` with: the queue's "Opens Action" when it is about
        ``model``, else the app's own (Contacts, or CRM's Leads / Pipeline), so the pop lands under its app."""
        action = self.queue_id.action_id.sudo()
        if action.res_model == model:
            return action
        if model == 'crm.lead':
            xmlid = 'crm.crm_lead_all_leads' if self.env.user.has_group('crm.group_use_lead') \
                else 'crm.crm_lead_action_pipeline'
        else:
            xmlid = 'contacts.action_contacts'
        return (self.env.ref(xmlid, raise_if_not_found=False) or self.env['ir.actions.act_window']).sudo()

    def _ameyo_pop_view(self, model):
        """The form view the pop forces, or an empty recordset (the action's own form view then)."""
        campaign = self.campaign_id
        if self.state == 'preview' and (campaign.preview_readonly if campaign else True):
            return self.env.ref('crm_ameyo.res_partner_view_form_ameyo_preview' if model == 'res.partner'
                                else 'crm_ameyo.crm_lead_view_form_ameyo_preview')
        view = self.queue_id.sudo().view_id  # agents do not read views: the pop only names it
        return view if view.model == model else self.env['ir.ui.view']

    def _ameyo_pop_url(self):
        """Where the pop sends the agent's browser. An existing record: straight to its form under the
        action in force (``/odoo/contacts/<id>``, ``/odoo/crm/<id>``, ``/odoo/action-<id>/<id>``), one round
        trip less. A new record (prefilled), or a view only the action can force (preview, the queue's
        view): the pop action on this leg, ``/odoo/<leg>/action-crm_ameyo.ameyo_call_pop_action``."""
        self.ensure_one()
        model = self._ameyo_pop_model()
        record = self.lead_id if model == 'crm.lead' else self.partner_id
        if record and not self._ameyo_pop_view(model):
            action = self._ameyo_pop_action_record(model)
            if action == self.env.ref('crm.crm_lead_action_pipeline', raise_if_not_found=False):
                return f'/odoo/crm/{record.id}'  # the CRM app's own path (its "My Pipeline" runs this action)
            if action:
                return f'/odoo/{action.path or f"action-{action.id}"}/{record.id}'
        return f'/odoo/{self.id}/action-crm_ameyo.ameyo_call_pop_action'

    def action_open_pop(self):
        """Open what the screen-pop opens (the pop URL, the call banner): this leg's contact or lead (or a
        new one, prefilled), queue-aware: the queue's target, action (its context and form view kept)
        and view, each falling back to the campaign's setting.

        A preview opens the record read-only when the campaign says so.
        """
        self.ensure_one()
        campaign = self.campaign_id
        model = self._ameyo_pop_model()
        record = self.lead_id if model == 'crm.lead' else self.partner_id
        action_record = self._ameyo_pop_action_record(model)
        action = action_record._get_action_dict() if action_record else {'type': 'ir.actions.act_window'}
        # the queue's action brings its context and form view; an app's default action only its place (the app
        # the pop lands under), not its context (default_is_company) nor its view
        is_queue_action = action_record == self.queue_id.action_id
        own_context = action.get('context') if is_queue_action else False
        try:
            context = dict(safe_eval(own_context or '{}', {
                'uid': self.env.uid, 'user': self.env.user, 'active_id': record.id, 'context': self.env.context,
                'allowed_company_ids': self.env.companies.ids}))
        except Exception:  # noqa: BLE001 - an action's context Odoo cannot evaluate here: the pop still opens
            context = {}
        # its list filters and groupings mean nothing on a form
        context = {key: value for key, value in context.items() if not key.startswith(('search_default_', 'group_by'))}
        context['ameyo_pop_leg_id'] = self.id
        team = self.queue_id.team_id or campaign.team_id
        if model == 'crm.lead':
            context['default_company_id'] = self.company_id.id  # the call's company, whichever one is current
            if team:
                context['default_team_id'] = team.id
        view = self._ameyo_pop_view(model)
        if not view and is_queue_action:
            view_id = next((view_id for view_id, mode in action.get('views') or () if mode == 'form'), False)
            view = self.env['ir.ui.view'].browse(view_id or action.get('view_id') and action['view_id'][0] or ())
        if not record:
            # the agent types the caller's name: only the number (and links) are prefilled
            context.update({f'default_{name}': value for name, value in self._ameyo_new_record_values(model).items()
                            if name not in ('tag_ids', 'name') and value})
            if model == 'crm.lead' and self.queue_id.tag_ids:
                context['default_tag_ids'] = self.queue_id.tag_ids.ids
        action.update({
            'name': self.env._("Call from %(phone)s", phone=self.phone or '?'),
            'res_model': model,
            'view_mode': 'form',
            'views': [(view.id or False, 'form')],
            'res_id': record.id or False,
            'target': 'current',
            'context': context,
        })
        for key in ('domain', 'search_view_id', 'view_id', 'limit'):
            action.pop(key, None)
        return action

    def action_ameyo_wrong_caller(self):
        """The call banner's "Wrong caller": the chooser again, for this live leg of the agent."""
        self.ensure_one()
        if self.user_id != self.env.user or self.state not in LIVE_STATES:
            raise UserError(self.env._("Only the agent on this call can say who is calling, while the call is on."))
        return {'type': 'ir.actions.act_url', 'url': f'/ameyo/choose/{self.id}', 'target': 'self'}

    def _ameyo_notify_agent(self):
        """Tell the agent's open Odoo tabs about his live call (the call banner listens)."""
        self.ensure_one()
        self.env['bus.bus']._sendone(self.user_id.partner_id, 'crm_ameyo/call', self._ameyo_banner_data())

    def _ameyo_banner_data(self):
        self.ensure_one()
        return {
            'id': self.id,
            'phone': self.phone or '',
            'state': self.state,
            'live': self.state in LIVE_STATES,
            'campaign': self.campaign_id.name or self.ameyo_campaign_ref or '',
            'queue': self.queue_id.name or self.ameyo_queue_ref or '',
            'record': self._ameyo_caller_names()[self.id],
            'guidance': self.guidance or '',
        }

    @api.model
    def get_current_call(self):
        """The agent's live call for the call banner: his latest leg, while it is in preview or connected.

        Only the latest: once Ameyo gave him another call, older legs are over even if never disposed.
        """
        leg = self.search([('user_id', '=', self.env.uid), ('state', 'not in', ATTEMPT_STATES)],
                          order='id desc', limit=1)
        return leg._ameyo_banner_data() if leg.state in LIVE_STATES else False

from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import AccessError, ConcurrencyError, UserError
from odoo.tools import SQL, mute_logger

from ..tools.phone_key import key_digits, phone_key

# How many candidates a chooser offers at most.
MAX_CANDIDATES = 50

CALL_STATES = [
    ('preview', 'Preview'),
    ('connected', 'Connected'),
    ('dispose_pending', 'Dispose Pending'),
    ('disposed', 'Disposed'),
    ('dispose_failed', 'Dispose Failed'),
    ('dialing', 'Dialing'),
    ('dial_failed', 'Dial Failed'),
]
# The one vocabulary of a leg's life: code, views (through the ``phase`` field) and the call banner
# (through ``live`` in its data) ask these groups, never a list of states of their own.
LIVE_STATES = ('preview', 'connected')  # the agent is on the call
WAITING_STATES = ('dispose_pending', 'dispose_failed')  # saved in Odoo, Ameyo not told: he may sit in wrap
CLOSED_STATES = ('disposed', 'dial_failed')  # nothing left to do
# A click-to-dial request Ameyo may still place: not a call yet, until a pop adopts the leg.
DIALING_STATES = ('dialing',)
PHASE_STATES = {'dialing': DIALING_STATES, 'live': LIVE_STATES, 'waiting': WAITING_STATES,
                'closed': CLOSED_STATES}
# Legs no pop named (a dial attempt not adopted, or one that failed): not calls Ameyo gave the agent.
# What watches for the agent's calls (the banner, the dispose rule about his next pop) ignores them.
ATTEMPT_STATES = ('dialing', 'dial_failed')
# what the agent can still dispose: a live call, or one whose dispose Ameyo refused
DISPOSABLE_STATES = (*LIVE_STATES, 'dispose_failed')


class AmeyoCall(models.Model):
    """One agent leg of an Ameyo call.

    A call is identified in Ameyo by its customer leg (``crtObjectId``); each
    agent who handles it (the first one, then whoever it is transferred to) has
    his own leg (``userCrtObjectId``) and disposes it on his own.
    """
    _name = 'ameyo.call'
    _description = 'Ameyo Call Leg'
    _inherit = ['mail.thread', 'mail.activity.mixin']
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
    call_type = fields.Char(readonly=True, help="Ameyo's callType, e.g. inbound.call.dial, outbound.manual.dial.")
    user_id = fields.Many2one('res.users', string="Agent", index=True, tracking=True,
                              default=lambda self: self.env.user)
    partner_id = fields.Many2one('res.partner', string="Contact", index='btree_not_null', tracking=True,
                                 check_company=True)
    lead_id = fields.Many2one('crm.lead', index='btree_not_null', tracking=True, check_company=True)
    state = fields.Selection(CALL_STATES, required=True, default='connected', index=True, tracking=True)
    phase = fields.Selection(
        [('dialing', 'Dialing'), ('live', 'Live'), ('waiting', 'Waiting for Ameyo'), ('closed', 'Closed')],
        compute='_compute_phase', search='_search_phase',
        help="Dialing: Odoo asked Ameyo to place the call, no pop named it yet. Live: the agent is on the call. "
             "Waiting for Ameyo: the outcome is saved in Odoo, Ameyo was not "
             "told yet (the agent may be held in wrap). Closed: nothing left to do.")
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
        return super().write(vals)

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
        # What _ameyo_register_leg writes is consistent by construction: the server's company, the server's
        # campaign (_ameyo_find_campaign), that campaign's queue and disposition. Odoo's check of them (a
        # domain evaluated per field) was a sixth of a pop's time; the contact and lead stay checked.
        if self.env.context.get('ameyo_values_of_server'):
            return
        super()._check_company(fnames)

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

    @api.depends('phone')
    def _compute_phone_key(self):
        digits = key_digits(self.env)
        for call in self:
            call.phone_key = phone_key(call.phone, digits)

    @api.depends('crt_object_id', 'phone')
    def _compute_display_name(self):
        for call in self:
            call.display_name = ' / '.join(part for part in (call.phone, call.crt_object_id) if part)

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
                                        tracking_disable=True, ameyo_values_of_server=True)
        crt, agent_leg = params['crtObjectId'], params.get('userCrtObjectId') or False
        domain = [('server_id', '=', server.id), ('crt_object_id', '=', crt)]
        if agent_leg:
            # his leg, else his preview leg of this call (a preview carries no agent leg): one query
            legs = Call.search(domain + ['|', ('user_crt_object_id', '=', agent_leg),
                                         '&', '&', ('user_crt_object_id', '=', False), ('user_id', '=', agent.id),
                                         ('state', '=', 'preview')])
            leg = legs.filtered(lambda candidate: candidate.user_crt_object_id == agent_leg)[:1] or legs[:1]
        else:
            leg = Call.search(domain + [('user_crt_object_id', '=', False)], limit=1)
        if not leg and event in ('customer', 'preview'):
            # the call a click-to-dial of this agent asked for: the pop adopts that attempt
            leg = Call._ameyo_dial_attempt_for(server, agent, crt, params.get('phone'))
        if leg and leg.user_id and leg.user_id != agent:
            # an agent leg is one agent's: another agent naming it is not a transfer (that has its own leg)
            raise AccessError(self.env._("This call leg belongs to another agent. Nothing was recorded."))
        campaign = server._ameyo_find_campaign(params.get('campaignId'))
        queue = campaign._ameyo_find_or_create_queue(params.get('queueId'), params.get('queueName'))
        values = {
            'user_id': agent.id,
            'campaign_id': campaign.id,
            'queue_id': queue.id,
            'ameyo_campaign_ref': params.get('campaignId') or False,
            'ameyo_queue_ref': ' / '.join(filter(None, (params.get('queueId'), params.get('queueName')))) or False,
            'ameyo_user_ref': params['userId'],
        }
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
            leg.write(values)
            return leg
        values.update(server_id=server.id, crt_object_id=crt, user_crt_object_id=agent_leg,
                      state='preview' if event == 'preview' else 'connected',
                      direction=self._ameyo_direction_of(values.get('call_type')))
        try:
            # a concurrent throw of the same URL is an expected race: no ERROR line for it
            with self.env.cr.savepoint(), mute_logger('odoo.sql_db'):
                return Call.create(values)
        except UniqueViolation as error:
            # Another request created this leg after our transaction began: Odoo replays
            # the whole request, which then finds and updates it.
            raise ConcurrencyError("concurrent creation of the same Ameyo call leg") from error

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

        Searched as the agent (``self.env``): active records he may read, of the call's
        company or of none (a record of another company cannot be linked to this call),
        through the indexed lookup key, in a fixed order.
        """
        self.ensure_one()
        if not self.phone_key:
            return self.env[model]
        order = 'id' if model == 'res.partner' else 'id desc'
        return self.env[model].search([('ameyo_phone_key', '=', self.phone_key), *self._ameyo_company_domain()],
                                      order=order, limit=MAX_CANDIDATES)

    def _ameyo_company_domain(self):
        """Records this call may be linked to: of the call's company, or shared by all companies."""
        return [('company_id', 'in', [self.company_id.id, False])]

    def _ameyo_resolve_pop(self, create_allowed=True):
        """Decide what the agent sees for this leg; link the leg to its record.

        Return ``('open', record)``, ``('choose', records)`` or ``('new', model)``.
        """
        self.ensure_one()
        campaign = self.campaign_id
        model = 'crm.lead' if campaign.pop_target == 'lead' else 'res.partner'
        Partner = self.env['res.partner']
        # Ameyo calls back a number with a pending callback: the call that scheduled it names the record.
        # The call the agent dialed from a contact or lead: that record, even when others share the number.
        dialed = self.lead_id if model == 'crm.lead' else self.partner_id
        if self.direction == 'outbound' and self.dial_requested_at and dialed \
                and dialed.with_env(self.env).has_access('read'):
            return 'open', dialed.with_env(self.env)
        origin = self._ameyo_link_callback_origin()
        origin_record = origin.lead_id if model == 'crm.lead' else origin.partner_id
        if origin_record and origin_record.with_env(self.env).has_access('read'):
            self._ameyo_link(origin_record.with_env(self.env))
            return 'open', origin_record.with_env(self.env)
        # Ameyo's customerId, once linked, names the contact.
        if self.ameyo_customer_id and model == 'res.partner':
            partner = Partner.search([('ameyo_customer_id', '=', self.ameyo_customer_id),
                                      *self._ameyo_company_domain()], order='id', limit=1)
            if partner:
                self._ameyo_link(partner)
                return 'open', partner
        candidates = self._ameyo_find_callers(model)
        if len(candidates) > 1:
            pick = self.env['ameyo.phone.pick'].sudo().search(
                [('phone_key', '=', self.phone_key), ('res_model', '=', model)], limit=1)
            if pick and pick.res_id in candidates.ids:
                candidates = candidates.browse(pick.res_id)
        if len(candidates) == 1:
            self._ameyo_link(candidates)
            return 'open', candidates
        if candidates:
            return 'choose', candidates
        if model == 'crm.lead':
            partners = self._ameyo_find_callers('res.partner')
            if len(partners) == 1:
                self._ameyo_link(partners)
        if create_allowed and campaign.create_on_no_match:
            record = self.env[model].with_company(self.company_id).create(self._ameyo_new_record_values(model))
            self._ameyo_link(record)
            return 'open', record
        return 'new', model

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
        """Attach the leg to the contact or lead it is about (and remember Ameyo's customerId)."""
        self.ensure_one()
        leg = self.sudo().with_context(tracking_disable=True)  # part of the pop: the leg's fields say it
        if record._name == 'res.partner':
            leg.partner_id = record
            if leg.ameyo_customer_id and not record.ameyo_customer_id:
                record.sudo().ameyo_customer_id = leg.ameyo_customer_id
        else:
            leg.write({'lead_id': record.id, 'partner_id': record.partner_id.id or leg.partner_id.id})

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
        leg.message_post(body=self.env._("Ameyo disposed this call with code %(code)s.", code=code))

    def action_open_pop(self):
        """Open what the screen-pop opens (the pop URL, the call banner): this leg's contact or lead (or a
        new one, prefilled), queue-aware.

        A preview opens the record read-only when the campaign says so.
        """
        self.ensure_one()
        campaign = self.campaign_id
        model = 'crm.lead' if campaign.pop_target == 'lead' else 'res.partner'
        record = self.lead_id if model == 'crm.lead' else self.partner_id
        queue_action = self.queue_id.action_id
        if queue_action and queue_action.res_model == model:
            action = queue_action.sudo()._get_action_dict()
        else:
            action = {'type': 'ir.actions.act_window', 'res_model': model}
        context = {'ameyo_pop_leg_id': self.id}
        team = self.queue_id.team_id or campaign.team_id
        if model == 'crm.lead':
            context['default_company_id'] = self.company_id.id  # the call's company, whichever one is current
            if team:
                context['default_team_id'] = team.id
        readonly = self.state == 'preview' and (campaign.preview_readonly if campaign else True)
        if readonly:
            view = self.env.ref('crm_ameyo.res_partner_view_form_ameyo_preview' if model == 'res.partner'
                                else 'crm_ameyo.crm_lead_view_form_ameyo_preview')
        else:
            view = self.queue_id.view_id if self.queue_id.view_id.model == model else self.env['ir.ui.view']
        if not record:
            # the agent types the caller's name: only the number (and links) are prefilled
            context.update({f'default_{name}': value for name, value in self._ameyo_new_record_values(model).items()
                            if name not in ('tag_ids', 'name') and value})
            if model == 'crm.lead' and self.queue_id.tag_ids:
                context['default_tag_ids'] = self.queue_id.tag_ids.ids
        action.update({
            'name': self.env._("Call from %(phone)s", phone=self.phone or '?'),
            'view_mode': 'form',
            'views': [(view.id or False, 'form')],
            'res_id': record.id or False,
            'target': 'current',
            'context': context,
        })
        action.pop('domain', None)
        action.pop('search_view_id', None)
        return action

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
            'record': (self.lead_id or self.partner_id).display_name or '',
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

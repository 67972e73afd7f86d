"""The screen-pop's decision for a leg: which contact or lead it is about, and where the agent's
browser goes.

Called by the lifecycle URLs (controllers/lifecycle.py) once the leg is registered
(``ameyo.call._ameyo_register_leg``): :meth:`_ameyo_resolve_pop` looks the caller up (the number's
indexed key, Ameyo's customerId, the call a callback answers, the record the agent dialed, the
choice remembered among several records sharing a number), links the leg to the record (the pop's
own link,
:meth:`_ameyo_link`, which the agent's record rule on leads reads while the call is live), and
writes the lookup trace; :meth:`_ameyo_pop_url` and :meth:`action_open_pop` say what opens, per
queue and campaign.
"""

from contextvars import ContextVar

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from ..const import LIVE_STATES

# How many candidates a chooser offers at most.
MAX_CANDIDATES = 50
# What the pop's decision writes on its leg (the caller, the callback's origin, the lookup trace).
POP_DECISION_FIELDS = ('partner_id', 'lead_id', 'pop_lead_id', 'callback_origin_id', 'lookup_trace')
# The decision of a draft leg that must wait for the leg to exist (it would write a lead naming the
# leg).
UNDECIDED = 'undecided'
# The leg's caller fields Odoo's company check may skip: set (a Python context variable, which no
# RPC caller can set) only while the pop links a record its own lookup found among those of the
# leg's company or of none.
found_caller_fields = ContextVar('crm_ameyo_found_caller_fields', default=frozenset())


class AmeyoCallPopMixin(models.AbstractModel):
    """What the screen-pop adds to a call leg (``ameyo.call`` lists it in its ``_inherit``)."""

    _name = 'ameyo.call.pop.mixin'
    _description = "Ameyo Call Leg: Screen-Pop"

    def _ameyo_find_callers(self, model):
        """Return the records of ``model`` ('res.partner' or 'crm.lead') that have this leg's
        number.

        Found whoever owns them (an agent whose CRM rights are "own documents only" still finds the
        caller, never a duplicate): active records of the call's company or of none (a record of
        another company cannot be linked to this call), through the indexed lookup key, in a fixed
        order. Returned in the agent's environment: linked to their live leg, a record rule lets
        them work on it.
        """
        self.ensure_one()
        if not self.phone_key:
            return self.env[model]
        order = 'id' if model == 'res.partner' else 'id desc'
        return (
            self.env[model]
            .sudo()
            .search(
                [('ameyo_phone_key', '=', self.phone_key), *self._ameyo_company_domain()],
                order=order,
                limit=MAX_CANDIDATES,
            )
            .with_env(self.env)
        )

    def _ameyo_company_domain(self):
        """Records this call may be linked to: of the call's company, or shared by all companies."""
        return [('company_id', 'in', [self.company_id.id, False])]

    def _ameyo_pop_model(self):
        """What the pop opens: the queue's choice, else the campaign's ('res.partner' or
        'crm.lead')."""
        self.ensure_one()
        target = self.queue_id.pop_target or self.campaign_id.pop_target
        return 'crm.lead' if target == 'lead' else 'res.partner'

    def _ameyo_creates_on_no_match(self):
        """Whether a pop with no matching caller creates the record: the queue's choice, else the
        campaign's."""
        self.ensure_one()
        setting = self.queue_id.create_on_no_match
        return setting == 'create' if setting else self.campaign_id.create_on_no_match

    def _ameyo_resolve_pop(self, create_allowed=True):
        """Decide what the agent sees for this leg; link the leg to its record; write the lookup
        trace.

        Return ``('open', record)``, ``('choose', records)``, ``('new', model)``, or
        ``('no_number', model)`` when Ameyo sent no number (nothing is looked up or created).
        """
        self.ensure_one()
        model = self._ameyo_pop_model()
        outcome, records, by, candidates = self._ameyo_decide_pop(model, create_allowed)
        if outcome != UNDECIDED:
            # ameyo_call_lookup_trace.py
            self._ameyo_store_lookup_trace(model, outcome, records, by, candidates)
        return outcome, records

    def _ameyo_decide_pop(self, model, create_allowed):
        """The pop's decision: ``(outcome, records, by, candidates)``; ``by`` says why that record
        opens (dialed, callback, customer_id, pick, number, created), ``candidates`` the records
        with the number when the number was looked up (None when another rule decided first)."""
        Partner = self.env['res.partner'].sudo()
        # Ameyo calls back a number with a pending callback: the call that scheduled it names the
        # record. The call the agent dialed from a contact or lead: that record, even when others
        # share the number.
        dialed = self.lead_id if model == 'crm.lead' else self.partner_id
        if self.direction == 'outbound' and self.dial_requested_at and dialed:
            # a record the agent could read when they dialed it (_ameyo_dial checks it): the pop's
            # link now
            self._ameyo_link(dialed)
            return 'open', dialed.with_env(self.env), 'dialed', None
        origin = self._ameyo_link_callback_origin()
        origin_record = origin.lead_id if model == 'crm.lead' else origin.partner_id
        if origin_record.sudo().active:
            self._ameyo_link(origin_record)
            return 'open', origin_record.with_env(self.env), 'callback', None
        # Ameyo's customerId, once linked, names the contact.
        if self.ameyo_customer_id and model == 'res.partner':
            partner = Partner.search(
                [('ameyo_customer_id', '=', self.ameyo_customer_id), *self._ameyo_company_domain()],
                order='id',
                limit=1,
            )
            if partner:
                self._ameyo_link_found(partner)
                return 'open', partner.with_env(self.env), 'customer_id', None
        if not self.phone:
            # no number, no new record: the pop says so, the leg is kept
            return 'no_number', model, None, None
        candidates = self._ameyo_find_callers(model)
        chosen = candidates
        if len(candidates) > 1:
            pick = self._ameyo_remembered_pick(model)
            if pick and pick.res_id in candidates.ids:
                chosen = candidates.browse(pick.res_id)
        if len(chosen) == 1:
            self._ameyo_link_found(chosen)
            return 'open', chosen, 'pick' if len(candidates) > 1 else 'number', candidates
        if candidates:
            return 'choose', candidates, None, candidates
        lost = self._ameyo_pop_lost_lead() if model == 'crm.lead' else self.env[model]
        if not self.id and (
            (lost and create_allowed)
            or (
                not lost and create_allowed and self.phone_key and self._ameyo_creates_on_no_match()
            )
        ):
            # a draft of the leg (the pop decides before the leg's INSERT): restoring the caller's
            # lost lead or creating a record writes a lead that names the leg, so the decision waits
            # for the leg to exist
            return UNDECIDED, model, None, candidates
        if lost:  # restored, or shown as lost (ameyo_call_crm_action.py)
            if create_allowed:
                self._ameyo_restore_lost_lead(lost)
            self._ameyo_link_found(lost)
            return 'open', lost, 'lost', candidates
        if model == 'crm.lead':
            partners = self._ameyo_find_callers('res.partner')
            if len(partners) == 1:
                self._ameyo_link_found(partners)
        if create_allowed and self.phone_key and self._ameyo_creates_on_no_match():
            record = (
                self.env[model]
                .with_company(self.company_id)
                .create(self._ameyo_new_record_values(model))
            )
            self._ameyo_link(record)
            # a lead: its call, UTM (ameyo_call_crm_action.py)
            self._ameyo_note_created_record(record)
            return 'open', record, 'created', candidates
        return 'new', model, None, candidates

    def _ameyo_remembered_pick(self, model):
        """The record remembered for this leg's number (``ameyo.phone.pick``, as superuser), if
        any."""
        self.ensure_one()
        if not self.phone_key:
            return self.env['ameyo.phone.pick']
        return (
            self.env['ameyo.phone.pick']
            .sudo()
            .search([('phone_key', '=', self.phone_key), ('res_model', '=', model)], limit=1)
        )

    def _ameyo_link_callback_origin(self):
        """For a callback call, link the latest earlier call of this number whose callback is
        pending."""
        self.ensure_one()
        leg = self.sudo()
        if self.call_type != 'outbound.callback.dial' or not self.phone_key:
            return leg.callback_origin_id
        if not leg.callback_origin_id:
            # pending: no callback call answered it yet
            origin = leg.search(
                [
                    ('phone_key', '=', self.phone_key),
                    ('callback_at', '!=', False),
                    # a draft (_ameyo_pop_leg) is no row yet
                    *([('id', '!=', self.id)] if self.id else []),
                    ('callback_call_ids', '=', False),
                    ('server_id', '=', self.server_id.id),
                ],
                order='callback_at desc, id desc',
                limit=1,
            )
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
            return (
                self._phone_format(number=phone, country=country, force_format='INTERNATIONAL')
                or phone
            )
        return phone

    @api.model
    def _ameyo_home_country(self):
        """The country whose calling code Settings names (the company's own when several share
        it)."""
        code = (
            self.env['ir.config_parameter'].sudo().get_param('crm_ameyo.phone_country_code', '91')
        )
        if not code or not code.isdigit():
            return self.env['res.country']
        company_country = self.env.company.country_id
        if company_country.phone_code == int(code):
            return company_country
        return self.env['res.country'].search([('phone_code', '=', int(code))], order='id', limit=1)

    def _ameyo_link(self, record):
        """Attach the leg to the contact or lead it is about (and remember Ameyo's customerId).

        The pop's own link: only the pop, the chooser among the records the pop found, and the
        record the agent creates from the pop's prefilled form call it. A lead linked here is also
        the leg's ``pop_lead_id``, which the agent's record rule on leads reads while the call is
        live.
        """
        self.ensure_one()
        # part of the pop: the leg's fields say it
        leg = self.sudo().with_context(tracking_disable=True)
        # found whoever owns it: the agent may work on it once it is their live leg's
        record = record.sudo()
        if record._name == 'res.partner':
            leg.partner_id = record
            if leg.ameyo_customer_id and not record.ameyo_customer_id:
                record.sudo().ameyo_customer_id = leg.ameyo_customer_id
        else:
            values = {
                'lead_id': record.id,
                'pop_lead_id': record.id,
                'partner_id': record.partner_id.id or leg.partner_id.id,
            }
            if leg.id:
                leg.write(values)
            else:
                # a draft (_ameyo_pop_leg: the leg before its INSERT) takes them in its cache
                leg.update(values)

    def _ameyo_decided_values(self):
        """What the pop's decision wrote on this draft leg (``new()``,
        :meth:`ameyo.call._ameyo_pop_leg`): the values of the caller fields and the lookup trace its
        ``INSERT`` carries."""
        self.ensure_one()
        return {
            name: self._fields[name].convert_to_write(self[name], self)
            for name in POP_DECISION_FIELDS
            if self[name]
        }

    def _ameyo_links_of_company(self):
        """The caller fields of this draft leg whose record is of the leg's company or of none: the
        condition Odoo's company check evaluates again as a domain, checked here on the records
        themselves (the leg's creation skips Odoo's check of them, as :meth:`_ameyo_link_found` does
        for a leg's update)."""
        self.ensure_one()
        company = self.sudo().company_id
        return frozenset(
            name
            for name in ('partner_id', 'lead_id')
            if self[name] and self[name].sudo().company_id <= company
        )

    def _ameyo_link_found(self, record):
        """:meth:`_ameyo_link` for a record the pop's lookup found with
        :meth:`_ameyo_company_domain` (of the leg's company or of none): Odoo's company check of
        that link, the same condition evaluated again as a domain, is skipped (it was a tenth of a
        pop's time)."""
        self.ensure_one()
        if record.sudo().company_id and record.sudo().company_id != self.sudo().company_id:
            raise ValueError(f"{record} is not a record of the company of call leg {self.id}")
        token = found_caller_fields.set(
            frozenset({'partner_id'} if record._name == 'res.partner' else {'lead_id'})
        )
        try:
            self._ameyo_link(record)
        finally:
            found_caller_fields.reset(token)

    def _ameyo_remember_pick(self, record):
        """Remember the agent's choice among several records sharing this leg's number, and link it.

        One pick per number and kind of record, written in one statement: two agents
        choosing at once both succeed, the later choice stays.
        """
        self.ensure_one()
        if self.phone_key:
            Pick = self.env['ameyo.phone.pick']
            Pick.flush_model()
            self.env.cr.execute(
                SQL(
                    """INSERT INTO ameyo_phone_pick (phone_key, res_model, res_id, user_id,
                                                 create_uid, create_date, write_uid, write_date)
                   VALUES (%(key)s, %(model)s, %(res_id)s, %(uid)s,
                           %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC')
                   ON CONFLICT (phone_key, res_model) DO UPDATE
                   SET res_id = EXCLUDED.res_id, user_id = EXCLUDED.user_id,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date""",
                    key=self.phone_key,
                    model=record._name,
                    res_id=record.id,
                    uid=self.env.uid,
                )
            )
            Pick.invalidate_model()
        self._ameyo_link(record)

    def _ameyo_forget_pick(self, model):
        """The chooser's "None of these": the caller is none of the records with this number. Forget
        the number's remembered pick and unlink the leg's record, so the pop opens a new one
        (prefilled)."""
        self.ensure_one()
        self._ameyo_remembered_pick(model).unlink()
        values = (
            {'lead_id': False, 'pop_lead_id': False}
            if model == 'crm.lead'
            else {'partner_id': False}
        )
        self.sudo().with_context(mail_notrack=True).write(values)

    def _ameyo_pop_action_record(self, model):
        """The window action the pop opens ``model`` with: the queue's "Opens Action" when it is
        about ``model``, else the app's own (Contacts, or CRM's Leads / Pipeline), so the pop lands
        under its app."""
        action = self.queue_id.action_id.sudo()
        if action.res_model == model:
            return action
        if model == 'crm.lead':
            xmlid = (
                'crm.crm_lead_all_leads'
                if self.env.user.has_group('crm.group_use_lead')
                else 'crm.crm_lead_action_pipeline'
            )
        else:
            xmlid = 'contacts.action_contacts'
        return (
            self.env.ref(xmlid, raise_if_not_found=False) or self.env['ir.actions.act_window']
        ).sudo()

    def _ameyo_pop_view(self, model):
        """The form view the pop forces, or an empty recordset (the action's own form view then)."""
        campaign = self.campaign_id
        if self.state == 'preview' and (campaign.preview_readonly if campaign else True):
            return self.env.ref(
                'crm_ameyo.res_partner_view_form_ameyo_preview'
                if model == 'res.partner'
                else 'crm_ameyo.crm_lead_view_form_ameyo_preview'
            )
        view = self.queue_id.sudo().view_id  # agents do not read views: the pop only names it
        return view if view.model == model else self.env['ir.ui.view']

    def _ameyo_pop_url(self):
        """Where the pop sends the agent's browser. An existing record: straight to its form under
        the action in force (``/odoo/contacts/<id>``, ``/odoo/crm/<id>``,
        ``/odoo/action-<id>/<id>``), one round trip less. A new record (prefilled), or a view only
        the action can force (preview, the queue's view): the pop action on this leg,
        ``/odoo/<leg>/action-crm_ameyo.ameyo_call_pop_action``."""
        self.ensure_one()
        model = self._ameyo_pop_model()
        record = self.lead_id if model == 'crm.lead' else self.partner_id
        if record and not self._ameyo_pop_view(model):
            action = self._ameyo_pop_action_record(model)
            if action == self.env.ref('crm.crm_lead_action_pipeline', raise_if_not_found=False):
                # the CRM app's own path (its "My Pipeline" runs this action)
                return f'/odoo/crm/{record.id}'
            if action:
                return f'/odoo/{self._ameyo_action_path(action.id)}/{record.id}'
        return f'/odoo/{self.id}/action-crm_ameyo.ameyo_call_pop_action'

    @api.model
    @tools.ormcache('action_id')
    def _ameyo_action_path(self, action_id):
        """The path of the window action ``action_id`` in the web client's URLs (its own path, else
        ``action-<id>``): read once per process, its path only (not the action's whole row), kept
        until Odoo clears its caches, which it does whenever an action changes."""
        action = self.env['ir.actions.act_window'].sudo().browse(action_id)
        action.fetch(['path'])
        return action.path or f'action-{action_id}'

    def action_open_pop(self):
        """Open what the screen-pop opens (the pop URL, the call banner): this leg's contact or lead
        (or a new one, prefilled), queue-aware: the queue's target, action (its context and form
        view kept) and view, each falling back to the campaign's setting.

        A preview opens the record read-only when the campaign says so.
        """
        self.ensure_one()
        campaign = self.campaign_id
        model = self._ameyo_pop_model()
        record = self.lead_id if model == 'crm.lead' else self.partner_id
        action_record = self._ameyo_pop_action_record(model)
        action = (
            action_record._get_action_dict() if action_record else {'type': 'ir.actions.act_window'}
        )
        # the queue's action brings its context and form view; an app's default action only its
        # place (the app the pop lands under), not its context (default_is_company) nor its view
        is_queue_action = action_record == self.queue_id.action_id
        own_context = action.get('context') if is_queue_action else False
        try:
            context = dict(
                safe_eval(
                    own_context or '{}',
                    {
                        'uid': self.env.uid,
                        'user': self.env.user,
                        'active_id': record.id,
                        'context': self.env.context,
                        'allowed_company_ids': self.env.companies.ids,
                    },
                )
            )
        # an action's context Odoo cannot evaluate here: the pop still opens
        except Exception:  # noqa: BLE001
            context = {}
        # its list filters and groupings mean nothing on a form
        context = {
            key: value
            for key, value in context.items()
            if not key.startswith(('search_default_', 'group_by'))
        }
        context['ameyo_pop_leg_id'] = self.id
        team = self.queue_id.team_id or campaign.team_id
        if model == 'crm.lead':
            # the call's company, whichever one is current
            context['default_company_id'] = self.company_id.id
            if team:
                context['default_team_id'] = team.id
        view = self._ameyo_pop_view(model)
        if not view and is_queue_action:
            view_id = next(
                (view_id for view_id, mode in action.get('views') or () if mode == 'form'), False
            )
            view = self.env['ir.ui.view'].browse(
                view_id or action.get('view_id') and action['view_id'][0] or ()
            )
        if not record:
            # the agent types the caller's name: only the number (and links) are prefilled
            context.update(
                {
                    f'default_{name}': value
                    for name, value in self._ameyo_new_record_values(model).items()
                    if name not in ('tag_ids', 'name') and value
                }
            )
            if model == 'crm.lead' and self.queue_id.tag_ids:
                context['default_tag_ids'] = self.queue_id.tag_ids.ids
        action.update(
            {
                'name': self.env._("Call from %(phone)s", phone=self.phone or '?'),
                'res_model': model,
                'view_mode': 'form',
                'views': [(view.id or False, 'form')],
                'res_id': record.id or False,
                'target': 'current',
                'context': context,
            }
        )
        for key in ('domain', 'search_view_id', 'view_id', 'limit'):
            action.pop(key, None)
        return action

    def action_ameyo_wrong_caller(self):
        """The call banner's "Wrong caller": the chooser again, for this live leg of the agent."""
        self.ensure_one()
        if self.user_id != self.env.user or self.state not in LIVE_STATES:
            raise UserError(
                self.env._(
                    "Only the agent on this call can say who is calling, while the call is on."
                )
            )
        return {'type': 'ir.actions.act_url', 'url': f'/ameyo/choose/{self.id}', 'target': 'self'}

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..const import DISPOSABLE_STATES, LIVE_STATES
from ..tools.notification import notification
from ..tools.phone_key import key_digits, phone_key


class AmeyoCallerMixin(models.AbstractModel):
    """What contacts and leads share as possible callers: the indexed lookup key of their
    number, the current user's open call with them, "Dispose Call" from their form, and
    click-to-dial (``action_ameyo_dial``, the "Do not call" flag)."""

    _name = 'ameyo.caller.mixin'
    # ameyo_call_panel.py: the call panel on the caller's form
    _inherit = ['ameyo.caller.panel.mixin']
    _description = 'Ameyo Caller'
    _ameyo_leg_field = None  # the ameyo.call field pointing to records of the inheriting model
    # the calls of a record include those of its children (a company's contacts)
    _ameyo_leg_children = False
    # the ameyo.call field only the pop writes, read by the agents' record rule (None: the leg
    # field)
    _ameyo_pop_leg_field = None

    ameyo_phone_key = fields.Char(
        string="Phone Lookup Key",
        compute='_compute_ameyo_phone_key',
        store=True,
        copy=False,
        help="Trailing significant digits of the phone number, used to find callers.",
    )
    ameyo_do_not_call = fields.Boolean(
        string="Do Not Call",
        tracking=True,
        copy=False,
        help="Click-to-dial refuses to call this customer. Set by Ameyo supervisors and sales "
        "managers.",
    )
    ameyo_do_not_call_reason = fields.Char(
        string="Why Not Dial",
        compute='_compute_ameyo_do_not_call_reason',
        help="Why click-to-dial refuses this number: this record, its contact, or another record "
        "with the number is marked \"Do not call\". Shown on the Dial button, which it disables.",
    )
    ameyo_live_agent_ids = fields.Many2many(
        'res.users',
        string="Agents On Call",
        compute='_compute_ameyo_live_agent_ids',
        search='_search_ameyo_live_agent_ids',
        help="The agents on a live Ameyo call for which the screen-pop opened this record (a "
        "record rule lets them work on it during the call).",
    )
    ameyo_open_call_id = fields.Many2one(
        'ameyo.call',
        compute='_compute_ameyo_open_call_id',
        help="The current user's call with this record that is not disposed yet.",
    )
    ameyo_call_count = fields.Integer(
        string="Calls",
        compute='_compute_ameyo_call_count',
        groups='sales_team.group_sale_salesman',
        help="The calls with this customer the current user may see.",
    )

    # the pop's lookup (ameyo.call._ameyo_find_callers): the key and the company it filters on, in
    # one index (it replaced the key's own index in 19.0.1.8.0; migrations/19.0.1.8.0 drops that
    # one)
    _ameyo_phone_key_company_idx = models.Index(
        '(ameyo_phone_key, company_id) WHERE ameyo_phone_key IS NOT NULL'
    )

    @api.depends('phone')
    def _compute_ameyo_phone_key(self):
        digits = key_digits(self.env)
        for record in self:
            record.ameyo_phone_key = phone_key(record.phone, digits)

    @api.depends('phone', 'ameyo_do_not_call')
    @api.depends_context('uid', 'allowed_company_ids')
    def _compute_ameyo_do_not_call_reason(self):
        # the dial gate's own reason (models/ameyo_call_dial.py), for the company the user would
        # dial in
        Call = self.env['ameyo.call']
        company = Call._ameyo_dial_campaign().company_id or self.env.company
        for record in self:
            number = (record.phone or '').strip()
            e164 = number and self.env['base']._phone_format(
                number=number, country=Call._ameyo_dial_country(record.sudo()), force_format='E164'
            )
            record.ameyo_do_not_call_reason = (
                Call._ameyo_do_not_call_refusal(record, number, e164, company) or False
            )

    def _compute_ameyo_live_agent_ids(self):
        field_name = self._ameyo_pop_leg_field or self._ameyo_leg_field
        legs = (
            self.env['ameyo.call']
            .sudo()
            .search([(field_name, 'in', self.ids), ('state', 'in', LIVE_STATES)])
        )
        agents = {}
        for leg in legs:
            agents.setdefault(leg[field_name].id, set()).add(leg.user_id.id)
        for record in self:
            record.ameyo_live_agent_ids = [fields.Command.set(sorted(agents.get(record.id, ())))]

    def _search_ameyo_live_agent_ids(self, operator, value):
        if operator != 'in':
            return NotImplemented
        # one indexed subquery, as superuser: a record rule asks it on every read of the model. It
        # reads the pop's own link, never a field the agent can write on their leg.
        field_name = self._ameyo_pop_leg_field or self._ameyo_leg_field
        return [
            (
                'id',
                'in',
                SQL(
                    "(SELECT %s FROM ameyo_call WHERE user_id IN %s AND state IN %s AND %s IS NOT "
                    "NULL)",
                    SQL.identifier(field_name),
                    tuple(value) or (None,),
                    LIVE_STATES,
                    SQL.identifier(field_name),
                ),
            )
        ]

    @api.depends_context('uid')
    def _compute_ameyo_open_call_id(self):
        Call = self.env['ameyo.call']
        if not self.env.user.has_group('crm_ameyo.group_ameyo_agent'):
            self.ameyo_open_call_id = Call
            return
        legs = Call.search(
            [
                (self._ameyo_leg_field, 'in', self.ids),
                ('user_id', '=', self.env.uid),
                ('state', 'in', DISPOSABLE_STATES),
            ],
            order='id desc',
        )
        latest = {}
        for leg in legs:
            latest.setdefault(leg[self._ameyo_leg_field].id, leg)
        for record in self:
            record.ameyo_open_call_id = latest.get(record.id, Call)

    @api.depends_context('uid')
    def _compute_ameyo_call_count(self):
        self.ameyo_call_count = 0
        if self.env['ameyo.call'].has_access('read'):
            self._ameyo_count_calls()

    def _ameyo_count_calls(self):
        """Set ``ameyo_call_count``: the calls (legs the user reads) of each record, one grouped
        query; a company counts its contacts' calls too (``_ameyo_leg_children``), as Odoo's other
        contact buttons do."""
        field_name = self._ameyo_leg_field
        if not self._ameyo_leg_children:
            for record, count in self.env['ameyo.call']._read_group(
                [(field_name, 'in', self.ids)], [field_name], ['__count']
            ):
                record.ameyo_call_count = count
            return
        family = self.with_context(active_test=False).search_fetch(
            [('id', 'child_of', self.ids)], ['parent_id']
        )
        counted, family_ids = set(self.ids), set(family.ids)
        for record, count in self.env['ameyo.call']._read_group(
            [(field_name, 'in', family.ids)], [field_name], ['__count']
        ):
            while record.id in family_ids:  # up to the records counted, never above them
                if record.id in counted:
                    record.ameyo_call_count += count
                record = record.parent_id

    def _ameyo_calls_domain(self):
        """The calls of this customer (the "Calls" button), of its contacts too where they count."""
        self.ensure_one()
        return [(self._ameyo_leg_field, 'child_of' if self._ameyo_leg_children else '=', self.id)]

    def action_ameyo_view_calls(self):
        """Open this customer's calls: inbound and outbound, disposed or not, with their outcome."""
        self.ensure_one()
        return self.env['ameyo.call']._ameyo_history_action(
            self._ameyo_calls_domain(), self.env._("Calls of %(name)s", name=self.display_name)
        )

    def action_ameyo_dial(self, phone_field='phone', activity_id=None):
        """Ask Ameyo to call this record's number (``phone_field``) for the current user;
        ``activity_id``: the "Call" activity of this record dialed from (done once the call's
        outcome is saved).

        Return a notification: sent (``success``), or why not (``warning``, ``danger``), never a
        traceback for what can be expected (no mapping, no number, do not call, Ameyo's refusal...).
        """
        if len(self) != 1:
            return notification(
                self.env._("Not dialed"), self.env._("Dial one record at a time."), 'warning'
            )
        return self.env['ameyo.call']._ameyo_dial(self, phone_field, activity_id=activity_id)

    def action_ameyo_dispose(self):
        """Dispose the current user's call with this record (the form saved itself before)."""
        self.ensure_one()
        return self.env['ameyo.call']._ameyo_open_leg_for(self).action_dispose()

    def _ameyo_check_do_not_call_write(self):
        user = self.env.user
        if (
            not self.env.su
            and not user.has_group('crm_ameyo.group_ameyo_supervisor')
            and not user.has_group('sales_team.group_sale_manager')
        ):
            raise AccessError(
                self.env._("Only Ameyo supervisors and sales managers can change \"Do not call\".")
            )

    def write(self, vals):
        if 'ameyo_do_not_call' in vals:
            self._ameyo_check_do_not_call_write()
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get('ameyo_do_not_call') for vals in vals_list):
            self._ameyo_check_do_not_call_write()
        records = super().create(vals_list)
        # created from a screen-pop's prefilled form: attach the call leg to the new record
        leg_id = self.env.context.get('ameyo_pop_leg_id')
        if leg_id and len(records) == 1:
            leg = self.env['ameyo.call'].browse(leg_id).exists()
            # only the record of the caller's number (not, say, a company quick-created from the
            # form)
            if (
                leg
                and leg.user_id == self.env.user
                and not leg[self._ameyo_leg_field]
                and records.ameyo_phone_key == leg.phone_key
            ):
                leg._ameyo_link(records)
                # a lead: its call, UTM (ameyo_call_crm_action.py)
                leg._ameyo_note_created_record(records)
                # an outcome saved before the record was
                leg._ameyo_log_outcome_on_new_record(records)
                leg._ameyo_notify_agent()  # the call banner shows the caller's name from now on
        return records

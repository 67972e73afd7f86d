from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.ameyo_params import format_callback_attribute
from ..tools.notification import CLOSE_DIALOG, notification

CALLBACK_MODES = [
    ('local', 'At this date and time'),
    ('customer', "At this date and time, in the customer's time zone"),
    ('after', 'After a delay'),
]


class AmeyoDisposeWizard(models.TransientModel):
    """The agent's outcome of a call: disposition, notes, callback, redial."""

    _name = 'ameyo.dispose.wizard'
    _description = 'Dispose an Ameyo Call'

    call_id = fields.Many2one('ameyo.call', required=True, ondelete='cascade')
    campaign_id = fields.Many2one(related='call_id.campaign_id')
    dispose_mode = fields.Selection(related='call_id.campaign_id.dispose_mode')
    phone = fields.Char(related='call_id.phone')
    caller = fields.Char(compute="_compute_caller")  # the contact or lead of the call, by name
    disposition_id = fields.Many2one(
        'ameyo.disposition', domain="[('campaign_id', '=', campaign_id)]"
    )
    is_callback = fields.Boolean(related='disposition_id.is_callback')
    notes = fields.Text()
    callback_mode = fields.Selection(CALLBACK_MODES, default='local', required=True)
    callback_at = fields.Datetime(help="In your time zone.")
    callback_after_hours = fields.Integer(string="Call Back After (hours)", default=1)
    company_id = fields.Many2one(related='call_id.company_id')
    callback_user_id = fields.Many2one(
        'res.users',
        string="Callback By",
        default=lambda self: self.env.user,
        help="Yourself, or the agent who will call back: an internal user of the call's company, "
        "agent or salesperson.",
    )
    redial = fields.Boolean(string="Dispose and Redial")
    redial_phone = fields.Char(string="Redial Number")
    # what the disposition does to the caller's lead, with the agent's rights: what it will do, or
    # why it cannot
    crm_action_info = fields.Char(string="CRM Action", compute='_compute_crm_action_note')
    crm_action_warning = fields.Char(
        string="CRM Action Warning", compute='_compute_crm_action_note'
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        call = self.env['ameyo.call'].browse(values.get('call_id')).exists()
        if call:
            values.setdefault('notes', call.notes)
            if call.disposition_id:
                values.setdefault('disposition_id', call.disposition_id.id)
        return values

    @api.depends('call_id')
    def _compute_caller(self):
        # the call's lead (else contact) as the agent may know it (a colleague's lead: words naming
        # nothing of it), or that the outcome stays on the call, which no record is linked to
        Call = self.env['ameyo.call']
        for wizard in self:
            call = wizard.call_id.sudo()
            record = call.lead_id or call.partner_id
            wizard.caller = (
                Call._ameyo_names_for_reader(record)[record][0]
                if record
                else self.env._("No contact or lead")
            )

    @api.depends('call_id', 'disposition_id')
    @api.depends_context('uid')
    def _compute_crm_action_note(self):
        # asked as the agent, while the call still opens the caller's lead to them: what the save
        # will do
        for wizard in self:
            call = wizard.call_id
            note, runs = (
                call._ameyo_crm_action_preview(wizard.disposition_id)
                if call and wizard.dispose_mode != 'ameyo_only'
                else (False, True)
            )
            wizard.crm_action_info = runs and note
            wizard.crm_action_warning = not runs and note

    @api.onchange('redial')
    def _onchange_redial(self):
        if self.redial and not self.redial_phone:
            self.redial_phone = self.call_id.phone

    def _check_callback_user(self):
        self.ensure_one()
        self.call_id._ameyo_check_callback_user(self.callback_user_id)

    def _check_redial(self):
        """The dial gate (do not call, opt-out list, calling hours) on the number to redial, before
        anything is saved: refused, the agent reads why and may dispose without the redial."""
        self.ensure_one()
        call = self.call_id.sudo()
        refusal = call._ameyo_redial_refusal(self.redial_phone)
        if refusal:
            raise UserError(
                self.env._(
                    "Not redialed: %(reason)s Untick \"Dispose and Redial\" to dispose without it.",
                    reason=refusal,
                )
            )

    def _callback_values(self):
        """Return ``(callback_at UTC, Ameyo disposition attribute)`` for a callback code, else
        (False, False)."""
        self.ensure_one()
        if not self.is_callback:
            return False, False
        server = self.call_id.server_id
        if self.callback_mode == 'after':
            if self.callback_after_hours <= 0:
                raise UserError(self.env._("Give a positive delay for the callback."))
            callback_at = fields.Datetime.now() + timedelta(hours=self.callback_after_hours)
            # Ameyo's relative form: after-DD-MM-YYYY HH:mm:ss holding an offset (3 days 2 h:
            # after-03-00-0000 02:00:00)
            return callback_at, format_callback_attribute('after', self.callback_after_hours)
        if not self.callback_at:
            raise UserError(self.env._("Choose when to call back."))
        if self.callback_at <= fields.Datetime.now():
            raise UserError(self.env._("The callback must be in the future."))
        if self.callback_mode == 'customer':
            customer_tz = self.call_id.partner_id.tz or self.call_id.lead_id.partner_id.tz
            return self.callback_at, format_callback_attribute(
                'customer', server._format_ameyo_datetime(self.callback_at, tz=customer_tz)
            )
        return self.callback_at, format_callback_attribute(
            'local', server._format_ameyo_datetime(self.callback_at)
        )

    def action_confirm(self):
        """Save the outcome (durable once this transaction commits), then have the client tell
        Ameyo."""
        self.ensure_one()
        call = self.call_id
        # a leg the user only reads (a customer's history) is not theirs to dispose
        call.check_access('write')
        if call.campaign_id.dispose_mode != 'ameyo_only' and not self.disposition_id:
            raise UserError(self.env._("Choose a disposition."))
        if self.disposition_id and self.disposition_id.campaign_id != call.campaign_id:
            raise UserError(self.env._("This disposition belongs to another campaign."))
        if self.redial and not (self.redial_phone or '').strip():
            raise UserError(self.env._("Give the number to redial."))
        if self.redial:
            self._check_redial()
        callback_at, attribute = self._callback_values()
        if callback_at:
            self._check_callback_user()
        must_tell_ameyo = call._ameyo_save_outcome(
            self.disposition_id,
            self.notes,
            callback_at=callback_at,
            callback_user=self.callback_user_id,
            callback_attribute=attribute,
            redial_phone=self.redial and self.redial_phone.strip(),
        )
        if call.state == 'disposed' and call.campaign_id.dispose_mode in ('crm_only', 'forced'):
            return notification(
                self.env._("Notes saved"),
                self.env._("Ameyo had already disposed this call."),
                'warning',
                next_action=call._ameyo_after_dispose_action(),
            )
        if must_tell_ameyo:
            # a second request, after this one committed: what the agent typed is safe whatever
            # Ameyo says
            return {
                'type': 'ir.actions.client',
                'tag': 'crm_ameyo.send_dispose',
                'params': {'call_id': call.id},
            }
        # a supervisor on the agent's call: what the agent must do
        if call.user_id != self.env.user:
            agent = call.user_id.name
            title, message = {
                'dual': (
                    self.env._("Saved in Odoo"),
                    self.env._(
                        "%(agent)s must dispose the call in Ameyo too (dual entry).", agent=agent
                    ),
                ),
                'forced': (
                    self.env._("Saved in Odoo"),
                    self.env._("Ameyo disposes the call itself and tells Odoo."),
                ),
                'ameyo_only': (
                    self.env._("Notes saved"),
                    self.env._("%(agent)s must dispose the call in Ameyo.", agent=agent),
                ),
            }[call.campaign_id.dispose_mode]
            return notification(title, message, 'success', next_action=CLOSE_DIALOG)
        title, message = {
            # the title says what Odoo did, the message what happens next: no word twice
            'dual': (
                self.env._("Outcome saved in Odoo"),
                self.env._(
                    "Now dispose the call in Ameyo too: this campaign is disposed in both (dual "
                    "entry)."
                ),
            ),
            'forced': (
                self.env._("Outcome saved in Odoo"),
                self.env._("Ameyo disposes the call itself and tells Odoo."),
            ),
            'ameyo_only': (self.env._("Notes saved"), self.env._("Now dispose the call in Ameyo.")),
        }[call.campaign_id.dispose_mode]
        return notification(
            title, message, 'success', next_action=call._ameyo_after_dispose_action()
        )

from odoo import api, fields, models

from ..tools.phone_key import key_digits, phone_key
from .ameyo_call import DISPOSABLE_STATES


class AmeyoCallerMixin(models.AbstractModel):
    """What contacts and leads share as possible callers: the indexed lookup key of their
    number, the current user's open call with them, and "Dispose Call" from their form."""
    _name = 'ameyo.caller.mixin'
    _description = 'Ameyo Caller'
    _ameyo_leg_field = None  # the ameyo.call field pointing to records of the inheriting model

    ameyo_phone_key = fields.Char(
        string="Phone Lookup Key", compute='_compute_ameyo_phone_key', store=True, index='btree_not_null',
        copy=False, help="Trailing significant digits of the phone number, used to find callers.")
    ameyo_open_call_id = fields.Many2one(
        'ameyo.call', compute='_compute_ameyo_open_call_id',
        help="The current user's call with this record that is not disposed yet.")

    @api.depends('phone')
    def _compute_ameyo_phone_key(self):
        digits = key_digits(self.env)
        for record in self:
            record.ameyo_phone_key = phone_key(record.phone, digits)

    @api.depends_context('uid')
    def _compute_ameyo_open_call_id(self):
        Call = self.env['ameyo.call']
        if not self.env.user.has_group('crm_ameyo.group_ameyo_agent'):
            self.ameyo_open_call_id = Call
            return
        legs = Call.search([(self._ameyo_leg_field, 'in', self.ids), ('user_id', '=', self.env.uid),
                            ('state', 'in', DISPOSABLE_STATES)], order='id desc')
        latest = {}
        for leg in legs:
            latest.setdefault(leg[self._ameyo_leg_field].id, leg)
        for record in self:
            record.ameyo_open_call_id = latest.get(record.id, Call)

    def action_ameyo_dispose(self):
        """Dispose the current user's call with this record (the form saved itself before)."""
        self.ensure_one()
        return self.env['ameyo.call']._ameyo_open_leg_for(self).action_dispose()

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        # created from a screen-pop's prefilled form: attach the call leg to the new record
        leg_id = self.env.context.get('ameyo_pop_leg_id')
        if leg_id and len(records) == 1:
            leg = self.env['ameyo.call'].browse(leg_id).exists()
            # only the record of the caller's number (not, say, a company quick-created from the form)
            if leg and leg.user_id == self.env.user and not leg[self._ameyo_leg_field] \
                    and records.ameyo_phone_key == leg.phone_key:
                leg._ameyo_link(records)
        return records

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.notification import SOFT_RELOAD, notification


class AmeyoCallbackReassign(models.TransientModel):
    """A supervisor gives the Odoo callback activity of calls to another user, or plans one Odoo
    could not read."""

    _name = 'ameyo.callback.reassign'
    _description = 'Reassign Ameyo Callbacks'

    call_ids = fields.Many2many('ameyo.call', string="Calls", required=True)
    user_id = fields.Many2one(
        'res.users', string="Call Back By", required=True, domain="[('share', '=', False)]"
    )
    callback_at = fields.Datetime(
        string="Call Back At",
        help="Leave empty to keep each call's time. Required for a callback Odoo could not read.",
    )
    needs_time = fields.Boolean(compute='_compute_needs_time')
    ameyo_owned = fields.Boolean(compute='_compute_needs_time')

    @api.depends('call_ids')
    def _compute_needs_time(self):
        for wizard in self:
            calls = wizard.call_ids.sudo()
            wizard.needs_time = any(not call.callback_at for call in calls)
            wizard.ameyo_owned = any(
                call.callback_by_ameyo or call.callback_unparsed for call in calls
            )

    def action_confirm(self):
        self.ensure_one()
        self.call_ids._ameyo_check_supervisor()
        if self.needs_time and not self.callback_at:
            raise UserError(
                self.env._("Give the time of the callback: Odoo could not read Ameyo's.")
            )
        for call in self.call_ids:
            call._ameyo_reassign_callback(self.user_id, self.callback_at)
        return notification(
            self.env._("Callback reassigned"),
            self.env._(
                "%(count)s callback(s) given to %(user)s in Odoo. Ameyo's own callbacks do not "
                "move in Ameyo.",
                count=len(self.call_ids),
                user=self.user_id.name,
            ),
            'success',
            next_action=SOFT_RELOAD,
        )

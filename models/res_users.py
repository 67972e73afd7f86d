from odoo import api, fields, models
from odoo.exceptions import AccessDenied, ValidationError

from ..tools.ameyo_params import AMEYO_ID_RE


class ResUsers(models.Model):
    _inherit = 'res.users'

    ameyo_user_id = fields.Char(
        string="Ameyo User ID", copy=False,
        help="The agent's userId in Ameyo. Ameyo's URLs carrying it are logged to this user.")
    ameyo_campaign_id = fields.Many2one(
        'ameyo.campaign', string="Default Ameyo Campaign",
        help="Campaign used for click-to-dial when no other campaign applies.")

    _ameyo_user_id_uniq = models.UniqueIndex(
        '(ameyo_user_id) WHERE ameyo_user_id IS NOT NULL',
        "This Ameyo user ID is already mapped to another Odoo user.")

    @api.constrains('ameyo_user_id')
    def _check_ameyo_user_id(self):
        for user in self:
            if user.ameyo_user_id and not AMEYO_ID_RE.match(user.ameyo_user_id):
                raise ValidationError(self.env._(
                    "The Ameyo user ID %(value)r may hold letters, digits and - _ . @ : only.",
                    value=user.ameyo_user_id))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get('ameyo_user_id'):
                vals['ameyo_user_id'] = vals['ameyo_user_id'].strip()
        return super().create(vals_list)

    def write(self, vals):
        if vals.get('ameyo_user_id'):
            vals['ameyo_user_id'] = vals['ameyo_user_id'].strip()
        return super().write(vals)

    @api.model
    def _ameyo_find_agent(self, ameyo_user_id):
        """The active Ameyo agent with this Ameyo user ID (case-insensitive), never an administrator.

        For the no-authentication mode, where the URL alone names the user a session opens for.
        """
        self.env.cr.execute(
            "SELECT id FROM res_users WHERE lower(ameyo_user_id) = lower(%s) AND active ORDER BY id LIMIT 1",
            [ameyo_user_id])
        row = self.env.cr.fetchone()
        user = self.sudo().browse(row[0] if row else [])
        if not user or user.share or user._is_admin() or not user.has_group('crm_ameyo.group_ameyo_agent'):
            return self.sudo().browse()
        return user

    def _ameyo_check_sso_password(self, password):
        """Check the password Ameyo forwards against this user's Odoo credentials (non-interactive:
        API keys are accepted; users with two-factor authentication must use one)."""
        self.ensure_one()
        try:
            self.with_user(self)._check_credentials(
                {'type': 'password', 'password': password}, {'interactive': False})
        except AccessDenied:
            return False
        return True

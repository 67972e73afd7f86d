from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    ameyo_phone_country_code = fields.Char(
        string="Home Country Calling Code", config_parameter='crm_ameyo.phone_country_code', default='91',
        help="Calling code of numbers Ameyo sends without one (91 for India).")
    ameyo_phone_key_digits = fields.Integer(
        string="Significant Digits", config_parameter='crm_ameyo.phone_key_digits', default=10,
        help="How many trailing digits identify a number in the caller lookup (10 for Indian numbers).")
    ameyo_server_count = fields.Integer(compute='_compute_ameyo_server_count')
    ameyo_recording_keep_days = fields.Integer(related='company_id.ameyo_recording_keep_days', readonly=False)
    ameyo_agents_replay = fields.Boolean(related='company_id.ameyo_agents_replay', readonly=False)
    ameyo_dial_honour_blacklist = fields.Boolean(
        related='company_id.ameyo_dial_honour_blacklist', readonly=False)

    def set_values(self):
        old_digits = self.env['ir.config_parameter'].sudo().get_param('crm_ameyo.phone_key_digits')
        result = super().set_values()
        if str(self.ameyo_phone_key_digits) != str(old_digits or 10):
            # every stored key changes: recompute them wherever they are stored (contacts, leads and
            # call legs), and forget the picks remembered under the old keys
            for model, key_field in (('res.partner', 'ameyo_phone_key'), ('crm.lead', 'ameyo_phone_key'),
                                     ('ameyo.call', 'phone_key')):
                records = self.env[model].with_context(active_test=False).search([('phone', '!=', False)])
                self.env.add_to_compute(records._fields[key_field], records)
            self.env['ameyo.phone.pick'].sudo().search([('phone_key', '!=', False)]).unlink()
            self.env.flush_all()
        return result

    def _compute_ameyo_server_count(self):
        count = self.env['ameyo.server'].search_count([])
        for settings in self:
            settings.ameyo_server_count = count

from odoo import api, fields, models

from ..tools.phone_key import key_digits, pending_key_digits


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    ameyo_phone_country_code = fields.Char(
        string="Home Country Calling Code",
        config_parameter='crm_ameyo.phone_country_code',
        default='91',
        help="Calling code of numbers Ameyo sends without one (91 for India).",
    )
    # not a config_parameter: saving another count starts the job that rewrites the keys
    # (ameyo.phone.key.rewrite), and the count stays in force for lookups until it has finished
    ameyo_phone_key_digits = fields.Integer(
        string="Significant Digits",
        default=10,
        help="How many trailing digits identify a number in the caller lookup (10 for Indian "
        "numbers).",
    )
    ameyo_phone_key_job = fields.Char(compute='_compute_ameyo_phone_key_job')
    ameyo_server_count = fields.Integer(compute='_compute_ameyo_server_count')
    ameyo_recording_keep_days = fields.Integer(
        related='company_id.ameyo_recording_keep_days', readonly=False
    )
    ameyo_agents_replay = fields.Boolean(related='company_id.ameyo_agents_replay', readonly=False)
    ameyo_dial_honour_blacklist = fields.Boolean(
        related='company_id.ameyo_dial_honour_blacklist', readonly=False
    )
    ameyo_attribution_days = fields.Integer(
        related='company_id.ameyo_attribution_days', readonly=False
    )

    @api.model
    def get_values(self):
        values = super().get_values()
        values['ameyo_phone_key_digits'] = pending_key_digits(self.env) or key_digits(self.env)
        return values

    def set_values(self):
        result = super().set_values()
        self.env['ameyo.phone.key.rewrite']._ameyo_ask_digits(self.ameyo_phone_key_digits)
        return result

    def _compute_ameyo_phone_key_job(self):
        progress = self.env['ameyo.phone.key.rewrite']._ameyo_progress()
        text = progress and self.env._(
            "Phone keys are being recomputed for %(digits)s digits: %(done)s of %(total)s done. "
            "Until then, the caller lookup compares %(current)s digits.",
            digits=pending_key_digits(self.env),
            done=progress[0],
            total=progress[1],
            current=key_digits(self.env),
        )
        for settings in self:
            settings.ameyo_phone_key_job = text or False

    def _compute_ameyo_server_count(self):
        count = self.env['ameyo.server'].search_count([])
        for settings in self:
            settings.ameyo_server_count = count

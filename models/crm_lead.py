from odoo import fields, models


class CrmLead(models.Model):
    _name = 'crm.lead'
    _inherit = ['crm.lead', 'ameyo.caller.mixin']
    _ameyo_leg_field = 'lead_id'

    ameyo_call_ids = fields.One2many('ameyo.call', 'lead_id', string="Ameyo Calls")

from odoo import fields, models


class CrmLead(models.Model):
    _name = 'crm.lead'
    _inherit = ['crm.lead', 'ameyo.caller.mixin']
    _ameyo_leg_field = 'lead_id'
    # what crm_lead_rule_ameyo_live_call reads: written by the pop only
    _ameyo_pop_leg_field = 'pop_lead_id'

    ameyo_call_ids = fields.One2many('ameyo.call', 'lead_id', string="Ameyo Calls")
    ameyo_origin_call_id = fields.Many2one(
        'ameyo.call',
        string="Created by Call",
        index='btree_not_null',
        ondelete='set null',
        readonly=True,
        copy=False,
        help="The Ameyo call whose pop or disposition created this lead.",
    )

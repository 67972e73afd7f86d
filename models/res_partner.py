from odoo import fields, models


class ResPartner(models.Model):
    _name = 'res.partner'
    _inherit = ['res.partner', 'ameyo.caller.mixin']
    _ameyo_leg_field = 'partner_id'
    _ameyo_leg_children = True

    ameyo_customer_id = fields.Char(
        string="Ameyo Customer ID",
        copy=False,
        index='btree_not_null',
        help="The customerId Ameyo knows this contact by; set from the first call that names it.",
    )

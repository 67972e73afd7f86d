from odoo import fields, models


class ResCompany(models.Model):
    _inherit = 'res.company'

    ameyo_dial_honour_blacklist = fields.Boolean(
        string="Honour the Phone Blacklist When Dialing",
        help="Refuse to dial numbers on Odoo's phone blacklist (the SMS opt-out list).")

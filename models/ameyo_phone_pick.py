from odoo import fields, models


class AmeyoPhonePick(models.Model):
    """The record an agent chose when several shared a caller's number.

    The next pop for that number opens it directly (as long as it still matches
    and the agent may see it).
    """

    _name = 'ameyo.phone.pick'
    _description = 'Ameyo Caller Pick'

    phone_key = fields.Char(required=True)
    res_model = fields.Selection([('res.partner', 'Contact'), ('crm.lead', 'Lead')], required=True)
    res_id = fields.Many2oneReference(model_field='res_model', required=True)
    user_id = fields.Many2one('res.users', string="Picked By", ondelete='set null')

    _key_model_uniq = models.Constraint(
        'UNIQUE(phone_key, res_model)', "A number has one remembered pick per kind of record."
    )

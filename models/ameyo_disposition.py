from odoo import fields, models


class AmeyoDisposition(models.Model):
    _name = 'ameyo.disposition'
    _description = 'Ameyo Disposition Code'
    _order = 'campaign_id, sequence, id'
    _check_company_auto = True

    campaign_id = fields.Many2one(
        'ameyo.campaign', required=True, index=True, ondelete='cascade', check_company=True)
    company_id = fields.Many2one(related='campaign_id.company_id', store=True, index=True, precompute=True)
    code = fields.Char(
        required=True, help="The disposition code exactly as in the campaign's plan in Ameyo (case and spaces count).")
    name = fields.Char(string="Label", required=True, translate=True)
    is_callback = fields.Boolean(string="Callback", help="Disposing with this code schedules a callback.")
    outcome = fields.Selection(
        [('positive', 'Positive'), ('neutral', 'Neutral'), ('negative', 'Negative')],
        required=True, default='neutral')
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    _code_uniq = models.Constraint(
        'UNIQUE(campaign_id, code)', "This disposition code is already in the campaign's plan.")

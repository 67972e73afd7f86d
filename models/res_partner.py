from odoo import fields, models


class ResPartner(models.Model):
    _name = 'res.partner'
    _inherit = ['res.partner', 'ameyo.caller.mixin']
    _ameyo_leg_field = 'partner_id'

    ameyo_customer_id = fields.Char(
        string="Ameyo Customer ID", copy=False, index='btree_not_null',
        help="The customerId Ameyo knows this contact by; set from the first call that names it.")

    def _ameyo_count_calls(self):
        """A company counts its contacts' calls too, as Odoo's other contact buttons do."""
        Call = self.env['ameyo.call']
        family = self.with_context(active_test=False).search_fetch([('id', 'child_of', self.ids)], ['parent_id'])
        counted, family_ids = set(self.ids), set(family.ids)
        for partner, count in Call._read_group([('partner_id', 'in', family.ids)], ['partner_id'], ['__count']):
            while partner.id in family_ids:  # up to the records counted, never above them
                if partner.id in counted:
                    partner.ameyo_call_count += count
                partner = partner.parent_id

    def _ameyo_calls_domain(self):
        self.ensure_one()
        return [('partner_id', 'child_of', self.id)]

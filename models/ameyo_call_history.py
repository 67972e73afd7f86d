"""A customer's call history: who sees which legs (the record rule of sales users) and the list it
opens.

Agents read their own legs, supervisors every leg of their companies
(security/crm_ameyo_security.xml). Sales users (agents are sales users too) also read, without
writing, the legs of the customers they can see: a leg whose contact or lead they may read. That is
what the "Calls" buttons of contacts and leads and the pop's history show them. Recordings stay
narrower (models/ameyo_call_recording.py).
"""

from odoo import api, fields, models


class AmeyoCallHistoryMixin(models.AbstractModel):
    """Who reads which calls of a customer (``ameyo.call`` lists it in its ``_inherit``)."""

    _name = 'ameyo.call.history.mixin'
    _description = "Ameyo Call Leg: Customer History"

    ameyo_customer_visible = fields.Boolean(
        string="Customer I Can See",
        compute='_compute_ameyo_customer_visible',
        search='_search_ameyo_customer_visible',
        help="The call's contact or lead is one the current user may read.",
    )

    @api.depends('partner_id', 'lead_id')
    @api.depends_context('uid')
    def _compute_ameyo_customer_visible(self):
        user_env = self.env(su=False)
        partners, leads = self.env['res.partner'], self.env['crm.lead']
        if partners.with_env(user_env).has_access('read'):
            partners = self.partner_id.with_env(user_env)._filtered_access('read')
        if leads.with_env(user_env).has_access('read'):
            leads = self.lead_id.with_env(user_env)._filtered_access('read')
        for call in self:
            call.ameyo_customer_visible = (
                call.partner_id.id in partners.ids or call.lead_id.id in leads.ids
            )

    def _search_ameyo_customer_visible(self, operator, value):
        """Legs whose contact or lead the current user may read (their record rules, even from a
        sudo search: the record rule of ameyo.call is applied as superuser)."""
        if operator != 'in' or set(value) != {True}:
            return NotImplemented
        domains = [
            domain for domain in self._ameyo_caller_rule_domains().values() if domain is not None
        ]
        return fields.Domain.OR(domains) if domains else fields.Domain.FALSE

    @api.model
    def _ameyo_caller_rule_domains(self):
        """{caller field: the domain of legs whose value of it (a contact, a lead) the current user
        may read: their record rules on that model, joined; None when they may read none}. The
        calls' "customer I can see" and the call panel's last calls build on it."""
        user_env = self.env(su=False)
        domains = {}
        for field_name, model in self.CALLER_FIELDS.items():
            if not user_env[model].has_access('read'):
                domains[field_name] = None
                continue
            rules = user_env['ir.rule']._compute_domain(model, 'read')
            domains[field_name] = (
                fields.Domain(field_name, '!=', False)
                if rules.is_true()
                else fields.Domain(field_name, 'any!', rules)
            )
        return domains

    @api.model
    def _ameyo_history_action(self, domain, name):
        """The calls list of a customer (the "Calls" buttons): every leg the user may read, newest
        first."""
        action = self.env['ir.actions.act_window']._for_xml_id(
            'crm_ameyo.ameyo_call_action_history'
        )
        action.update({'domain': domain, 'display_name': name})
        return action

from textwrap import shorten

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools.misc import get_lang

from ..const import ATTEMPT_STATES, LIVE_STATES

# How many of the caller's earlier calls and open activities the panel lists.
PANEL_CALLS = 5
PANEL_ACTIVITIES = 5


class AmeyoCallerPanelMixin(models.AbstractModel):
    """The call panel on a contact's or lead's form: while the current agent is on a live (or preview) call
    with the record, the queue's guidance, the caller's last calls and his open activities, without a click.

    A non-stored field computed in the form's own read: no round trip of its own, and nothing but the
    open-call lookup the form already does when there is no live call. It is empty otherwise (the view hides it).
    """
    _name = 'ameyo.caller.panel.mixin'
    _description = "Ameyo Caller: Call Panel"

    ameyo_call_panel = fields.Html(
        string="Call Panel", compute='_compute_ameyo_call_panel', sanitize=False,
        help="During your live call with this record: the guidance, the last calls and the open activities.")

    @api.depends_context('uid', 'ameyo_pop_leg_id')
    def _compute_ameyo_call_panel(self):
        # a new record the pop prefilled (no match): the leg its action names, if it is the agent's and live
        pop_leg = self.env['ameyo.call'].sudo().browse(self.env.context.get('ameyo_pop_leg_id') or ()).exists()
        pop_leg = pop_leg.filtered(lambda leg: leg.user_id == self.env.user).sudo(False)
        for record in self:
            leg = record.ameyo_open_call_id if record.id else pop_leg
            record.ameyo_call_panel = record._ameyo_render_call_panel(leg) if leg.state in LIVE_STATES else False

    def _ameyo_panel_readable_callers(self):
        """The domain of legs whose lead and contact (when they have one) the current user may read: his record
        rules on them, joined into the superuser's search."""
        if self.env.su:
            return Domain.TRUE
        return Domain.AND(Domain(field_name, '=', False) | (Domain.FALSE if readable is None else readable)
                          for field_name, readable in self.env['ameyo.call']._ameyo_caller_rule_domains().items())

    def _ameyo_render_call_panel(self, leg):
        """The panel's HTML for the agent's live leg ``leg`` with this record."""
        self.ensure_one()
        # The agent reads his own leg; the caller's other legs may be other agents': read as superuser,
        # restricted to this record (which he is reading), to what the panel shows, to the reader's companies
        # and to legs whose lead and contact he may read (the contact's calls about a lead he cannot see: none).
        domain = [(self._ameyo_leg_field, '=', self.id)]
        if self._name == 'crm.lead' and self.partner_id:
            domain = ['|', *domain, ('partner_id', '=', self.partner_id.id)]
        Call = self.env['ameyo.call'].sudo()
        calls = Call.search_fetch(
            # calls that are over: not dial attempts, not legs still marked live (his current one among them)
            Domain.AND([domain, [('state', 'not in', (*ATTEMPT_STATES, *LIVE_STATES)),
                                 ('company_id', 'in', self.env.companies.ids)], self._ameyo_panel_readable_callers()]),
            ['connected_at', 'create_date', 'user_id', 'disposition_id', 'disposition_code', 'notes', 'state'],
            order='id desc', limit=PANEL_CALLS) if self.id else Call
        leg_sudo = leg.sudo()
        lang = get_lang(self.env)  # the user's date and time formats, minutes precision (no babel per row)
        date_format = f"{lang.date_format} {lang.time_format.replace(':%S', '')}"
        state_names = dict(leg._fields['state']._description_selection(self.env))
        # the record's open activities (his own read of the record allows them), one query, soonest first
        activities = self.env['mail.activity'].sudo().search_fetch(
            [('res_model', '=', self._name), ('res_id', '=', self.id)] if self.id else [('id', '=', False)],
            ['date_deadline', 'summary', 'activity_type_id', 'user_id'],
            order='date_deadline, id', limit=PANEL_ACTIVITIES + 1)
        return self.env['ir.qweb']._render('crm_ameyo.ameyo_call_panel', {
            'leg': leg_sudo,
            'queue': leg_sudo.queue_id.name or leg_sudo.ameyo_queue_ref or leg_sudo.campaign_id.name or '',
            'guidance': leg_sudo.guidance,
            'calls': [{
                'date': fields.Datetime.context_timestamp(self, call.connected_at or call.create_date).strftime(
                    date_format),
                'agent': call.user_id.name or '',
                'outcome': call.disposition_id.name or call.disposition_code or state_names.get(call.state, ''),
                'notes': shorten(call.notes or '', 160, placeholder=' …'),
                'full_notes': call.notes or '',
            } for call in calls],
            'activities': activities[:PANEL_ACTIVITIES],
            'more_activities': len(activities) > PANEL_ACTIVITIES,
            'today': fields.Date.context_today(self),
        })

from textwrap import shorten

from odoo import api, fields, models
from odoo.tools import format_datetime

from .ameyo_call import ATTEMPT_STATES, LIVE_STATES

# How many of the caller's earlier calls and open activities the panel lists.
PANEL_CALLS = 5
PANEL_ACTIVITIES = 5


class AmeyoCallerMixin(models.AbstractModel):
    """The call panel on a contact's or lead's form: while the current agent is on a live (or preview) call
    with the record, the queue's guidance, the caller's last calls and his open activities, without a click.

    A non-stored field computed in the form's own read: no round trip of its own, and nothing but the
    open-call lookup the form already does when there is no live call. It is empty otherwise (the view hides it).
    """
    _inherit = 'ameyo.caller.mixin'

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

    def _ameyo_render_call_panel(self, leg):
        """The panel's HTML for the agent's live leg ``leg`` with this record."""
        self.ensure_one()
        # The agent reads his own leg; the caller's other legs may be other agents': read as superuser,
        # restricted to this record (which he is reading) and to what the panel shows.
        domain = [(self._ameyo_leg_field, '=', self.id)]
        if self._name == 'crm.lead' and self.partner_id:
            domain = ['|', *domain, ('partner_id', '=', self.partner_id.id)]
        calls = self.env['ameyo.call'].sudo().search(
            [*domain, ('id', '!=', leg.id), ('state', 'not in', ATTEMPT_STATES)],
            order='id desc', limit=PANEL_CALLS) if self.id else self.env['ameyo.call']
        leg_sudo = leg.sudo()
        state_names = dict(leg._fields['state']._description_selection(self.env))
        activities = self.activity_ids.sorted(lambda activity: (activity.date_deadline, activity.id))
        return self.env['ir.qweb']._render('crm_ameyo.ameyo_call_panel', {
            'leg': leg_sudo,
            'queue': leg_sudo.queue_id.name or leg_sudo.ameyo_queue_ref or leg_sudo.campaign_id.name or '',
            'guidance': leg_sudo.guidance,
            'calls': [{
                'date': format_datetime(self.env, call.connected_at or call.create_date, dt_format='short'),
                'agent': call.user_id.name or '',
                'outcome': call.disposition_id.name or call.disposition_code or state_names.get(call.state, ''),
                'notes': shorten(call.notes or '', 160, placeholder=' …'),
                'full_notes': call.notes or '',
            } for call in calls],
            'activities': activities[:PANEL_ACTIVITIES],
            'more_activities': max(len(activities) - PANEL_ACTIVITIES, 0),
        })

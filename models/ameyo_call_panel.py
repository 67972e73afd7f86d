from textwrap import shorten

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, is_html_empty
from odoo.tools.misc import get_lang

from ..const import ATTEMPT_STATES, LIVE_STATES

# How many of the caller's earlier calls and open activities the panel lists.
PANEL_CALLS = 5
PANEL_ACTIVITIES = 5


class AmeyoCallPanelLegsMixin(models.AbstractModel):
    """The legs' side of the call panel: the indexes that give the newest legs of a number, a contact or a
    lead in the order the panel lists them (the legs' own order: creation, then id), so that its query stops at
    the few it shows however many calls the number had (``ameyo.caller.panel.mixin._ameyo_panel_call_rows``).
    Partial, as the fields' own."""
    _name = 'ameyo.call.panel.legs.mixin'
    _description = "Ameyo Call Leg: Call Panel Indexes"

    _panel_phone_key_idx = models.Index('(phone_key, create_date, id) WHERE phone_key IS NOT NULL')
    _panel_partner_idx = models.Index('(partner_id, create_date, id) WHERE partner_id IS NOT NULL')
    _panel_lead_idx = models.Index('(lead_id, create_date, id) WHERE lead_id IS NOT NULL')


class AmeyoCallerPanelMixin(models.AbstractModel):
    """The call panel on a contact's or lead's form: while the current agent is on a live (or preview) call
    with the record, the queue's guidance, the last calls of the number (whichever record they were about) and
    the record's open activities, without a click.

    A non-stored field computed in the form's own read: no round trip of its own, and nothing but the
    open-call lookup the form already does when there is no live call. It is empty otherwise (the view hides it).
    """
    _name = 'ameyo.caller.panel.mixin'
    _description = "Ameyo Caller: Call Panel"

    ameyo_call_panel = fields.Html(
        string="Call Panel", compute='_compute_ameyo_call_panel', sanitize=False,
        help="During your live call with this record: the guidance, the last calls of the number and the open "
             "activities.")

    @api.depends_context('uid', 'ameyo_pop_leg_id')
    def _compute_ameyo_call_panel(self):
        # a new record the pop prefilled (no match): the leg its action names, if it is the agent's and live
        pop_leg = self.env['ameyo.call'].sudo().browse(self.env.context.get('ameyo_pop_leg_id') or ()).exists()
        pop_leg = pop_leg.filtered(lambda leg: leg.user_id == self.env.user).sudo(False)
        for record in self:
            leg = record.ameyo_open_call_id if record.id else pop_leg
            record.ameyo_call_panel = record._ameyo_render_call_panel(leg) if leg.state in LIVE_STATES else False

    def _ameyo_panel_calls_domains(self, leg):
        """The earlier calls the panel may list during ``leg``, one domain for each way a call is of this caller:
        those of the number calling now (every contact and lead that shares it, and calls that popped no record),
        and this record's own (a lead's: its contact's too), from whatever number they came."""
        domains = [Domain('phone_key', '=', leg.phone_key)] if leg.phone_key else []
        if self.id:
            domains.append(Domain(self._ameyo_leg_field, '=', self.id))
            if self._name == 'crm.lead' and self.partner_id:
                domains.append(Domain('partner_id', '=', self.partner_id.id))
        return domains

    def _ameyo_panel_call_rows(self, leg, date_format):
        """The rows of the panel's last calls during ``leg``: the newest legs of the number that are over,
        each marked with the record it was about (this one, another one by name, or none).

        Read as superuser: the other legs of a number are often other agents'. Restricted to the reader's
        companies; a leg about a contact or lead the reader may not read (his record rules,
        ``ameyo.call._ameyo_names_for_reader``) keeps its date and agent only, and names nothing of it.

        One query whatever the legs' table holds: the newest legs of each way a call is of this caller
        (``_ameyo_panel_calls_domains``), each read backwards on its own index of (phone key or record, creation,
        id) (``ameyo.call.panel.legs.mixin``) and stopped at the panel's count, then the newest of those. In the
        legs' order (creation, then id), not by id alone: for an order by id PostgreSQL may walk the whole table
        backwards on its primary key looking for the caller's legs, which costs 200 ms at 1,000,000 legs when
        his many calls are old, against a tenth of a millisecond on these indexes; one query of the whole
        condition (an OR) would read every leg of the number and sort them.
        """
        self.ensure_one()
        Call = self.env['ameyo.call'].sudo()
        # calls that are over: not dial attempts, not legs still marked live (his current one among them)
        over = Domain.AND([[('state', 'not in', (*ATTEMPT_STATES, *LIVE_STATES))],
                           [('company_id', 'in', self.env.companies.ids)]])
        order = 'create_date desc, id desc'
        newest = [Call._search(Domain.AND([domain, over]), order=order, limit=PANEL_CALLS).select()
                  for domain in self._ameyo_panel_calls_domains(leg)]
        calls = Call.search_fetch(
            [('id', 'in', SQL("(SELECT id FROM (%s) AS newest)", SQL(" UNION ALL ").join(
                SQL("(%s)", query) for query in newest)))] if newest else Domain.FALSE,
            ['connected_at', 'create_date', 'user_id', 'partner_id', 'lead_id', 'disposition_id',
             'disposition_code', 'notes', 'state'],
            order=order, limit=PANEL_CALLS)
        Call = self.env['ameyo.call']
        # one access query per kind of record named (the reader's record rules)
        known = {**Call._ameyo_names_for_reader(calls.partner_id), **Call._ameyo_names_for_reader(calls.lead_id)}
        state_names = dict(Call._fields['state']._description_selection(self.env))
        this = self.env._("This lead") if self._name == 'crm.lead' else self.env._("This contact")
        rows = []
        for call in calls:
            about = call.lead_id or call.partner_id
            hidden = next((known[record][0] for record in (call.lead_id, call.partner_id)
                           if record and not known[record][1]), None)
            is_this = bool(about) and not hidden and about._name == self._name and about.id == self.id
            if hidden:
                where = hidden
            elif not about:
                where = self.env._("No record")
            else:
                where = this if is_this else known[about][0]
            rows.append({
                'date': fields.Datetime.context_timestamp(self, call.connected_at or call.create_date).strftime(
                    date_format),
                'agent': call.user_id.name or '',
                'about': where,
                # another record, by its name: in plain type; this record, none, one not named: muted
                'named': bool(about) and not hidden and not is_this,
                'outcome': '' if hidden else (
                    call.disposition_id.name or call.disposition_code or state_names.get(call.state, '')),
                'notes': '' if hidden else shorten(call.notes or '', 160, placeholder=' …'),
                'full_notes': '' if hidden else call.notes or '',
            })
        return rows

    def _ameyo_render_call_panel(self, leg):
        """The panel's HTML for the agent's live leg ``leg`` with this record."""
        self.ensure_one()
        leg_sudo = leg.sudo()
        lang = get_lang(self.env)  # the user's date and time formats, minutes precision (no babel per row)
        date_format = f"{lang.date_format} {lang.time_format.replace(':%S', '')}"
        # the record's open activities (his own read of the record allows them), one query, soonest first
        activities = self.env['mail.activity'].sudo().search_fetch(
            [('res_model', '=', self._name), ('res_id', '=', self.id)] if self.id else [('id', '=', False)],
            ['date_deadline', 'summary', 'activity_type_id', 'user_id'],
            order='date_deadline, id', limit=PANEL_ACTIVITIES + 1)
        guidance = leg_sudo.guidance
        return self.env['ir.qweb']._render('crm_ameyo.ameyo_call_panel', {
            'leg': leg_sudo,
            'queue': leg_sudo.queue_id.name or leg_sudo.ameyo_queue_ref or leg_sudo.campaign_id.name or '',
            'guidance': False if is_html_empty(guidance) else guidance,
            # what has no guidance: the queue, else the campaign, else the call (Ameyo named neither)
            'no_guidance': self.env._("No guidance for this queue.") if leg_sudo.queue_id or leg_sudo.ameyo_queue_ref
            else self.env._("No guidance for this campaign.") if leg_sudo.campaign_id or leg_sudo.ameyo_campaign_ref
            else self.env._("No guidance for this call."),
            'calls': self._ameyo_panel_call_rows(leg_sudo, date_format),
            'activities': activities[:PANEL_ACTIVITIES],
            'more_activities': len(activities) > PANEL_ACTIVITIES,
            'today': fields.Date.context_today(self),
        })

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, is_html_empty

from ..const import ATTEMPT_STATES, LIVE_STATES

# How many of the caller's earlier calls and open activities the panel lists.
PANEL_CALLS = 5
PANEL_ACTIVITIES = 5


class AmeyoCallPanelLegsMixin(models.AbstractModel):
    """The legs' side of the call panel: the indexes that give the newest legs of a number, a
    contact or a lead in the order the panel lists them (the legs' own order: creation, then id), so
    that its query stops at the few it shows however many calls the number had
    (``ameyo.caller.panel.mixin._ameyo_panel_call_rows``). Partial, as the fields' own."""

    _name = 'ameyo.call.panel.legs.mixin'
    _description = "Ameyo Call Leg: Call Panel Indexes"

    _panel_phone_key_idx = models.Index('(phone_key, create_date, id) WHERE phone_key IS NOT NULL')
    _panel_partner_idx = models.Index('(partner_id, create_date, id) WHERE partner_id IS NOT NULL')
    _panel_lead_idx = models.Index('(lead_id, create_date, id) WHERE lead_id IS NOT NULL')


class AmeyoCallerPanelMixin(models.AbstractModel):
    """The call panel on a contact's or lead's form: while the current agent is on a live (or
    preview) call with the record, the queue's guidance, the last calls of the number (whichever
    record they were about) and the record's open activities, without a click.

    A non-stored field computed in the form's own read: no round trip of its own, and nothing but
    the open-call lookup the form already does when there is no live call. It is empty otherwise
    (the view hides it). The field holds data (``_ameyo_call_panel_data``); the form's
    ``ameyo_call_panel`` widget (static/src/call_panel/) lays it out and words it, as Odoo's tax
    totals on a sale order.
    """

    _name = 'ameyo.caller.panel.mixin'
    _description = "Ameyo Caller: Call Panel"

    ameyo_call_panel = fields.Json(
        string="Call Panel",
        compute='_compute_ameyo_call_panel',
        help="During your live call with this record: the guidance, the last calls of the number "
        "and the open activities.",
    )

    @api.depends_context('uid', 'ameyo_pop_leg_id')
    def _compute_ameyo_call_panel(self):
        # a new record the pop prefilled (no match): the leg its action names, if it is the agent's
        # and live
        pop_leg = (
            self.env['ameyo.call']
            .sudo()
            .browse(self.env.context.get('ameyo_pop_leg_id') or ())
            .exists()
        )
        pop_leg = pop_leg.filtered(lambda leg: leg.user_id == self.env.user).sudo(False)
        for record in self:
            leg = record.ameyo_open_call_id if record.id else pop_leg
            record.ameyo_call_panel = (
                record._ameyo_call_panel_data(leg) if leg.state in LIVE_STATES else False
            )

    def _ameyo_panel_calls_domains(self, leg):
        """The earlier calls the panel may list during ``leg``, one domain for each way a call is of
        this caller: those of the number calling now (every contact and lead that shares it, and
        calls that popped no record), and this record's own (a lead's: its contact's too), from
        whatever number they came."""
        domains = [Domain('phone_key', '=', leg.phone_key)] if leg.phone_key else []
        if self.id:
            domains.append(Domain(self._ameyo_leg_field, '=', self.id))
            if self._name == 'crm.lead' and self.partner_id:
                domains.append(Domain('partner_id', '=', self.partner_id.id))
        return domains

    def _ameyo_panel_call_rows(self, leg):
        """The rows of the panel's last calls during ``leg``: the newest legs of the number that are
        over, each marked with the record it was about (``about``: ``this`` one, an ``other`` one by
        its ``about_name``, ``none``, or one the reader may not read: ``hidden``, which names
        nothing of it; ``about_model``: that record's model). Dates are UTC (``date``): the widget
        shows them in the reader's time zone.

        Read as superuser: the other legs of a number are often other agents'. Restricted to the
        reader's companies; a leg about a contact or lead the reader may not read (the reader's
        record rules, ``ameyo.call._ameyo_names_for_reader``) keeps its date and agent only, and
        names nothing of it.

        One query whatever the legs' table holds: the newest legs of each way a call is of this
        caller (``_ameyo_panel_calls_domains``), each read backwards on its own index of (phone key
        or record, creation, id) (``ameyo.call.panel.legs.mixin``) and stopped at the panel's count,
        then the newest of those. In the legs' order (creation, then id), not by id alone: for an
        order by id PostgreSQL may walk the whole table backwards on its primary key looking for the
        caller's legs, which costs 200 ms at 1,000,000 legs when the caller's many calls are old,
        against a tenth of a millisecond on these indexes; one query of the whole condition (an OR)
        would read every leg of the number and sort them.
        """
        self.ensure_one()
        Call = self.env['ameyo.call'].sudo()
        # calls that are over: not dial attempts, not legs still marked live (the agent's current
        # one among them)
        over = Domain.AND(
            [
                [('state', 'not in', (*ATTEMPT_STATES, *LIVE_STATES))],
                [('company_id', 'in', self.env.companies.ids)],
            ]
        )
        order = 'create_date desc, id desc'
        newest = [
            Call._search(Domain.AND([domain, over]), order=order, limit=PANEL_CALLS).select()
            for domain in self._ameyo_panel_calls_domains(leg)
        ]
        calls = Call.search_fetch(
            [
                (
                    'id',
                    'in',
                    SQL(
                        "(SELECT id FROM (%s) AS newest)",
                        SQL(" UNION ALL ").join(SQL("(%s)", query) for query in newest),
                    ),
                )
            ]
            if newest
            else Domain.FALSE,
            [
                'connected_at',
                'create_date',
                'user_id',
                'partner_id',
                'lead_id',
                'disposition_id',
                'disposition_code',
                'notes',
                'state',
            ],
            order=order,
            limit=PANEL_CALLS,
        )
        Call = self.env['ameyo.call']
        # one access query per kind of record named (the reader's record rules)
        known = {
            **Call._ameyo_names_for_reader(calls.partner_id),
            **Call._ameyo_names_for_reader(calls.lead_id),
        }
        state_names = dict(Call._fields['state']._description_selection(self.env))
        rows = []
        for call in calls:
            about = call.lead_id or call.partner_id
            hidden = next(
                (
                    record
                    for record in (call.lead_id, call.partner_id)
                    if record and not known[record][1]
                ),
                None,
            )
            if hidden:
                kind = 'hidden'
            elif not about:
                kind = 'none'
            else:
                kind = 'this' if about._name == self._name and about.id == self.id else 'other'
            rows.append(
                {
                    'id': call.id,
                    'date': fields.Datetime.to_string(call.connected_at or call.create_date),
                    'agent': call.user_id.name or '',
                    'about': kind,
                    'about_name': known[about][0] if kind == 'other' else '',
                    # the words of a hidden one
                    'about_model': (hidden or about)._name if about else '',
                    # a call about a record the reader may not read: its date and agent only
                    'outcome': ''
                    if hidden
                    else (
                        call.disposition_id.name
                        or call.disposition_code
                        or state_names.get(call.state, '')
                    ),
                    'notes': '' if hidden else call.notes or '',
                }
            )
        return rows

    def _ameyo_call_panel_data(self, leg):
        """What the panel shows during the agent's live leg ``leg`` with this record: data only (no
        markup, no words but the records' own); the ``ameyo_call_panel`` widget words and lays it
        out. ``guidance`` is the queue's (else the campaign's) script, an Html field's sanitized
        value; ``guidance_of`` says what has no guidance when it is empty (``queue``, ``campaign``
        or ``call``: Ameyo named neither)."""
        self.ensure_one()
        leg_sudo = leg.sudo()
        # the record's open activities (the reader's own read of the record allows them), one query,
        # soonest first
        activities = (
            self.env['mail.activity']
            .sudo()
            .search_fetch(
                [('res_model', '=', self._name), ('res_id', '=', self.id)]
                if self.id
                else [('id', '=', False)],
                ['date_deadline', 'summary', 'activity_type_id', 'user_id'],
                order='date_deadline, id',
                limit=PANEL_ACTIVITIES + 1,
            )
        )
        guidance = leg_sudo.guidance
        return {
            'preview': leg_sudo.state == 'preview',
            'phone': leg_sudo.phone or '',
            'queue': leg_sudo.queue_id.name
            or leg_sudo.ameyo_queue_ref
            or leg_sudo.campaign_id.name
            or '',
            'guidance': '' if is_html_empty(guidance) else str(guidance),
            'guidance_of': 'queue'
            if leg_sudo.queue_id or leg_sudo.ameyo_queue_ref
            else 'campaign'
            if leg_sudo.campaign_id or leg_sudo.ameyo_campaign_ref
            else 'call',
            'calls': self._ameyo_panel_call_rows(leg_sudo),
            'activities': [
                {
                    'id': activity.id,
                    'date_deadline': fields.Date.to_string(activity.date_deadline),
                    'summary': activity.summary or activity.activity_type_id.name or '',
                    'user': activity.user_id.name or '',
                }
                for activity in activities[:PANEL_ACTIVITIES]
            ],
            'more_activities': len(activities) > PANEL_ACTIVITIES,
        }

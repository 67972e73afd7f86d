"""Needing Attention: the legs that need a person, why (in plain words), and the action that
resolves each.

One place decides: :meth:`_ameyo_attention_domains` gives each reason's domain, in priority order.
The list's domain (``attention_reason != False``) searches with it, and each row's reason is the
first domain its leg matches (``filtered_domain``), so the list and the row's text cannot disagree.
The reason depends on the clock (a call live for too long), so it is computed and searchable, not
stored; what it compares with is stored and indexed (``attention_due_at``).

The resolving actions are a supervisor's, checked on the server (an agent calling them over RPC is
refused). "Already disposed in Ameyo" closes a live or waiting leg without calling Ameyo: the leg
lands in ``disposed``, with who and when (``attention_closed_by_id``, ``attention_closed_at``) and a
note in its chatter that Ameyo disposed it, not Odoo. "Mark as Handled" does the same for what has
no state to change (a failed dial, a missing recording, a leg ``ended`` by Ameyo's next pop, an
unread callback).
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain

from ..const import LIVE_STATES, WAITING_STATES
from ..tools.db import wait_for_lock
from ..tools.notification import LINES_CLASS, SOFT_RELOAD, notification

ATTENTION_REASONS = [
    ('dispose_failed', 'Dispose failed'),
    ('dispose_pending', 'Dispose pending too long'),
    ('stale_live', 'Live for too long'),
    ('ended', 'Ended without a dispose'),
    ('dial_failed', 'Dial failed'),
    ('callback_unparsed', 'Callback not understood'),
    ('crm_action_refused', 'CRM action refused'),
    ('recording_unavailable', 'Recording missing'),
]
# Which reasons each action resolves (the row's buttons and the bulk actions say the same).
RETRY_REASONS = ('dispose_failed', 'dispose_pending')
CLOSE_REASONS = ('dispose_failed', 'dispose_pending', 'stale_live')
HANDLED_REASONS = (
    'ended',
    'dial_failed',
    'callback_unparsed',
    'crm_action_refused',
    'recording_unavailable',
)


class AmeyoCallAttentionMixin(models.AbstractModel):
    """What Needing Attention adds to a call leg (``ameyo.call`` lists it in its ``_inherit``); the
    campaign's delays are fields of ``ameyo.campaign``."""

    _name = 'ameyo.call.attention.mixin'
    _description = "Ameyo Call Leg: Needing Attention"

    attention_due_at = fields.Datetime(
        string="Needs Attention From",
        compute='_compute_attention_due_at',
        store=True,
        precompute=True,
        index='btree_not_null',
        help="When a live call, or a dispose pending in Odoo, starts needing a supervisor (the "
        "campaign's delays).",
    )
    attention_reason = fields.Selection(
        ATTENTION_REASONS,
        compute='_compute_attention_reason',
        search='_search_attention_reason',
        help="Why this call needs a person, if it does.",
    )
    attention_text = fields.Char(string="Why", compute='_compute_attention_reason')
    attention_closed_by_id = fields.Many2one(
        'res.users', string="Handled By", readonly=True, copy=False
    )
    attention_closed_at = fields.Datetime(string="Handled On", readonly=True, copy=False)

    @api.depends(
        'state',
        'connected_at',
        'dispose_saved_at',
        'campaign_id.max_call_minutes',
        'campaign_id.dispose_pending_minutes',
    )
    def _compute_attention_due_at(self):
        for call in self:
            call.attention_due_at = call._ameyo_attention_due_at(call.state)

    def _ameyo_attention_due_at(self, state):
        """When this leg, in ``state``, starts needing a supervisor (False: never): the compute of
        ``attention_due_at``, and the pop's end of the agent's earlier legs
        (``ameyo.call._ameyo_write_ended``), which writes it with the state in one statement."""
        self.ensure_one()
        campaign = self.campaign_id
        minutes = campaign.max_call_minutes if campaign else 60
        start = self.connected_at or self.create_date or fields.Datetime.now()
        if state == 'dispose_pending':
            minutes = campaign.dispose_pending_minutes if campaign else 10
            start = self.dispose_saved_at or start
        elif state not in LIVE_STATES:
            minutes = 0
        return start + timedelta(minutes=minutes) if minutes else False

    @api.model
    def _ameyo_attention_domains(self):
        """{reason: the domain of the legs it applies to}, in priority order: the one place that
        decides."""
        now = fields.Datetime.now()
        not_handled = Domain('attention_closed_at', '=', False)
        # a missing recording matters while Ameyo still keeps it (the server's window): Fetch can
        # still get it
        servers = (
            self.env['ameyo.server']
            .sudo()
            .with_context(active_test=False)
            .search([('id', '!=', False)])
        )
        in_window = Domain.OR(
            Domain('server_id', '=', server.id)
            & Domain('connected_at', '>', now - timedelta(days=server.recording_retention_days))
            for server in servers
        )
        return {
            'dispose_failed': Domain('state', '=', 'dispose_failed'),
            'dispose_pending': Domain('state', '=', 'dispose_pending')
            & Domain('attention_due_at', '<=', now),
            'stale_live': Domain('state', 'in', LIVE_STATES)
            & Domain('attention_due_at', '<=', now),
            # a pop-ended leg needs a person only where Odoo was to tell Ameyo the outcome
            # (ameyo_call.py)
            'ended': Domain('ended_undisposed', '=', True) & not_handled,
            'dial_failed': Domain('state', '=', 'dial_failed') & not_handled,
            'callback_unparsed': Domain('callback_unparsed', '=', True) & not_handled,
            # the disposition's CRM action was refused (ameyo_call_crm_action.py): to apply by hand
            # on the lead
            'crm_action_refused': Domain('crm_action_error', '!=', False) & not_handled,
            'recording_unavailable': Domain('recording_state', '=', 'unavailable')
            & in_window
            & not_handled,
        }

    @api.depends_context('uid')
    @api.depends(
        'state',
        'attention_due_at',
        'attention_closed_at',
        'callback_unparsed',
        'recording_state',
        'dispose_error',
        'dial_error',
        'crm_action_error',
    )
    def _compute_attention_reason(self):
        self.attention_reason = self.attention_text = False
        left = self.filtered('id')
        for reason, domain in self._ameyo_attention_domains().items():
            matched = left.filtered_domain(domain)
            for call in matched:
                call.attention_reason = reason
                call.attention_text = call._ameyo_attention_text(reason)
            left -= matched

    def _search_attention_reason(self, operator, value):
        if operator not in ('=', '!=', 'in', 'not in'):
            return NotImplemented
        values = {value} if isinstance(value, str) or not value else set(value)
        domains = self._ameyo_attention_domains()
        wanted, earlier = [], []
        for reason, domain in domains.items():
            if reason in values:
                wanted.append(domain & ~Domain.OR(earlier) if earlier else domain)
            earlier.append(domain)
        any_reason = Domain.OR(domains.values())
        if False in values:
            wanted.append(~any_reason)
        found = Domain.OR(wanted)
        return found if operator in ('=', 'in') else ~found

    def _ameyo_attention_text(self, reason):
        """Why this leg needs a person, in plain words addressed to a supervisor."""
        self.ensure_one()
        agent = self.user_id.name or self.env._("the agent")
        if (
            reason == 'dispose_failed'
            and self.dispose_outcome_unknown
            and not self.dispose_next_try
        ):
            return self.env._(
                "Odoo does not know whether Ameyo disposed this call: %(error)s",
                error=self.dispose_error or '-',
            )
        if reason == 'dispose_failed':
            return self.env._(
                "The dispose did not reach Ameyo: %(error)s %(agent)s may be held in wrap until it "
                "is retried or disposed in Ameyo.",
                error=self.dispose_error or '-',
                agent=agent,
            )
        if reason == 'dispose_pending':
            return self.env._(
                "The outcome was saved %(minutes)s min ago and Ameyo has not been told yet.",
                minutes=self._ameyo_minutes_since(self.dispose_saved_at),
            )
        if reason == 'stale_live':
            return self.env._(
                "Still %(state)s after %(minutes)s min, longer than the campaign's %(max)s min: "
                "%(agent)s most likely never disposed it.",
                state=dict(self._fields['state']._description_selection(self.env)).get(self.state),
                minutes=self._ameyo_minutes_since(self.connected_at or self.create_date),
                max=self.campaign_id.max_call_minutes or 60,
                agent=agent,
            )
        if reason == 'ended':
            return self.env._(
                "Ameyo gave %(agent)s another call before this one was disposed: its outcome never "
                "reached Ameyo.",
                agent=agent,
            )
        if reason == 'dial_failed':
            return self.env._(
                "Odoo could not place the call: %(error)s", error=self.dial_error or '-'
            )
        if reason == 'callback_unparsed':
            return self.env._(
                "Ameyo scheduled a callback Odoo cannot read (%(attribute)s): plan it in Odoo.",
                attribute=self.disposition_attribute or '-',
            )
        if reason == 'crm_action_refused':
            return self.env._(
                "The CRM action of disposition %(disposition)s was refused: %(error)s Apply it by "
                "hand on the lead.",
                disposition=self.disposition_id.name or self.disposition_code or '-',
                error=self.crm_action_error,
            )
        if reason == 'recording_unavailable':
            return self.env._(
                "No recording, while Ameyo should still keep it: %(error)s",
                error=self.sudo().recording_id.error or '-',
            )
        return False

    @api.model
    def _ameyo_minutes_since(self, moment):
        return int((fields.Datetime.now() - moment).total_seconds() // 60) if moment else 0

    # ------------------------------------------------------------------
    # The resolving actions (a supervisor's; row buttons and bulk actions)
    # ------------------------------------------------------------------

    def _ameyo_check_supervisor(self):
        if not self.env.user.has_group('crm_ameyo.group_ameyo_supervisor'):
            raise AccessError(
                self.env._("Only a supervisor can resolve the calls needing attention.")
            )
        self.check_access('read')

    def _ameyo_attention_summary(self, title, done, skipped):
        message = self.env._("%(done)s call(s) handled.", done=len(done))
        if skipped:
            message += ' ' + self.env._(
                "%(count)s left as they were (they did not need this): %(calls)s",
                count=len(skipped),
                calls=', '.join(skipped.mapped('display_name')),
            )
        return notification(
            title, message, 'warning' if skipped else 'success', next_action=SOFT_RELOAD
        )

    def action_attention_retry_dispose(self):
        """Tell Ameyo again about the saved outcome of these legs (each in its own transactions);
        say what became of each.

        The sends commit in transactions of their own, after this one began: its snapshot still
        shows the legs as they were before (a disposed leg would read as failed), so what became of
        them is read in a transaction that begins after the last send."""
        self._ameyo_check_supervisor()
        legs = self.filtered(lambda call: call.state in WAITING_STATES)
        for leg in legs:
            leg.sudo()._ameyo_send_dispose(background=False)
        with self._ameyo_transaction() as calls:
            retried = calls.filtered(lambda call: call.id in legs.ids)
            if len(calls) == 1 and retried:
                return retried._ameyo_dispose_notification()
            return retried._ameyo_retry_summary(calls - retried)

    def _ameyo_retry_summary(self, skipped):
        """The notification of a retry of these legs, from what became of each (``skipped``: legs
        that were not waiting for Ameyo, left as they were)."""
        done = self.filtered(lambda call: call.state == 'disposed')
        sending = (
            self.filtered(lambda call: call.state == 'dispose_pending' or call._ameyo_is_sending())
            - done
        )
        failed = self - done - sending
        lines = [self.env._("%(done)s call(s) disposed in Ameyo.", done=len(done))]
        if failed:
            lines.append(
                self.env._(
                    "%(count)s still not accepted by Ameyo: %(calls)s.",
                    count=len(failed),
                    calls='; '.join(
                        self.env._(
                            "%(call)s (%(reason)s)",
                            call=call.display_name,
                            reason=call.dispose_error or '-',
                        )
                        for call in failed
                    ),
                )
            )
        if sending:
            lines.append(
                self.env._(
                    "%(count)s still being sent to Ameyo: %(calls)s.",
                    count=len(sending),
                    calls='; '.join(sending.mapped('display_name')),
                )
            )
        if skipped:
            lines.append(
                self.env._(
                    "%(count)s left as they were (they were not waiting for Ameyo): %(calls)s.",
                    count=len(skipped),
                    calls='; '.join(skipped.mapped('display_name')),
                )
            )
        kind = 'danger' if failed else 'warning' if sending or skipped else 'success'
        return notification(
            self.env._("Dispose retried"),
            '\n'.join(lines),
            kind,
            sticky=bool(failed),
            next_action=SOFT_RELOAD,
            class_name=LINES_CLASS,
        )

    def action_attention_mark_disposed(self):
        """The agent disposed these calls in Ameyo: close them in Odoo without calling Ameyo, saying
        who and when."""
        self._ameyo_check_supervisor()
        done = self.browse()
        for leg in self.sudo():
            # under the row lock: a send may be under way, and its answer must not land after this
            wait_for_lock(leg)
            if leg.state not in (*LIVE_STATES, *WAITING_STATES) or leg._ameyo_is_sending():
                continue
            done |= leg._ameyo_update_state(
                'disposed',
                {
                    'attention_closed_by_id': self.env.uid,
                    'attention_closed_at': fields.Datetime.now(),
                },
                message=self.env._(
                    "%(user)s closed this call: it was already disposed in Ameyo. Odoo did not "
                    "tell Ameyo.",
                    user=self.env.user.name,
                ),
            )
        return self._ameyo_attention_summary(
            self.env._("Closed as disposed in Ameyo"), done, self - done.with_env(self.env)
        )

    def action_attention_mark_handled(self):
        """A supervisor took care of these legs (a failed dial, a missing recording, an ended
        leg...)."""
        self._ameyo_check_supervisor()
        legs = self.filtered(lambda call: call.attention_reason in HANDLED_REASONS)
        now = fields.Datetime.now()
        for leg in legs.sudo():
            leg.write({'attention_closed_by_id': self.env.uid, 'attention_closed_at': now})
            leg.message_post(
                body=self.env._(
                    "%(user)s marked this call as handled (%(reason)s).",
                    user=self.env.user.name,
                    reason=leg.attention_text or '-',
                )
            )
        return self._ameyo_attention_summary(self.env._("Marked as handled"), legs, self - legs)

    def action_attention_fetch_recording(self):
        """Ask Ameyo again for the recordings it should still keep."""
        self._ameyo_check_supervisor()
        legs = self.filtered(lambda call: call.attention_reason == 'recording_unavailable').sudo()
        legs.recording_id.write({'state': 'pending', 'attempts': 0, 'next_try': False})
        for leg in legs:
            leg.recording_id._ameyo_fetch_isolated()
        done = legs.filtered(lambda call: call.recording_state == 'fetched').with_env(self.env)
        return self._ameyo_attention_summary(self.env._("Recordings fetched"), done, self - done)

    def action_attention_reassign_callback(self):
        """Open the dialog that gives these legs' callback activities to another user (or plans
        them)."""
        self._ameyo_check_supervisor()
        return {
            'type': 'ir.actions.act_window',
            'name': self.env._("Reassign Callback"),
            'res_model': 'ameyo.callback.reassign',
            'view_mode': 'form',
            'views': [(False, 'form')],
            'target': 'new',
            'context': {'default_call_ids': self.ids},
        }

    def _ameyo_reassign_callback(self, user, callback_at=False):
        """Give this leg's callback activity to ``user`` (at ``callback_at`` if given), planning it
        if Odoo had none (an attribute it could not read). A callback Ameyo owns is not moved in
        Ameyo: the activity says so."""
        self.ensure_one()
        self._ameyo_check_supervisor()
        self._ameyo_check_callback_user(user)
        leg = self.sudo()
        when = callback_at or leg.callback_at
        activity = leg.callback_activity_id
        leg.write({'callback_at': when, 'callback_user_id': user.id, 'callback_unparsed': False})
        if activity and not callback_at:
            activity.write({'user_id': user.id})
        else:
            activity.unlink()
            leg._ameyo_schedule_callback(when, user, leg.notes, by_ameyo=leg.callback_by_ameyo)
        leg.message_post(
            body=self.env._(
                "%(user)s gave the callback to %(agent)s.", user=self.env.user.name, agent=user.name
            )
        )

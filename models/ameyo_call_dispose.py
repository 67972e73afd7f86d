"""Disposing a call leg: saved in Odoo first, then Ameyo is told, and nothing is lost when it says
no.

The order is the seed's: the outcome, notes and callback are committed in Odoo (the
wizard's transaction), then a second request tells Ameyo (:meth:`action_send_dispose`),
so a closed tab or a refusal never loses what the agent typed.

``disposeCallForUser`` names no call: it disposes whatever call the agent is on. It is
sent only while that can still be this leg: within a window shorter than the campaign's
wrap timeout, and before the agent's next pop. Otherwise, and for background retries,
Odoo uses ``dacx/dispose``, which names the call, when it knows the agent's Ameyo
session; failing both, the agent is told to dispose in Ameyo. Every send carries the
leg's one requestId.

"Dispose and Redial" is one request, ``disposeAndManualDial``, when Odoo knows the agent's Ameyo
session; without it, the dispose above, then, once Ameyo accepted it, the dial API
(:meth:`_ameyo_send_redial`: the dial gate, a dial attempt leg the next pop adopts, a few tries
while Ameyo has not freed the agent yet). Never a dial after a dispose whose outcome is unknown
or refused, nor one the agent does not expect: a dispose the cron sends more than
:data:`REDIAL_BACKGROUND_WINDOW` after the agent saved is made without its redial, and said so.

A send is claimed under a row lock and marked "sending" in a
transaction committed before the request leaves: no other worker sends the leg meanwhile,
and a worker killed during the request leaves a leg known to be in an unknown state, not one
that looks unsent: once the mark is older than :data:`SEND_TIMEOUT`, the retry cron moves the
leg to Needing Attention (outcome unknown) and never sends it again on its own; a person's send
(the agent's Retry, a supervisor's Retry Dispose) may, by an API that names the call.
"""

import logging
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html

from ..const import ATTEMPT_STATES, DISPOSABLE_STATES, WAITING_STATES
from ..tools.ameyo_client import AmeyoError, new_request_id
from ..tools.ameyo_params import is_true, parse_callback_attribute
from ..tools.db import own_transaction, wait_for_lock
from ..tools.notification import CLOSE_DIALOG, LINES_CLASS, notification, sentence
from .ameyo_call_dial import DialPlan, DialRefused

_logger = logging.getLogger(__name__)

MAX_DISPOSE_ATTEMPTS = 5
RETRY_BACKOFF_MINUTES = (1, 2, 5, 15, 60)
# disposeCallForUser is only sent within this share of the campaign's wrap timeout.
WRAP_WINDOW_SHARE = 0.8
# A leg saved this long ago and still pending: its tab closed before it told Ameyo.
ORPHAN_DELAY = timedelta(seconds=30)
# A send marked this long ago and still unanswered was cut off (its worker died): the leg may be
# taken again.
SEND_TIMEOUT = timedelta(minutes=5)
# The dial after a dispose: while Ameyo answers that the agent is not in ready state (it frees them
# a moment after the dispose), the dial is sent again after these pauses (seconds): three tries,
# three seconds at most.
REDIAL_NOT_READY_PAUSES = (1.0, 2.0)
# A dispose the cron sends (the agent's tab closed, or a retry) dials only this soon after the agent
# saved: later, a dial would surprise them (they may be on a break or gone), so the call is disposed
# without it and they are told.
REDIAL_BACKGROUND_WINDOW = timedelta(minutes=2)


class AmeyoCallDisposeMixin(models.AbstractModel):
    """What disposing adds to a call leg (``ameyo.call`` lists it in its ``_inherit``)."""

    _name = 'ameyo.call.dispose.mixin'
    _description = "Ameyo Call Leg: Dispose"

    dispose_request_id = fields.Char(
        string="Dispose Request ID",
        readonly=True,
        copy=False,
        help="The requestId every dispose of this leg carries, so that a retry never disposes "
        "twice.",
    )
    dispose_saved_at = fields.Datetime(string="Outcome Saved At", readonly=True, copy=False)
    dispose_error = fields.Char(
        readonly=True, copy=False, help="Why Ameyo did not accept the dispose."
    )
    dispose_api = fields.Char(string="Dispose API Used", readonly=True, copy=False)
    dispose_attempts = fields.Integer(readonly=True, copy=False)
    dispose_outcome_unknown = fields.Boolean(
        readonly=True,
        copy=False,
        help="A dispose may have reached Ameyo without an answer (a disposeCallForUser "
        "or disposeAndManualDial Ameyo did not answer, or any send cut off when "
        "Odoo stopped): disposeCallForUser and disposeAndManualDial are never "
        "sent again for this leg (the first could dispose the agent's next call, "
        "the second dial the customer twice); the retry cron does not send a "
        "cut-off dispose again at all.",
    )
    dispose_sending_since = fields.Datetime(
        string="Sending Since",
        readonly=True,
        copy=False,
        help="Set while Odoo tells Ameyo, committed before the request leaves: still set after a "
        "few minutes, the send was cut off and its outcome is unknown.",
    )
    dispose_next_try = fields.Datetime(
        string="Next Dispose Retry", readonly=True, copy=False, index='btree_not_null'
    )
    redial_phone = fields.Char(string="Redial Number", copy=False)
    redial_refused = fields.Char(
        readonly=True,
        copy=False,
        help="Why Odoo disposed without the redial the agent asked for (the dial gate refused the "
        "number when the dispose left: do not call, opt-out list, calling hours; the dispose's "
        "outcome unknown; sent by the cron long after the agent asked).",
    )
    redial_outcome = fields.Selection(
        [
            ('with_dispose', "Sent with the dispose (disposeAndManualDial)"),
            ('dialing', "Dialing"),
            ('failed', "Not dialed by Ameyo"),
            ('unconfirmed', "Not confirmed"),
        ],
        readonly=True,
        copy=False,
        help="What became of the redial: sent inside disposeAndManualDial, or asked of the dial "
        "API once Ameyo accepted the dispose (then dialing, refused by Ameyo, or unanswered).",
    )
    redial_error = fields.Char(
        readonly=True, copy=False, help="Why Ameyo did not dial (or confirm) the redial."
    )
    redial_attempt_id = fields.Many2one(
        'ameyo.call',
        readonly=True,
        copy=False,
        ondelete='set null',
        index='btree_not_null',
        help="The dial attempt Odoo made after the dispose (the dial API), which the pop of the "
        "call adopts.",
    )
    callback_user_id = fields.Many2one('res.users', string="Callback By", copy=False)
    callback_activity_id = fields.Many2one(
        'mail.activity', readonly=True, copy=False, ondelete='set null'
    )
    answered_activity_id = fields.Many2one(
        'mail.activity',
        string="Activity Called For",
        readonly=True,
        copy=False,
        ondelete='set null',
        help="The \"Call\" activity of the contact or lead this call was dialed from (its Dial "
        "button): marked done once the call's outcome is saved.",
    )
    callback_by_ameyo = fields.Boolean(
        string="Callback Scheduled in Ameyo",
        readonly=True,
        copy=False,
        help="Ameyo owns this callback (its dispose URL scheduled it): moving the activity in Odoo "
        "does not move it in Ameyo.",
    )
    callback_unparsed = fields.Boolean(
        string="Callback Not Understood",
        readonly=True,
        copy=False,
        help="Ameyo sent a callback attribute Odoo cannot read: kept as sent, for a supervisor to "
        "plan.",
    )
    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    def action_dispose(self):
        """Open the disposition wizard on this leg (call banner, call log)."""
        self.ensure_one()
        self._ameyo_check_can_dispose()
        return {
            'type': 'ir.actions.act_window',
            'name': self.env._("Dispose call"),
            'res_model': 'ameyo.dispose.wizard',
            'view_mode': 'form',
            'views': [(False, 'form')],
            'target': 'new',
            'context': {'default_call_id': self.id},
        }

    def _ameyo_check_can_dispose(self):
        """Refuse what cannot be disposed: a dial attempt, a disposed leg, another agent's leg
        (unless supervisor)."""
        self._ameyo_check_owner()
        for call in self:
            if call.state in ATTEMPT_STATES:
                raise UserError(
                    self.env._("This is a dial attempt, not a call: there is nothing to dispose.")
                )
            if call.state == 'disposed' and call.campaign_id.dispose_mode != 'ameyo_only':
                raise UserError(
                    self.env._(
                        "This call is already disposed (%(code)s).",
                        code=call.disposition_code or '-',
                    )
                )

    def _ameyo_check_owner(self):
        for call in self:
            if call.user_id != self.env.user and not self.env.user.has_group(
                'crm_ameyo.group_ameyo_supervisor'
            ):
                raise UserError(
                    self.env._(
                        "Only %(agent)s or a supervisor can dispose this call.",
                        agent=call.user_id.name,
                    )
                )

    @api.model
    def _ameyo_open_leg_for(self, record):
        """The current user's latest leg about ``record`` (a contact or lead) that is not disposed
        yet."""
        field_name = 'lead_id' if record._name == 'crm.lead' else 'partner_id'
        leg = self.search(
            [
                (field_name, '=', record.id),
                ('user_id', '=', self.env.uid),
                ('state', 'in', DISPOSABLE_STATES),
            ],
            order='create_date desc, id desc',
            limit=1,
        )
        if not leg:
            raise UserError(
                self.env._("You have no call with %(name)s to dispose.", name=record.display_name)
            )
        return leg

    # ------------------------------------------------------------------
    # Saving the outcome (the wizard's transaction)
    # ------------------------------------------------------------------

    def _ameyo_save_outcome(
        self,
        disposition,
        notes,
        callback_at=False,
        callback_user=False,
        callback_attribute=False,
        redial_phone=False,
    ):
        """Record the agent's outcome on the leg, in the chatter and as a callback activity.

        Return True when Ameyo must still be told (CRM-only mode), False otherwise.
        """
        self.ensure_one()
        self._ameyo_check_owner()
        if self._ameyo_is_sending():  # its answer would land on what the agent saves now
            raise UserError(
                self.env._(
                    "Odoo is telling Ameyo about this call right now: try again in a moment."
                )
            )
        # the checks above authenticated the agent: the leg's fields are not theirs to write
        leg = self.sudo()
        if self.state == 'disposed' and self.campaign_id.dispose_mode not in ('ameyo_only', 'dual'):
            # Ameyo disposed it (forced, at wrap timeout) while the agent was typing: keep what they
            # wrote
            leg.write({'notes': notes})
            self._ameyo_log_outcome(disposition, notes, callback_at, callback_user)
            return False
        self._ameyo_check_can_dispose()
        mode = self.campaign_id.dispose_mode or 'crm_only'
        values = {'notes': notes}
        if disposition and disposition.campaign_id != self.campaign_id:
            raise UserError(self.env._("This disposition belongs to another campaign."))
        if mode != 'ameyo_only':
            values.update(
                {
                    'disposition_id': disposition.id,
                    'disposition_code': disposition.code,
                    'callback_at': callback_at or False,
                    'callback_user_id': callback_user.id
                    if callback_at and callback_user
                    else False,
                    'disposition_attribute': callback_attribute or False,
                    'redial_phone': redial_phone or False,
                    'redial_refused': False,
                }
            )
        if mode != 'ameyo_only':
            # as the agent, while the leg still opens the caller's lead to them
            # (ameyo_call_crm_action.py)
            self._ameyo_apply_disposition_action(disposition)
        # in every mode but Ameyo only, the first save is the outcome's time (the wrap window runs
        # from it: saving again does not reopen it), and ends the talk of a live leg
        if mode == 'crm_only':
            values.update(
                {
                    'dispose_request_id': self.dispose_request_id or new_request_id(),
                    'dispose_error': False,
                    'dispose_next_try': False,
                }
            )
            leg._ameyo_update_state('dispose_pending', values, outcome_saved=True)
        elif mode == 'dual':
            leg._ameyo_update_state('disposed', values, outcome_saved=True)
        else:
            leg.write(values)
            if mode == 'forced':
                # Ameyo disposes it at its wrap timeout and tells Odoo: the leg stays as it is, the
                # save is stamped
                leg._ameyo_update_state(leg.state, outcome_saved=True)
        if mode != 'ameyo_only':
            self._ameyo_log_outcome(disposition, notes, callback_at, callback_user)
        self._ameyo_notify_agent()  # the banner and the workspace follow the leg
        return mode == 'crm_only'

    def _ameyo_log_outcome(self, disposition, notes, callback_at, callback_user):
        """Post the outcome on the contact's or lead's chatter (and the leg's), as what happened to
        the leg; mark the activity the call was dialed for done; plan the callback as an
        activity."""
        self.ensure_one()
        # the caller's record may be a colleague's (the agent worked on it during the call only):
        # posted as superuser, in the agent's name
        target = (self.lead_id or self.partner_id).sudo()
        body = self._ameyo_outcome_body(disposition, notes)
        for record in (target, self.sudo()):
            if record:
                record.message_post(body=body, subtype_xmlid='mail.mt_note')
        self._ameyo_close_answered_activity(disposition)
        if callback_at:
            self._ameyo_schedule_callback(callback_at, callback_user or self.env.user, notes)

    def _ameyo_outcome_body(self, disposition, notes):
        """The chatter note of the outcome saved on this leg: "disposed" only once the leg is, then
        the agent's notes, plain text escaped, line breaks kept."""
        self.ensure_one()
        outcome = disposition.name or disposition.code or self.disposition_code or ''
        if self.state == 'disposed':
            title = self.env._(
                "Call %(phone)s disposed: %(outcome)s", phone=self.phone or '', outcome=outcome
            )
        else:
            # saved in Odoo, Ameyo not told yet (or it refused): nothing said of the dispose, which
            # the leg's chatter and state follow
            title = self.env._(
                "Outcome of call %(phone)s: %(outcome)s", phone=self.phone or '', outcome=outcome
            )
        return plaintext2html(f'{title}\n{notes}' if notes else title)

    def _ameyo_close_answered_activity(self, disposition):
        """The call was placed from a "Call" activity (its Dial button): that activity is done, with
        the outcome as its feedback (posted on the record by Odoo, in the agent's name)."""
        self.ensure_one()
        activity = self.sudo().answered_activity_id
        if activity.exists() and activity.active:
            activity.action_feedback(
                feedback=self.env._(
                    "Outcome: %(outcome)s",
                    outcome=disposition.name or disposition.code or self.disposition_code or '',
                )
            )

    @api.model
    def _ameyo_answered_activity(self, record, activity_id):
        """The "Call" activity of ``record`` (a contact or lead the user may read, dialed from that
        activity's Dial button) named by ``activity_id``, or an empty recordset: an id of another
        record's activity is ignored."""
        if not activity_id or not isinstance(activity_id, int):
            return self.env['mail.activity']
        return (
            self.env['mail.activity']
            .sudo()
            .search(
                [
                    ('id', '=', activity_id),
                    ('res_model', '=', record._name),
                    ('res_id', '=', record.id),
                    ('activity_category', '=', 'phonecall'),
                ],
                limit=1,
            )
        )

    def _ameyo_log_outcome_on_new_record(self, record):
        """``record`` (created from the pop's prefilled form) was just linked to this leg: if the
        agent saved the outcome before the record (Dispose from the banner on an unsaved form, or
        Ameyo disposed first), its chatter gets the outcome note, and the callback planned on the
        leg moves to it.

        Called inside the record's creation, before Odoo subscribes its creator: nothing here
        subscribes them (the note skips its author, the activity is moved, not scheduled again)."""
        self.ensure_one()
        leg = self.sudo()
        if not (leg.dispose_saved_at or leg.state == 'disposed') or not (
            leg.disposition_id or leg.disposition_code
        ):
            return
        record.sudo().with_context(mail_post_autofollow_author_skip=True).message_post(
            body=leg._ameyo_outcome_body(leg.disposition_id, leg.notes),
            subtype_xmlid='mail.mt_note',
        )
        activity = leg.callback_activity_id
        if activity.exists() and activity.active and activity.res_model == leg._name:
            activity.write(
                {'res_model_id': self.env['ir.model']._get_id(record._name), 'res_id': record.id}
            )
            # the one who calls back follows the record, as a new activity's
            if activity.user_id != self.env.user:
                record.sudo().message_subscribe(partner_ids=activity.user_id.partner_id.ids)

    def _ameyo_schedule_callback(self, callback_at, user, notes=False, by_ameyo=False):
        """Plan the callback as a call activity of ``user`` on the contact or lead (else the leg),
        dated in their time zone; remember it on the leg. ``by_ameyo``: Ameyo owns it, and the
        activity says so."""
        self.ensure_one()
        local = fields.Datetime.context_timestamp(
            self.with_context(tz=user.tz or 'UTC'), callback_at
        )
        note = plaintext2html(notes) if notes else ''
        if by_ameyo:
            note += plaintext2html(
                self.env._(
                    "Ameyo scheduled this callback and places the call itself: moving or "
                    "reassigning this activity in Odoo does not change it in Ameyo."
                )
            )
        activity = (
            (self.lead_id or self.partner_id or self.sudo())
            .sudo()
            .activity_schedule(
                'mail.mail_activity_data_call',
                date_deadline=local.date(),
                summary=self.env._(
                    "Call back %(phone)s at %(time)s",
                    phone=self.phone or '',
                    time=local.strftime('%Y-%m-%d %H:%M'),
                ),
                note=note,
                user_id=user.id,
            )
        )
        self.sudo().callback_activity_id = activity
        return activity

    @api.model
    def _ameyo_callback_user_domain(self, companies):
        """Who may call back a customer of ``companies`` (the wizards' domains say the same):
        internal users of those companies who are Ameyo agents or salespeople. The callback user
        follows the caller's lead and gets its mail: never a portal user, nor a user of another
        company."""
        groups = self.env.ref('crm_ameyo.group_ameyo_agent') | self.env.ref(
            'sales_team.group_sale_salesman'
        )
        return [
            ('share', '=', False),
            ('company_ids', 'in', companies.ids),
            ('all_group_ids', 'in', groups.ids),
        ]

    def _ameyo_check_callback_user(self, user):
        """Refuse ``user`` as the one who calls this leg's customer back, unless the domain above
        admits them."""
        self.ensure_one()
        company = self.sudo().company_id
        if user and not self.env['res.users'].sudo().search_count(
            [('id', '=', user.id), *self._ameyo_callback_user_domain(company)], limit=1
        ):
            raise UserError(
                self.env._(
                    "%(user)s cannot call back: choose an internal user of %(company)s who is an "
                    "agent or a salesperson.",
                    user=user.sudo().name,
                    company=company.name,
                )
            )

    def _ameyo_record_disposition(self, params):
        """Ameyo's dispose URL: record its disposition on this leg (notes saved in Odoo stay as they
        are), its end or talk time as the end of the talk, the callback the agent scheduled in
        Ameyo; note it on the caller's record. A replay (the leg is already disposed, e.g. saved in
        dual entry) changes nothing."""
        self.ensure_one()
        leg = self.sudo()
        code = params['dispositionCode']
        disposition = leg.campaign_id.disposition_ids.filtered(lambda d: d.code == code)[:1]
        if leg.state != 'disposed' and leg.user_id:
            # as the leg's agent, before the leg leaves its live state (ameyo_call_crm_action.py)
            leg.with_user(leg.user_id).with_company(leg.company_id)._ameyo_apply_disposition_action(
                disposition
            )
        moved = leg._ameyo_update_state(
            'disposed',
            {
                'disposition_code': code,
                'disposition_id': disposition.id,
                'disposition_attribute': params.get('dispositionAttribute')
                or leg.disposition_attribute,
            },
            ended_at=leg._ameyo_end_from_params(params),
            message=self.env._("Ameyo disposed this call with code %(code)s.", code=code),
        )
        # a callback the agent scheduled in Ameyo: planned once, also when the leg was disposed
        # first in Odoo (dual entry) without one
        leg._ameyo_callback_from_ameyo(params)
        if not moved:
            # a replay: the outcome saved first stays (only Ameyo's end of the talk was written)
            return
        leg._ameyo_close_answered_activity(disposition or leg.disposition_id)
        # on the caller's record too, as a dispose in Odoo notes it
        record = leg.lead_id or leg.partner_id
        if record:
            record.message_post(
                body=self.env._(
                    "Call %(phone)s disposed in Ameyo: %(outcome)s",
                    phone=leg.phone or '',
                    outcome=disposition.name or code,
                ),
                subtype_xmlid='mail.mt_note',
            )

    def _ameyo_callback_from_ameyo(self, params):
        """Ameyo's dispose URL scheduled a callback (``dispositionAttribute``, ``selfCallback``):
        plan it in Odoo as the wizard does, for the right user and time. Never raises: an attribute
        Odoo cannot read is kept as sent and flagged for a supervisor (Needing Attention).

        Nothing to do when the leg already has its callback: the wizard planned it (and told Ameyo),
        or an earlier throw of the same URL did. A self callback (or one the URL does not say) is
        the agent's; a campaign callback (``selfCallback=false``: any agent) goes to the leader of
        the queue's or campaign's sales team, else to the agent.
        """
        self.ensure_one()
        leg = self.sudo()
        attribute = params.get('dispositionAttribute')
        if not attribute or leg.callback_at or leg.callback_unparsed:
            return
        server = leg.server_id
        parsed = parse_callback_attribute(attribute, server.callback_time_format)
        callback_at = False
        if parsed:
            form, value = parsed  # within the dates Odoo can place (the parser refuses the others)
            if form == 'after':
                callback_at = fields.Datetime.now().replace(microsecond=0) + value
            else:
                tz = server.callback_tz
                if form == 'customer':
                    tz = leg.partner_id.tz or leg.lead_id.partner_id.tz or tz
                callback_at = leg._ameyo_naive_local_to_utc(value, tz)
        if not callback_at:
            leg.callback_unparsed = True
            leg.message_post(
                body=self.env._(
                    "Ameyo scheduled a callback Odoo cannot read: %(attribute)s. It is kept as "
                    "sent; a supervisor must plan it in Odoo (Needing Attention).",
                    attribute=attribute,
                )
            )
            return
        team = leg.queue_id.team_id or leg.campaign_id.team_id
        flag = params.get('selfCallback')
        user = leg.user_id if flag is None or is_true(flag) else (team.user_id or leg.user_id)
        leg.write(
            {'callback_at': callback_at, 'callback_user_id': user.id, 'callback_by_ameyo': True}
        )
        leg._ameyo_schedule_callback(callback_at, user, leg.notes, by_ameyo=True)

    @api.model
    def _ameyo_naive_local_to_utc(self, value, tz):
        """A naive datetime read in time zone ``tz`` (a name), as a naive UTC datetime; False for a
        bad zone."""
        try:
            zone = pytz.timezone(tz or 'UTC')
        except pytz.UnknownTimeZoneError:
            return False
        return zone.localize(value, is_dst=False).astimezone(pytz.utc).replace(tzinfo=None)

    # ------------------------------------------------------------------
    # Telling Ameyo (transactions of its own)
    # ------------------------------------------------------------------

    def action_send_dispose(self):
        """Tell Ameyo about the outcome saved on this leg; return a notification for the agent."""
        self.ensure_one()
        self._ameyo_check_owner()
        self.sudo()._ameyo_send_dispose(background=False)
        # read the outcome in a transaction that began after the send (this one's snapshot is older)
        with self._ameyo_transaction() as leg:
            return leg._ameyo_dispose_notification()

    @contextmanager
    def _ameyo_transaction(self):
        """This leg in a transaction of its own (:func:`~..tools.db.own_transaction`), committed
        when the block ends. The caller's transaction holds no lock on the leg (it only read it), so
        this one never waits on it.
        """
        with own_transaction(self.env) as env:
            yield self.with_env(env)

    def _ameyo_lock(self):
        """Lock this leg for a send; False when another worker holds it, it is not waiting for
        Ameyo, or a send of it is under way.

        SKIP LOCKED: whoever comes second (the agent's retry, the cron in another worker) neither
        waits nor sends.
        """
        self.ensure_one()
        # FOR UPDATE SKIP LOCKED, after flushing what the ORM holds
        locked = self.try_lock_for_update()
        self.invalidate_recordset()  # read the leg as it is now that it is ours (or another's)
        return bool(locked) and self.state in WAITING_STATES and not self._ameyo_is_sending()

    def _ameyo_is_sending(self):
        """A send of this leg is under way (marked, and not so long ago that its worker must have
        died)."""
        self.ensure_one()
        return bool(
            self.dispose_sending_since
            and self.dispose_sending_since > fields.Datetime.now() - SEND_TIMEOUT
        )

    def _ameyo_dispose_notification(self):
        """What became of the send, said to whoever pressed the button: the agent, or a supervisor
        about the agent's call."""
        self.ensure_one()
        self.invalidate_recordset()
        if self.user_id == self.env.user:
            return self._ameyo_dispose_notification_agent()
        agent = self.user_id.name or self.env._("the agent")
        if self.state == 'disposed':
            return notification(
                self.env._("Call disposed"),
                self.env._(
                    "Ameyo accepted the dispose and freed %(agent)s for the next call.", agent=agent
                ),
                'success',
                next_action=CLOSE_DIALOG,
            )
        if self.state == 'dispose_pending' or self._ameyo_is_sending():
            return notification(
                self.env._("Saved in Odoo"),
                self.env._("The outcome is saved; Odoo is still telling Ameyo."),
                'warning',
                next_action=CLOSE_DIALOG,
            )
        advice = (
            self.env._(
                "Odoo retries on its own; if Ameyo still shows the call, %(agent)s must dispose it "
                "in Ameyo.",
                agent=agent,
            )
            if self.dispose_next_try
            else self.env._("%(agent)s must dispose the call in Ameyo.", agent=agent)
        )
        # one sentence a line: Ameyo's reason ends without a full stop
        return notification(
            self.env._("Saved in Odoo, not in Ameyo"),
            '\n'.join(
                (
                    self.env._("The outcome and notes are saved in Odoo."),
                    self.env._(
                        "Ameyo did not accept the dispose: %(reason)s",
                        reason=self.dispose_error or '-',
                    ),
                    advice,
                )
            ),
            'danger',
            sticky=True,
            next_action=CLOSE_DIALOG,
            class_name=LINES_CLASS,
        )

    def _ameyo_dispose_notification_agent(self):
        """What became of the send, said to the agent: what happened to their leg (disposed,
        redialing, still being told, not disposed in Ameyo and why), one sentence a line."""
        self.ensure_one()
        self.invalidate_recordset()
        self._ameyo_notify_agent()  # the workspace's lists follow what Ameyo answered
        after = self._ameyo_after_dispose_action()

        def say(title, lines, kind, sticky=False):
            return notification(
                title,
                '\n'.join(filter(None, lines)),
                kind,
                sticky=sticky,
                next_action=after,
                class_name=LINES_CLASS,
            )

        number = self.redial_phone
        if self.state == 'disposed' and number:
            return self._ameyo_redial_notification(say)
        if self.state == 'disposed':
            return say(
                self.env._("Call disposed"),
                [self.env._("Saved in Odoo and Ameyo freed you for the next call.")],
                'success',
            )
        if self.state == 'dispose_pending' or self._ameyo_is_sending():
            return say(
                self.env._("Saved in Odoo"),
                [self.env._("Your outcome is saved; Odoo is still telling Ameyo.")],
                'warning',
            )
        advice = (
            self.env._(
                "Odoo retries on its own; if Ameyo still shows the call, dispose it in Ameyo."
            )
            if self.dispose_next_try
            else self.env._("Dispose the call in Ameyo.")
        )
        redial = []
        if number and not self._ameyo_redial_maybe_dialed():
            redial.append(self.env._("Nothing was dialed."))
            if self.redial_refused:
                redial.append(
                    self.env._(
                        "Odoo will not redial %(number)s after this call: %(reason)s",
                        number=number,
                        reason=sentence(self.redial_refused),
                    )
                )
        return say(
            self.env._("Saved in Odoo, not in Ameyo"),
            [
                self.env._("Your outcome and notes are saved in Odoo."),
                self.env._(
                    "The call is not disposed in Ameyo: %(reason)s",
                    reason=sentence(self.dispose_error),
                ),
                *redial,
                advice,
            ],
            'danger',
            sticky=True,
        )

    def _ameyo_redial_notification(self, say):
        """What became of the redial of this disposed leg, said to the agent (``say`` builds the
        notification)."""
        self.ensure_one()
        number, outcome = self.redial_phone, self.redial_outcome
        if self.redial_refused:
            return say(
                self.env._("Call disposed, not redialed"),
                [
                    self.env._("Saved in Odoo and Ameyo freed you for the next call."),
                    self.env._(
                        "Odoo did not redial %(number)s: %(reason)s",
                        number=number,
                        reason=sentence(self.redial_refused),
                    ),
                ],
                'warning',
                sticky=True,
            )
        if outcome == 'with_dispose' and self.dispose_outcome_unknown:
            return say(
                self.env._("Call disposed, redial not confirmed"),
                [
                    self.env._("Saved in Odoo and in Ameyo."),
                    self.env._(
                        "Ameyo did not answer the redial of %(number)s: it may or may not be "
                        "dialing.",
                        number=number,
                    ),
                    self.env._("Watch your Ameyo client before dialing again."),
                ],
                'warning',
                sticky=True,
            )
        if outcome == 'with_dispose':
            return say(
                self.env._("Call disposed, redialing"),
                [
                    self.env._("Saved in Odoo and in Ameyo."),
                    self.env._(
                        "Ameyo is dialing %(number)s: answer on your Ameyo client.", number=number
                    ),
                ],
                'success',
            )
        if outcome == 'dialing':
            return say(
                self.env._("Call disposed, redialing"),
                [
                    self.env._("Saved in Odoo and disposed in Ameyo."),
                    self.env._("Dialing %(number)s: answer on your Ameyo client.", number=number),
                ],
                'success',
            )
        if outcome == 'unconfirmed':
            return say(
                self.env._("Call disposed, redial not confirmed"),
                [
                    self.env._("Saved in Odoo and disposed in Ameyo."),
                    self.env._(
                        "Ameyo did not confirm the dial of %(number)s: %(reason)s",
                        number=number,
                        reason=sentence(self.redial_error),
                    ),
                    self.env._("Watch your Ameyo client before dialing again."),
                ],
                'warning',
                sticky=True,
            )
        if outcome == 'failed':
            return say(
                self.env._("Call disposed, not redialed"),
                [
                    self.env._("Saved in Odoo and disposed in Ameyo."),
                    self.env._(
                        "Ameyo did not dial %(number)s: %(reason)s",
                        number=number,
                        reason=sentence(self.redial_error),
                    ),
                    self.env._(
                        "Dial it again from the contact once your Ameyo client shows you ready."
                    ),
                ],
                'warning',
                sticky=True,
            )
        return say(
            self.env._("Call disposed, not redialed"),
            [
                self.env._("Saved in Odoo and disposed in Ameyo."),
                self.env._("Odoo did not redial %(number)s.", number=number),
            ],
            'warning',
            sticky=True,
        )

    def _ameyo_after_dispose_action(self):
        """Close the dialog; but a colleague's lead the agent could open only during the call would
        not reload once the call is disposed: open their call instead."""
        self.ensure_one()
        record = self.lead_id or self.partner_id
        if not record or record.has_access('read'):
            return CLOSE_DIALOG
        return {
            'type': 'ir.actions.act_window',
            'res_model': 'ameyo.call',
            'res_id': self.id,
            'views': [(False, 'form')],
            'target': 'main',
        }

    def _ameyo_has_newer_pop(self):
        """Did Ameyo give this agent another call since this leg? Then disposeCallForUser would hit
        it."""
        self.ensure_one()
        return bool(
            self.search_count(
                [
                    ('user_id', '=', self.user_id.id),
                    ('id', '>', self.id),
                    ('state', 'not in', ATTEMPT_STATES),
                ],
                limit=1,
            )
        )

    def _ameyo_in_wrap_window(self):
        self.ensure_one()
        wrap = self.campaign_id.wrap_timeout
        if not wrap:  # unknown campaign or wrap time: the window cannot be known, so there is none
            return False
        saved = self.dispose_saved_at or self.write_date
        return fields.Datetime.now() - saved < timedelta(seconds=wrap * WRAP_WINDOW_SHARE)

    def _ameyo_choose_dispose_api(self, background):
        """The API to tell Ameyo with, as the server's Dispose API and the leg's situation allow, or
        None."""
        self.ensure_one()
        session = self._ameyo_agent_session()
        if self._ameyo_redial_maybe_dialed():
            # an earlier disposeAndManualDial may have dialed: never sent again, the call is named
            # instead
            return 'legacy' if session else None
        if self._ameyo_redial_wanted() and session:
            return 'dispose_dial'
        # no redial, or no session for disposeAndManualDial: the dispose alone (the dial follows it,
        # _ameyo_send_redial); the server's Dispose API (const.DISPOSE_API_CHOICES): 'dacx' =
        # dacx/dispose with the agent's session
        choice = self.server_id.dispose_api
        if choice == 'dacx':
            return 'legacy' if session else None
        # disposeCallForUser names no call: only while this leg is surely the agent's current call,
        # and never again after a send whose outcome is unknown
        can_name_none = (
            self._ameyo_in_wrap_window()
            and not self._ameyo_has_newer_pop()
            and not self.dispose_outcome_unknown
        )
        if choice == 'for_user':
            return 'rest' if can_name_none else None
        # Automatic: disposeCallForUser first (the guide's), dacx/dispose where it is not safe or in
        # the background, or when the server has no dispose token
        if session and not self.server_id.sudo().dispose_token:
            return 'legacy'
        if not background and can_name_none:
            return 'rest'
        if session:
            return 'legacy'  # dacx/dispose names the call: safe at any time
        return 'rest' if can_name_none else None

    def _ameyo_agent_session(self):
        """The live Ameyo session id of this leg's agent, '' when Odoo has none."""
        self.ensure_one()
        return self.server_id._ameyo_agent_session(self.user_id).session_id or ''

    def _ameyo_send_dispose(self, background, resend_without_dead_session=True):
        """Send this leg's dispose once, if it waits for Ameyo and no other worker has it; record
        the answer. When Ameyo answers that the agent's session it carried is dead, Odoo forgets
        that session and, for an agent waiting on it (``background`` False), sends once more at once
        without it (Ameyo refused the first request outright: nothing was done, nothing can be done
        twice).

        Three steps, each durable on its own: the claim (row lock, then the "sending" mark,
        committed before the request leaves, so that a worker killed during the request leaves a leg
        known to be in an unknown state, never one that looks unsent); the request, while no
        transaction holds the leg; Ameyo's answer. A failure inside Odoo is recorded on the leg as a
        failed attempt, never left to abort the caller: the cron goes on with the next leg.
        """
        self.ensure_one()
        claimed = resend = False
        try:
            with self._ameyo_transaction() as leg:
                send = leg._ameyo_claim_send(background)
            if not send:
                return
            claimed = True
            api_name, kwargs = send
            client = self.server_id._get_ameyo_client()
            method = {
                'rest': client.dispose_call_for_user,
                'legacy': client.dispose_legacy,
                'dispose_dial': client.dispose_and_manual_dial,
            }[api_name]
            try:
                method(**kwargs)
                error = None
            except AmeyoError as failure:
                error = failure
            with self._ameyo_transaction() as leg:
                if error and error.session_rejected and kwargs.get('session_id'):
                    # a dead session: the next send chooses without it, until the agent's next Ameyo
                    # login
                    leg.server_id._ameyo_forget_agent_session(leg.user_id, kwargs['session_id'])
                leg._ameyo_record_answer(api_name, error)
                redial = api_name != 'dispose_dial' and leg._ameyo_redial_wanted()
            if redial:  # most legs have none: no transaction of its own for them
                self._ameyo_send_redial(error)
            resend = (
                error
                and error.session_rejected
                and kwargs.get('session_id')
                and not background
                and resend_without_dead_session
            )
        # one leg's failure must not stop the others, nor lose the leg
        except Exception as crash:  # noqa: BLE001
            _logger.exception("Dispose of Ameyo call leg %s failed in Odoo", self.id)
            try:
                with self._ameyo_transaction() as leg:
                    leg._ameyo_record_crash(crash, counted=claimed)
            except Exception:
                if not background:
                    raise
                _logger.exception("The failure of Ameyo call leg %s could not be recorded", self.id)
        if resend:
            self._ameyo_send_dispose(background, resend_without_dead_session=False)

    def _ameyo_claim_send(self, background):
        """Take this leg for one send: return ``(api name, its arguments)``, or None when it is not
        to be sent.

        The row lock keeps other workers off while the leg is checked and marked (API, attempt,
        time; for ``disposeCallForUser``, "outcome unknown" until Ameyo answers); once the caller
        commits, the mark does. None: locked elsewhere, not waiting for Ameyo, being sent, or failed
        here for good because no send is safe.
        """
        self.ensure_one()
        if not self._ameyo_lock():
            return None
        if self.dispose_sending_since:
            # an earlier send was cut off before Ameyo's answer was recorded (its worker or server
            # died: _ameyo_lock lets the leg be taken again once SEND_TIMEOUT passed): Ameyo may
            # have acted on it, or not never disposeCallForUser again, nor a redial after it
            self.dispose_outcome_unknown = True
            if background:
                # never resent on Odoo's own: Needing Attention, where a supervisor checks Ameyo and
                # decides (Already Disposed in Ameyo, or Retry Dispose)
                self._ameyo_dispose_cut_off()
                return None
        if background and self.dispose_attempts >= MAX_DISPOSE_ATTEMPTS:
            # every earlier send was cut off before its answer was recorded (a worker killed
            # mid-request)
            self._ameyo_dispose_failed(
                self.env._(
                    "Odoo tried %(count)s times to tell Ameyo and never got to record its answer.",
                    count=self.dispose_attempts,
                ),
                retry=False,
            )
            return None
        if self._ameyo_redial_wanted():
            # the dial gate, again when the dispose leaves (the cron may send it hours later)
            refusal = self._ameyo_redial_refusal()
            if not refusal and self.dispose_outcome_unknown:
                refusal = self.env._(
                    "an earlier dispose of this call got no answer from Ameyo, and Odoo never "
                    "dials after a dispose it is not sure of."
                )
            if not refusal and background and self._ameyo_redial_too_late():
                refusal = self.env._(
                    "Odoo told Ameyo in the background, more than %(minutes)s minutes after the "
                    "outcome was saved, and never dials when the agent may not expect it.",
                    minutes=int(REDIAL_BACKGROUND_WINDOW.total_seconds() // 60),
                )
            if refusal:
                self._ameyo_drop_redial(refusal)
        api_name = self._ameyo_choose_dispose_api(background)
        if not api_name:
            self._ameyo_dispose_failed(self._ameyo_no_safe_api_reason(), retry=False)
            return None
        # the agent's own Ameyo user: never a value stored on the leg (disposeCallForUser acts on
        # that user)
        user_ref = self.user_id.ameyo_effective_user_id
        if not user_ref:
            self._ameyo_dispose_failed(
                self.env._("%(agent)s has no Ameyo user ID.", agent=self.user_id.name), retry=False
            )
            return None
        kwargs = self._ameyo_dispose_arguments(api_name, user_ref)
        if api_name == 'dispose_dial':
            # Ameyo dials on its own: Odoo never dials this redial
            self.redial_outcome = 'with_dispose'
        self.write(
            {
                'dispose_api': api_name,
                'dispose_attempts': self.dispose_attempts + 1,
                'dispose_sending_since': fields.Datetime.now(),
                # disposeCallForUser names no call: until Ameyo answers, it may have disposed one;
                # disposeAndManualDial: until Ameyo answers, it may have dialed
                'dispose_outcome_unknown': self.dispose_outcome_unknown
                or api_name in ('rest', 'dispose_dial'),
            }
        )
        return api_name, kwargs

    def _ameyo_redial_refusal(self, number=None):
        """Why the dial gate refuses to redial ``number`` (this leg's redial number by default)
        after this leg (its customer, campaign, company), or ''."""
        return self._ameyo_redial_gate(number).refusal

    def _ameyo_redial_gate(self, number=None):
        """The dial gate's :class:`DialGate` on redialing ``number`` (this leg's redial number by
        default) after this leg. The number is read in the customer's own country, else in Ameyo's
        (the wizard offers the number as Ameyo sent it)."""
        self.ensure_one()
        leg = self.sudo()
        record = leg.lead_id or leg.partner_id
        country = record.country_id or leg._ameyo_home_country() or None
        return self._ameyo_dial_gate(
            number or leg.redial_phone,
            leg.campaign_id,
            record,
            company=leg.company_id,
            country=country,
        )

    def _ameyo_redial_wanted(self):
        """The agent asked for a redial that is neither sent nor refused yet."""
        self.ensure_one()
        return bool(self.redial_phone and not self.redial_refused and not self.redial_outcome)

    def _ameyo_redial_too_late(self):
        """The agent saved the outcome (asking for the redial) too long ago for a send in the
        background to dial."""
        self.ensure_one()
        saved = self.dispose_saved_at or self.write_date
        return saved < fields.Datetime.now() - REDIAL_BACKGROUND_WINDOW

    def _ameyo_redial_maybe_dialed(self):
        """A disposeAndManualDial of this leg got no answer: Ameyo may have dialed (never sent, nor
        dialed, again)."""
        self.ensure_one()
        return self.redial_outcome == 'with_dispose' and self.dispose_outcome_unknown

    def _ameyo_drop_redial(self, reason):
        """The redial the agent asked for is not made, for ``reason`` (a sentence): the dispose goes
        alone."""
        self.ensure_one()
        self.write({'redial_refused': reason[:500]})
        self.message_post(
            body=self.env._(
                "Not redialed: %(reason)s Odoo disposes the call without the redial.",
                reason=sentence(reason),
            )
        )

    # ------------------------------------------------------------------
    # The redial after a dispose (no session of the agent for disposeAndManualDial)
    # ------------------------------------------------------------------

    def _ameyo_send_redial(self, error):
        """Once Ameyo answered the dispose (``error``: None on success, else its
        :class:`AmeyoError`), dial the redial number with the dial API, as the Dial button does: the
        dial gate, a dial attempt leg committed before the request (the next pop adopts it), the
        answer stored on it; tried again for a few seconds while Ameyo answers that the agent is not
        in ready state. Not dialed, and said so, when the dispose's outcome is unknown, when the
        cron sends it long after the agent asked, or when the gate or the dial API say no.
        """
        self.ensure_one()
        try:
            self._ameyo_send_redial_once(error)
        # the dispose is recorded: a failure here must not look like its own
        except Exception:  # noqa: BLE001
            _logger.exception("The redial after Ameyo call leg %s failed in Odoo", self.id)
            with self._ameyo_transaction() as leg:
                if leg.redial_outcome == 'dialing' and not leg.redial_attempt_id.dial_requested_at:
                    leg.write(
                        {
                            'redial_outcome': 'failed',
                            'redial_error': self.env._(
                                "Odoo failed before asking Ameyo to dial; nothing was dialed."
                            ),
                        }
                    )

    def _ameyo_send_redial_once(self, error):
        self.ensure_one()
        with self._ameyo_transaction() as leg:
            wait_for_lock(leg)
            if not leg._ameyo_redial_wanted() or leg.redial_attempt_id:
                return
            if error is not None and not (leg.state == 'disposed' or error.outcome_unknown):
                # not disposed: nothing dialed (the notification says so), the agent may retry
                return
            ready = leg._ameyo_redial_plan(error)
            if isinstance(ready, str):
                leg._ameyo_drop_redial(ready)
                return
            # taken, committed: no other worker dials it (the redial is no longer wanted)
            leg.write({'redial_outcome': 'dialing', 'redial_error': False})
            record, plan = ready
            record_ref, campaign_id, server_id = (
                (record._name, record.id),
                plan.campaign.id,
                plan.server.id,
            )
        # that transaction is over: the attempt and the request read the records in this one
        env = self.env
        record = env[record_ref[0]].sudo().browse(record_ref[1])
        plan = replace(
            plan,
            campaign=env['ameyo.campaign'].sudo().browse(campaign_id),
            server=env['ameyo.server'].sudo().browse(server_id),
        )
        Call = env['ameyo.call']
        attempt = Call._ameyo_dial_record_attempt(record, plan, user=self.user_id)
        with self._ameyo_transaction() as leg:  # begun after the attempt's commit: it sees it
            leg.redial_attempt_id = attempt.id
        dial_error = Call._ameyo_dial_send(
            attempt, record, plan, user=self.user_id, not_ready_pauses=REDIAL_NOT_READY_PAUSES
        )
        with self._ameyo_transaction() as leg:
            leg._ameyo_record_redial(plan, dial_error)

    def _ameyo_redial_plan(self, error):
        """``(record, DialPlan)`` of the redial after this leg's dispose, or the reason (a sentence)
        it is not made."""
        self.ensure_one()
        env = self.env
        number = self.redial_phone
        if error is not None and error.outcome_unknown:
            return env._(
                "Ameyo did not answer the dispose (%(reason)s), and Odoo never dials after a "
                "dispose it is not sure of.",
                reason=str(error.args[0]).rstrip('.'),
            )
        if error is not None:
            return env._(
                "Ameyo answered that the call was already disposed, so Odoo cannot tell whether "
                "the agent is free."
            )
        if self._ameyo_has_newer_pop():
            return env._("another call reached the agent since this one.")
        campaign, server = self.campaign_id, self.server_id
        if not campaign.ameyo_campaign_id:
            return env._("Odoo does not know the Ameyo campaign of this call.")
        gate = self._ameyo_redial_gate()
        if gate.refusal:
            return gate.refusal
        api_name, session = self._ameyo_dial_api(server, self.user_id)
        if not api_name:
            return env._(
                "the server's dial API needs the agent's Ameyo session, which Odoo does not know."
            )
        record = self.lead_id or self.partner_id
        sent = server._ameyo_dial_format(gate.e164)
        try:
            # as the agent, as their own Dial button reads it
            customer_record = self.with_user(self.user_id)._ameyo_dial_customer_record(
                record, campaign, sent
            )
        except DialRefused as refusal:
            return str(refusal)
        return record, DialPlan(
            campaign=campaign,
            server=server,
            stored=number,
            e164=gate.e164,
            sent=sent,
            api=api_name,
            session=session,
            request_id=new_request_id(),
            customer_record=customer_record,
        )

    def _ameyo_record_redial(self, plan, error):
        """Note what Ameyo answered the redial (``error``: None when it accepted it) on the leg and
        its chatter."""
        self.ensure_one()
        number = self.redial_phone
        if error is None:
            self.write({'redial_outcome': 'dialing', 'redial_error': False})
            body = self.env._(
                "Disposed in Ameyo; dialing %(number)s (%(api)s).",
                number=number,
                api=self.redial_attempt_id.dial_api or plan.api,
            )
        else:
            reason = self._ameyo_dial_reason(error, plan.api)
            self.write(
                {
                    'redial_outcome': 'unconfirmed' if error.outcome_unknown else 'failed',
                    'redial_error': reason[:500],
                }
            )
            body = (
                self.env._(
                    "Disposed; Ameyo did not confirm the dial of %(number)s: %(reason)s",
                    number=number,
                    reason=sentence(reason),
                )
                if error.outcome_unknown
                else self.env._(
                    "Disposed; Ameyo did not dial %(number)s: %(reason)s",
                    number=number,
                    reason=sentence(reason),
                )
            )
        self.message_post(body=body)

    def _ameyo_no_safe_api_reason(self):
        self.ensure_one()
        if self._ameyo_redial_maybe_dialed():
            return self.env._(
                "Ameyo did not answer an earlier dispose and redial, so it may have disposed the "
                "call and dialed %(number)s; Odoo never sends it again (it could dial the customer "
                "twice), and has no Ameyo session of the agent to name this call. Check the Ameyo "
                "client before dialing again.",
                number=self.redial_phone,
            )
        if self.dispose_outcome_unknown:
            return self.env._(
                "Ameyo did not answer an earlier dispose, so it may have disposed the call; "
                "sending disposeCallForUser again could dispose the agent's next call, and Odoo "
                "has no Ameyo session of the agent to name this call."
            )
        if self._ameyo_redial_wanted():
            return self.env._(
                "Odoo has no Ameyo session of the agent, which disposeAndManualDial and "
                "dacx/dispose need, and cannot send disposeCallForUser (it names no call) safely: "
                "%(why)s",
                why=self._ameyo_unnamed_dispose_obstacle(),
            )
        return self.env._(
            "Odoo cannot tell Ameyo safely any more (the wrap time is over or another call "
            "arrived, and Odoo has no Ameyo session of the agent to name this call)."
        )

    def _ameyo_unnamed_dispose_obstacle(self):
        """Why disposeCallForUser, which names no call, is not sent for this leg now (a
        sentence)."""
        self.ensure_one()
        env = self.env
        if self.dispose_outcome_unknown:
            return env._(
                "an earlier dispose got no answer, and sending one again could dispose the agent's "
                "next call."
            )
        if self._ameyo_has_newer_pop():
            return env._(
                "another call reached the agent since this one, and it would be disposed instead."
            )
        if not self.campaign_id.wrap_timeout:
            return env._(
                "the campaign's wrap time is not set in Odoo, so Odoo cannot tell whether this "
                "call is still the agent's current one."
            )
        if not self._ameyo_in_wrap_window():
            return env._(
                "the call's wrap time in Ameyo (%(seconds)s s) is over or about to be.",
                seconds=self.campaign_id.wrap_timeout,
            )
        return env._("the server's dispose API needs the agent's Ameyo session.")

    def _ameyo_dispose_arguments(self, api_name, user_ref):
        """The keyword arguments of the client's method for ``api_name``, from what the leg
        holds."""
        self.ensure_one()
        self_callback = bool(self.callback_at and self.callback_user_id == self.user_id)
        if api_name == 'rest':
            return {
                'user_id': user_ref,
                'disposition_code': self.disposition_code,
                'request_id': self.dispose_request_id,
                'notes': self.notes,
                'callback_time': self.callback_at
                and self.server_id._format_ameyo_datetime(self.callback_at),
                # the guide's sample carries the customer's phone with every dispose, not only with
                # a callback
                'self_callback': self_callback,
                'phone': self.phone,
            }
        common = {
            'session_id': self._ameyo_agent_session(),
            'campaign_id': self.ameyo_campaign_ref,
            'crt_object_id': self.crt_object_id,
            'user_crt_object_id': self.user_crt_object_id or '',
            'disposition_code': self.disposition_code,
            'customer_id': self.ameyo_customer_id or '-1',
        }
        if api_name == 'legacy':
            return dict(
                common,
                phone=self.phone,
                disposition_attribute=self.disposition_attribute,
                self_callback=self_callback or None,
                user_id=user_ref,
            )
        return dict(common, phone=self.redial_phone, request_id=self.dispose_request_id)

    def _ameyo_lock_for_answer(self):
        """Lock this leg to record what became of its send; False when it no longer waits for Ameyo.

        It waits for the lock: nobody holds it for long (the send itself holds none while Ameyo
        answers).
        """
        self.ensure_one()
        wait_for_lock(self)
        if self.state in WAITING_STATES:
            return True
        # settled meanwhile (Ameyo's dispose URL): only the mark of the send goes
        if self.dispose_sending_since:
            self.write({'dispose_sending_since': False})
        return False

    def _ameyo_record_answer(self, api_name, error):
        """Record Ameyo's answer (None: success, else the :class:`AmeyoError`) to the send this leg
        is marked with."""
        self.ensure_one()
        if not self._ameyo_lock_for_answer():
            return
        values = {'dispose_sending_since': False}
        if api_name in ('rest', 'dispose_dial'):
            # a definite answer says whether disposeCallForUser (disposeAndManualDial) acted; any
            # other leaves that unknown
            values['dispose_outcome_unknown'] = bool(error and error.outcome_unknown)
        if api_name == 'dispose_dial' and error and not error.outcome_unknown:
            # Ameyo refused it: nothing was dialed, a retry may send it again
            values['redial_outcome'] = False
        self.write(values)
        # a resend after a success
        if error is None or 'already disposed' in (error.reason or '').lower():
            self._ameyo_mark_disposed()
            return
        retry = (
            error.transient
            or error.outcome_unknown
            or error.kind in ('server', 'unreachable', 'timeout')
        )
        self._ameyo_dispose_failed(str(error.args[0]), retry=retry)

    def _ameyo_record_crash(self, crash, counted):
        """Record a send that failed inside Odoo as a failed attempt, so that the leg never waits
        forever.

        ``counted``: the claim was committed, with its attempt (and its "outcome unknown" mark).
        """
        self.ensure_one()
        if not self._ameyo_lock_for_answer():
            return
        values = {'dispose_sending_since': False}
        if not counted:
            # the backoff and the attempt limit apply
            values['dispose_attempts'] = self.dispose_attempts + 1
        self.write(values)
        self._ameyo_dispose_failed(
            self.env._("Odoo failed while telling Ameyo (%(error)s).", error=type(crash).__name__),
            retry=True,
        )

    def _ameyo_dispose_cut_off(self):
        """This leg's last send was cut off before Ameyo's answer was recorded: failed, outcome
        unknown, not retried (the retry cron's way with it: Needing Attention says so, a supervisor
        decides)."""
        self.ensure_one()
        api = {
            'rest': 'disposeCallForUser',
            'legacy': 'dacx/dispose',
            'dispose_dial': 'disposeAndManualDial',
        }.get(self.dispose_api, self.dispose_api or '-')
        self._ameyo_dispose_failed(
            self.env._(
                "Odoo's %(api)s to Ameyo was cut off before Ameyo's answer was recorded (the Odoo "
                "server or worker stopped): whether Ameyo disposed the call is unknown, and Odoo "
                "does not send it again on its own. If Ameyo shows the call disposed, close it as "
                "already disposed in Ameyo; else retry the dispose.",
                api=api,
            ),
            retry=False,
            unknown=True,
        )

    def _ameyo_mark_disposed(self):
        """Ameyo accepted the dispose."""
        self.ensure_one()
        self._ameyo_update_state('disposed', {'dispose_sending_since': False})
        self._ameyo_notify_agent()  # the agent's other tabs drop the call banner

    def _ameyo_dispose_failed(self, message, retry, unknown=False):
        """Ameyo did not accept the dispose (``unknown``: Odoo does not know whether it did):
        ``message`` says why; ``retry``: the cron sends it again later (a backoff, a few
        attempts)."""
        self.ensure_one()
        attempts = self.dispose_attempts
        next_try = False
        if retry and attempts < MAX_DISPOSE_ATTEMPTS:
            delay = RETRY_BACKOFF_MINUTES[min(attempts, len(RETRY_BACKOFF_MINUTES) - 1)]
            next_try = fields.Datetime.now() + timedelta(minutes=delay)
        note = (
            self.env._("Dispose outcome unknown in Ameyo: %(reason)s", reason=sentence(message))
            if unknown
            else self.env._("Not disposed in Ameyo: %(reason)s", reason=sentence(message))
        )
        if self.redial_phone and not self._ameyo_redial_maybe_dialed():
            note = self.env._("%(note)s Nothing was dialed.", note=note)
        self._ameyo_update_state(
            'dispose_failed',
            {
                'dispose_error': message[:500],
                'dispose_next_try': next_try,
                'dispose_sending_since': False,
            },
            message=note,
        )

    @api.model
    def _ameyo_retry_domain(self):
        """Legs the cron takes: failed for a transient reason and due, or pending since their tab
        closed, when no send of them is under way, to send; and those whose last send was cut off
        before Ameyo's answer was recorded (marked SEND_TIMEOUT ago or more), whatever their state
        says, never to send: to Needing Attention (:meth:`_ameyo_claim_send`)."""
        now = fields.Datetime.now()
        return [
            '|',
            '&',
            ('state', 'in', WAITING_STATES),
            ('dispose_sending_since', '<', now - SEND_TIMEOUT),
            '&',
            ('dispose_sending_since', '=', False),
            '|',
            '&',
            ('state', '=', 'dispose_failed'),
            ('dispose_next_try', '<=', now),
            '&',
            ('state', '=', 'dispose_pending'),
            ('dispose_saved_at', '<=', now - ORPHAN_DELAY),
        ]

    @api.model
    def _cron_retry_dispose(self, limit=50):
        """Resend the disposes that failed for a transient reason, and those whose tab closed before
        sending.

        Each leg is sent on its own (:meth:`_ameyo_send_dispose`): one that fails, in Ameyo or in
        Odoo, is recorded on that leg and the run goes on. Progress is committed after each leg with
        what is still due, and the run stops when its time is up: Odoo runs it again at once while
        work remains.
        """
        self._ameyo_cron_batch(
            self._ameyo_retry_domain(),
            'dispose_next_try, id',
            limit,
            lambda leg: leg._ameyo_send_dispose(background=True),
        )

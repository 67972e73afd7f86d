"""Recordings: each ended call leg's voice log fetched from Ameyo, checked, kept on the leg, purged in time.

A leg expects a recording once its call was connected and is over for the agent (its phase is no
longer live: the outcome is saved, or the leg is closed). ``recording_state`` then becomes
``pending`` with a first try after the server's delay (Ameyo writes the file after the call). The
cron *Ameyo: fetch recordings* (and the *Fetch Recording* button) asks Ameyo's voice-log API of the
server's flavour, stores only bytes that are audio as an ``ir.attachment`` of the leg (so its
access follows the leg's, narrowed further in ``ir_attachment.py``), and posts on the contact's or
lead's chatter a note that links to the call, never the file. The file plays only through
``/ameyo/recording/<leg>`` (``controllers/recording.py``: checks, records the listen, streams); every
other way to its content is refused (``ir_attachment.py``, ``ir_binary.py``). A failure is retried with backoff
while Ameyo still keeps the file (the server's *Ameyo keeps recordings for* days, counted from the
call); after that the leg is ``unavailable``, with the last reason, and never asked again. A
daily cron deletes recordings older than the company's *Odoo keeps recordings for* days (legs
marked *Keep* excepted): the leg stays, ``purged``, with the date.
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL, format_datetime

from ..const import CLOSED_STATES, WAITING_STATES
from ..tools.ameyo_client import AmeyoError
from ..tools.notification import SOFT_RELOAD, notification

_logger = logging.getLogger(__name__)

RECORDING_STATES = [
    ('pending', 'Pending'),
    ('fetched', 'Fetched'),
    ('unavailable', 'Unavailable'),
    ('purged', 'Purged'),
]
# A leg is over for the agent once its outcome is saved (waiting for Ameyo) or it is closed.
ENDED_STATES = (*WAITING_STATES, *CLOSED_STATES)
# Minutes between tries after each failure; the last one repeats until Ameyo's window closes.
RECORDING_BACKOFF_MINUTES = (5, 15, 60, 240, 720, 1440)
RECORDING_EXTENSIONS = {'audio/wav': 'wav', 'audio/mpeg': 'mp3'}
RECORDING_MIMETYPES = tuple(RECORDING_EXTENSIONS)
# Legs per cron batch (fetch and purge).
RECORDING_BATCH = 50
# A seek (a range request past the file's start) within this many hours of the user's last listen of the
# leg belongs to that listen: not recorded again.
RECORDING_PLAY_HOURS = 1


# one file per feature of the call (README, code map): its fields and rules live with it
class AmeyoCall(models.Model):
    _inherit = 'ameyo.call'  # pylint: disable=consider-merging-classes-inherited

    recording_state = fields.Selection(
        RECORDING_STATES, compute='_compute_recording_state', store=True, readonly=True, copy=False, index=True,
        help="Pending: Odoo will fetch it from Ameyo. Fetched: it is on this call. Unavailable: Ameyo no longer "
             "keeps it, or never had it. Purged: deleted after the company's retention. Empty: no recording is "
             "expected (the call was never connected, or is not over).")
    recording_next_try = fields.Datetime(
        string="Recording: Next Try", compute='_compute_recording_state', store=True, readonly=True, copy=False,
        index='btree_not_null')
    recording_attempts = fields.Integer(string="Recording: Attempts", readonly=True, copy=False)
    recording_error = fields.Char(string="Recording: Last Failure", readonly=True, copy=False)
    recording_fetched_at = fields.Datetime(string="Recording Fetched On", readonly=True, copy=False)
    recording_purged_at = fields.Datetime(string="Recording Purged On", readonly=True, copy=False)
    recording_keep = fields.Boolean(
        string="Keep Recording", copy=False, tracking=True,
        help="Under dispute: the recording is not purged when the company's retention is over.")
    recording_url = fields.Char(
        compute='_compute_recording_player', string="Recording",
        help="Where the current user plays the recording (the recording route, which records each listen); "
             "empty when he may not.")
    recording_access_ids = fields.One2many(
        'ameyo.recording.access', 'call_id', string="Recording Listened By", readonly=True,
        groups='crm_ameyo.group_ameyo_supervisor')

    @api.depends('state', 'connected_at')
    def _compute_recording_state(self):
        now = fields.Datetime.now()
        for call in self:
            if call.recording_state or not call._ameyo_expects_recording():
                # already on its way or settled, or nothing to fetch (yet)
                call.recording_state = call.recording_state
                call.recording_next_try = call.recording_next_try
                continue
            call.recording_state = 'pending'
            call.recording_next_try = now + timedelta(minutes=call.server_id.recording_delay_minutes)

    @api.depends('recording_state')
    @api.depends_context('uid')
    def _compute_recording_player(self):
        playable = self._ameyo_playable_recordings()
        for call in self:
            attachment = playable.get(call.id)
            call.recording_url = f'/ameyo/recording/{call.id}' if attachment else False

    # ------------------------------------------------------------------
    # Who may play
    # ------------------------------------------------------------------

    def _ameyo_expects_recording(self):
        self.ensure_one()
        return bool(self.connected_at) and self.state in ENDED_STATES

    @api.model
    def _ameyo_playable_domain(self):
        """Legs whose recording the current user may play (within what the record rules let him read):
        a supervisor any, an agent his own legs that Ameyo gave him when his company lets agents replay their
        calls, else none."""
        user = self.env.user
        if user.has_group('crm_ameyo.group_ameyo_supervisor'):
            return Domain.TRUE
        if user.has_group('crm_ameyo.group_ameyo_agent'):
            # a leg Ameyo gave him (ameyo_call.py, ameyo_assigned): not one he named with another agent's call
            return Domain('user_id', '=', user.id) & Domain('ameyo_assigned', '=', True) \
                & Domain('company_id.ameyo_agents_replay', '=', True)
        return Domain.FALSE

    @api.model
    def _ameyo_recording_access_error(self):
        return AccessError(self.env._(
            "You may not play this call's recording: recordings are for supervisors, and for the call's own "
            "agent when the company lets agents replay their calls."))

    def _ameyo_playable_recordings(self):
        """{leg id: its recording attachment} for the legs of ``self`` the current user may play."""
        legs = self.filtered(lambda call: call.recording_state == 'fetched' and call.id)
        if not legs:
            return {}
        if not self.env.su:
            legs = legs.filtered_domain(self._ameyo_playable_domain())
        playable = {}
        for attachment in legs._ameyo_recording_attachments():  # newest first: the newest one plays
            playable.setdefault(attachment.res_id, attachment)
        return playable

    def _ameyo_recording_attachments(self):
        """The recordings of these legs (as superuser: callers check who may have them)."""
        return self.env['ir.attachment'].sudo().search([
            ('res_model', '=', 'ameyo.call'), ('res_id', 'in', self.ids), ('mimetype', 'in', RECORDING_MIMETYPES),
        ], order='id desc')

    # ------------------------------------------------------------------
    # Fetching
    # ------------------------------------------------------------------

    def action_fetch_recording(self):
        """Fetch this leg's recording now (supervisors, and the call's own agent); say what happened.

        Always a notification, whatever goes wrong: Ameyo's reason, a refusal, an error inside Odoo.
        """
        try:
            self.ensure_one()
            leg = self.sudo()
            self.check_access('read')
            if self.user_id != self.env.user and not self.env.user.has_group('crm_ameyo.group_ameyo_supervisor'):
                raise AccessError(self.env._("Only the call's agent or a supervisor can fetch its recording."))
            refusal = leg._ameyo_fetch_refusal()
            if refusal:
                return notification(self.env._("No recording fetched"), refusal, 'warning')
            leg._ameyo_fetch_recording(on_demand=True)
        except (AccessError, UserError) as error:
            return notification(self.env._("No recording fetched"), str(error.args[0]), 'danger')
        except ValueError:  # not one leg
            return notification(self.env._("No recording fetched"),
                                self.env._("Fetch the recording of one call at a time."), 'danger')
        except Exception as crash:  # noqa: BLE001 (the caller gets a message, the log the traceback)
            _logger.exception("Fetching the recording of Ameyo call leg %s failed in Odoo", self.ids)
            return notification(self.env._("No recording fetched"), self.env._(
                "Odoo failed while fetching the recording (%(error)s).", error=type(crash).__name__), 'danger')
        if leg.recording_state == 'fetched':
            return notification(self.env._("Recording fetched"), self.env._(
                "The recording is on the call."), 'success', next_action=SOFT_RELOAD)
        if leg.recording_state == 'unavailable':
            return notification(self.env._("No recording"), leg.recording_error or '', 'warning',
                                next_action=SOFT_RELOAD)
        return notification(self.env._("Recording not fetched yet"), self.env._(
            "%(reason)s Odoo tries again on its own.", reason=leg.recording_error or ''), 'warning',
            next_action=SOFT_RELOAD)

    def _ameyo_fetch_refusal(self):
        """Why this leg's recording is not to be asked for now, or None."""
        self.ensure_one()
        if self.recording_state == 'fetched':
            return self.env._("The recording is already on this call.")
        if self.recording_state == 'purged':
            return self.env._("The recording was deleted on %(date)s, when the company's retention was over.",
                              date=self.recording_purged_at)
        if self.recording_state == 'unavailable':
            return self.env._("Ameyo no longer has this recording: %(reason)s", reason=self.recording_error or '')
        if not self.recording_state:
            return self.env._("This call has no recording: it was never connected, or it is not over yet.")
        if not self.server_id.active:
            return self.env._("The Ameyo server %(server)s is archived: Odoo does not call it.",
                              server=self.server_id.name)
        return None

    def _ameyo_recording_window_end(self):
        """Until when Ameyo keeps this leg's recording (the server's window, from the call)."""
        self.ensure_one()
        return (self.connected_at or self.create_date) + timedelta(days=self.server_id.recording_retention_days)

    def _ameyo_fetch_recording(self, on_demand=False):
        """Ask Ameyo once for this leg's recording and record the outcome: fetched, or the failure and when to
        try again (``unavailable`` once Ameyo's window is over). Runs as superuser."""
        self.ensure_one()
        if self.recording_state != 'pending':
            return
        if fields.Datetime.now() >= self._ameyo_recording_window_end():
            self._ameyo_recording_unavailable(self.recording_error or self.env._(
                "Not fetched within the %(days)s days Ameyo keeps recordings.",
                days=self.server_id.recording_retention_days))
            return
        server = self.server_id
        try:
            data, mimetype = server._get_ameyo_client().download_voice_log(
                self.crt_object_id, target_format=server.recording_format, campaign_id=self.ameyo_campaign_ref,
                call_id=self.ameyo_call_id, session_id=self._ameyo_agent_session() or None,
                api=server.api_flavour, max_bytes=server.recording_max_mb * 1024 * 1024)
        except AmeyoError as error:
            self._ameyo_recording_failed(str(error.args[0]))
            return
        self._ameyo_store_recording(data, mimetype)

    def _ameyo_lock_recording(self):
        """Lock this leg; True while its recording is still to fetch (the button and the cron may race)."""
        self.ensure_one()
        self.flush_recordset()
        self.env.cr.execute(SQL("SELECT id FROM ameyo_call WHERE id = %s FOR UPDATE", self.id))
        self.invalidate_recordset()
        return self.recording_state == 'pending'

    def _ameyo_store_recording(self, data, mimetype):
        """Keep ``data`` (audio, checked by the client) as this leg's recording; tell the contact or lead."""
        self.ensure_one()
        if not self._ameyo_lock_recording():
            return  # fetched meanwhile by another worker
        extension = RECORDING_EXTENSIONS[mimetype]
        self.env['ir.attachment'].sudo().create({
            'name': f'call-{self.crt_object_id}.{extension}',
            'raw': data,
            'mimetype': mimetype,
            'res_model': self._name,
            'res_id': self.id,
        })
        self.write({'recording_state': 'fetched', 'recording_fetched_at': fields.Datetime.now(),
                    'recording_error': False, 'recording_next_try': False})
        self._message_log(body=self.env._("Recording fetched from Ameyo (%(format)s, %(size)s KB).",
                                          format=extension.upper(), size=max(1, len(data) // 1024)))
        target = self.lead_id or self.partner_id
        if target:
            # a link to the call, never the file: a message's attachment is readable by every reader of
            # the chatter (the message store hands out its access token)
            link = self._get_html_link(title=self.env._("Call %(phone)s of %(date)s", phone=self.phone or '',
                                                        date=format_datetime(self.env, self.connected_at)))
            target.message_post(body=self.env._("The recording of this call is available: %(link)s", link=link),
                                subtype_xmlid='mail.mt_note')

    def _ameyo_recording_failed(self, reason):
        """Record a failed try: retried with backoff within Ameyo's window, ``unavailable`` after it."""
        self.ensure_one()
        now = fields.Datetime.now()
        window_end = self._ameyo_recording_window_end()
        attempts = self.recording_attempts + 1
        if now >= window_end:
            self.recording_attempts = attempts
            self._ameyo_recording_unavailable(reason)
            return
        delay = RECORDING_BACKOFF_MINUTES[min(attempts, len(RECORDING_BACKOFF_MINUTES)) - 1]
        self.write({'recording_attempts': attempts, 'recording_error': reason[:500],
                    'recording_next_try': min(now + timedelta(minutes=delay), window_end)})

    def _ameyo_recording_unavailable(self, reason):
        self.ensure_one()
        self.write({'recording_state': 'unavailable', 'recording_error': reason[:500], 'recording_next_try': False})
        self._message_log(body=self.env._("No recording: %(reason)s", reason=reason))

    def _ameyo_fetch_recording_isolated(self):
        """:meth:`_ameyo_fetch_recording` for the cron: whatever fails inside Odoo for this leg is recorded on it
        as a failed try, and never stops the run."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._ameyo_fetch_recording()
        except Exception as crash:  # noqa: BLE001 (one leg's failure must not stop the others)
            _logger.exception("Fetching the recording of Ameyo call leg %s failed in Odoo", self.id)
            try:
                with self.env.cr.savepoint():
                    self._ameyo_recording_failed(self.env._(
                        "Odoo failed while fetching it (%(error)s).", error=type(crash).__name__))
            except Exception:  # noqa: BLE001
                _logger.exception("The failure of Ameyo call leg %s could not be recorded", self.id)

    @api.model
    def _ameyo_recording_due_domain(self):
        """Legs whose recording is to be asked for now, on servers Odoo calls (a neutralized copy has none)."""
        return [('recording_state', '=', 'pending'), ('recording_next_try', '<=', fields.Datetime.now()),
                ('server_id.active', '=', True)]

    @api.model
    def _cron_fetch_recordings(self, limit=RECORDING_BATCH):
        """Fetch the recordings that are due, each leg on its own; report what is left; keep to the run's time."""
        self._ameyo_cron_batch(self._ameyo_recording_due_domain(), 'recording_next_try, id', limit,
                               lambda leg: leg._ameyo_fetch_recording_isolated())

    # ------------------------------------------------------------------
    # Keeping
    # ------------------------------------------------------------------

    @api.model
    def _ameyo_purge_domain(self):
        """Fetched recordings older than their company keeps them (0: forever), not marked Keep."""
        now = fields.Datetime.now()
        domain = []
        for company in self.env['res.company'].sudo().search([('ameyo_recording_keep_days', '>', 0)]):
            before = now - timedelta(days=company.ameyo_recording_keep_days)
            domain.append(['&', ('company_id', '=', company.id), ('connected_at', '<', before)])
        if not domain:
            return [(0, '=', 1)]
        either = ['|'] * (len(domain) - 1) + [term for clause in domain for term in clause]
        return [('recording_state', '=', 'fetched'), ('recording_keep', '=', False), *either]

    @api.model
    def _cron_purge_recordings(self, limit=RECORDING_BATCH):
        """Delete the recordings whose retention is over, in batches; the legs stay, marked ``purged``.

        Odoo's filestore garbage collection frees the files' space afterwards.
        """
        self._ameyo_cron_batch(self._ameyo_purge_domain(), 'connected_at, id', limit,
                               lambda leg: leg._ameyo_purge_recording_isolated())

    def _ameyo_purge_recording_isolated(self):
        """:meth:`_ameyo_purge_recording` for the cron: a leg that fails inside Odoo is logged and left as it
        was (the next run tries it again), and never stops the run."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._ameyo_purge_recording()
        except Exception:  # noqa: BLE001 (one leg's failure must not stop the others)
            _logger.exception("Deleting the recording of Ameyo call leg %s failed in Odoo", self.id)

    def _ameyo_purge_recording(self):
        self.ensure_one()
        self._ameyo_recording_attachments().unlink()
        self.write({'recording_state': 'purged', 'recording_purged_at': fields.Datetime.now()})
        self._message_log(body=self.env._("Recording deleted: the company keeps recordings %(days)s days.",
                                          days=self.company_id.ameyo_recording_keep_days))

    def _ameyo_log_recording_access(self, kind, seek=False):
        """Record that the current user got this leg's recording (``stream`` or ``download``): one line per
        play. ``seek``: the request asks for a later part of the file (the player's further range requests
        of a play), recorded only when this user has no line for this leg in the last
        ``RECORDING_PLAY_HOURS`` hours (a seek is never a way to listen unrecorded)."""
        self.ensure_one()
        Access = self.env['ameyo.recording.access'].sudo()
        if seek and Access.search_count([
                ('call_id', '=', self.id), ('user_id', '=', self.env.uid),
                ('accessed_at', '>=', fields.Datetime.now() - timedelta(hours=RECORDING_PLAY_HOURS))], limit=1):
            return
        Access.create({'call_id': self.id, 'user_id': self.env.uid, 'kind': kind})


class ResCompany(models.Model):
    _inherit = 'res.company'  # pylint: disable=consider-merging-classes-inherited

    ameyo_recording_keep_days = fields.Integer(
        string="Odoo Keeps Recordings (days)", default=0,
        help="Call recordings older than this are deleted from Odoo (calls marked Keep excepted); 0 keeps them "
             "forever. Distinct from how long Ameyo keeps them (set on each Ameyo server).")
    ameyo_agents_replay = fields.Boolean(
        string="Agents Replay Their Calls",
        help="Agents may play the recordings of their own calls; otherwise only supervisors may.")

    _ameyo_recording_keep_days_positive = models.Constraint(
        'CHECK(ameyo_recording_keep_days >= 0)', "Recordings cannot be kept a negative number of days.")

"""A call leg's recording (Ameyo's "voice log"): its own record, from the moment it is expected
until it is purged.

A leg expects a recording once its call was connected and is over for the agent
(``ameyo.call.voice.log.mixin._ameyo_expect_recording``, or, for the agent's earlier leg a pop ends,
the same statement as that end: ``ameyo.call._ameyo_write_ended``): its recording is created
``pending``, with a first try after the server's delay (Ameyo writes the file after the call). The
cron *Ameyo: fetch recordings* (and the leg's *Fetch Recording* button) asks Ameyo's voice-log API
of the server's flavour, keeps only bytes that are audio in the Binary field ``audio`` (an
attachment of this record, readable by system administrators only), and posts on the contact's or
lead's chatter a note that links to the call, never the file. People play it through
``/ameyo/recording/<leg>`` (``controllers/recording.py``): the record rules of this model decide who
may (supervisors of the company; the leg's own agent when their company lets agents replay their
calls and Ameyo gave them the call), the listen is recorded, then Odoo streams the file. A failure
is retried with backoff while Ameyo still keeps the file (the server's *Ameyo keeps recordings for*
days, counted from the call); after that the recording is ``unavailable``, with the last reason, and
never asked again. A daily cron deletes the audio older than the company's *Odoo keeps recordings
for* days (recordings marked *Keep* excepted): the record stays, ``purged``, with the date.
"""

import base64
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools import format_datetime

from ..tools.ameyo_client import AmeyoError
from ..tools.db import wait_for_lock

_logger = logging.getLogger(__name__)

RECORDING_STATES = [
    ('pending', 'Pending'),
    ('fetched', 'Fetched'),
    ('unavailable', 'Unavailable'),
    ('purged', 'Purged'),
]
# Minutes between tries after each failure; the last one repeats until Ameyo's window closes.
RECORDING_BACKOFF_MINUTES = (5, 15, 60, 240, 720, 1440)
RECORDING_EXTENSIONS = {'audio/wav': 'wav', 'audio/mpeg': 'mp3'}
# Legs per cron batch (fetch and purge).
RECORDING_BATCH = 50
# A seek (a range request past the file's start) within this many hours of the user's last listen of
# the recording belongs to that listen: not recorded again.
RECORDING_PLAY_HOURS = 1
# What a user (a supervisor, within the record rules) may write on a recording; the rest is the
# fetch's.
USER_WRITABLE_FIELDS = frozenset({'keep'})


def wav_duration(data):
    """The seconds of sound of a RIFF/WAVE file (its ``data`` chunk over the ``fmt`` chunk's byte
    rate), or None when the header does not say."""
    offset, byte_rate = 12, 0
    while offset + 8 <= len(data):
        chunk_id, size = (
            data[offset : offset + 4],
            int.from_bytes(data[offset + 4 : offset + 8], 'little'),
        )
        if chunk_id == b'fmt ' and size >= 12:
            byte_rate = int.from_bytes(data[offset + 16 : offset + 20], 'little')
        elif chunk_id == b'data':
            # a streamed WAV may declare its size 0 or 0xFFFFFFFF: the samples are the rest of the
            # file
            available = len(data) - offset - 8
            size = available if size in (0, 0xFFFFFFFF) else min(size, available)
            return round(size / byte_rate) if byte_rate else None
        offset += 8 + size + (size & 1)
    return None


class AmeyoCallRecording(models.Model):
    _name = 'ameyo.call.recording'
    _description = 'Ameyo Call Recording'
    _order = 'create_date desc, id desc'
    _rec_names_search = ['call_id.crt_object_id', 'call_id.phone']

    call_id = fields.Many2one(
        'ameyo.call', required=True, index=True, ondelete='cascade', readonly=True
    )
    company_id = fields.Many2one(
        related='call_id.company_id', store=True, index=True, precompute=True
    )
    audio = fields.Binary(
        attachment=True,
        readonly=True,
        copy=False,
        groups='base.group_system',
        help="The file, for system administrators only: everyone else plays it from the call, "
        "through the recording route that records each listen.",
    )
    mimetype = fields.Char(readonly=True)
    file_size = fields.Integer(string="Size (bytes)", readonly=True)
    duration = fields.Integer(
        string="Duration (s)",
        readonly=True,
        help="Read from a WAV file's header; empty when the file does not say it.",
    )
    state = fields.Selection(
        RECORDING_STATES,
        required=True,
        default='pending',
        readonly=True,
        index=True,
        help="Pending: Odoo will fetch it from Ameyo. Fetched: it plays on the call. Unavailable: "
        "Ameyo no longer keeps it, or never had it. Purged: deleted after the company's retention.",
    )
    next_try = fields.Datetime(readonly=True, copy=False, index='btree_not_null')
    attempts = fields.Integer(readonly=True, copy=False)
    error = fields.Char(string="Last Failure", readonly=True, copy=False)
    fetched_at = fields.Datetime(string="Fetched On", readonly=True, copy=False)
    purged_at = fields.Datetime(string="Purged On", readonly=True, copy=False)
    keep = fields.Boolean(
        copy=False,
        help="Under dispute: the recording is not purged when the company's retention is over.",
    )
    access_ids = fields.One2many(
        'ameyo.recording.access',
        'recording_id',
        string="Listened By",
        readonly=True,
        groups='crm_ameyo.group_ameyo_supervisor',
    )

    @api.depends('call_id.crt_object_id', 'mimetype')
    def _compute_display_name(self):
        # the file's name, as it downloads
        for recording in self:
            name = f'call-{recording.sudo().call_id.crt_object_id or recording.call_id.id}'
            extension = RECORDING_EXTENSIONS.get(recording.mimetype)
            recording.display_name = f'{name}.{extension}' if extension else name

    def _has_field_access(self, field, operation):
        # the record rules say who writes a recording (supervisors); its fields say what: only
        # ``keep``, the rest is the fetch's (as superuser). ``readonly`` alone would not stop an RPC
        # write.
        if operation == 'write' and not self.env.su and field.name not in USER_WRITABLE_FIELDS:
            return False
        return super()._has_field_access(field, operation)

    def write(self, vals):
        result = super().write(vals)
        if 'keep' in vals and not self.env.su:
            for recording in self:
                recording.call_id.sudo()._message_log(
                    body=self.env._("%(user)s marked the recording Keep.", user=self.env.user.name)
                    if vals['keep']
                    else self.env._(
                        "%(user)s no longer keeps the recording.", user=self.env.user.name
                    )
                )
        return result

    @api.model
    def _ameyo_play_refusal(self):
        return AccessError(
            self.env._(
                "You may not play this call's recording: recordings are for supervisors, and for "
                "the call's own agent when the company lets agents replay their calls."
            )
        )

    # ------------------------------------------------------------------
    # Fetching (as superuser: the callers checked who asks)
    # ------------------------------------------------------------------

    def _ameyo_fetch_refusal(self):
        """Why this recording is not to be asked for now, or None."""
        self.ensure_one()
        if self.state == 'fetched':
            return self.env._("The recording is already on this call.")
        if self.state == 'purged':
            return self.env._(
                "The recording was deleted on %(date)s, when the company's retention was over.",
                date=self.purged_at,
            )
        if self.state == 'unavailable':
            return self.env._(
                "Ameyo no longer has this recording: %(reason)s", reason=self.error or ''
            )
        server = self.call_id.server_id
        if not server.active:
            return self.env._(
                "The Ameyo server %(server)s is archived: Odoo does not call it.",
                server=server.name,
            )
        return None

    def _ameyo_window_end(self):
        """Until when Ameyo keeps this recording (the server's window, from the call)."""
        self.ensure_one()
        call = self.call_id
        return (call.connected_at or call.create_date) + timedelta(
            days=call.server_id.recording_retention_days
        )

    def _ameyo_fetch(self):
        """Ask Ameyo once for this recording and record the outcome: fetched, or the failure and
        when to try again (``unavailable`` once Ameyo's window is over)."""
        self.ensure_one()
        if self.state != 'pending':
            return
        call = self.call_id
        server = call.server_id
        if fields.Datetime.now() >= self._ameyo_window_end():
            self._ameyo_unavailable(
                self.error
                or self.env._(
                    "Not fetched within the %(days)s days Ameyo keeps recordings.",
                    days=server.recording_retention_days,
                )
            )
            return
        client = server._get_ameyo_client()
        session = call._ameyo_agent_session() or None
        for api_name in self._ameyo_recording_apis(server, session):
            try:
                data, mimetype = client.download_voice_log(
                    call.crt_object_id,
                    target_format=server.recording_format,
                    campaign_id=call.ameyo_campaign_ref,
                    call_id=call.ameyo_call_id,
                    session_id=session,
                    api=api_name,
                    max_bytes=server.recording_max_mb * 1024 * 1024,
                )
            except AmeyoError as error:
                # the next API only where Ameyo refused this one's credentials or has no such API: a
                # download that may be under way (a timeout) is not doubled
                failure = error
                if error.kind == 'auth' or error.status == 404:
                    continue
                break
            self._ameyo_store(data, mimetype)
            return
        self._ameyo_failed(str(failure.args[0]))

    @api.model
    def _ameyo_recording_apis(self, server, session):
        """The voice-log APIs to ask, in order, as the server's Recording API
        (const.RECORDING_API_CHOICES) and the agent's ``session`` allow: ``'webaccess'`` (the
        guide's downloadVoiceLog command, the hash key), ``'rest'``
        (/ameyorestapi/cc/downloadVoiceLog, the agent's session)."""
        if server.recording_api != 'auto':
            return [server.recording_api]
        if not server.sudo().hash_key:
            return ['rest'] if session else ['webaccess']
        return ['webaccess', 'rest'] if session else ['webaccess']

    def _ameyo_store(self, data, mimetype):
        """Keep ``data`` (audio, checked by the client) as this recording; tell the contact or
        lead."""
        self.ensure_one()
        wait_for_lock(self)  # the button and the cron may race for it
        if self.state != 'pending':
            return  # fetched meanwhile by another worker
        self.write(
            {
                'audio': base64.b64encode(data),
                'mimetype': mimetype,
                'file_size': len(data),
                'duration': wav_duration(data) if mimetype == 'audio/wav' else False,
                'state': 'fetched',
                'fetched_at': fields.Datetime.now(),
                'error': False,
                'next_try': False,
            }
        )
        call = self.call_id
        call._message_log(
            body=self.env._(
                "Recording fetched from Ameyo (%(format)s, %(size)s KB).",
                format=RECORDING_EXTENSIONS[mimetype].upper(),
                size=max(1, len(data) // 1024),
            )
        )
        target = call.lead_id or call.partner_id
        if target:
            # a link to the call, never the file: a message's attachment is readable by every reader
            # of the chatter (the message store hands out its access token) read by anyone,
            # anywhere, later: the time of the call in the company's time zone (else the agent's),
            # named; never the time zone of the cron's user who stores it
            tz = call.company_id.partner_id.tz or call.user_id.tz or 'UTC'
            link = call._get_html_link(
                title=self.env._(
                    "Call %(phone)s of %(date)s (%(tz)s)",
                    phone=call.phone or call.crt_object_id or '',
                    tz=tz,
                    date=format_datetime(self.env, call.connected_at or call.create_date, tz=tz),
                )
            )
            target.message_post(
                body=self.env._("The recording of this call is available: %(link)s", link=link),
                subtype_xmlid='mail.mt_note',
            )

    def _ameyo_failed(self, reason):
        """Record a failed try: retried with backoff within Ameyo's window, ``unavailable`` after
        it."""
        self.ensure_one()
        now = fields.Datetime.now()
        window_end = self._ameyo_window_end()
        attempts = self.attempts + 1
        if now >= window_end:
            self.attempts = attempts
            self._ameyo_unavailable(reason)
            return
        delay = RECORDING_BACKOFF_MINUTES[min(attempts, len(RECORDING_BACKOFF_MINUTES)) - 1]
        self.write(
            {
                'attempts': attempts,
                'error': reason[:500],
                'next_try': min(now + timedelta(minutes=delay), window_end),
            }
        )

    def _ameyo_unavailable(self, reason):
        self.ensure_one()
        self.write({'state': 'unavailable', 'error': reason[:500], 'next_try': False})
        self.call_id._message_log(body=self.env._("No recording: %(reason)s", reason=reason))

    def _ameyo_fetch_isolated(self):
        """:meth:`_ameyo_fetch` for the cron: whatever fails inside Odoo for this recording is
        recorded on it as a failed try, and never stops the run."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._ameyo_fetch()
        # one recording's failure must not stop the others
        except Exception as crash:  # noqa: BLE001
            _logger.exception("Fetching recording %s of an Ameyo call leg failed in Odoo", self.id)
            try:
                with self.env.cr.savepoint():
                    self._ameyo_failed(
                        self.env._(
                            "Odoo failed while fetching it (%(error)s).", error=type(crash).__name__
                        )
                    )
            except Exception:  # noqa: BLE001
                _logger.exception("The failure of recording %s could not be recorded", self.id)

    @api.model
    def _ameyo_due_domain(self):
        """The legs whose recording is to be asked for now, on servers Odoo calls (a neutralized
        copy has none)."""
        return Domain(
            'recording_id',
            'any',
            Domain('state', '=', 'pending') & Domain('next_try', '<=', fields.Datetime.now()),
        ) & Domain('server_id.active', '=', True)

    @api.model
    def _cron_fetch_recordings(self, limit=RECORDING_BATCH):
        """Fetch the recordings that are due, each on its own, the oldest calls first (nearest to
        the end of Ameyo's window); report what is left; keep to the run's time."""
        self.env['ameyo.call']._ameyo_cron_batch(
            self._ameyo_due_domain(),
            'connected_at, id',
            limit,
            lambda leg: leg.recording_id._ameyo_fetch_isolated(),
        )

    # ------------------------------------------------------------------
    # Keeping
    # ------------------------------------------------------------------

    @api.model
    def _ameyo_purge_domain(self):
        """The legs whose fetched recording is older than their company keeps them (0: forever), not
        marked Keep."""
        now = fields.Datetime.now()
        expired = Domain.OR(
            Domain('company_id', '=', company.id)
            & Domain('connected_at', '<', now - timedelta(days=company.ameyo_recording_keep_days))
            for company in self.env['res.company']
            .sudo()
            .search([('ameyo_recording_keep_days', '>', 0)])
        )
        return (
            Domain(
                'recording_id', 'any', Domain('state', '=', 'fetched') & Domain('keep', '=', False)
            )
            & expired
        )

    @api.model
    def _cron_purge_recordings(self, limit=RECORDING_BATCH):
        """Delete the recordings whose retention is over, in batches; the records stay, marked
        ``purged``.

        Odoo's filestore garbage collection frees the files' space afterwards.
        """
        self.env['ameyo.call']._ameyo_cron_batch(
            self._ameyo_purge_domain(),
            'connected_at, id',
            limit,
            lambda leg: leg.recording_id._ameyo_purge_isolated(),
        )

    def _ameyo_purge_isolated(self):
        """:meth:`_ameyo_purge` for the cron: a recording that fails inside Odoo is logged and left
        as it was (the next run tries it again), and never stops the run."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._ameyo_purge()
        except Exception:  # noqa: BLE001 (one recording's failure must not stop the others)
            _logger.exception("Deleting recording %s of an Ameyo call leg failed in Odoo", self.id)

    def _ameyo_purge(self):
        self.ensure_one()
        self.write({'audio': False, 'state': 'purged', 'purged_at': fields.Datetime.now()})
        self.call_id._message_log(
            body=self.env._(
                "Recording deleted: the company keeps recordings %(days)s days.",
                days=self.company_id.ameyo_recording_keep_days,
            )
        )

    # ------------------------------------------------------------------
    # Who listened
    # ------------------------------------------------------------------

    def _ameyo_log_access(self, kind, seek=False):
        """Record that the current user got this recording (``stream`` or ``download``): one line
        per play. ``seek``: the request asks for a later part of the file (the player's further
        range requests of a play), recorded only when this user has no line for this recording in
        the last ``RECORDING_PLAY_HOURS`` hours (a seek is never a way to listen unrecorded)."""
        self.ensure_one()
        Access = self.env['ameyo.recording.access'].sudo()
        if seek and Access.search_count(
            [
                ('recording_id', '=', self.id),
                ('user_id', '=', self.env.uid),
                (
                    'accessed_at',
                    '>=',
                    fields.Datetime.now() - timedelta(hours=RECORDING_PLAY_HOURS),
                ),
            ],
            limit=1,
        ):
            return
        Access.create({'recording_id': self.id, 'user_id': self.env.uid, 'kind': kind})

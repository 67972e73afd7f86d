"""What a call leg knows of its recording (Ameyo's "voice log"; the recording itself is
``ameyo.call.recording``).

The leg points to its current recording (``recording_id``, the newest: the one that plays) and
keeps its state in a stored field that lists, filters and Needing Attention read
(``recording_state``). A leg that was connected and is over gets its recording to fetch
(:meth:`_ameyo_expect_recording`, called when the leg leaves its live state). *Fetch Recording*
asks Ameyo at once; ``recording_url`` is where the current user plays it, empty when the record
rules of the recording do not let them.
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..const import ENDED_STATES
from ..tools.notification import SOFT_RELOAD, notification, sentence

_logger = logging.getLogger(__name__)


class AmeyoCallVoiceLogMixin(models.AbstractModel):
    _name = 'ameyo.call.voice.log.mixin'
    _description = 'Ameyo Call Leg: Recording'

    recording_id = fields.Many2one(
        'ameyo.call.recording',
        readonly=True,
        copy=False,
        index='btree_not_null',
        ondelete='set null',
        help="The leg's current recording (the newest: the one that plays).",
    )
    recording_state = fields.Selection(
        related='recording_id.state',
        store=True,
        index=True,
        string="Recording State",
        help="Pending: Odoo will fetch it from Ameyo. Fetched: it is on this call. Unavailable: "
        "Ameyo no longer keeps it, or never had it. Purged: deleted after the company's retention. "
        "Empty: no recording is expected (the call was never connected, or is not over).",
    )
    recording_url = fields.Char(
        compute='_compute_recording_url',
        string="Recording Player",
        help="Where the current user plays the recording (the recording route, which records each "
        "listen); empty when they may not.",
    )

    @api.depends('recording_state')
    @api.depends_context('uid')
    def _compute_recording_url(self):
        fetched = self.sudo().recording_id.filtered(lambda recording: recording.state == 'fetched')
        # the recording's record rules decide
        playable = fetched.with_env(self.env)._filtered_access('read')
        for call in self:
            call.recording_url = (
                f'/ameyo/recording/{call.id}' if call.recording_id in playable else False
            )

    def _ameyo_expect_recording(self):
        """Give each leg of ``self`` that was connected and is over, and has no recording yet, its
        recording to fetch: pending, first asked for the server's delay from now (Ameyo writes the
        file after the call)."""
        legs = self.filtered(lambda leg: leg._ameyo_recording_first_try(leg.state))
        if not legs:
            return
        recordings = (
            self.env['ameyo.call.recording']
            .sudo()
            .create(
                [
                    {
                        'call_id': leg.id,
                        'next_try': leg._ameyo_recording_first_try(leg.state),
                    }
                    for leg in legs
                ]
            )
        )
        for leg, recording in zip(legs.sudo(), recordings, strict=True):
            leg.recording_id = recording

    def _ameyo_recording_first_try(self, state):
        """When this leg, in ``state``, first asks Ameyo for its recording (the server's delay from
        now): a leg that was connected and is over, with no recording yet; else False.
        :meth:`_ameyo_expect_recording`, and the pop's end of the agent's earlier legs
        (``ameyo.call._ameyo_write_ended``) in one statement."""
        self.ensure_one()
        if not self.connected_at or state not in ENDED_STATES or self.recording_id:
            return False
        return fields.Datetime.now() + timedelta(minutes=self.server_id.recording_delay_minutes)

    def action_fetch_recording(self):
        """Fetch this leg's recording now (supervisors, and the call's own agent); say what
        happened.

        Always a notification, whatever goes wrong: Ameyo's reason, a refusal, an error inside Odoo.
        """
        try:
            self.ensure_one()
            self.check_access('read')
            if self.user_id != self.env.user and not self.env.user.has_group(
                'crm_ameyo.group_ameyo_supervisor'
            ):
                raise AccessError(
                    self.env._("Only the call's agent or a supervisor can fetch its recording.")
                )
            recording = self.sudo().recording_id
            refusal = (
                recording._ameyo_fetch_refusal()
                if recording
                else self.env._(
                    "This call has no recording: it was never connected, or it is not over yet."
                )
            )
            if refusal:
                return notification(self.env._("No recording fetched"), refusal, 'warning')
            recording._ameyo_fetch()
        except (AccessError, UserError) as error:
            return notification(self.env._("No recording fetched"), str(error.args[0]), 'danger')
        except ValueError:  # not one leg
            return notification(
                self.env._("No recording fetched"),
                self.env._("Fetch the recording of one call at a time."),
                'danger',
            )
        # the caller gets a message, the log the traceback
        except Exception as crash:  # noqa: BLE001
            _logger.exception(
                "Fetching the recording of Ameyo call leg %s failed in Odoo", self.ids
            )
            return notification(
                self.env._("No recording fetched"),
                self.env._(
                    "Odoo failed while fetching the recording (%(error)s).",
                    error=type(crash).__name__,
                ),
                'danger',
            )
        if recording.state == 'fetched':
            return notification(
                self.env._("Recording fetched"),
                self.env._("The recording is on the call."),
                'success',
                next_action=SOFT_RELOAD,
            )
        if recording.state == 'unavailable':
            return notification(
                self.env._("No recording"),
                recording.error or '',
                'warning',
                next_action=SOFT_RELOAD,
            )
        return notification(
            self.env._("Recording not fetched yet"),
            self.env._("%(reason)s Odoo tries again on its own.", reason=sentence(recording.error)),
            'warning',
            next_action=SOFT_RELOAD,
        )

"""Recordings end to end against the simulator: fetched on demand and by cron, checked, retried,
purged."""

import base64
import json
import logging
import time
from datetime import timedelta
from unittest.mock import patch
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tools import format_datetime, mute_logger

from ..models.ameyo_call_recording import RECORDING_BACKOFF_MINUTES
from ..simulator import HTML_LOGIN_PAGE, make_mp3, make_wav, recording_mp3, recording_wav
from ..simulator.wire import RECORDING_SECONDS
from .common import (
    CLIENT_LOGGER,
    AmeyoTransactionCase,
    SimulatorCase,
    create_call_leg,
    run_migration,
)

RECORDING_LOGGER = 'odoo.addons.crm_ameyo.models.ameyo_call_recording'


class RecordingCase(SimulatorCase):
    def setUp(self):
        super().setUp()
        self.server.write(
            {
                'api_flavour': 'rest',
                'recording_api': 'rest',
                'recording_format': 'mp3',
                'recording_delay_minutes': 5,
                'recording_retention_days': 7,
                'recording_max_mb': 50,
            }
        )
        self.partner = self.env['res.partner'].create(
            {'name': 'Meera Iyer', 'phone': '+91 97400 11223'}
        )
        self.env['ameyo.agent.session'].search([]).unlink()
        self.env.flush_all()
        self.registry_enter_test_mode()  # the cron runs in a transaction of its own

    def ended_leg(
        self,
        agent=None,
        user_id='t.agent-a@acme',
        connected_ago=timedelta(minutes=10),
        due=True,
        state='disposed',
        **values,
    ):
        """A call Ameyo connected to the agent and that is over, and its leg in Odoo (due for its
        recording)."""
        agent = agent or self.agent_a
        call = self.sim.start_call(user_id, '101', '9740011223')
        self.sim.hangup(call)
        leg = self.create_leg(
            call['crtObjectId'],
            agent,
            call['userCrtObjectId'],
            ameyo_campaign_ref='101',
            ameyo_call_id=call['callId'],
            connected_at=fields.Datetime.now() - connected_ago,
            state=state,
            partner_id=self.partner.id,
            **values,
        )
        # expected at once: the next try below stays as written
        self.assertEqual(leg.recording_state, 'pending')
        if due:
            leg.recording_id.next_try = fields.Datetime.now() - timedelta(seconds=1)
        return call, leg

    def fetch(self, leg, user=None):
        with mute_logger(CLIENT_LOGGER, RECORDING_LOGGER):
            return leg.with_user(user or self.agent_a).action_fetch_recording()

    def run_cron(self, xmlid='crm_ameyo.ir_cron_ameyo_fetch_recordings'):
        return self.run_cron_job(xmlid, RECORDING_LOGGER)

    def recording(self, leg):
        """The file of the leg's recording: the attachment of its ``audio`` field."""
        return self.env['ir.attachment'].search(
            [
                ('res_model', '=', 'ameyo.call.recording'),
                ('res_id', '=', leg.recording_id.id),
                ('res_field', '=', 'audio'),
            ]
        )

    def voice_log_requests(self):
        return self.sim.requests_for('downloadVoiceLog')


class TestRecordingFetch(RecordingCase):
    def test_a_recording_is_expected_only_from_a_connected_call_that_is_over(self):
        _call, leg = self.ended_leg(due=False)
        self.assertEqual(leg.recording_state, 'pending')
        # the first try waits for the server's delay: Ameyo writes the file after the call
        self.assertGreater(leg.recording_id.next_try, fields.Datetime.now() + timedelta(minutes=4))
        live = self.create_leg(
            'd928-live-vce-1',
            self.agent_a,
            'u-live-1',
            connected_at=fields.Datetime.now(),
            state='connected',
        )
        never_connected = self.create_leg(
            'd928-preview-vce-2', self.agent_a, 'u-prev-2', state='preview'
        )
        never_connected._ameyo_update_state('disposed')  # a preview disposed without a call
        self.assertEqual((live.recording_state, never_connected.recording_state), (False, False))
        self.assertFalse((live | never_connected).recording_id)
        # the agent saved the outcome: the conversation is over
        live._ameyo_update_state('dispose_pending')
        self.assertEqual(live.recording_state, 'pending')
        self.assertEqual(live.recording_id.call_id, live)
        live._ameyo_update_state('disposed')  # still the same recording
        self.assertEqual(
            len(self.env['ameyo.call.recording'].search([('call_id', '=', live.id)])), 1
        )
        self.assertEqual(self.fetch(never_connected)['params']['type'], 'warning')
        self.assertFalse(self.voice_log_requests())

    def test_fetch_on_demand_in_both_formats(self):
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a)
        for fmt, mimetype, audio in (
            ('mp3', 'audio/mpeg', recording_mp3()),
            ('wav', 'audio/wav', recording_wav()),
        ):
            with self.subTest(fmt=fmt):
                self.server.recording_format = fmt
                _call, leg = self.ended_leg(due=False)  # not due yet: the button asks anyway
                action = self.fetch(leg)
                self.assertEqual(
                    (action['params']['type'], action['params']['title']),
                    ('success', 'Recording fetched'),
                )
                self.assertEqual(leg.recording_state, 'fetched')
                recording = leg.recording_id
                self.assertTrue(recording.fetched_at)
                self.assertEqual(
                    (
                        recording.call_id,
                        recording.mimetype,
                        recording.file_size,
                        recording.duration,
                    ),
                    (leg, mimetype, len(audio), RECORDING_SECONDS if fmt == 'wav' else 0),
                )
                self.assertEqual(base64.b64decode(recording.audio), audio)
                attachment = self.recording(leg)  # Odoo's attachment of the field: the file
                self.assertEqual(attachment.raw, audio)
                request = self.voice_log_requests()[-1]
                self.assertEqual(request['path'], '/ameyorestapi/cc/downloadVoiceLog')
                self.assertEqual(request['query']['targetFormat'], [fmt])
                # the agent's session
                self.assertEqual(request['headers'].get('sessionId'), self.session_a)
                # the customer's chatter links to the call, never to the file
                note = self.partner.message_ids[0]
                self.assertIn(f'data-oe-model="ameyo.call" data-oe-id="{leg.id}"', str(note.body))
                self.assertFalse(note.attachment_ids)
                # already there: not asked again
                self.assertEqual(self.fetch(leg)['params']['type'], 'warning')
        self.assertEqual(len(self.voice_log_requests()), 2)

    def test_legacy_flavour_uses_the_token_headers(self):
        self.server.write(
            {'api_flavour': 'legacy', 'recording_api': 'webaccess', 'recording_format': 'wav'}
        )
        _call, leg = self.ended_leg()
        self.fetch(leg)
        self.assertEqual(leg.recording_id.mimetype, 'audio/wav')
        [request] = self.voice_log_requests()
        self.assertEqual(request['query']['command'], ['downloadVoiceLog'])
        self.assertEqual(
            json.loads(request['query']['data'][0]),
            {'crtObjectId': leg.crt_object_id, 'targetFormat': 'wav'},
        )
        self.assertEqual(request['headers'].get('hash-key'), 'test-hash-key-SECRET')

    def test_the_cron_fetches_the_due_recordings(self):
        _call, due = self.ended_leg()
        _call, later = self.ended_leg(due=False)
        self.server.recording_format = 'wav'
        _call, also_due = self.ended_leg()
        self.run_cron()
        self.assertEqual(
            (due.recording_state, also_due.recording_state, later.recording_state),
            ('fetched', 'fetched', 'pending'),
        )
        self.assertEqual(due.recording_id.mimetype, 'audio/wav')
        self.assertEqual(len(self.voice_log_requests()), 2)
        self.assertIn('The recording of this call is available', self.partner.message_ids[0].body)

    def test_the_note_dates_the_call_in_the_companys_time_zone_named(self):
        """The note on the contact is read by anyone, later: the time of the call is the company's,
        and says so; never the time zone of the cron's user who wrote it."""
        cron = self.env.ref('crm_ameyo.ir_cron_ameyo_fetch_recordings')
        cron.user_id.tz = 'America/New_York'
        self.server.company_id.partner_id.tz = 'Asia/Kolkata'
        _call, leg = self.ended_leg()
        self.run_cron()
        body = str(self.partner.message_ids[0].body)
        self.assertIn('The recording of this call is available', body)
        kolkata = format_datetime(self.env, leg.connected_at, tz='Asia/Kolkata')
        new_york = format_datetime(self.env, leg.connected_at, tz='America/New_York')
        self.assertNotEqual(kolkata, new_york)
        self.assertIn(f'Call {leg.phone} of {kolkata} (Asia/Kolkata)', body)

    def test_the_cron_in_mp3_and_the_mpeg_frame_sync_without_id3(self):
        self.server.recording_format = 'mp3'
        call, leg = self.ended_leg()
        _call, tagged = self.ended_leg()
        self.sim.set_voice_log(tagged.crt_object_id, body=make_mp3(id3=True))
        self.run_cron()
        # the LAME fixture starts with a frame, no ID3 tag
        self.assertEqual(recording_mp3()[:2], b'\xff\xe3')
        self.assertEqual(
            (leg.recording_id.mimetype, tagged.recording_id.mimetype), ('audio/mpeg',) * 2
        )

    def test_every_non_audio_200_is_a_failure_retried_later(self):
        """Ameyo answers failures with HTTP 200: only audio bytes are stored, whatever the
        Content-Type."""
        shapes = (
            (b'', None, 'empty answer'),
            (b'null', None, 'Ameyo answered null'),
            (HTML_LOGIN_PAGE.encode(), None, 'Ameyo - Login'),
            (
                b'{"message": "Voice log could not be found for crtObjectId x"}',
                None,
                'could not be found',
            ),
            (b'{"error": "file missing"}', None, 'file missing'),
            (b'GIF89a' + bytes(40), 'audio/mpeg', 'not an audio file'),
            (b'RIFF\x00\x00\x00\x00AVI LIST' + bytes(40), 'audio/wav', 'not an audio file'),
            # an audio header with no sound after it: a RIFF/WAVE with no data chunk, its data chunk
            # empty, an ID3 tag with no MPEG frame after it
            (b'RIFF\x04\x00\x00\x00WAVE', None, 'not an audio file'),
            (make_wav()[: make_wav().index(b'data') + 8], None, 'not an audio file'),
            (make_mp3()[: make_mp3().index(b'\xff\xfb')], 'audio/mpeg', 'not an audio file'),
            (
                make_mp3()[: make_mp3().index(b'\xff\xfb')] + b'\x00' * 600,
                None,
                'not an audio file',
            ),
        )
        for body, content_type, reason in shapes:
            with self.subTest(reason=reason):
                _call, leg = self.ended_leg()
                if content_type:
                    self.sim.inject(
                        'downloadVoiceLog', status=200, body=body, content_type=content_type
                    )
                else:
                    self.sim.set_voice_log(leg.crt_object_id, body=body)
                action = self.fetch(leg)
                self.assertEqual(action['params']['type'], 'warning')
                self.assertEqual((leg.recording_state, leg.recording_id.attempts), ('pending', 1))
                self.assertIn(reason, leg.recording_id.error)
                self.assertFalse(self.recording(leg))
                self.assertGreater(
                    leg.recording_id.next_try,
                    fields.Datetime.now() + timedelta(minutes=RECORDING_BACKOFF_MINUTES[0] - 1),
                )

    def test_a_dropped_connection_and_an_oversized_recording(self):
        _call, dropped = self.ended_leg()
        self.sim.inject('downloadVoiceLog', drop=True)
        self.fetch(dropped)
        self.assertEqual(dropped.recording_state, 'pending')
        self.assertIn('closed the connection', dropped.recording_id.error)
        # not resent at once: the backoff asks again
        self.assertEqual(len(self.voice_log_requests()), 1)
        self.server.recording_max_mb = 1
        _call, big = self.ended_leg()
        self.sim.set_voice_log(big.crt_object_id, body=make_wav(seconds=70))  # 1.1 MB
        self.fetch(big)
        self.assertEqual(big.recording_state, 'pending')
        self.assertIn('larger than 1.0 MB', big.recording_id.error)
        self.assertFalse(self.recording(big))
        # a size Ameyo does not announce is counted while it streams in
        _call, chunked = self.ended_leg()
        self.sim.set_voice_log(chunked.crt_object_id, body=make_wav(seconds=70))
        self.sim.inject(
            'downloadVoiceLog',
            status=200,
            body=make_wav(seconds=70),
            content_type='audio/wav',
            chunked=True,
        )
        self.fetch(chunked)
        self.assertIn('larger than 1.0 MB', chunked.recording_id.error)

    def test_a_timeout(self):
        _call, leg = self.ended_leg()
        self.sim.inject('downloadVoiceLog', delay=12)  # past the client's timeout (10 s in tests)
        self.fetch(leg)
        self.assertEqual(leg.recording_state, 'pending')
        self.assertIn('did not answer within', leg.recording_id.error)
        self.assertEqual(len(self.voice_log_requests()), 1)

    def test_the_simulator_delay_and_failure_share(self):
        self.sim.recording_delay = 3600
        _call, early = self.ended_leg()
        self.fetch(early)
        self.assertIn('could not be found', early.recording_id.error)
        self.sim.recording_delay = 0
        self.sim.recording_failure_share = 1
        _call, failing = self.ended_leg()
        self.fetch(failing)
        self.assertEqual(failing.recording_state, 'pending')
        self.assertFalse(self.recording(failing))

    def test_ameyo_window(self):
        """Within the days Ameyo keeps recordings, retried; after them unavailable, never asked
        again."""
        _call, old = self.ended_leg(connected_ago=timedelta(days=8))
        _call, closing = self.ended_leg(connected_ago=timedelta(days=7) - timedelta(minutes=1))
        self.sim.set_voice_log(closing.crt_object_id, body=b'null')
        self.run_cron()
        # older than the window: not asked at all
        self.assertEqual(old.recording_state, 'unavailable')
        self.assertIn('within the 7 days Ameyo keeps', old.recording_id.error)
        self.assertEqual(
            [r['query']['crtObjectId'] for r in self.voice_log_requests()],
            [[closing.crt_object_id]],
        )
        # the next try is the window's end, not later
        self.assertEqual(closing.recording_state, 'pending')
        self.assertLessEqual(
            closing.recording_id.next_try, closing.recording_id._ameyo_window_end()
        )
        # the window closed (as time passes): unavailable with the last reason, without asking Ameyo
        # again
        closing.sudo().connected_at = closing.connected_at - timedelta(days=1)
        closing.recording_id.next_try = fields.Datetime.now() - timedelta(seconds=1)
        self.run_cron()
        self.assertEqual(closing.recording_state, 'unavailable')
        self.assertIn('Ameyo answered null', closing.recording_id.error)
        self.assertFalse(closing.recording_id.next_try)
        self.assertEqual(len(self.voice_log_requests()), 1)
        self.assertEqual(self.fetch(closing)['params']['type'], 'warning')
        self.assertEqual(len(self.voice_log_requests()), 1)

    def test_one_leg_cannot_stop_the_cron(self):
        """An unreachable server, a dropped connection and a good leg: each is dealt with, the run
        succeeds."""
        other = self.env['ameyo.server'].create(
            {'name': 'Gone', 'base_url': 'http://127.0.0.1:1', 'hash_key': 'x-hash-key'}
        )
        stranded = create_call_leg(
            self.env,
            {
                'server_id': other.id,
                'crt_object_id': 'd928-gone-vce-1',
                'user_id': self.agent_b.id,
                'state': 'disposed',
                'connected_at': fields.Datetime.now() - timedelta(minutes=10),
            },
        )
        self.assertEqual(stranded.recording_state, 'pending')
        stranded.recording_id.next_try = fields.Datetime.now() - timedelta(seconds=1)
        _call, dropped = self.ended_leg()
        _call, good = self.ended_leg()
        self.sim.inject(dropped.crt_object_id, drop=True)
        cron = self.run_cron()
        self.assertEqual(cron.failure_count, 0)
        self.assertEqual(
            (stranded.recording_state, dropped.recording_state, good.recording_state),
            ('pending', 'pending', 'fetched'),
        )
        self.assertIn('unreachable', stranded.recording_id.error)

    def test_the_cron_reports_what_is_left_and_keeps_to_its_time(self):
        legs = [self.ended_leg()[1] for _index in range(3)]
        cron = self.env.ref('crm_ameyo.ir_cron_ameyo_fetch_recordings')
        progress = self.env['ir.cron.progress'].create(
            {'cron_id': cron.id, 'remaining': 0, 'done': 0}
        )
        self.env.flush_all()
        with self.registry.cursor() as cr, mute_logger(CLIENT_LOGGER, RECORDING_LOGGER):
            self.env(cr=cr)['ameyo.call.recording'].with_context(
                cron_id=cron.id,
                ir_cron_progress_id=progress.id,
                cron_end_time=time.monotonic(),
            )._cron_fetch_recordings(limit=2)
        self.env.invalidate_all()
        self.assertEqual([leg.recording_state for leg in legs], ['fetched', 'pending', 'pending'])
        self.assertEqual((progress.done, progress.remaining), (1, 2))

    def test_neutralized_or_archived_servers_are_not_asked(self):
        _call, leg = self.ended_leg()
        self.server.active = False
        self.run_cron()
        self.assertEqual(leg.recording_state, 'pending')
        action = self.fetch(leg)
        self.assertEqual(action['params']['type'], 'warning')
        self.assertIn('archived', action['params']['message'])
        self.assertFalse(self.voice_log_requests())

    def test_who_may_fetch(self):
        _call, leg = self.ended_leg()
        # another agent's call: a notification, no traceback
        action = self.fetch(leg, user=self.agent_b)
        self.assertEqual(
            (action['tag'], action['params']['type']), ('display_notification', 'danger')
        )
        self.assertEqual(self.fetch(leg, user=self.supervisor)['params']['type'], 'success')
        self.assertEqual(self.fetch(leg.browse(), user=self.supervisor)['params']['type'], 'danger')

    def test_no_secret_in_the_logs(self):
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a)
        _call, rest = self.ended_leg()
        with self.assertLogs(logging.getLogger(), level=logging.DEBUG) as captured:
            rest.with_user(self.agent_a).action_fetch_recording()
            self.server.write({'api_flavour': 'legacy', 'recording_api': 'webaccess'})
            _call, legacy = self.ended_leg()
            self.sim.set_voice_log(legacy.crt_object_id, body=HTML_LOGIN_PAGE)
            legacy.with_user(self.agent_a).action_fetch_recording()
        # Odoo's SQL log aside (Ameyo's agent leg ids embed the session id: that is Ameyo's doing)
        output = '\n'.join(
            record.getMessage() for record in captured.records if record.name != 'odoo.sql_db'
        )
        self.assertIn('downloadVoiceLog', output)
        for secret in ('test-hash-key-SECRET', self.session_a):
            self.assertNotIn(secret, output)

    def test_the_legacy_data_parameter_is_masked(self):
        """Without token-policy credentials the legacy download sends the agent's session in its
        JSON ``data`` query parameter: in no log line, urllib3's request lines at DEBUG included."""
        self.server.write(
            {'api_flavour': 'legacy', 'recording_api': 'webaccess', 'hash_key': False}
        )
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a)
        _call, leg = self.ended_leg()
        with self.capture_every_log() as captured:
            leg.with_user(self.agent_a).action_fetch_recording()
        self.assertEqual(leg.recording_state, 'fetched')
        request = self.voice_log_requests()[-1]
        # it was sent there
        self.assertIn(self.session_a, parse_qs(urlsplit(request['target']).query)['data'][0])
        output = '\n'.join(
            record.getMessage() for record in captured.records if record.name != 'odoo.sql_db'
        )
        self.assertIn('downloadVoiceLog', output)
        self.assertIn('data=***', output)
        for secret in (self.session_a, quote(self.session_a), quote_plus(self.session_a)):
            self.assertNotIn(secret, output)


class TestRecordingPurge(RecordingCase):
    def test_expired_recordings_are_deleted_the_calls_stay(self):
        self.env.company.ameyo_recording_keep_days = 30
        legs = {}
        for name, ago, keep in (('old', 40, False), ('disputed', 40, True), ('recent', 10, False)):
            _call, leg = self.ended_leg(connected_ago=timedelta(days=5))
            self.fetch(leg)
            leg.sudo().connected_at = fields.Datetime.now() - timedelta(days=ago)
            leg.recording_id.keep = keep
            legs[name] = leg
        attachment = self.recording(legs['old'])
        self.run_cron('crm_ameyo.ir_cron_ameyo_purge_recordings')
        self.assertEqual(legs['old'].recording_state, 'purged')
        self.assertTrue(legs['old'].recording_id.purged_at)
        self.assertFalse(attachment.exists())
        self.assertTrue(legs['old'].exists())
        self.assertEqual(
            (legs['disputed'].recording_state, legs['recent'].recording_state),
            ('fetched', 'fetched'),
        )
        # purged: not fetched again
        self.assertEqual(self.fetch(legs['old'])['params']['type'], 'warning')
        # 0 keeps them forever
        self.env.company.ameyo_recording_keep_days = 0
        legs['disputed'].recording_id.keep = False
        self.run_cron('crm_ameyo.ir_cron_ameyo_purge_recordings')
        self.assertEqual(legs['disputed'].recording_state, 'fetched')

    def test_one_leg_cannot_stop_the_purge(self):
        """A leg whose purge fails inside Odoo is logged and left as it was; the others are purged,
        the run succeeds, the broken one is tried again at the next run."""
        self.env.company.ameyo_recording_keep_days = 30
        legs = []
        for ago in (50, 45, 40):
            _call, leg = self.ended_leg(connected_ago=timedelta(days=5))
            self.fetch(leg)
            leg.sudo().connected_at = fields.Datetime.now() - timedelta(days=ago)
            legs.append(leg)
        broken = legs[0]  # the first of the run
        Recording = type(self.env['ameyo.call.recording'])
        purge = Recording._ameyo_purge

        def purge_or_fail(recording):
            if recording.call_id.id == broken.id:
                recording.write({'state': 'purged'})  # rolled back with the recording's failure
                raise ValueError("the filestore is gone")
            return purge(recording)

        with patch.object(Recording, '_ameyo_purge', purge_or_fail):
            cron = self.run_cron('crm_ameyo.ir_cron_ameyo_purge_recordings')
        self.assertEqual(cron.failure_count, 0)
        self.assertEqual([leg.recording_state for leg in legs], ['fetched', 'purged', 'purged'])
        self.assertTrue(self.recording(broken))
        self.run_cron('crm_ameyo.ir_cron_ameyo_purge_recordings')
        self.assertEqual(broken.recording_state, 'purged')
        self.assertFalse(self.recording(broken))

    def test_supervisors_mark_a_call_kept(self):
        _call, leg = self.ended_leg()
        leg.recording_id.with_user(self.supervisor).keep = True
        self.assertTrue(leg.recording_id.keep)
        self.assertIn('marked the recording Keep', str(leg.message_ids[0].body))
        self.env.company.ameyo_agents_replay = True  # they read it: writing is still not theirs
        with self.assertRaises(AccessError):
            leg.recording_id.with_user(self.agent_a).keep = False
        # Keep, and nothing else: the rest is the fetch's
        for values in (
            {'state': 'purged'},
            {'error': 'made up'},
            {'next_try': False},
            {'attempts': 9},
            {'keep': False, 'state': 'unavailable'},
        ):
            with self.subTest(values=values), self.assertRaises(AccessError):
                leg.recording_id.with_user(self.supervisor).write(values)
        self.assertRecordValues(
            leg.recording_id, [{'state': 'pending', 'keep': True, 'attempts': 0}]
        )


class TestRecordingClientRequests(RecordingCase):
    def test_the_rest_filters_carry_the_leg_call_id(self):
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a)
        call, leg = self.ended_leg()
        self.fetch(leg)
        request = self.voice_log_requests()[-1]
        query = parse_qs(urlsplit(request['target']).query)
        self.assertEqual(json.loads(query['filters'][0]), {'callId': call['callId']})
        self.assertEqual(query['campaignId'], ['101'])


class TestRecordingMigration(AmeyoTransactionCase):
    """19.0.1.5.0: the recordings of the legs, their files and who listened, as 19.0.1.4.0 kept them
    on the leg."""

    FORMER_COLUMNS = (
        'recording_next_try timestamp',
        'recording_attempts int4',
        'recording_error varchar',
        'recording_fetched_at timestamp',
        'recording_purged_at timestamp',
        'recording_keep bool',
    )

    def former_leg(self, recording_state, **former):
        """A leg as 19.0.1.4.0 left it: its recording's life in its own columns, no recording
        record."""
        leg = self.create_leg(
            self.new_crt(),
            self.agent_a,
            state='disposed',
            connected_at=fields.Datetime.now() - timedelta(days=2),
        )
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM ameyo_call_recording WHERE call_id = %s", [leg.id])
        assignments = ', '.join(f'recording_{name} = %s' for name in former)
        self.env.cr.execute(
            f"UPDATE ameyo_call SET recording_id = NULL, recording_state = %s"  # noqa: S608
            f"{', ' if former else ''}{assignments} WHERE id = %s",
            [recording_state, *former.values(), leg.id],
        )
        return leg

    def former_file(self, leg, data):
        return self.env['ir.attachment'].create(
            {
                'name': f'call-{leg.crt_object_id}.mp3',
                'raw': data,
                'mimetype': 'audio/mpeg',
                'res_model': 'ameyo.call',
                'res_id': leg.id,
            }
        )

    def test_the_recordings_of_19_0_1_4_0(self):
        cr = self.env.cr
        for column in self.FORMER_COLUMNS:
            cr.execute(f"ALTER TABLE ameyo_call ADD COLUMN {column}")
        cr.execute("ALTER TABLE ameyo_recording_access ALTER COLUMN recording_id DROP NOT NULL")
        fetched_on = fields.Datetime.now() - timedelta(days=1)
        fetched = self.former_leg('fetched', attempts=2, fetched_at=fetched_on, keep=True)
        twice = self.former_leg('fetched', attempts=0, fetched_at=fetched_on, keep=False)
        next_try = fields.Datetime.now() + timedelta(minutes=15)
        pending = self.former_leg(
            'pending', next_try=next_try, attempts=1, error='Ameyo answered null'
        )
        unavailable = self.former_leg('unavailable', attempts=6, error='could not be found')
        purged = self.former_leg(
            'purged', fetched_at=fetched_on, purged_at=fields.Datetime.now(), keep=False
        )
        never = self.former_leg(None)
        lost = self.former_leg('fetched', attempts=1, fetched_at=fetched_on)  # its file gone
        files = {
            'fetched': self.former_file(fetched, recording_mp3()),
            'older': self.former_file(twice, make_mp3(frames=4)),
            'newer': self.former_file(twice, make_mp3(frames=8)),
        }
        notes = self.env['ir.attachment'].create(
            {'name': 'notes.txt', 'raw': b'notes', 'res_model': 'ameyo.call', 'res_id': fetched.id}
        )
        # a voice note a user posted on the call's chatter: a message's attachment, not the call's
        # recording
        voice_note = self.former_file(fetched, make_mp3(frames=2))
        fetched.message_post(body='Listen to this', attachment_ids=voice_note.ids)
        stored = {name: attachment.store_fname for name, attachment in files.items()}
        self.env.flush_all()
        cr.execute(
            """INSERT INTO ameyo_recording_access (call_id, company_id, user_id, accessed_at, kind)
                      VALUES (%s, %s, %s, now() AT TIME ZONE 'UTC', 'stream')""",
            [fetched.id, fetched.company_id.id, self.supervisor.id],
        )
        crons = self.env.ref('crm_ameyo.ir_cron_ameyo_fetch_recordings') | self.env.ref(
            'crm_ameyo.ir_cron_ameyo_purge_recordings'
        )
        crons.model_id = self.env['ir.model']._get('ameyo.call')
        self.env.flush_all()

        run_migration(cr, '19.0.1.5.0', 'post-recording', '19.0.1.4.0')
        self.env.invalidate_all()

        self.assertRecordValues(
            fetched.recording_id,
            [
                {
                    'call_id': fetched.id,
                    'state': 'fetched',
                    'mimetype': 'audio/mpeg',
                    'file_size': len(recording_mp3()),
                    'attempts': 2,
                    'fetched_at': fetched_on,
                    'keep': True,
                    'next_try': False,
                }
            ],
        )
        self.assertEqual(base64.b64decode(fetched.recording_id.audio), recording_mp3())
        # the attachment rows, repointed in place: the stored files stay
        for name in ('fetched', 'newer'):
            with self.subTest(file=name):
                attachment = files[name]
                self.assertEqual(
                    (attachment.res_model, attachment.res_field, attachment.store_fname),
                    ('ameyo.call.recording', 'audio', stored[name]),
                )
        self.assertEqual(files['fetched'].res_id, fetched.recording_id.id)
        self.assertEqual(
            (notes.res_model, notes.res_id, notes.res_field), ('ameyo.call', fetched.id, False)
        )
        self.assertEqual(
            (voice_note.res_model, voice_note.res_id, voice_note.res_field),
            ('ameyo.call', fetched.id, False),
        )
        # two files (two workers raced): the newest plays, the older copy is deleted, its recording
        # purged
        copies = self.env['ameyo.call.recording'].search([('call_id', '=', twice.id)])
        self.assertEqual(sorted(copies.mapped('state')), ['fetched', 'purged'])
        self.assertEqual(twice.recording_id.state, 'fetched')
        self.assertFalse(files['older'].exists())
        self.assertEqual(files['newer'].res_id, twice.recording_id.id)
        self.assertEqual(base64.b64decode(twice.recording_id.audio), make_mp3(frames=8))
        # marked fetched, its file gone: unavailable, and it says why
        self.assertRecordValues(lost.recording_id, [{'state': 'unavailable', 'attempts': 1}])
        self.assertIn('missing', lost.recording_id.error)
        # no file: the life goes on
        self.assertRecordValues(
            pending.recording_id | unavailable.recording_id | purged.recording_id,
            [
                {
                    'state': 'pending',
                    'next_try': next_try,
                    'attempts': 1,
                    'error': 'Ameyo answered null',
                },
                {
                    'state': 'unavailable',
                    'next_try': False,
                    'attempts': 6,
                    'error': 'could not be found',
                },
                {'state': 'purged', 'next_try': False, 'attempts': 0, 'error': False},
            ],
        )
        self.assertTrue(purged.recording_id.purged_at)
        self.assertFalse(never.recording_id)
        self.assertEqual(
            [leg.recording_state for leg in (fetched, twice, pending, unavailable, purged, never)],
            ['fetched', 'fetched', 'pending', 'unavailable', 'purged', False],
        )
        # who listened, and the crons
        self.assertRecordValues(
            fetched.recording_id.access_ids,
            [{'user_id': self.supervisor.id, 'kind': 'stream', 'call_id': fetched.id}],
        )
        self.assertEqual([cron.model_id.model for cron in crons], ['ameyo.call.recording'] * 2)
        cr.execute(
            "SELECT is_nullable FROM information_schema.columns "
            "WHERE table_name = 'ameyo_recording_access' AND column_name = 'recording_id'"
        )
        self.assertEqual(cr.fetchone()[0], 'NO')
        # the pending one is still fetched, when due
        pending.recording_id.next_try = fields.Datetime.now() - timedelta(seconds=1)
        self.assertIn(
            pending,
            self.env['ameyo.call'].search(self.env['ameyo.call.recording']._ameyo_due_domain()),
        )

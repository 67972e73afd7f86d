"""Each Ameyo API chosen on its own (issue 22, point 1): the server's Dispose API, Dial API and
Recording API, their Automatic choices and fallbacks, the API the simulator actually received, the
migration of existing servers, and Test Connection's line per capability. And disposeCallForUser's
body as the guide's sample (point 7) in both spellings of isSelfCallback."""

from datetime import timedelta

from odoo import fields
from odoo.tools import mute_logger

from .common import CLIENT_LOGGER, CREDENTIALS, AmeyoTransactionCase, SimulatorCase, run_migration
from .test_dial import AGENT, DialCase
from .test_dispose import DisposeCase
from .test_recordings import RecordingCase


class TestDisposeApiChoice(DisposeCase):
    def dispose(self, *, record_session=True, **values):
        call, leg = self.pop(record_session=record_session)
        self.confirm(leg, **values)
        self.send(leg)
        return call, leg

    def test_automatic_starts_with_dispose_call_for_user_and_the_guides_body(self):
        self.assertEqual(self.server.dispose_api, 'auto')
        call, leg = self.dispose()
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'rest'))
        self.assertFalse(self.sim.requests_for('/dacx/dispose'))
        [request] = self.sim.requests_for('disposeCallForUser')
        self.assertEqual(request['headers']['authorization'], CREDENTIALS['dispose_token'])
        # the guide's sample: every key of dispositionParams, isSelfCallback as a string, no
        # callback: ""
        self.assertEqual(
            request['json']['dispositionParams'],
            {'isSelfCallback': 'false', 'callbackTime': '', 'phone': leg.phone},
        )
        self.assertEqual(self.sim.dispositions_of(call)[0]['via'], 'disposeCallForUser')

    def test_self_callback_in_both_spellings(self):
        callback_at = fields.Datetime.now().replace(microsecond=0) + timedelta(days=1)
        for spelling, expected in (('string', 'true'), ('boolean', True)):
            with self.subTest(spelling=spelling):
                self.server.self_callback_spelling = spelling
                call, leg = self.dispose(
                    code='Callback', callback_at=callback_at, callback_user_id=self.agent_a.id
                )
                self.assertEqual(leg.state, 'disposed', leg.dispose_error)
                request = self.sim.requests_for('disposeCallForUser')[-1]
                params = request['json']['dispositionParams']
                self.assertIs(type(params['isSelfCallback']), type(expected))
                self.assertEqual(params['isSelfCallback'], expected)
                self.assertTrue(params['callbackTime'])
                # the simulator took it, as a real Ameyo does
                [disposition] = self.sim.dispositions_of(call)
                self.assertEqual(disposition['selfCallback'], expected)
        # what no Ameyo reads is refused by the simulator: it does check the spelling
        self.sim.start_call(AGENT, '101', '9740011229')
        with mute_logger(CLIENT_LOGGER):
            refused = self.client.transport.send(
                'disposeCallForUser',
                'POST',
                '/ameyorestapi/voice/disposeCallForUser',
                headers={'authorization': CREDENTIALS['dispose_token']},
                json_body={
                    'userId': AGENT,
                    'dispositionCodeName': 'Sale',
                    'requestId': 'r-bad',
                    'dispositionParams': {'isSelfCallback': 'maybe'},
                },
            )
        self.assertEqual(refused.status, 400)

    def test_automatic_falls_back_to_dacx_without_a_dispose_token(self):
        self.server.sudo().dispose_token = False
        call, leg = self.dispose()
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'legacy'))
        self.assertFalse(self.sim.requests_for('disposeCallForUser'))
        self.assertEqual(
            self.sim.requests_for('/dacx/dispose')[0]['query']['crtObjectId'], [call['crtObjectId']]
        )

    def test_automatic_falls_back_to_dacx_past_the_wrap_window(self):
        call, leg = self.pop(record_session=True)
        self.confirm(leg)
        leg.sudo().dispose_saved_at = fields.Datetime.now() - timedelta(minutes=10)
        self.send(leg)
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'legacy'))
        self.assertFalse(self.sim.requests_for('disposeCallForUser'))

    def test_dacx_only_even_within_the_wrap_window(self):
        self.server.dispose_api = 'dacx'
        call, leg = self.dispose()
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'legacy'))
        self.assertFalse(self.sim.requests_for('disposeCallForUser'))
        self.assertEqual(self.sim.dispositions_of(call)[0]['via'], 'dacx/dispose')
        # without the agent's session there is no API to use: disposeCallForUser is not tried
        self.env['ameyo.agent.session'].search([]).unlink()
        _call, leg = self.dispose(record_session=False)
        self.assertEqual(leg.state, 'dispose_failed')
        self.assertFalse(self.sim.requests_for('disposeCallForUser'))

    def test_dispose_call_for_user_only_never_uses_the_session(self):
        self.server.dispose_api = 'for_user'
        call, leg = self.dispose()
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'rest'))
        # past the wrap window it is not safe, and dacx/dispose is not allowed: nothing is sent
        call, leg = self.pop(phone='9740011224', record_session=True)
        self.confirm(leg)
        leg.sudo().dispose_saved_at = fields.Datetime.now() - timedelta(minutes=10)
        self.send(leg)
        self.assertEqual(leg.state, 'dispose_failed')
        self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), 1)
        self.assertFalse(self.sim.requests_for('/dacx/dispose'))


class TestDialApiChoice(DialCase):
    def test_automatic_is_the_guides_token_dial_even_with_a_session(self):
        self.server.dial_api = 'auto'
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a)
        self.assertEqual(self.dial()['type'], 'success')
        [request] = self.sim.requests_for('clickToDialWithTokenAsync')
        self.assertEqual(request['headers']['hash-key'], CREDENTIALS['hash_key'])
        self.assertFalse(self.sim.requests_for('/voice/manualdial'))
        self.assertEqual(self.attempts().dial_api, 'token_async')

    def test_automatic_without_a_hash_key_uses_the_agents_session(self):
        self.server.write({'dial_api': 'auto'})
        self.server.sudo().hash_key = False
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a)
        self.assertEqual(self.dial()['type'], 'success')
        [request] = self.sim.requests_for('/voice/manualdial')
        self.assertEqual(request['headers']['sessionId'], self.session_a)
        self.assertEqual(self.attempts().dial_api, 'manualdial')

    def test_session_first(self):
        self.server.dial_api = 'session_first'
        self.assertEqual(self.dial()['type'], 'success')  # no session known: the hash key
        self.assertEqual(len(self.sim.requests_for('clickToDialWithTokenAsync')), 1)
        self.assertEqual(self.attempts().dial_api, 'token_async')


class TestRecordingApiChoice(RecordingCase):
    def setUp(self):
        super().setUp()
        self.server.recording_api = 'auto'

    def test_automatic_asks_the_guides_command_with_the_token_headers(self):
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a)
        _call, leg = self.ended_leg()
        self.fetch(leg)
        self.assertEqual(leg.recording_state, 'fetched')
        [request] = self.voice_log_requests()
        self.assertEqual(
            (request['path'], request['query']['command']),
            ('/ameyowebaccess/command', ['downloadVoiceLog']),
        )
        self.assertEqual(request['headers']['hash-key'], CREDENTIALS['hash_key'])
        self.assertNotIn(self.session_a, request['target'])

    def test_automatic_falls_back_to_the_rest_download_with_the_session(self):
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a)
        # Ameyo refuses the token headers
        self.server.requesting_host = 'not-registered.example.com'
        _call, leg = self.ended_leg()
        self.fetch(leg)
        self.assertEqual(leg.recording_state, 'fetched')
        command, rest = self.voice_log_requests()
        self.assertEqual(command['path'], '/ameyowebaccess/command')
        self.assertEqual(
            (rest['path'], rest['headers']['sessionId']),
            ('/ameyorestapi/cc/downloadVoiceLog', self.session_a),
        )
        # without the agent's session there is nothing to fall back on: the refusal is recorded
        self.env['ameyo.agent.session'].search([]).unlink()
        _call, leg = self.ended_leg()
        self.fetch(leg)
        self.assertEqual(leg.recording_state, 'pending')
        # Ameyo's words on the token headers
        self.assertIn('Invalid token', leg.recording_id.error or '')
        self.assertEqual(len(self.voice_log_requests()), 3)

    def test_automatic_without_a_hash_key_uses_the_rest_download(self):
        self.server.sudo().hash_key = False
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a)
        _call, leg = self.ended_leg()
        self.fetch(leg)
        self.assertEqual(leg.recording_state, 'fetched')
        [request] = self.voice_log_requests()
        self.assertEqual(request['path'], '/ameyorestapi/cc/downloadVoiceLog')

    def test_each_api_alone(self):
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a)
        for choice, path in (
            ('rest', '/ameyorestapi/cc/downloadVoiceLog'),
            ('webaccess', '/ameyowebaccess/command'),
        ):
            with self.subTest(choice=choice):
                self.server.recording_api = choice
                before = len(self.voice_log_requests())
                _call, leg = self.ended_leg()
                self.fetch(leg)
                self.assertEqual(leg.recording_state, 'fetched')
                [request] = self.voice_log_requests()[before:]
                self.assertEqual(request['path'], path)
        # one API alone has no fallback: a refused command is not followed by the REST download
        self.server.requesting_host = 'not-registered.example.com'
        before = len(self.voice_log_requests())
        _call, leg = self.ended_leg()
        self.fetch(leg)
        self.assertEqual(leg.recording_state, 'pending')
        self.assertEqual(
            [request['path'] for request in self.voice_log_requests()[before:]],
            ['/ameyowebaccess/command'],
        )


class TestServerApisMigration(AmeyoTransactionCase):
    def test_existing_servers_keep_their_apis(self):
        Server = self.env['ameyo.server']
        legacy = Server.create(
            {'name': 'Old legacy', 'base_url': 'http://127.0.0.1:1', 'api_flavour': 'legacy'}
        )
        rest = Server.create(
            {'name': 'Old rest', 'base_url': 'http://127.0.0.1:1', 'api_flavour': 'rest'}
        )
        chosen = Server.create(
            {
                'name': 'Old rest, sync dial',
                'base_url': 'http://127.0.0.1:1',
                'api_flavour': 'rest',
                'dial_api': 'token_sync',
            }
        )
        # the new columns as the upgrade fills them: their defaults
        self.assertEqual(
            (
                legacy.dispose_api,
                legacy.recording_api,
                legacy.dial_api,
                legacy.self_callback_spelling,
            ),
            ('auto', 'auto', 'auto', 'string'),
        )
        self.env.flush_all()
        run_migration(self.env.cr, '19.0.1.7.0', 'post-server-apis', '19.0.1.6.0')
        self.env.invalidate_all()
        fields_ = ('dispose_api', 'recording_api', 'dial_api', 'self_callback_spelling')
        self.assertEqual(
            [legacy[name] for name in fields_], ['dacx', 'webaccess', 'token_async', 'boolean']
        )
        self.assertEqual(
            [rest[name] for name in fields_], ['auto', 'rest', 'session_first', 'boolean']
        )
        self.assertEqual(
            [chosen[name] for name in fields_], ['auto', 'rest', 'token_sync', 'boolean']
        )


class TestConnectionPerCapability(SimulatorCase):
    def lines(self):
        with mute_logger(CLIENT_LOGGER):
            action = self.server.action_test_connection()
        return action['params'], action['params']['message'].strip().split('\n')

    def line(self, lines, start):
        [line] = [line for line in lines if line[2:].startswith(start)]
        return line

    def test_automatic_says_each_api_and_that_it_answered(self):
        params, lines = self.lines()
        self.assertEqual(params['type'], 'success', params['message'])
        dispose = self.line(lines, 'Dispose (Automatic')
        self.assertTrue(dispose.startswith('✔'), dispose)
        self.assertIn('disposeCallForUser with the dispose token: Ameyo accepts the token', dispose)
        self.assertIn('dacx/dispose with the agent\'s Ameyo session: answered', dispose)
        dial = self.line(lines, 'Dial (Automatic')
        self.assertIn(
            'clickToDialWithTokenAsync with the hash key: Ameyo accepts the hash key', dial
        )
        self.assertIn('Not sent as a probe: a dial request could dial.', dial)
        recordings = self.line(lines, 'Recordings (Automatic')
        self.assertIn(
            'The downloadVoiceLog command (/ameyowebaccess/command) with the hash key: answered',
            recordings,
        )
        self.assertIn(
            '/ameyorestapi/cc/downloadVoiceLog) with the agent\'s Ameyo session: answered',
            recordings,
        )
        # the probes touched nothing: a user, a session and a call that cannot exist; no dial was
        # asked for
        [probe] = self.sim.requests_for('disposeCallForUser')
        self.assertEqual(probe['json']['userId'], 'crm-ameyo-connection-test-nobody')
        self.assertEqual(probe['status'], 512)
        self.assertFalse(self.sim.requests_for('ial'))
        self.assertFalse(self.sim.calls())

    def test_a_refused_dispose_token_and_a_missing_rest_download(self):
        self.server.sudo().dispose_token = 'wrong-token'
        self.server.recording_api = 'rest'
        self.sim.inject(
            '/cc/downloadVoiceLog', status=404, body='Not Found', content_type='text/plain'
        )
        params, lines = self.lines()
        self.assertEqual(params['title'], 'Ameyo is reachable, but some APIs will fail')
        dispose = self.line(lines, 'Dispose (Automatic')
        self.assertTrue(dispose.startswith('✘'), dispose)
        self.assertIn('Ameyo refused it (invalid.authentication.token', dispose)
        recordings = self.line(lines, 'Recordings (the REST download only)')
        self.assertTrue(recordings.startswith('✘'), recordings)
        self.assertIn('did not answer (HTTP 404', recordings)

    def test_session_apis_alone(self):
        self.server.write(
            {'dispose_api': 'dacx', 'dial_api': 'manualdial', 'recording_api': 'webaccess'}
        )
        params, lines = self.lines()
        self.assertEqual(params['type'], 'success', params['message'])
        self.assertTrue(self.line(lines, 'Dispose (dacx/dispose only)').startswith('✔'))
        self.assertFalse(self.sim.requests_for('disposeCallForUser'))
        dial = self.line(lines, 'Dial (manualdial only)')
        self.assertIn('Not sent as a probe', dial)
        self.assertTrue(
            self.line(lines, 'Recordings (the downloadVoiceLog command only)').startswith('✔')
        )
        self.assertFalse(self.sim.requests_for('/cc/downloadVoiceLog'))

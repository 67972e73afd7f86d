"""Every Ameyo API of the client, end to end against the simulator on a loopback port."""

import logging

from odoo.tools import mute_logger

from ..simulator import HTML_LOGIN_PAGE
from ..tools.ameyo_client import AmeyoError, new_request_id
from .common import CLIENT_LOGGER, SimulatorCase


class TestClientEndToEnd(SimulatorCase):
    def test_dispose_call_for_user_frees_the_agent(self):
        call = self.sim.start_call('t.agent-a@acme', '101', '9876543210')
        self.sim.hangup(call)
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'wrap')
        request_id = new_request_id()
        self.client.dispose_call_for_user(
            't.agent-a@acme',
            'Callback',
            request_id=request_id,
            notes='later',
            callback_time='2026-11-27 10:00:00',
            self_callback=True,
        )
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'ready')
        [disposition] = self.sim.dispositions_of(call)
        self.assertEqual(
            (disposition['code'], disposition['requestId'], disposition['callbackTime']),
            ('Callback', request_id, '2026-11-27 10:00:00'),
        )

    def test_dispose_refusals(self):
        call = self.sim.start_call('t.agent-a@acme', '101', '9876543210')
        self.sim.hangup(call)
        with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
            self.client.dispose_call_for_user('t.agent-a@acme', 'Paid', request_id='r1')
        self.assertEqual(caught.exception.kind, 'refused')
        self.assertIn('disposition.code.not.in.plan', caught.exception.args[0])
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'wrap')
        with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
            self.client.dispose_call_for_user('nobody', 'Sale', request_id='r2')
        self.assertIn('user.not.found', caught.exception.args[0])
        self.server.dispose_token = 'wrong'
        with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
            self.server._get_ameyo_client().dispose_call_for_user(
                't.agent-a@acme', 'Sale', request_id='r3'
            )
        self.assertEqual(caught.exception.kind, 'auth')

    def test_dropped_dispose_call_for_user_is_not_resent(self):
        call = self.sim.start_call('t.agent-a@acme', '101', '9876543210')
        self.sim.hangup(call)
        self.sim.inject('disposeCallForUser', drop=True)
        with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
            self.client.dispose_call_for_user('t.agent-a@acme', 'Sale', request_id='r1')
        self.assertTrue(caught.exception.sent)
        self.assertTrue(caught.exception.transient)
        self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), 1)

    def test_gateway_errors_after_dispose_call_for_user_leave_the_outcome_unknown(self):
        """A proxy in front of Ameyo gave up waiting (502, 503, 504) while Ameyo disposed: not
        resent."""
        for status in (502, 503, 504):
            with self.subTest(status=status):
                call = self.sim.start_call('t.agent-a@acme', '101', '9876543210')
                self.sim.hangup(call)
                self.sim.inject(
                    'disposeCallForUser',
                    status=status,
                    body='Gateway Time-out',
                    content_type='text/plain',
                    carry_out=True,
                )
                sent = len(self.sim.requests_for('disposeCallForUser'))
                with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
                    self.client.dispose_call_for_user(
                        't.agent-a@acme', 'Sale', request_id=f'r{status}'
                    )
                self.assertTrue(caught.exception.outcome_unknown)
                self.assertIn('may or may not have been carried out', caught.exception.args[0])
                self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), sent + 1)
                self.assertEqual([d['code'] for d in self.sim.dispositions_of(call)], ['Sale'])

    # Shapes in which Ameyo's APIs say "done" (reference 1.2, 1.4, 1.5): plain text, quoted or not,
    # any case; JSON result or status, any case.
    SUCCESS_ANSWERS = (
        ('ok', 'text/plain'),
        ('"ok"', 'application/json'),
        ('success', 'text/plain'),
        ('SUCCESS', 'text/plain'),
        ('Dispose Successfully', 'text/plain'),
        ('"Dispose Successfully"', 'text/plain'),
        ('{"result": "success", "reason": null}', 'application/json'),
        ('{"status": "success", "message": "success"}', 'application/json'),
        ('{"Status": "Success", "message": "Dispose Successfully"}', 'application/json'),
        ('{"RESULT": "SUCCESS"}', 'text/plain'),
    )

    def test_every_success_shape_is_read_as_success(self):
        for body, content_type in self.SUCCESS_ANSWERS:
            with self.subTest(body=body):
                call = self.sim.start_call('t.agent-a@acme', '101', '9876543210')
                self.sim.inject(
                    'disposeCallForUser',
                    status=200,
                    body=body,
                    content_type=content_type,
                    carry_out=True,
                )
                self.client.dispose_call_for_user(
                    't.agent-a@acme', 'Sale', request_id=new_request_id()
                )
                self.assertEqual([d['code'] for d in self.sim.dispositions_of(call)], ['Sale'])
                call = self.sim.start_call('t.agent-a@acme', '101', '9876543210')
                self.sim.inject(
                    '/dacx/dispose',
                    status=200,
                    body=body,
                    content_type=content_type,
                    carry_out=True,
                )
                self.client.dispose_legacy(
                    session_id=self.session_a,
                    campaign_id='101',
                    crt_object_id=call['crtObjectId'],
                    user_crt_object_id=call['userCrtObjectId'],
                    disposition_code='Sale',
                    phone=call['phone'],
                )
                self.assertEqual([d['code'] for d in self.sim.dispositions_of(call)], ['Sale'])

    def test_an_answer_neither_success_nor_failure(self):
        """disposeCallForUser names no call: such an answer leaves the outcome unknown. dacx/dispose
        names it: a failure, in Ameyo's words, that a resend can settle."""
        for body in ('Request queued', '{"requestId": "r1", "code": 0}', ''):
            with self.subTest(body=body):
                call = self.sim.start_call('t.agent-a@acme', '101', '9876543210')
                self.sim.inject(
                    'disposeCallForUser',
                    status=200,
                    body=body,
                    content_type='text/plain',
                    carry_out=True,
                )
                with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
                    self.client.dispose_call_for_user(
                        't.agent-a@acme', 'Sale', request_id=new_request_id()
                    )
                self.assertTrue(caught.exception.outcome_unknown)
                self.assertIn('neither a success nor a failure', caught.exception.args[0])
                self.assertNotIn('refused', caught.exception.args[0])
                self.sim.inject('/dacx/dispose', status=200, body=body, content_type='text/plain')
                with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
                    self.client.dispose_legacy(
                        session_id=self.session_a,
                        campaign_id='101',
                        crt_object_id=call['crtObjectId'],
                        user_crt_object_id=call['userCrtObjectId'],
                        disposition_code='Sale',
                    )
                self.assertFalse(caught.exception.outcome_unknown)
                self.assertIn('did not confirm the dispose', caught.exception.args[0])
                if body:
                    self.assertIn(body, caught.exception.args[0])

    def test_a_missing_ca_bundle_is_an_ameyo_error(self):
        """The CA bundle path set on the server is missing on this Odoo node: a message, not an
        OSError."""
        self.server.write(
            {
                'base_url': self.sim.url.replace('http://', 'https://'),
                'verify_tls': True,
                'ca_bundle': '/nonexistent/crm_ameyo/ameyo-ca.pem',
            }
        )
        with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
            self.server._get_ameyo_client().dispose_call_for_user(
                't.agent-a@acme', 'Sale', request_id='r1'
            )
        self.assertEqual(caught.exception.kind, 'tls')
        self.assertFalse(caught.exception.sent)  # checked before connecting: nothing reached Ameyo
        self.assertIn('CA bundle', caught.exception.args[0])
        self.assertNotIn('/nonexistent', caught.exception.args[0])
        self.assertFalse(self.sim.requests_for('disposeCallForUser'))

    def test_an_unknown_charset_does_not_lose_the_answer(self):
        call = self.sim.start_call('t.agent-a@acme', '101', '9876543210')
        self.sim.hangup(call)
        self.sim.inject(
            'disposeCallForUser',
            status=200,
            body='Dispose Successfully',
            carry_out=True,
            content_type='text/plain; charset=x-ameyo-unknown',
        )
        self.client.dispose_call_for_user('t.agent-a@acme', 'Sale', request_id='r1')
        self.assertEqual([d['code'] for d in self.sim.dispositions_of(call)], ['Sale'])

    def test_legacy_dispose_is_retried_after_a_drop(self):
        call = self.sim.start_call('t.agent-a@acme', '101', '9876543210')
        self.sim.hangup(call)
        self.sim.inject('/dacx/dispose', drop=True)
        with mute_logger(CLIENT_LOGGER):
            self.client.dispose_legacy(
                session_id=self.session_a,
                campaign_id='101',
                crt_object_id=call['crtObjectId'],
                user_crt_object_id=call['userCrtObjectId'],
                disposition_code='Not Interested',
                phone=call['phone'],
            )
        self.assertEqual(len(self.sim.requests_for('/dacx/dispose')), 2)
        self.assertEqual([d['code'] for d in self.sim.dispositions_of(call)], ['Not Interested'])
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'ready')

    def test_legacy_dispose_refusals(self):
        call = self.sim.start_call('t.agent-a@acme', '101', '9876543210')
        self.sim.hangup(call)
        cases = (
            (dict(session_id='dead-session'), 'auth', 'Invalid session Id'),
            (dict(crt_object_id='unknown'), 'refused', 'Invalid crtObjectId'),
            (dict(disposition_code='Paid'), 'refused', 'Disposition code not in plan'),
        )
        for override, kind, text in cases:
            kwargs = dict(
                session_id=self.session_a,
                campaign_id='101',
                crt_object_id=call['crtObjectId'],
                user_crt_object_id=call['userCrtObjectId'],
                disposition_code='Sale',
            )
            kwargs.update(override)
            with (
                self.subTest(text),
                self.assertRaises(AmeyoError) as caught,
                mute_logger(CLIENT_LOGGER),
            ):
                self.client.dispose_legacy(**kwargs)
            self.assertEqual(caught.exception.kind, kind)
            self.assertIn(text, caught.exception.args[0])

    def test_dispose_and_manual_dial(self):
        call = self.sim.start_call('t.agent-a@acme', '101', '9876543210')
        self.sim.hangup(call)
        self.client.dispose_and_manual_dial(
            session_id=self.session_a,
            campaign_id='101',
            crt_object_id=call['crtObjectId'],
            user_crt_object_id=call['userCrtObjectId'],
            disposition_code='Sale',
            phone='9123456780',
            request_id=new_request_id(),
        )
        self.assertEqual([d['code'] for d in self.sim.dispositions_of(call)], ['Sale'])
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'in_call')
        self.assertEqual(
            self.sim.requests_for('disposeAndManualDial')[0]['json']['campaignContextId'], 101
        )
        with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
            self.client.dispose_and_manual_dial(
                session_id=self.session_a,
                campaign_id='101',
                crt_object_id='no-such-crt',
                user_crt_object_id='x',
                disposition_code='Sale',
                phone='9',
                request_id='r2',
            )
        self.assertIn('invalid.crt.object.id', caught.exception.args[0])

    def test_manual_dial_and_click_to_dial(self):
        result = self.client.manual_dial(
            session_id=self.session_a,
            campaign_id='101',
            phone='9876543210',
            request_id=new_request_id(),
        )
        self.assertEqual(result['result'], 'success')
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'in_call')
        with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
            self.client.click_to_dial(
                user_id='t.agent-a@acme', campaign_id='101', phone='9876500000', asynchronous=False
            )
        self.assertIn('User is not in ready state', caught.exception.args[0])
        self.sim.add_agent('t.agent-b@acme', campaigns=('101',))
        self.assertEqual(
            self.client.click_to_dial(
                user_id='t.agent-b@acme', campaign_id='101', phone='9876500000'
            )['result'],
            'success',
        )
        with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
            self.client.click_to_dial(user_id='ghost', campaign_id='101', phone='1')
        self.assertIn('User not found', caught.exception.args[0])

    def test_sessions(self):
        self.assertTrue(self.client.ping_session(self.session_a))
        self.assertFalse(self.client.ping_session('d928-0-ses-nobody-0-0'))
        session_id = self.client.login('admin', 'admin-password-SECRET')
        self.assertTrue(self.client.ping_session(session_id))
        self.client.logout(session_id)
        self.assertFalse(self.client.ping_session(session_id))
        with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
            self.client.login('admin', 'wrong')
        self.assertIn('Incorrect password', caught.exception.args[0])
        self.server.api_flavour = 'legacy'
        legacy = self.server._get_ameyo_client()
        self.assertTrue(legacy.ping_session(legacy.login('t.agent-a@acme', 'pw-a')))

    def test_campaigns_and_dispositions(self):
        campaigns = self.client.get_assigned_campaigns(self.session_a)
        self.assertEqual([str(c['campaignId']) for c in campaigns], ['101'])
        codes = self.client.get_disposition_codes(self.session_a, '101')
        self.assertEqual(
            [c['dispositionCodeName'] for c in codes], ['Sale', 'Callback', 'Not Interested']
        )
        with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
            self.client.get_disposition_codes(self.session_a, '102')
        self.assertEqual(caught.exception.kind, 'auth')
        lonely = self.sim.add_agent('lonely')
        with mute_logger(CLIENT_LOGGER):
            self.assertEqual(self.client.get_assigned_campaigns(lonely), [])

    def test_voice_logs(self):
        call = self.sim.start_call('t.agent-a@acme', '101', '9876543210')
        self.sim.set_voice_log(call['crtObjectId'], fmt='mp3')
        data, mimetype = self.client.download_voice_log(call['crtObjectId'])
        self.assertEqual(mimetype, 'audio/mpeg')
        self.sim.set_voice_log(call['crtObjectId'], fmt='wav')
        data, mimetype = self.client.download_voice_log(
            call['crtObjectId'],
            target_format='wav',
            campaign_id='101',
            call_id=call['callId'],
            session_id=self.session_a,
        )
        self.assertEqual((mimetype, data[:4]), ('audio/wav', b'RIFF'))
        for body, kind in (
            (b'', 'refused'),
            (b'null', 'refused'),
            (HTML_LOGIN_PAGE, 'auth'),
            (b'{"message": "voice log not found"}', 'refused'),
        ):
            self.sim.set_voice_log(call['crtObjectId'], body=body)
            with (
                self.subTest(body=body[:20]),
                self.assertRaises(AmeyoError) as caught,
                mute_logger(CLIENT_LOGGER),
            ):
                self.client.download_voice_log(call['crtObjectId'])
            self.assertEqual(caught.exception.kind, kind)

    def test_html_500_and_512(self):
        self.sim.inject('getAssigned', status=500)
        with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
            self.client.get_assigned_campaigns(self.session_a)
        self.assertEqual(caught.exception.kind, 'server')
        self.assertIn('had an internal error (HTTP 500)', caught.exception.args[0])
        # the page is summarised, not quoted
        self.assertNotIn('NullPointerException', caught.exception.args[0])
        self.sim.inject(
            'userLogin/login',
            status=512,
            times=1,
            body='{"message": '
            '"SessionService.login.failed.not.able.to.fetch.user.info", "code": 0, "info": null, '
            '"status": 512}',
            content_type='application/json',
        )
        with mute_logger(CLIENT_LOGGER):
            self.assertTrue(self.client.login('admin', 'admin-password-SECRET'))
        self.assertEqual(len(self.sim.requests_for('userLogin/login')), 2)

    def test_no_secret_in_logs_against_the_simulator(self):
        """A debug-level capture of real calls to the simulator, failures included, holds no
        credential (test_ameyo_client has the same check on recorded answers)."""
        call = self.sim.start_call('t.agent-a@acme', '101', '9876543210')
        self.sim.hangup(call)
        secrets = [
            'test-hash-key-SECRET',
            'test-dispose-token-SECRET',
            'admin-password-SECRET',
            self.session_a,
        ]
        with self.capture_every_log() as captured:
            admin_session = self.client.login('admin', 'admin-password-SECRET')
            secrets.append(admin_session)
            self.client.get_disposition_codes(admin_session, '101')
            self.sim.inject('/dacx/dispose', status=500, times=1)
            for failing in (
                lambda: self.client.dispose_legacy(
                    session_id=self.session_a,
                    campaign_id='101',
                    crt_object_id=call['crtObjectId'],
                    user_crt_object_id=call['userCrtObjectId'],
                    disposition_code='Sale',
                ),
                lambda: self.client.login('admin', 'wrong-password-SECRET'),
                lambda: self.client.dispose_call_for_user('t.agent-a@acme', 'Sale', request_id='r'),
                lambda: self.client.click_to_dial(
                    user_id='t.agent-a@acme', campaign_id='101', phone='1'
                ),
                lambda: self.client.download_voice_log('nothing-here'),
            ):
                try:
                    failing()
                except AmeyoError as error:
                    logging.getLogger(CLIENT_LOGGER).info('agent sees: %s', error.args[0])
        text = '\n'.join(record.getMessage() for record in captured.records)
        self.assertIn('/dacx/dispose', text)  # urllib3's request line was captured, masked
        for secret in secrets + ['wrong-password-SECRET']:
            self.assertNotIn(secret, text)

"""What the client makes of each answer Ameyo is known to give.

The bodies and statuses below are those of ../shared/reference/ameyo_api.md, word for
word; `responses` serves them on a 127.0.0.1 URL (Odoo's test harness refuses any
other host). The simulator tests (test_client_end_to_end) cover the same APIs end to end.
"""

import json
import logging
import socket
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import responses

from odoo.tools import mute_logger

from ..tools.ameyo_client import AmeyoError, audio_mimetype, new_request_id
from .common import CLIENT_LOGGER, AmeyoTransactionCase

BASE = 'http://127.0.0.1:8898'
HTML_500 = (
    '<html><head><title>Apache Tomcat/7.0.42 - Error report</title></head><body>'
    '<h1>HTTP Status 500 - </h1><p><b>type</b> Exception report</p>'
    '<pre>java.lang.NullPointerException</pre></body></html>'
)
HTML_LOGIN = (
    '<!DOCTYPE html><html><head><title>Ameyo - Login</title></head>'
    '<body><form action="/ameyowebaccess/login"></form></body></html>'
)
# 8 kHz mono 16-bit PCM: its fmt chunk, then a data chunk of 8 samples
WAV_FMT = b'fmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00'
WAV = b'RIFF\x34\x00\x00\x00WAVE' + WAV_FMT + b'data\x10\x00\x00\x00' + b'\x00\x01' * 8
ID3_TAG = b'ID3\x03\x00\x00\x00\x00\x00\x00'
MP3 = ID3_TAG + b'\xff\xfb\x90\x64' + b'\x00' * 400


class TestAmeyoClient(AmeyoTransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.base_url = BASE
        cls.client = cls.server._get_ameyo_client()

    def setUp(self):
        super().setUp()
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.mock.start()
        self.addCleanup(self.mock.stop)
        self.addCleanup(self.mock.reset)

    @contextmanager
    def assertAmeyoError(self, kind, *message_parts):
        """The block raises an AmeyoError of ``kind`` whose message holds each part."""
        with mute_logger(CLIENT_LOGGER), self.assertRaises(AmeyoError) as caught:
            yield caught
        error = caught.exception
        self.assertEqual(error.kind, kind, error.args[0])
        for part in message_parts:
            self.assertIn(part, error.args[0])

    # dispose ------------------------------------------------------------

    def test_dispose_call_for_user_success_and_request_shape(self):
        self.mock.post(
            f'{BASE}/ameyorestapi/voice/disposeCallForUser',
            body='Dispose Successfully',
            content_type='text/plain',
        )
        request_id = new_request_id()
        self.assertLessEqual(len(request_id), 21)
        self.client.dispose_call_for_user(
            'agent1',
            'Callback',
            request_id=request_id,
            notes='call me',
            callback_time='2026-11-27 10:00:00',
            self_callback=True,
            phone='98765',
        )
        sent = self.mock.calls[0].request
        self.assertEqual(sent.headers['authorization'], 'test-dispose-token-SECRET')
        self.assertEqual(
            json.loads(sent.body),
            {
                'userId': 'agent1',
                'dispositionCodeName': 'Callback',
                'requestId': request_id,
                'notes': 'call me',
                'dispositionParams': {
                    'isSelfCallback': 'true',
                    'callbackTime': '2026-11-27 10:00:00',
                    'phone': '98765',
                },
            },
        )

    def test_dispose_token_header_is_configurable(self):
        self.server.dispose_token_header = 'x-ameyo-token'
        self.mock.post(f'{BASE}/ameyorestapi/voice/disposeCallForUser', body='ok')
        self.server._get_ameyo_client().dispose_call_for_user('agent1', 'Sale', request_id='r1')
        self.assertEqual(
            self.mock.calls[0].request.headers['x-ameyo-token'], 'test-dispose-token-SECRET'
        )

    def test_dispose_call_for_user_is_never_retried(self):
        """It names no call: a second send could dispose the agent's next call."""
        self.mock.post(
            f'{BASE}/ameyorestapi/voice/disposeCallForUser', status=503, body='Service Unavailable'
        )
        with self.assertAmeyoError('server', 'HTTP 503'):
            self.client.dispose_call_for_user('agent1', 'Sale', request_id='r1')
        self.assertEqual(len(self.mock.calls), 1)

    def test_dispose_refusals_keep_ameyo_reason(self):
        url = f'{BASE}/ameyorestapi/voice/disposeCallForUser'
        self.mock.post(
            url,
            status=512,
            json={'message': 'user.not.found', 'code': 0, 'info': 'user not found', 'status': 512},
        )
        with self.assertAmeyoError('refused', 'user.not.found', 'user not found'):
            self.client.dispose_call_for_user('ghost', 'Sale', request_id='r1')
        self.mock.replace(
            responses.POST,
            url,
            status=400,
            json={
                'message': 'InvalidInput',
                'code': 40001,
                'info': 'parameter expected in input: campaignId',
                'status': 400,
            },
        )
        with self.assertAmeyoError(
            'refused', 'InvalidInput', 'parameter expected in input: campaignId'
        ):
            self.client.dispose_call_for_user('agent1', 'Sale', request_id='r2')
        self.mock.replace(
            responses.POST,
            url,
            status=403,
            json={'message': None, 'code': 99999, 'info': 'invalid.session.id', 'status': 403},
        )
        with self.assertAmeyoError('auth', 'invalid.session.id') as caught:
            self.client.dispose_call_for_user('agent1', 'Sale', request_id='r3')
        self.assertEqual(caught.exception.status, 403)
        self.mock.replace(responses.POST, url, status=500, body=HTML_500, content_type='text/html')
        with self.assertAmeyoError('server', 'had an internal error (HTTP 500)') as caught:
            self.client.dispose_call_for_user('agent1', 'Sale', request_id='r4')
        # an agent reads this message
        for quoted in ('Tomcat', 'Error report', 'NullPointerException'):
            self.assertNotIn(quoted, caught.exception.args[0])
        self.mock.replace(
            responses.POST,
            url,
            status=512,
            json={'message': '', 'code': 99999, 'info': None, 'status': 512},
        )
        with self.assertAmeyoError('server', 'HTTP 512'):
            self.client.dispose_call_for_user('agent1', 'Sale', request_id='r5')

    def test_legacy_dispose(self):
        self.mock.get(
            f'{BASE}/dacx/dispose', body='Dispose Successfully', content_type='text/plain'
        )
        self.client.dispose_legacy(
            session_id='sess-1',
            campaign_id='3',
            crt_object_id='d928-1-vce-2',
            user_crt_object_id='d928-1-ses-a-uce-w-3',
            disposition_code='Couseling Call Done',
            phone='9770998902',
            disposition_attribute='local-2026-11-27 10:00:00',
            self_callback=True,
        )
        query = parse_qs(urlsplit(self.mock.calls[0].request.url).query)
        # spaces encoded, not lost
        self.assertEqual(query['dispositionCode'], ['Couseling Call Done'])
        self.assertEqual(query['userCrtObjectId'], ['d928-1-ses-a-uce-w-3'])
        self.assertEqual(query['customerId'], ['-1'])
        self.assertEqual(query['dispositionAttr'], ['local-2026-11-27 10:00:00'])
        self.assertEqual(query['selfCallback'], ['true'])
        self.mock.replace(responses.GET, f'{BASE}/dacx/dispose', body='Invalid session Id')
        with self.assertAmeyoError('auth', 'Invalid session Id'):
            self.client.dispose_legacy(
                session_id='dead',
                campaign_id='3',
                crt_object_id='c',
                user_crt_object_id='u',
                disposition_code='Sale',
            )

    def test_dispose_and_manual_dial_casing(self):
        url = f'{BASE}/ameyorestapi/voice/disposeAndManualDial'
        self.mock.post(url, body='ok')
        kwargs = dict(
            session_id='sess-1',
            campaign_id='5',
            crt_object_id='crt',
            user_crt_object_id='ucrt',
            disposition_code='Redial',
            phone='98765',
            request_id='abc',
        )
        self.client.dispose_and_manual_dial(**kwargs)
        body = json.loads(self.mock.calls[0].request.body)
        self.assertEqual(
            body,
            {
                'campaignContextId': 5,
                'userCRTObjectId': 'ucrt',
                'crtObjectId': 'crt',
                'dispositionCode': 'Redial',
                'phone': '98765',
                'customerId': '-1',
                'requestId': 'abc',
            },
        )
        self.assertEqual(self.mock.calls[0].request.headers['sessionId'], 'sess-1')
        self.server.agent_leg_json_key = 'camel_crt'
        self.server._get_ameyo_client().dispose_and_manual_dial(**kwargs)
        body = json.loads(self.mock.calls[1].request.body)
        self.assertEqual(body['userCrtObjectId'], 'ucrt')
        self.assertNotIn('userCRTObjectId', body)

    # dial -----------------------------------------------------------------

    def test_manual_dial(self):
        url = f'{BASE}/ameyorestapi/voice/manualdial'
        self.mock.post(url, json={'result': 'success', 'reason': None})
        self.assertEqual(
            self.client.manual_dial(session_id='s', campaign_id='5', phone='98765', request_id='r')[
                'result'
            ],
            'success',
        )
        self.assertEqual(json.loads(self.mock.calls[0].request.body)['campaignId'], 5)
        self.mock.replace(
            responses.POST, url, json={'result': 'failure', 'reason': 'User is not in ready state'}
        )
        with self.assertAmeyoError('refused', 'User is not in ready state'):
            self.client.manual_dial(session_id='s', campaign_id='5', phone='98765', request_id='r')

    def test_click_to_dial_async_token_headers_and_json_body(self):
        # the vendor guide's sample: a JSON body, the token-policy headers
        url = f'{BASE}/ameyowebaccess/command/'
        self.mock.post(url, json={'result': 'success', 'reason': 'success'})
        self.client.click_to_dial(
            user_id='agent1',
            campaign_id=3,
            phone='98765',
            additional_params={'recordId': 'res.partner,7'},
            customer_record={'customerCode': '98765'},
        )
        request = self.mock.calls[0].request
        self.assertEqual(
            parse_qs(urlsplit(request.url).query)['command'], ['clickToDialWithTokenAsync']
        )
        self.assertEqual(request.headers['hash-key'], 'test-hash-key-SECRET')
        self.assertEqual(request.headers['policy-name'], 'token-based-authorization-policy')
        self.assertEqual(request.headers['requesting-host'], 'odoo.test')
        self.assertEqual(request.headers['Content-Type'], 'application/json')
        self.assertEqual(
            json.loads(request.body),
            {
                'userId': 'agent1',
                'campaignId': '3',
                'phone': '98765',
                'shouldAddCustomer': False,
                'additionalParams': {'recordId': 'res.partner,7'},
                'customerRecord': {'customerCode': '98765'},
            },
        )

    def test_click_to_dial_sync_form(self):
        # the confirmed non-async command keeps its form field data=<JSON>
        url = f'{BASE}/ameyowebaccess/command/'
        self.mock.post(url, json={'result': 'success', 'reason': None})
        self.client.click_to_dial(
            user_id='agent1', campaign_id=3, phone='98765', asynchronous=False
        )
        request = self.mock.calls[0].request
        self.assertEqual(parse_qs(urlsplit(request.url).query)['command'], ['clickToDialWithToken'])
        data = json.loads(parse_qs(request.body)['data'][0])
        self.assertEqual(
            data,
            {'userId': 'agent1', 'campaignId': '3', 'phone': '98765', 'shouldAddCustomer': False},
        )

    def test_dial_answers(self):
        url = f'{BASE}/ameyowebaccess/command/'
        self.mock.post(url, json={'result': 'failed', 'reason': 'User is not in ready state'})
        with self.assertAmeyoError('refused', 'User is not in ready state'):
            self.client.click_to_dial(user_id='agent1', campaign_id=3, phone='98765')
        self.mock.replace(responses.POST, url, json={'status': 'error', 'reason': 'Invalid token'})
        with self.assertAmeyoError('auth', 'Invalid token'):
            self.client.click_to_dial(user_id='agent1', campaign_id=3, phone='98765')
        # neither a success nor a failure Odoo knows: Ameyo may be dialing
        self.mock.replace(responses.POST, url, body='queued', content_type='text/plain')
        with self.assertAmeyoError('bad_response', 'may or may not be placed') as caught:
            self.client.click_to_dial(user_id='agent1', campaign_id=3, phone='98765')
        self.assertTrue(caught.exception.outcome_unknown)

    def test_click_to_dial_needs_hash_key(self):
        self.server.hash_key = False
        with self.assertAmeyoError('auth', 'no hash key'):
            self.server._get_ameyo_client().click_to_dial(
                user_id='agent1', campaign_id=3, phone='98765'
            )
        self.assertFalse(self.mock.calls)

    # sessions and configuration reads ---------------------------------------

    def test_ping_session(self):
        url = f'{BASE}/ameyowebaccess/command'
        self.mock.post(url, json={'alive': True, 'serverTime': 1562150869167})
        self.assertTrue(self.client.ping_session('s'))
        self.mock.replace(
            responses.POST,
            url,
            json={
                'status': 'error',
                'reason': 'Invalid session Id',
                'details': 'Invalid session Id',
            },
        )
        self.assertFalse(self.client.ping_session('s'))

    def test_rest_login_retries_the_transient_512(self):
        url = f'{BASE}/ameyorestapi/userLogin/login'
        self.mock.post(
            url,
            status=512,
            json={
                'message': 'SessionService.login.failed.not.able.to.fetch.user.info',
                'code': 0,
                'info': None,
                'status': 512,
            },
        )
        self.mock.post(
            url,
            json={
                'requestId': 'x',
                'userSessionInfo': {'sessionId': 'd898-ses-admin-1', 'userId': 'admin'},
            },
        )
        with mute_logger(CLIENT_LOGGER):
            self.assertEqual(self.client.login('admin', 'pw'), 'd898-ses-admin-1')
        self.assertEqual(len(self.mock.calls), 2)
        self.assertEqual(
            json.loads(self.mock.calls[1].request.body),
            {'userId': 'admin', 'token': 'pw', 'forceLogin': True},
        )

    def test_assigned_campaigns(self):
        url = f'{BASE}/ameyorestapi/cc/campaigns/getAssigned'
        campaigns = [
            {
                'campaignId': 3,
                'campaignName': 'Inbound',
                'campaignType': 'Interactive Voice Application',
                'description': None,
                'processId': 1,
                'contactCenterId': 1,
            }
        ]
        self.mock.get(url, json=campaigns)
        self.assertEqual(self.client.get_assigned_campaigns('s'), campaigns)
        self.mock.replace(
            responses.GET,
            url,
            status=512,
            json={
                'message': 'user.not.assigned.to.any.campaign',
                'code': 0,
                'info': 'user not assigned',
                'status': 512,
            },
        )
        with mute_logger(CLIENT_LOGGER):
            self.assertEqual(self.client.get_assigned_campaigns('s'), [])

    def test_disposition_codes(self):
        url = f'{BASE}/ameyorestapi/cc/dispositionCodes/getByCampaign'
        codes = [{'dispositionCodeId': 1, 'dispositionCodeName': 'Sale', 'dispositionClassId': 2}]
        self.mock.get(url, json=codes)
        self.assertEqual(self.client.get_disposition_codes('s', '3'), codes)
        self.assertEqual(
            parse_qs(urlsplit(self.mock.calls[0].request.url).query),
            {'campaignId': ['3'], 'info': ['false']},
        )
        self.mock.replace(
            responses.GET,
            url,
            status=404,
            json={
                'message': 'requested.resource.not.found',
                'code': 99999,
                'info': None,
                'status': 404,
            },
        )
        with self.assertAmeyoError('refused', 'requested.resource.not.found'):
            self.client.get_disposition_codes('s', 'abc')

    # recordings -----------------------------------------------------------------

    def test_voice_log_audio_and_failure_bodies(self):
        url = f'{BASE}/ameyowebaccess/command'
        self.mock.get(url, body=MP3, content_type='audio/mpeg')
        self.assertEqual(self.client.download_voice_log('d247-vce-525803'), (MP3, 'audio/mpeg'))
        data = json.loads(parse_qs(urlsplit(self.mock.calls[0].request.url).query)['data'][0])
        self.assertEqual(data, {'crtObjectId': 'd247-vce-525803', 'targetFormat': 'mp3'})
        self.mock.replace(responses.GET, url, body=WAV, content_type='application/octet-stream')
        self.assertEqual(self.client.download_voice_log('c', target_format='wav')[1], 'audio/wav')
        failures = [
            (b'', 'text/plain', 'empty answer'),
            (b'null', 'text/plain', 'null'),
            (
                b'{"message":"Voice log not found for crtObjectId"}',
                'application/json',
                'Voice log not found',
            ),
            (b'{"error":"file missing"}', 'application/json', 'file missing'),
            (b'GIF89a' + b'\x00' * 20, 'audio/mpeg', 'not an audio file'),
            # an audio header and no sound: a RIFF/WAVE without data chunk, an ID3 tag without MPEG
            # frame
            (b'RIFF\x04\x00\x00\x00WAVE', 'audio/wav', 'no sound after it'),
            (ID3_TAG + b'\x00' * 40, 'audio/mpeg', 'no sound after it'),
        ]
        for body, content_type, expected in failures:
            self.mock.replace(responses.GET, url, body=body, content_type=content_type)
            with self.subTest(body=body[:20]), self.assertAmeyoError('refused', expected):
                self.client.download_voice_log('c')
        # a login page or a token error: the credentials were not accepted
        for body, content_type, expected in (
            (HTML_LOGIN.encode(), 'text/html', 'Ameyo - Login'),
            (
                b'{"status":"error","reason":"Invalid token","details":"x"}',
                'application/json',
                'Invalid token',
            ),
        ):
            self.mock.replace(responses.GET, url, body=body, content_type=content_type)
            with self.subTest(body=body[:20]), self.assertAmeyoError('auth', expected):
                self.client.download_voice_log('c')

    def test_voice_log_rest_with_session(self):
        url = f'{BASE}/ameyorestapi/cc/downloadVoiceLog'
        self.mock.get(url, body=WAV, content_type='application/octet-stream')
        self.client.download_voice_log(
            'crt-1', target_format='wav', campaign_id='110', call_id='x-vcall-1', session_id='sess'
        )
        request = self.mock.calls[0].request
        self.assertEqual(request.headers['sessionId'], 'sess')
        query = parse_qs(urlsplit(request.url).query)
        self.assertEqual(json.loads(query['filters'][0]), {'callId': 'x-vcall-1'})

    def test_audio_sniffing(self):
        self.assertEqual(audio_mimetype(WAV), 'audio/wav')
        self.assertEqual(audio_mimetype(MP3), 'audio/mpeg')
        self.assertEqual(audio_mimetype(b'\xff\xfb\x90\x64' + b'\x00' * 20), 'audio/mpeg')
        for junk in (b'', b'null', b'<html></html>', b'{"message": "x"}', b'\xff\xff\xff\xff' * 4):
            self.assertIsNone(audio_mimetype(junk))
        # audio is a data chunk with samples, or an MPEG frame after any ID3 tag: not a header alone
        self.assertEqual(
            audio_mimetype(ID3_TAG + ID3_TAG + b'\xff\xfb\x90\x64' + bytes(20)), 'audio/mpeg'
        )
        sized_tag = b'ID3\x04\x00\x00\x00\x00\x00\x05' + b'TIT2\x00'
        self.assertEqual(audio_mimetype(sized_tag + b'\xff\xfb\x90\x64' + bytes(20)), 'audio/mpeg')
        self.assertEqual(
            audio_mimetype(
                b'RIFF\xff\xff\xff\xffWAVE' + WAV_FMT + b'data\x00\x00\x00\x00' + bytes(8)
            ),
            'audio/wav',
        )  # a streamed WAV: sizes unknown, samples there
        for not_audio in (
            b'RIFF\x04\x00\x00\x00WAVE',  # the 12-byte answer of issue 20
            b'RIFF\x1c\x00\x00\x00WAVE' + WAV_FMT,  # no data chunk
            b'RIFF\x24\x00\x00\x00WAVE' + WAV_FMT + b'\x00' * 24,  # padding, no data chunk
            # an empty data chunk
            b'RIFF\x24\x00\x00\x00WAVE' + WAV_FMT + b'data\x00\x00\x00\x00',
            # its samples missing
            b'RIFF\x24\x00\x00\x00WAVE' + WAV_FMT + b'data\x10\x00\x00\x00',
            ID3_TAG,  # an ID3 tag alone
            ID3_TAG + bytes(400),  # and zeros
            ID3_TAG + ID3_TAG,
            sized_tag + b'\xff\xfb',  # a cut frame header
            # the frame inside the tag, none after it
            sized_tag[:10] + b'\xff\xfb\x90\x64' + bytes(20),
            ID3_TAG + b'\xff\xfb\xf0\x64' + bytes(20),  # bitrate index 15: not a frame
            # not a syncsafe size
            b'ID3\x03\x00\x00\x80\x00\x00\x00' + b'\xff\xfb\x90\x64' + bytes(20),
        ):
            with self.subTest(data=not_audio[:24]):
                self.assertIsNone(audio_mimetype(not_audio))


class TestAmeyoClientTransport(AmeyoTransactionCase):
    """Real sockets on loopback: what the agent is told when Ameyo is down or drops the line."""

    def test_connection_refused(self):
        with socket.socket() as probe:
            probe.bind(('127.0.0.1', 0))
            port = probe.getsockname()[1]
        self.server.base_url = f'http://127.0.0.1:{port}'
        with self.assertRaises(AmeyoError) as caught, mute_logger(CLIENT_LOGGER):
            self.server._get_ameyo_client().get_assigned_campaigns('s')
        self.assertEqual(caught.exception.kind, 'unreachable')
        self.assertFalse(caught.exception.sent)
        self.assertIn('unreachable', caught.exception.args[0])
        self.assertNotIn('sessionId', caught.exception.args[0])

    def test_no_secret_in_logs_on_recorded_answers(self):
        """Every call, failing or not, logs no token, hash key, password or session id (DEBUG
        included), on Ameyo's recorded failure answers (test_client_end_to_end has the same check
        against the simulator)."""
        with socket.socket() as probe:
            probe.bind(('127.0.0.1', 0))
            port = probe.getsockname()[1]
        self.server.base_url = f'http://127.0.0.1:{port}'
        client = self.server._get_ameyo_client()
        with (
            self.capture_every_log() as captured,
            responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
        ):
            base = f'http://127.0.0.1:{port}'
            mock.get(f'{base}/dacx/dispose', body='Invalid session Id for sess-SECRET-1')
            mock.post(
                f'{base}/ameyorestapi/voice/disposeCallForUser',
                status=403,
                json={'message': None, 'code': 99999, 'info': 'invalid.session.id', 'status': 403},
            )
            mock.post(
                f'{base}/ameyorestapi/userLogin/login',
                status=403,
                json={
                    'message': 'invalid.credentials',
                    'code': 0,
                    'info': 'Incorrect password',
                    'status': 403,
                },
            )
            mock.get(f'{base}/ameyowebaccess/command', body=b'null')
            for call in (
                lambda: client.dispose_legacy(
                    session_id='sess-SECRET-1',
                    campaign_id='1',
                    crt_object_id='c',
                    user_crt_object_id='u',
                    disposition_code='Sale',
                ),
                lambda: client.dispose_call_for_user('agent1', 'Sale', request_id='r'),
                lambda: client.login('admin', 'admin-password-SECRET'),
                lambda: client.download_voice_log('c'),
            ):
                with self.assertRaises(AmeyoError):
                    call()
            logging.getLogger('odoo.addons.crm_ameyo').debug('end of calls')
        text = '\n'.join(record.getMessage() for record in captured.records)
        self.assertIn('dacx/dispose', text)
        for secret in ('SECRET', 'test-hash-key', 'test-dispose-token'):
            self.assertNotIn(secret, text)

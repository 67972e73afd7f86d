import json
import logging
from urllib.parse import urlencode

from odoo.tests import BaseCase, HttpCase, tagged

from odoo.addons.crm_ameyo.tools.log_masking import mask_secrets


class TestMaskSecrets(BaseCase):
    def test_mask_secrets(self):
        line = (
            'GET /ameyo/customer?sessionId=d4f9-SECRET&campaignId=3&crmSessionId=tok-SECRET'
            '&SESSIONID=upper-SECRET&phone=123&hash-key=hk-SECRET HTTP/1.1'
        )
        masked = mask_secrets(line)
        self.assertNotIn('SECRET', masked)
        self.assertIn('campaignId=3', masked)
        self.assertIn('phone=123', masked)
        self.assertIn('sessionId=***', masked)

    def test_mask_the_legacy_data_parameter(self):
        """The legacy API's JSON ``data`` parameter carries the agent's session: masked whole on
        Ameyo's lines, and a session id pair masked in JSON or a repr, raw or percent-encoded."""
        query = urlencode(
            {
                'command': 'downloadVoiceLog',
                'data': json.dumps(
                    {'crtObjectId': 'd247-vce-1', 'targetFormat': 'mp3', 'sessionId': 'd4f9-SECRET'}
                ),
            }
        )
        line = f'http://ameyo:8888 "GET /ameyowebaccess/command?{query} HTTP/1.1" 200 4096'
        masked = mask_secrets(line)
        self.assertNotIn('SECRET', masked)
        self.assertIn('command=downloadVoiceLog&data=*** HTTP/1.1', masked)
        for text in (
            '{"crtObjectId": "c1", "sessionId": "d4f9-SECRET"}',
            "{'sessionId': 'd4f9-SECRET'}",
            '%7B%22sessionId%22%3A+%22d4f9-SECRET%22%7D',
            '%257B%2522sessionId%2522%253A%2522d4f9-SECRET%2522',
        ):
            with self.subTest(text=text):
                self.assertNotIn('SECRET', mask_secrets(text))
        self.assertEqual(mask_secrets('{"crtObjectId": "c1"}'), '{"crtObjectId": "c1"}')


@tagged('post_install', '-at_install')
class TestRequestLogMasking(HttpCase):
    def test_request_log_hides_session_ids(self):
        url = (
            '/ameyo/customer?sessionId=d4f9-SESSION-SECRET&campaignId=3&crtObjectId=c1'
            '&crmSessionId=sso-TOKEN-SECRET&userId=agent1'
        )
        with self.assertLogs('werkzeug', level=logging.INFO) as captured:
            self.url_open(url, allow_redirects=False)
            self.url_open('/web/login?sessionId=unrelated-route', allow_redirects=False)
        lines = [record.getMessage() for record in captured.records]
        ameyo_lines = [line for line in lines if '/ameyo/customer' in line]
        self.assertTrue(ameyo_lines, lines)
        for line in ameyo_lines:
            self.assertNotIn('SECRET', line)
            self.assertIn('sessionId=***', line)
            self.assertIn('campaignId=3', line)

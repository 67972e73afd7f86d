import logging

from odoo.tests import BaseCase, HttpCase, tagged

from odoo.addons.crm_ameyo.tools.log_masking import mask_secrets


class TestMaskSecrets(BaseCase):

    def test_mask_secrets(self):
        line = ('GET /ameyo/customer?sessionId=d4f9-SECRET&campaignId=3&crmSessionId=tok-SECRET'
                '&SESSIONID=upper-SECRET&phone=123&hash-key=hk-SECRET HTTP/1.1')
        masked = mask_secrets(line)
        self.assertNotIn('SECRET', masked)
        self.assertIn('campaignId=3', masked)
        self.assertIn('phone=123', masked)
        self.assertIn('sessionId=***', masked)


@tagged('post_install', '-at_install')
class TestRequestLogMasking(HttpCase):

    def test_request_log_hides_session_ids(self):
        url = ('/ameyo/customer?sessionId=d4f9-SESSION-SECRET&campaignId=3&crtObjectId=c1'
               '&crmSessionId=sso-TOKEN-SECRET&userId=agent1')
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

"""What a hostile probe of a running instance found, kept from coming back."""
from urllib.parse import urlencode

from odoo.tests import tagged

from .common import AmeyoHttpCase

LOGIN_XML = '<request><command>login</command><userId>t.agent-a@acme</userId><password>{}</password></request>'


@tagged('post_install', '-at_install')
class TestProbeRegressions(AmeyoHttpCase):

    only_server = True
    server_values = {'session_mode': 'sso'}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_a.password = 'agent-a-password'

    def post_sso(self, body, content_type):
        response = self.url_open('/ameyo/sso', data=body, headers={'Content-Type': content_type})
        self.assertEqual(response.status_code, 200)
        self.assertNotIn('Traceback', response.text)
        return response.text

    def test_sso_deep_nesting_and_nul_fail_cleanly(self):
        for body in ('[' * 3000 + ']' * 3000, '{"a":' * 2500 + '1' + '}' * 2500,
                     '{"command":"login","userId":"x\\u0000y","password":"a"}'):
            answer = self.post_sso(body, 'application/json')
            self.assertIn('"status": "failed"', answer)
        self.assertFalse(self.env['ameyo.sso.token'].search_count([]))

    def test_sso_forms_seen_from_java_and_php_clients(self):
        for body, content_type in (
                (LOGIN_XML.format('agent-a-password'), 'application/x-www-form-urlencoded'),
                ('\ufeff' + LOGIN_XML.format('agent-a-password'), 'text/xml'),
                (urlencode({'requestxml': LOGIN_XML.format('agent-a-password')}), 'application/x-www-form-urlencoded'),
        ):
            with self.subTest(content_type=content_type, start=body[:12]):
                self.assertIn('<status>success</status>', self.post_sso(body.encode(), content_type))

    def test_sso_needs_a_server_in_sso_mode_and_tokens_stay_on_it(self):
        answer = self.post_sso(LOGIN_XML.format('agent-a-password'), 'text/xml')
        self.assertIn('<status>success</status>', answer)
        other = self.server.copy({'name': 'Other SSO', 'base_url': 'http://127.0.0.1:3', 'session_mode': 'sso'})
        token = answer.split('<crmSessionId>')[1].split('<')[0]
        self.assertFalse(self.env['ameyo.sso.token']._find_valid(token, other))
        self.assertTrue(self.env['ameyo.sso.token']._find_valid(token, self.server.sudo()))
        response = self.url_open('/ameyo/999999/sso', data=LOGIN_XML.format('agent-a-password'),
                                 headers={'Content-Type': 'text/xml'})
        self.assertIn('<status>failed</status>', response.text)

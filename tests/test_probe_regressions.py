"""What a hostile probe of a running instance found, kept from coming back."""
from urllib.parse import urlencode

from odoo.tests import HttpCase, new_test_user, tagged

from .common import AmeyoCommon

LOGIN_XML = '<request><command>login</command><userId>t.agent-a@acme</userId><password>{}</password></request>'


@tagged('post_install', '-at_install')
class TestProbeRegressions(AmeyoCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_ameyo_fixtures()
        cls.env['ameyo.server'].search([('id', '!=', cls.server.id)]).active = False
        cls.server.session_mode = 'sso'
        cls.agent_a.password = 'agent-a-password'
        cls.plus_agent = new_test_user(cls.env, login='t_plus', groups='crm_ameyo.group_ameyo_agent',
                                       ameyo_user_id='Priyank.Shah+QA@example.com')

    def pop_url(self, event='customer', crt='probe-vce-1', agent_leg='probe-vce-1-uce-1', user_id='t.agent-a@acme',
                prefix='/ameyo', **extra):
        params = {'userId': user_id, 'campaignId': '101', 'crtObjectId': crt, 'userCrtObjectId': agent_leg,
                  'phone': '9740033221', **extra}
        return f'{prefix}/{event}?{urlencode(params)}'

    def legs(self):
        return self.env['ameyo.call'].search_count([('server_id', '=', self.server.id)])

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

    def test_another_agent_cannot_take_over_a_leg(self):
        self.authenticate('t_agent_a', 't_agent_a')
        self.assertEqual(self.url_open(self.pop_url(), allow_redirects=False).status_code, 303)
        leg = self.env['ameyo.call'].search([('crt_object_id', '=', 'probe-vce-1')])
        self.authenticate('t_agent_b', 't_agent_b')
        for event, extra in (('dispose', {'dispositionCode': 'Sale'}), ('customer', {})):
            response = self.url_open(self.pop_url(event, user_id='t.agent-b@acme', **extra), allow_redirects=False)
            self.assertEqual(response.status_code, 403, event)
        leg.invalidate_recordset()
        self.assertEqual((leg.user_id, leg.state), (self.agent_a, 'connected'))
        # a transfer (his own agent leg) still gives him a leg of his own
        response = self.url_open(self.pop_url(agent_leg='probe-vce-1-uce-2', user_id='t.agent-b@acme'),
                                 allow_redirects=False)
        self.assertEqual(response.status_code, 303)

    def test_head_options_and_server_zero_write_nothing(self):
        self.authenticate('t_agent_a', 't_agent_a')
        before = self.legs()
        for method in ('HEAD', 'OPTIONS'):
            response = self.url_open(self.pop_url(crt='probe-vce-9'), method=method, allow_redirects=False)
            self.assertEqual(response.status_code, 405, method)
        response = self.url_open(self.pop_url(crt='probe-vce-9', prefix='/ameyo/0'), allow_redirects=False)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.legs(), before)

    def test_real_world_shapes_that_must_pop(self):
        self.authenticate('t_agent_a', 't_agent_a')
        # a masked number: the call pops, nobody is looked up by its digits
        response = self.url_open(self.pop_url(crt='probe-vce-20', phone='97XXXXXX21', maskingEnabled='true'),
                                 allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        leg = self.env['ameyo.call'].search([('crt_object_id', '=', 'probe-vce-20')])
        self.assertEqual((leg.phone, leg.phone_key, leg.partner_id.id), ('97XXXXXX21', False, False))
        # a queueId with spaces, and the knowledge-base list written as JSON
        response = self.url_open(self.pop_url(crt='probe-vce-21', queueId='Inbound Queue 1'), allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        response = self.url_open('/ameyo/kb?' + urlencode(
            {'userId': 't.agent-a@acme', 'userCrtObjectIds': '["a-uce-1","b-uce-2"]'}))
        self.assertEqual(response.status_code, 200)
        # an e-mail userId whose '+' Ameyo did not encode arrives as a space
        self.authenticate('t_plus', 't_plus')
        url = self.pop_url(crt='probe-vce-22', agent_leg='probe-vce-22-uce-1').replace(
            'userId=t.agent-a%40acme', 'userId=Priyank.Shah+QA@example.com')
        self.assertEqual(self.url_open(url, allow_redirects=False).status_code, 303)
        self.assertEqual(self.env['ameyo.call'].search([('crt_object_id', '=', 'probe-vce-22')]).user_id,
                         self.plus_agent)

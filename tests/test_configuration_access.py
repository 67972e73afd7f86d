"""Who may run the configuration actions and redirect the secrets, checked on the server side:
through /web/dataset/call_kw, as the web client sends it, against the Ameyo simulator."""

import json

from odoo.tests import new_test_user, tagged

from .common import AmeyoHttpCase

ADMIN_LOGIN = 'ameyo-admin-login'
SERVER_ACTIONS = ('action_test_connection', 'action_sync_campaigns', 'action_sync_dispositions')


@tagged('post_install', '-at_install')
class TestConfigurationAccess(AmeyoHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = cls.start_simulator(admin_user_id=ADMIN_LOGIN)
        cls.server.write({'base_url': cls.sim.url, 'admin_user_id': ADMIN_LOGIN})
        cls.portal = new_test_user(cls.env, login='t_portal', groups='base.group_portal')
        cls.system_admin = new_test_user(
            cls.env, login='t_system', groups='base.group_system,crm_ameyo.group_ameyo_manager'
        )

    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.sim.add_campaign('101', 'Test Campaign', dispositions=('Sale', 'Callback'))

    def assertAccessError(self, answer):
        self.assertIn('error', answer, answer)
        self.assertEqual(answer['error']['data']['name'], 'odoo.exceptions.AccessError', answer)

    def test_configuration_actions_refused_to_everyone_but_ameyo_administrators(self):
        for login in ('t_portal', 't_agent_a', 't_supervisor'):
            cookies = self._login_cookies(login)
            for method in SERVER_ACTIONS:
                with self.subTest(login=login, method=method):
                    answer = self._call_kw('ameyo.server', method, [[self.server.id]], cookies)
                    self.assertAccessError(answer)
                    self.assertNotIn(ADMIN_LOGIN, json.dumps(answer))
            with self.subTest(login=login, method='campaign sync'):
                self.assertAccessError(
                    self._call_kw(
                        'ameyo.campaign', 'action_sync_dispositions', [[self.campaign.id]], cookies
                    )
                )
        # Odoo never logged in to Ameyo for them (a forced login would end the admin's own Ameyo
        # session)
        self.assertEqual(self.sim.requests, [])
        self.assertEqual(
            len(self.env['ameyo.campaign'].search([('server_id', '=', self.server.id)])), 1
        )

    def test_ameyo_administrator_runs_them(self):
        cookies = self._login_cookies('t_manager')
        answer = self._call_kw(
            'ameyo.server', 'action_test_connection', [[self.server.id]], cookies
        )
        self.assertEqual(answer['result']['params']['type'], 'success', answer)
        answer = self._call_kw(
            'ameyo.server', 'action_sync_dispositions', [[self.server.id]], cookies
        )
        self.assertEqual(answer['result']['params']['type'], 'success', answer)
        self.assertTrue(self.sim.requests)

    def test_only_system_administrators_redirect_the_secrets(self):
        manager_cookies = self._login_cookies('t_manager')
        changes = {
            'base_url': 'https://attacker.example',
            'verify_tls': False,
            'ca_bundle': '/tmp/attacker.pem',
            'requesting_host': 'attacker.example',
            'policy_name': 'mine',
            'dispose_token_header': 'x-leak',
            'admin_user_id': 'someone',
        }
        for field_name, value in changes.items():
            with self.subTest(field=field_name):
                answer = self._call_kw(
                    'ameyo.server',
                    'write',
                    [[self.server.id], {field_name: value}],
                    manager_cookies,
                )
                self.assertAccessError(answer)
        self.server.invalidate_recordset()
        self.assertEqual(self.server.base_url, self.sim.url)
        self.assertTrue(self.server.verify_tls)
        # what does not redirect a secret stays theirs to change
        answer = self._call_kw(
            'ameyo.server',
            'write',
            [[self.server.id], {'name': 'Renamed', 'timeout': 20}],
            manager_cookies,
        )
        self.assertTrue(answer.get('result'), answer)
        # the system administrator may
        answer = self._call_kw(
            'ameyo.server',
            'write',
            [[self.server.id], {'base_url': 'https://ameyo.example:8443/'}],
            self._login_cookies('t_system'),
        )
        self.assertTrue(answer.get('result'), answer)
        self.server.invalidate_recordset()
        self.assertEqual(self.server.base_url, 'https://ameyo.example:8443')

    def test_form_shows_the_connection_read_only_to_ameyo_administrators(self):
        def base_url_node(user):
            arch = (
                self.env['ameyo.server']
                .with_user(user)
                .get_views([(False, 'form')])['views']['form']['arch']
            )
            return arch

        manager_arch = base_url_node(self.manager)
        self.assertRegex(manager_arch, r'<field name="base_url"[^>]*readonly="(1|True)"')
        self.assertNotRegex(manager_arch, r'<field name="base_url"(?![^>]*readonly)[^>]*/>')
        system_arch = base_url_node(self.system_admin)
        self.assertRegex(system_arch, r'<field name="base_url"(?![^>]*readonly="(1|True)")[^>]*/>')

    def test_only_system_administrators_set_authentication_or_create_and_copy_servers(self):
        """session_mode, the embedding origins and the SSO source networks decide who logs in and
        who frames Odoo; a new server (create, copy, context defaults) carries a connection: system
        administrators' alone."""
        manager_cookies = self._login_cookies('t_manager')
        servers_before = self.env['ameyo.server'].with_context(active_test=False).search([])
        for field_name, value in {
            'session_mode': 'none',
            'frame_origins': 'https://attacker.example',
            'sso_source_networks': '0.0.0.0/0',
        }.items():
            with self.subTest(write=field_name):
                self.assertAccessError(
                    self._call_kw(
                        'ameyo.server',
                        'write',
                        [[self.server.id], {field_name: value}],
                        manager_cookies,
                    )
                )
        attempts = {
            'create': ('create', [{'name': 'Mine', 'base_url': 'https://attacker.example'}], {}),
            'create, origins': (
                'create',
                [
                    {
                        'name': 'Mine',
                        'base_url': self.sim.url,
                        'frame_origins': 'https://attacker.example',
                    }
                ],
                {},
            ),
            'create, SSO': (
                'create',
                [{'name': 'Mine', 'base_url': self.sim.url, 'session_mode': 'sso'}],
                {},
            ),
            'create, context default': (
                'create',
                [{'name': 'Mine'}],
                {'context': {'default_base_url': 'https://attacker.example'}},
            ),
            'copy': ('copy', [[self.server.id]], {}),
            'copy, new URL': (
                'copy',
                [[self.server.id], {'base_url': 'https://attacker.example'}],
                {},
            ),
            'copy, origins': (
                'copy',
                [[self.server.id]],
                {'default': {'frame_origins': 'https://attacker.example'}},
            ),
        }
        for label, (method, args, kwargs) in attempts.items():
            with self.subTest(attempt=label):
                self.assertAccessError(
                    self._call_kw('ameyo.server', method, args, manager_cookies, kwargs)
                )
        self.env.invalidate_all()
        self.assertEqual(
            self.env['ameyo.server'].with_context(active_test=False).search([]), servers_before
        )
        self.assertEqual(
            (self.server.session_mode, self.server.frame_origins, self.server.sso_source_networks),
            ('cookie', False, False),
        )
        # the system administrator may
        system_cookies = self._login_cookies('t_system')
        answer = self._call_kw(
            'ameyo.server',
            'create',
            [
                {
                    'name': 'Second',
                    'base_url': 'https://ameyo2.example',
                    'frame_origins': 'https://ameyo2.example',
                    'session_mode': 'sso',
                    'sso_source_networks': '203.0.113.10',
                }
            ],
            system_cookies,
        )
        self.assertTrue(answer.get('result'), answer)
        answer = self._call_kw('ameyo.server', 'copy', [[self.server.id]], system_cookies)
        self.assertTrue(answer.get('result'), answer)
        answer = self._call_kw(
            'ameyo.server',
            'write',
            [[self.server.id], {'frame_origins': 'https://ok.example'}],
            system_cookies,
        )
        self.assertTrue(answer.get('result'), answer)

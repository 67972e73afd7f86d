from unittest.mock import patch

import requests

from odoo.tests import TransactionCase, new_test_user


class AmeyoCommon:
    """Fixtures of our own (demo data may or may not be installed): one server, one
    campaign with a disposition plan and a queue, two agents and a supervisor."""

    @classmethod
    def setup_ameyo_fixtures(cls):
        env = cls.env
        cls.server = env['ameyo.server'].create({
            'name': 'Test Ameyo',
            'base_url': 'http://127.0.0.1:1/',
            'hash_key': 'test-hash-key-SECRET',
            'requesting_host': 'odoo.test',
            'dispose_token': 'test-dispose-token-SECRET',
            'admin_user_id': 'admin',
            'admin_password': 'admin-password-SECRET',
        })
        cls.campaign = env['ameyo.campaign'].create({
            'server_id': cls.server.id,
            'ameyo_campaign_id': '101',
            'name': 'Test Campaign',
        })
        cls.disposition = env['ameyo.disposition'].create({
            'campaign_id': cls.campaign.id, 'code': 'Sale', 'name': 'Sale', 'outcome': 'positive',
        })
        cls.queue = env['ameyo.queue'].create({
            'campaign_id': cls.campaign.id, 'ameyo_queue_id': '7', 'name': 'Test Queue',
        })
        agent_groups = 'crm_ameyo.group_ameyo_agent,sales_team.group_sale_salesman'
        cls.agent_a = new_test_user(env, login='t_agent_a', groups=agent_groups, ameyo_user_id='t.agent-a@acme')
        cls.agent_b = new_test_user(env, login='t_agent_b', groups=agent_groups, ameyo_user_id='t.agent-b@acme')
        cls.supervisor = new_test_user(env, login='t_supervisor',
                                       groups='crm_ameyo.group_ameyo_supervisor,sales_team.group_sale_salesman')
        cls.manager = new_test_user(env, login='t_manager', groups='crm_ameyo.group_ameyo_manager')

    @classmethod
    def create_leg(cls, crt_object_id, user, user_crt_object_id=None, **vals):
        return cls.env['ameyo.call'].create({
            'server_id': cls.server.id,
            'crt_object_id': crt_object_id,
            'user_crt_object_id': user_crt_object_id,
            'campaign_id': cls.campaign.id,
            'user_id': user.id,
            'phone': '+919876543210',
            **vals,
        })


class AmeyoTransactionCase(AmeyoCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_ameyo_fixtures()


class AmeyoHttpMixin:
    """Requests as a browser without stored cookies sends them, for HttpCase tests of sessions."""

    RPC = {'jsonrpc': '2.0', 'method': 'call', 'id': 1, 'params': {}}

    def _http(self, method, path, *, data=None, json_body=None, headers=None, cookies=None, timeout=30):
        """One request carrying only ``cookies``; the test cursor serves it; redirects are not followed."""
        headers = dict(headers or {})
        if cookies:
            headers['Cookie'] = '; '.join(f'{name}={value}' for name, value in cookies.items())
        self.env.flush_all()
        self.env.invalidate_all()
        # requests carry no test cookie of their own: let the test cursor serve any of them meanwhile
        with self.allow_requests(), patch.object(self, 'http_request_allow_all', True):
            response = requests.request(method, self.base_url() + path, data=data, json=json_body,
                                        headers=headers, allow_redirects=False, timeout=timeout)
        self.env.invalidate_all()
        return response

    def _rpc(self, path, params=None, cookies=None):
        """A JSON-RPC call; return its decoded answer (``result`` or ``error``)."""
        return self._http('POST', path, json_body=dict(self.RPC, params=params or {}), cookies=cookies).json()

    def _call_kw(self, model, method, args, cookies, kwargs=None):
        """What the web client sends for a button: ``/web/dataset/call_kw``."""
        return self._rpc(f'/web/dataset/call_kw/{model}/{method}', {
            'model': model, 'method': method, 'args': args, 'kwargs': kwargs or {}}, cookies=cookies)

    def _session_uid(self, sid):
        """The user the session ``sid`` is authenticated as, or None."""
        data = self._rpc('/web/session/get_session_info', cookies={'session_id': sid})
        if 'error' in data:
            return None
        return data['result']['uid']

    def _login_cookies(self, login, password=None):
        """The cookies of a browser logged in as ``login`` (password = login unless given)."""
        session = self.authenticate(login, password or login)
        return {'session_id': session.sid}

    @staticmethod
    def _set_cookies(response):
        """{cookie name: full Set-Cookie line}"""
        return {line.split('=', 1)[0]: line for line in response.raw.headers.getlist('Set-Cookie')}

    def assertNoSession(self, response):
        """The response opened no authenticated Odoo session."""
        cookie = self._set_cookies(response).get('session_id')
        if cookie:
            self.assertIsNone(self._session_uid(cookie.split(';', 1)[0].split('=', 1)[1]), cookie)

    def assertSessionOf(self, response, user):
        """The response opened an Odoo session authenticated as ``user``; return its id."""
        cookie = self._set_cookies(response).get('session_id')
        self.assertTrue(cookie, f'no session cookie in {response.headers}')
        sid = cookie.split(';', 1)[0].split('=', 1)[1]
        self.assertEqual(self._session_uid(sid), user.id)
        return sid

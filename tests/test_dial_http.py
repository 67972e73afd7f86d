"""Click-to-dial over RPC, as the web client calls it, and the simulator's pop of the dialed
call."""

from odoo.tests import HttpCase, new_test_user, tagged

from ..simulator import AmeyoSimulator, seed_demo
from .common import AmeyoHttpMixin


class DialHttpCase(AmeyoHttpMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = AmeyoSimulator(hash_key='dial-hash-key', requesting_host='odoo.dial').start()
        cls.addClassCleanup(cls.sim.stop)
        cls.server = cls.env['ameyo.server'].create(
            {
                'name': 'Dial Ameyo',
                'base_url': cls.sim.url,
                'hash_key': 'dial-hash-key',
                'requesting_host': 'odoo.dial',
                'session_mode': 'sso',
                'dial_api': 'token_async',
            }
        )
        cls.campaign = cls.env['ameyo.campaign'].create(
            {'server_id': cls.server.id, 'ameyo_campaign_id': '801', 'name': 'Dial Campaign'}
        )
        cls.dialer = new_test_user(
            cls.env,
            login='h_dialer',
            groups='crm_ameyo.group_ameyo_agent',
            ameyo_user_id='h.dialer@acme',
            ameyo_default_campaign_id=cls.campaign.id,
        )
        cls.partner = cls.env['res.partner'].create(
            {'name': 'Kavya Rao', 'phone': '+91 98450 12345', 'tz': 'Asia/Kolkata'}
        )

    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.sim.add_campaign('801', 'Dial Campaign')
        # Ameyo's SSO forwards the agent's password, the Odoo password of the mapped user here
        self.sim.add_agent('h.dialer@acme', password='h_dialer', campaigns=('801',))

    def wait_for_throws(self, count):
        """Let Odoo serve the simulator's pops (SSO login, customer URL) until ``count`` were
        thrown."""
        with self.server_calls():
            throws = self.sim.wait_for_throws(count)
        self.assertEqual(len(throws), count, throws)
        return throws


@tagged('post_install', '-at_install')
class TestDialRpc(DialHttpCase):
    def test_portal_user_is_refused_without_a_traceback(self):
        portal = new_test_user(self.env, login='h_portal', groups='base.group_portal')
        answer = self._call_kw(
            'res.partner',
            'action_ameyo_dial',
            [[portal.partner_id.id]],
            self._login_cookies('h_portal'),
        )
        self.assertNotIn('error', answer)
        self.assertEqual(
            (answer['result']['tag'], answer['result']['params']['type']),
            ('display_notification', 'danger'),
        )
        self.assertFalse(self.sim.requests_for('ial'))

    def test_unmapped_user_is_refused(self):
        new_test_user(self.env, login='h_seller', groups='sales_team.group_sale_salesman')
        answer = self._call_kw(
            'res.partner', 'action_ameyo_dial', [[self.partner.id]], self._login_cookies('h_seller')
        )
        self.assertEqual(answer['result']['params']['type'], 'danger')
        self.assertIn('Ameyo user ID', answer['result']['params']['message'])
        self.assertFalse(self.sim.requests_for('ial'))

    def test_session_tells_the_web_client_who_can_dial(self):
        info = self._rpc('/web/session/get_session_info', cookies=self._login_cookies('h_dialer'))[
            'result'
        ]
        self.assertIn('res.partner', info['ameyo_dial_models'])
        self.assertIn('crm.lead', info['ameyo_dial_models'])
        new_test_user(self.env, login='h_plain', groups='sales_team.group_sale_salesman')
        info = self._rpc('/web/session/get_session_info', cookies=self._login_cookies('h_plain'))[
            'result'
        ]
        self.assertEqual(info['ameyo_dial_models'], [])

    def test_dial_then_the_simulators_pop_adopts_the_attempt(self):
        self.sim.set_crm(self.base_url(), sso_url=self.base_url() + '/ameyo/sso', ring=0.2)
        answer = self._call_kw(
            'res.partner',
            'action_ameyo_dial',
            [[self.partner.id]],
            self._login_cookies('h_dialer'),
            kwargs={'phone_field': 'phone'},
        )
        self.assertEqual(answer['result']['params']['type'], 'success', answer)
        attempt = self.env['ameyo.call'].search([('user_id', '=', self.dialer.id)])
        self.assertEqual(attempt.state, 'dialing')
        [thrown] = self.wait_for_throws(1)
        self.assertIsNone(thrown['error'])
        self.assertEqual(thrown['status'], 303, thrown)
        # the dialed contact exists: the pop goes straight to its form
        self.assertIn(f'/odoo/contacts/{self.partner.id}', thrown['location'])
        self.assertEqual(self.env['ameyo.call'].search([('user_id', '=', self.dialer.id)]), attempt)
        self.assertEqual(
            (attempt.state, attempt.crt_object_id, attempt.partner_id, attempt.direction),
            ('connected', thrown['crtObjectId'], self.partner, 'outbound'),
        )


@tagged('post_install', '-at_install')
class TestDemoDial(AmeyoHttpMixin, HttpCase):
    """The demo as scripts/run.sh ships it: its server (session-cookie mode), its agent agent1 and
    the simulator seeded and started as run.sh starts it (``serve --demo --odoo <Odoo> --login``).
    Dial from Odoo, and the call pops."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.demo_server = cls.env.ref('crm_ameyo.demo_server', raise_if_not_found=False)
        if not cls.demo_server:
            return
        # the demo server's credentials are the simulator's defaults
        cls.sim = AmeyoSimulator().start()
        cls.addClassCleanup(cls.sim.stop)
        cls.demo_server.base_url = cls.sim.url  # run.sh: 127.0.0.1:8899
        cls.agent = cls.env.ref('crm_ameyo.demo_user_agent1')
        cls.partner = cls.env['res.partner'].create(
            {'name': 'Demo Dial Customer', 'phone': '+91 98450 77123'}
        )

    def setUp(self):
        super().setUp()
        # the demo's own server, as scripts/run.sh ships it (the test command installs the demo
        # data)
        self.assertTrue(self.demo_server, "these tests need the addon's demo data installed")
        self.sim.reset()
        seed_demo(self.sim)
        self.sim.set_crm(self.base_url(), ring=0.2, login=True)

    def dial_and_pop(self):
        answer = self._call_kw(
            'res.partner',
            'action_ameyo_dial',
            [[self.partner.id]],
            self._login_cookies('agent1'),
            kwargs={'phone_field': 'phone'},
        )
        self.assertEqual(answer['result']['params']['type'], 'success', answer)
        self.assertIn('Dial request sent to Ameyo', answer['result']['params']['message'])
        with self.server_calls():
            [thrown] = self.sim.wait_for_throws(1)
        attempt = self.env['ameyo.call'].search(
            [('user_id', '=', self.agent.id)], order='id desc', limit=1
        )
        return thrown, attempt

    def test_the_demo_dial_pops_with_the_agents_odoo_session(self):
        self.assertEqual(self.demo_server.session_mode, 'cookie')
        thrown, attempt = self.dial_and_pop()
        self.assertIsNone(thrown['error'])
        self.assertEqual(thrown['status'], 303, thrown)
        self.assertIn(f'/odoo/contacts/{self.partner.id}', thrown['location'])
        self.assertEqual(
            (attempt.state, attempt.crt_object_id, attempt.partner_id, attempt.server_id),
            ('connected', thrown['crtObjectId'], self.partner, self.demo_server),
        )
        # the agent's web client: the call banner shows the live call
        banner = self._call_kw('ameyo.call', 'get_current_call', [], self._login_cookies('agent1'))
        self.assertEqual(banner['result']['id'], attempt.id, banner)

    def test_without_the_agents_odoo_session_the_pop_meets_the_login_page(self):
        """Why the simulator logs the agent in: in the session-cookie mode a pop without their
        session is Odoo's login page, and the dial attempt stays an attempt; so is a refused login
        (a wrong password)."""
        self.sim.set_crm(self.base_url(), ring=0.2)
        thrown, attempt = self.dial_and_pop()
        self.assertIn(thrown['status'], (302, 303), thrown)
        self.assertIn('/web/login', thrown['location'])
        self.assertEqual(attempt.state, 'dialing')
        attempt._ameyo_update_state('dial_failed')
        self.sim.reset()
        self.sim.add_campaign('1', 'Inbound Sales')
        self.sim.add_agent('agent1', password='not-the-odoo-password', campaigns=('1',))
        self.sim.set_crm(self.base_url(), ring=0.2, login=True)
        thrown, attempt = self.dial_and_pop()
        self.assertEqual(thrown['error'], 'Odoo login refused')
        self.assertIn('/web/login', thrown['location'])

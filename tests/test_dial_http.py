"""Click-to-dial over RPC, as the web client calls it, and the simulator's pop of the dialed call."""
from odoo.tests import HttpCase, new_test_user, tagged

from ..simulator import AmeyoSimulator
from .common import AmeyoHttpMixin


class DialHttpCase(AmeyoHttpMixin, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = AmeyoSimulator(hash_key='dial-hash-key', requesting_host='odoo.dial').start()
        cls.addClassCleanup(cls.sim.stop)
        cls.server = cls.env['ameyo.server'].create({
            'name': 'Dial Ameyo', 'base_url': cls.sim.url, 'hash_key': 'dial-hash-key',
            'requesting_host': 'odoo.dial', 'session_mode': 'sso', 'dial_api': 'token_async'})
        cls.campaign = cls.env['ameyo.campaign'].create(
            {'server_id': cls.server.id, 'ameyo_campaign_id': '801', 'name': 'Dial Campaign'})
        cls.dialer = new_test_user(cls.env, login='h_dialer', groups='crm_ameyo.group_ameyo_agent',
                                   ameyo_user_id='h.dialer@acme', ameyo_default_campaign_id=cls.campaign.id)
        cls.partner = cls.env['res.partner'].create({'name': 'Kavya Rao', 'phone': '+91 98450 12345',
                                                     'tz': 'Asia/Kolkata'})

    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.sim.add_campaign('801', 'Dial Campaign')
        # Ameyo's SSO forwards the agent's password, the Odoo password of the mapped user here
        self.sim.add_agent('h.dialer@acme', password='h_dialer', campaigns=('801',))

    def wait_for_throws(self, count):
        """Let Odoo serve the simulator's pops (SSO login, customer URL) until ``count`` were thrown."""
        with self.server_calls():
            throws = self.sim.wait_for_throws(count)
        self.assertEqual(len(throws), count, throws)
        return throws


@tagged('post_install', '-at_install')
class TestDialRpc(DialHttpCase):

    def test_portal_user_is_refused_without_a_traceback(self):
        portal = new_test_user(self.env, login='h_portal', groups='base.group_portal')
        answer = self._call_kw('res.partner', 'action_ameyo_dial', [[portal.partner_id.id]],
                               self._login_cookies('h_portal'))
        self.assertNotIn('error', answer)
        self.assertEqual((answer['result']['tag'], answer['result']['params']['type']),
                         ('display_notification', 'danger'))
        self.assertFalse(self.sim.requests_for('ial'))

    def test_unmapped_user_is_refused(self):
        new_test_user(self.env, login='h_seller', groups='sales_team.group_sale_salesman')
        answer = self._call_kw('res.partner', 'action_ameyo_dial', [[self.partner.id]],
                               self._login_cookies('h_seller'))
        self.assertEqual(answer['result']['params']['type'], 'danger')
        self.assertIn('Ameyo user ID', answer['result']['params']['message'])
        self.assertFalse(self.sim.requests_for('ial'))

    def test_session_tells_the_web_client_who_can_dial(self):
        info = self._rpc('/web/session/get_session_info', cookies=self._login_cookies('h_dialer'))['result']
        self.assertIn('res.partner', info['ameyo_dial_models'])
        self.assertIn('crm.lead', info['ameyo_dial_models'])
        new_test_user(self.env, login='h_plain', groups='sales_team.group_sale_salesman')
        info = self._rpc('/web/session/get_session_info', cookies=self._login_cookies('h_plain'))['result']
        self.assertEqual(info['ameyo_dial_models'], [])

    def test_dial_then_the_simulators_pop_adopts_the_attempt(self):
        self.sim.set_crm(self.base_url(), sso_url=self.base_url() + '/ameyo/sso', ring=0.2)
        answer = self._call_kw('res.partner', 'action_ameyo_dial', [[self.partner.id]],
                               self._login_cookies('h_dialer'), kwargs={'phone_field': 'phone'})
        self.assertEqual(answer['result']['params']['type'], 'success', answer)
        attempt = self.env['ameyo.call'].search([('user_id', '=', self.dialer.id)])
        self.assertEqual(attempt.state, 'dialing')
        [thrown] = self.wait_for_throws(1)
        self.assertIsNone(thrown['error'])
        self.assertEqual(thrown['status'], 303, thrown)
        # the dialed contact exists: the pop goes straight to its form
        self.assertIn(f'/odoo/contacts/{self.partner.id}', thrown['location'])
        self.assertEqual(self.env['ameyo.call'].search([('user_id', '=', self.dialer.id)]), attempt)
        self.assertEqual((attempt.state, attempt.crt_object_id, attempt.partner_id, attempt.direction),
                         ('connected', thrown['crtObjectId'], self.partner, 'outbound'))

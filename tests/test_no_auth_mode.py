"""No-authentication mode: the URL token and the URL's userId open a session, for plain agents of
the server's company only, and only once every check passed (through Odoo's HTTP server)."""

from odoo.tests import new_test_user, tagged

from .common import AGENT_GROUPS, AmeyoHttpCase

URL_TOKEN = 'no-auth-url-token-0123456789'


@tagged('post_install', '-at_install')
class TestNoAuthMode(AmeyoHttpCase):

    server_values = {'session_mode': 'none', 'url_token': URL_TOKEN}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env['res.company'].create({'name': 'No-auth Other Co'})
        cls.other_agent = new_test_user(
            cls.env, login='t_other_agent', groups=AGENT_GROUPS, ameyo_user_id='t.other@acme',
            company_id=cls.other_company.id, company_ids=[cls.other_company.id])
        cls.supervisor.ameyo_user_id = 't.supervisor@acme'
        cls.manager.ameyo_user_id = 't.manager@acme'
        cls.sales_manager = new_test_user(
            cls.env, login='t_sales_manager', groups=AGENT_GROUPS + ',sales_team.group_sale_manager',
            ameyo_user_id='t.sales-manager@acme')
        cls.access_admin = new_test_user(
            cls.env, login='t_access_admin', groups=AGENT_GROUPS + ',base.group_erp_manager',
            ameyo_user_id='t.access-admin@acme')
        cls.system_admin = new_test_user(
            cls.env, login='t_system_admin', groups=AGENT_GROUPS + ',base.group_system', ameyo_user_id='t.system@acme')

    def _url(self, event='customer', **params):
        """An Ameyo URL of this server: it carries the URL token (pop_url's parameters)."""
        return self.pop_url(event, **{'token': URL_TOKEN, **params})

    def test_an_agent_of_the_server_company_gets_his_session(self):
        response = self._http('GET', self._url('kb', agent='T.AGENT-A@acme'))
        self.assertEqual(response.status_code, 200, response.text[:1000])
        sid = self.assertSessionOf(response, self.agent_a)
        # his backend opens with that cookie
        self.assertEqual(self._http('GET', '/odoo', cookies={'session_id': sid}).status_code, 200)
        response = self._http('GET', self._url())
        self.assertEqual(response.status_code, 303, response.text[:1000])
        self.assertSessionOf(response, self.agent_a)
        leg = self.env['ameyo.call'].search([('user_id', '=', self.agent_a.id)], order='id desc', limit=1)
        self.assertEqual(leg.state, 'connected')

    def test_refusals_open_no_session_and_write_nothing(self):
        refused = {
            'agent of another company': {'agent': self.other_agent},
            'Ameyo supervisor': {'agent': self.supervisor},
            'Ameyo administrator': {'agent': self.manager},
            'sales manager': {'agent': self.sales_manager},
            'access-rights administrator': {'agent': self.access_admin},
            'settings administrator': {'agent': self.system_admin},
            'unknown Ameyo user': {'agent': 'nobody@acme'},
            'wrong token': {'token': 'wrong-token-0123456789'},
            'no token': {'token': None},
        }
        for case, params in refused.items():
            for event in ('kb', 'customer', 'dispose'):
                with self.subTest(case=case, event=event):
                    before = self.snapshot()
                    code = 'Sale' if event == 'dispose' else None
                    response = self._http('GET', self._url(event, dispositionCode=code, **params))
                    self.assertEqual(response.status_code, 403, response.text[:1000])
                    self.assertNoSession(response)
                    self.assertEqual(self.snapshot(), before)

    def test_another_agents_leg_opens_no_session(self):
        """A refusal that comes after the agent is known (the leg is someone else's) opens nothing either."""
        crt = self.new_crt()
        self.create_leg(crt, self.agent_b, user_crt_object_id=f'{crt}-uce-1')
        response = self._http('GET', self._url(crt=crt, userCrtObjectId=f'{crt}-uce-1'))
        self.assertEqual(response.status_code, 403, response.text[:1000])
        self.assertIn('Not your call', response.text)
        self.assertNoSession(response)

    def test_the_url_alone_never_names_a_privileged_user(self):
        Users = self.env['res.users']
        self.assertEqual(Users._ameyo_find_agent('T.AGENT-A@acme', self.server), self.agent_a)
        for user in (self.supervisor, self.manager, self.sales_manager, self.access_admin, self.system_admin,
                     self.other_agent):
            with self.subTest(user=user.login):
                self.assertFalse(Users._ameyo_find_agent(user.ameyo_user_id, self.server))
        admin = self.env.ref('base.user_admin')
        admin.ameyo_user_id = 'boss@acme'
        self.assertFalse(Users._ameyo_find_agent('boss@acme', self.server))

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
        cls.other_company, cls.other_agent = cls.create_other_company_agent(
            'No-auth Other Co', 't_other_agent', 't.other@acme'
        )
        cls.supervisor.ameyo_user_id = 't.supervisor@acme'
        cls.manager.ameyo_user_id = 't.manager@acme'
        cls.sales_manager = new_test_user(
            cls.env,
            login='t_sales_manager',
            groups=AGENT_GROUPS + ',sales_team.group_sale_manager',
            ameyo_user_id='t.sales-manager@acme',
        )
        cls.access_admin = new_test_user(
            cls.env,
            login='t_access_admin',
            groups=AGENT_GROUPS + ',base.group_erp_manager',
            ameyo_user_id='t.access-admin@acme',
        )
        cls.system_admin = new_test_user(
            cls.env,
            login='t_system_admin',
            groups=AGENT_GROUPS + ',base.group_system',
            ameyo_user_id='t.system@acme',
        )
        # rights the deny-list of old knew nothing of: all the leads of the sales app, editing mail
        # templates
        cls.all_leads_agent = new_test_user(
            cls.env,
            login='t_all_leads',
            groups=AGENT_GROUPS + ',sales_team.group_sale_salesman_all_leads',
            ameyo_user_id='t.all-leads@acme',
        )
        cls.template_editor = new_test_user(
            cls.env,
            login='t_template_editor',
            groups=AGENT_GROUPS + ',mail.group_mail_template_editor',
            ameyo_user_id='t.template-editor@acme',
        )
        # an agent of two companies: Odoo adds its multi-company group (no privilege) to their
        # groups by itself
        cls.two_company_agent = new_test_user(
            cls.env,
            login='t_two_company_agent',
            groups=AGENT_GROUPS,
            ameyo_user_id='t.two-companies@acme',
            company_id=cls.server.company_id.id,
            company_ids=[cls.server.company_id.id, cls.other_company.id],
        )

    def _url(self, event='customer', **params):
        """An Ameyo URL of this server: it carries the URL token (pop_url's parameters)."""
        return self.pop_url(event, **{'token': URL_TOKEN, **params})

    def test_an_agent_of_the_server_company_gets_his_session(self):
        response = self._http('GET', self._url('kb', agent='T.AGENT-A@acme'))
        self.assertEqual(response.status_code, 200, response.text[:1000])
        sid = self.assertSessionOf(response, self.agent_a)
        # their backend opens with that cookie
        self.assertEqual(self._http('GET', '/odoo', cookies={'session_id': sid}).status_code, 200)
        response = self._http('GET', self._url())
        self.assertEqual(response.status_code, 303, response.text[:1000])
        self.assertSessionOf(response, self.agent_a)
        leg = self.env['ameyo.call'].search(
            [('user_id', '=', self.agent_a.id)], order='id desc', limit=1
        )
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

    def _assert_refused_for_rights(self, user):
        """Every URL naming ``user`` is refused (403, no session, nothing written) by a page that
        says why and which session mode to set instead."""
        for event in ('kb', 'customer', 'dispose'):
            with self.subTest(user=user.login, event=event):
                before = self.snapshot()
                code = 'Sale' if event == 'dispose' else None
                response = self._http('GET', self._url(event, agent=user, dispositionCode=code))
                self.assertEqual(response.status_code, 403, response.text[:1000])
                # Odoo's anonymous cookie at most, as on any public page
                self.assertNoSession(response)
                self.assertEqual(self.snapshot(), before)
                for words in ('rights beyond', 'Odoo session cookie', 'Single sign-on'):
                    self.assertIn(words, response.text)

    def test_an_all_leads_salesperson_gets_no_session(self):
        self._assert_refused_for_rights(self.all_leads_agent)

    def test_a_mail_template_editor_gets_no_session(self):
        # the template editor group has no privilege: what refuses it is that it grants access
        # rights (write on mail templates) and that Odoo's settings group implies it (an
        # administrator's power)
        editor_group = self.env.ref('mail.group_mail_template_editor')
        self.assertFalse(editor_group.privilege_id)
        self.assertNotIn(editor_group, self.env.ref('base.group_user').all_implied_ids)
        self._assert_refused_for_rights(self.template_editor)

    def test_an_agent_of_two_companies_gets_his_session(self):
        self.assertIn(
            self.env.ref('base.group_multi_company'), self.two_company_agent.all_group_ids
        )
        response = self._http('GET', self._url('kb', agent=self.two_company_agent))
        self.assertEqual(response.status_code, 200, response.text[:1000])
        self.assertSessionOf(response, self.two_company_agent)
        response = self._http('GET', self._url(agent=self.two_company_agent))
        self.assertEqual(response.status_code, 303, response.text[:1000])
        self.assertSessionOf(response, self.two_company_agent)

    def test_another_agents_leg_opens_no_session(self):
        """A refusal that comes after the agent is known (the leg is someone else's) opens nothing
        either."""
        crt = self.new_crt()
        self.create_leg(crt, self.agent_b, user_crt_object_id=f'{crt}-uce-1')
        response = self._http('GET', self._url(crt=crt, userCrtObjectId=f'{crt}-uce-1'))
        self.assertEqual(response.status_code, 403, response.text[:1000])
        self.assertIn('Not your call', response.text)
        self.assertNoSession(response)

    def test_the_url_alone_never_names_a_privileged_user(self):
        Users = self.env['res.users']
        self.assertEqual(Users._ameyo_find_agent('T.AGENT-A@acme', self.server), self.agent_a)
        self.assertEqual(
            Users._ameyo_find_agent('t.two-companies@acme', self.server), self.two_company_agent
        )
        for user in (
            self.supervisor,
            self.manager,
            self.sales_manager,
            self.access_admin,
            self.system_admin,
            self.all_leads_agent,
            self.template_editor,
            self.other_agent,
        ):
            with self.subTest(user=user.login):
                self.assertFalse(Users._ameyo_find_agent(user.ameyo_user_id, self.server))
        # a power of the settings group's without a privilege, access rights or record rules of its
        # own
        html_author = new_test_user(
            self.env,
            login='t_html_author',
            ameyo_user_id='t.html@acme',
            groups=AGENT_GROUPS + ',base.group_sanitize_override',
        )
        self.assertFalse(
            Users._ameyo_find_agent('t.html@acme', self.server), html_author.all_group_ids
        )
        admin = self.env.ref('base.user_admin')
        admin.ameyo_user_id = 'boss@acme'
        self.assertFalse(Users._ameyo_find_agent('boss@acme', self.server))

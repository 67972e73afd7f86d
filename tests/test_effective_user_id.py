"""The guide's "CRM user id equals Ameyo user id": an agent whose Ameyo User ID is empty is matched,
and sent to Ameyo, by their Odoo login (the effective Ameyo user id), through the real HTTP stack
and the simulator; and the SSO logout's answers (unknown crmSessionId, one already ended)."""

import hashlib

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .common import AGENT_GROUPS, AmeyoHttpCase, AmeyoTransactionCase
from .test_dial_http import DialHttpCase
from .test_dispose import DisposeCase

# the guide's deployment: the Odoo login is the Ameyo userId, the field empty
LOGIN = 'l.agent@acme'
PASSWORD = 'Login-agent-password-1'


@tagged('post_install', '-at_install')
class TestEffectiveUserId(AmeyoTransactionCase):
    """Which user an Ameyo userId names, and the constraint that keeps logins and Ameyo User IDs
    apart."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.login_agent = new_test_user(cls.env, login=LOGIN, groups=AGENT_GROUPS)
        cls.seller = new_test_user(
            cls.env, login='l.seller@acme', groups='sales_team.group_sale_salesman'
        )

    def test_effective_id_and_lookup(self):
        Users = self.env['res.users']
        self.assertEqual(self.login_agent.ameyo_effective_user_id, LOGIN)
        # the field, not the login
        self.assertEqual(self.agent_a.ameyo_effective_user_id, 't.agent-a@acme')
        for key in (LOGIN, 'L.AGENT@acme'):
            with self.subTest(key=key):
                self.assertEqual(Users._ameyo_user_for(key), self.login_agent)
                self.assertTrue(self.login_agent._ameyo_user_id_matches(key))
        # with the field set, the login no longer names the user
        self.assertFalse(Users._ameyo_user_for('t_agent_a'))
        self.assertFalse(self.agent_a._ameyo_user_id_matches('t_agent_a'))
        # a login outside the agent group names nobody, and such a user has no effective id
        self.assertFalse(Users._ameyo_user_for('l.seller@acme'))
        self.assertFalse(self.seller.ameyo_effective_user_id)
        # supervisors are agents by implication
        self.assertEqual(Users._ameyo_user_for('T_SUPERVISOR'), self.supervisor)
        # archived: nobody
        self.login_agent.active = False
        self.assertFalse(Users._ameyo_user_for(LOGIN))
        self.assertFalse(self.login_agent.ameyo_effective_user_id)

    def test_field_wins_over_another_users_login(self):
        """Data from before the constraint: a login equal to another user's Ameyo User ID. The field
        wins, and the login's user has no effective id (the dial does not send another agent's
        id)."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_users SET ameyo_user_id = 'L.Agent@ACME' WHERE id = %s", [self.agent_b.id]
        )
        self.env.invalidate_all()
        Users = self.env['res.users']
        self.assertEqual(Users._ameyo_user_for(LOGIN), self.agent_b)
        self.assertFalse(self.login_agent.ameyo_effective_user_id)
        self.assertFalse(self.login_agent._ameyo_user_id_matches(LOGIN))
        self.assertFalse(self.login_agent._ameyo_sso_entitled())

    def test_logins_differing_by_case_only_name_nobody(self):
        twin = new_test_user(self.env, login='L.AGENT@ACME', groups=AGENT_GROUPS)
        self.assertFalse(self.env['res.users']._ameyo_user_for(LOGIN))
        self.assertFalse(twin.ameyo_effective_user_id)
        self.assertFalse(self.login_agent.ameyo_effective_user_id)

    def test_login_may_not_be_another_users_ameyo_id(self):
        # the Ameyo User ID changes onto another user's login (any case)
        with (
            self.assertRaisesRegex(ValidationError, 'is the Ameyo User ID of'),
            self.env.cr.savepoint(),
        ):
            self.agent_b.ameyo_user_id = 'L.Agent@Acme'
        # the login changes onto another user's Ameyo User ID (any case)
        with (
            self.assertRaisesRegex(ValidationError, 'is the Ameyo User ID of'),
            self.env.cr.savepoint(),
        ):
            self.login_agent.login = 'T.Agent-A@ACME'
        # a new user too, and an archived user's Ameyo User ID counts
        self.agent_b.active = False
        with (
            self.assertRaisesRegex(ValidationError, 'is the Ameyo User ID of'),
            self.env.cr.savepoint(),
        ):
            new_test_user(self.env, login='t.agent-b@acme', groups=AGENT_GROUPS)
        # a user's own login may be their own Ameyo User ID
        self.login_agent.ameyo_user_id = LOGIN.upper()
        self.assertEqual(self.login_agent.ameyo_effective_user_id, LOGIN.upper())


@tagged('post_install', '-at_install')
class TestEffectiveUserIdPop(AmeyoHttpCase):
    """Ameyo's URLs naming the agent by login, in the session-cookie mode."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.login_agent = new_test_user(
            cls.env, login=LOGIN, password=PASSWORD, groups=AGENT_GROUPS
        )
        cls.seller = new_test_user(
            cls.env, login='l.seller@acme', groups='sales_team.group_sale_salesman'
        )

    def test_pop_by_login_in_any_case(self):
        self.authenticate(LOGIN, PASSWORD)
        for user_id in (LOGIN, 'L.Agent@ACME'):
            with self.subTest(user_id=user_id):
                leg = self.assertPops(self.throw(agent=user_id))
                self.assertEqual(leg.user_id, self.login_agent)
                self.assertEqual(leg.ameyo_user_ref.lower(), LOGIN)
        # the agent's Ameyo session, whose id carries the login, is recorded
        session_id = f'd928-61955288-ses-{LOGIN}-31'
        response = self.throw('kb', agent=LOGIN, sessionId=session_id)
        self.assertEqual(response.status_code, 200)
        self.assertIn(f'(Ameyo <span>{LOGIN}</span>)', response.text)
        session = (
            self.env['ameyo.agent.session'].sudo().search([('user_id', '=', self.login_agent.id)])
        )
        self.assertEqual(session.session_id, session_id)

    def test_the_field_wins_over_the_login(self):
        # agent_a has an Ameyo User ID: their login is not their Ameyo userId
        self.authenticate('t_agent_a', 't_agent_a')
        before = self.snapshot()
        response = self.throw(agent='t_agent_a')
        self.assertEqual(response.status_code, 403)
        self.assertIn('Wrong Odoo user', response.text)
        self.assertEqual(self.snapshot(), before)
        self.assertPops(self.throw(agent='T.Agent-A@acme'))

    def test_a_non_agents_login_names_nobody(self):
        self.authenticate('l.seller@acme', 'l.seller@acme')
        before = self.snapshot()
        response = self.throw(agent='l.seller@acme')
        self.assertEqual(response.status_code, 403)
        self.assertIn('who is not mapped to an Ameyo user', response.text)
        self.assertIn('an Ameyo user ID no Odoo user has', response.text)
        self.assertEqual(self.snapshot(), before)

    def test_no_authentication_mode_finds_the_agent_by_login(self):
        self.server.sudo().write(
            {'url_token': 'a-url-token-of-32-characters-xx', 'session_mode': 'none'}
        )
        leg = self.assertPops(
            self.throw(agent=LOGIN.upper(), token='a-url-token-of-32-characters-xx')
        )
        self.assertEqual(leg.user_id, self.login_agent)
        response = self.throw(agent='l.seller@acme', token='a-url-token-of-32-characters-xx')
        self.assertEqual(response.status_code, 403)
        self.assertIn('Unknown agent', response.text)


@tagged('post_install', '-at_install')
class TestEffectiveUserIdSso(AmeyoHttpCase):
    """Single sign-on with the login as userId; the logout's answers."""

    server_values = {'session_mode': 'sso', 'sso_source_networks': '127.0.0.1\n::1'}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.login_agent = new_test_user(
            cls.env, login=LOGIN, password=PASSWORD, groups=AGENT_GROUPS
        )

    def sso(self, **values):
        response = self._http('POST', '/ameyo/sso', json_body=values)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def token_record(self, token):
        return (
            self.env['ameyo.sso.token']
            .sudo()
            .search([('token_hash', '=', hashlib.sha256(token.encode()).hexdigest())])
        )

    def test_sso_login_by_login_and_a_login_change_revokes(self):
        answer = self.sso(command='login', userId='L.Agent@Acme', password=PASSWORD)
        self.assertEqual(answer['status'], 'success', answer)
        token = answer['crmsessionid']
        self.assertEqual(self.token_record(token).user_id, self.login_agent)
        leg = self.assertPops(self.throw(agent=LOGIN, crmSessionId=token))
        self.assertEqual(leg.user_id, self.login_agent)
        # setting the Ameyo User ID to the login (in another case) keeps the token: the same Ameyo
        # user
        self.login_agent.ameyo_user_id = 'L.AGENT@ACME'
        self.assertFalse(self.token_record(token).revoked)
        self.login_agent.ameyo_user_id = False
        # a new login is another Ameyo user: the token dies
        self.login_agent.login = 'l.agent.renamed@acme'
        self.assertTrue(self.token_record(token).revoked)
        response = self.throw(agent='l.agent.renamed@acme', crmSessionId=token)
        self.assertEqual(response.status_code, 403)
        # leaving the agent group (from the group's side) ends the mapping, and the token
        self.login_agent.login = LOGIN
        token = self.sso(command='login', userId=LOGIN, password=PASSWORD)['crmsessionid']
        self.env.ref('crm_ameyo.group_ameyo_agent').user_ids = [Command.unlink(self.login_agent.id)]
        self.assertTrue(self.token_record(token).revoked)
        self.assertFalse(self.login_agent.ameyo_effective_user_id)
        # a non-agent's login logs nobody in
        new_test_user(
            self.env,
            login='l.seller@acme',
            password=PASSWORD,
            groups='sales_team.group_sale_salesman',
        )
        answer = self.sso(command='login', userId='l.seller@acme', password=PASSWORD)
        self.assertEqual((answer['status'], answer['message']), ('failed', 'Invalid credentials'))
        # the login of an agent with an Ameyo User ID does not log them in either
        self.agent_a.password = PASSWORD
        answer = self.sso(command='login', userId='t_agent_a', password=PASSWORD)
        self.assertEqual((answer['status'], answer['message']), ('failed', 'Invalid credentials'))

    def test_a_login_change_keeping_the_ameyo_id_keeps_the_token(self):
        self.agent_a.password = PASSWORD
        token = self.sso(command='login', userId='t.agent-a@acme', password=PASSWORD)[
            'crmsessionid'
        ]
        self.agent_a.login = 't_agent_a_renamed'  # the field is the Ameyo user id: unchanged
        self.assertFalse(self.token_record(token).revoked)

    def test_logout_answers(self):
        token = self.sso(command='login', userId=LOGIN, password=PASSWORD)['crmsessionid']
        self.assertEqual(
            self.sso(command='logout', crmSessionId=token),
            {
                'status': 'success',
                'message': 'Logout Successful',
                'crmsessionid': token,
                'crmSessionId': token,
            },
        )
        self.assertTrue(self.token_record(token).revoked)
        # again (the agent logged out of Odoo first, or Ameyo repeats itself): the session had
        # already ended
        answer = self.sso(command='logout', crmSessionId=token)
        self.assertEqual(
            (answer['status'], answer['message']),
            ('success', 'Logout Successful: the CRM session had already ended'),
        )
        # a token Odoo revoked itself (a password change) is ended too
        other = self.sso(command='login', userId=LOGIN, password=PASSWORD)['crmsessionid']
        self.login_agent.password = PASSWORD + '-new'
        answer = self.sso(command='logout', crmSessionId=other)
        self.assertEqual(
            (answer['status'], answer['message']),
            ('success', 'Logout Successful: the CRM session had already ended'),
        )
        # a crmSessionId Odoo never issued: nothing ended, and the answer says so
        before = self.snapshot()
        for unknown in ('not-a-token-of-ours', '', 'x' * 300):
            with self.subTest(unknown=unknown[:20]):
                answer = self.sso(command='logout', crmSessionId=unknown)
                self.assertEqual(
                    answer,
                    {
                        'status': 'failed',
                        'message': 'Unknown crmSessionId: no CRM session was ended',
                        'crmsessionid': '',
                        'crmSessionId': '',
                    },
                )
        self.assertEqual(self.snapshot(), before)
        # the source networks still apply, to known tokens as to unknown ones
        self.server.sso_source_networks = '192.0.2.0/24'
        answer = self.sso(command='logout', crmSessionId='not-a-token-of-ours')
        self.assertEqual((answer['status'], answer['message']), ('failed', 'Address not allowed'))


@tagged('post_install', '-at_install')
class TestEffectiveUserIdDial(DialHttpCase):
    """The dial sends the login as userId; the simulator's pop (SSO with the login) adopts the
    attempt."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.login_dialer = new_test_user(
            cls.env,
            login='l.dialer@acme',
            groups='crm_ameyo.group_ameyo_agent',
            ameyo_default_campaign_id=cls.campaign.id,
        )

    def setUp(self):
        super().setUp()
        self.sim.add_agent('l.dialer@acme', password='l.dialer@acme', campaigns=('801',))

    def test_dial_sends_the_login_and_the_pop_finds_the_agent(self):
        info = self._rpc(
            '/web/session/get_session_info', cookies=self._login_cookies('l.dialer@acme')
        )['result']
        self.assertIn('res.partner', info['ameyo_dial_models'])
        self.sim.set_crm(self.base_url(), sso_url=self.base_url() + '/ameyo/sso', ring=0.2)
        answer = self._call_kw(
            'res.partner',
            'action_ameyo_dial',
            [[self.partner.id]],
            self._login_cookies('l.dialer@acme'),
            kwargs={'phone_field': 'phone'},
        )
        self.assertEqual(answer['result']['params']['type'], 'success', answer)
        [request] = self.sim.requests_for('clickToDialWithTokenAsync')
        self.assertEqual(request['json']['userId'], 'l.dialer@acme')
        attempt = self.env['ameyo.call'].search([('user_id', '=', self.login_dialer.id)])
        self.assertEqual((attempt.state, attempt.ameyo_user_ref), ('dialing', 'l.dialer@acme'))
        [thrown] = self.wait_for_throws(1)
        self.assertEqual(thrown['status'], 303, thrown)
        self.assertEqual(
            (attempt.state, attempt.crt_object_id), ('connected', thrown['crtObjectId'])
        )
        # the pop recorded the agent's Ameyo session, whose id carries the login
        session = (
            self.env['ameyo.agent.session'].sudo().search([('user_id', '=', self.login_dialer.id)])
        )
        self.assertIn('-ses-l.dialer@acme-', session.session_id)


@tagged('post_install', '-at_install')
class TestEffectiveUserIdDispose(DisposeCase):
    """Odoo disposes the call of a login-matched agent as that agent's Ameyo user: the login."""

    def test_dispose_sends_the_login(self):
        agent = new_test_user(self.env, login=LOGIN, groups=AGENT_GROUPS)
        self.sim.add_agent(LOGIN, campaigns=('101',))
        call, leg = self.pop(agent=agent, user_id=LOGIN)
        self.confirm(leg)
        self.send(leg)
        self.assertEqual(self.sim.requests_for('disposeCallForUser')[-1]['json']['userId'], LOGIN)
        self.assertEqual(leg.state, 'disposed')
        self.assertTrue(self.sim.dispositions_of(call))

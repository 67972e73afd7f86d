"""Through Odoo's HTTP server, what was tested at model level only: the knowledge-base URL carrying
a crmSessionId, Ameyo's dispose URL with every form of callback attribute, and
disposeAndManualDial's failure answers reaching the agent who pressed "Dispose and Redial"."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CLIENT_LOGGER, AmeyoHttpCase
from .test_sso import SsoCase

DISPOSE_LOGGER = 'odoo.addons.crm_ameyo.models.ameyo_call_dispose'


@tagged('post_install', '-at_install')
class TestKnowledgeBaseWithSsoToken(SsoCase):
    def test_kb_url_with_a_token_opens_the_agents_session(self):
        token = self._login()
        ameyo_session = 'd928-61955288-ses-t.agent-a@acme-31'
        response = self._http(
            'GET', self.pop_url('kb', crmSessionId=token, sessionId=ameyo_session)
        )
        self.assertEqual(response.status_code, 200, response.text[:2000])
        self.assertIn('o_ameyo_logout', response.text)  # the agent's workspace
        sid = self.assertSessionOf(response, self.agent_a)
        self.assertEqual(self._token_record(token).session_identifiers.split(), [sid[:42]])
        session = (
            self.env['ameyo.agent.session']
            .sudo()
            .search([('user_id', '=', self.agent_a.id), ('server_id', '=', self.server.id)])
        )
        self.assertEqual(session.session_id, ameyo_session)
        # the session it opened is the agent's web client
        webclient = self._http('GET', '/odoo', cookies={'session_id': sid})
        self.assertEqual(webclient.status_code, 200, webclient.headers.get('Location'))

    def test_kb_url_with_a_refused_token_opens_nothing(self):
        revoked = self._login()
        self._token_record(revoked).revoked = True
        of_agent_b = self._login(self.agent_b, 'Agent-B-password-2')
        for name, token, title in (
            ('unknown', 'x' * 43, 'Single sign-on expired'),
            ('revoked', revoked, 'Single sign-on expired'),
            ("another agent's", of_agent_b, 'Wrong Odoo user'),
        ):
            with self.subTest(token=name):
                before = self.snapshot()
                response = self._http(
                    'GET',
                    self.pop_url(
                        'kb', crmSessionId=token, sessionId='d928-61955288-ses-t.agent-a@acme-32'
                    ),
                )
                self.assertEqual(response.status_code, 403, response.text[:2000])
                self.assertIn(title, response.text)
                self.assertNotIn('Traceback', response.text)
                self.assertNoSession(response)
                self.assertEqual(self.snapshot(), before)


@tagged('post_install', '-at_install')
class TestDisposeUrlCallbacksHttp(AmeyoHttpCase):
    """Every form of dispositionAttribute Ameyo sends on its dispose URL plans the callback it
    says."""

    pop_phone = '9000000951'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_numbers((cls.pop_phone,))
        cls.server.callback_tz = 'Asia/Kolkata'
        cls.campaign.dispose_mode = 'ameyo_only'
        cls.partner = cls.env['res.partner'].create(
            {'name': 'Callback Caller', 'phone': cls.pop_phone, 'tz': 'Europe/London'}
        )
        cls.campaign.team_id = cls.env['crm.team'].create(
            {'name': 'Callbacks', 'user_id': cls.supervisor.id}
        )

    def setUp(self):
        super().setUp()
        self.authenticate('t_agent_a', 't_agent_a')

    def dispose_url(self, **dispose_params):
        """A call pops, then Ameyo throws its dispose URL with ``dispose_params``: the leg."""
        params = self.pop_params(crt=self.new_crt())
        leg = self.assertPops(self.throw(**params))
        self.assertEqual(leg.partner_id, self.partner)
        response = self.throw('dispose', **params, dispositionCode='Sale', **dispose_params)
        self.assertEqual(response.status_code, 200, response.text[:2000])
        self.assertIn('Call disposed', response.text)
        self.assertEqual(leg.state, 'disposed')
        return leg

    def assertCallback(self, leg, callback_at, user):
        activity = leg.callback_activity_id
        self.assertRecordValues(
            leg,
            [
                {
                    'callback_at': callback_at,
                    'callback_user_id': user.id,
                    'callback_by_ameyo': True,
                    'callback_unparsed': False,
                }
            ],
        )
        self.assertTrue(activity)
        self.assertEqual((activity.res_model, activity.res_id), ('res.partner', self.partner.id))
        self.assertEqual((activity.user_id, activity.date_deadline), (user, callback_at.date()))
        self.assertFalse(leg.attention_reason)

    def test_local_and_customer_times(self):
        utc_10_00_in_kolkata = datetime(2030, 1, 15, 4, 30)
        for attribute, flag, expected, user in (
            ('local-2030-01-15 10:00:00', 'true', utc_10_00_in_kolkata, self.agent_a),
            ('LOCAL-2030-01-15 10:00', '1', utc_10_00_in_kolkata, self.agent_a),
            ('local-2030-01-15 10:00:00', 'yes', utc_10_00_in_kolkata, self.agent_a),
            ('local-2030-01-15 10:00:00', None, utc_10_00_in_kolkata, self.agent_a),
            # a campaign callback: the leader of the campaign's team
            ('local-2030-01-15 10:00:00', 'false', utc_10_00_in_kolkata, self.supervisor),
            ('local-2030-01-15 10:00:00', '0', utc_10_00_in_kolkata, self.supervisor),
            # the customer's time zone (London is on UTC in January)
            ('customer-2030-01-15 10:00:00', 'true', datetime(2030, 1, 15, 10, 0), self.agent_a),
        ):
            with self.subTest(attribute=attribute, selfCallback=flag):
                leg = self.dispose_url(dispositionAttribute=attribute, selfCallback=flag)
                self.assertEqual(leg.disposition_attribute, attribute)
                self.assertCallback(leg, expected, user)

    def test_ameyo_spelling_dispositionAttr(self):
        leg = self.dispose_url(dispositionAttr='local-2030-01-15 10:00:00', selfCallback='true')
        self.assertCallback(leg, datetime(2030, 1, 15, 4, 30), self.agent_a)

    def test_after_a_delay(self):
        before = fields.Datetime.now().replace(microsecond=0)
        leg = self.dispose_url(
            dispositionAttribute='after-01-00-0000 02:30:00', selfCallback='true'
        )
        after = fields.Datetime.now()
        self.assertTrue(
            before + timedelta(days=1, hours=2, minutes=30)
            <= leg.callback_at
            <= after + timedelta(days=1, hours=2, minutes=30),
            leg.callback_at,
        )
        self.assertCallback(leg, leg.callback_at, self.agent_a)

    def test_the_servers_time_format(self):
        self.server.callback_time_format = '%d/%m/%Y %H:%M'
        leg = self.dispose_url(dispositionAttribute='local-15/01/2030 10:00', selfCallback='true')
        self.assertCallback(leg, datetime(2030, 1, 15, 4, 30), self.agent_a)

    def test_unreadable_attribute_kept_for_a_supervisor(self):
        leg = self.dispose_url(dispositionAttribute='next tuesday morning', selfCallback='true')
        self.assertRecordValues(
            leg,
            [
                {
                    'disposition_attribute': 'next tuesday morning',
                    'callback_unparsed': True,
                    'callback_at': False,
                    'attention_reason': 'callback_unparsed',
                }
            ],
        )
        self.assertFalse(leg.callback_activity_id)


@tagged('post_install', '-at_install')
class TestDisposeAndRedialFailuresHttp(AmeyoHttpCase):
    """The agent presses "Dispose and Redial" in the web client (the wizard saved, then the send)
    with an Ameyo session Odoo knows: disposeAndManualDial's failure answers, as the simulator gives
    them."""

    pop_phone = '9000000961'
    redial_phone = '9000000962'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_numbers((cls.pop_phone, cls.redial_phone))
        cls.sim = cls.start_simulator()
        cls.server.write({'base_url': cls.sim.url, 'api_flavour': 'rest'})
        cls.campaign.write({'dispose_mode': 'crm_only', 'wrap_timeout': 60})
        cls.not_in_ameyo = cls.env['ameyo.disposition'].create(
            {'campaign_id': cls.campaign.id, 'code': 'Not In Ameyo Plan', 'name': 'Odoo only'}
        )

    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.sim.add_campaign('101', 'Test Campaign', dispositions=('Sale', 'Callback'))
        self.sim.add_agent('t.agent-a@acme', password='pw-a', campaigns=('101',))
        self.cookies = self._login_cookies('t_agent_a')

    def pop(self, **params):
        """Ameyo connects a call to the agent and their browser loads its customer URL: (call,
        leg)."""
        call = self.sim.start_call('t.agent-a@acme', '101', self.pop_phone)
        query = urlencode(self.sim.lifecycle_params(call, 'customer', **params))
        leg = self.assertPops(self._http('GET', f'/ameyo/customer?{query}', cookies=self.cookies))
        self.assertEqual(
            self.server._ameyo_agent_session(self.agent_a).session_id,
            params.get('sessionId') or self.sim.latest_session('t.agent-a@acme'),
        )
        return call, leg

    def dispose_and_redial(self, leg, disposition):
        """The wizard saved and confirmed, then the send, as the web client asks them: the agent's
        notification."""
        wizard = self._call_kw(
            'ameyo.dispose.wizard',
            'create',
            [
                {
                    'call_id': leg.id,
                    'disposition_id': disposition.id,
                    'notes': 'Call me on the other number',
                    'redial': True,
                    'redial_phone': self.redial_phone,
                }
            ],
            self.cookies,
        )
        self.assertIn('result', wizard, wizard)
        answer = self._call_kw(
            'ameyo.dispose.wizard', 'action_confirm', [wizard['result']], self.cookies
        )
        self.assertEqual(answer.get('result', {}).get('tag'), 'crm_ameyo.send_dispose', answer)
        with mute_logger(CLIENT_LOGGER, DISPOSE_LOGGER):
            answer = self._call_kw('ameyo.call', 'action_send_dispose', [[leg.id]], self.cookies)
        self.assertIn('result', answer, answer)
        self.env.invalidate_all()
        self.assertEqual(len(self.sim.requests_for('disposeAndManualDial')), 1)
        return answer['result']['params']

    def assertNotDisposed(self, leg, notice, reason, api='dispose_dial'):
        """Ameyo said no: the leg failed for good (no retry, outcome known), the agent reads why and
        what to do."""
        self.assertRecordValues(
            leg,
            [
                {
                    'state': 'dispose_failed',
                    'dispose_api': api,
                    'dispose_outcome_unknown': False,
                    'dispose_next_try': False,
                    'notes': 'Call me on the other number',
                }
            ],
        )
        self.assertIn(reason, leg.dispose_error)
        self.assertEqual(
            (notice['type'], notice['title']), ('danger', 'Saved in Odoo, not in Ameyo')
        )
        self.assertIn('The call is not disposed in Ameyo', notice['message'])
        self.assertIn(reason, notice['message'])
        self.assertIn('Dispose the call in Ameyo.', notice['message'])
        self.assertNotIn('Traceback', notice['message'])
        self.assertFalse(self.redials())

    def redials(self):
        """The calls Ameyo placed to the redial number."""
        return [call for call in self.sim.calls() if call['phone'] == self.redial_phone]

    def test_success_redials(self):
        call, leg = self.pop()
        notice = self.dispose_and_redial(leg, self.disposition)
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'dispose_dial'))
        self.assertEqual((notice['type'], notice['title']), ('success', 'Call disposed, redialing'))
        self.assertEqual([entry['code'] for entry in self.sim.dispositions_of(call)], ['Sale'])
        self.assertEqual(len(self.redials()), 1)

    def test_the_guides_success_answer(self):
        """The integration guide's shape of a success: HTTP 200 JSON with result and reason."""
        call, leg = self.pop()
        self.sim.inject(
            'disposeAndManualDial',
            status=200,
            body={'result': 'success', 'reason': 'success'},
            carry_out=True,
        )
        notice = self.dispose_and_redial(leg, self.disposition)
        self.assertEqual((leg.state, leg.dispose_error), ('disposed', False))
        self.assertEqual(notice['title'], 'Call disposed, redialing')
        self.assertEqual(len(self.redials()), 1)

    def test_the_guides_failure_answer(self):
        """The integration guide's shape of a failure: HTTP 200 JSON with result and reason."""
        call, leg = self.pop()
        self.sim.inject(
            'disposeAndManualDial',
            status=200,
            body={'result': 'failed', 'reason': 'Disposition code is not assigned to the campaign'},
        )
        notice = self.dispose_and_redial(leg, self.disposition)
        self.assertNotDisposed(leg, notice, 'Disposition code is not assigned to the campaign')
        self.assertFalse(self.sim.dispositions_of(call))

    def test_disposition_not_in_the_plan(self):
        call, leg = self.pop()
        notice = self.dispose_and_redial(leg, self.not_in_ameyo)
        self.assertNotDisposed(leg, notice, 'not in the disposition plan of campaign 101')
        self.assertIn('Ameyo refused the dispose and redial', leg.dispose_error)
        self.assertFalse(self.sim.dispositions_of(call))

    def test_invalid_crt_object_id(self):
        # a call Odoo knows and this Ameyo does not (a URL of another node, a replayed URL)
        # the agent is on a call in Ameyo
        self.sim.start_call('t.agent-a@acme', '101', self.pop_phone)
        session = self.sim.latest_session('t.agent-a@acme')
        query = urlencode(self.pop_params(crt=self.new_crt(), sessionId=session))
        leg = self.assertPops(self._http('GET', f'/ameyo/customer?{query}', cookies=self.cookies))
        notice = self.dispose_and_redial(leg, self.disposition)
        self.assertNotDisposed(leg, notice, f'invalid crtObjectId {leg.crt_object_id}')

    def test_invalid_session_id(self):
        # Ameyo's client logged the agent in again, and no page told Odoo: the session Odoo knows is
        # dead
        call, leg = self.pop()
        self.sim.logout(self.sim.latest_session('t.agent-a@acme'))
        self.sim.login('t.agent-a@acme')
        notice = self.dispose_and_redial(leg, self.disposition)
        # disposeAndManualDial was refused outright (invalid.session.id): Odoo forgot that session
        # and, at once, disposed with the dispose API, then dialed with the dial API
        self.assertFalse(self.server._ameyo_agent_session(self.agent_a))
        self.assertEqual(
            (leg.state, leg.dispose_api, leg.redial_outcome), ('disposed', 'rest', 'dialing')
        )
        self.assertEqual(
            [(entry['code'], entry['via']) for entry in self.sim.dispositions_of(call)],
            [('Sale', 'disposeCallForUser')],
        )
        self.assertEqual(
            (notice['type'], notice['title']), ('success', 'Call disposed, redialing'), notice
        )
        self.assertEqual(len(self.sim.wait_for_requests('clickToDialWithTokenAsync')), 1)

    def test_invalid_session_id_agent_logged_out(self):
        call, leg = self.pop()
        # Ameyo ended the agent's only session
        self.sim.logout(self.sim.latest_session('t.agent-a@acme'))
        notice = self.dispose_and_redial(leg, self.disposition)
        # refused with the dead session, then without it (Ameyo has no call of the agent to
        # dispose): nothing dialed, the dead session forgotten
        self.assertNotDisposed(leg, notice, 'no call to dispose for user', api='rest')
        self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), 1)
        self.assertFalse(self.server._ameyo_agent_session(self.agent_a))
        self.assertNotIn('hash key', notice['message'])
        self.assertFalse(self.sim.dispositions_of(call))
        # the agent logs in to Ameyo again (their knowledge-base page records the new session) and
        # presses Retry
        session = self.sim.login('t.agent-a@acme')
        query = urlencode(self.sim.lifecycle_params(call, 'kb'))
        self.assertEqual(
            self._http('GET', f'/ameyo/kb?{query}', cookies=self.cookies).status_code, 200
        )
        self.assertEqual(self.server._ameyo_agent_session(self.agent_a).session_id, session)
        with mute_logger(CLIENT_LOGGER, DISPOSE_LOGGER):
            answer = self._call_kw('ameyo.call', 'action_send_dispose', [[leg.id]], self.cookies)
        self.env.invalidate_all()
        self.assertEqual(answer['result']['params']['title'], 'Call disposed, redialing', answer)
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'dispose_dial'))
        self.assertEqual([entry['code'] for entry in self.sim.dispositions_of(call)], ['Sale'])
        self.assertEqual(len(self.redials()), 1)

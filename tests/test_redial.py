"""Dispose and Redial never strands the agent, against the simulator: disposeAndManualDial with the
agent's Ameyo session; without it, the dispose API then the dial API (the dial gate, a dial attempt
the next pop adopts, tries again while Ameyo has not freed the agent), never a dial after a dispose
refused or unanswered, nor one the cron would make long after the agent asked. And the agent's
session: recorded only when its id names the agent, as the server's agent session pattern says."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import create_call_leg
from .test_dial_gate import GATEWAY_PAGE
from .test_dial_http import DialHttpCase
from .test_dispose import DisposeCase

AGENT = 't.agent-a@acme'
NUMBER = '9000000001'


class RedialCase(DisposeCase):
    def setUp(self):
        super().setUp()
        self.env.ref('base.main_company').country_id = self.env.ref('base.in')
        self.env['ir.config_parameter'].sudo().set_param('crm_ameyo.phone_country_code', '91')
        self.server.write(
            {'dial_api': 'auto', 'dial_number_format': 'national', 'dial_prefix': False}
        )

    def dials(self):
        return self.sim.requests_for('clickToDialWithTokenAsync')

    def attempts(self):
        return self.env['ameyo.call'].search(
            [('user_id', '=', self.agent_a.id), ('direction', '=', 'outbound')]
        )

    def redial(self, leg, number=NUMBER):
        """The agent saves the outcome with "Dispose and Redial", then the client tells Ameyo: their
        notification."""
        self.confirm(leg, redial=True, redial_phone=number)
        result = self.send(leg)
        self.env.invalidate_all()
        return result['params']

    def assertNotice(self, params, kind, title, *parts):
        self.assertEqual((params['type'], params['title']), (kind, title), params['message'])
        for part in parts:
            self.assertIn(part, params['message'])

    def assertNothingDialed(self):
        self.assertFalse(self.dials(), "Ameyo was asked to dial")
        self.assertFalse(self.sim.requests_for('disposeAndManualDial'))
        self.assertFalse(self.attempts())


class TestRedial(RedialCase):
    def test_with_the_agents_session_one_dispose_and_manual_dial(self):
        _call, leg = self.pop(record_session=True)
        notice = self.redial(leg)
        self.assertEqual(
            (leg.state, leg.dispose_api, leg.redial_outcome),
            ('disposed', 'dispose_dial', 'with_dispose'),
        )
        self.assertEqual(len(self.sim.requests_for('disposeAndManualDial')), 1)
        self.assertFalse(self.dials())
        self.assertFalse(self.attempts())
        self.assertNotice(
            notice, 'success', 'Call disposed, redialing', f'Ameyo is dialing {NUMBER}'
        )

    def test_without_a_session_the_dispose_then_the_dial_which_the_pop_adopts(self):
        call, leg = self.pop()
        notice = self.redial(leg)
        self.assertEqual(
            (leg.state, leg.dispose_api, leg.redial_outcome), ('disposed', 'rest', 'dialing')
        )
        self.assertEqual(
            [entry['via'] for entry in self.sim.dispositions_of(call)], ['disposeCallForUser']
        )
        [dispose] = self.sim.requests_for('disposeCallForUser')
        [dial] = self.sim.wait_for_requests('clickToDialWithTokenAsync')
        requests = self.sim.requests
        # the order Ameyo received them in
        self.assertLess(requests.index(dispose), requests.index(dial))
        self.assertEqual(
            (dial['json']['userId'], dial['json']['campaignId'], dial['json']['phone']),
            (AGENT, '101', NUMBER),
        )
        attempt = leg.redial_attempt_id
        self.assertEqual(self.attempts(), attempt)
        self.assertEqual(
            (attempt.state, attempt.user_id, attempt.dial_phone_sent, attempt.partner_id),
            ('dialing', self.agent_a, NUMBER, leg.partner_id),
        )
        self.assertEqual(dial['json']['additionalParams']['odooCallId'], str(attempt.id))
        self.assertNotice(
            notice, 'success', 'Call disposed, redialing', 'disposed in Ameyo', f'Dialing {NUMBER}'
        )
        self.assertIn(f'Disposed in Ameyo; dialing {NUMBER}', leg.message_ids[0].body)
        # Ameyo connects the dialed call: its pop adopts the attempt
        [dialed] = [entry for entry in self.sim.calls() if entry['phone'] == NUMBER]
        params = self.sim.lifecycle_params(dialed, 'customer')
        popped = self.env['ameyo.call']._ameyo_register_leg(
            self.server, params, 'customer', self.agent_a
        )
        self.assertEqual(popped, attempt)
        self.assertEqual(
            (attempt.state, attempt.crt_object_id), ('connected', dialed['crtObjectId'])
        )

    def test_a_dead_session_is_forgotten_and_the_dispose_then_dial_follows_at_once(self):
        # the agent logged in to Ameyo again without a page telling Odoo: the session Odoo knows is
        # dead
        call, leg = self.pop(record_session=True)
        self.sim.logout(self.sim.latest_session(AGENT))
        self.sim.login(AGENT)
        notice = self.redial(leg)
        # disposeAndManualDial refused it outright (nothing done): Odoo forgot it and disposed, then
        # dialed
        self.assertEqual(len(self.sim.requests_for('disposeAndManualDial')), 1)
        self.assertFalse(
            self.server._ameyo_agent_session(self.agent_a), "the dead session is still used"
        )
        self.assertEqual(
            (leg.state, leg.dispose_api, leg.redial_outcome), ('disposed', 'rest', 'dialing')
        )
        self.assertEqual(
            [entry['via'] for entry in self.sim.dispositions_of(call)], ['disposeCallForUser']
        )
        self.assertEqual(len(self.sim.wait_for_requests('clickToDialWithTokenAsync')), 1)
        self.assertNotice(notice, 'success', 'Call disposed, redialing', f'Dialing {NUMBER}')

    def test_a_dead_session_in_the_background_is_forgotten_not_resent(self):
        _call, leg = self.pop(record_session=True)
        self.sim.logout(self.sim.latest_session(AGENT))
        self.confirm(leg)
        # past the wrap window
        leg.sudo().dispose_saved_at = fields.Datetime.now() - timedelta(hours=1)
        self.run_cron()
        self.env.invalidate_all()
        self.assertEqual((leg.state, leg.dispose_api), ('dispose_failed', 'legacy'))
        self.assertIn('log in to Ameyo again', leg.dispose_error)
        # the agent's session is dead: nothing for an admin
        self.assertNotIn('hash key', leg.dispose_error)
        self.assertFalse(self.server._ameyo_agent_session(self.agent_a))
        # once: the cron resends nothing itself
        self.assertEqual(len(self.sim.requests_for('dacx/dispose')), 1)

    def test_a_refused_dispose_dials_nothing(self):
        _call, leg = self.pop()
        self.confirm(leg, code='Not In Ameyo Plan', redial=True, redial_phone=NUMBER)
        notice = self.send(leg)['params']
        self.assertEqual(leg.state, 'dispose_failed')
        self.assertNothingDialed()
        # the agent may retry: the redial follows a dispose Ameyo accepts
        self.assertFalse(leg.redial_refused)
        self.assertNotice(notice, 'danger', 'Saved in Odoo, not in Ameyo', 'Nothing was dialed.')
        self.assertIn('Nothing was dialed.', leg.message_ids[0].body)

    def test_a_dispose_without_an_answer_never_dials(self):
        call, leg = self.pop()
        self.sim.inject(
            'disposeCallForUser',
            status=504,
            body=GATEWAY_PAGE % {'status': 504},
            content_type='text/html',
            carry_out=True,
        )
        notice = self.redial(leg)
        self.assertEqual((leg.state, leg.dispose_outcome_unknown), ('dispose_failed', True))
        self.assertNothingDialed()
        self.assertIn('did not answer the dispose', leg.redial_refused)
        self.assertNotice(
            notice,
            'danger',
            'Saved in Odoo, not in Ameyo',
            'Nothing was dialed.',
            f'Odoo will not redial {NUMBER}',
        )
        # the retry names the call with the agent's session: Ameyo says it is done; still no dial
        self.server._ameyo_record_agent_session(self.agent_a, self.sim.latest_session(AGENT))
        leg.sudo().dispose_next_try = fields.Datetime.now() - timedelta(seconds=1)
        self.run_cron()
        self.env.invalidate_all()
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'legacy'))
        self.assertEqual(len(self.sim.dispositions_of(call)), 1)
        self.assertNothingDialed()
        self.assertNotice(
            leg.with_user(self.agent_a)._ameyo_dispose_notification_agent()['params'],
            'warning',
            'Call disposed, not redialed',
            f'Odoo did not redial {NUMBER}',
            'did not answer',
        )

    def test_not_in_ready_state_for_a_moment_then_dialed(self):
        _call, leg = self.pop()
        self.sim.set_not_ready_after_dispose(1)
        notice = self.redial(leg)
        self.assertEqual(len(self.sim.wait_for_requests('clickToDialWithTokenAsync', count=2)), 2)
        self.assertEqual([dial['json']['phone'] for dial in self.dials()], [NUMBER, NUMBER])
        self.assertEqual((leg.redial_outcome, leg.redial_attempt_id.state), ('dialing', 'dialing'))
        self.assertNotice(notice, 'success', 'Call disposed, redialing', f'Dialing {NUMBER}')

    def test_never_ready_is_said_after_a_few_seconds(self):
        _call, leg = self.pop()
        self.sim.set_not_ready_after_dispose(None)
        notice = self.redial(leg)
        self.assertEqual(len(self.dials()), 3)  # three tries
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual(
            (leg.redial_outcome, leg.redial_attempt_id.state), ('failed', 'dial_failed')
        )
        self.assertIn('User is not in ready state', leg.redial_error)
        self.assertNotice(
            notice,
            'warning',
            'Call disposed, not redialed',
            f'Ameyo did not dial {NUMBER}',
            'User is not in ready state',
        )
        self.assertIn(f'Disposed; Ameyo did not dial {NUMBER}', leg.message_ids[0].body)

    def test_the_dial_gate_refusing_disposes_without_the_redial(self):
        _call, leg = self.pop()
        self.confirm(leg, redial=True, redial_phone=NUMBER)
        self.env['res.partner'].create(
            {'name': 'Opted out', 'phone': '+91 90000 00001', 'ameyo_do_not_call': True}
        )
        notice = self.send(leg)['params']
        self.env.invalidate_all()
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'rest'))
        self.assertNothingDialed()
        self.assertIn('Do not call', leg.redial_refused)
        self.assertNotice(
            notice,
            'warning',
            'Call disposed, not redialed',
            f'Odoo did not redial {NUMBER}',
            'Do not call',
        )

    def test_without_a_session_or_a_safe_window_nothing_is_sent_and_the_reason_is_the_real_one(
        self,
    ):
        # Odoo cannot tell whether the call is still the agent's current one
        self.campaign.wrap_timeout = 0
        _call, leg = self.pop()
        notice = self.redial(leg)
        self.assertEqual(leg.state, 'dispose_failed')
        self.assertFalse(self.sim.requests_for('disposeCallForUser'))
        self.assertNothingDialed()
        self.assertIn("wrap time is not set in Odoo", leg.dispose_error)
        self.assertNotIn('another call arrived', leg.dispose_error)
        self.assertNotice(
            notice,
            'danger',
            'Saved in Odoo, not in Ameyo',
            'no Ameyo session of the agent',
            'Nothing was dialed.',
        )


class TestRedialInTheBackground(RedialCase):
    """The cron sends what the agent's tab did not: it dials only soon after the agent asked."""

    def setUp(self):
        super().setUp()
        # disposeCallForUser stays safe: only the redial's window counts
        self.campaign.wrap_timeout = 3600

    def saved_ago(self, leg, delta):
        leg.sudo().dispose_saved_at = fields.Datetime.now() - delta

    def test_soon_after_the_agent_asked_the_cron_dials(self):
        _call, leg = self.pop()
        self.confirm(leg, redial=True, redial_phone=NUMBER)  # the tab closed before it told Ameyo
        self.saved_ago(leg, timedelta(seconds=40))
        self.run_cron()
        self.env.invalidate_all()
        self.assertEqual((leg.state, leg.redial_outcome), ('disposed', 'dialing'))
        self.assertEqual(len(self.sim.wait_for_requests('clickToDialWithTokenAsync')), 1)

    def test_long_after_the_agent_asked_the_cron_disposes_without_dialing(self):
        for with_session in (False, True):
            with self.subTest(session=with_session):
                call, leg = self.pop(record_session=with_session)
                self.confirm(leg, redial=True, redial_phone=NUMBER)
                self.saved_ago(leg, timedelta(minutes=30))
                self.run_cron()
                self.env.invalidate_all()
                self.assertEqual(
                    (leg.state, leg.dispose_api), ('disposed', 'legacy' if with_session else 'rest')
                )
                self.assertNothingDialed()
                self.assertIn('in the background', leg.redial_refused)
                self.assertNotice(
                    leg.with_user(self.agent_a)._ameyo_dispose_notification_agent()['params'],
                    'warning',
                    'Call disposed, not redialed',
                    f'Odoo did not redial {NUMBER}',
                )
                self.env['ameyo.agent.session'].search([('user_id', '=', self.agent_a.id)]).unlink()


class TestAgentSessionPattern(DisposeCase):
    def sessions(self):
        return (
            self.env['ameyo.agent.session']
            .search([('user_id', '=', self.agent_a.id)])
            .mapped('session_id')
        )

    def test_the_default_refuses_another_agents_session(self):
        self.assertEqual(self.server.agent_session_pattern, '-ses-{userId}-')
        other = self.sim.add_agent('t.agent-b@acme', campaigns=('101',))
        self.server._ameyo_record_agent_session(self.agent_a, other)
        self.assertFalse(self.sessions())
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a.upper())  # any case
        self.assertEqual(self.sessions(), [self.session_a.upper()])
        belongs = self.server._ameyo_session_belongs_to
        # the user id is text, not an expression
        self.assertFalse(belongs('a.b', 'd928-1-ses-axb-2'))
        self.assertTrue(belongs('a.b', 'd928-1-ses-A.B-2'))
        self.assertFalse(belongs('', self.session_a))
        self.assertFalse(belongs(AGENT, ''))

    def test_a_custom_pattern_accepts_its_shape(self):
        self.server.agent_session_pattern = r'^{userId}:[0-9a-f]+$'
        # the default shape: not this server's
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a)
        self.assertFalse(self.sessions())
        self.server._ameyo_record_agent_session(self.agent_a, 't.agent-b@acme:c0ffee')
        self.assertFalse(self.sessions())
        self.server._ameyo_record_agent_session(self.agent_a, 'T.Agent-A@acme:c0ffee')
        self.assertEqual(self.sessions(), ['T.Agent-A@acme:c0ffee'])

    def test_the_pattern_must_name_the_agent(self):
        for pattern in (
            '-ses-',
            '{userId}|',
            '(-ses-{userId}',
            '.*',
            '{userId}|-ses-',
            '-ses-({userId}|[a-z.]+)-',
        ):
            with self.subTest(pattern=pattern), self.assertRaises(ValidationError):
                self.server.agent_session_pattern = pattern
                self.server.flush_recordset()
        self.assertEqual(self.server.agent_session_pattern, '-ses-{userId}-')

    def test_only_system_administrators_change_it(self):
        with self.assertRaises(AccessError):
            self.server.with_user(self.manager).write({'agent_session_pattern': '{userId}'})
        self.assertEqual(self.server.agent_session_pattern, '-ses-{userId}-')


@tagged('post_install', '-at_install')
class TestRedialHttp(DialHttpCase):
    """The agent's client through Odoo's HTTP server: the dispose, then the dial, whose pop (thrown
    by Ameyo's agent browser, logged in by SSO) adopts the attempt."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.write({'api_flavour': 'rest', 'dispose_token': 'sim-dispose-token'})
        cls.campaign.write({'dispose_mode': 'crm_only', 'wrap_timeout': 60})
        cls.disposition = cls.env['ameyo.disposition'].create(
            {'campaign_id': cls.campaign.id, 'code': 'Sale', 'name': 'Sale'}
        )

    def test_dispose_then_dial_and_the_next_pop_adopts_the_attempt(self):
        call = self.sim.start_call('h.dialer@acme', '801', '9845012345')
        self.sim.hangup(call)
        leg = create_call_leg(
            self.env,
            {
                'server_id': self.server.id,
                'campaign_id': self.campaign.id,
                'user_id': self.dialer.id,
                'crt_object_id': call['crtObjectId'],
                'user_crt_object_id': call['userCrtObjectId'],
                'phone': '9845012345',
                'partner_id': self.partner.id,
                'ameyo_assigned': True,
            },
        )
        self.sim.set_crm(self.base_url(), sso_url=self.base_url() + '/ameyo/sso', ring=0.2)
        cookies = self._login_cookies('h_dialer')
        wizard = self._call_kw(
            'ameyo.dispose.wizard',
            'create',
            [
                {
                    'call_id': leg.id,
                    'disposition_id': self.disposition.id,
                    'notes': 'Call me on the other line',
                    'redial': True,
                    'redial_phone': '+91 98450 12345',
                }
            ],
            cookies,
        )['result']
        self._call_kw('ameyo.dispose.wizard', 'action_confirm', [[wizard]], cookies)
        answer = self._call_kw('ameyo.call', 'action_send_dispose', [[leg.id]], cookies)
        params = answer['result']['params']
        self.assertEqual(
            (params['type'], params['title']), ('success', 'Call disposed, redialing'), params
        )
        self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), 1)
        [thrown] = self.wait_for_throws(1)
        self.assertEqual(thrown['status'], 303, thrown)
        self.assertIn(f'/odoo/contacts/{self.partner.id}', thrown['location'])
        self.env.invalidate_all()
        attempt = leg.redial_attempt_id
        self.assertEqual(
            self.env['ameyo.call'].search(
                [('user_id', '=', self.dialer.id), ('direction', '=', 'outbound')]
            ),
            attempt,
        )
        self.assertEqual(
            (attempt.state, attempt.crt_object_id), ('connected', thrown['crtObjectId'])
        )
        self.assertEqual((leg.state, leg.redial_outcome), ('disposed', 'dialing'))

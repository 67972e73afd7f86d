"""Disposition end to end against the simulator: save first, then Ameyo; nothing lost when it says
no."""

import time
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tools import mute_logger

from ..models.ameyo_call_dispose import MAX_DISPOSE_ATTEMPTS
from ..tools.ameyo_client import AmeyoClient
from ..tools.notification import LINES_CLASS
from .common import CLIENT_LOGGER, SimulatorCase, create_call_leg

DISPOSE_LOGGER = 'odoo.addons.crm_ameyo.models.ameyo_call_dispose'


class WorkerKilled(BaseException):
    """What a worker killed in the middle of a request leaves: none of its code runs any more."""


class DisposeCase(SimulatorCase):
    def setUp(self):
        super().setUp()
        self.env['ir.config_parameter'].sudo().set_param('crm_ameyo.phone_key_digits', 10)
        self.server.write({'callback_tz': 'Asia/Kolkata', 'api_flavour': 'rest'})
        self.campaign.write({'dispose_mode': 'crm_only', 'wrap_timeout': 60})
        self.env['ameyo.disposition'].create(
            [
                {
                    'campaign_id': self.campaign.id,
                    'code': 'Callback',
                    'name': 'Call back',
                    'is_callback': True,
                },
                {'campaign_id': self.campaign.id, 'code': 'Not In Ameyo Plan', 'name': 'Odoo only'},
            ]
        )
        # a number of its own (the demo data may hold others)
        self.partner = self.env['res.partner'].create(
            {'name': 'Meera Iyer', 'phone': '+91 97400 11223'}
        )
        self.env['ameyo.agent.session'].search([('user_id', '=', self.agent_a.id)]).unlink()
        # the send and the cron open transactions of their own: in tests, savepoints of this one
        self.env.flush_all()
        self.registry_enter_test_mode()

    def pop(self, agent=None, phone='9740011223', user_id='t.agent-a@acme', record_session=False):
        """Ameyo connects a call to the agent and throws the customer URL: the leg Odoo records."""
        agent = agent or self.agent_a
        call = self.sim.start_call(user_id, '101', phone)
        if record_session:
            self.server._ameyo_record_agent_session(agent, call['sessionId'])
        leg = self.ameyo_url(call, 'customer', agent)
        leg.with_user(agent)._ameyo_resolve_pop()
        return call, leg.with_user(agent)

    def ameyo_url(self, call, event, agent=None, **extra):
        """What Odoo records when Ameyo throws the ``event`` URL of ``call`` (the simulator's own
        parameters, ``extra`` added) for ``agent``, once the controller authenticated them: the
        leg."""
        params = self.sim.lifecycle_params(call, event, **extra)
        leg = self.env['ameyo.call']._ameyo_register_leg(
            self.server, params, event, agent or self.agent_a
        )
        if event == 'dispose':
            leg._ameyo_record_disposition(params)
        return leg

    def confirm(self, leg, code='Sale', notes='Wants the gold plan', **values):
        disposition = self.campaign.disposition_ids.filtered(lambda d: d.code == code)
        wizard = (
            self.env['ameyo.dispose.wizard']
            .with_user(leg.env.user)
            .create({'call_id': leg.id, 'disposition_id': disposition.id, 'notes': notes, **values})
        )
        return wizard.action_confirm()

    def send(self, leg):
        with mute_logger(CLIENT_LOGGER, DISPOSE_LOGGER):
            return leg.action_send_dispose()

    @contextmanager
    def worker_killed(self):
        """The block is cut off as a killed worker is. Not Odoo's assertRaises: that one rolls back
        a savepoint, and the transactions the send committed are savepoints inside it in tests,
        while nothing undoes a commit in production."""
        try:
            yield
        except WorkerKilled:
            return
        self.fail("the worker was not killed")

    def run_cron(self):
        """Run "Ameyo: retry disposes" as Odoo's scheduler does; return the cron record."""
        return self.run_cron_job('crm_ameyo.ir_cron_ameyo_retry_dispose', DISPOSE_LOGGER)


class TestDispose(DisposeCase):
    def test_notes_keep_their_line_breaks_in_the_chatter(self):
        _call, leg = self.pop()
        self.confirm(leg, notes='Sale Ordered\n20 units <b>by Friday</b>')
        body = str(self.partner.message_ids[0].body)
        # saved, Ameyo not told yet: the note does not say "disposed" (tests below: what happened to
        # the leg)
        self.assertRegex(
            body,
            r'Outcome of call 9740011223: Sale<br\s*/?>Sale Ordered<br\s*/?>'
            r'20 units &lt;b&gt;by Friday&lt;/b&gt;',
        )
        self.assertEqual(str(leg.sudo().message_ids[0].body), body)

    def test_crm_only_saves_first_then_frees_the_agent(self):
        call, leg = self.pop()
        self.assertEqual(leg.partner_id, self.partner)
        # the customer hung up: Ameyo holds the agent in wrap until the dispose
        self.sim.hangup(call)
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'wrap')
        action = self.confirm(leg)
        # saved, Ameyo not told yet: the client sends the second request
        self.assertEqual(action['tag'], 'crm_ameyo.send_dispose')
        self.assertEqual(leg.state, 'dispose_pending')
        self.assertEqual((leg.disposition_code, leg.notes), ('Sale', 'Wants the gold plan'))
        self.assertFalse(self.sim.requests_for('disposeCallForUser'))
        self.assertIn('Wants the gold plan', self.partner.message_ids[0].body)
        result = leg.action_send_dispose()
        self.assertEqual(result['params']['type'], 'success')
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual(leg.dispose_api, 'rest')
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'ready')
        [disposition] = self.sim.dispositions_of(call)
        self.assertEqual(
            (disposition['code'], disposition['requestId']), ('Sale', leg.dispose_request_id)
        )
        self.assertLessEqual(len(leg.dispose_request_id), 21)
        with self.assertRaises(UserError):
            leg.action_dispose()  # a disposed leg cannot be disposed again by mistake

    def test_callback_in_ameyo_time_zone_and_activity(self):
        call, leg = self.pop()
        self.agent_a.tz = 'Europe/Paris'
        callback_at = fields.Datetime.now().replace(microsecond=0) + timedelta(days=1)
        self.confirm(
            leg, code='Callback', callback_at=callback_at, callback_user_id=self.agent_b.id
        )
        self.assertEqual(leg.callback_at, callback_at)
        self.assertTrue(leg.disposition_attribute.startswith('local-'))
        activity = self.partner.activity_ids
        self.assertEqual(activity.user_id, self.agent_b)
        self.send(leg)
        self.assertEqual(leg.state, 'disposed')
        [disposition] = self.sim.dispositions_of(call)
        # Asia/Kolkata
        expected = (callback_at + timedelta(hours=5, minutes=30)).strftime('%Y-%m-%d %H:%M:%S')
        self.assertEqual(disposition['callbackTime'], expected)
        # another agent calls back (the guide's spelling)
        self.assertEqual(disposition['selfCallback'], 'false')

    def test_callback_call_links_the_call_that_scheduled_it(self):
        twin = self.env['res.partner'].create(
            {'name': 'Meera Iyer (office)', 'phone': '097400-11223'}
        )
        call, leg = self.pop()
        self.assertFalse(leg.partner_id)  # two contacts share the number: the agent picks
        leg._ameyo_link(twin)
        callback_at = fields.Datetime.now().replace(microsecond=0) + timedelta(hours=2)
        self.confirm(
            leg, code='Callback', callback_at=callback_at, callback_user_id=self.agent_a.id
        )
        self.send(leg)
        self.sim.start_call(
            't.agent-a@acme', '101', '09740011223', call_type='outbound.callback.dial'
        )
        callback_leg = self.ameyo_url(self.sim.calls()[-1], 'customer')
        outcome, record = callback_leg.with_user(self.agent_a)._ameyo_resolve_pop()
        self.assertEqual(callback_leg.callback_origin_id, leg.sudo())
        # the contact of the call that scheduled it
        self.assertEqual((outcome, record), ('open', twin))

    def test_refusal_keeps_everything_and_says_why(self):
        call, leg = self.pop()
        self.confirm(leg, code='Not In Ameyo Plan', notes='Customer asked for a quote')
        result = self.send(leg)
        self.assertEqual(leg.state, 'dispose_failed')
        self.assertIn('disposition.code.not.in.plan', leg.dispose_error)
        self.assertEqual(result['params']['type'], 'danger')
        self.assertIn('Dispose the call in Ameyo', result['params']['message'])
        self.assertFalse(leg.dispose_next_try)  # a refusal is not retried
        self.assertEqual(
            (leg.notes, leg.disposition_code), ('Customer asked for a quote', 'Not In Ameyo Plan')
        )
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'in_call')
        # the agent fixes the code and confirms again: same requestId, now accepted
        request_id = leg.dispose_request_id
        self.confirm(leg, code='Sale', notes='Customer asked for a quote')
        self.send(leg)
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual(leg.dispose_request_id, request_id)

    def test_dropped_connection_then_retry_that_ameyo_sees_once(self):
        call, leg = self.pop(record_session=True)
        self.confirm(leg)
        self.sim.inject('disposeCallForUser', drop=True)
        self.send(leg)
        self.assertEqual(leg.state, 'dispose_failed')
        self.assertTrue(leg.dispose_next_try)
        self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), 1)
        self.run_cron()  # not due yet
        self.assertEqual(leg.state, 'dispose_failed')
        leg.sudo().dispose_next_try = fields.Datetime.now() - timedelta(seconds=1)
        self.run_cron()
        self.assertEqual(leg.state, 'disposed')
        # the background retry names the call (dacx/dispose), with the agent's session
        self.assertEqual(leg.dispose_api, 'legacy')
        self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), 1)
        self.assertEqual(len(self.sim.requests_for('/dacx/dispose')), 1)
        self.assertEqual(len(self.sim.dispositions_of(call)), 1)

    def test_timeout_then_retry(self):
        call, leg = self.pop(record_session=True)
        self.confirm(leg)
        # Ameyo disposes, but answers after the client gave up
        self.sim.inject('disposeCallForUser', delay=1)
        with self.ameyo_timeout(0.3):
            self.send(leg)
        self.assertEqual(leg.state, 'dispose_failed')
        self.assertIn('did not answer', leg.dispose_error)
        self.sim.wait_for_requests('disposeCallForUser')
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'ready')
        leg.sudo().dispose_next_try = fields.Datetime.now() - timedelta(seconds=1)
        self.run_cron()
        # the retry names the call, Ameyo says it is done: the leg ends disposed, once
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'legacy'))
        self.assertEqual(len(self.sim.dispositions_of(call)), 1)

    def test_no_dispose_call_for_user_after_the_next_pop(self):
        call, leg = self.pop()
        self.confirm(leg)
        self.sim.inject('disposeCallForUser', status=500)  # Ameyo's HTML 500: it did not dispose
        self.send(leg)
        self.assertEqual(leg.state, 'dispose_failed')
        self.assertTrue(leg.dispose_next_try)
        self.sim.hangup(call)
        self.pop(phone='9740099887')  # the agent's next call arrived
        leg.sudo().dispose_next_try = fields.Datetime.now() - timedelta(seconds=1)
        self.run_cron()
        self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), 1)  # not resent
        self.assertEqual(leg.state, 'dispose_failed')
        self.assertIn('cannot tell Ameyo safely', leg.dispose_error)
        self.assertFalse(leg.dispose_next_try)

    def test_no_dispose_call_for_user_past_the_wrap_window(self):
        call, leg = self.pop()
        self.campaign.wrap_timeout = 30
        self.confirm(leg)
        # 0.8 x 30 s is over
        leg.sudo().dispose_saved_at = fields.Datetime.now() - timedelta(seconds=25)
        result = self.send(leg)
        self.assertEqual(result['params']['type'], 'danger')
        self.assertFalse(self.sim.requests_for('disposeCallForUser'))
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'in_call')

    def test_orphan_pending_leg_is_sent_by_the_cron(self):
        """The tab closed between the save and the send: the cron sends it, within the window."""
        call, leg = self.pop()
        self.confirm(leg)
        leg.sudo().dispose_saved_at = fields.Datetime.now() - timedelta(seconds=40)
        self.campaign.wrap_timeout = 120
        self.run_cron()
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'ready')

    def test_ameyo_accepts_then_odoo_fails(self):
        """Ameyo disposed, Odoo failed to record it: no second disposeCallForUser (it could dispose
        the agent's next call); the retry names the call, Ameyo says it is done, the leg ends
        disposed, once."""
        call, leg = self.pop(record_session=True)
        self.confirm(leg)
        call_class = type(self.env['ameyo.call'])
        with patch.object(call_class, '_ameyo_mark_disposed', side_effect=RuntimeError('db down')):
            result = self.send(leg)
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'ready')
        self.assertEqual(result['params']['type'], 'danger')
        self.assertEqual((leg.state, leg.dispose_outcome_unknown), ('dispose_failed', True))
        self.assertIn('Odoo failed while telling Ameyo (RuntimeError)', leg.dispose_error)
        self.assertFalse(leg.dispose_sending_since)
        leg.sudo().dispose_next_try = fields.Datetime.now() - timedelta(seconds=1)
        self.run_cron()
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'legacy'))
        self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), 1)
        self.assertEqual(len(self.sim.dispositions_of(call)), 1)

    def test_legacy_flavour_and_dispose_and_redial(self):
        # what a Legacy server migrates to
        self.server.write({'api_flavour': 'legacy', 'dispose_api': 'dacx'})
        call, leg = self.pop(record_session=True)
        self.confirm(leg)
        self.send(leg)
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'legacy'))
        self.assertEqual(
            self.sim.requests_for('/dacx/dispose')[0]['query']['crtObjectId'], [call['crtObjectId']]
        )
        self.server.write({'api_flavour': 'rest', 'dispose_api': 'auto'})
        call, leg = self.pop(phone='9740011223', record_session=True)
        self.confirm(leg, redial=True, redial_phone='9000000001')
        self.send(leg)
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'dispose_dial'))
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'in_call')  # the redial started
        # said once more: nothing to send
        self.assertEqual(self.send(leg)['params']['type'], 'success')
        notice = leg._ameyo_dispose_notification_agent()['params']
        self.assertEqual(notice['title'], 'Call disposed, redialing')
        self.assertIn('Ameyo is dialing 9000000001', notice['message'])
        self.assertEqual(
            self.sim.requests_for('disposeAndManualDial')[0]['json']['requestId'],
            leg.dispose_request_id,
        )

    def test_legacy_without_agent_session_says_what_to_do(self):
        self.server.write({'api_flavour': 'legacy', 'dispose_api': 'dacx'})
        call, leg = self.pop()
        self.confirm(leg)
        result = self.send(leg)
        self.assertEqual(leg.state, 'dispose_failed')
        self.assertIn('Dispose the call in Ameyo', result['params']['message'])

    def test_dispose_from_the_contact_saves_its_edits_first(self):
        call, leg = self.pop()
        partner = self.partner.with_user(self.agent_a)
        self.assertEqual(partner.ameyo_open_call_id, leg)
        # what the form's save does before the object button
        partner.write({'email': 'meera@example.com'})
        action = partner.action_ameyo_dispose()
        self.assertEqual(action['res_model'], 'ameyo.dispose.wizard')
        self.assertEqual(action['context']['default_call_id'], leg.id)
        self.confirm(leg)
        self.assertEqual(self.partner.email, 'meera@example.com')


class TestDisposeRights(DisposeCase):
    """Who disposes what: an agent their own legs, with the codes of their campaign; a supervisor
    any leg; and always as the leg's own agent in Ameyo."""

    def test_only_the_agent_or_a_supervisor_disposes(self):
        call, leg = self.pop()
        with self.assertRaises(AccessError):
            self.env['ameyo.dispose.wizard'].with_user(self.agent_b).create(
                {'call_id': leg.id}
            ).action_confirm()
        supervisor_leg = leg.with_user(self.supervisor)
        self.confirm(supervisor_leg, notes='By the supervisor')
        self.assertEqual(leg.state, 'dispose_pending')

    def test_agent_cannot_forge_a_leg_to_dispose_another_agent(self):
        self.sim.add_agent('t.agent-b@acme', campaigns=('101',))
        call_b = self.sim.start_call('t.agent-b@acme', '101', '9740000001')
        call, leg = self.pop()
        Call = self.env['ameyo.call'].with_user(self.agent_a)
        with self.assertRaises(AccessError):
            Call.create(
                {'server_id': self.server.id, 'crt_object_id': 'forged', 'user_id': self.agent_a.id}
            )
        with self.assertRaises(AccessError):
            leg.write({'ameyo_user_ref': 't.agent-b@acme', 'state': 'dispose_pending'})
        leg.write({'notes': 'my own notes'})  # what agents may change themselves
        # even a leg that says another Ameyo user is disposed as its own agent's
        leg.sudo().ameyo_user_ref = 't.agent-b@acme'
        self.confirm(leg)
        self.send(leg)
        self.assertEqual(
            self.sim.requests_for('disposeCallForUser')[-1]['json']['userId'], 't.agent-a@acme'
        )
        self.assertFalse(self.sim.dispositions_of(call_b))

    def test_disposition_of_another_campaign_is_refused(self):
        other = self.env['ameyo.campaign'].create(
            {'server_id': self.server.id, 'ameyo_campaign_id': '777', 'name': 'Other'}
        )
        foreign = self.env['ameyo.disposition'].create(
            {'campaign_id': other.id, 'code': 'Foreign', 'name': 'F'}
        )
        call, leg = self.pop()
        wizard = (
            self.env['ameyo.dispose.wizard']
            .with_user(self.agent_a)
            .create({'call_id': leg.id, 'disposition_id': foreign.id})
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertEqual(leg.state, 'connected')


class TestDisposeModes(DisposeCase):
    def test_dual_entry_saves_without_calling_ameyo_then_ameyo_dispose_url_lands_on_the_leg(self):
        self.campaign.dispose_mode = 'dual'
        call, leg = self.pop()
        action = self.confirm(leg, notes='Dual notes')
        self.assertEqual(action['tag'], 'display_notification')
        self.assertEqual(leg.state, 'disposed')
        self.assertFalse(self.sim.requests_for('disposeCallForUser'))
        same = self.ameyo_url(call, 'dispose', dispositionCode='Sale')
        self.assertEqual(same, leg.sudo())
        self.assertEqual(
            self.env['ameyo.call'].search_count([('crt_object_id', '=', call['crtObjectId'])]), 1
        )
        self.assertEqual(leg.notes, 'Dual notes')

    def test_forced_dispose_keeps_notes(self):
        self.campaign.dispose_mode = 'forced'
        call, leg = self.pop()
        self.confirm(leg, notes='Saved before the forced dispose')
        self.assertNotEqual(leg.state, 'disposed')
        self.ameyo_url(call, 'dispose', dispositionCode='Not Interested')
        self.assertEqual((leg.state, leg.disposition_code), ('disposed', 'Not Interested'))
        self.assertEqual(leg.notes, 'Saved before the forced dispose')
        self.assertFalse(self.sim.requests_for('disposeCallForUser'))

    def test_notes_survive_a_forced_dispose_while_typing(self):
        call, leg = self.pop()
        wizard = (
            self.env['ameyo.dispose.wizard']
            .with_user(self.agent_a)
            .create(
                {
                    'call_id': leg.id,
                    'disposition_id': self.disposition.id,
                    'notes': 'Typed while Ameyo timed out',
                }
            )
        )
        # Ameyo's wrap timeout disposed it
        self.ameyo_url(call, 'dispose', dispositionCode='Not Interested')
        action = wizard.action_confirm()
        self.assertEqual(action['params']['type'], 'warning')
        self.assertEqual(
            (leg.state, leg.disposition_code, leg.notes),
            ('disposed', 'Not Interested', 'Typed while Ameyo timed out'),
        )
        self.assertFalse(self.sim.requests_for('disposeCallForUser'))

    def test_ameyo_only_offers_notes_only(self):
        self.campaign.dispose_mode = 'ameyo_only'
        call, leg = self.pop()
        wizard = (
            self.env['ameyo.dispose.wizard']
            .with_user(self.agent_a)
            .create({'call_id': leg.id, 'notes': 'Only notes'})
        )
        wizard.action_confirm()
        self.assertEqual(
            (leg.state, leg.notes, leg.disposition_code), ('connected', 'Only notes', False)
        )
        self.assertFalse(self.sim.requests_for('dispose'))


class TestDisposeUnknownOutcome(DisposeCase):
    """A send whose outcome Odoo cannot know is never followed by a second disposeCallForUser: it
    names no call, and once Ameyo disposed this one it would dispose the agent's next."""

    GATEWAY_PAGE = (
        '<html><head><title>%(status)s Bad Gateway</title></head><body><center><h1>%(status)s</h1>'
        '</center><hr><center>nginx</center></body></html>'
    )

    def test_no_second_dispose_call_for_user_after_an_unknown_outcome(self):
        call, leg = self.pop()
        self.confirm(leg)
        self.sim.inject('disposeCallForUser', drop=True)
        self.send(leg)
        self.assertTrue(leg.dispose_outcome_unknown)
        self.send(leg)  # the agent retries: no session to name the call, and REST is not resent
        self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), 1)
        self.assertEqual(leg.state, 'dispose_failed')

    def test_gateway_error_after_dispose_call_for_user_is_an_unknown_outcome(self):
        """A proxy in front of Ameyo answers 502, 503 or 504 after Ameyo disposed the call."""
        for status, with_session in ((502, False), (503, True), (504, True)):
            with self.subTest(status=status):
                call, leg = self.pop(record_session=with_session)
                self.confirm(leg)
                sent = len(self.sim.requests_for('disposeCallForUser'))
                self.sim.inject(
                    'disposeCallForUser',
                    status=status,
                    body=self.GATEWAY_PAGE % {'status': status},
                    content_type='text/html',
                    carry_out=True,
                )
                self.send(leg)
                # Ameyo did dispose
                self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'ready')
                self.assertEqual((leg.state, leg.dispose_outcome_unknown), ('dispose_failed', True))
                self.assertIn('may or may not have been carried out', leg.dispose_error)
                self.assertNotIn('nginx', leg.dispose_error)
                # the agent clicks Retry, within the wrap window, before their next call
                self.send(leg)
                # not resent
                self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), sent + 1)
                if with_session:  # the retry names the call instead, and Ameyo says it is done
                    self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'legacy'))
                    self.assertEqual(len(self.sim.dispositions_of(call)), 1)
                else:
                    self.assertEqual(leg.state, 'dispose_failed')
                    self.assertIn('it may have disposed the call', leg.dispose_error)
                    self.assertFalse(leg.dispose_next_try)

    def test_the_sending_mark_survives_a_worker_killed_mid_request(self):
        """The worker (the server) dies while Ameyo disposes: the leg is known to be under way,
        then, once the send is taken as cut off, the cron never sends it again, not even by an API
        that names the call: Needing Attention says its outcome is unknown, and a supervisor
        decides."""
        for with_session in (False, True):
            with self.subTest(agent_session=with_session):
                self._check_a_worker_killed_mid_request(with_session)

    def _check_a_worker_killed_mid_request(self, with_session):
        call, leg = self.pop(record_session=with_session)
        sent = len(self.sim.requests_for('disposeCallForUser'))
        self.confirm(leg)
        send = AmeyoClient.dispose_call_for_user

        def killed(client, *args, **kwargs):
            send(client, *args, **kwargs)  # Ameyo disposes the call...
            raise WorkerKilled  # ...and the worker dies before it reads the answer

        with self.ameyo_client_replaced(dispose_call_for_user=killed), self.worker_killed():
            leg.action_send_dispose()
        leg.invalidate_recordset()
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'ready')
        # what was committed before the request left: the send is under way, its outcome unknown
        self.assertEqual(
            (leg.state, leg.dispose_attempts, leg.dispose_api), ('dispose_pending', 1, 'rest')
        )
        self.assertTrue(leg.dispose_outcome_unknown)
        self.assertTrue(leg.dispose_sending_since)
        # meanwhile the agent clicks Retry, or saves again: neither touches a send under way
        result = self.send(leg)
        self.assertEqual(result['params']['type'], 'warning')
        with self.assertRaises(UserError):
            self.confirm(leg, notes='Changed my mind')
        self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), sent + 1)
        # minutes later the cron takes the leg over: outcome unknown, to Needing Attention, sent
        # again by no API (with the agent's session, dacx/dispose could name the call: still the
        # supervisor's decision)
        now = fields.Datetime.now()
        leg.sudo().write(
            {
                'dispose_saved_at': now - timedelta(minutes=7),
                'dispose_sending_since': now - timedelta(minutes=6),
            }
        )
        self.run_cron()
        self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), sent + 1)
        self.assertFalse(
            [
                request
                for request in self.sim.requests_for('/dacx/dispose')
                if request['query'].get('crtObjectId') == [call['crtObjectId']]
            ]
        )
        self.assertEqual(
            (leg.state, leg.dispose_attempts, leg.dispose_next_try), ('dispose_failed', 1, False)
        )
        self.assertTrue(leg.dispose_outcome_unknown)
        self.assertIn('cut off', leg.dispose_error)
        self.assertIn('unknown', leg.dispose_error)
        self.assertFalse(leg.dispose_sending_since)
        self.assertEqual(leg.sudo().attention_reason, 'dispose_failed')
        self.assertIn('does not know whether Ameyo disposed', leg.sudo().attention_text)
        self.assertTrue(
            [
                message
                for message in leg.sudo().message_ids
                if 'Dispose outcome unknown' in message.body
            ]
        )
        self.run_cron()  # and the next runs leave it there
        self.assertEqual((leg.state, leg.dispose_attempts), ('dispose_failed', 1))
        if with_session:
            # the supervisor checks Ameyo and sends it again: dacx/dispose names the call, Ameyo
            # says it is done
            with mute_logger(CLIENT_LOGGER, DISPOSE_LOGGER):
                leg.with_user(self.supervisor).action_attention_retry_dispose()
            leg.invalidate_recordset()
            self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'legacy'))
            self.assertEqual(len(self.sim.dispositions_of(call)), 1)


class TestDisposeCron(DisposeCase):
    """The retry cron: one leg cannot stop it, it says what is left, it keeps to its time."""

    def orphans(self, count):
        """``count`` legs whose tab closed before telling Ameyo (the agent's session is known)."""
        legs = self.env['ameyo.call']
        for index in range(count):
            call, leg = self.pop(phone=f'974001122{index}', record_session=True)
            self.confirm(leg)
            legs |= leg
        legs.sudo().dispose_saved_at = fields.Datetime.now() - timedelta(seconds=40)
        return legs

    def cron_pass(self, limit=50, **context):
        """One call of the cron's method, in a transaction of its own as the scheduler runs it."""
        self.env.flush_all()
        with self.registry.cursor() as cr, mute_logger(CLIENT_LOGGER, DISPOSE_LOGGER):
            self.env(cr=cr)['ameyo.call'].with_context(**context)._cron_retry_dispose(limit=limit)
        self.env.invalidate_all()

    def test_one_bad_leg_does_not_stop_the_cron(self):
        """A CA bundle missing on this Odoo node for one server, a charset Python does not know in
        one answer: each leg is dealt with, the run succeeds, and the leg that cannot be sent says
        why."""
        other = self.env['ameyo.server'].create(
            {
                'name': 'Ameyo (other node)',
                'base_url': self.sim.url.replace('http://', 'https://'),
                'verify_tls': True,
                'ca_bundle': '/nonexistent/crm_ameyo/ameyo-ca.pem',
                'dispose_token': 'test-dispose-token-SECRET',
            }
        )
        other_campaign = self.env['ameyo.campaign'].create(
            {
                'server_id': other.id,
                'ameyo_campaign_id': '101',
                'name': 'Other node',
                'dispose_mode': 'crm_only',
                'wrap_timeout': 60,
            }
        )
        stranded = create_call_leg(
            self.env,
            {
                'server_id': other.id,
                'crt_object_id': 'd928-other-vce-1',
                'user_crt_object_id': 'd928-other-uce-1',
                'campaign_id': other_campaign.id,
                'ameyo_campaign_ref': '101',
                'user_id': self.agent_b.id,
                'phone': '9740011000',
                'state': 'dispose_pending',
                'disposition_code': 'Sale',
                'dispose_request_id': 'req-other-node-1',
                'dispose_saved_at': fields.Datetime.now() - timedelta(seconds=40),
            },
        )
        legs = self.orphans(2)
        self.sim.inject(
            '/dacx/dispose',
            status=200,
            body='Dispose Successfully',
            carry_out=True,
            content_type='text/plain; charset=x-ameyo-unknown',
        )
        cron = self.run_cron()
        self.assertEqual(cron.failure_count, 0)
        self.assertEqual(legs.mapped('state'), ['disposed', 'disposed'])
        self.assertEqual(self.sim.agent_state('t.agent-a@acme'), 'ready')
        self.assertEqual(stranded.state, 'dispose_failed')
        self.assertIn('CA bundle', stranded.dispose_error)

    def test_a_leg_that_fails_inside_odoo_is_recorded_and_the_cron_goes_on(self):
        """Whatever fails in Odoo for one leg (here an error no real answer can cause any more) is
        recorded on that leg as a failed attempt, retried later, and the other legs are sent."""
        first, second = self.orphans(2)
        send = AmeyoClient.dispose_legacy

        def failing(client, **kwargs):
            if kwargs['crt_object_id'] == first.crt_object_id:
                raise LookupError('unknown encoding: x-ameyo')
            return send(client, **kwargs)

        with self.ameyo_client_replaced(dispose_legacy=failing):
            cron = self.run_cron()
        self.assertEqual(cron.failure_count, 0)
        self.assertEqual(second.state, 'disposed')
        self.assertEqual((first.state, first.dispose_attempts), ('dispose_failed', 1))
        self.assertIn('Odoo failed while telling Ameyo (LookupError)', first.dispose_error)
        self.assertTrue(first.dispose_next_try)

    def test_the_cron_reports_what_is_left(self):
        legs = self.orphans(3)
        cron = self.env.ref('crm_ameyo.ir_cron_ameyo_retry_dispose')
        progress = self.env['ir.cron.progress'].create(
            {'cron_id': cron.id, 'remaining': 0, 'done': 0}
        )
        self.cron_pass(
            limit=2,
            cron_id=cron.id,
            ir_cron_progress_id=progress.id,
            cron_end_time=time.monotonic() + 3600,
        )
        self.assertEqual(legs.mapped('state'), ['disposed', 'disposed', 'dispose_pending'])
        self.assertEqual((progress.done, progress.remaining), (2, 1))  # Odoo runs it again at once

    def test_the_cron_stops_when_its_time_is_up(self):
        legs = self.orphans(3)
        cron = self.env.ref('crm_ameyo.ir_cron_ameyo_retry_dispose')
        progress = self.env['ir.cron.progress'].create(
            {'cron_id': cron.id, 'remaining': 0, 'done': 0}
        )
        self.cron_pass(
            cron_id=cron.id, ir_cron_progress_id=progress.id, cron_end_time=time.monotonic()
        )
        self.assertEqual(legs.mapped('state'), ['disposed', 'dispose_pending', 'dispose_pending'])
        self.assertEqual((progress.done, progress.remaining), (1, 2))

    def test_a_leg_whose_sends_keep_dying_ends_failed(self):
        """Each send of this leg kills its worker (say it runs out of memory): the cron's next run
        finds the send cut off and never sends it again (Ameyo may have disposed the call, even
        through dacx/dispose): the leg is failed with the reason, outcome unknown, for a supervisor,
        instead of pending forever or sent again until its attempts run out (as before
        19.0.1.8.0)."""
        [leg] = self.orphans(1)
        start = fields.Datetime.now()
        with self.ameyo_client_replaced(dispose_legacy=WorkerKilled) as sends:
            # a cron run every 6 minutes: past the time a send may take
            for run in range(1, MAX_DISPOSE_ATTEMPTS + 2):
                with freeze_time(start + timedelta(minutes=6 * run)):
                    if run == 1:
                        with self.worker_killed():
                            self.cron_pass()
                    else:
                        self.cron_pass()
        self.assertEqual(
            [kwargs['crt_object_id'] for _name, _args, kwargs in sends], [leg.crt_object_id]
        )
        self.assertEqual((leg.state, leg.dispose_attempts), ('dispose_failed', 1))
        self.assertIn('dacx/dispose to Ameyo was cut off', leg.dispose_error)
        self.assertTrue(leg.dispose_outcome_unknown)
        self.assertFalse(leg.dispose_next_try)
        self.assertEqual(leg.sudo().attention_reason, 'dispose_failed')


class TestDisposeAnswers(DisposeCase):
    """What Ameyo answers is read as it means it, and told to the agent in plain words."""

    def test_a_json_success_disposes_the_leg(self):
        """Never "Ameyo refused the dispose: success"."""
        call, leg = self.pop()
        self.confirm(leg)
        self.sim.inject(
            'disposeCallForUser',
            status=200,
            body={'status': 'success', 'message': 'success'},
            carry_out=True,
        )
        result = self.send(leg)
        self.assertEqual((result['params']['type'], leg.state), ('success', 'disposed'))
        self.assertFalse(leg.dispose_error)
        self.assertNotIn('refused', ' '.join(leg.sudo().message_ids.mapped('body')))

    def test_an_answer_odoo_does_not_know_leaves_the_outcome_unknown(self):
        call, leg = self.pop()
        self.confirm(leg)
        self.sim.inject(
            'disposeCallForUser',
            status=200,
            body='Request queued',
            content_type='text/plain',
            carry_out=True,
        )
        self.send(leg)
        self.assertEqual((leg.state, leg.dispose_outcome_unknown), ('dispose_failed', True))
        self.assertIn('neither a success nor a failure', leg.dispose_error)
        # the agent clicks Retry: disposeCallForUser may have acted, it is not sent again
        self.send(leg)
        self.assertEqual(len(self.sim.requests_for('disposeCallForUser')), 1)

    def test_an_error_page_is_summarised_for_the_agent(self):
        call, leg = self.pop()
        self.confirm(leg)
        # Tomcat's error report of a NullPointerException
        self.sim.inject('disposeCallForUser', status=500)
        result = self.send(leg)
        self.assertIn('had an internal error (HTTP 500)', result['params']['message'])
        for quoted in ('Tomcat', 'Error report', 'NullPointerException'):
            self.assertNotIn(quoted, result['params']['message'])
            self.assertNotIn(quoted, leg.dispose_error)


class TestDisposeWords(DisposeCase):
    """What the chatter and the agent read says what happened to the leg, one sentence after
    another."""

    def assertSentences(self, params, count):
        """A notification of ``count`` lines (its class keeps them), each a sentence ending with a
        full stop."""
        self.assertEqual(params.get('className'), LINES_CLASS)
        lines = params['message'].split('\n')
        self.assertEqual(len(lines), count, params['message'])
        for line in lines:
            self.assertRegex(line, r'^[A-Z].*[.!?]$', params['message'])
        return lines

    def test_a_refused_dispose_is_not_said_disposed(self):
        _call, leg = self.pop()
        self.sim.inject(
            'disposeCallForUser',
            status=400,
            body={'status': 'failure', 'message': 'unknown campaign 2'},
        )
        self.confirm(leg, notes='Call me on Monday')
        result = self.send(leg)
        self.assertEqual(leg.state, 'dispose_failed')
        # the contact's note: the outcome saved, not a dispose that did not happen
        [note] = self.partner.message_ids.filtered(
            lambda message: 'Call me on Monday' in str(message.body)
        )
        self.assertIn('Outcome of call 9740011223: Sale', str(note.body))
        bodies = ' '.join(str(body) for body in leg.sudo().message_ids.mapped('body'))
        self.assertNotIn('disposed:', bodies)
        self.assertRegex(bodies, r'Not disposed in Ameyo: [^<]*unknown campaign 2\.')
        # the agent reads three sentences, none running into the next
        title, params = result['params']['title'], result['params']
        self.assertEqual(title, 'Saved in Odoo, not in Ameyo')
        lines = self.assertSentences(params, 3)
        self.assertTrue(lines[1].startswith('The call is not disposed in Ameyo: '), lines)
        self.assertTrue(lines[1].endswith('unknown campaign 2.'), lines)
        self.assertEqual(lines[2], 'Dispose the call in Ameyo.')
        # disposed at last, once Ameyo takes it
        self.confirm(leg, notes='Call me on Monday')
        self.assertEqual(self.send(leg)['params']['type'], 'success')
        self.assertEqual(leg.state, 'disposed')

    def test_dual_entry_note_says_disposed(self):
        self.campaign.dispose_mode = 'dual'
        _call, leg = self.pop()
        self.confirm(leg, notes='Happy customer')
        self.assertEqual(leg.state, 'disposed')
        [note] = self.partner.message_ids.filtered(
            lambda message: 'Happy customer' in str(message.body)
        )
        self.assertIn('Call 9740011223 disposed: Sale', str(note.body))

    def test_the_recording_notification_separates_its_sentences(self):
        """Ameyo answered null for the recording: its reason is a sentence of its own before what
        Odoo does."""
        self.server.write(
            {'recording_format': 'mp3', 'recording_delay_minutes': 5, 'recording_retention_days': 7}
        )
        call = self.sim.start_call('t.agent-a@acme', '101', '9740011223')
        self.sim.hangup(call)
        leg = self.create_leg(
            call['crtObjectId'],
            self.agent_a,
            call['userCrtObjectId'],
            ameyo_campaign_ref='101',
            ameyo_call_id=call['callId'],
            state='disposed',
            partner_id=self.partner.id,
            connected_at=fields.Datetime.now() - timedelta(minutes=10),
        )
        self.sim.set_voice_log(leg.crt_object_id, body=b'null')
        with mute_logger(CLIENT_LOGGER, 'odoo.addons.crm_ameyo.models.ameyo_call_recording'):
            params = leg.with_user(self.agent_a).action_fetch_recording()['params']
        self.assertEqual(
            (params['title'], leg.recording_state), ('Recording not fetched yet', 'pending')
        )
        self.assertTrue(
            params['message'].endswith('(Ameyo answered null). Odoo tries again on its own.'),
            params['message'],
        )


class TestCallbackActivityDone(DisposeCase):
    """A call placed from a "Call" activity's Dial button, once its outcome is saved, marks that
    activity done."""

    def setUp(self):
        super().setUp()
        self.env['ir.config_parameter'].sudo().set_param('crm_ameyo.phone_country_code', '91')
        self.server.dial_api = 'token_sync'
        self.agent_a.ameyo_default_campaign_id = self.campaign
        self.partner.country_id = self.env.ref('base.in')
        self.activity = self.partner.activity_schedule(
            'mail.mail_activity_data_call', summary='Call back Meera', user_id=self.agent_a.id
        )

    def dial_from(self, activity_id, record=None):
        """The activity's Dial button (static/src/dial_button/activity_dial.js), then the pop of the
        call placed."""
        with mute_logger(CLIENT_LOGGER):
            action = (
                (record or self.partner)
                .with_user(self.agent_a)
                .action_ameyo_dial(activity_id=activity_id)
            )
        self.assertEqual(action['params']['type'], 'success', action['params']['message'])
        self.env.invalidate_all()
        [call] = [call for call in self.sim.calls() if call['userId'] == 't.agent-a@acme'][-1:]
        leg = self.ameyo_url(call, 'customer')
        leg.with_user(self.agent_a)._ameyo_resolve_pop()
        return call, leg.with_user(self.agent_a)

    def test_the_activity_dialed_from_is_done_with_the_outcome(self):
        _call, leg = self.dial_from(self.activity.id)
        self.assertEqual(leg.sudo().answered_activity_id, self.activity)
        self.assertTrue(self.activity.active)
        self.confirm(leg, notes='Called back, sold')
        # done: Odoo keeps it archived, and says so on the chatter
        self.assertFalse(self.activity.active)
        self.assertFalse(self.partner.activity_ids)
        done = self.partner.message_ids.filtered(
            lambda message: 'Outcome: Sale' in str(message.body)
        )
        self.assertEqual(done.author_id, self.agent_a.partner_id)

    def test_ameyos_dispose_url_marks_it_done_too(self):
        self.campaign.dispose_mode = 'ameyo_only'
        call, leg = self.dial_from(self.activity.id)
        self.ameyo_url(call, 'dispose', dispositionCode='Sale')
        self.assertEqual(leg.state, 'disposed')
        self.assertFalse(self.activity.active)

    def test_an_activity_of_another_record_is_not_touched(self):
        other = self.env['res.partner'].create({'name': 'Someone Else', 'phone': '+91 90000 11111'})
        foreign = other.activity_schedule(
            'mail.mail_activity_data_call', summary='Not this one', user_id=self.agent_a.id
        )
        _call, leg = self.dial_from(foreign.id)
        self.assertFalse(leg.sudo().answered_activity_id)
        self.confirm(leg)
        self.assertTrue(foreign.active)
        self.assertTrue(self.activity.active)  # a dial from the form: no activity is done

"""Supervision: the calls needing a hand (each reason and the action that resolves it, a supervisor's only),
callbacks Ameyo scheduled (every dispositionAttribute form), the caller lookup trace and the shared numbers."""
from ast import literal_eval
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from ..models.ameyo_call import CALL_STATES
from ..simulator import make_wav
from ..tools.ameyo_params import format_callback_attribute, parse_callback_attribute, parse_lifecycle_params
from .test_dispose import DisposeCase


class AttentionCase(DisposeCase):

    def attention(self):
        """The legs of the Needing Attention list, as its action's domain finds them, as the supervisor."""
        self.env.invalidate_all()
        action = self.env.ref('crm_ameyo.ameyo_call_action_attention')
        return self.env['ameyo.call'].with_user(self.supervisor).search(literal_eval(action.domain))

    def as_supervisor(self, leg):
        return leg.with_user(self.supervisor)

    def assertRefusedToAgent(self, leg, method, *args):
        with self.assertRaises(AccessError):
            getattr(leg.with_user(leg.user_id or self.agent_a), method)(*args)

    def dispose_url(self, call, agent=None, **extra):
        """Ameyo's dispose URL of ``call``, read as the controller reads it (the parameter parser), then recorded."""
        raw = self.sim.lifecycle_params(call, 'dispose', dispositionCode=extra.pop('dispositionCode', 'Callback'),
                                        **extra)
        params = parse_lifecycle_params(list(raw.items()), 'dispose')
        leg = self.env['ameyo.call']._ameyo_register_leg(self.server, params, 'dispose', agent or self.agent_a)
        leg._ameyo_record_disposition(params)
        return leg


class TestNeedingAttention(AttentionCase):

    def test_dispose_failed_retried_by_a_supervisor_and_refused_to_the_agent(self):
        call, leg = self.pop(record_session=True)
        self.confirm(leg)
        self.sim.inject('disposeCallForUser', status=500)
        self.send(leg)
        self.assertEqual(leg.state, 'dispose_failed')
        self.assertEqual(leg.attention_reason, 'dispose_failed')
        self.assertIn(self.agent_a.name, leg.attention_text)
        self.assertIn(leg, self.attention())
        self.assertRefusedToAgent(leg, 'action_attention_retry_dispose')
        self.assertEqual(leg.state, 'dispose_failed')
        result = self.as_supervisor(leg).action_attention_retry_dispose()
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual(result['params']['type'], 'success')
        self.assertIn(self.agent_a.name, result['params']['message'])  # addressed to the supervisor
        self.assertNotIn(leg, self.attention())
        self.assertEqual(len(self.sim.dispositions_of(call)), 1)

    def test_a_failed_dispose_tells_a_supervisor_what_the_agent_must_do(self):
        _call, leg = self.pop()
        self.confirm(leg, code='Not In Ameyo Plan')
        result = self.as_supervisor(leg).action_attention_retry_dispose()
        self.assertEqual(leg.state, 'dispose_failed')
        self.assertIn(f'{self.agent_a.name} must dispose the call in Ameyo', result['params']['message'])
        self.assertNotIn('Your outcome', result['params']['message'])

    def test_dispose_pending_too_long_closed_as_already_disposed_in_ameyo(self):
        leg = self.create_leg(self.new_crt(), self.agent_a, state='dispose_pending',
                              dispose_saved_at=fields.Datetime.now() - timedelta(minutes=5),
                              connected_at=fields.Datetime.now() - timedelta(minutes=9))
        self.assertFalse(leg.attention_reason)  # 5 minutes: within the campaign's 10
        self.assertNotIn(leg, self.attention())
        leg.dispose_saved_at = fields.Datetime.now() - timedelta(minutes=11)
        self.assertEqual(leg.attention_reason, 'dispose_pending')
        self.assertIn('11 min', leg.attention_text)
        self.assertIn(leg, self.attention())
        self.assertRefusedToAgent(leg, 'action_attention_mark_disposed')
        self.assertEqual(leg.state, 'dispose_pending')
        asked = len(self.sim.requests)
        self.as_supervisor(leg).action_attention_mark_disposed()
        self.assertEqual(len(self.sim.requests), asked)  # Ameyo was not called
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual(leg.attention_closed_by_id, self.supervisor)
        self.assertTrue(leg.attention_closed_at and leg.disposed_at)
        self.assertIn('already disposed in Ameyo', str(leg.message_ids[0].body))
        self.assertIn(self.supervisor.name, str(leg.message_ids[0].body))
        self.assertNotIn(leg, self.attention())

    def test_live_longer_than_the_campaign_allows(self):
        connected = self.create_leg(self.new_crt(), self.agent_a, state='connected',
                                    connected_at=fields.Datetime.now() - timedelta(minutes=61))
        preview = self.create_leg(self.new_crt(), self.agent_b, state='preview')
        recent = self.create_leg(self.new_crt(), self.agent_b, state='connected', connected_at=fields.Datetime.now())
        self.assertEqual(connected.attention_reason, 'stale_live')
        self.assertIn('60 min', connected.attention_text)
        self.assertFalse(recent.attention_reason)
        self.assertFalse(preview.attention_reason)
        with freeze_time(fields.Datetime.now() + timedelta(minutes=70)):
            self.assertEqual(self.attention() & (connected | preview | recent), connected | preview | recent)
        self.campaign.max_call_minutes = 120
        self.assertNotIn(connected, self.attention())
        self.campaign.max_call_minutes = 30
        self.assertRefusedToAgent(connected, 'action_attention_mark_disposed')
        self.as_supervisor(connected).action_attention_mark_disposed()
        self.assertEqual((connected.state, connected.attention_closed_by_id), ('disposed', self.supervisor))

    def test_dial_failed_marked_as_handled(self):
        leg = self.create_leg(False, self.agent_a, state='dial_failed', direction='outbound',
                              dial_error='The number is on the do-not-call list.')
        self.assertEqual(leg.attention_reason, 'dial_failed')
        self.assertIn('do-not-call', leg.attention_text)
        self.assertRefusedToAgent(leg, 'action_attention_mark_handled')
        self.as_supervisor(leg).action_attention_mark_handled()
        self.assertEqual(leg.attention_closed_by_id, self.supervisor)
        self.assertFalse(leg.attention_reason)
        self.assertEqual(leg.state, 'dial_failed')

    def test_ended_without_a_dispose_where_odoo_was_to_dispose(self):
        """A leg ended by the agent's next pop needs a supervisor in CRM-only and dual campaigns only."""
        for mode, flagged in (('crm_only', True), ('dual', True), ('ameyo_only', False), ('forced', False)):
            with self.subTest(mode=mode):
                self.campaign.dispose_mode = mode
                _call, first = self.pop()
                self.pop()  # Ameyo gives the agent his next call: the first is over
                self.assertEqual(first.state, 'ended')
                self.assertEqual(first.attention_reason, 'ended' if flagged else False)
                self.assertEqual(first in self.attention(), flagged)
                if flagged:
                    self.assertRefusedToAgent(first, 'action_attention_mark_handled')
                    self.as_supervisor(first).action_attention_mark_handled()
                    self.assertEqual(first.attention_closed_by_id, self.supervisor)
                    self.assertNotIn(first, self.attention())

    def test_recording_unavailable_inside_ameyo_retention_fetched_again(self):
        self.server.recording_retention_days = 30
        leg = self.create_leg(self.new_crt(), self.agent_a, state='disposed',
                              connected_at=fields.Datetime.now() - timedelta(hours=2))
        old = self.create_leg(self.new_crt(), self.agent_a, state='disposed',
                              connected_at=fields.Datetime.now() - timedelta(days=40))
        (leg | old).recording_id.write({'state': 'unavailable', 'error': 'Ameyo: voice log not found'})
        self.assertEqual(leg.attention_reason, 'recording_unavailable')
        self.assertIn('voice log not found', leg.attention_text)
        self.assertFalse(old.attention_reason)  # Ameyo no longer keeps it: nobody can do anything
        self.assertRefusedToAgent(leg, 'action_attention_fetch_recording')
        self.sim.set_voice_log(leg.crt_object_id, body=make_wav(seconds=1))  # Ameyo has it by now
        self.as_supervisor(leg).action_attention_fetch_recording()
        self.assertEqual(len(self.sim.requests_for('downloadVoiceLog')), 1)
        self.assertEqual(leg.recording_state, 'fetched')
        self.assertNotIn(leg, self.attention())

    def test_bulk_actions_skip_what_they_do_not_resolve(self):
        stale = self.create_leg(self.new_crt(), self.agent_a, state='connected',
                                connected_at=fields.Datetime.now() - timedelta(hours=3))
        dial = self.create_leg(False, self.agent_a, state='dial_failed', direction='outbound')
        result = self.as_supervisor(stale | dial).action_attention_mark_disposed()
        self.assertEqual(result['params']['type'], 'warning')
        self.assertEqual((stale.state, dial.state), ('disposed', 'dial_failed'))
        self.assertEqual(dial.attention_reason, 'dial_failed')

    def test_list_domain_and_row_reason_agree(self):
        now = fields.Datetime.now()
        legs = self.create_leg(self.new_crt(), self.agent_a, state='dispose_failed', dispose_error='refused') \
            | self.create_leg(self.new_crt(), self.agent_a, state='connected', connected_at=now - timedelta(hours=2)) \
            | self.create_leg(self.new_crt(), self.agent_a, state='disposed', callback_unparsed=True) \
            | self.create_leg(self.new_crt(), self.agent_a, state='disposed', connected_at=now)
        Call = self.env['ameyo.call']
        for reason in ('dispose_failed', 'stale_live', 'callback_unparsed'):
            found = Call.search([('attention_reason', '=', reason), ('id', 'in', legs.ids)])
            self.assertEqual(found, legs.filtered(lambda leg, reason=reason: leg.attention_reason == reason))
        self.assertEqual(Call.search([('attention_reason', '=', False), ('id', 'in', legs.ids)]), legs[3])
        self.assertEqual(self.attention() & legs, legs[:3])

    def test_the_list_is_not_grouped_and_the_status_bar_reads_in_order(self):
        action = self.env.ref('crm_ameyo.ameyo_call_action_attention')
        self.assertNotIn('group_by', action.context or '')
        self.assertNotIn('search_default_group', action.context or '')
        order = [state for state, _label in CALL_STATES]
        self.assertLess(order.index('dispose_failed'), order.index('disposed'))
        self.assertLess(order.index('connected'), order.index('dispose_pending'))


class TestAmeyoCallbacks(AttentionCase):
    """Callbacks the agent scheduled in Ameyo reach Odoo through the dispose URL."""

    def setUp(self):
        super().setUp()
        self.campaign.dispose_mode = 'ameyo_only'
        self.agent_a.tz = 'Asia/Kolkata'

    def test_parser_reads_what_the_wizard_writes(self):
        self.assertEqual(parse_callback_attribute(format_callback_attribute('after', 50)),
                         ('after', relativedelta(days=2, hours=2)))
        self.assertEqual(parse_callback_attribute(format_callback_attribute('local', '2026-12-01 10:00:00')),
                         ('local', datetime(2026, 12, 1, 10, 0)))
        self.assertEqual(parse_callback_attribute('customer-01/12/2026 10:00', '%d/%m/%Y %H:%M'),
                         ('customer', datetime(2026, 12, 1, 10, 0)))
        for unreadable in ('tomorrow', 'local-', 'later-2026-12-01 10:00:00', 'after-00-00-0000 00:00:00',
                           'local-2026-13-45 99:00:00'):
            self.assertIsNone(parse_callback_attribute(unreadable), unreadable)

    def test_local_self_callback_in_the_ameyo_time_zone(self):
        call, leg = self.pop()
        self.dispose_url(call, dispositionAttribute='local-2030-01-15 10:00:00', selfCallback='true')
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual(leg.callback_at, datetime(2030, 1, 15, 4, 30))  # 10:00 in Asia/Kolkata
        self.assertEqual((leg.callback_user_id, leg.callback_by_ameyo), (self.agent_a, True))
        activity = self.partner.activity_ids
        self.assertEqual(activity, leg.callback_activity_id)
        self.assertEqual((activity.user_id, activity.date_deadline), (self.agent_a, datetime(2030, 1, 15).date()))
        self.assertIn('2030-01-15 10:00', activity.summary)
        self.assertIn('does not change it in Ameyo', str(activity.note))
        self.assertFalse(leg.attention_reason)

    def test_customer_time_zone(self):
        self.partner.tz = 'Europe/London'
        call, leg = self.pop()
        self.dispose_url(call, dispositionAttribute='customer-2030-01-15 10:00:00', selfCallback='1')
        self.assertEqual(leg.callback_at, datetime(2030, 1, 15, 10, 0))  # London is on UTC in January
        self.assertEqual(leg.callback_user_id, self.agent_a)

    def test_after_a_delay(self):
        call, leg = self.pop()
        with freeze_time('2030-01-15 08:00:00'):
            self.dispose_url(call, dispositionAttribute='after-01-00-0000 02:30:00')  # no selfCallback: the agent's
        self.assertEqual(leg.callback_at, datetime(2030, 1, 16, 10, 30))
        self.assertEqual(leg.callback_activity_id.user_id, self.agent_a)

    def test_campaign_callback_goes_to_the_team_leader(self):
        team = self.env['crm.team'].create({'name': 'Callbacks', 'user_id': self.supervisor.id})
        self.campaign.team_id = team
        call, leg = self.pop()
        self.dispose_url(call, dispositionAttribute='local-2030-01-15 10:00:00', selfCallback='false')
        self.assertEqual(leg.callback_user_id, self.supervisor)
        self.assertEqual(leg.callback_activity_id.user_id, self.supervisor)

    def test_unparseable_attribute_kept_verbatim_and_planned_by_a_supervisor(self):
        call, leg = self.pop()
        self.dispose_url(call, dispositionAttribute='next tuesday morning', selfCallback='yes')
        self.assertEqual(leg.state, 'disposed')  # never fatal
        self.assertEqual(leg.disposition_attribute, 'next tuesday morning')
        self.assertTrue(leg.callback_unparsed)
        self.assertFalse(leg.callback_at or self.partner.activity_ids)
        self.assertEqual(leg.attention_reason, 'callback_unparsed')
        self.assertIn('next tuesday morning', leg.attention_text)
        self.assertIn(leg, self.attention())
        self.assertRefusedToAgent(leg, 'action_attention_reassign_callback')
        action = self.as_supervisor(leg).action_attention_reassign_callback()
        wizard = self.env[action['res_model']].with_user(self.supervisor).with_context(**action['context']).create(
            {'user_id': self.agent_b.id, 'callback_at': datetime(2030, 1, 15, 4, 30)})
        self.assertTrue(wizard.needs_time and wizard.ameyo_owned)
        wizard.action_confirm()
        self.assertFalse(leg.callback_unparsed)
        self.assertEqual((leg.callback_at, leg.callback_user_id), (datetime(2030, 1, 15, 4, 30), self.agent_b))
        self.assertEqual(self.partner.activity_ids.user_id, self.agent_b)
        self.assertNotIn(leg, self.attention())

    def test_reassigning_moves_the_odoo_activity_only(self):
        call, leg = self.pop()
        self.dispose_url(call, dispositionAttribute='local-2030-01-15 10:00:00', selfCallback='true')
        activity = leg.callback_activity_id
        self.as_supervisor(leg)._ameyo_reassign_callback(self.agent_b)
        self.assertEqual((activity.user_id, leg.callback_activity_id), (self.agent_b, activity))
        self.assertEqual(leg.callback_at, datetime(2030, 1, 15, 4, 30))
        self.assertFalse(self.sim.dispositions_of(call))  # nothing sent to Ameyo

    def test_a_callback_is_reassigned_to_an_agent_or_salesperson_only(self):
        """The reassign wizard follows the dispose wizard's rule: no portal user (who would follow the lead and
        get its mail), no bare employee."""
        call, leg = self.pop()
        self.dispose_url(call, dispositionAttribute='local-2030-01-15 10:00:00', selfCallback='true')
        activity = leg.callback_activity_id
        before = (activity.user_id, leg.callback_user_id)
        for groups in ('base.group_portal', 'base.group_user'):
            with self.subTest(groups=groups):
                user = new_test_user(self.env, login=f't_reassign_{groups}', groups=groups)
                wizard = self.env['ameyo.callback.reassign'].with_user(self.supervisor).create(
                    {'call_ids': [fields.Command.set(leg.ids)], 'user_id': user.id})
                with self.assertRaises(UserError):
                    wizard.action_confirm()
                self.assertEqual((activity.user_id, leg.callback_user_id), before)

    def test_the_wizards_callback_is_not_planned_twice(self):
        self.campaign.dispose_mode = 'crm_only'
        call, leg = self.pop()
        callback_at = fields.Datetime.now().replace(microsecond=0) + timedelta(days=1)
        self.confirm(leg, code='Callback', callback_at=callback_at, callback_user_id=self.agent_a.id)
        self.send(leg)
        self.dispose_url(call, dispositionAttribute=leg.disposition_attribute, selfCallback='true')
        self.assertEqual(len(self.partner.activity_ids), 1)
        self.assertEqual(self.partner.activity_ids, leg.callback_activity_id)
        self.assertFalse(leg.callback_by_ameyo)


class TestLookupTrace(AttentionCase):

    def test_one_match(self):
        _call, leg = self.pop()
        trace = leg.lookup_trace
        self.assertEqual((trace['by'], trace['key'], trace['match_count']), ('number', '9740011223', 1))
        html = str(leg.lookup_trace_html)
        self.assertIn('9740011223', html)
        self.assertIn('Opened Meera Iyer: the only match of the number', html)

    def test_no_match_says_why(self):
        other_company = self.env['res.company'].create({'name': 'Elsewhere'})
        self.env['res.partner'].create({'name': 'Priya Nair', 'phone': '+91 97400 55555',
                                        'company_id': other_company.id})
        _call, leg = self.pop(phone='9740055555')
        self.assertEqual((leg.lookup_trace['match_count'], leg.lookup_trace['hidden']), (0, 1))
        html = str(leg.lookup_trace_html)
        self.assertIn('No contacts with these digits that the agent may open', html)
        self.assertIn('archived or of another company', html)
        self.assertNotIn('Priya', html)  # the agent may read the trace: it names none he cannot see
        _call, nobody = self.pop(phone='9740066666')
        self.assertIn('None at all has them', str(nobody.lookup_trace_html))

    def test_a_created_record_is_named_as_created(self):
        """The pop's own decision is traced: a record it created is no hidden match of the number."""
        self.campaign.create_on_no_match = True
        _call, leg = self.pop(phone='9740077777')
        trace = leg.lookup_trace
        self.assertEqual((trace['by'], trace['match_count'], trace['hidden']), ('created', 0, 0))
        self.assertEqual(trace['chosen'], leg.partner_id.id)
        self.assertIn('a record created for the caller', str(leg.lookup_trace_html))

    def test_several_matches_and_the_shared_numbers_report(self):
        self.env['res.partner'].create({'name': 'Meera Iyer (old)', 'phone': '097400 11223'})
        _call, leg = self.pop()
        self.assertEqual(leg.lookup_trace['outcome'], 'choose')
        self.assertEqual(leg.lookup_trace['match_count'], 2)
        html = str(leg.lookup_trace_html)
        self.assertIn('Meera Iyer, Meera Iyer (old)', html)
        self.assertIn('asked to choose', html)
        self.env.flush_all()
        shared = self.env['ameyo.shared.number'].with_user(self.supervisor).search(
            [('phone_key', '=', '9740011223')])
        self.assertEqual((shared.partner_count, shared.lead_count, shared.call_count), (2, 0, 1))
        action = shared.action_open_partners()
        self.assertEqual(self.env['res.partner'].search(action['domain']).mapped('name'),
                         ['Meera Iyer', 'Meera Iyer (old)'])
        self.assertFalse(self.env['ameyo.shared.number'].search([('phone_key', '=', '9740066666')]))
        with self.assertRaises(AccessError):
            self.env['ameyo.shared.number'].with_user(self.agent_a).search([])

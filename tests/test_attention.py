"""Supervision: the calls needing a hand (each reason and the action that resolves it, a
supervisor's only), callbacks Ameyo scheduled (every dispositionAttribute form), the caller lookup
trace and the shared numbers."""

import json
import re
from ast import literal_eval
from contextlib import contextmanager
from datetime import datetime, timedelta

import requests
from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, get_db_name, new_test_user

from ..models.ameyo_call import CALL_STATES
from ..simulator import AmeyoSimulator, make_wav
from ..tools.ameyo_params import (
    format_callback_attribute,
    parse_callback_attribute,
    parse_lifecycle_params,
)
from .common import AGENT_GROUPS, CREDENTIALS, create_call_leg, run_migration
from .test_dispose import DisposeCase


class AttentionCase(DisposeCase):
    def attention(self):
        """The legs of the Needing Attention list, as its action's domain finds them, as the
        supervisor."""
        self.env.invalidate_all()
        action = self.env.ref('crm_ameyo.ameyo_call_action_attention')
        return self.env['ameyo.call'].with_user(self.supervisor).search(literal_eval(action.domain))

    def as_supervisor(self, leg):
        return leg.with_user(self.supervisor)

    def assertRefusedToAgent(self, leg, method, *args):
        with self.assertRaises(AccessError):
            getattr(leg.with_user(leg.user_id or self.agent_a), method)(*args)

    def dispose_url(self, call, agent=None, **extra):
        """Ameyo's dispose URL of ``call``, read as the controller reads it (the parameter parser),
        then recorded."""
        raw = self.sim.lifecycle_params(
            call, 'dispose', dispositionCode=extra.pop('dispositionCode', 'Callback'), **extra
        )
        params = parse_lifecycle_params(list(raw.items()), 'dispose')
        leg = self.env['ameyo.call']._ameyo_register_leg(
            self.server, params, 'dispose', agent or self.agent_a
        )
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
        self.assertIn(
            f'{self.agent_a.name} must dispose the call in Ameyo', result['params']['message']
        )
        self.assertNotIn('Your outcome', result['params']['message'])

    def test_dispose_pending_too_long_closed_as_already_disposed_in_ameyo(self):
        leg = self.create_leg(
            self.new_crt(),
            self.agent_a,
            state='dispose_pending',
            dispose_saved_at=fields.Datetime.now() - timedelta(minutes=5),
            connected_at=fields.Datetime.now() - timedelta(minutes=9),
        )
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
        connected = self.create_leg(
            self.new_crt(),
            self.agent_a,
            state='connected',
            connected_at=fields.Datetime.now() - timedelta(minutes=61),
        )
        preview = self.create_leg(self.new_crt(), self.agent_b, state='preview')
        recent = self.create_leg(
            self.new_crt(), self.agent_b, state='connected', connected_at=fields.Datetime.now()
        )
        self.assertEqual(connected.attention_reason, 'stale_live')
        self.assertIn('60 min', connected.attention_text)
        self.assertFalse(recent.attention_reason)
        self.assertFalse(preview.attention_reason)
        with freeze_time(fields.Datetime.now() + timedelta(minutes=70)):
            self.assertEqual(
                self.attention() & (connected | preview | recent), connected | preview | recent
            )
        self.campaign.max_call_minutes = 120
        self.assertNotIn(connected, self.attention())
        self.campaign.max_call_minutes = 30
        self.assertRefusedToAgent(connected, 'action_attention_mark_disposed')
        self.as_supervisor(connected).action_attention_mark_disposed()
        self.assertEqual(
            (connected.state, connected.attention_closed_by_id), ('disposed', self.supervisor)
        )

    def test_dial_failed_marked_as_handled(self):
        leg = self.create_leg(
            False,
            self.agent_a,
            state='dial_failed',
            direction='outbound',
            dial_error='The number is on the do-not-call list.',
        )
        self.assertEqual(leg.attention_reason, 'dial_failed')
        self.assertIn('do-not-call', leg.attention_text)
        self.assertRefusedToAgent(leg, 'action_attention_mark_handled')
        self.as_supervisor(leg).action_attention_mark_handled()
        self.assertEqual(leg.attention_closed_by_id, self.supervisor)
        self.assertFalse(leg.attention_reason)
        self.assertEqual(leg.state, 'dial_failed')

    def test_ended_without_a_dispose_where_odoo_was_to_dispose(self):
        """A leg ended by the agent's next pop needs a supervisor in CRM-only and dual campaigns
        only."""
        for mode, flagged in (
            ('crm_only', True),
            ('dual', True),
            ('ameyo_only', False),
            ('forced', False),
        ):
            with self.subTest(mode=mode):
                self.campaign.dispose_mode = mode
                _call, first = self.pop()
                self.pop()  # Ameyo gives the agent their next call: the first is over
                self.assertEqual(first.state, 'ended')
                self.assertEqual(first.attention_reason, 'ended' if flagged else False)
                self.assertEqual(first in self.attention(), flagged)
                if flagged:
                    self.assertRefusedToAgent(first, 'action_attention_mark_handled')
                    self.as_supervisor(first).action_attention_mark_handled()
                    self.assertEqual(first.attention_closed_by_id, self.supervisor)
                    self.assertNotIn(first, self.attention())

    def test_a_call_without_a_number_has_a_title(self):
        """The call form's title is the number; without one (a masked caller, an attempt never
        placed), the call's name: Ameyo's call id, else "Call attempt"."""
        attempt = self.create_leg(
            False,
            self.agent_a,
            state='dial_failed',
            direction='outbound',
            phone=False,
            dial_error='The number is on the do-not-call list.',
        )
        masked = self.create_leg(self.new_crt(), self.agent_a, phone=False)
        self.assertEqual(attempt.with_user(self.supervisor).display_name, 'Call attempt')
        self.assertEqual(masked.with_user(self.supervisor).display_name, masked.crt_object_id)
        arch = (
            self.env['ameyo.call']
            .with_user(self.supervisor)
            .get_views([(False, 'form')])['views']['form']['arch']
        )
        title = re.search(r'<h1>(.*?)</h1>', arch, re.S).group(1)
        self.assertRegex(title, r'<field name="phone"[^>]*invisible="not phone"')
        self.assertRegex(title, r'<field name="display_name"[^>]*invisible="phone"')

    def test_an_ended_call_of_an_unknown_campaign_needs_a_supervisor(self):
        """Odoo disposes a call of a campaign it does not know as in the default mode (CRM only, as
        the save does): ended by the agent's next call before anyone disposed it, its outcome never
        reached Ameyo."""
        self.sim.add_campaign('909', 'Not synced yet', dispositions=('Sale',))
        call = self.sim.start_call('t.agent-a@acme', '909', '9740011223')
        first = self.ameyo_url(call, 'customer')
        self.assertFalse(first.campaign_id)
        self.pop()  # Ameyo gives the agent their next call
        self.assertEqual(first.state, 'ended')
        self.assertEqual(first.attention_reason, 'ended')
        self.assertIn(first, self.attention())
        self.as_supervisor(first).action_attention_mark_handled()
        self.assertNotIn(first, self.attention())

    def test_the_upgrade_lists_the_ended_calls_of_unknown_campaigns(self):
        """Legs stored before 19.0.1.6.0 get the flag; the ones older than a day are history (marked
        handled)."""
        recent, old, known = (
            self.create_leg(self.new_crt(), self.agent_a, state='connected', campaign_id=campaign)
            for campaign in (False, False, self.campaign.id)
        )
        for leg in (recent, old, known):
            leg._ameyo_update_state('ended')
        self.campaign.dispose_mode = 'ameyo_only'
        self.env.flush_all()
        # as an earlier version stored them: no flag on a leg of no campaign
        self.env.cr.execute(
            "UPDATE ameyo_call SET ended_undisposed = false WHERE id IN %s", [(recent.id, old.id)]
        )
        self.env.cr.execute(
            "UPDATE ameyo_call SET create_date = create_date - interval '2 days' WHERE id = %s",
            [old.id],
        )
        self.env.invalidate_all()
        self.assertNotIn(recent, self.attention())
        run_migration(self.env.cr, '19.0.1.6.0', 'post-ended-unknown-campaign', '19.0.1.5.0')
        self.env.invalidate_all()
        self.assertEqual((recent | old | known).mapped('ended_undisposed'), [True, True, False])
        self.assertEqual(self.attention() & (recent | old | known), recent)
        self.assertTrue(old.attention_closed_at)
        self.assertFalse(old.attention_closed_by_id)

    def test_recording_unavailable_inside_ameyo_retention_fetched_again(self):
        self.server.recording_retention_days = 30
        leg = self.create_leg(
            self.new_crt(),
            self.agent_a,
            state='disposed',
            connected_at=fields.Datetime.now() - timedelta(hours=2),
        )
        old = self.create_leg(
            self.new_crt(),
            self.agent_a,
            state='disposed',
            connected_at=fields.Datetime.now() - timedelta(days=40),
        )
        (leg | old).recording_id.write(
            {'state': 'unavailable', 'error': 'Ameyo: voice log not found'}
        )
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
        stale = self.create_leg(
            self.new_crt(),
            self.agent_a,
            state='connected',
            connected_at=fields.Datetime.now() - timedelta(hours=3),
        )
        dial = self.create_leg(False, self.agent_a, state='dial_failed', direction='outbound')
        result = self.as_supervisor(stale | dial).action_attention_mark_disposed()
        self.assertEqual(result['params']['type'], 'warning')
        self.assertEqual((stale.state, dial.state), ('disposed', 'dial_failed'))
        self.assertEqual(dial.attention_reason, 'dial_failed')

    def test_list_domain_and_row_reason_agree(self):
        now = fields.Datetime.now()
        legs = (
            self.create_leg(
                self.new_crt(), self.agent_a, state='dispose_failed', dispose_error='refused'
            )
            | self.create_leg(
                self.new_crt(),
                self.agent_a,
                state='connected',
                connected_at=now - timedelta(hours=2),
            )
            | self.create_leg(
                self.new_crt(), self.agent_a, state='disposed', callback_unparsed=True
            )
            | self.create_leg(self.new_crt(), self.agent_a, state='disposed', connected_at=now)
        )
        Call = self.env['ameyo.call']
        for reason in ('dispose_failed', 'stale_live', 'callback_unparsed'):
            found = Call.search([('attention_reason', '=', reason), ('id', 'in', legs.ids)])
            self.assertEqual(
                found, legs.filtered(lambda leg, reason=reason: leg.attention_reason == reason)
            )
        self.assertEqual(
            Call.search([('attention_reason', '=', False), ('id', 'in', legs.ids)]), legs[3]
        )
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
        self.assertEqual(
            parse_callback_attribute(format_callback_attribute('after', 50)),
            ('after', relativedelta(days=2, hours=2)),
        )
        self.assertEqual(
            parse_callback_attribute(format_callback_attribute('local', '2026-12-01 10:00:00')),
            ('local', datetime(2026, 12, 1, 10, 0)),
        )
        self.assertEqual(
            parse_callback_attribute('customer-01/12/2026 10:00', '%d/%m/%Y %H:%M'),
            ('customer', datetime(2026, 12, 1, 10, 0)),
        )
        for unreadable in (
            'tomorrow',
            'local-',
            'later-2026-12-01 10:00:00',
            'after-00-00-0000 00:00:00',
            'local-2026-13-45 99:00:00',
        ):
            self.assertIsNone(parse_callback_attribute(unreadable), unreadable)

    def test_local_self_callback_in_the_ameyo_time_zone(self):
        call, leg = self.pop()
        self.dispose_url(
            call, dispositionAttribute='local-2030-01-15 10:00:00', selfCallback='true'
        )
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual(leg.callback_at, datetime(2030, 1, 15, 4, 30))  # 10:00 in Asia/Kolkata
        self.assertEqual((leg.callback_user_id, leg.callback_by_ameyo), (self.agent_a, True))
        activity = self.partner.activity_ids
        self.assertEqual(activity, leg.callback_activity_id)
        self.assertEqual(
            (activity.user_id, activity.date_deadline), (self.agent_a, datetime(2030, 1, 15).date())
        )
        self.assertIn('2030-01-15 10:00', activity.summary)
        self.assertIn('does not change it in Ameyo', str(activity.note))
        self.assertFalse(leg.attention_reason)

    def test_customer_time_zone(self):
        self.partner.tz = 'Europe/London'
        call, leg = self.pop()
        self.dispose_url(
            call, dispositionAttribute='customer-2030-01-15 10:00:00', selfCallback='1'
        )
        # London is on UTC in January
        self.assertEqual(leg.callback_at, datetime(2030, 1, 15, 10, 0))
        self.assertEqual(leg.callback_user_id, self.agent_a)

    def test_after_a_delay(self):
        call, leg = self.pop()
        with freeze_time('2030-01-15 08:00:00'):
            # no selfCallback: the agent's
            self.dispose_url(call, dispositionAttribute='after-01-00-0000 02:30:00')
        self.assertEqual(leg.callback_at, datetime(2030, 1, 16, 10, 30))
        self.assertEqual(leg.callback_activity_id.user_id, self.agent_a)

    def test_campaign_callback_goes_to_the_team_leader(self):
        team = self.env['crm.team'].create({'name': 'Callbacks', 'user_id': self.supervisor.id})
        self.campaign.team_id = team
        call, leg = self.pop()
        self.dispose_url(
            call, dispositionAttribute='local-2030-01-15 10:00:00', selfCallback='false'
        )
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
        wizard = (
            self.env[action['res_model']]
            .with_user(self.supervisor)
            .with_context(**action['context'])
            .create({'user_id': self.agent_b.id, 'callback_at': datetime(2030, 1, 15, 4, 30)})
        )
        self.assertTrue(wizard.needs_time and wizard.ameyo_owned)
        wizard.action_confirm()
        self.assertFalse(leg.callback_unparsed)
        self.assertEqual(
            (leg.callback_at, leg.callback_user_id), (datetime(2030, 1, 15, 4, 30), self.agent_b)
        )
        self.assertEqual(self.partner.activity_ids.user_id, self.agent_b)
        self.assertNotIn(leg, self.attention())

    def test_reassigning_moves_the_odoo_activity_only(self):
        call, leg = self.pop()
        self.dispose_url(
            call, dispositionAttribute='local-2030-01-15 10:00:00', selfCallback='true'
        )
        activity = leg.callback_activity_id
        self.as_supervisor(leg)._ameyo_reassign_callback(self.agent_b)
        self.assertEqual((activity.user_id, leg.callback_activity_id), (self.agent_b, activity))
        self.assertEqual(leg.callback_at, datetime(2030, 1, 15, 4, 30))
        self.assertFalse(self.sim.dispositions_of(call))  # nothing sent to Ameyo

    def test_a_callback_is_reassigned_to_an_agent_or_salesperson_only(self):
        """The reassign wizard follows the dispose wizard's rule: no portal user (who would follow
        the lead and get its mail), no bare employee."""
        call, leg = self.pop()
        self.dispose_url(
            call, dispositionAttribute='local-2030-01-15 10:00:00', selfCallback='true'
        )
        activity = leg.callback_activity_id
        before = (activity.user_id, leg.callback_user_id)
        for groups in ('base.group_portal', 'base.group_user'):
            with self.subTest(groups=groups):
                user = new_test_user(self.env, login=f't_reassign_{groups}', groups=groups)
                wizard = (
                    self.env['ameyo.callback.reassign']
                    .with_user(self.supervisor)
                    .create({'call_ids': [fields.Command.set(leg.ids)], 'user_id': user.id})
                )
                with self.assertRaises(UserError):
                    wizard.action_confirm()
                self.assertEqual((activity.user_id, leg.callback_user_id), before)

    def test_the_wizards_callback_is_not_planned_twice(self):
        self.campaign.dispose_mode = 'crm_only'
        call, leg = self.pop()
        callback_at = fields.Datetime.now().replace(microsecond=0) + timedelta(days=1)
        self.confirm(
            leg, code='Callback', callback_at=callback_at, callback_user_id=self.agent_a.id
        )
        self.send(leg)
        self.dispose_url(call, dispositionAttribute=leg.disposition_attribute, selfCallback='true')
        self.assertEqual(len(self.partner.activity_ids), 1)
        self.assertEqual(self.partner.activity_ids, leg.callback_activity_id)
        self.assertFalse(leg.callback_by_ameyo)


class TestLookupTrace(AttentionCase):
    def test_upgrade_renames_the_field_in_the_old_views(self):
        """An upgrade from 19.0.1.7.0: the call form is checked with the views that inherit it as
        the database holds them, before the one with the Caller Lookup page is loaded again; the
        migration names the new field in them, or the upgrade stops on the field that is gone."""
        view = self.env.ref('crm_ameyo.ameyo_call_view_form_attention')
        self.env.cr.execute(
            """UPDATE ir_ui_view SET arch_db = replace(arch_db::text, 'lookup_trace_display',
                               'lookup_trace_html')::jsonb WHERE id = %s""",
            [view.id],
        )
        view.invalidate_recordset(['arch_db'])
        self.assertIn('lookup_trace_html', view.arch_db)
        with self.assertRaises(ValidationError):
            view._check_xml()  # what stopped the upgrade
        run_migration(self.env.cr, '19.0.1.8.0', 'pre-lookup-trace-display', '19.0.1.7.0')
        view.invalidate_recordset(['arch_db'])
        self.assertNotIn('lookup_trace_html', view.arch_db)
        self.assertIn('name="lookup_trace_display"', view.arch_db)
        view._check_xml()

    def test_one_match(self):
        _call, leg = self.pop()
        trace = leg.lookup_trace
        self.assertEqual(
            (trace['by'], trace['key'], trace['match_count']), ('number', '9740011223', 1)
        )
        shown = leg.lookup_trace_display  # the widget words it: static/tests/lookup_trace.test.js
        self.assertEqual(
            (shown['number_read'], shown['key'], shown['digits']), ('key', '9740011223', 10)
        )
        # "Opened Meera Iyer: the only match of the number."
        self.assertEqual(
            (shown['chosen'], shown['by']), ({'name': 'Meera Iyer', 'reason': ''}, 'number')
        )

    def test_no_match_says_why(self):
        other_company = self.env['res.company'].create({'name': 'Elsewhere'})
        self.env['res.partner'].create(
            {'name': 'Priya Nair', 'phone': '+91 97400 55555', 'company_id': other_company.id}
        )
        _call, leg = self.pop(phone='9740055555')
        self.assertEqual((leg.lookup_trace['match_count'], leg.lookup_trace['hidden']), (0, 1))
        shown = leg.lookup_trace_display
        # "No contacts with these digits that the agent may open. 1 have them but are archived or of
        # another company."
        self.assertEqual(
            (shown['model'], shown['match_count'], shown['hidden'], shown['matches']),
            ('res.partner', 0, 1, []),
        )
        # the agent may read the trace: it names none they cannot see
        self.assertNotIn('Priya', json.dumps(shown))
        _call, nobody = self.pop(phone='9740066666')
        self.assertEqual(nobody.lookup_trace_display['hidden'], 0)  # "None at all has them."

    def test_a_created_record_is_named_as_created(self):
        """The pop's own decision is traced: a record it created is no hidden match of the
        number."""
        self.campaign.create_on_no_match = True
        _call, leg = self.pop(phone='9740077777')
        trace = leg.lookup_trace
        self.assertEqual((trace['by'], trace['match_count'], trace['hidden']), ('created', 0, 0))
        self.assertEqual(trace['chosen'], leg.partner_id.id)
        # "a record created for the caller"
        self.assertEqual(leg.lookup_trace_display['by'], 'created')

    def test_each_match_named_once_and_the_one_opened_marked(self):
        """A contact's name may hold a comma ("Acme Traders, Rohan Das"): one item a record, and the
        one the agent opened says so (the trace once read "3 ...: Acme Traders, Acme Traders, Rohan
        Das, Neha Kapoor")."""
        partners = self.env['res.partner']
        acme = partners.create(
            {'name': 'Acme Traders', 'is_company': True, 'phone': '+91 97400 44444'}
        )
        rohan = partners.create(
            {'name': 'Rohan Das', 'parent_id': acme.id, 'phone': '+91 97400 44444'}
        )
        neha = partners.create({'name': 'Neha Kapoor', 'phone': '097400 44444'})
        _call, leg = self.pop(phone='9740044444')
        self.assertEqual(leg.lookup_trace['outcome'], 'choose')
        # the agent chose Rohan in the chooser: the pick opens Rohan
        leg.sudo()._ameyo_store_lookup_trace(
            'res.partner', 'open', rohan, 'pick', acme | rohan | neha
        )
        shown = leg.lookup_trace_display
        self.assertEqual(shown['match_count'], 3)
        self.assertEqual(
            [(match['name'], match['opened']) for match in shown['matches']],
            [('Acme Traders', False), ('Acme Traders, Rohan Das', True), ('Neha Kapoor', False)],
        )
        self.assertEqual(
            (shown['chosen']['name'], shown['by']), ('Acme Traders, Rohan Das', 'pick')
        )

    def test_several_matches_and_the_shared_numbers_report(self):
        self.env['res.partner'].create({'name': 'Meera Iyer (old)', 'phone': '097400 11223'})
        _call, leg = self.pop()
        self.assertEqual(leg.lookup_trace['outcome'], 'choose')
        self.assertEqual(leg.lookup_trace['match_count'], 2)
        shown = leg.lookup_trace_display
        self.assertEqual(
            [match['name'] for match in shown['matches']], ['Meera Iyer', 'Meera Iyer (old)']
        )
        # "asked to choose"
        self.assertEqual((shown['outcome'], shown['chosen']), ('choose', False))
        self.env.flush_all()
        shared = (
            self.env['ameyo.shared.number']
            .with_user(self.supervisor)
            .search([('phone_key', '=', '9740011223')])
        )
        self.assertEqual((shared.partner_count, shared.lead_count, shared.call_count), (2, 0, 1))
        action = shared.action_open_partners()
        self.assertEqual(
            self.env['res.partner'].search(action['domain']).mapped('name'),
            ['Meera Iyer', 'Meera Iyer (old)'],
        )
        self.assertFalse(self.env['ameyo.shared.number'].search([('phone_key', '=', '9740066666')]))
        with self.assertRaises(AccessError):
            self.env['ameyo.shared.number'].with_user(self.agent_a).search([])


class TestRetryDisposeOverHttp(HttpCase):
    """Retry Dispose as a supervisor meets it: a button of Needing Attention, a JSON-RPC request to
    Odoo's HTTP server, in real transactions (no test cursor). The send commits in transactions of
    its own after the request's began, so what the supervisor reads must come from after the send,
    not from the request's snapshot.

    The fixtures are committed (a server and campaign of their own, the agent, the supervisor), and
    deleted after the class."""

    registry_test_mode = False  # the HTTP server and the sends use real cursors, as in production
    CAMPAIGN = '7026'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = AmeyoSimulator(**CREDENTIALS).start()
        cls.addClassCleanup(cls.sim.stop)
        with cls.committed() as env:
            server = env['ameyo.server'].create(
                {
                    'name': 'Retry over HTTP',
                    'base_url': cls.sim.url,
                    'api_flavour': 'rest',
                    **CREDENTIALS,
                }
            )
            campaign = env['ameyo.campaign'].create(
                {
                    'server_id': server.id,
                    'ameyo_campaign_id': cls.CAMPAIGN,
                    'name': 'Retry over HTTP',
                    'dispose_mode': 'crm_only',
                    'wrap_timeout': 600,
                }
            )
            env['ameyo.disposition'].create(
                [
                    {'campaign_id': campaign.id, 'code': code, 'name': code}
                    for code in ('Sale', 'Not In Ameyo Plan')
                ]
            )
            agent = new_test_user(
                env,
                login='t_retry_agent',
                groups=AGENT_GROUPS,
                name='Retry Agent',
                ameyo_user_id='t.retry-agent@acme',
            )
            supervisor = new_test_user(
                env,
                login='t_retry_supervisor',
                name='Retry Supervisor',
                groups='crm_ameyo.group_ameyo_supervisor,sales_team.group_sale_salesman',
            )
            cls.server_id, cls.campaign_id, cls.agent_id, cls.supervisor_id = (
                server.id,
                campaign.id,
                agent.id,
                supervisor.id,
            )
        cls.addClassCleanup(cls.delete_fixtures)

    @classmethod
    @contextmanager
    def committed(cls):
        """An environment on a cursor of its own (superuser), committed when the block ends."""
        with cls.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})

    @classmethod
    def delete_fixtures(cls):
        with cls.committed() as env:
            calls = env['ameyo.call'].search([('server_id', '=', cls.server_id)])
            env['mail.message'].search(
                [('model', '=', 'ameyo.call'), ('res_id', 'in', calls.ids)]
            ).unlink()
            env['ameyo.call.recording'].search([('call_id', 'in', calls.ids)]).unlink()
            calls.unlink()
            env['ameyo.server'].browse(cls.server_id).unlink()
            users = env['res.users'].browse([cls.agent_id, cls.supervisor_id])
            env['ameyo.agent.session'].search([('user_id', 'in', users.ids)]).unlink()
            partners = users.partner_id
            users.unlink()
            partners.unlink()

    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.sim.add_campaign(self.CAMPAIGN, 'Retry over HTTP', dispositions=('Sale',))
        self.sim.add_agent('t.retry-agent@acme', password='pw', campaigns=(self.CAMPAIGN,))
        self.cookies = {'session_id': self.login('t_retry_supervisor')}

    def login(self, login):
        response = requests.post(
            self.base_url() + '/web/session/authenticate',
            timeout=30,
            json={
                'jsonrpc': '2.0',
                'method': 'call',
                'id': 1,
                'params': {'db': get_db_name(), 'login': login, 'password': login},
            },
        )
        self.assertEqual(response.json()['result']['uid'], self.supervisor_id)
        return response.cookies['session_id']

    def failed_leg(self, code='Sale'):
        """A call the agent disposed in Odoo whose dispose Ameyo refused once (committed): the agent
        is in wrap in Ameyo, the leg needs a supervisor."""
        call = self.sim.start_call('t.retry-agent@acme', self.CAMPAIGN, '9740012345')
        self.sim.hangup(call)
        with self.committed() as env:
            leg = create_call_leg(
                env,
                {
                    'server_id': self.server_id,
                    'campaign_id': self.campaign_id,
                    'ameyo_campaign_ref': self.CAMPAIGN,
                    'user_id': self.agent_id,
                    'crt_object_id': call['crtObjectId'],
                    'user_crt_object_id': call['userCrtObjectId'],
                    'phone': '9740012345',
                    'ameyo_assigned': True,
                    'disposition_code': code,
                    'dispose_request_id': f'req-{call["crtObjectId"]}',
                    'state': 'dispose_failed',
                    'dispose_saved_at': fields.Datetime.now(),
                    'dispose_error': 'Ameyo answered 500.',
                    'dispose_attempts': 1,
                },
            )
            # the agent's Ameyo session, as their pop recorded it: Odoo may name the call
            # (dacx/dispose)
            env['ameyo.server'].browse(self.server_id)._ameyo_record_agent_session(
                leg.user_id, call['sessionId']
            )
            return call, leg.id

    def leg_values(self, leg_id, *names):
        with self.committed() as env:
            return env['ameyo.call'].browse(leg_id).read(list(names))[0]

    def button(self, method, leg_ids):
        """What the web client sends for a button of the list: ``/web/dataset/call_button``."""
        response = requests.post(
            f'{self.base_url()}/web/dataset/call_button/ameyo.call/{method}',
            timeout=60,
            cookies=self.cookies,
            json={
                'jsonrpc': '2.0',
                'method': 'call',
                'id': 1,
                'params': {
                    'model': 'ameyo.call',
                    'method': method,
                    'args': [leg_ids],
                    'kwargs': {},
                },
            },
        )
        answer = response.json()
        self.assertIn('result', answer, answer)
        return answer['result']['params']

    def attention_ids(self):
        """The ids of Needing Attention's list, as the supervisor's web client searches it (the
        action's domain)."""
        with self.committed() as env:
            domain = literal_eval(env.ref('crm_ameyo.ameyo_call_action_attention').domain)
        response = requests.post(
            f'{self.base_url()}/web/dataset/call_kw/ameyo.call/search_read',
            timeout=30,
            cookies=self.cookies,
            json={
                'jsonrpc': '2.0',
                'method': 'call',
                'id': 1,
                'params': {
                    'model': 'ameyo.call',
                    'method': 'search_read',
                    'args': [domain, ['id']],
                    'kwargs': {},
                },
            },
        )
        return {row['id'] for row in response.json()['result']}

    def test_retry_dispose_accepted_by_ameyo_says_so(self):
        call, leg_id = self.failed_leg()
        self.assertIn(leg_id, self.attention_ids())
        notice = self.button('action_attention_retry_dispose', [leg_id])
        self.assertEqual(self.leg_values(leg_id, 'state')['state'], 'disposed')
        self.assertEqual([entry['code'] for entry in self.sim.dispositions_of(call)], ['Sale'])
        self.assertEqual(self.sim.agent_state('t.retry-agent@acme'), 'ready')
        self.assertEqual((notice['type'], notice['title']), ('success', 'Call disposed'), notice)
        self.assertEqual(
            notice['message'], 'Ameyo accepted the dispose and freed Retry Agent for the next call.'
        )
        self.assertNotIn(leg_id, self.attention_ids())

    def test_retry_dispose_refused_by_ameyo_says_what_the_agent_must_do(self):
        _call, leg_id = self.failed_leg(code='Not In Ameyo Plan')
        notice = self.button('action_attention_retry_dispose', [leg_id])
        values = self.leg_values(leg_id, 'state', 'dispose_error')
        self.assertEqual(values['state'], 'dispose_failed')
        self.assertEqual(
            (notice['type'], notice['title']), ('danger', 'Saved in Odoo, not in Ameyo'), notice
        )
        self.assertEqual(
            notice['message'].split('\n'),
            [
                'The outcome and notes are saved in Odoo.',
                f"Ameyo did not accept the dispose: {values['dispose_error']}",
                'Retry Agent must dispose the call in Ameyo.',
            ],
        )
        self.assertIn('disposition.code.not.in.plan', values['dispose_error'])
        self.assertIn(leg_id, self.attention_ids())

    def test_retrying_several_says_what_became_of_each(self):
        _call, accepted = self.failed_leg()
        _call, refused = self.failed_leg(code='Not In Ameyo Plan')
        _call, disposed = self.failed_leg()
        self.button('action_attention_mark_disposed', [disposed])
        notice = self.button('action_attention_retry_dispose', [accepted, refused, disposed])
        self.assertEqual(self.leg_values(accepted, 'state')['state'], 'disposed')
        refused_values = self.leg_values(refused, 'state', 'dispose_error', 'display_name')
        self.assertEqual(refused_values['state'], 'dispose_failed')
        self.assertEqual((notice['type'], notice['title']), ('danger', 'Dispose retried'), notice)
        display_name = self.leg_values(disposed, 'display_name')['display_name']
        self.assertEqual(
            notice['message'].split('\n'),
            [
                '1 call(s) disposed in Ameyo.',
                f"1 still not accepted by Ameyo: {refused_values['display_name']} "
                f"({refused_values['dispose_error']}).",
                f'1 left as they were (they were not waiting for Ameyo): {display_name}.',
            ],
        )

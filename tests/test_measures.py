"""The measures of a call leg (times stamped on its state changes, the seconds a pivot sums), the
customer's call history (the "Calls" buttons, their counts) and who reads which calls."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from ..models.ameyo_call_measures import parse_end_time, parse_talk_time
from ..tools.ameyo_params import parse_lifecycle_params
from .common import AmeyoTransactionCase, run_migration
from .test_dispose import DisposeCase

T0 = datetime(2026, 11, 27, 10, 0, 0)


class TestLegMeasures(DisposeCase):
    """A leg walked through its life by the simulator: the times Odoo stamps, the seconds
    derived."""

    def test_crm_only_pop_save_send(self):
        with freeze_time(T0):
            call, leg = self.pop()
        self.assertEqual(
            (leg.popped_at, leg.connected_at, leg.ended_at, leg.closed_at), (T0, T0, False, False)
        )
        self.assertEqual((leg.talk_seconds, leg.wrap_seconds, leg.call_unit), (0, 0, 1))
        self.sim.hangup(call)
        with freeze_time(T0 + timedelta(seconds=130)):
            self.confirm(leg)  # the save in Odoo: the first event after the talk Odoo sees
        self.assertEqual(leg.state, 'dispose_pending')
        self.assertEqual((leg.ended_at, leg.dispose_saved_at), (T0 + timedelta(seconds=130),) * 2)
        with freeze_time(T0 + timedelta(seconds=133)):
            self.send(leg)
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual(leg.closed_at, T0 + timedelta(seconds=133))
        self.assertEqual(
            (leg.talk_seconds, leg.wrap_seconds, leg.odoo_dispose_seconds), (130, 3, 130)
        )
        self.assertEqual((leg.talk_seconds_avg, leg.wrap_seconds_avg), (130, 3))
        # the disposition's outcome, stored for the reports
        self.assertEqual(leg.outcome, 'positive')

    def test_forced_mode_uses_ameyo_talk_time(self):
        """Forced: the agent saves in Odoo, Ameyo disposes later; its dispose URL's talkTime is the
        truth."""
        self.campaign.dispose_mode = 'forced'
        with freeze_time(T0):
            call, leg = self.pop()
        with freeze_time(T0 + timedelta(seconds=100)):
            self.confirm(leg)
        self.assertEqual(leg.state, 'connected')  # Ameyo has not disposed yet
        self.assertEqual((leg.ended_at, leg.dispose_saved_at), (T0 + timedelta(seconds=100),) * 2)
        self.sim.hangup(call)
        with freeze_time(T0 + timedelta(seconds=140)):
            self.ameyo_url(call, 'dispose', dispositionCode='Sale', talkTime='00:01:30')
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual(
            (leg.ended_at, leg.closed_at), (T0 + timedelta(seconds=90), T0 + timedelta(seconds=140))
        )
        self.assertEqual(
            (leg.talk_seconds, leg.wrap_seconds, leg.odoo_dispose_seconds), (90, 50, 100)
        )

    def test_ameyo_only_end_time_with_offset(self):
        """Ameyo only: Odoo sees the pop and Ameyo's dispose URL; its callEndTime (here in IST) ends
        the talk."""
        self.campaign.dispose_mode = 'ameyo_only'
        with freeze_time(T0):
            call, leg = self.pop()
        with freeze_time(T0 + timedelta(seconds=300)):
            self.ameyo_url(
                call, 'dispose', dispositionCode='Sale', callEndTime='2026/11/27 15:34:00 +0530'
            )
        self.assertEqual(
            (leg.ended_at, leg.closed_at),
            (T0 + timedelta(seconds=240), T0 + timedelta(seconds=300)),
        )
        self.assertEqual(
            (leg.talk_seconds, leg.wrap_seconds, leg.odoo_dispose_seconds), (240, 60, 0)
        )
        # a dispose URL without timing: the URL itself ends the talk; a malformed timing is ignored,
        # never refused
        with freeze_time(T0 + timedelta(seconds=600)):
            call2, leg2 = self.pop(phone='9740011224')
        with freeze_time(T0 + timedelta(seconds=645)):
            self.ameyo_url(call2, 'dispose', dispositionCode='Sale', talkTime='<b>')
        self.assertEqual((leg2.talk_seconds, leg2.wrap_seconds), (45, 0))

    def test_one_call_per_crt_object_id(self):
        """A transfer has two legs and is one call: ``call_unit`` sums to the calls."""
        call, leg = self.pop()
        transfer = self.create_leg(call['crtObjectId'], self.agent_b, 'U-B-transfer')
        other = self.create_leg('CRT-OTHER', self.agent_b, 'U-B-other')
        self.assertEqual((leg.call_unit, transfer.call_unit, other.call_unit), (1, 0, 1))
        legs = leg | transfer | other
        [(calls, count)] = self.env['ameyo.call']._read_group(
            [('id', 'in', legs.ids)], [], ['call_unit:sum', '__count']
        )
        self.assertEqual((calls, count), (2, 3))

    def test_dial_attempt_is_not_a_call_until_adopted(self):
        attempt = self.create_leg(False, self.agent_a, state='dialing', direction='outbound')
        self.assertEqual((attempt.call_unit, attempt.popped_at), (0, False))
        with freeze_time(T0):
            attempt._ameyo_update_state('dial_failed', {'dial_error': 'Busy'})
        self.assertEqual((attempt.call_unit, attempt.closed_at, attempt.talk_seconds), (0, T0, 0))

    def test_parsers(self):
        self.assertEqual(
            [parse_talk_time(v) for v in ('95', '00:01:35', '1:02:03', '', 'x', '1.5')],
            [95, 95, 3723, None, None, None],
        )
        self.assertEqual(
            parse_end_time('2026-11-27 15:30:00', 'Asia/Kolkata'), datetime(2026, 11, 27, 10, 0)
        )
        self.assertEqual(parse_end_time('1795773600000', None), datetime(2026, 11, 27, 10, 0))
        self.assertIsNone(parse_end_time('tomorrow', 'UTC'))
        # a timing Odoo cannot read is left out of the URL's parameters, never a reason to refuse it
        params = parse_lifecycle_params(
            [
                ('userId', 'a'),
                ('crtObjectId', 'c'),
                ('dispositionCode', 'Sale'),
                ('talkTime', '<b>'),
                ('callEndTime', '2026/11/27 15:34:00 +0530'),
            ],
            'dispose',
        )
        self.assertNotIn('talkTime', params)
        self.assertEqual(params['callEndTime'], '2026/11/27 15:34:00 +0530')


class TestCallHistory(AmeyoTransactionCase):
    """The "Calls" buttons of contacts and leads, and who reads which calls."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env['res.partner']
        cls.company = Partner.create({'name': 'Iyer Textiles', 'is_company': True})
        cls.meera = Partner.create({'name': 'Meera Iyer', 'parent_id': cls.company.id})
        cls.ravi = Partner.create({'name': 'Ravi Iyer', 'parent_id': cls.company.id})
        cls.stranger = Partner.create({'name': 'Somebody Else'})
        cls.sales = new_test_user(cls.env, login='t_sales', groups='sales_team.group_sale_salesman')
        cls.other_sales = new_test_user(
            cls.env, login='t_sales_2', groups='sales_team.group_sale_salesman'
        )
        Lead = cls.env['crm.lead']
        cls.lead_mine = Lead.create(
            {'name': 'Mine', 'user_id': cls.sales.id, 'type': 'opportunity'}
        )
        cls.lead_theirs = Lead.create(
            {'name': 'Theirs', 'user_id': cls.other_sales.id, 'type': 'opportunity'}
        )
        leg = cls.create_leg
        cls.legs = {
            'company': leg('H-1', cls.agent_a, 'U-1', partner_id=cls.company.id, state='disposed'),
            'meera_in': leg(
                'H-2',
                cls.agent_a,
                'U-2',
                partner_id=cls.meera.id,
                disposition_id=cls.disposition.id,
            ),  # disposed in Odoo
            'meera_out': leg(
                'H-3',
                cls.agent_b,
                'U-3',
                partner_id=cls.meera.id,
                direction='outbound',
                # disposed only in Ameyo
                disposition_code='AMEYO-ONLY',
                state='disposed',
            ),
            'ravi': leg('H-4', cls.agent_b, 'U-4', partner_id=cls.ravi.id),  # never disposed
            'stranger': leg('H-5', cls.agent_a, 'U-5', partner_id=cls.stranger.id),
            'lead_mine': leg('H-6', cls.agent_a, 'U-6', lead_id=cls.lead_mine.id),
            'lead_mine_2': leg('H-7', cls.agent_b, 'U-7', lead_id=cls.lead_mine.id),
            'lead_theirs': leg('H-8', cls.agent_a, 'U-8', lead_id=cls.lead_theirs.id),
            'nobody': leg('H-9', cls.agent_b, 'U-9'),
        }

    def of(self, *names):
        return self.env['ameyo.call'].union(*(self.legs[name] for name in names))

    def test_partner_counts_include_contacts(self):
        partners = (self.company | self.meera | self.ravi | self.stranger).with_user(
            self.supervisor
        )

        def queries(records):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            counts = records.mapped('ameyo_call_count')
            return self.env.cr.sql_log_count - before, counts

        queries(partners)  # the user's groups and rules in cache
        one, _counts = queries(partners[:1])
        four, counts = queries(partners)
        self.assertEqual(counts, [4, 2, 1, 1])
        # the contacts, then the calls grouped: no query per partner
        self.assertLessEqual(four, one)
        action = self.company.with_user(self.supervisor).action_ameyo_view_calls()
        self.assertEqual(
            self.env['ameyo.call'].search(action['domain']),
            self.of('company', 'meera_in', 'meera_out', 'ravi'),
        )
        self.assertEqual(action['res_model'], 'ameyo.call')
        self.assertIn('Iyer Textiles', action['display_name'])

    def test_lead_counts(self):
        leads = self.lead_mine | self.lead_theirs
        self.assertEqual(leads.mapped('ameyo_call_count'), [2, 1])
        action = self.lead_mine.action_ameyo_view_calls()
        self.assertEqual(
            self.env['ameyo.call'].search(action['domain']), self.of('lead_mine', 'lead_mine_2')
        )

    def test_sales_user_reads_the_calls_of_customers_he_can_see(self):
        Call = self.env['ameyo.call'].with_user(self.sales)
        everything = self.of(*self.legs)
        # every contact is theirs to see; leads: their own (and unassigned) only
        visible = Call.search([('id', 'in', everything.ids)])
        self.assertEqual(
            visible,
            self.of(
                'company', 'meera_in', 'meera_out', 'ravi', 'stranger', 'lead_mine', 'lead_mine_2'
            ).with_user(self.sales),
        )
        self.assertEqual(self.lead_mine.with_user(self.sales).ameyo_call_count, 2)
        self.assertEqual(self.company.with_user(self.sales).ameyo_call_count, 4)
        for name in ('lead_theirs', 'nobody'):
            with self.subTest(leg=name), self.assertRaises(AccessError):
                self.legs[name].with_user(self.sales).read(['phone'])
        leg = self.legs['meera_in'].with_user(self.sales)
        self.assertEqual(
            leg.read(['notes', 'disposition_id', 'user_id'])[0]['user_id'][0], self.agent_a.id
        )
        # read only, and no recording
        with self.assertRaises(AccessError):
            leg.write({'notes': 'mine now'})
        self.assertFalse(leg.recording_url)
        self.assertFalse(self.env['ameyo.call.recording'].with_user(self.sales).has_access('read'))

    def test_agent_reads_his_legs_and_his_customers_history(self):
        """An agent is a sales user too: the history of a customer they can see, their own legs to
        work on."""
        theirs = self.legs['meera_out'].with_user(self.agent_a)
        theirs.read(['notes'])  # agent B's call with Meera: in her history
        with self.assertRaises(AccessError):
            theirs.write({'notes': 'not mine'})
        with self.assertRaises(AccessError):
            # no customer: agent B's alone
            self.legs['nobody'].with_user(self.agent_a).read(['phone'])
        self.assertEqual(self.meera.with_user(self.agent_a).ameyo_call_count, 2)


class TestMeasuresMigration(AmeyoTransactionCase):
    """Legs logged before 19.0.1.3.0 get their times and measures where their events allow."""

    def test_backfill(self):
        saved, disposed = T0 + timedelta(seconds=70), T0 + timedelta(seconds=75)
        first = self.create_leg(
            'M-1',
            self.agent_a,
            'U-1',
            state='disposed',
            connected_at=T0,
            dispose_saved_at=saved,
            disposed_at=disposed,
            disposition_id=self.disposition.id,
        )
        transfer = self.create_leg('M-1', self.agent_b, 'U-2', state='connected', connected_at=T0)
        attempt = self.create_leg(False, self.agent_a, state='dial_failed')
        legs = first | transfer | attempt
        self.agent_a.tz = 'Asia/Kolkata'
        self.env.flush_all()
        # as the pre-migration leaves them: new columns, empty
        self.env.cr.execute(
            """UPDATE ameyo_call SET popped_at = NULL, ended_at = NULL, closed_at = NULL,
                                      outcome = NULL, talk_seconds = 0, wrap_seconds = 0,
                                          talk_seconds_avg = 0,
                                      wrap_seconds_avg = 0, odoo_dispose_seconds = 0, call_unit = 0,
                                          popped_hour = 0
                                WHERE id IN %s""",
            [tuple(legs.ids)],
        )
        self.env.cr.execute(
            "UPDATE ameyo_call SET create_date = %s WHERE id IN %s", [T0, tuple(legs.ids)]
        )
        run_migration(self.env.cr, '19.0.1.3.0', 'post-measures', '19.0.1.2.0')
        legs.invalidate_recordset()
        self.assertEqual((first.popped_at, first.ended_at, first.closed_at), (T0, saved, disposed))
        self.assertEqual(
            (first.talk_seconds, first.wrap_seconds, first.odoo_dispose_seconds), (70, 5, 70)
        )
        self.assertEqual((first.call_unit, first.outcome, first.popped_hour), (1, 'positive', 15))
        self.assertEqual(
            (transfer.call_unit, transfer.ended_at, transfer.talk_seconds), (0, False, 0)
        )
        self.assertEqual((attempt.call_unit, attempt.popped_at), (0, False))

"""What each campaign earns (``ameyo.campaign.report``): the figures of a hand-made set of calls and
won opportunities, who reads which rows, the campaign's button, and the report opened from it in
headless Chromium."""

from datetime import datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import AmeyoHttpCase, AmeyoTransactionCase, build_web_assets


class CampaignReportData:
    """Two campaigns, two agents; the calls and opportunities the tests count (``WON`` days before
    now):

    - a transfer: one Ameyo call, a leg of agent A then a leg of agent B;
    - ``won_29``: called by agent A in the other campaign 29 days and 6 hours before its win (within
      the 30 days too), by agent B in the campaign 29 days before it (its last call before the win),
      by agent A again after the win: the win is agent B's only;
    - ``won_31``: its last call, by agent A in the campaign, 31 days before its win: no call gets it
      (30 days);
    - ``open_opportunity``: open, last called by agent A in the other campaign; a lead created by a
      call of it.
    """

    @classmethod
    def setup_report_data(cls):
        cls.env.company.ameyo_attribution_days = 30
        cls.other_campaign = cls.env['ameyo.campaign'].create(
            {'server_id': cls.server.id, 'ameyo_campaign_id': '102', 'name': 'Other Campaign'}
        )
        cls.won_at = datetime.now().replace(microsecond=0) - timedelta(days=2)
        Lead = cls.env['crm.lead']
        cls.won_29, cls.won_31, cls.open_opportunity = Lead.create(
            [
                {
                    'name': 'Won 29 days after its call',
                    'type': 'opportunity',
                    'expected_revenue': 1250.0,
                },
                {
                    'name': 'Won 31 days after its call',
                    'type': 'opportunity',
                    'expected_revenue': 7000.0,
                },
                {'name': 'Still open', 'type': 'opportunity', 'expected_revenue': 300.0},
            ]
        )
        cls.transfer_a = cls.report_leg(
            'REPORT-TRANSFER',
            cls.agent_a,
            cls.won_at - timedelta(days=3),
            user_crt_object_id='REPORT-TRANSFER-A',
        )
        cls.transfer_b = cls.report_leg(
            'REPORT-TRANSFER',
            cls.agent_b,
            cls.won_at - timedelta(days=3, minutes=-4),
            user_crt_object_id='REPORT-TRANSFER-B',
        )
        cls.first_call_29 = cls.report_leg(
            'REPORT-29-FIRST',
            cls.agent_a,
            cls.won_at - timedelta(days=29, hours=6),
            campaign=cls.other_campaign,
            lead=cls.won_29,
        )
        cls.last_call_29 = cls.report_leg(
            'REPORT-29-LAST', cls.agent_b, cls.won_at - timedelta(days=29), lead=cls.won_29
        )
        cls.after_win_29 = cls.report_leg(
            'REPORT-29-AFTER', cls.agent_a, cls.won_at + timedelta(hours=1), lead=cls.won_29
        )
        cls.last_call_31 = cls.report_leg(
            'REPORT-31', cls.agent_a, cls.won_at - timedelta(days=31), lead=cls.won_31
        )
        cls.open_call = cls.report_leg(
            'REPORT-OPEN',
            cls.agent_a,
            cls.won_at - timedelta(days=1),
            campaign=cls.other_campaign,
            lead=cls.open_opportunity,
        )
        # what the pop or a disposition writes on the lead it creates (set by hand here)
        cls.created_lead = Lead.create(
            {'name': 'Made by a call', 'type': 'lead', 'ameyo_origin_call_id': cls.open_call.id}
        )
        for lead in cls.won_29 | cls.won_31:
            lead.action_set_won()
        (cls.won_29 | cls.won_31).date_closed = cls.won_at

    @classmethod
    def report_leg(cls, crt, agent, connected_at, campaign=None, lead=None, **values):
        return cls.create_leg(
            crt,
            agent,
            state='disposed',
            campaign_id=(campaign or cls.campaign).id,
            queue_id=cls.queue.id if not campaign else False,
            disposition_id=cls.disposition.id if not campaign else False,
            lead_id=lead.id if lead else False,
            popped_at=connected_at,
            connected_at=connected_at,
            ended_at=connected_at + timedelta(minutes=3),
            closed_at=connected_at + timedelta(minutes=4),
            **values,
        )

    def report(self, user=None):
        Report = self.env['ameyo.campaign.report']
        return Report.with_user(user) if user else Report

    def row(self, leg):
        return self.report().browse(leg.id)

    def figures(self, domain, groupby, user=None):
        """{group: (calls, connected, leads created, won, won revenue)} of the report's rows in
        ``domain``."""
        groups = self.report(user)._read_group(
            domain,
            groupby,
            [
                'call_count:sum',
                'connected_count:sum',
                'lead_count:sum',
                'won_count:sum',
                'won_revenue:sum',
            ],
        )
        return {
            group[: len(groupby)] if len(groupby) > 1 else group[0]: group[len(groupby) :]
            for group in groups
        }


@tagged('post_install', '-at_install')
class TestCampaignReport(CampaignReportData, AmeyoTransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_report_data()
        cls.legs = (
            cls.transfer_a
            | cls.transfer_b
            | cls.first_call_29
            | cls.last_call_29
            | cls.after_win_29
            | cls.last_call_31
            | cls.open_call
        )
        cls.in_test = [('call_id', 'in', cls.legs.ids)]
        cls.sales_manager = new_test_user(
            cls.env, login='t_report_sales_manager', groups='sales_team.group_sale_manager'
        )
        cls.salesman = new_test_user(
            cls.env, login='t_report_salesman', groups='sales_team.group_sale_salesman'
        )

    def test_transfer_counts_once(self):
        """The two legs of one Ameyo call are one call (and one connected call), on the first
        agent's row."""
        self.assertEqual((self.transfer_a.call_unit, self.transfer_b.call_unit), (1, 0))
        transfer = self.figures(
            [('call_id', 'in', (self.transfer_a | self.transfer_b).ids)], ['user_id']
        )
        self.assertEqual(transfer[self.agent_a][:2], (1, 1))
        self.assertEqual(transfer[self.agent_b][:2], (0, 0))
        everything = self.figures(self.in_test, ['company_id'])[self.env.company]
        self.assertEqual(everything[:2], (6, 6))  # seven legs, six calls

    def test_win_belongs_to_the_last_call_within_the_days(self):
        """won_29 counts once, for agent B's call in the campaign (its last before the win, 29 days
        before it): neither agent A's earlier call in the other campaign (within the 30 days too)
        nor the call after the win; won_31 for no call."""
        self.assertEqual(self.won_29.won_status, 'won')
        credited = self.report().search([*self.in_test, ('won_count', '>', 0)])
        self.assertEqual(credited.call_id, self.last_call_29)
        self.assertEqual(
            (credited.won_count, credited.won_revenue, credited.campaign_id, credited.user_id),
            (1, 1250.0, self.campaign, self.agent_b),
        )
        self.assertEqual(self.row(self.last_call_31).won_count, 0)
        by_campaign = self.figures(self.in_test, ['campaign_id'])
        self.assertEqual(by_campaign[self.campaign][3:], (1, 1250.0))
        self.assertEqual(by_campaign[self.other_campaign][3:], (0, 0.0))
        by_agent = self.figures(self.in_test, ['user_id'])
        self.assertEqual(by_agent[self.agent_a][3:], (0, 0.0))
        self.assertEqual(by_agent[self.agent_b][3:], (1, 1250.0))

    def test_days_are_the_company_setting(self):
        """At 35 days, won_31's call 31 days before its win gets it; at 28, won_29's call 29 days
        before gets nothing (and no earlier call takes it)."""
        self.env.company.ameyo_attribution_days = 35
        self.assertEqual(self.row(self.last_call_31).won_revenue, 7000.0)
        self.assertEqual(
            self.figures(self.in_test, ['company_id'])[self.env.company][3:], (2, 8250.0)
        )
        self.env.company.ameyo_attribution_days = 28
        self.assertEqual(self.figures(self.in_test, ['company_id'])[self.env.company][3:], (0, 0.0))

    def test_leads_created_and_open_pipeline(self):
        """The lead a call created counts on that call's row; the open opportunity's expected
        revenue on its last call's; a won one is no longer open."""
        open_row = self.row(self.open_call)
        self.assertEqual(
            (open_row.lead_count, open_row.open_count, open_row.expected_revenue), (1, 1, 300.0)
        )
        self.assertEqual(self.figures(self.in_test, ['campaign_id'])[self.other_campaign][2], 1)
        self.assertEqual(sum(self.report().search(self.in_test).mapped('open_count')), 1)
        self.assertEqual(self.row(self.last_call_29).open_count, 0)

    def test_rates_are_ratios_of_the_sums(self):
        """A group's conversion is its wins per 100 calls, its calls per win its calls over its
        wins: the ratio of its sums, not the average of its rows' rates."""
        [(campaign, conversion, calls_per_won, connected, leads)] = self.report()._read_group(
            [*self.in_test, ('campaign_id', '=', self.campaign.id)],
            ['campaign_id'],
            ['conversion_rate:avg', 'calls_per_won:avg', 'connect_rate:avg', 'lead_rate:avg'],
        )
        # the campaign: 4 calls (the transfer once, won_29's last call and the one after its win,
        # won_31's), 1 win
        self.assertEqual(campaign, self.campaign)
        self.assertAlmostEqual(conversion, 25.0)
        self.assertAlmostEqual(calls_per_won, 4.0)
        self.assertAlmostEqual(connected, 100.0)
        self.assertAlmostEqual(leads, 0.0)
        [(other_leads,)] = self.report()._read_group(
            [*self.in_test, ('campaign_id', '=', self.other_campaign.id)], [], ['lead_rate:avg']
        )
        self.assertAlmostEqual(other_leads, 50.0)  # one lead created by two calls

    def test_who_reads_which_rows(self):
        """An agent reads the rows of their own calls, a supervisor and a sales manager every row, a
        salesperson none."""
        self.assertEqual(
            self.report(self.agent_b).search(self.in_test).call_id,
            self.transfer_b | self.last_call_29,
        )
        self.assertEqual(
            self.figures(self.in_test, ['user_id'], user=self.agent_b).keys(), {self.agent_b}
        )
        self.assertEqual(self.report(self.supervisor).search(self.in_test).call_id, self.legs)
        self.assertEqual(self.report(self.sales_manager).search(self.in_test).call_id, self.legs)
        with self.assertRaises(AccessError):
            self.report(self.salesman).search(self.in_test)

    def test_campaign_button(self):
        """The campaign's button says its won revenue (as the reader may read the report) and opens
        the report on that campaign, a filter the reader may remove."""
        self.assertEqual(self.campaign.with_user(self.supervisor).report_won_revenue, 1250.0)
        self.assertEqual(self.other_campaign.with_user(self.supervisor).report_won_revenue, 0.0)
        # not their win
        self.assertEqual(self.campaign.with_user(self.agent_a).report_won_revenue, 0.0)
        action = self.campaign.with_user(self.supervisor).action_view_campaign_report()
        self.assertEqual(action['res_model'], 'ameyo.campaign.report')
        self.assertEqual(action['context']['search_default_campaign_id'], self.campaign.id)
        search = self.env.ref('crm_ameyo.ameyo_campaign_report_view_search').arch
        self.assertIn('<field name="campaign_id"/>', search)

    def test_a_campaign_filter_reads_the_indexes(self):
        """The view is a row per leg (no grouping): a filter on the campaign reaches the legs'
        campaign index, and the leads by their id and the lead's later legs by the index on lead_id
        (a plan with sequential scans disabled, as a large table would choose)."""
        self.env.flush_all()
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.env.cr.execute(
            "EXPLAIN SELECT sum(won_revenue), sum(lead_count) FROM ameyo_campaign_report "
            "WHERE campaign_id = %s",
            [self.campaign.id],
        )
        plan = '\n'.join(line for (line,) in self.env.cr.fetchall())
        self.env.cr.execute("SET LOCAL enable_seqscan = on")
        self.assertIn('ameyo_call__campaign_id_index', plan)
        self.assertIn('crm_lead_pkey', plan)
        self.assertIn('ameyo_call__lead_id_index', plan)
        self.assertIn('crm_lead__ameyo_origin_call_id_index', plan)
        self.assertNotIn('Seq Scan on ameyo_call', plan)


@tagged('post_install', '-at_install')
class TestCampaignReportTour(CampaignReportData, AmeyoHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        build_web_assets(cls.env)
        cls.campaign.name = 'Report Campaign'
        cls.agent_a.name = 'Report Agent A'
        cls.agent_b.name = 'Report Agent B'
        cls.setup_report_data()

    def test_campaign_button_opens_the_report(self):
        self.start_tour(
            f'/odoo/action-crm_ameyo.ameyo_campaign_action/{self.campaign.id}',
            'crm_ameyo_campaign_report_tour',
            login=self.supervisor.login,
        )

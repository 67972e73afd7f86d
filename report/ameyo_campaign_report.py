"""What each campaign earns: calls, connected calls, leads created by calls, opportunities won and
their revenue, by campaign, queue, agent, disposition outcome and day. A database view (as Odoo's
crm/report/ holds the CRM's analyses), one row per call leg that Ameyo named (a dial attempt no call
came of is no row).

The one attribution rule (said in the action's help too): an opportunity's win belongs to the last
call with that opportunity (a leg whose ``lead_id`` is it) that the agent talked on
(``connected_at``) before the win (``date_closed`` of a won opportunity), and only when that call
was at most N days before it (N: the call's company's ``ameyo_attribution_days``, 30 by default).
One call at most gets a win: no campaign, queue or agent counts the same revenue twice. The calls
with the customer on other records, or on no record, get no credit. An open opportunity's expected
revenue belongs likewise to its last call (no time limit: it is still open).
"""

from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.tools import SQL

# The ratios the pivot and the graph show: the ratio of the sums of a group, never an average of the
# rows' ratios (aggregate -> numerator, denominator, factor). Each row holds its own ratio too, for
# the list.
RATIOS = {
    'connect_rate:avg': ('connected_count', 'call_count', 100),
    'lead_rate:avg': ('lead_count', 'call_count', 100),
    'conversion_rate:avg': ('won_count', 'call_count', 100),
    'calls_per_won:avg': ('call_count', 'won_count', 1),
}


class AmeyoCampaignReport(models.Model):
    """One row per call leg: its call (1 on the first leg of an Ameyo call, 0 on a transfer's next
    legs), the leads it created, the win and the open opportunity it is credited with (the last call
    before the win, within the company's days). Read-only."""

    _name = 'ameyo.campaign.report'
    _description = 'Ameyo Campaign Report'
    _auto = False
    _order = 'date desc, id desc'
    _rec_name = 'call_id'

    date = fields.Datetime(
        string="Call Date",
        readonly=True,
        help="When the call began: its pop (else the dial that placed it).",
    )
    call_id = fields.Many2one('ameyo.call', readonly=True)
    company_id = fields.Many2one('res.company', readonly=True)
    currency_id = fields.Many2one('res.currency', readonly=True)
    campaign_id = fields.Many2one('ameyo.campaign', readonly=True)
    queue_id = fields.Many2one('ameyo.queue', readonly=True)
    user_id = fields.Many2one('res.users', string="Agent", readonly=True)
    disposition_id = fields.Many2one('ameyo.disposition', readonly=True)
    outcome = fields.Selection(selection='_selection_outcome', readonly=True)
    direction = fields.Selection([('inbound', 'Inbound'), ('outbound', 'Outbound')], readonly=True)
    partner_id = fields.Many2one('res.partner', string="Contact", readonly=True)
    lead_id = fields.Many2one('crm.lead', string="Lead / Opportunity", readonly=True)

    call_count = fields.Integer(
        string="Calls",
        readonly=True,
        aggregator='sum',
        help="Ameyo calls, not legs: a transferred call counts once.",
    )
    connected_count = fields.Integer(
        string="Connected Calls", readonly=True, aggregator='sum', help="Calls the agent talked on."
    )
    lead_count = fields.Integer(
        string="Leads Created",
        readonly=True,
        aggregator='sum',
        help="Leads and opportunities a call's pop or disposition created.",
    )
    won_count = fields.Integer(
        string="Won Opportunities",
        readonly=True,
        aggregator='sum',
        help="Opportunities won at most the company's days after their last call: counted on that "
        "call only.",
    )
    won_revenue = fields.Monetary(
        readonly=True,
        aggregator='sum',
        currency_field='currency_id',
        help="The expected revenue of the won opportunities credited to these calls.",
    )
    open_count = fields.Integer(
        string="Open Opportunities",
        readonly=True,
        aggregator='sum',
        help="Opportunities still open whose last call these are.",
    )
    expected_revenue = fields.Monetary(
        readonly=True,
        aggregator='sum',
        currency_field='currency_id',
        help="The expected revenue of the open opportunities whose last call these are: the "
        "pipeline the calls work on.",
    )
    connect_rate = fields.Float(
        string="Connected (%)",
        readonly=True,
        aggregator='avg',
        help="Connected calls per 100 calls.",
    )
    lead_rate = fields.Float(
        string="Leads per 100 Calls",
        readonly=True,
        aggregator='avg',
        help="Leads created per 100 calls.",
    )
    conversion_rate = fields.Float(
        string="Conversion (%)",
        readonly=True,
        aggregator='avg',
        help="Won opportunities per 100 calls.",
    )
    calls_per_won = fields.Float(
        string="Calls per Won Opportunity",
        readonly=True,
        aggregator='avg',
        help="Calls made for each opportunity won.",
    )

    _depends = {
        'ameyo.call': [
            'popped_at',
            'create_date',
            'company_id',
            'campaign_id',
            'queue_id',
            'user_id',
            'disposition_id',
            'outcome',
            'direction',
            'partner_id',
            'lead_id',
            'call_unit',
            'connected_at',
            'crt_object_id',
        ],
        'crm.lead': [
            'ameyo_origin_call_id',
            'won_status',
            'date_closed',
            'active',
            'type',
            'expected_revenue',
        ],
        'res.company': ['currency_id', 'ameyo_attribution_days'],
    }

    @api.model
    def _selection_outcome(self):
        return self.env['ameyo.disposition']._fields['outcome']._description_selection(self.env)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query())
        )

    def _query(self):
        """One row per leg Ameyo named. ``credit``: the leg's own lead (``lead_id``), when the leg
        is its last call the agent talked on before its win (within the company's days) or, open, of
        all. A row is a leg's, and each condition filters on the leg first: a filter on the
        campaign, queue or agent reads its index on the legs, then the leads by their id and the
        lead's later legs by their index on ``lead_id``."""
        return SQL("""
            SELECT c.id,
                   c.id AS call_id,
                   COALESCE(c.popped_at, c.create_date) AS date,
                   c.company_id,
                   company.currency_id,
                   c.campaign_id,
                   c.queue_id,
                   c.user_id,
                   c.disposition_id,
                   c.outcome,
                   c.direction,
                   c.partner_id,
                   c.lead_id,
                   c.call_unit AS call_count,
                   CASE WHEN c.connected_at IS NOT NULL THEN c.call_unit ELSE 0 END AS
                       connected_count,
                   COALESCE(created.lead_count, 0) AS lead_count,
                   CASE WHEN credit.won THEN 1 ELSE 0 END AS won_count,
                   CASE WHEN credit.won THEN credit.expected_revenue ELSE 0 END AS won_revenue,
                   CASE WHEN credit.open THEN 1 ELSE 0 END AS open_count,
                   CASE WHEN credit.open THEN credit.expected_revenue ELSE 0 END AS
                       expected_revenue,
                   CASE WHEN c.call_unit > 0
                        THEN 100.0 * (CASE WHEN c.connected_at IS NOT NULL THEN c.call_unit ELSE 0
                            END) / c.call_unit
                   END AS connect_rate,
                   CASE WHEN c.call_unit > 0 THEN 100.0 * COALESCE(created.lead_count, 0) /
                       c.call_unit
                   END AS lead_rate,
                   CASE WHEN c.call_unit > 0 THEN (CASE WHEN credit.won THEN 100.0 ELSE 0.0 END) /
                       c.call_unit
                   END AS conversion_rate,
                   CASE WHEN credit.won THEN c.call_unit::float END AS calls_per_won
              FROM ameyo_call c
              JOIN res_company company ON company.id = c.company_id
              LEFT JOIN LATERAL (
                    SELECT count(*)::int AS lead_count FROM crm_lead made WHERE
                        made.ameyo_origin_call_id = c.id
              ) created ON TRUE
              LEFT JOIN LATERAL (
                    SELECT lead.expected_revenue,
                           lead.won_status = 'won'
                           AND lead.date_closed >= c.connected_at
                           AND lead.date_closed
                               <= c.connected_at + make_interval(days =>
                                   company.ameyo_attribution_days)
                           AND NOT EXISTS (
                               SELECT 1 FROM ameyo_call later
                                WHERE later.lead_id = lead.id AND later.crt_object_id IS NOT NULL
                                  AND later.connected_at <= lead.date_closed
                                  AND (later.connected_at, later.id) > (c.connected_at, c.id)
                           ) AS won,
                           lead.won_status = 'pending' AND lead.type = 'opportunity'
                           AND NOT EXISTS (
                               SELECT 1 FROM ameyo_call later
                                WHERE later.lead_id = lead.id AND later.crt_object_id IS NOT NULL
                                  AND (later.connected_at, later.id) > (c.connected_at, c.id)
                           ) AS open
                      FROM crm_lead lead
                     WHERE lead.id = c.lead_id AND lead.active AND c.connected_at IS NOT NULL
              ) credit ON TRUE
             WHERE c.crt_object_id IS NOT NULL
        """)

    def _read_group_select(self, aggregate_spec, query):
        """The rates of a group are the ratio of its sums (won opportunities per 100 calls of the
        group...), as Odoo's purchase report computes its average price: never the average of its
        rows' rates."""
        if aggregate_spec not in RATIOS:
            return super()._read_group_select(aggregate_spec, query)
        numerator, denominator, factor = RATIOS[aggregate_spec]
        return SQL(
            '%(factor)s * SUM(%(numerator)s)::float / NULLIF(SUM(%(denominator)s), 0)',
            factor=factor,
            numerator=self._field_to_sql(self._table, numerator, query),
            denominator=self._field_to_sql(self._table, denominator, query),
        )

    @api.model
    def _ameyo_load_demo(self):
        """Demo data (``data/crm_ameyo_demo.xml``): calls of the demo agents in the two demo
        campaigns over the last two months, and the opportunities they led to, so that the report
        has something to say. Made as the connector makes legs (created in their first state, then
        disposed by the state machine)."""
        ref = self.env.ref
        now = fields.Datetime.now().replace(microsecond=0)
        sales, collections = (
            ref('crm_ameyo.demo_campaign_sales'),
            ref('crm_ameyo.demo_campaign_collections'),
        )
        agent1, agent2 = ref('crm_ameyo.demo_user_agent1'), ref('crm_ameyo.demo_user_agent2')
        queues = {
            'sales': ref('crm_ameyo.demo_queue_sales'),
            'support': ref('crm_ameyo.demo_queue_support'),
        }
        dispositions = {
            code: ref(f'crm_ameyo.demo_disposition_{code}')
            for code in (
                'sale',
                'not_interested',
                'sales_callback',
                'wrong_number',
                'ptp',
                'paid',
                'no_answer',
            )
        }
        partners = {
            name: ref(f'crm_ameyo.demo_partner_{name}')
            for name in ('neha', 'arjun', 'kavya', 'acme')
        }
        Lead, Call = self.env['crm.lead'], self.env['ameyo.call'].sudo()
        team = ref('sales_team.team_sales_department')

        def opportunity(name, partner, revenue, user):
            return Lead.create(
                {
                    'name': name,
                    'type': 'opportunity',
                    'partner_id': partner.id,
                    'expected_revenue': revenue,
                    'user_id': user.id,
                    'team_id': team.id,
                }
            )

        def leg(
            crt,
            agent,
            days_ago,
            campaign,
            disposition,
            partner,
            lead=False,
            queue=False,
            leg_ref=None,
            later=0,
        ):
            connected = now - timedelta(
                days=days_ago, hours=days_ago % 5, minutes=7 * (days_ago % 8) - later
            )
            values = {
                'server_id': campaign.server_id.id,
                'crt_object_id': crt,
                'user_crt_object_id': leg_ref or f'{crt}-1',
                'campaign_id': campaign.id,
                'queue_id': queue and queues[queue].id,
                'user_id': agent.id,
                'phone': partner.phone,
                'partner_id': partner.id,
                'lead_id': lead and lead.id,
                'ameyo_assigned': True,
                'disposition_id': dispositions[disposition].id,
                'disposition_code': dispositions[disposition].code,
                'popped_at': connected,
                'connected_at': connected,
                'call_unit': int(not Call.search_count([('crt_object_id', '=', crt)])),
            }
            call = Call._ameyo_create_leg(values, 'connected')
            ended = connected + timedelta(seconds=95 + 11 * days_ago)
            call._ameyo_update_state(
                'disposed',
                {
                    'ended_at': ended,
                    'closed_at': ended + timedelta(seconds=40),
                    'disposed_at': ended + timedelta(seconds=40),
                },
            )
            # the simulator never recorded these calls: no recording to fetch (nor missing in
            # Needing Attention)
            call.recording_id.unlink()
            return call

        # the fleet renewal: Ravi's callback, then Asha's sale 12 days before the win (hers)
        fleet = ref('crm_ameyo.demo_lead_fleet')
        fleet.expected_revenue = 180000
        leg('DEMO-RPT-01', agent2, 40, sales, 'sales_callback', partners['arjun'], fleet, 'sales')
        leg('DEMO-RPT-02', agent1, 12, sales, 'sale', partners['arjun'], fleet, 'sales')
        # Neha's warranty: created by Asha's call, transferred to Ravi who sold it (one call; Ravi's
        # win)
        warranty = opportunity("Extended warranty for Neha Kapoor", partners['neha'], 45000, agent1)
        first = leg(
            'DEMO-RPT-03',
            agent1,
            20,
            sales,
            'sales_callback',
            partners['neha'],
            warranty,
            'support',
        )
        warranty.ameyo_origin_call_id = first
        leg(
            'DEMO-RPT-03',
            agent2,
            20,
            sales,
            'sale',
            partners['neha'],
            warranty,
            'sales',
            leg_ref='DEMO-RPT-03-2',
            later=6,
        )
        # Kavya's payment plan: a promise, then paid 25 days before the win (Ravi's, in Collections)
        plan = opportunity("Payment plan for Kavya Iyer", partners['kavya'], 30000, agent2)
        leg('DEMO-RPT-04', agent2, 50, collections, 'ptp', partners['kavya'], plan)
        leg('DEMO-RPT-05', agent2, 33, collections, 'paid', partners['kavya'], plan)
        # Acme's furniture: won 35 days after its only call: no call gets it (30 days)
        furniture = opportunity(
            "Office furniture for Acme Traders", partners['acme'], 95000, agent1
        )
        leg('DEMO-RPT-06', agent1, 70, sales, 'sale', partners['acme'], furniture, 'sales')
        # Acme's maintenance contract: still open, last called last week
        maintenance = opportunity(
            "Annual maintenance for Acme Traders", partners['acme'], 60000, agent1
        )
        leg(
            'DEMO-RPT-07',
            agent1,
            6,
            sales,
            'sales_callback',
            partners['acme'],
            maintenance,
            'sales',
        )
        # calls that led nowhere
        for number, (agent, days_ago, campaign, disposition, partner, queue) in enumerate(
            (
                (agent1, 3, sales, 'not_interested', 'neha', 'sales'),
                (agent2, 9, sales, 'wrong_number', 'arjun', 'support'),
                (agent1, 15, sales, 'not_interested', 'kavya', 'sales'),
                (agent2, 27, collections, 'no_answer', 'acme', False),
                (agent2, 44, collections, 'ptp', 'arjun', False),
                (agent1, 52, sales, 'sales_callback', 'kavya', 'support'),
            )
        ):
            leg(
                f'DEMO-RPT-{10 + number}',
                agent,
                days_ago,
                campaign,
                disposition,
                partners[partner],
                queue=queue,
            )
        won = {fleet: 9, warranty: 11, plan: 8, furniture: 35}
        for lead in won:
            lead.action_set_won()
        for lead, days_ago in won.items():
            lead.date_closed = now - timedelta(days=days_ago)

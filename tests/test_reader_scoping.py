"""What a reader learns of records they may not open: the lookup trace stores ids and names only the
records the reader may read; the Shared Numbers report counts the records of their companies they
may open; the callback of the dispose wizard goes to an internal agent or salesperson of the call's
company only."""

import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import AGENT_GROUPS
from .test_attention import AttentionCase

KEYS = ('9740021001', '9740021002', '9740021003', '9740021004')


@tagged('post_install', '-at_install')
class TestReaderScoping(AttentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_numbers(KEYS)
        cls.elsewhere = cls.env['res.company'].create({'name': 'Scoping Elsewhere'})

    def setUp(self):
        super().setUp()
        Lead = self.env['crm.lead']
        self.own_lead = Lead.create(
            {'name': 'Visible deal', 'user_id': self.agent_a.id, 'phone': '+91 97400 21001'}
        )
        self.other_lead = Lead.create(
            {'name': 'Secret deal', 'user_id': self.agent_b.id, 'phone': '+91 97400 21001'}
        )
        self.assertFalse(self.other_lead.with_user(self.agent_a).has_access('read'))

    def trace(self, leg, user=None):
        """The trace's data as ``user`` reads it (the widget words it:
        static/tests/lookup_trace.test.js)."""
        self.env.invalidate_all()
        return (leg.with_user(user) if user else leg.sudo()).lookup_trace_display

    # ------------------------------------------------------------------
    # The lookup trace
    # ------------------------------------------------------------------

    def test_lookup_trace_stores_ids_and_names_what_the_reader_may_read(self):
        leg = self.create_leg(self.new_crt(), self.agent_a, phone='9740021001')
        leads = self.own_lead | self.other_lead
        leg._ameyo_store_lookup_trace('crm.lead', 'choose', self.env['crm.lead'], None, leads)
        self.assertEqual(leg.lookup_trace['matches'], leads.ids)
        self.assertNotIn('deal', json.dumps(leg.lookup_trace))  # no name is stored
        trace = self.trace(leg, self.agent_a)
        # "Visible deal", then "a lead of another salesperson": nothing of the other lead, not even
        # its id
        self.assertEqual(
            trace['matches'], [{'name': 'Visible deal', 'reason': '', 'opened': False}]
        )
        self.assertEqual(trace['unreadable'], [{'reason': 'hidden', 'count': 1}])
        self.assertNotIn('Secret deal', json.dumps(trace))
        self.assertEqual(
            [match['name'] for match in self.trace(leg)['matches']], ['Visible deal', 'Secret deal']
        )  # who may read it is told its name
        # the record the pop opened: named to whoever may read it only
        leg._ameyo_store_lookup_trace('crm.lead', 'open', self.other_lead, 'pick', leads)
        self.assertEqual(leg.lookup_trace['chosen'], self.other_lead.id)
        trace = self.trace(leg, self.agent_a)
        # "Opened a lead of another salesperson"
        self.assertEqual(trace['chosen'], {'name': '', 'reason': 'hidden'})
        self.assertNotIn('Secret deal', json.dumps(trace))
        self.assertEqual(self.trace(leg)['chosen'], {'name': 'Secret deal', 'reason': ''})
        # a record deleted since
        self.own_lead.unlink()
        self.assertEqual(
            self.trace(leg, self.agent_a)['unreadable'],
            [{'reason': 'deleted', 'count': 1}, {'reason': 'hidden', 'count': 1}],
        )

    def test_a_trace_stored_with_names_shows_none_of_them(self):
        """Traces stored by earlier versions hold [id, name] pairs: their names are never shown."""
        leg = self.create_leg(self.new_crt(), self.agent_a, phone='9740021001')
        leg.sudo().lookup_trace = {
            'number': '9740021001',
            'key': '9740021001',
            'digits': 10,
            'model': 'crm.lead',
            'outcome': 'open',
            'by': 'pick',
            'hidden': 0,
            'match_count': 2,
            'matches': [
                [self.own_lead.id, 'Visible deal'],
                [self.other_lead.id, 'Stale name of the secret deal'],
            ],
            'chosen': [self.other_lead.id, 'Stale name of the secret deal'],
        }
        trace = self.trace(leg, self.agent_a)
        self.assertEqual([match['name'] for match in trace['matches']], ['Visible deal'])
        self.assertNotIn('secret deal', json.dumps(trace).lower())
        # "Opened a lead of another salesperson"
        self.assertEqual(trace['chosen'], {'name': '', 'reason': 'hidden'})

    # ------------------------------------------------------------------
    # Shared Numbers
    # ------------------------------------------------------------------

    def shared(self, user=None, **context):
        self.env.flush_all()
        self.env.invalidate_all()
        Shared = self.env['ameyo.shared.number'].with_context(**context)
        Shared = Shared.with_user(user) if user else Shared.sudo()
        return {
            row.phone_key: (row.partner_count, row.lead_count, row.call_count)
            for row in Shared.search([('phone_key', 'in', KEYS)])
        }

    def test_shared_numbers_of_the_readers_companies_and_records(self):
        Partner = self.env['res.partner']
        # two contacts of another company
        Partner.create(
            [
                {
                    'name': f'Elsewhere {index}',
                    'phone': '+91 97400 21002',
                    'company_id': self.elsewhere.id,
                }
                for index in range(2)
            ]
        )
        # two leads of another salesperson (the supervisor reads their own and unassigned leads
        # only)
        self.env['crm.lead'].create(
            [
                {'name': f'Hidden {index}', 'user_id': self.agent_b.id, 'phone': '+91 97400 21003'}
                for index in range(2)
            ]
        )
        # two contacts of their company, a call of each company
        Partner.create(
            [{'name': f'Here {index}', 'phone': '+91 97400 21004'} for index in range(2)]
        )
        self.create_leg(self.new_crt(), self.agent_a, phone='9740021004')
        server_elsewhere = self.env['ameyo.server'].create(
            {
                'name': 'Ameyo Elsewhere',
                'base_url': 'http://127.0.0.1:5/',
                'company_id': self.elsewhere.id,
            }
        )
        self.create_leg(
            self.new_crt(),
            self.agent_b,
            server_id=server_elsewhere.id,
            campaign_id=False,
            phone='9740021004',
        )
        self.assertEqual(
            self.shared(),
            {
                '9740021001': (0, 2, 0),
                '9740021002': (2, 0, 0),
                '9740021003': (0, 2, 0),
                '9740021004': (2, 0, 2),
            },
        )  # the superuser, every company
        self.assertEqual(self.shared(self.supervisor), {'9740021004': (2, 0, 1)})
        self.supervisor.write(
            {
                'company_ids': [fields.Command.link(self.elsewhere.id)],
                'group_ids': [
                    fields.Command.link(self.env.ref('sales_team.group_sale_manager').id)
                ],
            }
        )
        self.assertEqual(
            self.shared(
                self.supervisor, allowed_company_ids=[self.env.company.id, self.elsewhere.id]
            ),
            {
                '9740021001': (0, 2, 0),
                '9740021002': (2, 0, 0),
                '9740021003': (0, 2, 0),
                '9740021004': (2, 0, 2),
            },
        )

    # ------------------------------------------------------------------
    # The callback user of the dispose wizard
    # ------------------------------------------------------------------

    def test_callback_user_is_an_internal_agent_or_salesperson_of_the_calls_company(self):
        portal = new_test_user(self.env, login='t_scoping_portal', groups='base.group_portal')
        employee = new_test_user(self.env, login='t_scoping_employee', groups='base.group_user')
        stranger = new_test_user(
            self.env,
            login='t_scoping_stranger',
            groups=AGENT_GROUPS,
            company_id=self.elsewhere.id,
            company_ids=[fields.Command.set(self.elsewhere.ids)],
        )
        callback_at = fields.Datetime.now().replace(microsecond=0) + timedelta(days=1)
        _call, leg = self.pop()
        for user in (portal, employee, stranger):
            with self.subTest(user=user.login):
                with self.assertRaises(UserError):
                    self.confirm(
                        leg, code='Callback', callback_at=callback_at, callback_user_id=user.id
                    )
                self.assertFalse(leg.callback_at or leg.disposition_code)
                self.assertFalse(self.partner.activity_ids)
                self.assertNotIn(user.partner_id, self.partner.message_partner_ids)
        self.confirm(
            leg, code='Callback', callback_at=callback_at, callback_user_id=self.agent_b.id
        )
        self.assertEqual(leg.callback_user_id, self.agent_b)
        # the form offers the same users
        arch = (
            self.env['ameyo.dispose.wizard']
            .with_user(self.agent_a)
            .get_views([(False, 'form')])['views']['form']
        )
        self.assertRegex(
            arch['arch'],
            r'name="callback_user_id"[^>]*domain="[^"]*share[^"]*company_ids[^"]*'
            r'all_group_ids',
        )

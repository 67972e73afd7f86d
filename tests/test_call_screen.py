import json
import re
from datetime import timedelta

from lxml import html

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import AmeyoHttpCase, AmeyoTransactionCase


def last_bus_message(env, partner, notification_type='crm_ameyo/call'):
    """The payload of the latest bus notification of ``notification_type`` sent to ``partner``."""
    env.cr.precommit.run()  # Odoo writes the notifications when the transaction commits
    for row in env['bus.bus'].sudo().search([], order='id desc', limit=20):
        message = json.loads(row.message)
        if message['type'] == notification_type and json.loads(row.channel) == [
            env.cr.dbname,
            'res.partner',
            partner.id,
        ]:
            return message['payload']
    return None


@tagged('post_install', '-at_install')
class TestCallPanel(AmeyoTransactionCase):
    """The call panel on the caller's contact and lead form during the agent's live call."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.queue.guidance = '<p>Offer the gold plan first.</p>'
        cls.caller = cls.env['res.partner'].create(
            {'name': 'Meera Iyer', 'phone': '+91 98765 43210'}
        )
        cls.stranger = cls.env['res.partner'].create(
            {'name': 'Someone Else', 'phone': '+91 90000 11111'}
        )
        cls.create_leg(
            'panel-earlier',
            cls.agent_b,
            partner_id=cls.caller.id,
            state='disposed',
            disposition_id=cls.disposition.id,
            disposition_code='Sale',
            notes='Asked for a brochure',
        )
        cls.create_leg(
            'panel-stranger',
            cls.agent_b,
            partner_id=cls.stranger.id,
            state='disposed',
            notes='Not this caller',
            phone='+91 90000 11111',
        )
        cls.caller.activity_schedule(
            'mail.mail_activity_data_call', summary='Send the brochure', user_id=cls.agent_a.id
        )

    def panel(self, record, user=None):
        """The panel's data (the widget words it: static/tests/call_panel.test.js), read afresh as
        the next form load does (the panel follows the leg); False without a live call."""
        self.env.invalidate_all()
        return record.with_user(user or self.agent_a).ameyo_call_panel

    @staticmethod
    def row(call):
        """An earlier call of the panel as its columns: agent, about (a name, or the widget's kind
        of words), outcome, notes."""
        return [call['agent'], call['about_name'] or call['about'], call['outcome'], call['notes']]

    def test_panel_during_live_call(self):
        leg = self.create_leg(
            'panel-live',
            self.agent_a,
            'panel-live-leg',
            partner_id=self.caller.id,
            queue_id=self.queue.id,
        )
        panel = self.panel(self.caller)
        self.assertEqual(
            (panel['preview'], panel['phone'], panel['queue'], panel['guidance']),
            (False, '+919876543210', 'Test Queue', '<p>Offer the gold plan first.</p>'),
        )
        self.assertEqual(
            [(activity['summary'], activity['user']) for activity in panel['activities']],
            [('Send the brochure', self.agent_a.name)],
        )
        # another number, another record: not this caller's
        self.assertNotIn('Not this caller', json.dumps(panel))
        # a leg still marked live (an earlier call never disposed, another agent's leg) is not a
        # past call
        self.create_leg(
            'panel-stale', self.supervisor, partner_id=self.caller.id, notes='Still marked live'
        )
        panel = self.panel(self.caller)
        self.assertNotIn('Still marked live', json.dumps(panel))
        # last calls: date, agent, the record it was about, outcome, notes only (and never the live
        # leg itself)
        self.assertEqual(
            [self.row(call) for call in panel['calls']],
            [[self.agent_b.name, 'this', 'Sale', 'Asked for a brochure']],
        )
        self.assertTrue(panel['calls'][0]['date'])
        # another agent, not on a call with the caller, sees no panel
        self.assertFalse(self.panel(self.caller, self.agent_b))
        # disposed (or waiting for Ameyo): gone
        for state in ('dispose_pending', 'dispose_failed', 'disposed'):
            leg._ameyo_update_state(state)
            self.assertFalse(self.panel(self.caller), state)
        # in preview too
        self.create_leg('panel-preview', self.agent_a, partner_id=self.caller.id, state='preview')
        self.assertTrue(self.panel(self.caller)['preview'])

    def test_panel_costs_a_few_queries(self):
        """In the form's own read, a fixed handful of small queries, whatever the number of calls
        shown."""
        for index in range(6):
            self.create_leg(
                f'panel-many-{index}',
                (self.agent_a, self.agent_b, self.supervisor)[index % 3],
                partner_id=self.caller.id,
                state='disposed',
                notes=f'Call {index}',
            )
            self.caller.activity_schedule(
                'mail.mail_activity_data_todo', summary=f'To do {index}', user_id=self.agent_a.id
            )
        self.create_leg(
            'panel-many-live', self.agent_a, partner_id=self.caller.id, queue_id=self.queue.id
        )
        caller = self.caller.with_user(self.agent_a)
        self.panel(self.caller)  # languages loaded
        self.env.invalidate_all()
        # the form's own lookup, which Dispose Call needs anyway
        self.assertTrue(caller.ameyo_open_call_id)
        before = self.env.cr.sql_log_count
        panel = caller.ameyo_call_panel
        self.assertLessEqual(self.env.cr.sql_log_count - before, 8)
        self.assertEqual(panel['calls'][0]['notes'], 'Call 5')
        self.assertEqual(len(panel['activities']), 5)
        self.assertTrue(panel['more_activities'])  # "and more in the chatter"

    def test_panel_queries_do_not_grow_with_the_calls(self):
        """The last calls of a number are found on the legs' indexes of (number or record, creation,
        id), each stopped at the panel's count: as many queries for 2 earlier calls as for 40 about
        other contacts and leads of the number, with other agents and outcomes; the newest listed
        first, whichever way they are the caller's (their number, their own record from another
        number)."""
        sql = (
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'ameyo_call' AND indexname LIKE "
            "'ameyo_call_panel_%%'"
        )
        self.env.cr.execute(sql)
        self.assertEqual(
            sorted(row[0].split(' USING btree ')[1] for row in self.env.cr.fetchall()),
            [
                '(lead_id, create_date, id) WHERE (lead_id IS NOT NULL)',
                '(partner_id, create_date, id) WHERE (partner_id IS NOT NULL)',
                '(phone_key, create_date, id) WHERE (phone_key IS NOT NULL)',
            ],
        )
        agents = (self.agent_a, self.agent_b, self.supervisor)
        outcomes = [
            self.disposition,
            *self.env['ameyo.disposition'].create(
                [
                    {
                        'campaign_id': self.campaign.id,
                        'code': f'Panel {index}',
                        'name': f'Panel outcome {index}',
                    }
                    for index in range(3)
                ]
            ),
        ]

        def earlier_calls(start, count):
            for index in range(start, start + count):
                kind = index % 3
                record = (
                    {
                        'partner_id': self.env['res.partner']
                        .create({'name': f'Shares the number {index}', 'phone': '+91 98765 43210'})
                        .id
                    }
                    if kind == 0
                    else {
                        'lead_id': self.env['crm.lead']
                        .create(
                            {
                                'name': f'Lead of the number {index}',
                                'phone': '98765 43210',
                                'user_id': self.agent_a.id,
                            }
                        )
                        .id
                    }
                    if kind == 1
                    else {'partner_id': self.caller.id, 'phone': '+91 90000 22222'}
                )  # theirs, other number
                self.create_leg(
                    f'panel-grow-{index}',
                    agents[index % 3],
                    state='disposed',
                    notes=f'Grow {index}',
                    disposition_id=outcomes[index % 4].id,
                    **record,
                )

        def panel_queries():
            caller = self.caller.with_user(self.agent_a)
            self.env.invalidate_all()
            # the form's own lookup, which Dispose Call needs anyway
            self.assertTrue(caller.ameyo_open_call_id)
            before = self.env.cr.sql_log_count
            panel = caller.ameyo_call_panel
            return self.env.cr.sql_log_count - before, panel

        earlier_calls(0, 3)
        self.create_leg(
            'panel-grow-live', self.agent_a, partner_id=self.caller.id, queue_id=self.queue.id
        )
        self.panel(self.caller)  # languages loaded
        few, _panel = panel_queries()
        earlier_calls(3, 40)
        self.panel(self.caller)  # the caches the creations cleared, warm again
        many, panel = panel_queries()
        self.assertEqual(many, few)
        self.assertEqual(
            [call['notes'] for call in panel['calls']],
            ['Grow 42', 'Grow 41', 'Grow 40', 'Grow 39', 'Grow 38'],
        )

    def test_panel_falls_back_to_the_campaign_guidance(self):
        self.campaign.guidance = '<p>Campaign script.</p>'
        self.create_leg('panel-no-queue', self.agent_a, partner_id=self.caller.id)
        self.assertEqual(self.panel(self.caller)['guidance'], '<p>Campaign script.</p>')
        self.campaign.guidance = False
        panel = self.panel(self.caller.with_env(self.env))
        # "No guidance for this ..."
        self.assertEqual((panel['guidance'], panel['guidance_of']), ('', 'campaign'))

    def test_no_guidance_says_for_what(self):
        """No guidance is said of what the call has: its queue, else its campaign, else the call
        itself; what the editor leaves of an emptied script (a paragraph and a line break) is no
        guidance."""
        self.queue.guidance = '<p><br></p>'
        leg = self.create_leg(
            'panel-empty-guidance', self.agent_a, partner_id=self.caller.id, queue_id=self.queue.id
        )
        panel = self.panel(self.caller)
        self.assertEqual((panel['guidance'], panel['guidance_of']), ('', 'queue'))
        leg._ameyo_update_state('disposed')
        self.create_leg(
            'panel-no-campaign', self.agent_a, partner_id=self.caller.id, campaign_id=False
        )
        panel = self.panel(self.caller)
        self.assertEqual(
            (panel['guidance'], panel['guidance_of'], panel['queue']), ('', 'call', '')
        )

    def test_panel_on_lead_counts_its_contact_calls(self):
        lead = self.env['crm.lead'].create(
            {
                'name': 'Gold plan',
                'partner_id': self.caller.id,
                'phone': '+91 98765 43210',
                'user_id': self.agent_a.id,
            }
        )
        lead.activity_schedule(
            'mail.mail_activity_data_call', summary='Book a demo', user_id=self.agent_a.id
        )
        self.create_leg(
            'panel-lead',
            self.agent_a,
            lead_id=lead.id,
            partner_id=self.caller.id,
            queue_id=self.queue.id,
        )
        panel = self.panel(lead)
        self.assertEqual(panel['guidance'], '<p>Offer the gold plan first.</p>')
        self.assertEqual(
            [self.row(call) for call in panel['calls']],
            [[self.agent_b.name, 'Meera Iyer', 'Sale', 'Asked for a brochure']],
        )
        self.assertEqual([activity['summary'] for activity in panel['activities']], ['Book a demo'])

    def test_panel_lists_the_calls_of_the_number(self):
        """A repeat caller: the lead the pop opened has no call of its own, but the number called
        before, about a contact that shares it and with no record at all; calls of other numbers are
        not theirs."""
        lead = self.env['crm.lead'].create(
            {'name': 'Gold plan for Meera', 'phone': '98765 43210', 'user_id': self.agent_a.id}
        )
        self.create_leg(
            'panel-number-none',
            self.agent_b,
            state='disposed',
            disposition_id=self.disposition.id,
            disposition_code='Sale',
            notes='Popped before anyone was saved',
        )
        self.create_leg('panel-number-lead', self.agent_a, lead_id=lead.id, queue_id=self.queue.id)
        calls = self.panel(lead)['calls']
        # newest first
        self.assertEqual([self.row(call)[1] for call in calls], ['none', 'Meera Iyer'])
        self.assertEqual(self.row(calls[0])[2:], ['Sale', 'Popped before anyone was saved'])
        self.assertNotIn('Not this caller', json.dumps(calls))

    def test_panel_on_the_record_a_pop_prefills(self):
        leg = self.create_leg('panel-new', self.agent_a, queue_id=self.queue.id, phone='9111122223')
        Partner = self.env['res.partner'].with_context(ameyo_pop_leg_id=leg.id)
        new = Partner.with_user(self.agent_a).new({'name': 'Neha', 'phone': '9111122223'})
        self.assertEqual(new.ameyo_call_panel['guidance'], '<p>Offer the gold plan first.</p>')
        self.assertEqual(new.ameyo_call_panel['calls'], [])  # "First call from this caller."
        # another agent's leg named in the context shows nothing (and reveals nothing)
        self.assertFalse(Partner.with_user(self.agent_b).new({'name': 'Neha'}).ameyo_call_panel)

    def test_panel_is_on_the_forms(self):
        """The panel comes in the form's own read (a field of the form): no request of its own."""
        for model, view in (
            ('res.partner', False),
            ('crm.lead', False),
            ('res.partner', 'crm_ameyo.res_partner_view_form_ameyo_preview'),
            ('crm.lead', 'crm_ameyo.crm_lead_view_form_ameyo_preview'),
        ):
            view_id = self.env.ref(view).id if view else False
            arch = (
                self.env[model]
                .with_user(self.agent_a)
                .get_views([(view_id, 'form')])['views']['form']['arch']
            )
            self.assertIn('name="ameyo_call_panel"', arch, (model, view))

    def test_banner_names_the_contact_saved_from_the_pop(self):
        leg = self.create_leg('panel-banner', self.agent_a, phone='9111122223')
        self.env['res.partner'].with_user(self.agent_a).with_context(
            ameyo_pop_leg_id=leg.id
        ).create({'name': 'Neha Kapoor', 'phone': '9111122223'})
        payload = last_bus_message(self.env, self.agent_a.partner_id)
        self.assertEqual((payload['id'], payload['record']), (leg.id, 'Neha Kapoor'))

    def test_wizard_names_the_caller_and_labels_the_notes(self):
        leg = self.create_leg('panel-wizard', self.agent_a, partner_id=self.caller.id)
        wizard = (
            self.env['ameyo.dispose.wizard'].with_user(self.agent_a).create({'call_id': leg.id})
        )
        self.assertEqual(wizard.caller, 'Meera Iyer')
        arch = self.env['ameyo.dispose.wizard'].get_views([(False, 'form')])['views']['form'][
            'arch'
        ]
        self.assertIn('<label for="notes"', arch)

    def test_outcome_toasts_say_each_thing_once(self):
        for mode, title, next_step in (
            ('dual', 'Outcome saved in Odoo', 'Now dispose the call in Ameyo too'),
            ('forced', 'Outcome saved in Odoo', 'Ameyo disposes the call itself'),
            ('ameyo_only', 'Notes saved', 'Now dispose the call in Ameyo'),
        ):
            with self.subTest(mode=mode):
                self.campaign.dispose_mode = mode
                leg = self.create_leg(
                    f'panel-toast-{mode}', self.agent_a, partner_id=self.caller.id
                )
                action = (
                    self.env['ameyo.dispose.wizard']
                    .with_user(self.agent_a)
                    .create(
                        {'call_id': leg.id, 'disposition_id': self.disposition.id, 'notes': 'n'}
                    )
                    .action_confirm()
                )
                params = action['params']
                self.assertEqual(params['title'], title)
                self.assertIn(next_step, params['message'])
                self.assertNotIn('saved', params['message'].lower())  # the title said it

    def test_calls_in_words(self):
        leg = self.create_leg(
            'panel-words', self.agent_a, partner_id=self.caller.id, call_type='inbound.call.dial'
        )
        self.assertEqual(leg.call_type_label, 'Inbound call')
        # the number and the caller
        self.assertEqual(leg.display_name, '+919876543210 · Meera Iyer')
        self.assertNotIn('panel-words', leg.display_name)  # not Ameyo's call id
        leg.sudo().call_type = 'outbound.callback.dial'
        self.assertEqual(leg.call_type_label, 'Callback')
        leg.sudo().call_type = 'some.new.dial'
        # one Odoo does not know: as Ameyo sent it
        self.assertEqual(leg.call_type_label, 'some.new.dial')

    def test_panel_lists_only_the_calls_the_reader_may_know(self):
        """Not the caller's calls of another company, nor those about a lead of another
        salesperson."""
        elsewhere = self.env['res.company'].create({'name': 'Panel Elsewhere'})
        server_elsewhere = self.env['ameyo.server'].create(
            {
                'name': 'Ameyo Elsewhere',
                'base_url': 'http://127.0.0.1:4/',
                'company_id': elsewhere.id,
            }
        )
        self.create_leg(
            'panel-elsewhere',
            self.agent_b,
            server_id=server_elsewhere.id,
            campaign_id=False,
            partner_id=self.caller.id,
            state='disposed',
            notes='Call of another company',
        )
        hidden_lead = self.env['crm.lead'].create(
            {'name': 'Secret deal', 'partner_id': self.caller.id, 'user_id': self.agent_b.id}
        )
        self.assertFalse(hidden_lead.with_user(self.agent_a).has_access('read'))
        self.create_leg(
            'panel-hidden-lead',
            self.agent_b,
            partner_id=self.caller.id,
            lead_id=hidden_lead.id,
            state='disposed',
            notes='About the secret deal',
        )
        self.create_leg(
            'panel-scoped-live', self.agent_a, partner_id=self.caller.id, queue_id=self.queue.id
        )
        panel = json.dumps(self.panel(self.caller))
        # the agent's company's call about the contact: still listed
        self.assertIn('Asked for a brochure', panel)
        self.assertNotIn('Call of another company', panel)
        # the call about a colleague's lead: a call of this number, said so without naming the lead,
        # nor its outcome and notes
        self.assertNotIn('About the secret deal', panel)
        self.assertNotIn('Secret deal', panel)
        rows = [self.row(call) + [call['about_model']] for call in self.panel(self.caller)['calls']]
        # "a lead of another salesperson"
        self.assertEqual(
            rows,
            [
                [self.agent_b.name, 'hidden', '', '', 'crm.lead'],
                [self.agent_b.name, 'this', 'Sale', 'Asked for a brochure', 'res.partner'],
            ],
        )
        # a supervisor of both companies, reading as both, may know both
        self.supervisor.company_ids |= elsewhere
        self.create_leg('panel-scoped-live-sup', self.supervisor, partner_id=self.caller.id)
        panel = self.panel(
            self.caller.with_context(allowed_company_ids=[self.env.company.id, elsewhere.id]),
            self.supervisor,
        )
        self.assertIn('Call of another company', json.dumps(panel))


@tagged('post_install', '-at_install')
class TestWorkspaceLive(AmeyoHttpCase):
    """The knowledge-base workspace follows the agent's calls through the bus."""

    def test_workspace_says_it_is_live(self):
        self.authenticate('t_agent_a', 't_agent_a')
        response = self.throw('kb')
        self.assertEqual(response.status_code, 200)
        self.assertNotIn('Calls of this session pop up here', response.text)
        self.assertIn('This page follows your calls', response.text)
        lists = html.fromstring(response.text).xpath("//div[hasclass('o_ameyo_workspace_lists')]")
        self.assertEqual(lists[0].get('data-server-id'), str(self.server.id))
        # the page's script is in the frontend bundle it loads
        bundle = self.env['ir.qweb']._get_asset_bundle('web.assets_frontend')
        self.assertTrue(
            any(f['url'].endswith('crm_ameyo/static/src/public/workspace.js') for f in bundle.files)
        )

    def test_lists_route(self):
        mine = self.create_leg('ws-mine', self.agent_a, 'ws-mine-leg', phone='+91 90000 00021')
        other = self.create_leg('ws-other', self.agent_b, 'ws-other-leg', phone='+91 90000 00022')
        self.authenticate('t_agent_a', 't_agent_a')
        response = self._get('/ameyo/workspace/lists', {'server_id': self.server.id})
        self.assertEqual(response.status_code, 200)
        self.assertIn(mine.phone, response.text)
        self.assertIn('o_ameyo_in_progress', response.text)
        self.assertNotIn(other.phone, response.text)
        for server_id in ('nope', '999999'):
            self.assertEqual(
                self._get('/ameyo/workspace/lists', {'server_id': server_id}).status_code, 404
            )
        new_test_user(self.env, login='t_not_agent', groups='base.group_user')
        self.authenticate('t_not_agent', 't_not_agent')  # not an agent
        self.assertEqual(
            self._get('/ameyo/workspace/lists', {'server_id': self.server.id}).status_code, 403
        )

    def test_dispose_url_tells_the_workspace(self):
        self.authenticate('t_agent_a', 't_agent_a')
        crt = self.new_crt()
        leg = self.assertPops(self.throw(crt=crt))
        self.assertTrue(last_bus_message(self.env, self.agent_a.partner_id)['live'])
        self.assertEqual(self.throw('dispose', crt=crt, dispositionCode='Sale').status_code, 200)
        payload = last_bus_message(self.env, self.agent_a.partner_id)
        self.assertEqual((payload['id'], payload['live']), (leg.id, False))


@tagged('post_install', '-at_install')
class TestFloorHttp(AmeyoHttpCase):
    """What the agent meets through Odoo's HTTP stack, as the web client asks it: the panel of a
    repeat caller, and the outcome of a call whose caller they typed as a new contact ("None of
    these")."""

    pop_phone = '9000000931'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_numbers((cls.pop_phone,))
        # saved in Odoo, no request to Ameyo: what Odoo notes is the subject
        cls.campaign.dispose_mode = 'dual'
        cls.callback = cls.env['ameyo.disposition'].create(
            {
                'campaign_id': cls.campaign.id,
                'code': 'Callback',
                'name': 'Call back',
                'is_callback': True,
            }
        )

    def setUp(self):
        super().setUp()
        self.cookies = self._login_cookies('t_agent_a')  # the test's browser too (throw, url_open)

    def call_kw(self, model, method, args, **kwargs):
        answer = self._call_kw(model, method, args, self.cookies, kwargs=kwargs)
        self.assertNotIn('error', answer, answer)
        self.env.invalidate_all()
        return answer['result']

    def none_of_these(self):
        """Two contacts share the number: the pop's chooser, then "None of these"; return the
        leg."""
        self.env['res.partner'].create(
            [
                {'name': 'Asha Rao', 'phone': '+91 90000 00931'},
                {'name': 'Asha R.', 'phone': '9000000931'},
            ]
        )
        crt = self.new_crt()
        chooser = self.throw(crt=crt)
        self.assertIn('None of these', chooser.text)
        [leg] = self.legs_of(crt)
        response = self.url_open(
            '/ameyo/pick',
            data={
                'csrf_token': re.search(r'name="csrf_token" value="([^"]+)"', chooser.text).group(
                    1
                ),
                'leg_id': leg.id,
                'res_model': 'res.partner',
                'res_id': '',
            },
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303, response.text[:500])
        self.env.invalidate_all()
        self.assertFalse(leg.partner_id)
        return leg

    def save_new_contact(self, leg, name):
        """The pop's prefilled form of a new contact, saved with the caller's name, as the form's
        save does."""
        pop = self.call_kw('ameyo.call', 'action_open_pop', [[leg.id]])
        self.assertEqual((pop['res_model'], pop['res_id']), ('res.partner', False))
        context = pop['context']
        [saved] = self.call_kw(
            'res.partner',
            'web_save',
            [[], {'name': name, 'phone': context['default_phone']}],
            context=context,
            specification={'display_name': {}},
        )
        return self.env['res.partner'].browse(saved['id'])

    def dispose(self, leg, disposition, notes, **values):
        """The banner's Dispose: the wizard (what it shows), then Confirm. Return the wizard's
        caller line."""
        action = self.call_kw('ameyo.call', 'action_dispose', [[leg.id]])
        [wizard] = self.call_kw(
            'ameyo.dispose.wizard',
            'web_save',
            [
                [],
                {
                    'call_id': action['context']['default_call_id'],
                    'disposition_id': disposition.id,
                    'notes': notes,
                    **values,
                },
            ],
            specification={'caller': {}},
        )
        self.call_kw('ameyo.dispose.wizard', 'action_confirm', [[wizard['id']]])
        return wizard['caller']

    def test_outcome_on_the_new_contacts_chatter(self):
        leg = self.none_of_these()
        contact = self.save_new_contact(leg, 'Asha Newcaller')
        self.assertEqual(leg.partner_id, contact)
        caller = self.dispose(leg, self.disposition, 'Wants the gold plan')
        self.assertEqual(caller, 'Asha Newcaller')  # the wizard names her
        self.assertEqual(leg.state, 'disposed')
        note = contact.message_ids.filtered(
            lambda message: 'Wants the gold plan' in str(message.body)
        )
        self.assertEqual(len(note), 1, contact.message_ids.mapped('body'))
        self.assertIn('disposed: Sale', str(note.body))
        self.assertEqual(note.author_id, self.agent_a.partner_id)

    def test_outcome_saved_before_the_contact_reaches_her_chatter(self):
        """Confirmed before her form was saved (a dispose the form could not save first): the wizard
        says no record is linked, and once she is saved her chatter gets the outcome and her
        callback."""
        leg = self.none_of_these()
        callback_at = fields.Datetime.now().replace(microsecond=0) + timedelta(days=1)
        caller = self.dispose(
            leg,
            self.callback,
            'Call back after lunch',
            callback_at=fields.Datetime.to_string(callback_at),
        )
        self.assertEqual(caller, 'No contact or lead')
        # no record yet: planned on the call
        self.assertEqual(leg.callback_activity_id.res_model, 'ameyo.call')
        contact = self.save_new_contact(leg, 'Asha Latecomer')
        self.assertEqual(leg.partner_id, contact)
        note = contact.message_ids.filtered(
            lambda message: 'Call back after lunch' in str(message.body)
        )
        self.assertEqual(len(note), 1, contact.message_ids.mapped('body'))
        self.assertIn('disposed: Call back', str(note.body))
        # the call's callback, now hers
        self.assertEqual(contact.activity_ids, leg.callback_activity_id)
        self.assertEqual(contact.activity_ids.user_id, self.agent_a)
        self.assertEqual(contact.message_follower_ids.partner_id, self.agent_a.partner_id)
        self.assertFalse(
            self.env['mail.activity'].search(
                [('res_model', '=', 'ameyo.call'), ('res_id', '=', leg.id)]
            )
        )

    def test_repeat_caller_in_the_panel_of_the_popped_lead(self):
        """The number called ten minutes ago about a contact (disposed "Sale"); now a lead is popped
        for it: its panel, read as the form reads it, lists that call with the contact it was
        about."""
        meera = self.env['res.partner'].create({'name': 'Meera Iyer', 'phone': '+91 90000 00931'})
        first = self.new_crt()
        self.assertEqual(self.assertPops(self.throw(crt=first)).partner_id, meera)
        self.assertEqual(self.throw('dispose', crt=first, dispositionCode='Sale').status_code, 200)
        lead_campaign = self.env['ameyo.campaign'].create(
            {
                'server_id': self.server.id,
                'ameyo_campaign_id': '304',
                'name': 'Floor Lead Campaign',
                'pop_target': 'lead',
            }
        )
        lead = self.env['crm.lead'].create(
            {'name': 'Solar roof', 'phone': '9000000931', 'user_id': self.agent_a.id}
        )
        leg = self.assertPops(self.throw(campaignId=lead_campaign.ameyo_campaign_id))
        self.assertEqual(leg.lead_id, lead)
        [read] = self.call_kw(
            'crm.lead', 'web_read', [[lead.id]], specification={'ameyo_call_panel': {}}
        )
        self.assertEqual(
            [
                [call['agent'], call['about_name'], call['outcome']]
                for call in read['ameyo_call_panel']['calls']
            ],
            [[self.agent_a.name, 'Meera Iyer', 'Sale']],
        )

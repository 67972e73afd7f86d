"""The pop's rules through Odoo's HTTP stack: the caller found whoever owns them, no number, the
chooser's way out and "wrong caller", a new call ending the agent's previous leg, what a dispose URL
keeps and notes, the queue's own pop settings, and the direct redirect of a pop to an existing
record's form."""

import re
from urllib.parse import urlsplit

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import AGENT_GROUPS, POP_PATH_PREFIX, POP_PATH_SUFFIX, AmeyoHttpCase, create_call_leg

# Every lookup key these tests use: demo records holding one of them are cleared first.
KEYS = ('9988776655', '9000000911', '9000000912', '9000000913')


@tagged('post_install', '-at_install')
class TestPopRules(AmeyoHttpCase):
    pop_phone = '9988776655'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.own_numbers(KEYS)
        cls.lead_campaign = env['ameyo.campaign'].create(
            {
                'server_id': cls.server.id,
                'ameyo_campaign_id': '303',
                'name': 'Rules Lead Campaign',
                'pop_target': 'lead',
            }
        )
        # an "own documents only" salesperson besides being an agent (AGENT_GROUPS): agent_a,
        # agent_b
        cls.owner = new_test_user(
            env, login='t_rules_owner', groups='sales_team.group_sale_salesman'
        )

    def setUp(self):
        super().setUp()
        self.authenticate('t_agent_a', 't_agent_a')

    def csrf(self, response):
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)

    def pick(self, response, leg, record=None, model='res.partner'):
        """POST the chooser's form of ``record`` (None: "None of these") as the test's browser."""
        response = self.url_open(
            '/ameyo/pick',
            data={
                'csrf_token': self.csrf(response),
                'leg_id': leg.id,
                'res_model': record._name if record else model,
                'res_id': record.id if record else '',
            },
            allow_redirects=False,
        )
        self.env.invalidate_all()
        return response

    @staticmethod
    def location(response):
        return urlsplit(response.headers['Location']).path

    def assertPopAction(self, response, leg):
        """The pop went through the pop action of ``leg`` (a new record, a view only the action
        forces)."""
        self.assertEqual(response.status_code, 303, response.text[:1000])
        self.assertEqual(self.location(response), f'{POP_PATH_PREFIX}{leg.id}{POP_PATH_SUFFIX}')

    # ------------------------------------------------------------------
    # Found whoever owns it
    # ------------------------------------------------------------------

    def test_own_documents_agent_finds_the_lead_of_another_salesperson(self):
        """Meera's lead belongs to another salesperson: found (no "Call from" duplicate), and the
        agent works on it during their live leg only."""
        lead = self.env['crm.lead'].create(
            {
                'name': 'Meera Kulkarni',
                'phone': '+91 99887 76655',
                'user_id': self.owner.id,
                'type': 'opportunity',
            }
        )
        as_agent = lead.with_user(self.agent_a)
        self.assertFalse(
            as_agent.has_access('read'), "the test needs an 'own documents only' agent"
        )
        leads = self.env['crm.lead'].with_context(active_test=False).search_count([])
        crt = self.new_crt()
        leg = self.assertPops(self.throw(crt=crt, campaignId='303'))
        self.assertEqual(leg.crt_object_id, crt)
        self.assertEqual(leg.lead_id, lead)
        self.assertEqual(
            self.env['crm.lead'].with_context(active_test=False).search_count([]), leads
        )
        # during the call: they read and edit it, in the web client as in the ORM
        cookies = self._login_cookies('t_agent_a')
        answer = self._call_kw(
            'crm.lead',
            'web_save',
            [[lead.id], {'description': 'Wants a demo'}],
            cookies,
            kwargs={'specification': {'name': {}}},
        )
        self.assertEqual(answer.get('result'), [{'id': lead.id, 'name': 'Meera Kulkarni'}], answer)
        self.assertTrue(as_agent.has_access('read') and as_agent.has_access('write'))
        self.assertFalse(
            self.env['crm.lead'].with_user(self.agent_b).browse(lead.id).has_access('read')
        )
        # a record rule for this call, not for others of the owner
        other = self.env['crm.lead'].create({'name': 'Other Lead', 'user_id': self.owner.id})
        self.assertFalse(other.with_user(self.agent_a).has_access('read'))
        # the call is over (Ameyo disposed it): the lead is the owner's again
        response = self.throw('dispose', crt=crt, campaignId='303', dispositionCode='Sale')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(leg.state, 'disposed')
        self.env.invalidate_all()
        self.assertFalse(as_agent.has_access('read'))
        answer = self._call_kw(
            'crm.lead', 'web_read', [[lead.id]], cookies, kwargs={'specification': {'name': {}}}
        )
        self.assertEqual(answer['error']['data']['name'], 'odoo.exceptions.AccessError', answer)

    def test_agent_disposes_in_odoo_the_call_about_a_colleagues_lead(self):
        """The outcome is noted on the lead although the dispose ends the agent's access to it."""
        self.lead_campaign.dispose_mode = 'dual'
        disposition = self.env['ameyo.disposition'].create(
            {'campaign_id': self.lead_campaign.id, 'code': 'Sale', 'name': 'Sold'}
        )
        lead = self.env['crm.lead'].create(
            {'name': 'Meera Kulkarni', 'phone': '9988776655', 'user_id': self.owner.id}
        )
        leg = self.assertPops(self.throw(campaignId='303'))
        wizard = (
            self.env['ameyo.dispose.wizard']
            .with_user(self.agent_a)
            .create(
                {
                    'call_id': leg.id,
                    'disposition_id': disposition.id,
                    'notes': 'Wants the gold plan',
                }
            )
        )
        result = wizard.action_confirm()
        self.assertEqual(leg.state, 'disposed')
        # the lead's form would not reload for them: the notification leads on to their call
        self.assertEqual(
            result['params']['next'],
            {
                'type': 'ir.actions.act_window',
                'res_model': 'ameyo.call',
                'res_id': leg.id,
                'views': [(False, 'form')],
                'target': 'main',
            },
        )
        note = lead.message_ids.filtered(
            lambda message: 'Wants the gold plan' in (message.body or '')
        )
        self.assertEqual(note.author_id, self.agent_a.partner_id)
        self.assertFalse(lead.with_user(self.agent_a).has_access('read'))

    def test_chooser_names_records_of_others_with_their_owner(self):
        """Records of others are named; their owners only to an agent who may read them (an "own
        documents only" agent gets a name and a hint: tests/test_call_links_access.py)."""
        self.agent_a.group_ids += self.env.ref('sales_team.group_sale_salesman_all_leads')
        self.env['crm.lead'].create(
            [
                {'name': 'Meera Kulkarni', 'phone': '9988776655', 'user_id': self.owner.id},
                {
                    'name': 'Meera K. (duplicate)',
                    'phone': '+91 99887 76655',
                    'user_id': self.agent_b.id,
                },
            ]
        )
        crt = self.new_crt()
        response = self.throw(crt=crt, campaignId='303')
        self.assertEqual(response.status_code, 200, response.text[:1000])
        for text in (
            'Meera Kulkarni',
            'Meera K. (duplicate)',
            f'Owner: {self.owner.name}',
            f'Owner: {self.agent_b.name}',
            'None of these: new lead',
        ):
            self.assertIn(text, response.text)
        self.assertNotIn('Traceback', response.text)

    # ------------------------------------------------------------------
    # No number
    # ------------------------------------------------------------------

    def test_no_number_creates_nothing_and_keeps_the_leg(self):
        self.campaign.create_on_no_match = True
        self.lead_campaign.create_on_no_match = True
        for campaign in ('101', '303'):
            with self.subTest(campaign=campaign):
                counts = [
                    self.env[model].with_context(active_test=False).search_count([])
                    for model in ('res.partner', 'crm.lead')
                ]
                crt = self.new_crt()
                response = self.throw(crt=crt, phone=None, campaignId=campaign)
                self.assertEqual(response.status_code, 200, response.text[:1000])
                self.assertIn('Ameyo sent no phone number', response.text)
                self.assertEqual(
                    [
                        self.env[model].with_context(active_test=False).search_count([])
                        for model in ('res.partner', 'crm.lead')
                    ],
                    counts,
                )
                leg = self.legs_of(crt)
                self.assertRecordValues(
                    leg,
                    [
                        {
                            'state': 'connected',
                            'phone': False,
                            'partner_id': False,
                            'lead_id': False,
                            'user_id': self.agent_a.id,
                        }
                    ],
                )
                self.assertIn(f'/odoo/ameyo-calls/{leg.id}', response.text)
                self.assertEqual(
                    self.env['ameyo.call'].with_user(self.agent_a).get_current_call()['id'], leg.id
                )

    # ------------------------------------------------------------------
    # The chooser: none of these, wrong caller, who remembered what
    # ------------------------------------------------------------------

    def test_none_of_these_and_wrong_caller_replace_the_remembered_pick(self):
        Partner, Pick = self.env['res.partner'], self.env['ameyo.phone.pick']
        first, second = Partner.create(
            [
                {'name': 'Shared One', 'phone': '9000000911'},
                {'name': 'Shared Two', 'phone': '+91 90000 00911'},
            ]
        )
        crt = self.new_crt()
        chooser = self.throw(crt=crt, phone='9000000911')
        leg = self.legs_of(crt)
        self.assertIn('None of these: new contact', chooser.text)
        self.assertNotIn('Remembered for this number', chooser.text)
        # none of these: a new contact, prefilled, nothing remembered
        self.assertPopAction(self.pick(chooser, leg), leg)
        self.assertFalse(leg.partner_id)
        self.assertFalse(Pick.search([('phone_key', '=', '9000000911')]))
        action = leg.with_user(self.agent_a).action_open_pop()
        self.assertEqual(
            (action['res_model'], action['res_id'], action['context']['default_phone']),
            ('res.partner', False, '+91 90000 00911'),
        )

        # wrong caller, from the banner: the chooser again; the pick is remembered
        cookies = self._login_cookies('t_agent_a')
        answer = self._call_kw('ameyo.call', 'action_ameyo_wrong_caller', [[leg.id]], cookies)[
            'result'
        ]
        self.assertEqual(
            (answer['type'], answer['url']), ('ir.actions.act_url', f'/ameyo/choose/{leg.id}')
        )
        chooser = self._get(answer['url'])
        self.assertIn('Shared Two', chooser.text)
        response = self.pick(chooser, leg, second)
        self.assertEqual(self.location(response), f'/odoo/contacts/{second.id}')
        self.assertEqual(leg.partner_id, second)
        pick = Pick.search([('phone_key', '=', '9000000911')])
        self.assertEqual((pick.res_id, pick.user_id), (second.id, self.agent_a))

        # agent B's call from that number opens the pick; they say "wrong caller": the chooser names
        # who remembered it and when, and their choice replaces it
        self.authenticate('t_agent_b', 't_agent_b')
        leg_b = self.assertPops(self.throw(agent=self.agent_b, phone='+91-90000-00911'))
        self.assertEqual(leg_b.partner_id, second)
        chooser = self._get(leg_b.with_user(self.agent_b).action_ameyo_wrong_caller()['url'])
        self.assertIn(
            f'Remembered for this number by <strong>{self.agent_a.name}</strong>', chooser.text
        )
        self.assertIn('o_ameyo_chooser_remembered', chooser.text)
        self.pick(chooser, leg_b, first)
        self.assertEqual(leg_b.partner_id, first)
        pick = Pick.search([('phone_key', '=', '9000000911')])
        self.assertEqual((len(pick), pick.res_id, pick.user_id), (1, first.id, self.agent_b))
        # "none of these" forgets it: the next call asks again
        chooser = self._get(f'/ameyo/choose/{leg_b.id}')
        self.pick(chooser, leg_b)
        self.assertFalse(Pick.search([('phone_key', '=', '9000000911')]))
        self.assertEqual(self.throw(agent=self.agent_b, phone='9000000911').status_code, 200)

    def test_wrong_caller_only_on_his_live_call(self):
        leg = self.assertPops(self.throw(phone='9000000912'))
        # another agent's call, or a call that is over: refused, nothing changed
        self.authenticate('t_agent_b', 't_agent_b')
        self.assertEqual(self._get(f'/ameyo/choose/{leg.id}').status_code, 403)
        self.authenticate('t_agent_a', 't_agent_a')
        self.assertEqual(self._get(f'/ameyo/choose/{leg.id}').status_code, 200)
        leg._ameyo_update_state('disposed')
        self.assertEqual(self._get(f'/ameyo/choose/{leg.id}').status_code, 403)
        with self.assertRaises(UserError):
            leg.with_user(self.agent_a).action_ameyo_wrong_caller()

    # ------------------------------------------------------------------
    # Calls that end
    # ------------------------------------------------------------------

    def test_a_new_call_ends_the_previous_live_leg(self):
        Call = self.env['ameyo.call']
        first = self.assertPops(self.throw(phone='9000000912'))
        other_agent = self.create_leg(self.new_crt(), self.agent_b, state='connected')
        second = self.assertPops(self.throw(phone='9000000913'))
        self.assertRecordValues(
            first + second + other_agent,
            [
                # CRM-only: a supervisor looks
                {'state': 'ended', 'phase': 'closed', 'ended_undisposed': True},
                {'state': 'connected', 'phase': 'live', 'ended_undisposed': False},
                {'state': 'connected', 'phase': 'live', 'ended_undisposed': False},
            ],
        )
        self.assertEqual(
            Call.search([('ended_undisposed', '=', True), ('id', 'in', (first + second).ids)]),
            first,
        )
        self.assertEqual(Call.with_user(self.agent_a).get_current_call()['id'], second.id)
        workspace = self.throw('kb')
        # in progress and recent
        self.assertEqual(workspace.text.count(f'/odoo/ameyo-calls/{second.id}"'), 2)
        self.assertEqual(workspace.text.count(f'/odoo/ameyo-calls/{first.id}"'), 1)  # recent only
        # Ameyo's dispose URL still records its disposition
        self.throw('dispose', crt=first.crt_object_id, dispositionCode='Sale')
        self.assertRecordValues(first, [{'state': 'disposed', 'ended_undisposed': False}])
        # Ameyo-only and forced campaigns: a call without Odoo's disposition is normal, not flagged
        for mode, flagged in (('ameyo_only', False), ('forced', False), ('dual', True)):
            with self.subTest(mode=mode):
                self.campaign.dispose_mode = mode
                leg = self.assertPops(self.throw(phone='9000000912'))
                self.assertPops(self.throw(phone='9000000913'))
                self.assertRecordValues(leg, [{'state': 'ended', 'ended_undisposed': flagged}])

    def test_a_dial_attempt_is_adopted_not_ended(self):
        partner = self.env['res.partner'].create({'name': 'Dialed Caller', 'phone': '9000000913'})
        live = self.assertPops(self.throw(phone='9000000912'))
        attempt = create_call_leg(
            self.env,
            {
                'server_id': self.server.id,
                'campaign_id': self.campaign.id,
                'user_id': self.agent_a.id,
                'phone': '9000000913',
                'direction': 'outbound',
                'state': 'dialing',
                'call_type': 'click.to.call.dial',
                'dial_requested_at': fields.Datetime.now(),
                'partner_id': partner.id,
            },
        )
        crt = self.new_crt()
        leg = self.assertPops(
            self.throw(crt=crt, phone='9000000913', callType='outbound.manual.dial')
        )
        self.assertEqual(leg, attempt)
        self.assertRecordValues(
            attempt + live,
            [
                {'state': 'connected', 'crt_object_id': crt, 'partner_id': partner.id},
                {'state': 'ended', 'crt_object_id': live.crt_object_id, 'partner_id': False},
            ],
        )

    # ------------------------------------------------------------------
    # Dispose URL
    # ------------------------------------------------------------------

    def test_dispose_url_keeps_what_it_does_not_carry_and_notes_the_record(self):
        partner = self.env['res.partner'].create({'name': 'Noted Caller', 'phone': '9000000912'})
        crt = self.new_crt()
        leg = self.assertPops(
            self.throw(crt=crt, phone='9000000912', queueId='7', queueName='Test Queue')
        )
        self.assertEqual(leg.queue_id, self.queue)
        # Ameyo's dispose URL carries no queue (and here no campaign): the leg keeps both
        response = self.throw(
            'dispose', crt=crt, phone='9000000912', campaignId=None, dispositionCode='Sale'
        )
        self.assertEqual(response.status_code, 200, response.text[:1000])
        self.assertRecordValues(
            leg,
            [
                {
                    'state': 'disposed',
                    'queue_id': self.queue.id,
                    'campaign_id': self.campaign.id,
                    'ameyo_queue_ref': '7 / Test Queue',
                    'ameyo_campaign_ref': '101',
                    'disposition_id': self.disposition.id,
                }
            ],
        )
        note = partner.message_ids.filtered(
            lambda message: 'disposed in Ameyo' in (message.body or '')
        )
        self.assertEqual(len(note), 1, partner.message_ids.mapped('body'))
        self.assertIn('Sale', note.body)
        self.assertEqual(note.subtype_id, self.env.ref('mail.mt_note'))

    # ------------------------------------------------------------------
    # Queue-aware pop, and where it lands
    # ------------------------------------------------------------------

    def test_queue_settings_fall_back_to_the_campaign(self):
        Lead, Partner = self.env['crm.lead'], self.env['res.partner']
        form = self.env.ref('crm.crm_lead_view_form')
        action = self.env['ir.actions.act_window'].create(
            {
                'name': 'Inbound leads',
                'res_model': 'crm.lead',
                'view_mode': 'list,form',
                'context': "{'default_priority': '2', 'search_default_my': 1, 'default_user_id': "
                "uid}",
            }
        )
        self.env['ir.actions.act_window.view'].create(
            {'act_window_id': action.id, 'view_mode': 'form', 'view_id': form.id, 'sequence': 2}
        )
        self.queue.write(
            {
                'pop_target': 'lead',
                'create_on_no_match': 'create',
                'action_id': action.id,
                'view_id': False,
            }
        )
        # a contact campaign whose queue opens leads, and creates them
        leg = self.assertPops(self.throw(phone='9000000912', queueId='7'))
        self.assertTrue(leg.lead_id)
        self.assertEqual(Lead.search([('ameyo_phone_key', '=', '9000000912')]), leg.lead_id)
        self.assertFalse(Partner.search([('ameyo_phone_key', '=', '9000000912')]))
        pop = leg.with_user(self.agent_a).action_open_pop()
        self.assertEqual(
            (pop['id'], pop['res_model'], pop['res_id']), (action.id, 'crm.lead', leg.lead_id.id)
        )
        # the queue's action is not overwritten: its context (list filters aside) and its form view
        self.assertEqual(pop['views'], [(form.id, 'form')])
        self.assertEqual(
            (pop['context']['default_priority'], pop['context']['default_user_id']),
            ('2', self.agent_a.id),
        )
        self.assertNotIn('search_default_my', pop['context'])
        self.assertEqual(pop['context']['ameyo_pop_leg_id'], leg.id)
        # an existing record: straight to its form under the queue's action
        response = self.throw(phone='9000000912', queueId='7')
        self.assertEqual(self.location(response), f'/odoo/action-{action.id}/{leg.lead_id.id}')
        # the queue says "prefilled form" where the campaign says "create"
        self.campaign.create_on_no_match = True
        self.queue.create_on_no_match = 'form'
        leg = self.assertPops(self.throw(phone='9000000913', queueId='7'))
        self.assertFalse(leg.lead_id)
        self.assertFalse(Lead.search([('ameyo_phone_key', '=', '9000000913')]))
        # no queue: the campaign's target (contacts), its creation, and the Contacts app
        leg = self.assertPops(self.throw(phone='9000000913'))
        self.assertTrue(leg.partner_id)
        pop = leg.with_user(self.agent_a).action_open_pop()
        self.assertEqual(pop['id'], self.env.ref('contacts.action_contacts').id)
        self.assertNotIn('default_is_company', pop['context'])

    def test_an_existing_record_opens_straight_under_its_app(self):
        partner = self.env['res.partner'].create({'name': 'Direct Caller', 'phone': '9000000912'})
        lead = self.env['crm.lead'].create(
            {'name': 'Direct Lead', 'phone': '9000000913', 'user_id': self.agent_a.id}
        )
        response = self.throw(phone='9000000912')
        self.assertEqual(self.location(response), f'/odoo/contacts/{partner.id}')
        leg = self.assertPops(response)
        # the banner finds the leg without the URL naming it
        self.assertEqual(
            self.env['ameyo.call'].with_user(self.agent_a).get_current_call()['id'], leg.id
        )
        response = self.throw(phone='9000000913', campaignId='303')
        if self.agent_a.has_group('crm.group_use_lead'):
            expected = f"/odoo/action-{self.env.ref('crm.crm_lead_all_leads').id}/{lead.id}"
        else:
            expected = f'/odoo/crm/{lead.id}'
        self.assertEqual(self.location(response), expected)
        # a new record, a preview read-only, a queue's own view: the pop action forces them
        crt = self.new_crt()
        self.assertPopAction(self.throw(crt=crt, phone='9000000911'), self.legs_of(crt))
        crt = self.new_crt()
        self.assertPopAction(self.throw('preview', crt=crt, phone='9000000912'), self.legs_of(crt))
        self.queue.view_id = self.env.ref('base.view_partner_simple_form')
        crt = self.new_crt()
        self.assertPopAction(
            self.throw(crt=crt, phone='9000000912', queueId='7'), self.legs_of(crt)
        )


@tagged('post_install', '-at_install')
class TestPopRulesAccess(AmeyoHttpCase):
    """The record rule of the live call reads as one indexed subquery."""

    def test_live_call_rule(self):
        agent = new_test_user(
            self.env, login='t_rule_agent', groups=AGENT_GROUPS, ameyo_user_id='t.rule@acme'
        )
        lead = self.env['crm.lead'].create({'name': 'Someone Else\'s', 'user_id': self.agent_b.id})
        leg = self.create_leg(self.new_crt(), agent, lead_id=lead.id, state='preview')
        # the leg's lead_id alone opens nothing: the rule reads the pop's own link
        self.assertFalse(lead.with_user(agent).has_access('read'))
        leg.pop_lead_id = lead
        self.env.invalidate_all()
        self.assertTrue(lead.with_user(agent).has_access('write'))
        self.assertEqual(lead.ameyo_live_agent_ids, agent)
        leg._ameyo_update_state('ended')
        self.env.invalidate_all()
        self.assertFalse(lead.with_user(agent).has_access('read'))
        self.assertFalse(lead.ameyo_live_agent_ids)

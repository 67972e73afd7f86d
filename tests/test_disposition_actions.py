"""Dispositions that act on the CRM: the caller's lead moved, won, lost, converted, tagged or
created, with the rights of whoever disposes (an agent with "own documents" rights, a sales
manager), never blocking the dispose; Ameyo's dispose URL; a second save; the caller's lost lead on
the pop; the UTM fields of leads made by calls."""

from odoo.tests import new_test_user, tagged

from .common import AGENT_GROUPS, AmeyoHttpCase
from .test_dispose import DisposeCase

LEAD_PHONE = '+91 97400 11223'  # DisposeCase's pop number (9740011223)


class DispositionActionCase(DisposeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.sales_manager = new_test_user(
            env,
            login='t_agent_m',
            ameyo_user_id='t.agent-m@acme',
            groups=f'{AGENT_GROUPS},sales_team.group_sale_manager',
        )
        cls.team = env['crm.team'].create({'name': 'Call Team'})
        cls.stage_new = env['crm.stage'].create(
            {'name': 'Call New', 'sequence': 1, 'team_ids': [cls.team.id]}
        )
        cls.stage_qualified = env['crm.stage'].create(
            {'name': 'Call Qualified', 'sequence': 2, 'team_ids': [cls.team.id]}
        )
        cls.lost_reason = env['crm.lost.reason'].create({'name': 'Not interested on the phone'})
        cls.tag = env['crm.tag'].create({'name': 'Called'})

    def setUp(self):
        super().setUp()
        self.campaign.write({'pop_target': 'lead', 'team_id': self.team.id})
        self.sim.add_agent('t.agent-m@acme', password='pw-m', campaigns=('101',))
        Disposition = self.env['ameyo.disposition']
        self.dispositions = {
            'Moved': Disposition.create(
                {
                    'campaign_id': self.campaign.id,
                    'code': 'Moved',
                    'name': 'Qualified',
                    'crm_action': 'stage',
                    'crm_stage_id': self.stage_qualified.id,
                }
            ),
            'Won': Disposition.create(
                {
                    'campaign_id': self.campaign.id,
                    'code': 'Won',
                    'name': 'Sold',
                    'crm_action': 'won',
                }
            ),
            'Lost': Disposition.create(
                {
                    'campaign_id': self.campaign.id,
                    'code': 'Lost',
                    'name': 'No thanks',
                    'crm_action': 'lost',
                    'crm_lost_reason_id': self.lost_reason.id,
                }
            ),
            'Convert': Disposition.create(
                {
                    'campaign_id': self.campaign.id,
                    'code': 'Convert',
                    'name': 'Interested',
                    'crm_action': 'convert',
                }
            ),
            'Tag': Disposition.create(
                {
                    'campaign_id': self.campaign.id,
                    'code': 'Tag',
                    'name': 'Tagged',
                    'crm_action': 'tag',
                    'crm_tag_id': self.tag.id,
                }
            ),
        }
        self.sim.add_campaign(
            '101', 'Test Campaign', dispositions=('Sale', 'Callback', *self.dispositions)
        )

    def colleague_lead(self, lead_type='lead', **values):
        """A lead of agent_b with the caller's number: agent_a ("own documents") may not open it."""
        return self.env['crm.lead'].create(
            {
                'name': 'Meera gold plan',
                'phone': LEAD_PHONE,
                'type': lead_type,
                'user_id': self.agent_b.id,
                'team_id': self.team.id,
                'stage_id': self.stage_new.id,
                **values,
            }
        )

    def wizard(self, leg, code):
        return (
            self.env['ameyo.dispose.wizard']
            .with_user(leg.env.user)
            .create(
                {
                    'call_id': leg.id,
                    'disposition_id': self.campaign.disposition_ids.filtered(
                        lambda d: d.code == code
                    ).id,
                }
            )
        )

    def assertToldAmeyo(self, call, leg, code):
        """The dispose reached the simulator (the CRM action never blocks it)."""
        self.send(leg)
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual([entry['code'] for entry in self.sim.dispositions_of(call)], [code])


@tagged('post_install', '-at_install')
class TestDispositionActions(DispositionActionCase):
    def test_each_action_on_a_lead_and_an_opportunity_as_an_own_documents_agent_during_the_call(
        self,
    ):
        expected = {
            'Moved': {'stage_id': 'stage_qualified', 'active': True},
            'Won': {'type': 'opportunity', 'won_status': 'won', 'active': True},
            'Lost': {'won_status': 'lost', 'active': False, 'lost_reason_id': 'lost_reason'},
            'Convert': {'type': 'opportunity', 'active': True},
            'Tag': {'tag_ids': 'tag', 'active': True},
        }
        for code, values in expected.items():
            for lead_type in ('lead', 'opportunity'):
                with self.subTest(code=code, lead_type=lead_type):
                    self.sim.reset()
                    self.sim.add_campaign(
                        '101', 'Test Campaign', dispositions=tuple(self.dispositions)
                    )
                    self.sim.add_agent('t.agent-a@acme', password='pw-a', campaigns=('101',))
                    self.env['crm.lead'].with_context(active_test=False).search(
                        [('ameyo_phone_key', '=', '9740011223')]
                    ).write({'phone': False})
                    lead = self.colleague_lead(lead_type)
                    self.assertFalse(lead.with_user(self.agent_a).has_access('read'))
                    call, leg = self.pop()
                    self.assertEqual(leg.lead_id, lead)
                    wizard = self.wizard(leg, code)
                    self.assertTrue(wizard.crm_action_info, wizard.crm_action_warning)
                    self.assertFalse(wizard.crm_action_warning)
                    wizard.action_confirm()
                    lead.invalidate_recordset()
                    for field_name, value in values.items():
                        value = (
                            getattr(self, value)
                            if field_name in ('stage_id', 'lost_reason_id', 'tag_ids')
                            else value
                        )
                        self.assertEqual(lead[field_name], value, field_name)
                    self.assertEqual(
                        leg.sudo().crm_action_applied,
                        code.lower()
                        if code not in ('Moved', 'Tag')
                        else {'Moved': 'stage', 'Tag': 'tag'}[code],
                    )
                    self.assertFalse(leg.sudo().crm_action_error)
                    # a lead with no UTM of its own gets the call's
                    self.assertEqual(
                        (lead.source_id, lead.medium_id),
                        (self.server.utm_source_id, self.env.ref('utm.utm_medium_phone')),
                    )
                    note = lead.message_ids.filtered(
                        lambda message: 'Disposition' in str(message.body)
                    )[:1]
                    # its call
                    self.assertIn(
                        f'data-oe-model="ameyo.call" data-oe-id="{leg.id}"', str(note.body)
                    )
                    self.assertToldAmeyo(call, leg, code)

    def test_a_refused_move_says_why_changes_nothing_and_ameyo_is_told(self):
        lead = self.colleague_lead('opportunity')
        call, leg = self.pop()
        # Ameyo gave the agent another call: this one no longer opens the colleague's lead to
        # agent_a
        leg.sudo()._ameyo_update_state('ended')
        wizard = self.wizard(leg, 'Moved')
        self.assertFalse(wizard.crm_action_info)
        self.assertIn("you may not change a lead of another salesperson", wizard.crm_action_warning)
        wizard.action_confirm()
        self.assertEqual(lead.stage_id, self.stage_new)
        self.assertIn("may not change a lead of another salesperson", leg.sudo().crm_action_error)
        self.assertFalse(leg.sudo().crm_action_applied)
        self.assertToldAmeyo(call, leg, 'Moved')
        self.assertEqual(leg.sudo().attention_reason, 'crm_action_refused')
        self.assertIn("Apply it by hand", leg.sudo().attention_text)
        # a supervisor marks it handled
        leg.with_user(self.supervisor).action_attention_mark_handled()
        self.assertFalse(leg.sudo().attention_reason)

    def test_a_sales_manager_moves_what_an_own_documents_agent_may_not(self):
        lead = self.colleague_lead('opportunity')
        call, leg = self.pop(agent=self.sales_manager, user_id='t.agent-m@acme')
        leg.sudo()._ameyo_update_state('ended')
        wizard = self.wizard(leg, 'Moved')
        self.assertFalse(wizard.crm_action_warning)
        wizard.action_confirm()
        self.assertEqual(lead.stage_id, self.stage_qualified)
        self.assertEqual(leg.sudo().crm_action_applied, 'stage')
        self.assertToldAmeyo(call, leg, 'Moved')

    def test_won_needs_a_won_stage(self):
        lead = self.colleague_lead('lead')
        call, leg = self.pop()
        self.env['crm.stage'].search([('is_won', '=', True)]).is_won = False
        wizard = self.wizard(leg, 'Won')
        self.assertIn("has no won stage", wizard.crm_action_warning)
        wizard.action_confirm()
        self.assertRecordValues(
            lead, [{'type': 'lead', 'won_status': 'pending', 'stage_id': self.stage_new.id}]
        )
        self.assertIn("no won stage", leg.sudo().crm_action_error)
        self.assertToldAmeyo(call, leg, 'Won')

    def test_a_second_save_does_not_undo_the_first_action_and_says_what_was_applied(self):
        lead = self.colleague_lead('opportunity')
        call, leg = self.pop()
        self.sim.inject('disposeCallForUser', status=500)  # Ameyo refuses: the agent saves again
        self.wizard(leg, 'Won').action_confirm()
        self.send(leg)
        self.assertEqual(leg.state, 'dispose_failed')
        self.assertEqual(lead.won_status, 'won')
        wizard = self.wizard(leg, 'Lost')
        self.assertIn("already applied the CRM action of Sold", wizard.crm_action_warning)
        wizard.action_confirm()
        self.assertRecordValues(lead, [{'won_status': 'won', 'active': True}])
        self.assertEqual(leg.sudo().crm_action_disposition_id, self.dispositions['Won'])
        self.assertIn("was not applied", str(leg.sudo().message_ids[:3].mapped('body')))
        self.assertFalse(leg.sudo().crm_action_error)
        self.send(leg)
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual(self.sim.dispositions_of(call)[-1]['code'], 'Lost')

    def test_a_contact_pop_gets_a_lead_once_per_call_with_the_calls_utm(self):
        self.campaign.pop_target = 'partner'
        self.dispositions['Won'].create_lead = True
        self.dispositions['Tag'].create_lead = True
        call, leg = self.pop()
        self.assertEqual((leg.partner_id, leg.lead_id), (self.partner, self.env['crm.lead']))
        wizard = self.wizard(leg, 'Won')
        self.assertEqual(
            wizard.crm_action_info,
            "On confirm: create a lead for the caller, then convert it to an "
            "opportunity, then mark it won.",
        )
        self.sim.inject('disposeCallForUser', status=500)
        wizard.action_confirm()
        lead = leg.sudo().lead_id
        self.assertRecordValues(
            lead,
            [
                {
                    'partner_id': self.partner.id,
                    'team_id': self.team.id,
                    'user_id': self.agent_a.id,
                    'type': 'opportunity',
                    'won_status': 'won',
                    'ameyo_origin_call_id': leg.id,
                    'source_id': self.server.utm_source_id.id,
                    'medium_id': self.env.ref('utm.utm_medium_phone').id,
                    'campaign_id': self.campaign.utm_campaign_id.id,
                }
            ],
        )
        self.assertEqual(self.server.utm_source_id.name, self.server.name)
        self.assertEqual(self.campaign.utm_campaign_id.title, self.campaign.name)
        self.send(leg)
        self.assertEqual(leg.state, 'dispose_failed')
        # saved again: no second lead, the first action stays
        self.wizard(leg, 'Tag').action_confirm()
        self.assertEqual(
            self.env['crm.lead'].search_count([('ameyo_origin_call_id', '=', leg.id)]), 1
        )
        self.assertFalse(lead.tag_ids)
        # the call's other leg (a transfer) links the lead the call created, never a second one
        leg_b = self.create_leg(
            call['crtObjectId'],
            self.agent_b,
            f"{call['crtObjectId']}-b",
            partner_id=self.partner.id,
        )
        leg_b.with_user(self.agent_b)._ameyo_apply_disposition_action(self.dispositions['Tag'])
        self.assertEqual(leg_b.lead_id, lead)
        self.assertEqual(lead.tag_ids, self.tag)
        self.assertEqual(
            self.env['crm.lead'].search_count([('partner_id', '=', self.partner.id)]), 1
        )

    def test_a_touched_lead_keeps_its_own_utm(self):
        Source = self.env['utm.source']
        own = {
            'source_id': Source.create({'name': 'Website form'}).id,
            'medium_id': self.env.ref('utm.utm_medium_website').id,
            'campaign_id': self.env['utm.campaign'].create({'title': 'Spring web'}).id,
        }
        lead = self.colleague_lead('opportunity', **own)
        _call, leg = self.pop()
        self.wizard(leg, 'Moved').action_confirm()
        self.assertRecordValues(lead, [{'stage_id': self.stage_qualified.id, **own}])
        self.assertFalse(lead.ameyo_origin_call_id)  # not made by the call


@tagged('post_install', '-at_install')
class TestDispositionActionsHttp(AmeyoHttpCase):
    """Through Odoo's HTTP server: Ameyo's dispose URL applies the action as the leg's agent; the
    pop and the caller's lost lead; UTM on a lead the pop creates."""

    pop_phone = '9000000927'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_numbers(('9000000927', '9000000928'))
        cls.team = cls.env['crm.team'].create({'name': 'Call Team HTTP'})
        cls.stage_qualified = cls.env['crm.stage'].create(
            {'name': 'Call Qualified HTTP', 'sequence': 2, 'team_ids': [cls.team.id]}
        )
        cls.campaign.write(
            {'pop_target': 'lead', 'team_id': cls.team.id, 'dispose_mode': 'ameyo_only'}
        )
        cls.disposition.write({'crm_action': 'stage', 'crm_stage_id': cls.stage_qualified.id})
        cls.lost_reason = cls.env['crm.lost.reason'].create({'name': 'Too early'})

    def setUp(self):
        super().setUp()
        self.authenticate('t_agent_a', 't_agent_a')

    def lead(self, **values):
        return self.env['crm.lead'].create(
            {
                'name': 'Rohan plan',
                'phone': '+91 90000 00927',
                'type': 'opportunity',
                'user_id': self.agent_b.id,
                'team_id': self.team.id,
                **values,
            }
        )

    def test_ameyo_dispose_url_applies_the_action_as_the_legs_agent(self):
        lead = self.lead()
        params = self.pop_params(crt=self.new_crt())
        leg = self.assertPops(self.throw(**params))
        self.assertEqual(leg.lead_id, lead)
        response = self.throw('dispose', **params, dispositionCode='Sale')
        self.assertEqual(response.status_code, 200, response.text[:2000])
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual(lead.stage_id, self.stage_qualified)
        self.assertEqual(leg.crm_action_applied, 'stage')
        note = lead.message_ids.filtered(lambda message: 'Disposition Sale' in str(message.body))
        self.assertEqual(note.author_id, self.agent_a.partner_id)
        # thrown again: a replay, nothing applied twice
        self.throw('dispose', **params, dispositionCode='Sale')
        self.assertEqual(
            len(lead.message_ids.filtered(lambda message: 'Disposition Sale' in str(message.body))),
            1,
        )

    def test_the_wizard_over_rpc_says_what_it_will_do_then_does_it_as_the_agent(self):
        self.campaign.dispose_mode = 'dual'  # saved and disposed in Odoo, nothing sent to Ameyo
        lead = self.lead()
        leg = self.assertPops(self.throw(**self.pop_params(crt=self.new_crt())))
        cookies = self._login_cookies('t_agent_a')
        Wizard = 'ameyo.dispose.wizard'
        created = self._call_kw(
            Wizard, 'create', [{'call_id': leg.id, 'disposition_id': self.disposition.id}], cookies
        )
        wizard_id = (
            created['result'][0] if isinstance(created['result'], list) else created['result']
        )
        [read] = self._call_kw(
            Wizard, 'read', [[wizard_id], ['crm_action_info', 'crm_action_warning']], cookies
        )['result']
        self.assertEqual(
            read['crm_action_info'], "On confirm: move Rohan plan to the stage Call Qualified HTTP."
        )
        self.assertFalse(read['crm_action_warning'])
        answer = self._call_kw(Wizard, 'action_confirm', [[wizard_id]], cookies)
        self.assertNotIn('error', answer, answer)
        self.assertEqual(leg.state, 'disposed')
        self.assertEqual(lead.stage_id, self.stage_qualified)
        self.assertEqual(
            leg.crm_action_summary, "moved Rohan plan to the stage Call Qualified HTTP."
        )

    def test_ameyo_dispose_url_of_a_call_that_is_over_notes_the_refusal(self):
        lead = self.lead(
            stage_id=self.env['crm.stage'].create({'name': 'Start HTTP', 'sequence': 1}).id
        )
        params = self.pop_params(crt=self.new_crt())
        leg = self.assertPops(self.throw(**params))
        # Ameyo's next call (another caller) ends this one
        self.throw(**self.pop_params(crt=self.new_crt(), phone='9000000928'))
        self.assertEqual(leg.state, 'ended')
        response = self.throw('dispose', **params, dispositionCode='Sale')
        self.assertEqual(response.status_code, 200, response.text[:2000])
        self.assertEqual(leg.state, 'disposed')
        self.assertNotEqual(lead.stage_id, self.stage_qualified)
        self.assertIn("may not change a lead of another salesperson", leg.crm_action_error)
        self.assertEqual(leg.attention_reason, 'crm_action_refused')

    def test_the_callers_lost_lead_is_restored_or_named_by_a_new_lead(self):
        lead = self.lead()
        lead.action_set_lost(lost_reason_id=self.lost_reason.id)
        self.assertEqual(lead.won_status, 'lost')
        self.campaign.lost_lead_pop = 'restore'
        leg = self.assertPops(self.throw(**self.pop_params(crt=self.new_crt())))
        self.assertEqual(leg.lead_id, lead)
        self.assertRecordValues(lead, [{'active': True, 'won_status': 'pending'}])
        self.assertIn("It was lost (Too early)", str(lead.message_ids.mapped('body')))
        trace = leg.lookup_trace_display
        self.assertEqual(
            (trace['by'], trace['chosen']['name'], trace['hidden']), ('lost', lead.display_name, 1)
        )

        lead.action_set_lost(lost_reason_id=self.lost_reason.id)
        self.campaign.write({'lost_lead_pop': 'new', 'create_on_no_match': True})
        leg = self.assertPops(self.throw(**self.pop_params(crt=self.new_crt())))
        new = leg.lead_id
        self.assertNotEqual(new, lead)
        self.assertFalse(lead.active)
        body = str(new.message_ids.filtered(lambda message: 'lost' in str(message.body)).body)
        self.assertIn("The caller's earlier lead was lost (Too early)", body)
        self.assertIn(f'data-oe-model="crm.lead" data-oe-id="{lead.id}"', body)

    def test_a_lead_the_pop_creates_carries_the_calls_utm(self):
        self.campaign.create_on_no_match = True
        leg = self.assertPops(self.throw(**self.pop_params(crt=self.new_crt())))
        lead = leg.lead_id
        self.assertTrue(lead)
        self.assertRecordValues(
            lead,
            [
                {
                    'ameyo_origin_call_id': leg.id,
                    'source_id': self.server.utm_source_id.id,
                    'medium_id': self.env.ref('utm.utm_medium_phone').id,
                    'campaign_id': self.campaign.utm_campaign_id.id,
                }
            ],
        )
        self.assertTrue(self.server.utm_source_id and self.campaign.utm_campaign_id)

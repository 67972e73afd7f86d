from odoo.tests import new_test_user, tagged

from .common import AmeyoTourCase, create_call_leg


@tagged('post_install', '-at_install')
class TestCallScreenTour(AmeyoTourCase):
    """The agent's call screen in headless Chromium: the call panel on the popped contact and lead,
    the guidance popover under dialogs, the banner naming a caller saved from the pop."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        dispositions = cls.setup_tour_ameyo(
            '702', 'panel.agent@acme', dispose_token='panel-dispose-token'
        )
        cls.env['ameyo.queue'].create(
            [
                {
                    'campaign_id': cls.campaign.id,
                    'ameyo_queue_id': '31',
                    'name': 'Gold',
                    'guidance': '<p>Offer the gold plan first.</p>',
                },
                {
                    'campaign_id': cls.campaign.id,
                    'ameyo_queue_id': '32',
                    'name': 'Solar',
                    'guidance': '<p>Ask for the budget.</p>',
                },
            ]
        )
        cls.agent = new_test_user(
            cls.env,
            login='panel_agent',
            groups='crm_ameyo.group_ameyo_agent,sales_team.group_sale_salesman',
            ameyo_user_id='panel.agent@acme',
        )
        other = new_test_user(
            cls.env,
            login='panel_other',
            name='Tour Other Agent',
            groups='crm_ameyo.group_ameyo_agent',
            ameyo_user_id='panel.other@acme',
        )
        cls.partner = cls.env['res.partner'].create(
            {'name': 'Meera Iyer', 'phone': '+91 97400 22334'}
        )
        cls.lead_partner = cls.env['res.partner'].create({'name': 'Kiran Rao'})
        cls.lead = cls.env['crm.lead'].create(
            {
                'name': 'Solar roof for Kiran',
                'phone': '+91 97400 55667',
                'partner_id': cls.lead_partner.id,
                'user_id': cls.agent.id,
                'type': 'lead',
            }
        )
        for values in [
            {
                'server_id': cls.campaign.server_id.id,
                'crt_object_id': 'panel-earlier-1',
                'campaign_id': cls.campaign.id,
                'user_id': other.id,
                'phone': '9740022334',
                'partner_id': cls.partner.id,
                'state': 'disposed',
                'disposition_id': dispositions[1].id,
                'disposition_code': 'Not Interested',
                'notes': 'Asked for a brochure',
            },
            {
                'server_id': cls.campaign.server_id.id,
                'crt_object_id': 'panel-earlier-2',
                'campaign_id': cls.campaign.id,
                'user_id': other.id,
                'phone': '9740055667',
                'partner_id': cls.lead_partner.id,
                'state': 'disposed',
                'notes': 'Wants a site survey',
            },
        ]:
            create_call_leg(cls.env, values)
        cls.partner.activity_schedule(
            'mail.mail_activity_data_call', summary='Send the brochure', user_id=cls.agent.id
        )
        cls.lead.activity_schedule(
            'mail.mail_activity_data_call', summary='Book the survey', user_id=cls.agent.id
        )

    def pop_url(self, phone, queue_id):
        call = self.sim.start_call('panel.agent@acme', '702', phone)
        return self.customer_url(call, queueId=queue_id)

    def test_panel_on_the_popped_contact(self):
        self.start_tour(
            self.pop_url('9740022334', '31'),
            'crm_ameyo_call_panel_partner_tour',
            login='panel_agent',
        )
        leg = self.env['ameyo.call'].search(
            [('partner_id', '=', self.partner.id), ('user_id', '=', self.agent.id)]
        )
        self.assertEqual((leg.state, leg.disposition_code), ('disposed', 'Sale'))

    def test_panel_on_the_popped_lead(self):
        self.campaign.pop_target = 'lead'
        self.start_tour(
            self.pop_url('9740055667', '32'), 'crm_ameyo_call_panel_lead_tour', login='panel_agent'
        )
        leg = self.env['ameyo.call'].search(
            [('phone', '=', '9740055667'), ('user_id', '=', self.agent.id)]
        )
        self.assertEqual((leg.lead_id, leg.pop_lead_id, leg.phase), (self.lead, self.lead, 'live'))

    def test_banner_names_a_new_caller(self):
        self.start_tour(
            self.pop_url('9740099881', '31'), 'crm_ameyo_new_caller_tour', login='panel_agent'
        )
        # the contact the tour saved: the one with the caller's number (the demo has another Neha)
        self.assertEqual(
            self.env['res.partner'].search([('ameyo_phone_key', '=', '9740099881')]).mapped('name'),
            ['Neha Kapoor'],
        )

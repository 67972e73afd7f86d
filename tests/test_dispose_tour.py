from odoo.tests import new_test_user, tagged

from .common import AmeyoTourCase


@tagged('post_install', '-at_install')
class TestDisposeTour(AmeyoTourCase):
    """The agent's path in headless Chromium: pop, Dispose, choose a code, confirm, disposed; or
    Dial while on the call, which opens the dispose dialog of that call, and the form that reloads
    once it is disposed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_tour_ameyo('701', 'tour.agent@acme', dispose_token='tour-dispose-token')
        cls.agent = new_test_user(
            cls.env,
            login='tour_agent',
            groups='crm_ameyo.group_ameyo_agent',
            ameyo_user_id='tour.agent@acme',
        )
        cls.partner = cls.env['res.partner'].create(
            {'name': 'Meera Iyer', 'phone': '+91 97400 11223'}
        )

    def test_agent_disposes_from_the_contact(self):
        call = self.sim.start_call('tour.agent@acme', '701', '9740011223')
        url = self.customer_url(call)
        self.start_tour(url, 'crm_ameyo_dispose_tour', login='tour_agent')
        leg = self.env['ameyo.call'].search([('crt_object_id', '=', call['crtObjectId'])])
        self.assertEqual(
            (leg.state, leg.disposition_code, leg.notes),
            ('disposed', 'Sale', 'Wants the gold plan'),
        )
        # the unsaved edit survived the dispose
        self.assertEqual(self.partner.email, 'meera@example.com')
        self.assertEqual(self.sim.agent_state('tour.agent@acme'), 'ready')

    def test_dial_while_on_the_call_then_dispose_reloads_the_form(self):
        self.agent.ameyo_default_campaign_id = self.campaign
        call = self.sim.start_call('tour.agent@acme', '701', '9740011223')
        self.start_tour(
            self.customer_url(call), 'crm_ameyo_dial_busy_dispose_tour', login='tour_agent'
        )
        leg = self.env['ameyo.call'].search([('crt_object_id', '=', call['crtObjectId'])])
        self.assertEqual(
            (leg.state, leg.disposition_code, leg.partner_id), ('disposed', 'Sale', self.partner)
        )
        self.assertFalse(
            self.env['ameyo.call'].search([('user_id', '=', self.agent.id), ('id', '!=', leg.id)])
        )

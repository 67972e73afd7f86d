from odoo.tests import HttpCase, new_test_user, tagged

from ..simulator import AmeyoSimulator


@tagged('post_install', '-at_install')
class TestDisposeTour(HttpCase):
    """The agent's path in headless Chromium: pop, Dispose, choose a code, confirm, disposed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = AmeyoSimulator(dispose_token='tour-dispose-token').start()
        cls.addClassCleanup(cls.sim.stop)
        cls.sim.add_campaign('701', 'Tour Campaign', dispositions=('Sale', 'Not Interested'))
        cls.sim.add_agent('tour.agent@acme', campaigns=('701',))
        server = cls.env['ameyo.server'].create({
            'name': 'Tour Ameyo', 'base_url': cls.sim.url, 'dispose_token': 'tour-dispose-token'})
        cls.campaign = cls.env['ameyo.campaign'].create(
            {'server_id': server.id, 'ameyo_campaign_id': '701', 'name': 'Tour Campaign'})
        cls.env['ameyo.disposition'].create([
            {'campaign_id': cls.campaign.id, 'code': 'Sale', 'name': 'Sale'},
            {'campaign_id': cls.campaign.id, 'code': 'Not Interested', 'name': 'Not interested'},
        ])
        cls.agent = new_test_user(cls.env, login='tour_agent', groups='crm_ameyo.group_ameyo_agent',
                                  ameyo_user_id='tour.agent@acme')
        cls.partner = cls.env['res.partner'].create({'name': 'Meera Iyer', 'phone': '+91 97400 11223'})

    def test_agent_disposes_from_the_contact(self):
        call = self.sim.start_call('tour.agent@acme', '701', '9740011223')
        url = '/ameyo/customer?' + '&'.join(
            f'{key}={value}' for key, value in self.sim.lifecycle_params(call, 'customer').items())
        self.start_tour(url, 'crm_ameyo_dispose_tour', login='tour_agent')
        leg = self.env['ameyo.call'].search([('crt_object_id', '=', call['crtObjectId'])])
        self.assertEqual((leg.state, leg.disposition_code, leg.notes), ('disposed', 'Sale', 'Wants the gold plan'))
        self.assertEqual(self.partner.email, 'meera@example.com')  # the unsaved edit survived the dispose
        self.assertEqual(self.sim.agent_state('tour.agent@acme'), 'ready')

from odoo.tests import new_test_user, tagged

from .common import AmeyoTourCase


@tagged('post_install', '-at_install')
class TestWrongCallerTour(AmeyoTourCase):
    """The agent's path in headless Chromium: the pop opens the contact remembered for a shared
    number, "Wrong caller?" in the call banner, the chooser, "None of these: new contact", the new
    contact saved; or the chooser's Cancel, back to the contact."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_tour_ameyo('702', 'tour.picker@acme', dispositions=(('Sale', 'Sale'),))
        cls.agent = new_test_user(
            cls.env,
            login='tour_picker',
            groups='crm_ameyo.group_ameyo_agent',
            ameyo_user_id='tour.picker@acme',
        )
        cls.other_agent = new_test_user(
            cls.env,
            login='tour_other',
            groups='crm_ameyo.group_ameyo_agent',
            name='Tour Other Agent',
        )
        Partner = cls.env['res.partner']
        Partner.with_context(active_test=False).search(
            [('ameyo_phone_key', '=', '9740011229')]
        ).phone = False
        cls.remembered, cls.twin = Partner.create(
            [
                {'name': 'Asha Rao', 'phone': '+91 97400 11229'},
                {'name': 'Asha R.', 'phone': '9740011229'},
            ]
        )
        cls.env['ameyo.phone.pick'].create(
            {
                'phone_key': '9740011229',
                'res_model': 'res.partner',
                'res_id': cls.remembered.id,
                'user_id': cls.other_agent.id,
            }
        )

    def test_wrong_caller_then_none_of_these(self):
        call = self.sim.start_call('tour.picker@acme', '702', '9740011229')
        url = self.customer_url(call)
        self.start_tour(url, 'crm_ameyo_wrong_caller_tour', login='tour_picker')
        leg = self.env['ameyo.call'].search([('crt_object_id', '=', call['crtObjectId'])])
        self.assertEqual(leg.partner_id.name, 'Asha Newcaller')
        self.assertEqual(leg.partner_id.ameyo_phone_key, '9740011229')
        self.assertFalse(self.env['ameyo.phone.pick'].search([('phone_key', '=', '9740011229')]))

    def test_none_of_these_then_dispose_from_the_banner(self):
        """The issue's path: the new caller typed, not saved, disposed from the banner: she is saved
        first, named by the wizard, and the outcome is on her chatter, not only on the call."""
        # the simulator's own: Ameyo takes the dispose
        self.campaign.server_id.dispose_token = 'sim-dispose-token'
        call = self.sim.start_call('tour.picker@acme', '702', '9740011229')
        self.start_tour(
            self.customer_url(call), 'crm_ameyo_new_caller_dispose_tour', login='tour_picker'
        )
        leg = self.env['ameyo.call'].search([('crt_object_id', '=', call['crtObjectId'])])
        self.assertEqual((leg.partner_id.name, leg.state), ('Asha Newcaller', 'disposed'))
        note = leg.partner_id.message_ids.filtered(
            lambda message: 'Wants the gold plan' in str(message.body)
        )
        self.assertEqual(len(note), 1, leg.partner_id.message_ids.mapped('body'))

    def test_wrong_caller_then_cancel(self):
        call = self.sim.start_call('tour.picker@acme', '702', '9740011229')
        self.start_tour(
            self.customer_url(call), 'crm_ameyo_wrong_caller_cancel_tour', login='tour_picker'
        )
        leg = self.env['ameyo.call'].search([('crt_object_id', '=', call['crtObjectId'])])
        self.assertEqual(leg.partner_id, self.remembered)  # nothing changed
        pick = self.env['ameyo.phone.pick'].search([('phone_key', '=', '9740011229')])
        self.assertEqual((pick.res_id, pick.user_id), (self.remembered.id, self.other_agent))

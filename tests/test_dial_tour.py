from unittest.mock import patch

from odoo.tests import tagged

from .test_dial_http import DialHttpCase


@tagged('post_install', '-at_install')
class TestDialTour(DialHttpCase):
    """A sales user dials in headless Chromium: from the contact's phone widget, then from the list."""

    def test_dial_from_the_contact_and_the_pop_adopts_it(self):
        self.sim.set_crm(self.base_url(), sso_url=self.base_url() + '/ameyo/sso', ring=0.2)
        with patch.object(self, 'http_request_allow_all', True):  # the simulator's pop may come meanwhile
            self.start_tour(f'/odoo/contacts/{self.partner.id}', 'crm_ameyo_dial_tour', login='h_dialer')
        self.assertEqual(self.partner.email, 'kavya@example.com')  # saved before the dial
        [thrown] = self.wait_for_throws(1)
        leg = self.env['ameyo.call'].search([('user_id', '=', self.dialer.id)])
        self.assertEqual((leg.state, leg.crt_object_id, leg.partner_id), ('connected', thrown['crtObjectId'],
                                                                          self.partner))

    def test_the_list_icon_dials_without_opening_the_record(self):
        self.partner.name = 'Aadya Kapoor'
        self.start_tour('/odoo/contacts?view_type=list', 'crm_ameyo_dial_list_tour', login='h_dialer')
        leg = self.env['ameyo.call'].search([('user_id', '=', self.dialer.id)])
        self.assertEqual((leg.state, leg.partner_id, leg.dial_phone_sent), ('dialing', self.partner, '9845012345'))

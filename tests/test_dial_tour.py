from unittest.mock import patch

from odoo.tests import tagged

from .test_dial_http import DialHttpCase


@tagged('post_install', '-at_install')
class TestDialTour(DialHttpCase):
    """A sales user dials in headless Chromium: from the contact's phone widget (Dial stays in place
    when Odoo shows its Call and SMS links), then from the list; a number marked "Do not call" shows
    the flag instead."""

    def test_dial_from_the_contact_and_the_pop_adopts_it(self):
        self.sim.set_crm(self.base_url(), sso_url=self.base_url() + '/ameyo/sso', ring=0.2)
        # the simulator's pop may come meanwhile
        with patch.object(self, 'http_request_allow_all', True):
            self.start_tour(
                f'/odoo/contacts/{self.partner.id}', 'crm_ameyo_dial_tour', login='h_dialer'
            )
        self.assertEqual(self.partner.email, 'kavya@example.com')  # saved before the dial
        [thrown] = self.wait_for_throws(1)
        leg = self.env['ameyo.call'].search([('user_id', '=', self.dialer.id)])
        self.assertEqual(
            (leg.state, leg.crt_object_id, leg.partner_id),
            ('connected', thrown['crtObjectId'], self.partner),
        )

    def test_the_list_icon_dials_without_opening_the_record(self):
        self.partner.name = 'Aadya Kapoor'
        self.start_tour(
            '/odoo/contacts?view_type=list', 'crm_ameyo_dial_list_tour', login='h_dialer'
        )
        leg = self.env['ameyo.call'].search([('user_id', '=', self.dialer.id)])
        self.assertEqual(
            (leg.state, leg.partner_id, leg.dial_phone_sent),
            ('dialing', self.partner, '9845012345'),
        )

    def test_do_not_call_shows_where_dial_was(self):
        self.partner.ameyo_do_not_call = True
        self.start_tour(
            f'/odoo/contacts/{self.partner.id}', 'crm_ameyo_dial_do_not_call_tour', login='h_dialer'
        )
        self.assertFalse(self.env['ameyo.call'].search([('user_id', '=', self.dialer.id)]))
        self.assertFalse(self.sim.requests_for('ial'))

    def test_do_not_call_reason_is_the_dial_gate_s(self):
        """The reason the form shows is the one the server gives when it refuses: the record's flag,
        a lead's contact's, or the number's on another record of the company."""
        Partner, Lead = self.env['res.partner'], self.env['crm.lead']
        # reads the lead
        self.dialer.group_ids += self.env.ref('sales_team.group_sale_salesman_all_leads')
        lead = Lead.create(
            {
                'name': 'Kavya Rao: gold plan',
                'partner_id': self.partner.id,
                'phone': '+91 98450 12345',
            }
        )
        twin = Partner.create({'name': 'Kavya R.', 'phone': '+91-98450-12345'})
        stranger = Partner.create({'name': 'Vikram Shah', 'phone': '+91 98450 99999'})
        self.assertEqual(
            (self.partner + twin + stranger)
            .with_user(self.dialer)
            .mapped('ameyo_do_not_call_reason'),
            [False] * 3,
        )
        self.assertFalse(lead.with_user(self.dialer).ameyo_do_not_call_reason)

        self.partner.ameyo_do_not_call = True
        self.env.invalidate_all()
        cookies = self._login_cookies('h_dialer')
        for record, reason in (
            (self.partner, 'Kavya Rao is marked "Do not call".'),
            (lead, 'Kavya Rao, the contact of Kavya Rao: gold plan, is marked "Do not call".'),
            (
                twin,
                '+91-98450-12345 is marked "Do not call" on a contact or lead of '
                f'{self.env.company.name}.',
            ),
        ):
            self.assertEqual(record.with_user(self.dialer).ameyo_do_not_call_reason, reason)
            refusal = self._call_kw(record._name, 'action_ameyo_dial', [[record.id]], cookies)[
                'result'
            ]
            self.assertEqual(
                (refusal['params']['title'], refusal['params']['message']), ('Not dialed', reason)
            )
        self.assertFalse(stranger.with_user(self.dialer).ameyo_do_not_call_reason)
        self.assertFalse(self.env['ameyo.call'].search([('user_id', '=', self.dialer.id)]))

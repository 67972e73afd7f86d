"""How the caller's number is shown and prefilled: phone_validation's international format, read in
the home country of Settings when Ameyo sends national digits."""

from odoo.tests import tagged

from .common import AmeyoTransactionCase


@tagged('post_install', '-at_install')
class TestCallerNumberDisplay(AmeyoTransactionCase):
    def test_formats(self):
        self.env['ir.config_parameter'].set_param('crm_ameyo.phone_country_code', '91')
        shapes = {
            '9876543210': '+91 98765 43210',  # what Ameyo sends most: national digits
            '09876543210': '+91 98765 43210',  # trunk prefix
            '+919876543210': '+91 98765 43210',
            '0091 98765-43210': '+91 98765 43210',
            '2240001234': '+91 22 4000 1234',  # a Mumbai landline
            '+44 20 7946 0958': '+44 20 7946 0958',  # a foreign caller keeps their country
            '98765XXXXX': '',  # masked: not the caller's number
            '12345': '12345',  # not a number phonenumbers can read: as sent
        }
        for sent, shown in shapes.items():
            with self.subTest(sent=sent):
                leg = self.create_leg(f'display-{sent}', self.agent_a, phone=sent)
                self.assertEqual(leg._ameyo_display_phone(), shown)

    def test_home_country_from_settings(self):
        self.env['ir.config_parameter'].set_param('crm_ameyo.phone_country_code', '44')
        leg = self.create_leg('display-uk', self.agent_a, phone='02079460958')
        self.assertEqual(leg._ameyo_display_phone(), '+44 20 7946 0958')

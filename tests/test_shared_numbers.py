"""The Shared Numbers report keeps a number's id whatever other numbers come and go: a list row, a
breadcrumb or a bookmark opened later still names the same number."""

from odoo.tests import tagged
from odoo.tools import SQL

from .common import AmeyoTransactionCase, run_migration

KEYS = ('9740041009', '9740041001', '0123456789', '123456789')


@tagged('post_install', '-at_install')
class TestSharedNumberIds(AmeyoTransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_numbers(KEYS)
        cls.env['ir.config_parameter'].sudo().set_param('crm_ameyo.phone_key_digits', 10)

    def share(self, phone, count=2):
        self.env['res.partner'].create(
            [{'name': f'Sharing {phone} {index}', 'phone': phone} for index in range(count)]
        )
        self.env.flush_all()

    def shared(self, key):
        self.env.invalidate_all()
        return (
            self.env['ameyo.shared.number']
            .with_user(self.supervisor)
            .search([('phone_key', '=', key)])
        )

    def test_the_id_of_a_number_is_stable(self):
        self.share('+91 97400 41009')
        number = self.shared('9740041009')
        self.assertEqual(number.id, 19740041009)
        # another shared number, with a smaller key (it sorts first), and one more record of the
        # first
        self.share('+91 97400 41001')
        self.share('097400 41009', count=1)
        self.assertEqual(self.shared('9740041001').id, 19740041001)
        again = self.shared('9740041009')
        self.assertEqual((again.id, again.partner_count), (number.id, 3))
        # opened by its id (a bookmark, a breadcrumb), it is the same number and its records open
        opened = self.env['ameyo.shared.number'].with_user(self.supervisor).browse(number.id)
        self.assertEqual((opened.phone_key, opened.partner_count), ('9740041009', 3))
        action = opened.action_open_partners()
        self.assertEqual(
            len(self.env['res.partner'].with_user(self.supervisor).search(action['domain'])), 3
        )

    def test_keys_with_leading_zeros_and_of_other_lengths_have_ids_of_their_own(self):
        self.share('+91 0123456789')  # the last 10 digits begin with 0
        self.share('123456789')  # a short number: its 9 digits
        long_key, short_key = self.shared('0123456789'), self.shared('123456789')
        self.assertEqual((long_key.id, short_key.id), (10123456789, 1123456789))
        self.assertEqual(
            self.env['ameyo.shared.number']
            .with_user(self.supervisor)
            .browse(short_key.id)
            .phone_key,
            '123456789',
        )

    def test_the_upgrade_gives_ascii_keys_to_numbers_of_other_scripts(self):
        """Keys hold ASCII digits (the ids above are read from them): the upgrade recomputes the
        keys stored with digits of another script."""
        partner = self.env['res.partner'].create(
            {'name': 'Arabic-Indic digits', 'phone': '+91 ٩٧٤٠٠ ٤١٠٠٩'}
        )
        self.assertEqual(partner.ameyo_phone_key, '9740041009')
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET ameyo_phone_key = %s WHERE id = %s",
                '٩٧٤٠٠٤١٠٠٩',
                partner.id,
            )
        )
        run_migration(self.env.cr, '19.0.1.5.0', 'post-phone-keys', '19.0.1.4.0')
        self.env.invalidate_all()
        self.assertEqual(partner.ameyo_phone_key, '9740041009')

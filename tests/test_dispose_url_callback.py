"""Ameyo's dispose URL with a callback attribute out of the dates Odoo can place: through Odoo's
HTTP server, the disposition is recorded and the attribute kept verbatim and flagged, as any
unreadable one."""

from odoo.tests import tagged

from .common import AmeyoHttpCase


@tagged('post_install', '-at_install')
class TestDisposeUrlCallbackOutOfRange(AmeyoHttpCase):
    pop_phone = '9000000919'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_numbers(('9000000919',))
        # east of UTC: year 1 at midnight is before year 1 in UTC
        cls.server.callback_tz = 'Asia/Kolkata'

    def setUp(self):
        super().setUp()
        self.authenticate('t_agent_a', 't_agent_a')

    def test_out_of_range_attribute_kept_verbatim_and_flagged(self):
        for attribute in (
            'after-00-00-9999 00:00:01',
            'local-0001-01-01 00:00:00',
            'customer-9999-12-31 23:59:59',
        ):
            with self.subTest(attribute=attribute):
                crt = self.new_crt()
                params = self.pop_params(crt=crt)
                leg = self.assertPops(self.throw(**params))
                response = self.throw(
                    'dispose',
                    **params,
                    dispositionCode='Sale',
                    dispositionAttribute=attribute,
                    selfCallback='true',
                )
                self.assertEqual(response.status_code, 200, response.text[:2000])
                self.assertRecordValues(
                    leg,
                    [
                        {
                            'state': 'disposed',
                            'disposition_code': 'Sale',
                            'disposition_id': self.disposition.id,
                            'disposition_attribute': attribute,
                            'callback_unparsed': True,
                            'callback_at': False,
                            'attention_reason': 'callback_unparsed',
                        }
                    ],
                )
                self.assertTrue(any(attribute in str(message.body) for message in leg.message_ids))

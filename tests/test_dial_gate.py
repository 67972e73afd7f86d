"""The one dial gate (``ameyo.call._ameyo_dial_gate``) on every path that makes Ameyo dial, against
the simulator: do not call decided per number (a copy of a flagged contact included, another
company's flag not), calling hours in the number's country when the contact's time zone disagrees,
"Dispose and Redial" refused before anything leaves, and a disposeAndManualDial whose outcome is
unknown never sent again."""

from datetime import datetime, timedelta

import pytz

from odoo import fields
from odoo.exceptions import UserError

from .test_dial import DialCase
from .test_dispose import DisposeCase

GATEWAY_PAGE = (
    '<html><head><title>%(status)s Bad Gateway</title></head><body><center><h1>%(status)s</h1>'
    '</center><hr><center>nginx</center></body></html>'
)


def out_of_hours_in_kolkata(campaign):
    """Calling hours of ``campaign`` that exclude now in Asia/Kolkata and include now in
    Asia/Bangkok (1 h 30 ahead, neither has daylight saving time)."""
    local = datetime.now(pytz.utc).astimezone(pytz.timezone('Asia/Kolkata'))
    hour = local.hour + local.minute / 60
    campaign.write({'dial_hour_from': (hour + 1) % 24, 'dial_hour_to': (hour + 2) % 24})


class TestDialGate(DialCase):
    """The Dial button (and the list's and the activity's icons: the same action)."""

    def test_a_copy_of_a_flagged_contact_is_not_dialed(self):
        self.partner.ameyo_do_not_call = True
        twin = self.partner.copy({'name': 'Meera Iyer (copy)'})
        # the flag is not copied: the number is what counts
        self.assertFalse(twin.ameyo_do_not_call)
        params = self.dial(twin)
        self.assertRefused(params, 'warning', 'Do not call', '+91 97400 11223')
        lead = self.env['crm.lead'].create(
            {
                'name': 'Typed again',
                'phone': '097400 11223',
                'country_id': self.india.id,
                'user_id': self.agent_a.id,
            }
        )
        self.assertRefused(self.dial(lead), 'warning', 'Do not call')
        self.assertFalse(self.attempts())

    def test_a_flag_of_another_company_does_not_block(self):
        other = self.env['res.company'].create({'name': 'Other Co'})
        self.env['res.partner'].create(
            {
                'name': 'Elsewhere',
                'phone': '+91 97400 11223',
                'company_id': other.id,
                'ameyo_do_not_call': True,
            }
        )
        self.server.dial_api = 'token_sync'
        self.assertEqual(self.dial()['type'], 'success')

    def test_calling_hours_in_the_numbers_country_when_the_time_zone_disagrees(self):
        out_of_hours_in_kolkata(self.campaign)
        self.partner.tz = 'Asia/Bangkok'  # in hours there, but an Indian number: the stricter holds
        self.assertRefused(self.dial(), 'warning', 'outside the calling hours', 'Asia/Kolkata')
        self.assertFalse(self.attempts())


class TestDialGateRedial(DisposeCase):
    """ "Dispose and Redial": refused before anything is saved or sent, and checked again when it
    leaves."""

    def setUp(self):
        super().setUp()
        self.env.ref('base.main_company').country_id = self.env.ref('base.in')
        self.env['ir.config_parameter'].sudo().set_param('crm_ameyo.phone_country_code', '91')

    def assertRedialRefused(self, leg, number, *parts):
        with self.assertRaises(UserError) as caught:
            self.confirm(leg, redial=True, redial_phone=number)
        for part in ('Not redialed', *parts):
            self.assertIn(part, str(caught.exception))
        # nothing saved: the agent unticks the redial or dials another
        self.assertEqual(leg.state, 'connected')
        self.assertFalse(self.sim.requests_for('disposeAndManualDial'), "Ameyo was asked to dial")

    def test_redial_to_a_do_not_call_number_is_refused(self):
        self.env['res.partner'].create(
            {'name': 'Opted out', 'phone': '+91 90000 00001', 'ameyo_do_not_call': True}
        )
        _call, leg = self.pop(record_session=True)
        self.assertRedialRefused(leg, '9000000001', 'Do not call', '9000000001')

    def test_redial_to_a_copy_of_a_flagged_contact_is_refused(self):
        flagged = self.env['res.partner'].create(
            {'name': 'Opted out', 'phone': '+91 90000 00001', 'ameyo_do_not_call': True}
        )
        twin = flagged.copy()
        self.assertFalse(twin.ameyo_do_not_call)
        _call, leg = self.pop(record_session=True)
        self.assertRedialRefused(leg, twin.phone, 'Do not call')

    def test_redial_outside_the_calling_hours_of_the_numbers_country(self):
        out_of_hours_in_kolkata(self.campaign)
        self.partner.tz = 'Asia/Bangkok'
        _call, leg = self.pop(record_session=True)
        self.assertRedialRefused(leg, '9740011223', 'outside the calling hours', 'Asia/Kolkata')

    def test_the_gate_holds_when_the_redial_leaves(self):
        """Flagged after the agent saved (the cron may send hours later): disposed without the
        redial, and the agent told why."""
        _call, leg = self.pop(record_session=True)
        self.confirm(leg, redial=True, redial_phone='9000000001')
        self.env['crm.lead'].create(
            {'name': 'Opted out', 'phone': '+91 90000 00001', 'ameyo_do_not_call': True}
        )
        result = self.send(leg)
        self.assertFalse(self.sim.requests_for('disposeAndManualDial'))
        self.assertEqual(leg.state, 'disposed')
        self.assertIn('Do not call', leg.redial_refused)
        self.assertEqual(result['params']['type'], 'warning')
        self.assertIn('Odoo did not redial', result['params']['message'])
        self.assertIn('Do not call', result['params']['message'])

    def test_redial_of_an_allowed_number_is_sent_once(self):
        other = self.env['res.company'].create({'name': 'Other Co'})
        self.env['res.partner'].create(
            {
                'name': 'Elsewhere',
                'phone': '+91 90000 00001',
                'company_id': other.id,
                'ameyo_do_not_call': True,
            }
        )
        _call, leg = self.pop(record_session=True)
        self.confirm(leg, redial=True, redial_phone='9000000001')
        self.send(leg)
        self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'dispose_dial'))
        self.assertEqual(len(self.sim.requests_for('disposeAndManualDial')), 1)
        self.assertFalse(leg.dispose_outcome_unknown)

    def test_dispose_and_redial_after_a_gateway_error_is_never_resent(self):
        """A proxy answers 502, 503 or 504 after Ameyo disposed the call and dialed: neither the
        client, nor the agent's retry, nor the cron sends disposeAndManualDial again."""
        for status, keep_session in ((502, True), (503, False), (504, True)):
            with self.subTest(status=status):
                call, leg = self.pop(record_session=True)
                self.confirm(leg, redial=True, redial_phone='9000000001')
                sent = len(self.sim.requests_for('disposeAndManualDial'))
                self.sim.inject(
                    'disposeAndManualDial',
                    status=status,
                    body=GATEWAY_PAGE % {'status': status},
                    content_type='text/html',
                    carry_out=True,
                )
                result = self.send(leg)
                # not retried
                self.assertEqual(len(self.sim.requests_for('disposeAndManualDial')), sent + 1)
                self.assertEqual((leg.state, leg.dispose_outcome_unknown), ('dispose_failed', True))
                self.assertIn('may or may not have been carried out', leg.dispose_error)
                self.assertEqual(result['params']['type'], 'danger')
                if not keep_session:
                    self.env['ameyo.agent.session'].search(
                        [('user_id', '=', self.agent_a.id)]
                    ).unlink()
                    self.send(leg)  # the agent clicks Retry
                    self.assertIn('could dial the customer twice', leg.dispose_error)
                leg.sudo().dispose_next_try = fields.Datetime.now() - timedelta(seconds=1)
                self.run_cron()
                # nor by the cron
                self.assertEqual(len(self.sim.requests_for('disposeAndManualDial')), sent + 1)
                self.assertTrue(leg.dispose_outcome_unknown)
                if keep_session:  # the cron names the call instead (no dial): Ameyo says it is done
                    self.assertEqual((leg.state, leg.dispose_api), ('disposed', 'legacy'))
                    self.assertEqual(len(self.sim.dispositions_of(call)), 1)
                    notice = leg.with_user(self.agent_a)._ameyo_dispose_notification()
                    self.assertIn('may or may not be dialing', notice['params']['message'])
                else:
                    self.assertEqual(leg.state, 'dispose_failed')
                    self.assertFalse(leg.dispose_next_try)

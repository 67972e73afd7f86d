"""Click-to-dial end to end against the simulator: every answer, each API and number format, the pop
that adopts the attempt, and every refusal as a notification."""

import importlib.util
import json
import os
from datetime import datetime, timedelta

import pytz

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from ..models.ameyo_call_dial import DIAL_ADOPT_WINDOW
from .common import CLIENT_LOGGER, SimulatorCase

AGENT = 't.agent-a@acme'


class DialCase(SimulatorCase):
    def setUp(self):
        super().setUp()
        self.env['ir.config_parameter'].sudo().set_param('crm_ameyo.phone_key_digits', 10)
        self.env['ir.config_parameter'].sudo().set_param('crm_ameyo.phone_country_code', '91')
        self.india = self.env.ref('base.in')
        # session first: what Automatic was on REST servers before 19.0.1.7.0 (test_capability_apis
        # tests Automatic)
        self.server.write(
            {
                'api_flavour': 'rest',
                'dial_api': 'session_first',
                'dial_number_format': 'national',
                'dial_prefix': False,
            }
        )
        self.agent_a.ameyo_default_campaign_id = self.campaign
        self.partner = self.env['res.partner'].create(
            {
                'name': 'Meera Iyer',
                'phone': '+91 97400 11223',
                'country_id': self.india.id,
                'tz': 'Asia/Kolkata',
            }
        )
        self.env['ameyo.agent.session'].search([('user_id', '=', self.agent_a.id)]).unlink()
        # the attempt and Ameyo's answer are committed in transactions of their own: savepoints in
        # tests
        self.env.flush_all()
        self.registry_enter_test_mode()

    def dial(self, record=None, user=None, **kwargs):
        record = (record or self.partner).with_user(user or self.agent_a)
        with mute_logger(CLIENT_LOGGER):
            action = record.action_ameyo_dial(**kwargs)
        self.assertEqual(
            (action['type'], action['tag']), ('ir.actions.client', 'display_notification')
        )
        self.env.invalidate_all()
        return action['params']

    def field(self, model, name):
        return self.env['ir.model.fields']._get(model, name).id

    def attempts(self, user=None):
        return self.env['ameyo.call'].search(
            [('user_id', '=', (user or self.agent_a).id), ('direction', '=', 'outbound')]
        )

    def assertRefused(self, params, kind, *parts, dialed=False):
        self.assertEqual(params['type'], kind, params['message'])
        for part in parts:
            self.assertIn(part, params['message'])
        if not dialed:
            self.assertFalse(self.sim.requests_for('ial'), "Ameyo was asked to dial")


class TestDialApis(DialCase):
    def test_token_async_sends_the_guide_sample_body(self):
        self.server.dial_api = 'token_async'
        params = self.dial()
        self.assertEqual(params['type'], 'success', params['message'])
        self.assertIn(
            'Dial request sent to Ameyo in campaign Test Campaign [101]', params['message']
        )
        self.assertIn('answer on your Ameyo client (+91 97400 11223)', params['message'])
        [request] = self.sim.requests_for('clickToDialWithTokenAsync')
        self.assertEqual(request['headers']['hash-key'], 'test-hash-key-SECRET')
        self.assertEqual(request['headers']['requesting-host'], 'odoo.test')
        self.assertEqual(request['headers']['policy-name'], 'token-based-authorization-policy')
        self.assertIsNone(request['form'])
        [leg] = self.attempts()
        self.assertEqual(
            request['json'],
            {
                'userId': AGENT,
                'campaignId': '101',
                'phone': '9740011223',
                'shouldAddCustomer': False,
                'additionalParams': {
                    'recordId': f'res.partner,{self.partner.id}',
                    'odooCallId': str(leg.id),
                },
            },
        )
        self.assertEqual(
            (leg.state, leg.direction, leg.dial_api, leg.partner_id, leg.campaign_id),
            ('dialing', 'outbound', 'token_async', self.partner, self.campaign),
        )
        self.assertEqual(
            (leg.dial_phone_stored, leg.dial_phone_sent), ('+91 97400 11223', '9740011223')
        )
        self.assertFalse(leg.crt_object_id)
        self.assertEqual(leg.phase, 'dialing')

    def test_token_sync_form_and_agent_state(self):
        self.server.dial_api = 'token_sync'
        self.assertEqual(self.dial()['type'], 'success')
        [request] = self.sim.requests_for('command=clickToDialWithToken')
        self.assertEqual(json.loads(request['form']['data'])['phone'], '9740011223')
        # the synchronous API dialed before answering
        self.assertEqual(self.sim.agent_state(AGENT), 'in_call')

    def test_manualdial_with_the_agent_session(self):
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a)
        # the campaign's table is keyed on customerCode: the lines a campaign of 19.0.1.6.0 gets
        # (migration)
        self.sim.add_campaign('101', 'Test Campaign', customer_key='customerCode')
        self.campaign.write(
            {
                'dial_customer_key': 'customerCode',
                'record_field_ids': [
                    Command.create({'ameyo_key': 'customerCode', 'source': 'dialed_number'}),
                    Command.create(
                        {
                            'ameyo_key': 'name',
                            'partner_field_id': self.field('res.partner', 'complete_name'),
                            'lead_field_id': self.field('crm.lead', 'name'),
                        }
                    ),
                ],
            }
        )
        self.assertEqual(self.dial()['type'], 'success')
        [request] = self.sim.requests_for('/voice/manualdial')
        self.assertEqual(request['headers']['sessionId'], self.session_a)
        [leg] = self.attempts()
        body = request['json']
        self.assertEqual(
            (body['campaignId'], body['phone'], body['requestId']),
            (101, '9740011223', leg.dial_request_id),
        )
        self.assertLessEqual(len(leg.dial_request_id), 21)
        self.assertEqual(
            body['customerRecord'], {'customerCode': '9740011223', 'name': 'Meera Iyer'}
        )
        self.assertEqual(
            [(entry['api'], entry['customerRecord']) for entry in self.sim.customer_records()],
            [('manualdial', {'customerCode': '9740011223', 'name': 'Meera Iyer'})],
        )
        self.assertEqual(leg.dial_api, 'manualdial')
        # Ameyo's answer named the call: the pop will find the attempt by it
        [sim_call] = [call for call in self.sim.calls() if call['userId'] == AGENT]
        self.assertEqual(leg.crt_object_id, sim_call['crtObjectId'])
        self.assertEqual(self.sim.agent_state(AGENT), 'in_call')

    def test_manualdial_needs_a_known_session(self):
        self.server.dial_api = 'manualdial'
        self.assertRefused(self.dial(), 'warning', 'no live Ameyo session')
        self.assertFalse(self.attempts())

    def test_dead_session_is_ameyos_refusal(self):
        self.server._ameyo_record_agent_session(self.agent_a, self.session_a)
        self.sim.logout(self.session_a)
        params = self.dial()
        self.assertRefused(params, 'danger', dialed=True)
        [leg] = self.attempts()
        self.assertEqual(leg.state, 'dial_failed')
        self.assertIn('invalid.session.id', leg.dial_error)
        # the dead session is forgotten
        self.assertFalse(self.server._ameyo_agent_session(self.agent_a))

    def test_number_formats(self):
        self.server.dial_api = 'token_sync'
        cases = [
            ('national', False, '9740011223'),
            ('national', '0', '09740011223'),
            ('e164', False, '919740011223'),
            ('e164_plus', False, '+919740011223'),
        ]
        for number_format, prefix, expected in cases:
            with self.subTest(number_format=number_format, prefix=prefix):
                self.sim.reset()
                self.sim.add_campaign('101', 'Test Campaign')
                self.sim.add_agent(AGENT, campaigns=('101',))
                self.server.write({'dial_number_format': number_format, 'dial_prefix': prefix})
                self.assertEqual(self.dial()['type'], 'success')
                [request] = self.sim.requests_for('clickToDialWithToken')
                self.assertEqual(json.loads(request['form']['data'])['phone'], expected)
                leg = self.attempts()[0]
                self.assertEqual(
                    (leg.dial_phone_stored, leg.dial_phone_sent), ('+91 97400 11223', expected)
                )

    def test_number_read_in_the_records_country(self):
        """Bare national digits are read in the lead's country, then its contact's, then the
        company's."""
        self.server.write({'dial_api': 'token_sync', 'dial_number_format': 'e164_plus'})
        belgium = self.env.ref('base.be')
        lead = self.env['crm.lead'].create(
            {
                'name': 'Brussels deal',
                'phone': '0485 11 22 33',
                'country_id': belgium.id,
                'user_id': self.agent_a.id,
            }
        )
        self.assertEqual(self.dial(lead)['type'], 'success')
        self.assertEqual(self.attempts().dial_phone_sent, '+32485112233')
        self.assertEqual(self.attempts().lead_id, lead)


class TestDialRefusals(DialCase):
    def test_user_without_ameyo_mapping(self):
        seller = new_test_user(self.env, login='t_seller', groups='sales_team.group_sale_salesman')
        self.assertRefused(self.dial(user=seller), 'danger', 'Ameyo user ID')

    def test_empty_and_invalid_numbers(self):
        self.partner.phone = False
        self.assertRefused(self.dial(), 'warning', 'no Phone number')
        self.partner.phone = 'call the office'
        self.assertRefused(self.dial(), 'warning', 'is not a phone number')
        self.assertRefused(self.dial(phone_field='email'), 'danger', 'not a phone number field')
        self.assertRefused(
            self.dial(phone_field='no_such_field'), 'danger', 'not a phone number field'
        )
        self.assertFalse(self.attempts())

    def test_do_not_call(self):
        self.partner.ameyo_do_not_call = True
        self.assertRefused(self.dial(), 'warning', 'Do not call')
        lead = self.env['crm.lead'].create(
            {'name': 'Deal', 'partner_id': self.partner.id, 'user_id': self.agent_a.id}
        )
        self.assertRefused(self.dial(lead), 'warning', 'Do not call')
        # a record the user may not read: refused as such, nothing read from it
        lead.user_id = self.supervisor
        self.assertRefused(self.dial(lead), 'danger', 'You cannot read this record')
        lead.user_id = self.agent_a
        self.assertRefused(self.dial(lead), 'warning', 'Do not call')

    def test_do_not_call_is_set_by_supervisors(self):
        with self.assertRaises(AccessError):
            self.partner.with_user(self.agent_a).ameyo_do_not_call = True
        self.partner.with_user(self.supervisor).ameyo_do_not_call = True
        self.assertTrue(self.partner.ameyo_do_not_call)

    def test_no_campaign(self):
        self.agent_a.ameyo_default_campaign_id = False
        self.env['ameyo.campaign'].create(
            {'server_id': self.server.id, 'ameyo_campaign_id': '102', 'name': 'Other Campaign'}
        )
        self.assertRefused(self.dial(), 'warning', 'No Ameyo campaign')

    def test_the_only_campaign(self):
        self.agent_a.ameyo_default_campaign_id = False
        self.server.dial_api = 'token_sync'
        self.env['ameyo.server'].search([('id', '!=', self.server.id)]).active = False  # the demo's
        self.assertEqual(self.dial()['type'], 'success')

    def test_calling_hours_in_the_customers_time_zone(self):
        local = datetime.now(pytz.utc).astimezone(pytz.timezone('Asia/Kolkata'))
        hour = local.hour + local.minute / 60
        self.campaign.write({'dial_hour_from': (hour + 1) % 24, 'dial_hour_to': (hour + 2) % 24})
        self.assertRefused(self.dial(), 'warning', 'outside the calling hours', 'Asia/Kolkata')
        # the window around now: dialed (a window across midnight included)
        self.campaign.write({'dial_hour_from': (hour + 23) % 24, 'dial_hour_to': (hour + 1) % 24})
        self.server.dial_api = 'token_sync'
        self.assertEqual(self.dial()['type'], 'success')

    def test_calling_hours_from_the_numbers_area_without_a_time_zone(self):
        self.partner.tz = False
        local = datetime.now(pytz.utc).astimezone(pytz.timezone('Asia/Kolkata'))
        hour = local.hour + local.minute / 60
        self.campaign.write({'dial_hour_from': (hour + 1) % 24, 'dial_hour_to': (hour + 2) % 24})
        # the zone of the number's country (Asia/Calcutta is only the area's name for it)
        self.assertRefused(self.dial(), 'warning', 'Asia/Kolkata')

    def test_phone_blacklist_when_the_company_says_so(self):
        self.env['phone.blacklist'].sudo().add('+919740011223')
        self.server.dial_api = 'token_sync'
        self.assertEqual(self.dial()['type'], 'success')  # off by default
        self.sim.hangup(self.sim.calls()[-1])
        self.env.company.ameyo_dial_honour_blacklist = True
        self.assertRefused(self.dial(), 'warning', 'opt-out list', dialed=True)

    def test_busy_agent_is_offered_to_dispose_first(self):
        self.create_leg('crt-live', self.agent_a, 'ucrt-live', connected_at=fields.Datetime.now())
        params = self.dial()
        self.assertRefused(params, 'warning', 'You are on a call')
        self.assertEqual(params['next']['res_model'], 'ameyo.dispose.wizard')

    def test_ameyo_refusals(self):
        self.server.dial_api = 'token_sync'
        self.sim.start_call(AGENT, '101', '9999999999')  # Ameyo knows they are busy, Odoo does not
        params = self.dial()
        self.assertRefused(params, 'danger', 'User is not in ready state', dialed=True)
        leg = self.attempts()
        self.assertEqual((leg.state, leg.phase), ('dial_failed', 'closed'))
        self.assertIn('User is not in ready state', leg.dial_error)
        self.sim.reset()
        self.sim.add_campaign('101', 'Test Campaign')
        self.sim.add_agent(AGENT, campaigns=('102',))
        self.assertRefused(
            self.dial(), 'danger', 'User is not assigned to campaign 101', dialed=True
        )
        self.sim.logout(self.sim.state()['agents'][-1]['sessions'][0])
        self.assertRefused(self.dial(), 'danger', 'User is not logged in', dialed=True)

    def test_wrong_token_and_unreachable(self):
        self.server.sudo().hash_key = 'not-the-key'
        self.assertRefused(self.dial(), 'danger', 'rejected the credentials', dialed=True)
        self.server.base_url = 'http://127.0.0.1:1'
        self.assertRefused(self.dial(), 'danger', 'unreachable', dialed=True)
        self.assertEqual(set(self.attempts().mapped('state')), {'dial_failed'})

    def test_unknown_outcome_leaves_the_attempt_open(self):
        self.sim.inject('clickToDialWithTokenAsync', status=504, carry_out=True)
        params = self.dial()
        self.assertEqual(params['type'], 'warning')
        self.assertIn('Watch your Ameyo client', params['message'])
        leg = self.attempts()
        self.assertEqual(leg.state, 'dialing')  # a pop may still adopt it


class TestDialPop(DialCase):
    def pop(self, call, event='customer'):
        params = self.sim.lifecycle_params(call, event)
        leg = self.env['ameyo.call']._ameyo_register_leg(self.server, params, event, self.agent_a)
        return leg, leg.with_user(self.agent_a)._ameyo_resolve_pop()

    def test_the_pop_adopts_the_attempt_and_opens_the_dialed_record(self):
        self.server.dial_api = 'token_sync'
        # another contact shares the number: the pop still opens the one dialed
        self.env['res.partner'].create({'name': 'Meera (office)', 'phone': '09740011223'})
        self.assertEqual(self.dial()['type'], 'success')
        attempt = self.attempts()
        self.assertFalse(self.env['ameyo.call'].with_user(self.agent_a).get_current_call())
        [call] = [call for call in self.sim.calls() if call['userId'] == AGENT]
        leg, (outcome, record) = self.pop(call)
        self.assertEqual(leg, attempt)
        self.assertEqual(
            (leg.state, leg.crt_object_id, leg.user_crt_object_id, leg.direction),
            ('connected', call['crtObjectId'], call['userCrtObjectId'], 'outbound'),
        )
        self.assertEqual((outcome, record), ('open', self.partner))
        self.assertEqual(
            self.env['ameyo.call'].search_count([('user_id', '=', self.agent_a.id)]), 1
        )
        self.assertEqual(
            self.env['ameyo.call'].with_user(self.agent_a).get_current_call()['id'], leg.id
        )

    def test_dial_attempts_are_not_calls(self):
        """The banner and the dispose rule about the agent's next pop ignore attempts no pop
        adopted."""
        live = self.create_leg('crt-earlier', self.agent_a, 'ucrt-earlier', state='dispose_pending')
        self.server.dial_api = 'token_async'
        self.sim.inject(
            'clickToDialWithTokenAsync', status=200, body='{"result": "failed", "reason": "x"}'
        )
        self.dial()
        self.assertEqual(self.attempts().state, 'dial_failed')
        self.assertFalse(live._ameyo_has_newer_pop())
        self.assertEqual(
            self.env['ameyo.call'].search([('phase', '=', 'dialing')]), self.env['ameyo.call']
        )

    def test_an_old_attempt_is_not_adopted_and_ends_failed(self):
        self.server.dial_api = 'token_sync'
        self.dial()
        attempt = self.attempts()
        attempt.dial_requested_at = fields.Datetime.now() - DIAL_ADOPT_WINDOW - timedelta(seconds=1)
        self.env['ameyo.call']._cron_expire_dial_attempts()
        self.assertEqual(attempt.state, 'dial_failed')
        self.assertIn('Not answered or not placed', attempt.dial_error)
        [call] = [call for call in self.sim.calls() if call['userId'] == AGENT]
        leg, _outcome = self.pop(call)
        self.assertNotEqual(leg, attempt)
        self.assertEqual(leg.direction, 'outbound')  # Ameyo's callType outbound.manual.dial


class TestDirectionMigration(DialCase):
    def test_existing_legs_become_inbound(self):
        path = os.path.join(
            os.path.dirname(__file__), '..', 'migrations', '19.0.1.2.0', 'pre-dial-direction.py'
        )
        spec = importlib.util.spec_from_file_location('crm_ameyo_pre_dial_direction', path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        leg = self.create_leg('crt-old', self.agent_a, 'ucrt-old')
        self.env.flush_all()
        self.env.cr.execute("ALTER TABLE ameyo_call ALTER COLUMN direction DROP NOT NULL")
        self.env.cr.execute("UPDATE ameyo_call SET direction = NULL WHERE id = %s", [leg.id])
        migration.migrate(self.env.cr, '19.0.1.1.0')
        self.env.cr.execute("SELECT direction FROM ameyo_call WHERE id = %s", [leg.id])
        self.assertEqual(self.env.cr.fetchone()[0], 'inbound')

"""Click-to-dial's customerRecord (the customer's record in the campaign's customer table, read as
the dialing user) and the campaign a dial goes to (default, latest call, the only one), against the
simulator."""

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import CREDENTIALS, run_migration
from .test_dial import AGENT, DialCase
from .test_dial_http import DialHttpCase


class CustomerRecordCase(DialCase):
    def setUp(self):
        super().setUp()
        self.server.dial_api = 'token_async'
        self.fresh_simulator()
        self.partner.write({'ref': 'C-0042', 'city': 'Pune', 'country_id': self.india.id})

    def fresh_simulator(self):
        """Ameyo's table of campaign 101 is keyed on customerCode (a dial without a value for it is
        refused); its agent is ready (an asynchronous dial keeps them busy)."""
        self.sim.reset()
        self.sim.add_campaign('101', 'Test Campaign', customer_key='customerCode')
        self.sim.add_agent(AGENT, campaigns=('101',))

    def map_fields(self, campaign=None, key='customerCode', **lines):
        """The campaign's Customer Record: ``lines`` maps an Ameyo field to 'dialed', or to (contact
        field, lead field) names (either False)."""
        commands = [Command.clear()]
        for ameyo_key, source in lines.items():
            if source == 'dialed':
                commands.append(Command.create({'ameyo_key': ameyo_key, 'source': 'dialed_number'}))
                continue
            partner_field, lead_field = source
            commands.append(
                Command.create(
                    {
                        'ameyo_key': ameyo_key,
                        'partner_field_id': partner_field
                        and self.field('res.partner', partner_field),
                        'lead_field_id': lead_field and self.field('crm.lead', lead_field),
                    }
                )
            )
        (campaign or self.campaign).write(
            {'dial_customer_key': False, 'record_field_ids': commands}
        )
        (campaign or self.campaign).dial_customer_key = key

    def sent_records(self):
        """The customerRecord of each dial the simulator accepted, and of each request it
        received."""
        received = [
            request['json'].get('customerRecord')
            for request in self.sim.requests_for('clickToDialWithTokenAsync')
        ]
        return [entry['customerRecord'] for entry in self.sim.customer_records()], received


class TestCustomerRecord(CustomerRecordCase):
    def test_the_contacts_fields_as_strings(self):
        self.map_fields(
            customerCode=('ref', False),
            phone1='dialed',
            name=('complete_name', 'name'),
            city=('city', False),
            country=('country_id', False),
            company=('is_company', False),
            notes=('function', False),
        )
        params = self.dial()
        self.assertEqual(params['type'], 'success', params['message'])
        expected = {
            'customerCode': 'C-0042',
            'phone1': '9740011223',
            'name': 'Meera Iyer',
            'city': 'Pune',
            'country': 'India',
            'company': 'false',
            'notes': '',
        }
        self.assertEqual(self.sent_records(), ([expected], [expected]))
        self.assertEqual(self.attempts().state, 'dialing')

    def test_a_lead_reads_its_own_fields_then_its_contacts(self):
        self.map_fields(
            customerCode=('ref', False),
            name=('complete_name', 'name'),
            deadline=(False, 'date_deadline'),
            revenue=(False, 'expected_revenue'),
            priority=(False, 'priority'),
            contact=(False, 'partner_id'),
            city=('city', 'city'),
        )
        lead = self.env['crm.lead'].create(
            {
                'name': 'Solar panels',
                'partner_id': self.partner.id,
                'phone': '+91 97400 11223',
                'user_id': self.agent_a.id,
                'date_deadline': '2026-12-31',
                'expected_revenue': 12500,
                'priority': '2',
            }
        )
        lead.city = False  # the lead's empty city: its contact's
        self.assertEqual(self.dial(lead)['type'], 'success')
        self.assertEqual(
            self.sent_records()[0],
            [
                {
                    'customerCode': 'C-0042',
                    'name': 'Solar panels',
                    'deadline': '2026-12-31',
                    'revenue': '12500.0',
                    'priority': '2',
                    'contact': 'Meera Iyer',
                    'city': 'Pune',
                }
            ],
        )

    def test_an_empty_key_is_refused_before_anything_is_sent(self):
        self.map_fields(customerCode=('ref', False), name=('complete_name', 'name'))
        self.partner.ref = False
        params = self.dial()
        self.assertRefused(
            params, 'warning', 'Meera Iyer has no value for customerCode', 'campaign Test Campaign'
        )
        self.assertFalse(self.attempts())

    def test_the_key_may_be_the_number_as_dialed(self):
        self.map_fields(key='phone1', phone1='dialed', name=('complete_name', 'name'))
        self.sim.add_campaign('101', 'Test Campaign', customer_key='phone1')
        self.assertEqual(self.dial()['type'], 'success')
        self.assertEqual(self.sent_records()[0], [{'phone1': '9740011223', 'name': 'Meera Iyer'}])

    def test_without_lines_ameyo_refuses_a_campaign_keyed_on_another_field(self):
        """The simulator checks the key as Ameyo does: without the campaign's lines, its refusal is
        the message."""
        params = self.dial()
        self.assertRefused(
            params, 'danger', 'customerRecord has no value for customerCode', dialed=True
        )
        self.assertEqual(self.attempts().state, 'dial_failed')
        self.assertEqual(self.sent_records(), ([], [None]))

    def test_a_field_the_user_may_not_read_is_a_message(self):
        """Read as the dialing user: a lead's contact of a company the agent is not in cannot be
        read."""
        self.map_fields(customerCode=('ref', False))
        lead = self.env['crm.lead'].create(
            {
                'name': 'Export deal',
                'partner_id': self.partner.id,
                'phone': '+91 97400 11223',
                'user_id': self.agent_a.id,
            }
        )
        other = self.env['res.company'].create({'name': 'Other Company'})
        self.partner.company_id = other
        self.assertNotIn(other, self.agent_a.company_ids)
        params = self.dial(lead)
        self.assertRefused(
            params, 'warning', 'You may not read Reference of Meera Iyer', 'customerCode'
        )
        self.assertNotIn('C-0042', params['message'])
        self.assertFalse(self.attempts())
        # the same field of a contact the agent reads is sent
        self.partner.company_id = False
        self.assertEqual(self.dial(lead)['type'], 'success')
        self.assertEqual(self.sent_records()[0], [{'customerCode': 'C-0042'}])

    def test_a_field_of_a_group_the_user_is_not_in_is_a_message(self):
        # auth_signup's, settings only
        self.map_fields(customerCode=('ref', False), token=('signup_type', False))
        self.partner.sudo().signup_type = 'signup'
        self.partner.invalidate_recordset()
        self.partner.sudo().read(['signup_type'])  # in the transaction's cache: still checked
        params = self.dial()
        self.assertRefused(
            params, 'warning', 'You may not read Signup Token Type of Meera Iyer', 'token'
        )
        self.assertNotIn('signup', params['message'].replace('Signup Token Type', ''))
        self.assertFalse(self.attempts())


class TestCustomerRecordConfiguration(CustomerRecordCase):
    def test_lines_are_checked(self):
        Line = self.env['ameyo.campaign.record.field']
        line = {
            'campaign_id': self.campaign.id,
            'ameyo_key': 'customerCode',
            'partner_field_id': self.field('res.partner', 'ref'),
        }
        with self.assertRaises(ValidationError):
            Line.create(dict(line, ameyo_key='customer code'))  # not an Ameyo identifier
        with self.assertRaises(ValidationError):
            # not a scalar
            Line.create(dict(line, partner_field_id=self.field('res.partner', 'child_ids')))
        with self.assertRaises(ValidationError):
            # another model's
            Line.create(dict(line, partner_field_id=self.field('crm.lead', 'name')))
        with self.assertRaises(ValidationError):
            Line.create(dict(line, partner_field_id=False))  # read from nothing
        with self.assertRaises(ValidationError):
            self.campaign.dial_customer_key = 'customerCode'  # a key no line sends
        key_line = Line.create(line)
        self.campaign.dial_customer_key = 'customerCode'
        self.assertTrue(key_line.is_key)
        with self.assertRaises(ValidationError):
            key_line.unlink()
        with self.assertRaises(ValidationError):
            key_line.ameyo_key = 'code'

    def test_a_copied_campaign_keeps_its_customer_record(self):
        self.map_fields(customerCode=('ref', False), phone1='dialed')
        copy = self.campaign.copy({'ameyo_campaign_id': '150'})
        self.assertEqual(copy.record_field_ids.mapped('ameyo_key'), ['customerCode', 'phone1'])
        self.assertEqual(copy.record_field_ids.filtered('is_key').ameyo_key, 'customerCode')
        self.assertEqual(len(self.campaign.record_field_ids), 2)

    def test_managers_configure_agents_read(self):
        self.map_fields(customerCode=('ref', False))
        lines = self.campaign.record_field_ids
        self.assertEqual(
            lines.with_user(self.agent_a).read(['ameyo_key'])[0]['ameyo_key'], 'customerCode'
        )
        with self.assertRaises(AccessError):
            lines.with_user(self.agent_a).write({'ameyo_key': 'other'})
        form_values = self.campaign.with_user(self.manager).web_read(
            {
                'record_field_ids': {
                    'fields': {
                        'ameyo_key': {},
                        'partner_field_id': {'fields': {'display_name': {}}},
                    }
                }
            }
        )
        self.assertEqual(
            form_values[0]['record_field_ids'][0]['partner_field_id']['display_name'],
            'Reference (Contact)',
        )
        self.campaign.with_user(self.manager).write(
            {
                'record_field_ids': [
                    Command.create(
                        {'ameyo_key': 'name', 'partner_field_id': self.field('res.partner', 'name')}
                    )
                ]
            }
        )
        self.assertEqual(len(self.campaign.record_field_ids), 2)

    def test_migration_keeps_what_a_keyed_campaign_sent(self):
        """19.0.1.6.0 sent {key: the number as dialed, name: the record's name}: the migration's
        lines send it."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE ameyo_campaign SET dial_customer_key = %s WHERE id = %s",
            ['customerCode', self.campaign.id],
        )
        bad = self.env['ameyo.campaign'].create(
            {'server_id': self.server.id, 'ameyo_campaign_id': '109', 'name': 'Bad Key'}
        )
        self.env.cr.execute(
            "UPDATE ameyo_campaign SET dial_customer_key = 'customer code' WHERE id = %s", [bad.id]
        )
        self.env.invalidate_all()
        with self.assertLogs('crm_ameyo_post_customer_record', 'WARNING') as logged:
            run_migration(self.env.cr, '19.0.1.7.0', 'post-customer-record', '19.0.1.6.0')
            # twice: no second lines
            run_migration(self.env.cr, '19.0.1.7.0', 'post-customer-record', '19.0.1.6.0')
        self.assertIn("'customer code' is no Ameyo field name", logged.output[0])
        self.env.invalidate_all()
        self.assertEqual(
            [(line.ameyo_key, line.source, line.is_key) for line in self.campaign.record_field_ids],
            [('customerCode', 'dialed_number', True), ('name', 'record', False)],
        )
        self.assertFalse(bad.record_field_ids)
        self.assertEqual(self.dial()['type'], 'success')
        self.assertEqual(
            self.sent_records()[0], [{'customerCode': '9740011223', 'name': 'Meera Iyer'}]
        )
        self.fresh_simulator()
        lead = self.env['crm.lead'].create(
            {
                'name': 'Solar panels',
                'partner_id': self.partner.id,
                'phone': '+91 97400 11223',
                'user_id': self.agent_a.id,
            }
        )
        self.assertEqual(self.dial(lead)['type'], 'success')
        self.assertEqual(
            self.sent_records()[0], [{'customerCode': '9740011223', 'name': 'Solar panels'}]
        )


class TestDialCampaign(DialCase):
    """Which campaign a dial goes to: the user's default; else their latest call's; else their
    company's only one."""

    def setUp(self):
        super().setUp()
        self.server.dial_api = 'token_async'
        self.agent_a.ameyo_default_campaign_id = False
        self.other = self.env['ameyo.campaign'].create(
            {'server_id': self.server.id, 'ameyo_campaign_id': '102', 'name': 'Other Campaign'}
        )
        self.sim.add_agent(AGENT, campaigns=('101', '102'))

    def ended_leg(self, campaign, **values):
        return self.create_leg(
            self.new_crt(),
            self.agent_a,
            campaign_id=campaign.id,
            server_id=campaign.server_id.id,
            state='disposed',
            **values,
        )

    def dialed_campaign(self, params):
        self.assertEqual(params['type'], 'success', params['message'])
        [request] = self.sim.requests_for('clickToDialWithTokenAsync')
        return request['json']['campaignId'], params['message']

    def test_the_default_campaign_first(self):
        self.ended_leg(self.other)
        self.agent_a.ameyo_default_campaign_id = self.campaign
        campaign_id, message = self.dialed_campaign(self.dial())
        self.assertEqual(campaign_id, '101')
        self.assertIn('in campaign Test Campaign [101]', message)

    def test_the_campaign_of_the_latest_call(self):
        self.ended_leg(self.campaign)
        self.ended_leg(self.other)
        campaign_id, message = self.dialed_campaign(self.dial())
        self.assertEqual(campaign_id, '102')
        self.assertIn('Dial request sent to Ameyo in campaign Other Campaign [102]', message)
        self.assertEqual(self.attempts().campaign_id, self.other)

    def test_dial_attempts_are_not_calls(self):
        self.ended_leg(self.other)
        self.create_leg(False, self.agent_a, campaign_id=self.campaign.id, state='dial_failed')
        self.assertEqual(self.dialed_campaign(self.dial())[0], '102')

    def test_a_latest_call_on_an_archived_campaign_or_server_is_skipped(self):
        self.ended_leg(self.campaign)
        self.ended_leg(self.other)
        self.other.active = False
        self.assertEqual(self.dialed_campaign(self.dial())[0], '101')
        # a later call on a campaign of an archived server: skipped too
        server = self.env['ameyo.server'].create(
            {'name': 'Closed Ameyo', 'base_url': 'http://127.0.0.1:2/', **CREDENTIALS}
        )
        closed = self.env['ameyo.campaign'].create(
            {'server_id': server.id, 'ameyo_campaign_id': '103', 'name': 'Closed Campaign'}
        )
        self.ended_leg(closed)
        server.active = False
        self.sim.reset()
        self.sim.add_campaign('101', 'Test Campaign')
        self.sim.add_agent(AGENT, campaigns=('101',))
        self.assertEqual(self.dialed_campaign(self.dial())[0], '101')

    def test_a_latest_call_of_another_company_is_skipped(self):
        company, _agent = self.create_other_company_agent(
            'Far Company', 't_far_agent', 't.far@acme'
        )
        server = self.env['ameyo.server'].create(
            {
                'name': 'Far Ameyo',
                'base_url': 'http://127.0.0.1:3/',
                'company_id': company.id,
                **CREDENTIALS,
            }
        )
        far = self.env['ameyo.campaign'].create(
            {'server_id': server.id, 'ameyo_campaign_id': '104', 'name': 'Far Campaign'}
        )
        self.ended_leg(far)
        self.assertRefused(self.dial(), 'warning', 'No Ameyo campaign to dial in')

    def test_without_any_the_only_campaign_or_none(self):
        self.env['ameyo.server'].search([('id', '!=', self.server.id)]).active = False  # the demo's
        self.assertRefused(self.dial(), 'warning', 'No Ameyo campaign to dial in')
        self.other.active = False
        campaign_id, message = self.dialed_campaign(self.dial())
        self.assertEqual(campaign_id, '101')
        self.assertIn('in campaign Test Campaign [101]', message)


@tagged('post_install', '-at_install')
class TestCustomerRecordRpc(DialHttpCase):
    """The Dial button's RPC, as the web client sends it: the simulator receives the customerRecord
    through clickToDialWithTokenAsync, with the token headers, and the pop of the call it places
    adopts the attempt."""

    def test_dial_sends_the_customer_record(self):
        fields_ = self.env['ir.model.fields']
        self.campaign.write(
            {
                'record_field_ids': [
                    Command.create(
                        {
                            'ameyo_key': 'customerCode',
                            'partner_field_id': fields_._get('res.partner', 'ref').id,
                        }
                    ),
                    Command.create({'ameyo_key': 'phone1', 'source': 'dialed_number'}),
                ]
            }
        )
        self.campaign.dial_customer_key = 'customerCode'
        self.partner.ref = 'K-77'
        self.sim.add_campaign('801', 'Dial Campaign', customer_key='customerCode')
        self.sim.set_crm(self.base_url(), sso_url=self.base_url() + '/ameyo/sso', ring=0.2)
        answer = self._call_kw(
            'res.partner',
            'action_ameyo_dial',
            [[self.partner.id]],
            self._login_cookies('h_dialer'),
            kwargs={'phone_field': 'phone'},
        )
        self.assertEqual(answer['result']['params']['type'], 'success', answer)
        self.assertIn('in campaign Dial Campaign [801]', answer['result']['params']['message'])
        [request] = self.sim.requests_for('clickToDialWithTokenAsync')
        self.assertEqual(request['headers']['hash-key'], 'dial-hash-key')
        self.assertEqual(
            request['json']['customerRecord'], {'customerCode': 'K-77', 'phone1': '9845012345'}
        )
        self.assertEqual(
            self.sim.customer_records(),
            [
                {
                    'api': 'clickToDialWithTokenAsync',
                    'userId': 'h.dialer@acme',
                    'campaignId': '801',
                    'phone': '9845012345',
                    'customerRecord': {'customerCode': 'K-77', 'phone1': '9845012345'},
                }
            ],
        )
        [thrown] = self.wait_for_throws(1)
        self.assertEqual(thrown['status'], 303, thrown)
        attempt = self.env['ameyo.call'].search([('user_id', '=', self.dialer.id)])
        self.assertEqual((attempt.state, attempt.partner_id), ('connected', self.partner))

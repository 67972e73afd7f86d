from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tools import mute_logger

from .common import AmeyoTransactionCase, create_call_leg


class TestAmeyoConstraints(AmeyoTransactionCase):
    def assertUniqueViolation(self, create, message_part):
        with (
            mute_logger('odoo.sql_db'),
            self.assertRaises(IntegrityError) as caught,
            self.env.cr.savepoint(),
        ):
            create()
            self.env.flush_all()
        self.assertIn(message_part, str(caught.exception))

    def test_agent_leg_unique(self):
        self.create_leg('CRT-1', self.agent_a, 'UCRT-1')
        self.assertUniqueViolation(
            lambda: self.create_leg('CRT-1', self.agent_a, 'UCRT-1'), 'ameyo_call'
        )
        # a transfer: same customer leg, another agent leg
        self.create_leg('CRT-1', self.agent_b, 'UCRT-2')
        self.assertEqual(self.env['ameyo.call'].search_count([('crt_object_id', '=', 'CRT-1')]), 2)

    def test_agent_leg_unique_when_empty(self):
        """An empty agent leg counts as a value: NULLs must not let duplicates in."""
        self.create_leg('CRT-2', self.agent_a)
        self.assertUniqueViolation(lambda: self.create_leg('CRT-2', self.agent_a), 'ameyo_call')
        self.assertUniqueViolation(lambda: self.create_leg('CRT-2', self.agent_a, ''), 'ameyo_call')

    def test_same_call_on_two_servers(self):
        other = self.server.copy({'name': 'Other', 'base_url': 'http://127.0.0.1:2'})
        self.create_leg('CRT-3', self.agent_a, 'U')
        create_call_leg(
            self.env,
            {
                'server_id': other.id,
                'crt_object_id': 'CRT-3',
                'user_crt_object_id': 'U',
                'user_id': self.agent_a.id,
            },
        )
        legs = self.env['ameyo.call'].search([('crt_object_id', '=', 'CRT-3')])
        self.assertEqual(legs.server_id, self.server | other)

    def test_ameyo_user_id_unique(self):
        self.assertUniqueViolation(
            lambda: self.agent_b.write({'ameyo_user_id': 't.agent-a@acme'}), 'res_users'
        )
        # Ameyo user ids are matched in any case: two that differ by case only would be ambiguous
        self.assertUniqueViolation(
            lambda: self.agent_b.write({'ameyo_user_id': 'T.Agent-A@ACME'}), 'res_users'
        )
        self.assertEqual(self.env['res.users']._ameyo_user_for('T.AGENT-A@acme'), self.agent_a)

    def test_ameyo_user_id_format(self):
        for bad in ('<script>', "a' OR 1=1 --", 'a b', 'x' * 129):
            with self.assertRaises(ValidationError), self.env.cr.savepoint():
                self.agent_b.ameyo_user_id = bad
        self.agent_b.ameyo_user_id = '  agent.b@acme  '
        self.assertEqual(self.agent_b.ameyo_user_id, 'agent.b@acme')

    def test_disposition_code_unique_per_campaign(self):
        self.assertUniqueViolation(
            lambda: self.env['ameyo.disposition'].create(
                {'campaign_id': self.campaign.id, 'code': 'Sale', 'name': 'Again'}
            ),
            'ameyo_disposition',
        )
        other = self.env['ameyo.campaign'].create(
            {'server_id': self.server.id, 'ameyo_campaign_id': '102', 'name': 'Other'}
        )
        self.env['ameyo.disposition'].create(
            {'campaign_id': other.id, 'code': 'Sale', 'name': 'Sale'}
        )

    def test_campaign_unique_per_server(self):
        self.assertUniqueViolation(
            lambda: self.env['ameyo.campaign'].create(
                {'server_id': self.server.id, 'ameyo_campaign_id': '101', 'name': 'Dup'}
            ),
            'ameyo_campaign',
        )

    def test_queue_unique_per_campaign(self):
        self.assertUniqueViolation(
            lambda: self.env['ameyo.queue'].create(
                {'campaign_id': self.campaign.id, 'ameyo_queue_id': '7', 'name': 'Dup'}
            ),
            'ameyo_queue',
        )

    def test_constraint_messages_are_clear(self):
        """The user sees the constraint's message, not PostgreSQL's."""
        self.create_leg('CRT-9', self.agent_a, 'U9')
        with (
            mute_logger('odoo.sql_db'),
            self.assertRaises(IntegrityError) as caught,
            self.env.cr.savepoint(),
        ):
            self.create_leg('CRT-9', self.agent_a, 'U9')
            self.env.flush_all()
        message = self.env['ameyo.call']._sql_error_to_message(caught.exception)
        self.assertIn('This agent leg of the call is already logged.', message)
        with (
            mute_logger('odoo.sql_db'),
            self.assertRaises(IntegrityError) as caught,
            self.env.cr.savepoint(),
        ):
            self.agent_b.write({'ameyo_user_id': 't.agent-a@acme'})
            self.env.flush_all()
        message = self.env['res.users']._sql_error_to_message(caught.exception)
        self.assertIn('This Ameyo user ID is already mapped to another Odoo user.', message)

    def test_server_validation(self):
        for url in ('ftp://ameyo', 'ameyo.example.com', 'https://ameyo.example.com/?x=1'):
            with self.assertRaises(ValidationError), self.env.cr.savepoint():
                self.server.base_url = url
        self.server.base_url = ' https://ameyo.example.com:8443/ '
        self.assertEqual(self.server.base_url, 'https://ameyo.example.com:8443')
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.server.frame_origins = 'https://ok.example.com\nhttps://bad.example.com/path'
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.server.write({'session_mode': 'none', 'url_token': False})
        with self.assertRaises(IntegrityError), mute_logger('odoo.sql_db'), self.env.cr.savepoint():
            self.server.timeout = 0
            self.env.flush_all()

    def test_campaign_id_format(self):
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.env['ameyo.campaign'].create(
                {'server_id': self.server.id, 'ameyo_campaign_id': '1;DROP TABLE', 'name': 'Bad'}
            )

from odoo import fields
from odoo.exceptions import AccessError

from .common import AmeyoTransactionCase, create_call_leg


class TestAmeyoAccess(AmeyoTransactionCase):
    def test_agent_cannot_read_server_secrets(self):
        server = self.server.with_user(self.agent_a)
        self.assertEqual(server.name, 'Test Ameyo')
        for secret in ('hash_key', 'dispose_token', 'admin_password', 'admin_user_id', 'url_token'):
            with self.assertRaises(AccessError, msg=secret):
                server.read([secret])
        self.assertNotIn('hash_key', server.fields_get())

    def test_manager_cannot_read_secrets_but_system_admin_can(self):
        with self.assertRaises(AccessError):
            self.server.with_user(self.manager).read(['hash_key'])
        admin = self.env.ref('base.user_admin')
        self.assertEqual(self.server.with_user(admin).hash_key, 'test-hash-key-SECRET')

    def test_agent_cannot_write_configuration(self):
        with self.assertRaises(AccessError):
            self.server.with_user(self.agent_a).write({'name': 'Mine'})
        with self.assertRaises(AccessError):
            self.campaign.with_user(self.agent_a).write({'dispose_mode': 'forced'})
        with self.assertRaises(AccessError):
            self.env['ameyo.disposition'].with_user(self.agent_a).create(
                {'campaign_id': self.campaign.id, 'code': 'X', 'name': 'X'}
            )
        with self.assertRaises(AccessError):
            self.campaign.with_user(self.supervisor).write({'name': 'Renamed'})
        self.campaign.with_user(self.manager).write({'name': 'Renamed'})

    def test_agent_sees_only_his_own_legs(self):
        leg_a = self.create_leg('CRT-A', self.agent_a, 'U-A')
        leg_b = self.create_leg('CRT-B', self.agent_b, 'U-B')
        Call = self.env['ameyo.call']
        self.assertEqual(
            Call.with_user(self.agent_a).search([('id', 'in', (leg_a | leg_b).ids)]), leg_a
        )
        with self.assertRaises(AccessError):
            leg_b.with_user(self.agent_a).read(['phone'])
        with self.assertRaises(AccessError):
            leg_b.with_user(self.agent_a).write({'notes': 'not mine'})
        with self.assertRaises(AccessError):
            leg_a.with_user(self.agent_a).unlink()

    def test_supervisor_sees_every_leg(self):
        legs = self.create_leg('CRT-A', self.agent_a, 'U-A') | self.create_leg(
            'CRT-B', self.agent_b, 'U-B'
        )
        self.assertEqual(
            self.env['ameyo.call'].with_user(self.supervisor).search([('id', 'in', legs.ids)]), legs
        )

    def test_agent_session_is_private(self):
        session = self.env['ameyo.agent.session'].create(
            {'user_id': self.agent_a.id, 'server_id': self.server.id, 'session_id': 'sess-SECRET'}
        )
        for user in (self.agent_a, self.supervisor, self.manager):
            with self.assertRaises(AccessError):
                session.with_user(user).read(['session_id'])

    def test_recordings_for_supervisors(self):
        leg = self.create_leg(
            'CRT-R', self.agent_a, 'U-R', state='disposed', connected_at=fields.Datetime.now()
        )
        # the agent reads their leg's recording, not who listened
        self.env.company.ameyo_agents_replay = True
        # who listened is for supervisors (playing itself: test_recording_access)
        with self.assertRaises(AccessError):
            leg.recording_id.with_user(self.agent_a).read(['access_ids'])
        leg.recording_id.with_user(self.agent_a).read(['state'])
        leg.recording_id.with_user(self.supervisor).read(['access_ids', 'state', 'keep'])
        leg.with_user(self.supervisor).read(['recording_id', 'recording_state', 'recording_url'])

    def test_multi_company(self):
        other_company = self.env['res.company'].create({'name': 'Other Co'})
        other_server = self.env['ameyo.server'].create(
            {'name': 'Other', 'base_url': 'http://127.0.0.1:3', 'company_id': other_company.id}
        )
        other_campaign = self.env['ameyo.campaign'].create(
            {'server_id': other_server.id, 'ameyo_campaign_id': '1', 'name': 'Theirs'}
        )
        leg = create_call_leg(
            self.env,
            {'server_id': other_server.id, 'crt_object_id': 'X', 'user_id': self.supervisor.id},
        )
        self.assertEqual(other_campaign.company_id, other_company)
        supervisor = self.supervisor.with_user(self.supervisor)
        self.assertFalse(supervisor.env['ameyo.server'].search([('id', '=', other_server.id)]))
        self.assertFalse(supervisor.env['ameyo.campaign'].search([('id', '=', other_campaign.id)]))
        self.assertFalse(supervisor.env['ameyo.call'].search([('id', '=', leg.id)]))

    def test_secrets_not_copied(self):
        copy = self.server.copy()
        self.assertFalse(copy.hash_key)
        self.assertFalse(copy.dispose_token)
        self.assertFalse(copy.admin_password)

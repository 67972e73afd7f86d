from odoo.tests import TransactionCase, new_test_user


class AmeyoCommon:
    """Fixtures of our own (demo data may or may not be installed): one server, one
    campaign with a disposition plan and a queue, two agents and a supervisor."""

    @classmethod
    def setup_ameyo_fixtures(cls):
        env = cls.env
        cls.server = env['ameyo.server'].create({
            'name': 'Test Ameyo',
            'base_url': 'http://127.0.0.1:1/',
            'hash_key': 'test-hash-key-SECRET',
            'requesting_host': 'odoo.test',
            'dispose_token': 'test-dispose-token-SECRET',
            'admin_user_id': 'admin',
            'admin_password': 'admin-password-SECRET',
        })
        cls.campaign = env['ameyo.campaign'].create({
            'server_id': cls.server.id,
            'ameyo_campaign_id': '101',
            'name': 'Test Campaign',
        })
        cls.disposition = env['ameyo.disposition'].create({
            'campaign_id': cls.campaign.id, 'code': 'Sale', 'name': 'Sale', 'outcome': 'positive',
        })
        cls.queue = env['ameyo.queue'].create({
            'campaign_id': cls.campaign.id, 'ameyo_queue_id': '7', 'name': 'Test Queue',
        })
        agent_groups = 'crm_ameyo.group_ameyo_agent,sales_team.group_sale_salesman'
        cls.agent_a = new_test_user(env, login='t_agent_a', groups=agent_groups, ameyo_user_id='t.agent-a@acme')
        cls.agent_b = new_test_user(env, login='t_agent_b', groups=agent_groups, ameyo_user_id='t.agent-b@acme')
        cls.supervisor = new_test_user(env, login='t_supervisor',
                                       groups='crm_ameyo.group_ameyo_supervisor,sales_team.group_sale_salesman')
        cls.manager = new_test_user(env, login='t_manager', groups='crm_ameyo.group_ameyo_manager')

    @classmethod
    def create_leg(cls, crt_object_id, user, user_crt_object_id=None, **vals):
        return cls.env['ameyo.call'].create({
            'server_id': cls.server.id,
            'crt_object_id': crt_object_id,
            'user_crt_object_id': user_crt_object_id,
            'campaign_id': cls.campaign.id,
            'user_id': user.id,
            'phone': '+919876543210',
            **vals,
        })


class AmeyoTransactionCase(AmeyoCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_ameyo_fixtures()

"""A second Ameyo server: the plain URLs pasted in the first server's Ameyo keep opening its calls
after the second one's Sync Campaigns creates the same campaign IDs; the sync says so; the second
server's form gives the URLs naming it; campaign names say their server. Through Odoo's HTTP server,
against the simulator."""

from lxml import etree

from odoo.tests import tagged

from .common import CREDENTIALS, AmeyoHttpCase


@tagged('post_install', '-at_install')
class TestSeveralServers(AmeyoHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the second server's Ameyo: a campaign 101 like the first server's, and a campaign 103 of
        # its own
        cls.sim = cls.start_simulator()
        cls.sim.add_campaign('101', 'Test Campaign', dispositions=('Sale',))
        cls.sim.add_campaign('103', 'Mumbai Renewals', dispositions=('Renewed',))

    def setUp(self):
        super().setUp()
        self.authenticate('t_agent_a', 't_agent_a')

    def add_second_server(self, **values):
        return self.env['ameyo.server'].create(
            {'name': 'Ameyo Mumbai', 'base_url': self.sim.url, **CREDENTIALS, **values}
        )

    def campaign_of(self, server, ref):
        return server.campaign_ids.filtered(lambda campaign: campaign.ameyo_campaign_id == ref)

    def test_plain_urls_keep_their_server_after_a_second_server_syncs(self):
        before = self.assertPops(self.throw())
        self.assertEqual((before.server_id, before.campaign_id), (self.server, self.campaign))
        # one server: no server named
        self.assertEqual(self.campaign.display_name, 'Test Campaign [101]')
        mumbai = self.add_second_server()
        action = mumbai.action_sync_campaigns()
        # the sync warns: campaign 101 exists on the first server too, where its plain URLs still go
        params = action['params']
        self.assertEqual((params['type'], params['sticky']), ('warning', True))
        self.assertEqual(
            params['title'], 'Campaigns synchronized: some IDs exist on another server'
        )
        self.assertEqual(
            params['message'].split('\n'),
            [
                '2 campaigns in Ameyo: 2 created, 0 renamed.',
                'Campaign IDs 101 also exist on Test Ameyo: the plain URLs (/ameyo/customer, ...) '
                'of these campaigns '
                "keep opening their calls there. In this server's Ameyo, paste the URLs naming "
                "this server "
                f'(Integration URLs tab: /ameyo/{mumbai.id}/customer, ...).',
            ],
        )
        twin = self.campaign_of(mumbai, '101')
        self.assertTrue(twin)
        # the plain URL of campaign 101 still pops on the first server; the URL naming Mumbai pops
        # there
        after = self.assertPops(self.throw())
        self.assertEqual((after.server_id, after.campaign_id), (self.server, self.campaign))
        mumbai_leg = self.assertPops(self.throw(prefix=f'/ameyo/{mumbai.id}'))
        self.assertEqual((mumbai_leg.server_id, mumbai_leg.campaign_id), (mumbai, twin))
        # a campaign only Mumbai has: its plain URL finds Mumbai; a campaign nobody has: the oldest
        # server
        renewals = self.assertPops(self.throw(campaignId='103'))
        self.assertEqual(
            (renewals.server_id, renewals.campaign_id), (mumbai, self.campaign_of(mumbai, '103'))
        )
        unknown = self.assertPops(self.throw(campaignId='999'))
        self.assertEqual((unknown.server_id, unknown.ameyo_campaign_ref), (self.server, '999'))
        # the knowledge-base URL too: the first server's workspace
        kb = self.throw('kb')
        self.assertEqual(kb.status_code, 200, kb.text[:1000])
        self.assertIn(f'data-server-id="{self.server.id}"', kb.text)
        # two campaigns "Test Campaign [101]": each names its server
        self.assertEqual(self.campaign.display_name, 'Test Campaign [101] (Test Ameyo)')
        self.assertEqual(twin.display_name, 'Test Campaign [101] (Ameyo Mumbai)')
        names = [
            name for _id, name in self.env['ameyo.campaign'].name_search('Test Campaign', limit=10)
        ]
        self.assertEqual(len(names), len(set(names)), names)
        # Mumbai's form says which plain URLs are not its own
        self.assertTrue(mumbai.several_servers)
        self.assertEqual(
            mumbai.plain_url_note,
            'Campaign IDs 101 of this server also exist on Test Ameyo: the '
            'plain URLs open their calls there.',
        )
        self.assertFalse(self.server.plain_url_note)

    def test_the_default_server_takes_the_plain_urls_of_shared_campaigns(self):
        mumbai = self.add_second_server(is_default=True)
        self.assertTrue(mumbai.is_default)
        action = mumbai.action_sync_campaigns()
        self.assertIn(
            'Campaign IDs 101 also exist on Test Ameyo: this server is the default for plain URLs, '
            'so the plain URLs of these campaigns now open their calls here. In the Ameyo of Test '
            'Ameyo, paste the URLs naming Test Ameyo (its Integration URLs tab).',
            action['params']['message'],
        )
        leg = self.assertPops(self.throw())
        self.assertEqual(
            (leg.server_id, leg.campaign_id), (mumbai, self.campaign_of(mumbai, '101'))
        )
        self.assertEqual(
            self.server.plain_url_note,
            'Campaign IDs 101 of this server also exist on Ameyo Mumbai: '
            'the plain URLs open their calls there.',
        )
        # the URL naming the first server still reaches it
        own = self.assertPops(self.throw(prefix=f'/ameyo/{self.server.id}'))
        self.assertEqual(own.server_id, self.server)
        # one default in the database: marking the first server unmarks Mumbai, and the plain URL
        # follows
        self.server.is_default = True
        self.assertFalse(mumbai.is_default)
        back = self.assertPops(self.throw())
        self.assertEqual(back.server_id, self.server)
        # an archived server is no route: Mumbai's own campaign 103 then falls back on the default
        # server
        mumbai.active = False
        orphan = self.assertPops(self.throw(campaignId='103'))
        self.assertEqual((orphan.server_id, orphan.ameyo_campaign_ref), (self.server, '103'))
        self.assertEqual(self.campaign.display_name, 'Test Campaign [101]')

    def test_the_form_gives_the_urls_naming_the_server_first(self):
        arch = etree.fromstring(self.env['ameyo.server'].get_view(view_type='form')['arch'])
        page = arch.xpath("//page[@name='integration_urls']")[0]
        groups = [group.get('name') for group in page.iter('group')]
        self.assertEqual(
            groups,
            [
                'integration_urls_first',
                'integration_urls_plain',
                'integration_urls_per_server',
                'integration_urls_plain_after',
            ],
        )
        first = page.xpath(".//group[@name='integration_urls_first']")[0]
        self.assertEqual(first.get('invisible'), 'not several_servers')
        self.assertEqual(
            [field.get('name') for field in first.iter('field')],
            [
                f'integration_url_{event}_server'
                for event in ('kb', 'customer', 'preview', 'dispose', 'sso')
            ],
        )
        # the other servers are archived (AmeyoHttpCase)
        self.assertFalse(self.server.several_servers)
        mumbai = self.add_second_server()
        self.server.invalidate_recordset(['several_servers'])
        self.assertTrue(self.server.several_servers and mumbai.several_servers)

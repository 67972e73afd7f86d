"""Queues Ameyo names by queueName only (no queueId): the pop reaches the configured queue of that
name, the campaign form warns of two queues of one name, and the upgrade merges the queues such URLs
created before."""

from odoo.tests import tagged

from .common import AmeyoHttpCase, run_migration


@tagged('post_install', '-at_install')
class TestQueueNames(AmeyoHttpCase):
    pop_phone = '9000000931'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_numbers((cls.pop_phone,))
        cls.team = cls.env['crm.team'].create({'name': 'Sales Queue Team'})
        cls.campaign.write({'guidance': '<p>Campaign script</p>', 'pop_target': 'lead'})
        cls.sales = cls.env['ameyo.queue'].create(
            {
                'campaign_id': cls.campaign.id,
                'ameyo_queue_id': '12',
                'name': 'Sales Queue',
                'team_id': cls.team.id,
                'guidance': '<p>Sales queue script</p>',
            }
        )
        cls.other_campaign = cls.env['ameyo.campaign'].create(
            {'server_id': cls.server.id, 'ameyo_campaign_id': '102', 'name': 'Other Campaign'}
        )

    def setUp(self):
        super().setUp()
        self.authenticate('t_agent_a', 't_agent_a')
        self.Queue = self.env['ameyo.queue'].with_context(active_test=False)

    def queues_named(self, name, campaign=None):
        return self.Queue.search(
            [('campaign_id', '=', (campaign or self.campaign).id), ('name', '=ilike', name)]
        )

    def test_queue_name_only_reaches_the_configured_queue(self):
        before = self.Queue.search_count([])
        for spelling in ('Sales Queue', 'SALES queue', 'sales QUEUE'):
            with self.subTest(queueName=spelling):
                leg = self.assertPops(self.throw(queueName=spelling))
                self.assertEqual(leg.queue_id, self.sales)
                self.assertEqual(leg.ameyo_queue_ref, spelling)
                self.assertIn('Sales queue script', leg.guidance)
                self.assertEqual(leg.action_open_pop()['context']['default_team_id'], self.team.id)
        self.assertEqual(
            self.Queue.search_count([]), before, "no queue created for a configured name"
        )
        # another campaign's queue of that name is not this campaign's: a queue of its own is
        # created once
        leg = self.assertPops(self.throw(campaignId='102', queueName='Sales Queue'))
        self.assertEqual(leg.queue_id, self.queues_named('Sales Queue', self.other_campaign))
        self.assertRecordValues(
            leg.queue_id,
            [
                {
                    'campaign_id': self.other_campaign.id,
                    'ameyo_queue_id': 'Sales Queue',
                    'name': 'Sales Queue',
                }
            ],
        )
        self.assertEqual(
            self.assertPops(self.throw(campaignId='102', queueName='sales queue')).queue_id,
            leg.queue_id,
        )
        # with a queueId, the id decides, as before: an unknown one is a queue of its own
        leg = self.assertPops(self.throw(queueId='13', queueName='Sales Queue'))
        self.assertRecordValues(leg.queue_id, [{'ameyo_queue_id': '13', 'name': 'Sales Queue'}])
        self.assertEqual(
            self.assertPops(self.throw(queueId='12', queueName='Whatever')).queue_id, self.sales
        )

    def test_the_name_costs_the_pop_one_query(self):
        """The pop is hot: its queue found by name in one query (the campaign's queues, by the
        campaign_id index), as by its id."""
        self.Queue.create(
            [
                {
                    'campaign_id': self.campaign.id,
                    'ameyo_queue_id': f'{number}',
                    'name': f'Queue {number}',
                }
                for number in range(20, 40)
            ]
        )
        campaign = self.campaign.sudo()
        for queue_id, queue_name in (
            (False, 'SALES QUEUE'),
            ('12', 'Sales Queue'),
            (False, 'Queue 33'),
        ):
            with self.subTest(queueId=queue_id, queueName=queue_name):
                self.env.invalidate_all()
                with self.assertQueryCount(1):
                    queue = campaign._ameyo_find_or_create_queue(queue_id, queue_name)
                self.assertEqual(queue.name.lower(), queue_name.lower())

    def test_several_queues_of_one_name_first_by_sequence_and_the_campaign_warns(self):
        self.assertFalse(self.campaign.queue_name_warning)
        twin = self.Queue.create(
            {
                'campaign_id': self.campaign.id,
                'ameyo_queue_id': '14',
                'name': 'sales queue',
                'sequence': 20,
            }
        )
        warning = self.campaign.queue_name_warning
        self.assertIn('2 queues are named Sales Queue', warning)
        self.assertIn('Ameyo Queue ID 12', warning)
        self.assertEqual(self.assertPops(self.throw(queueName='Sales Queue')).queue_id, self.sales)
        twin.sequence = 1
        self.assertIn('Ameyo Queue ID 14', self.campaign.queue_name_warning)
        self.assertEqual(self.assertPops(self.throw(queueName='Sales Queue')).queue_id, twin)
        # an archived queue is not reached by its name while an active one has it, and is not
        # counted
        twin.active = False
        self.assertFalse(self.campaign.queue_name_warning)
        self.assertEqual(self.assertPops(self.throw(queueName='Sales Queue')).queue_id, self.sales)
        # the form shows the warning
        twin.active = True
        self.assertTrue(self.campaign.queue_name_warning)
        arch = self.campaign.get_views([(False, 'form')])['views']['form']['arch']
        self.assertIn('queue_name_warning', arch)

    def test_an_archived_queue_of_the_name_is_not_created_again(self):
        self.sales.active = False
        before = self.Queue.search_count([])
        self.assertEqual(self.assertPops(self.throw(queueName='sales queue')).queue_id, self.sales)
        self.assertEqual(self.Queue.search_count([]), before)

    def test_upgrade_merges_the_queues_created_from_a_name(self):
        """Queues the pop created from a queueName (Ameyo Queue ID = name, nothing configured) merge
        into the configured queue of that name; any other queue stays."""
        Queue = self.Queue
        auto = Queue.create(
            {
                'campaign_id': self.campaign.id,
                'ameyo_queue_id': 'SALES QUEUE',
                'name': 'SALES QUEUE',
            }
        )
        auto_html = Queue.create(
            {
                'campaign_id': self.campaign.id,
                'ameyo_queue_id': 'sales queue',
                'name': 'sales queue',
                'guidance': '<p><br></p>',
            }
        )
        # configured since (a team, a sequence, archived, an id of its own, guidance): kept
        kept = Queue.create(
            [
                {
                    'campaign_id': self.campaign.id,
                    'ameyo_queue_id': 'Sales queue',
                    'name': 'Sales queue',
                    'team_id': self.team.id,
                },
                {
                    'campaign_id': self.campaign.id,
                    'ameyo_queue_id': 'Sales  Queue',
                    'name': 'Sales  Queue',
                },
                {
                    'campaign_id': self.campaign.id,
                    'ameyo_queue_id': 'SaLes Queue',
                    'name': 'SaLes Queue',
                    'sequence': 3,
                },
                {
                    'campaign_id': self.campaign.id,
                    'ameyo_queue_id': 'sales QUEUE',
                    'name': 'sales QUEUE',
                    'active': False,
                },
                {
                    'campaign_id': self.campaign.id,
                    'ameyo_queue_id': 'Q-sales',
                    'name': 'Sales Queue',
                },
                {
                    'campaign_id': self.campaign.id,
                    'ameyo_queue_id': 'Sales Queue',
                    'name': 'Sales Queue',
                    'guidance': '<p>Say hello</p>',
                },
            ]
        )
        # no configured queue of its name in its campaign: stays (it is what such URLs reach)
        lonely = Queue.create(
            {'campaign_id': self.campaign.id, 'ameyo_queue_id': 'Billing', 'name': 'Billing'}
        )
        other = Queue.create(
            {
                'campaign_id': self.other_campaign.id,
                'ameyo_queue_id': 'Sales Queue',
                'name': 'Sales Queue',
            }
        )
        legs = [
            self.create_leg(self.new_crt(), self.agent_a, queue_id=queue.id, state='ended')
            for queue in (auto, auto_html, lonely, other, self.sales)
        ]
        target = (kept[2] | self.sales).sorted(lambda queue: (queue.sequence, queue.id))[0]
        self.assertEqual(target, kept[2], "the first configured queue of the name by sequence")
        self.env.flush_all()
        run_migration(self.env.cr, '19.0.1.7.0', 'post-queue-names', '19.0.1.6.0')
        self.env.invalidate_all()
        self.assertFalse((auto | auto_html).exists())
        self.assertEqual(len((kept | lonely | other | self.sales).exists()), 9)
        self.assertEqual(
            [leg.queue_id for leg in legs], [target, target, lonely, other, self.sales]
        )
        # run again: nothing more to merge
        run_migration(self.env.cr, '19.0.1.7.0', 'post-queue-names', '19.0.1.6.0')
        self.assertEqual(len((kept | lonely | other | self.sales).exists()), 9)

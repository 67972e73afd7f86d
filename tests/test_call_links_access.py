"""What a leg's links open to its agent, tried as the attacker would: over Odoo's HTTP server, their
own session, the calls the web client makes. The lead of their live call opens because the pop
linked it, never because they wrote it on their leg; another agent's call named in a URL gives a
leg, not its recording; no context key switches a check off; once the call is over, their pages
still open."""

from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import AGENT_GROUPS, CLIENT_LOGGER, AmeyoHttpCase, run_migration
from .test_recording_access import RecordingHttpCase

KEYS = ('9988776611', '9988776622')


@tagged('post_install', '-at_install')
class TestLeadLinksOfCalls(AmeyoHttpCase):
    """An "own documents only" agent (agent_a) and the leads of another salesperson."""

    pop_phone = '9988776611'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_numbers(KEYS)
        cls.owner = new_test_user(
            cls.env, login='t_links_owner', groups='sales_team.group_sale_salesman'
        )
        cls.lead_campaign = cls.env['ameyo.campaign'].create(
            {
                'server_id': cls.server.id,
                'ameyo_campaign_id': '404',
                'name': 'Links Lead Campaign',
                'pop_target': 'lead',
                'dispose_mode': 'dual',
            }
        )
        cls.sale = cls.env['ameyo.disposition'].create(
            {'campaign_id': cls.lead_campaign.id, 'code': 'Sale', 'name': 'Sold'}
        )
        # the caller's lead, and a lead of the same salesperson the call has nothing to do with
        cls.caller_lead = cls.env['crm.lead'].create(
            {'name': 'Caller Of The Day', 'phone': '9988776611', 'user_id': cls.owner.id}
        )
        cls.secret_lead = cls.env['crm.lead'].create(
            {
                'name': 'Big Secret Deal',
                'phone': '9988776622',
                'user_id': cls.owner.id,
                'expected_revenue': 900000,
            }
        )

    def setUp(self):
        super().setUp()
        self.cookies = self._login_cookies('t_agent_a')  # the test's browser too (throw)
        self.assertFalse(
            self.secret_lead.with_user(self.agent_a).has_access('read'),
            "the test needs an 'own documents only' agent",
        )

    def can_read(self, lead):
        self.env.invalidate_all()
        return lead.with_user(self.agent_a).has_access('read')

    def test_an_agent_cannot_open_a_lead_by_writing_it_on_his_leg(self):
        """On a live call, ``write(lead_id)`` over RPC is refused, and a lead on their leg that the
        pop did not link opens nothing (the record rule reads the pop's own link)."""
        # a contact campaign: no lead on their leg
        leg = self.assertPops(self.throw(phone='9000000909'))
        self.assertEqual(leg.phase, 'live')
        answer = self._call_kw(
            'ameyo.call', 'write', [[leg.id], {'lead_id': self.secret_lead.id}], self.cookies
        )
        self.assertEqual(
            answer.get('error', {}).get('data', {}).get('name'),
            'odoo.exceptions.AccessError',
            answer,
        )
        self.assertFalse(leg.lead_id)
        self.assertFalse(self.can_read(self.secret_lead))
        # written there by someone else (a manager, an older version of Odoo): still closed to them
        leg.lead_id = self.secret_lead
        self.assertFalse(self.can_read(self.secret_lead))
        answer = self._call_kw(
            'crm.lead',
            'web_read',
            [[self.secret_lead.id]],
            self.cookies,
            kwargs={'specification': {'name': {}, 'expected_revenue': {}}},
        )
        self.assertEqual(answer['error']['data']['name'], 'odoo.exceptions.AccessError', answer)
        # nor may they take the lead over by writing its salesperson
        answer = self._call_kw(
            'crm.lead', 'write', [[self.secret_lead.id], {'user_id': self.agent_a.id}], self.cookies
        )
        self.assertIn('error', answer)
        self.assertEqual(self.secret_lead.user_id, self.owner)

    def test_an_agent_names_a_caller_he_can_read_or_one_the_pop_found(self):
        own_lead = self.env['crm.lead'].create({'name': 'Mine', 'user_id': self.agent_a.id})
        leg = self.assertPops(self.throw(campaignId='404'))
        self.assertEqual((leg.lead_id, leg.pop_lead_id), (self.caller_lead, self.caller_lead))
        # their own lead
        answer = self._call_kw(
            'ameyo.call', 'write', [[leg.id], {'lead_id': own_lead.id}], self.cookies
        )
        self.assertTrue(answer.get('result'), answer)
        # back to the caller's lead, which the pop found for this number (another salesperson's)
        answer = self._call_kw(
            'ameyo.call', 'write', [[leg.id], {'lead_id': self.caller_lead.id}], self.cookies
        )
        self.assertTrue(answer.get('result'), answer)
        self.assertEqual(leg.lead_id, self.caller_lead)

    def test_the_pop_link_opens_the_lead_during_the_call_and_closes_it_after(self):
        """After a call on a colleague's lead: the dispose confirms without an error, the
        knowledge-base workspace opens (HTTP and Chromium) and names the lead without reading it."""
        leg = self.assertPops(self.throw(campaignId='404'))
        self.assertTrue(self.can_read(self.caller_lead))
        self.assertFalse(self.can_read(self.secret_lead))
        # the dispose, as the web client sends it: the wizard saved, then its button
        wizard = self._call_kw(
            'ameyo.dispose.wizard',
            'create',
            [{'call_id': leg.id, 'disposition_id': self.sale.id, 'notes': 'Wants the gold plan'}],
            self.cookies,
        )
        self.assertIn('result', wizard, wizard)
        answer = self._call_kw(
            'ameyo.dispose.wizard', 'action_confirm', [wizard['result']], self.cookies
        )
        self.assertNotIn('error', answer, answer)
        self.assertEqual(answer['result']['params']['type'], 'success', answer)
        self.assertEqual(leg.state, 'disposed')
        self.assertFalse(self.can_read(self.caller_lead))
        self.assertTrue(
            self.caller_lead.message_ids.filtered(lambda m: 'Wants the gold plan' in (m.body or ''))
        )
        # the banner, the workspace and the list of their calls
        answer = self._call_kw('ameyo.call', 'get_current_call', [], self.cookies)
        self.assertNotIn('error', answer, answer)
        answer = self._call_kw(
            'ameyo.call',
            'web_search_read',
            [],
            self.cookies,
            kwargs={
                'domain': [('id', '=', leg.id)],
                'specification': {'display_name': {}, 'lead_id': {}},
            },
        )
        self.assertNotIn('error', answer, answer)
        workspace = self.throw('kb')
        self.assertEqual(workspace.status_code, 200, workspace.text[:1000])
        self.assertIn(f'/odoo/ameyo-calls/{leg.id}', workspace.text)
        self.assertIn('a lead of another salesperson', workspace.text)
        self.assertEqual(leg.pop_lead_id, self.caller_lead)
        self.assertNotIn('Caller Of The Day', workspace.text)
        lists = self._get('/ameyo/workspace/lists', {'server_id': self.server.id})
        self.assertEqual(lists.status_code, 200, lists.text[:1000])
        self.browser_js(
            self.pop_url('kb'),
            """
            const text = document.body.innerText;
            if (text.includes('a lead of another salesperson') && !text.includes('Forbidden')) {
                console.log('test successful');
            } else {
                console.error('the workspace did not open: ' + text.slice(0, 300));
            }""",
            ready="document.readyState === 'complete'",
            login='t_agent_a',
        )

    def test_the_chooser_shows_an_own_documents_agent_names_and_a_hint(self):
        self.env['crm.lead'].create(
            {
                'name': 'Caller Duplicate',
                'phone': '+91 99887 76611',
                'user_id': self.agent_b.id,
                'expected_revenue': 97531,
            }
        )
        chooser = self.throw(campaignId='404')
        self.assertEqual(chooser.status_code, 200, chooser.text[:1000])
        for text in ('Caller Of The Day', 'Caller Duplicate', 'o_ameyo_chooser_hint', 'created on'):
            self.assertIn(text, chooser.text)
        # what the agent may not read stays out of the page's content (not its scripts: a hash may
        # hold any digits)
        content = chooser.text.split('<main>', 1)[-1]
        for revenue in ('97531', '97,531', '97 531'):
            self.assertNotIn(revenue, content)
        for text in (
            f'Owner: {self.owner.name}',
            f'Owner: {self.agent_b.name}',
            'o_ameyo_chooser_owner',
        ):
            self.assertNotIn(text, chooser.text)
        # an "all leads" salesperson reads them all: the chooser names their owners
        self.agent_a.group_ids += self.env.ref('sales_team.group_sale_salesman_all_leads')
        chooser = self.throw(campaignId='404')
        self.assertIn(f'Owner: {self.owner.name}', chooser.text)
        self.assertNotIn('o_ameyo_chooser_hint', chooser.text)

    def test_no_context_key_turns_the_company_check_off(self):
        """``ameyo_values_of_server`` in an RPC caller's context once skipped the company check of
        the leg."""
        other_company = self.env['res.company'].create({'name': 'Other Contact Center'})
        self.agent_a.write({'company_ids': [fields.Command.link(other_company.id)]})
        stranger = self.env['res.partner'].create(
            {'name': 'Other Company Caller', 'company_id': other_company.id}
        )
        self.assertTrue(stranger.with_user(self.agent_a).has_access('read'))
        leg = self.assertPops(self.throw(phone='9000000909'))
        answer = self._call_kw(
            'ameyo.call',
            'write',
            [[leg.id], {'partner_id': stranger.id}],
            self.cookies,
            kwargs={
                'context': {
                    'ameyo_values_of_server': True,
                    'allowed_company_ids': [self.env.company.id, other_company.id],
                }
            },
        )
        self.assertEqual(
            answer.get('error', {}).get('data', {}).get('name'), 'odoo.exceptions.UserError', answer
        )
        self.assertNotEqual(leg.partner_id, stranger)


@tagged('post_install', '-at_install')
class TestRecordingOfAnotherAgentsCall(RecordingHttpCase):
    """Agent A names agent B's call (its crtObjectId, read from a customer's history) in a URL of
    their own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim.add_agent(cls.agent_b.ameyo_user_id, campaigns=('101',))
        cls.server.recording_format = 'mp3'
        cls.env.company.ameyo_agents_replay = True

    def fetch(self, leg, user):
        leg.sudo().connected_at = fields.Datetime.now() - timedelta(minutes=5)
        leg._ameyo_update_state('disposed')
        with mute_logger(CLIENT_LOGGER):
            leg.with_user(user).action_fetch_recording()
        return leg.recording_id.filtered(lambda recording: recording.state == 'fetched')

    def attachment(self, recording):
        """The file of ``recording``: Odoo's attachment of its ``audio`` field."""
        return self.env['ir.attachment'].search(
            [
                ('res_model', '=', 'ameyo.call.recording'),
                ('res_id', '=', recording.id),
                ('res_field', '=', 'audio'),
            ]
        )

    def test_a_forged_leg_plays_nothing(self):
        call = self.sim.start_call(self.agent_b.ameyo_user_id, '101', '9740011223')
        self.sim.hangup(call)
        crt = call['crtObjectId']
        self.authenticate('t_agent_b', 't_agent_b')
        leg_b = self.assertPops(self.throw(agent=self.agent_b, crt=crt))
        self.authenticate('t_agent_a', 't_agent_a')
        forged = self.assertPops(self.throw(agent=self.agent_a, crt=crt))
        self.assertNotEqual(forged, leg_b)
        recording = self.fetch(forged, self.agent_a)
        self.assertEqual(
            len(recording), 1, "Ameyo's recording of B's call is on A's leg: the test needs it"
        )
        attachment = self.attachment(recording)
        self.assertEqual(len(attachment), 1)
        self.env.invalidate_all()
        self.assertFalse(forged.with_user(self.agent_a).recording_url)
        self.assertTrue(forged.with_user(self.supervisor).recording_url)
        cookies = self._login_cookies('t_agent_a')
        for path in (
            f'/web/content/{attachment.id}',
            f'/web/content/ir.attachment/{attachment.id}/datas',
            f'/web/content/ameyo.call.recording/{recording.id}/audio',
            f'/ameyo/recording/{forged.id}',
        ):
            with self.subTest(path=path):
                response = self._http('GET', path, cookies=cookies)
                self.assertIn(response.status_code, (403, 404), response.text[:300])
        answer = self._call_kw('ir.attachment', 'read', [[attachment.id], ['datas']], cookies)
        self.assertEqual(
            answer.get('error', {}).get('data', {}).get('name'),
            'odoo.exceptions.AccessError',
            answer,
        )
        # the recording itself is hidden from them: it is not their call's
        answer = self._call_kw('ameyo.call.recording', 'read', [[recording.id], ['state']], cookies)
        self.assertEqual(
            answer.get('error', {}).get('data', {}).get('name'),
            'odoo.exceptions.AccessError',
            answer,
        )
        self.assertRecordValues(
            leg_b + forged, [{'ameyo_assigned': True}, {'ameyo_assigned': False}]
        )
        # B's own leg of their call: theirs to replay
        self.assertTrue(self.fetch(leg_b, self.agent_b))
        self.env.invalidate_all()
        self.assertTrue(leg_b.with_user(self.agent_b).recording_url)

    def test_a_transfer_is_the_next_agents_call(self):
        call = self.sim.start_call(self.agent_b.ameyo_user_id, '101', '9740011224')
        crt = call['crtObjectId']
        self.authenticate('t_agent_b', 't_agent_b')
        self.assertPops(self.throw(agent=self.agent_b, crt=crt))
        self.authenticate('t_agent_a', 't_agent_a')
        transfer = self.assertPops(
            self.throw(agent=self.agent_a, crt=crt, callType='transferred.to.campaign.dial')
        )
        self.assertTrue(transfer.ameyo_assigned)
        # the same agent's next leg of a call Ameyo gave them (a preview, then the connect)
        again = self.assertPops(
            self.throw(agent=self.agent_a, crt=crt, userCrtObjectId=f'{crt}-ses-second')
        )
        self.assertTrue(again.ameyo_assigned)


@tagged('post_install', '-at_install')
class TestSecurityMigration(AmeyoHttpCase):
    """19.0.1.4.0 fills the links the agents' access reads for the legs logged before it."""

    def test_backfill(self):
        agent = new_test_user(
            self.env, login='t_mig_agent', groups=AGENT_GROUPS, ameyo_user_id='t.mig@acme'
        )
        owner_lead = self.env['crm.lead'].create(
            {'name': 'Popped Lead', 'user_id': self.agent_b.id}
        )
        forged_lead = self.env['crm.lead'].create(
            {'name': 'Forged Lead', 'user_id': self.agent_b.id}
        )
        popped = self.create_leg(self.new_crt(), agent, state='connected')
        forged = self.create_leg(self.new_crt(), agent, state='connected')
        self.env.flush_all()
        # as a commit does: records created in a transaction are tracked after it
        self.env.cr.precommit.run()
        # the pop's own links are never tracked; a user's change of lead_id is
        popped.with_context(tracking_disable=True).write({'lead_id': owner_lead.id})
        forged.write({'lead_id': forged_lead.id})
        self.env.flush_all()
        self.env.cr.precommit.run()  # the tracking values, as a commit writes them
        first = self.create_leg('MIG-1', self.agent_b, 'MIG-1-b')
        second = self.create_leg('MIG-1', agent, 'MIG-1-a')
        transfer = self.create_leg(
            'MIG-1', self.agent_a, 'MIG-1-t', call_type='transferred.to.campaign.dial'
        )
        legs = popped | forged | first | second | transfer
        # a lookup trace as 19.0.1.3.0 stored it: names beside the ids
        old_trace = {
            'number': '9988776655',
            'model': 'crm.lead',
            'outcome': 'open',
            'by': 'number',
            'matches': [[owner_lead.id, 'Popped Lead'], [forged_lead.id, 'Forged Lead']],
            'chosen': [owner_lead.id, 'Popped Lead'],
            'match_count': 2,
        }
        popped.lookup_trace = old_trace
        # already ids
        first.lookup_trace = dict(old_trace, matches=[owner_lead.id], chosen=owner_lead.id)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE ameyo_call SET pop_lead_id = NULL, ameyo_assigned = FALSE WHERE id IN %s",
            [tuple(legs.ids)],
        )
        run_migration(self.env.cr, '19.0.1.4.0', 'post-security', '19.0.1.3.0')
        legs.invalidate_recordset()
        self.assertEqual(
            (popped.pop_lead_id, forged.pop_lead_id), (owner_lead, self.env['crm.lead'])
        )
        self.assertEqual(legs.mapped('ameyo_assigned'), [True, True, True, False, True])
        self.assertEqual(
            popped.lookup_trace,
            dict(old_trace, matches=[owner_lead.id, forged_lead.id], chosen=owner_lead.id),
        )
        self.assertEqual(
            first.lookup_trace, dict(old_trace, matches=[owner_lead.id], chosen=owner_lead.id)
        )
        self.env.invalidate_all()
        self.assertTrue(owner_lead.with_user(agent).has_access('read'))
        self.assertFalse(forged_lead.with_user(agent).has_access('read'))

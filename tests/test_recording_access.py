"""Who may play a call's recording, over HTTP as each role, through every route that reads attachments."""
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from ..simulator import recording_mp3
from .common import CLIENT_LOGGER, AmeyoHttpCase


class RecordingHttpCase(AmeyoHttpCase):
    """The test server on a simulator that records its calls (legacy API), agent A on campaign 101."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = cls.start_simulator()
        cls.sim.add_campaign('101', 'Test Campaign')
        cls.sim.add_agent('t.agent-a@acme', campaigns=('101',))
        cls.server.write({'base_url': cls.sim.url, 'api_flavour': 'legacy'})


@tagged('post_install', '-at_install')
class TestRecordingAccess(RecordingHttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.recording_format = 'mp3'
        cls.sales = new_test_user(cls.env, login='t_sales', groups='sales_team.group_sale_salesman')
        cls.partner = cls.env['res.partner'].create({'name': 'Meera Iyer', 'phone': '+91 97400 11223'})
        call = cls.sim.start_call('t.agent-a@acme', '101', '9740011223')
        cls.sim.hangup(call)
        cls.leg = cls.create_leg(call['crtObjectId'], cls.agent_a, call['userCrtObjectId'], state='disposed',
                                 connected_at=fields.Datetime.now() - timedelta(minutes=10),
                                 partner_id=cls.partner.id)
        with mute_logger(CLIENT_LOGGER):
            cls.leg.with_user(cls.supervisor).action_fetch_recording()
        cls.recording = cls.env['ir.attachment'].search(
            [('res_model', '=', 'ameyo.call'), ('res_id', '=', cls.leg.id)])

    def setUp(self):
        super().setUp()
        self.assertEqual(self.recording.mimetype, 'audio/mpeg')
        self.env.company.ameyo_agents_replay = False

    def as_(self, user):
        return self._login_cookies(user.login)

    def get(self, path, user=None):
        return self._http('GET', path, cookies=self.as_(user) if user else None)

    def assertPlays(self, response):
        self.assertEqual(response.status_code, 200, response.text[:200])
        self.assertEqual(response.content, recording_mp3())

    def assertRefused(self, response):
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn(recording_mp3()[:64], response.content)

    def test_web_content_by_role(self):
        url = f'/web/content/{self.recording.id}'
        self.assertPlays(self.get(url, self.supervisor))
        self.assertPlays(self.get(f'/web/content/ir.attachment/{self.recording.id}/raw', self.supervisor))
        for user in (self.agent_a, self.agent_b, self.sales):
            with self.subTest(user=user.login):
                self.assertRefused(self.get(url, user))
                self.assertRefused(self.get(f'/web/content/ir.attachment/{self.recording.id}/datas', user))
        self.assertRefused(self.get(url))  # not logged in
        # the company lets agents replay their own calls: the call's agent, and only him
        self.env.company.ameyo_agents_replay = True
        self.assertPlays(self.get(url, self.agent_a))
        self.assertRefused(self.get(url, self.agent_b))
        self.assertRefused(self.get(url, self.sales))

    def test_access_tokens_do_not_open_a_recording(self):
        """Odoo serves an attachment to anyone holding its token, as superuser: not a recording."""
        token = self.recording.sudo().generate_access_token()[0]
        raw_token = self.recording.sudo()._get_raw_access_token()
        for query in (f'access_token={token}', f'access_token={raw_token}'):
            with self.subTest(query=query[:20]):
                url = f'/web/content/{self.recording.id}?{query}'
                self.assertRefused(self.get(url))
                self.assertRefused(self.get(url, self.agent_b))
                self.assertRefused(self.get(url, self.sales))
                self.assertPlays(self.get(url, self.supervisor))

    def test_rpc_on_ir_attachment(self):
        for user, visible in ((self.supervisor, True), (self.agent_a, False), (self.agent_b, False),
                              (self.sales, False)):
            with self.subTest(user=user.login):
                cookies = self.as_(user)
                found = self._call_kw('ir.attachment', 'search_read', [[('res_model', '=', 'ameyo.call')]], cookies,
                                      {'fields': ['id', 'name']})
                # a user without access to calls is refused the search itself (Odoo's rule)
                rows = found.get('result', []) if user != self.sales else found.get('result') or []
                self.assertTrue('result' in found or user == self.sales, found)
                self.assertEqual(self.recording.id in [row['id'] for row in rows], visible)
                found = self._call_kw('ir.attachment', 'search_read', [[('mimetype', '=like', 'audio/%')]], cookies,
                                      {'fields': ['id', 'name']})
                self.assertEqual(self.recording.id in [row['id'] for row in found['result']], visible)
                read = self._call_kw('ir.attachment', 'read', [[self.recording.id], ['datas']], cookies)
                if visible:
                    self.assertTrue(read['result'][0]['datas'])
                else:
                    self.assertIn('error', read)
                    self.assertNotIn('result', read)

    def test_the_chatters(self):
        """The call's attachment box lists the recording only to whoever may play it; the contact's chatter
        has a note that links to the call and carries no file."""
        params = {'fetch_params': [['mail.thread', {'thread_model': 'ameyo.call', 'thread_id': self.leg.id,
                                                     'request_list': ['attachments']}]]}
        for user, visible in ((self.supervisor, True), (self.agent_a, False)):
            with self.subTest(user=user.login):
                data = self._rpc('/mail/data', params, cookies=self.as_(user))['result']
                attachment_ids = [att['id'] for att in data.get('ir.attachment', [])]
                self.assertEqual(self.recording.id in attachment_ids, visible)
        note = self.partner.message_ids.filtered(lambda m: 'recording of this call' in str(m.body))
        self.assertEqual(len(note), 1)
        self.assertFalse(note.attachment_ids)
        self.assertIn(f'data-oe-id="{self.leg.id}"', str(note.body))

    def test_each_play_and_download_is_recorded(self):
        before = len(self.leg.recording_access_ids)
        self.get(f'/web/content/{self.recording.id}', self.supervisor)
        self.get(f'/web/content/{self.recording.id}?download=true', self.supervisor)
        self._http('GET', f'/web/content/{self.recording.id}', cookies=self.as_(self.supervisor),
                   headers={'Range': 'bytes=4000-'})  # the rest of the same play: not counted again
        self.get(f'/web/content/{self.recording.id}', self.agent_b)  # refused: nothing to record
        accesses = self.leg.recording_access_ids.sorted('id')[before:]
        self.assertEqual([(access.user_id, access.kind) for access in accesses],
                         [(self.supervisor, 'stream'), (self.supervisor, 'download')])
        with self.assertRaises(AccessError):  # who listened is for supervisors
            self.env['ameyo.recording.access'].with_user(self.agent_a).search([])

    def test_fetch_over_rpc_is_a_notification_for_everyone(self):
        for user in (self.sales, self.agent_b, self.agent_a):
            with self.subTest(user=user.login):
                answer = self._call_kw('ameyo.call', 'action_fetch_recording', [[self.leg.id]], self.as_(user))
                self.assertNotIn('error', answer)
                self.assertEqual(answer['result']['tag'], 'display_notification')
        self.assertEqual(answer['result']['params']['type'], 'warning')  # his own call: it is already there

    def test_the_call_form_shows_the_player_to_whoever_may_play(self):
        self.assertEqual(self.leg.with_user(self.supervisor).recording_url, f'/web/content/{self.recording.id}')
        self.assertFalse(self.leg.with_user(self.agent_a).recording_url)
        self.env.company.ameyo_agents_replay = True
        self.leg.invalidate_recordset(['recording_url'])
        self.assertTrue(self.leg.with_user(self.agent_a).recording_url)


@tagged('post_install', '-at_install')
class TestRecordingTour(RecordingHttpCase):
    """In Chromium: from the contact's chatter note to the call form, where the recording plays."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env['res.partner'].create({'name': 'Tour Caller', 'phone': '+91 97400 55555'})

    def play_from_the_chatter(self, fmt):
        self.server.recording_format = fmt
        call = self.sim.start_call('t.agent-a@acme', '101', '9740055555')
        self.sim.hangup(call)
        leg = self.create_leg(call['crtObjectId'], self.agent_a, call['userCrtObjectId'], state='disposed',
                              connected_at=fields.Datetime.now() - timedelta(minutes=10), partner_id=self.partner.id)
        with mute_logger(CLIENT_LOGGER):
            leg.with_user(self.supervisor).action_fetch_recording()
        self.assertEqual(leg.recording_state, 'fetched')
        self.start_tour(f'/odoo/res.partner/{self.partner.id}', 'crm_ameyo_recording_tour', login='t_supervisor')
        self.assertEqual(leg.recording_access_ids.user_id, self.supervisor)

    def test_wav_plays_on_the_call_form(self):
        self.play_from_the_chatter('wav')

    def test_mp3_plays_on_the_call_form(self):
        self.play_from_the_chatter('mp3')

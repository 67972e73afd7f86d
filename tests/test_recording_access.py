"""Who may play a call's recording, over HTTP as each role, through every route that reads attachments."""
import re
from datetime import timedelta

from odoo import Command, fields
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

    def assertForbidden(self, response):
        self.assertIn(response.status_code, (403, 404), response.text[:300])
        self.assertNotIn(recording_mp3()[:64], response.content)

    @property
    def route(self):
        return f'/ameyo/recording/{self.leg.id}'

    def accesses(self, before):
        return [(access.user_id, access.kind) for access in self.leg.recording_access_ids.sorted('id')[before:]]

    def csrf_token(self, cookies):
        """The CSRF token Odoo gives the pages of the session ``cookies`` (read from the web client's page)."""
        page = self._http('GET', '/odoo', cookies=cookies)
        return re.search(r'csrf_token: "([^"]+)"', page.text).group(1)

    def test_the_recording_route_by_role(self):
        self.assertPlays(self.get(self.route, self.supervisor))
        for user in (self.agent_a, self.agent_b, self.sales):
            with self.subTest(user=user.login):
                self.assertForbidden(self.get(self.route, user))
        self.assertRefused(self.get(self.route))  # not logged in: the login page
        self.assertForbidden(self.get(f'/ameyo/recording/{self.leg.id + 100000}', self.supervisor))
        # the company lets agents replay their own calls: the call's agent, and only him
        self.env.company.ameyo_agents_replay = True
        self.assertPlays(self.get(self.route, self.agent_a))
        self.assertForbidden(self.get(self.route, self.agent_b))
        self.assertForbidden(self.get(self.route, self.sales))

    def test_web_content_refuses_a_recording_to_everyone(self):
        """Only the recording route serves it (it records the listen): /web/content, /web/image refuse it,
        even to a supervisor, even to the call's agent allowed to replay."""
        self.env.company.ameyo_agents_replay = True
        for user in (self.supervisor, self.agent_a, self.agent_b, self.sales, None):
            for path in (f'/web/content/{self.recording.id}', f'/web/content/{self.recording.id}?download=true',
                         f'/web/content/ir.attachment/{self.recording.id}/raw',
                         f'/web/content/ir.attachment/{self.recording.id}/datas',
                         f'/web/image/{self.recording.id}?download=true'):
                with self.subTest(user=user and user.login, path=path):
                    self.assertRefused(self.get(path, user))
            with self.subTest(user=user and user.login, path='/web/image'):  # Odoo's placeholder image
                response = self.get(f'/web/image/{self.recording.id}', user)
                self.assertNotIn(recording_mp3()[:64], response.content)
                self.assertEqual(response.status_code, 200)
                self.assertTrue(response.headers['Content-Type'].startswith('image/'), response.headers)
        self.assertFalse(self.leg.recording_access_ids)

    def test_access_tokens_do_not_open_a_recording(self):
        """Odoo serves an attachment to anyone holding its token, as superuser: not a recording."""
        token = self.recording.sudo().generate_access_token()[0]
        raw_token = self.recording.sudo()._get_raw_access_token()
        for query in (f'access_token={token}', f'access_token={raw_token}'):
            for user in (None, self.agent_b, self.sales, self.supervisor):
                with self.subTest(query=query[:20], user=user and user.login):
                    self.assertForbidden(self.get(f'/web/content/{self.recording.id}?{query}', user))

    def test_the_mail_zip_route_refuses_a_recording(self):
        """/mail/attachment/zip streams the attachments it is given as the user: never a recording."""
        other = self.env['ir.attachment'].create({'name': 'notes.txt', 'raw': b'call notes', 'res_model': 'ameyo.call',
                                                  'res_id': self.leg.id})
        for user in (self.supervisor, self.agent_a):
            with self.subTest(user=user.login):
                cookies = self.as_(user)
                form = {'file_ids': str(self.recording.id), 'zip_name': 'calls.zip',
                        'csrf_token': self.csrf_token(cookies)}
                response = self._http('POST', '/mail/attachment/zip', data=form, cookies=cookies)
                self.assertForbidden(response)
                form['file_ids'] = f'{other.id},{self.recording.id}'
                self.assertForbidden(self._http('POST', '/mail/attachment/zip', data=form, cookies=cookies))
        # the route itself works (the token is right): another attachment of the call is zipped
        cookies = self.as_(self.supervisor)
        form = {'file_ids': str(other.id), 'zip_name': 'calls.zip', 'csrf_token': self.csrf_token(cookies)}
        response = self._http('POST', '/mail/attachment/zip', data=form, cookies=cookies)
        self.assertEqual(response.status_code, 200, response.text[:300])
        self.assertEqual(response.content[:2], b'PK')

    def test_the_recording_route_streams_ranges(self):
        data = recording_mp3()
        cookies = self.as_(self.supervisor)
        response = self._http('GET', self.route, cookies=cookies, headers={'Range': 'bytes=100-'})
        self.assertEqual(response.status_code, 206, response.text[:200])
        self.assertEqual(response.content, data[100:])
        self.assertEqual(response.headers['Content-Range'], f'bytes 100-{len(data) - 1}/{len(data)}')
        response = self._http('GET', self.route, cookies=cookies, headers={'Range': 'bytes=0-99'})
        self.assertEqual((response.status_code, response.content), (206, data[:100]))
        response = self.get(self.route, self.supervisor)
        self.assertPlays(response)
        self.assertEqual(response.headers['Content-Type'], 'audio/mpeg')
        self.assertNotIn('attachment', response.headers.get('Content-Disposition', ''))
        self.assertIn('no-store', response.headers['Cache-Control'])
        response = self.get(f'{self.route}?download=1', self.supervisor)
        self.assertPlays(response)
        self.assertIn('attachment', response.headers['Content-Disposition'])
        self.assertIn('.mp3', response.headers['Content-Disposition'])

    def test_rpc_on_ir_attachment(self):
        export = self.env.ref('base.group_allow_export')
        (self.supervisor | self.agent_a | self.agent_b | self.sales).write({'group_ids': [Command.link(export.id)]})
        for user in (self.supervisor, self.agent_a, self.agent_b, self.sales):
            with self.subTest(user=user.login):
                cookies = self.as_(user)
                found = self._call_kw('ir.attachment', 'search_read', [[('res_model', '=', 'ameyo.call')]], cookies,
                                      {'fields': ['id', 'name']})
                # a user without access to calls is refused the search itself (Odoo's rule)
                rows = found.get('result', []) if user != self.sales else found.get('result') or []
                self.assertTrue('result' in found or user == self.sales, found)
                # searches list it to nobody: the call form plays it (``visible``: its name may be read directly)
                self.assertNotIn(self.recording.id, [row['id'] for row in rows])
                found = self._call_kw('ir.attachment', 'search_read', [[('mimetype', '=like', 'audio/%')]], cookies,
                                      {'fields': ['id', 'name']})
                self.assertNotIn(self.recording.id, [row['id'] for row in found['result']])
                # its content, for no one: only the recording route serves it
                for method, args, kwargs in (
                        ('read', [[self.recording.id], ['datas']], {}),
                        ('read', [[self.recording.id], ['raw']], {}),
                        ('read', [[self.recording.id], ['db_datas']], {}),
                        ('read', [[self.recording.id]], {}),
                        ('web_read', [[self.recording.id]], {'specification': {'datas': {}}}),
                        ('export_data', [[self.recording.id], ['datas']], {})):
                    with self.subTest(method=method, args=args):
                        read = self._call_kw('ir.attachment', method, args, cookies, kwargs)
                        self.assertNotIn('result', read)
                        self.assertEqual(read['error']['data']['name'], 'odoo.exceptions.AccessError', read)
                # a search finds it for nobody (the call form plays it), and reads no content either
                read = self._call_kw('ir.attachment', 'search_read', [[('id', '=', self.recording.id)]], cookies,
                                     {'fields': ['name', 'datas']})
                self.assertFalse(read.get('result'), read)
                # nor its name, read directly: a recording is the call form's, not an attachment to browse
                read = self._call_kw('ir.attachment', 'read', [[self.recording.id], ['name', 'file_size']], cookies)
                self.assertNotIn('result', read)
        # in Python too, as any user but the superuser
        for user in (self.supervisor, self.agent_a):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.recording.with_user(user).invalidate_recordset()
                self.recording.with_user(user).raw  # noqa: B018
        self.recording.invalidate_recordset()
        self.assertEqual(self.recording.sudo().raw, recording_mp3())

    def test_the_chatters(self):
        """The call's attachment box lists the recording to nobody (its download would go through
        /web/content, which refuses it: the call form plays it); the contact's chatter has a note that links to
        the call and carries no file."""
        params = {'fetch_params': [['mail.thread', {'thread_model': 'ameyo.call', 'thread_id': self.leg.id,
                                                     'request_list': ['attachments']}]]}
        for user in (self.supervisor, self.agent_a):
            with self.subTest(user=user.login):
                data = self._rpc('/mail/data', params, cookies=self.as_(user))['result']
                attachment_ids = [att['id'] for att in data.get('ir.attachment', [])]
                self.assertNotIn(self.recording.id, attachment_ids)
        note = self.partner.message_ids.filtered(lambda m: 'recording of this call' in str(m.body))
        self.assertEqual(len(note), 1)
        self.assertFalse(note.attachment_ids)
        self.assertIn(f'data-oe-id="{self.leg.id}"', str(note.body))

    def test_each_play_and_download_is_recorded(self):
        before = len(self.leg.recording_access_ids)
        cookies = self.as_(self.supervisor)

        def play(range_header=None, query=''):
            headers = {'Range': range_header} if range_header is not None else None
            response = self._http('GET', self.route + query, cookies=cookies, headers=headers)
            self.assertIn(response.status_code, (200, 206), response.text[:200])
            if response.status_code == 200:
                self.assertEqual(response.content, recording_mp3())

        play()
        play(query='?download=1')
        play('bytes=4000-')  # the rest of the same play: not counted again
        play('bytes=-500')  # the end of the file (the player reads the duration there): the same play
        self.assertEqual(self.accesses(before), [(self.supervisor, 'stream'), (self.supervisor, 'download')])
        self.get(self.route, self.agent_b)  # refused: nothing to record
        self.assertEqual(len(self.accesses(before)), 2)
        cookies.update(self.as_(self.supervisor))  # the test server keeps one session at a time
        # a range from byte 0 is a new play, however it is written; a Range Odoo cannot serve as one byte
        # range too (it sends the whole file then)
        for range_header in ('bytes=0-', 'bytes=00-', 'BYTES=0-', 'Bytes = 0-1000', 'bytes=0-99,4000-',
                             'bytes=garbage', 'bytes=4000', 'seconds=0-', 'bytes 4000-', ''):
            with self.subTest(range=range_header):
                count = len(self.accesses(before))
                play(range_header)
                self.assertEqual(len(self.accesses(before)), count + 1)
        self.assertEqual({kind for _user, kind in self.accesses(before)[2:]}, {'stream'})
        # a seek long after the user's last listen of the call is a listen of its own
        self.leg.recording_access_ids.sudo().write({'accessed_at': fields.Datetime.now() - timedelta(hours=2)})
        count = len(self.accesses(before))
        play('bytes=4000-')
        play('bytes=5000-')
        self.assertEqual(len(self.accesses(before)), count + 1)
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
        self.assertEqual(self.leg.with_user(self.supervisor).recording_url, f'/ameyo/recording/{self.leg.id}')
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
        # one play, one line: opening the call form is no listen (the player loads nothing before it plays)
        self.assertRecordValues(leg.recording_access_ids, [{'user_id': self.supervisor.id, 'kind': 'stream'}])

    def test_wav_plays_on_the_call_form(self):
        self.play_from_the_chatter('wav')

    def test_mp3_plays_on_the_call_form(self):
        self.play_from_the_chatter('mp3')

"""Who may play a call's recording, over HTTP as each role, through every route that reads
attachments."""

import inspect
import re
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from ..simulator import recording_mp3
from .common import CLIENT_LOGGER, AmeyoHttpCase


class RecordingHttpCase(AmeyoHttpCase):
    """The test server on a simulator that records its calls (legacy API), agent A on campaign
    101."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = cls.start_simulator()
        cls.sim.add_campaign('101', 'Test Campaign')
        cls.sim.add_agent('t.agent-a@acme', campaigns=('101',))
        cls.server.write(
            {'base_url': cls.sim.url, 'api_flavour': 'legacy', 'recording_api': 'webaccess'}
        )


@tagged('post_install', '-at_install')
class TestRecordingAccess(RecordingHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.recording_format = 'mp3'
        cls.sales = new_test_user(cls.env, login='t_sales', groups='sales_team.group_sale_salesman')
        cls.partner = cls.env['res.partner'].create(
            {'name': 'Meera Iyer', 'phone': '+91 97400 11223'}
        )
        call = cls.sim.start_call('t.agent-a@acme', '101', '9740011223')
        cls.sim.hangup(call)
        cls.leg = cls.create_leg(
            call['crtObjectId'],
            cls.agent_a,
            call['userCrtObjectId'],
            state='disposed',
            connected_at=fields.Datetime.now() - timedelta(minutes=10),
            partner_id=cls.partner.id,
        )
        with mute_logger(CLIENT_LOGGER):
            cls.leg.with_user(cls.supervisor).action_fetch_recording()
        cls.recording = cls.leg.recording_id
        # the file: Odoo's attachment of the recording's ``audio`` field
        cls.attachment = cls.env['ir.attachment'].search(
            [
                ('res_model', '=', 'ameyo.call.recording'),
                ('res_id', '=', cls.recording.id),
                ('res_field', '=', 'audio'),
            ]
        )

    def setUp(self):
        super().setUp()
        self.assertEqual((self.recording.state, self.recording.mimetype), ('fetched', 'audio/mpeg'))
        self.assertEqual(self.attachment.raw, recording_mp3())
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
        return [
            (access.user_id, access.kind)
            for access in self.recording.access_ids.sorted('id')[before:]
        ]

    def csrf_token(self, cookies):
        """The CSRF token Odoo gives the pages of the session ``cookies`` (read from the web
        client's page)."""
        page = self._http('GET', '/odoo', cookies=cookies)
        return re.search(r'csrf_token: "([^"]+)"', page.text).group(1)

    def test_the_recording_route_by_role(self):
        self.assertPlays(self.get(self.route, self.supervisor))
        for user in (self.agent_a, self.agent_b, self.sales):
            with self.subTest(user=user.login):
                self.assertForbidden(self.get(self.route, user))
        self.assertRefused(self.get(self.route))  # not logged in: the login page
        self.assertForbidden(self.get(f'/ameyo/recording/{self.leg.id + 100000}', self.supervisor))
        # the company lets agents replay their own calls: the call's agent, and only them
        self.env.company.ameyo_agents_replay = True
        self.assertPlays(self.get(self.route, self.agent_a))
        self.assertForbidden(self.get(self.route, self.agent_b))
        self.assertForbidden(self.get(self.route, self.sales))

    def test_web_content_refuses_a_recording_to_everyone(self):
        """Only the recording route serves it to people (it records the listen): /web/content,
        /web/image refuse the file, as an attachment or as the recording's ``audio`` field, even to
        a supervisor, even to the call's agent allowed to replay; a system administrator reads the
        field (Odoo's own rule, not ours)."""
        self.env.company.ameyo_agents_replay = True
        attachment, recording = self.attachment.id, self.recording.id
        for user in (self.supervisor, self.agent_a, self.agent_b, self.sales, None):
            for path in (
                f'/web/content/{attachment}',
                f'/web/content/{attachment}?download=true',
                f'/web/content/ir.attachment/{attachment}/raw',
                f'/web/content/ir.attachment/{attachment}/datas',
                f'/web/image/{attachment}?download=true',
                f'/web/content/ameyo.call.recording/{recording}/audio',
                f'/web/content/ameyo.call.recording/{recording}/audio?download=true',
            ):
                with self.subTest(user=user and user.login, path=path):
                    self.assertRefused(self.get(path, user))
            # Odoo's placeholder image
            with self.subTest(user=user and user.login, path='/web/image'):
                response = self.get(f'/web/image/{attachment}', user)
                self.assertNotIn(recording_mp3()[:64], response.content)
                self.assertEqual(response.status_code, 200)
                self.assertTrue(
                    response.headers['Content-Type'].startswith('image/'), response.headers
                )
        self.assertFalse(self.recording.access_ids)
        # the field is the system administrators': the refusals above are about who asks
        admin = self.env.ref('base.user_admin')
        self.assertTrue(admin.has_group('base.group_system'))
        self.assertPlays(self.get(f'/web/content/ameyo.call.recording/{recording}/audio', admin))

    def test_access_tokens_do_not_open_a_recording(self):
        """Odoo serves an attachment to anyone holding its token, as superuser: no user can give a
        recording's file one (writing the attachment is writing the ``audio`` field), no search or
        chatter hands one out (Odoo hides a field's attachments from searches), and a made-up token
        opens nothing."""
        for user in (self.supervisor, self.agent_a):
            with self.subTest(user=user.login):
                answer = self._call_kw(
                    'ir.attachment', 'generate_access_token', [[self.attachment.id]], self.as_(user)
                )
                self.assertEqual(
                    answer.get('error', {}).get('data', {}).get('name'),
                    'odoo.exceptions.AccessError',
                    answer,
                )
        self.attachment.invalidate_recordset()
        self.assertFalse(self.attachment.access_token)
        for user in (None, self.agent_b, self.sales, self.supervisor):
            with self.subTest(user=user and user.login):
                self.assertForbidden(
                    self.get(f'/web/content/{self.attachment.id}?access_token=made-up-token', user)
                )

    def test_the_mail_zip_route_refuses_a_recording(self):
        """/mail/attachment/zip streams the attachments it is given as the user: never a
        recording."""
        other = self.env['ir.attachment'].create(
            {
                'name': 'notes.txt',
                'raw': b'call notes',
                'res_model': 'ameyo.call',
                'res_id': self.leg.id,
            }
        )
        for user in (self.supervisor, self.agent_a):
            with self.subTest(user=user.login):
                cookies = self.as_(user)
                form = {
                    'file_ids': str(self.attachment.id),
                    'zip_name': 'calls.zip',
                    'csrf_token': self.csrf_token(cookies),
                }
                response = self._http('POST', '/mail/attachment/zip', data=form, cookies=cookies)
                self.assertForbidden(response)
                form['file_ids'] = f'{other.id},{self.attachment.id}'
                self.assertForbidden(
                    self._http('POST', '/mail/attachment/zip', data=form, cookies=cookies)
                )
        # the route itself works (the token is right): another attachment of the call is zipped
        cookies = self.as_(self.supervisor)
        form = {
            'file_ids': str(other.id),
            'zip_name': 'calls.zip',
            'csrf_token': self.csrf_token(cookies),
        }
        response = self._http('POST', '/mail/attachment/zip', data=form, cookies=cookies)
        self.assertEqual(response.status_code, 200, response.text[:300])
        self.assertEqual(response.content[:2], b'PK')

    def test_the_recording_route_streams_ranges(self):
        data = recording_mp3()
        cookies = self.as_(self.supervisor)
        response = self._http('GET', self.route, cookies=cookies, headers={'Range': 'bytes=100-'})
        self.assertEqual(response.status_code, 206, response.text[:200])
        self.assertEqual(response.content, data[100:])
        self.assertEqual(
            response.headers['Content-Range'], f'bytes 100-{len(data) - 1}/{len(data)}'
        )
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
        (self.supervisor | self.agent_a | self.agent_b | self.sales).write(
            {'group_ids': [Command.link(export.id)]}
        )
        self.env.company.ameyo_agents_replay = True  # agent A reads the recording: not its file
        attachment = self.attachment.id
        for user in (self.supervisor, self.agent_a, self.agent_b, self.sales):
            with self.subTest(user=user.login):
                cookies = self.as_(user)
                # searches list the file to nobody (Odoo hides the attachments of fields)
                for domain in (
                    [('res_model', '=', 'ameyo.call')],
                    [('res_model', '=', 'ameyo.call.recording')],
                    [('mimetype', '=like', 'audio/%')],
                ):
                    found = self._call_kw(
                        'ir.attachment', 'search_read', [domain], cookies, {'fields': ['id']}
                    )
                    self.assertNotIn(
                        attachment, [row['id'] for row in found.get('result') or []], found
                    )
                # its content, for no one: only the recording route serves it
                for method, args, kwargs in (
                    ('read', [[attachment], ['datas']], {}),
                    ('read', [[attachment], ['raw']], {}),
                    ('read', [[attachment], ['db_datas']], {}),
                    ('read', [[attachment]], {}),
                    ('web_read', [[attachment]], {'specification': {'datas': {}}}),
                    ('export_data', [[attachment], ['datas']], {}),
                ):
                    with self.subTest(method=method, args=args):
                        read = self._call_kw('ir.attachment', method, args, cookies, kwargs)
                        self.assertNotIn('result', read)
                        self.assertEqual(
                            read['error']['data']['name'], 'odoo.exceptions.AccessError', read
                        )
                # a search by id finds it for nobody, and reads no content either
                read = self._call_kw(
                    'ir.attachment',
                    'search_read',
                    [[('id', '=', attachment)]],
                    cookies,
                    {'fields': ['name', 'datas']},
                )
                self.assertFalse(read.get('result'), read)
                # nor its name, read directly
                read = self._call_kw(
                    'ir.attachment', 'read', [[attachment], ['name', 'file_size']], cookies
                )
                self.assertNotIn('result', read)
                # the recording's audio field: system administrators only
                read = self._call_kw(
                    'ameyo.call.recording', 'read', [[self.recording.id], ['audio']], cookies
                )
                self.assertEqual(read['error']['data']['name'], 'odoo.exceptions.AccessError', read)
        # what a supervisor reads of the recording: all but the file
        read = self._call_kw(
            'ameyo.call.recording', 'read', [[self.recording.id]], self.as_(self.supervisor)
        )
        self.assertEqual(read['result'][0]['file_size'], len(recording_mp3()), read)
        self.assertNotIn('audio', read['result'][0])
        # in Python too, as any user but the superuser
        for user in (self.supervisor, self.agent_a):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.attachment.with_user(user).invalidate_recordset()
                    self.attachment.with_user(user).raw  # noqa: B018
                with self.assertRaises(AccessError):
                    self.recording.with_user(user).audio  # noqa: B018
        self.attachment.invalidate_recordset()
        self.assertEqual(self.attachment.sudo().raw, recording_mp3())

    def test_no_search_of_attachments_is_ours(self):
        """Odoo hides a field's attachments from every search: no override of this addon adds a
        subquery to every attachment search of every user, nor streams attachments its own way."""
        for model in ('ir.attachment', 'ir.binary'):
            ours = [
                cls
                for cls in type(self.env[model]).__mro__
                if cls.__module__.startswith('odoo.addons.crm_ameyo')
            ]
            self.assertFalse(ours, f'{model} is overridden by {ours}')
        # the test can fail: a class of ours in a model's MRO is found
        self.assertTrue(
            any(
                cls.__module__.startswith('odoo.addons.crm_ameyo')
                for cls in type(self.env['res.company']).__mro__
            )
        )
        search = type(self.env['ir.attachment'])._search
        self.assertFalse(inspect.getmodule(search).__name__.startswith('odoo.addons.crm_ameyo'))
        # a normal user's search of attachments: the recording's file is hidden all the same
        Attachment = self.env['ir.attachment'].with_user(self.supervisor)
        found = Attachment.search([('res_model', '=', 'ameyo.call.recording')])
        self.assertNotIn(self.attachment, found.sudo())

    def test_a_recording_hidden_from_an_agent_of_another_leg(self):
        Recording = self.env['ameyo.call.recording']
        self.env.company.ameyo_agents_replay = True
        self.assertEqual(
            Recording.with_user(self.agent_a).search([('id', '=', self.recording.id)]),
            self.recording.with_user(self.agent_a),
        )
        self.assertFalse(Recording.with_user(self.agent_b).search([('id', '=', self.recording.id)]))
        self.assertFalse(self.recording.with_user(self.agent_b).has_access('read'))
        answer = self._call_kw(
            'ameyo.call.recording', 'read', [[self.recording.id], ['state']], self.as_(self.agent_b)
        )
        self.assertEqual(answer['error']['data']['name'], 'odoo.exceptions.AccessError', answer)
        # the call's own agent, only while their company lets agents replay
        self.env.company.ameyo_agents_replay = False
        self.assertFalse(Recording.with_user(self.agent_a).search([('id', '=', self.recording.id)]))
        # a supervisor writes Keep, and nothing else
        cookies = self.as_(self.supervisor)
        answer = self._call_kw(
            'ameyo.call.recording', 'write', [[self.recording.id], {'keep': True}], cookies
        )
        self.assertIs(answer.get('result'), True, answer)
        for values in (
            {'state': 'purged'},
            {'audio': False},
            {'call_id': self.leg.id},
            {'error': 'x'},
        ):
            with self.subTest(values=values):
                answer = self._call_kw(
                    'ameyo.call.recording', 'write', [[self.recording.id], values], cookies
                )
                self.assertEqual(
                    answer['error']['data']['name'], 'odoo.exceptions.AccessError', answer
                )
        for method, args in (
            ('create', [{'call_id': self.leg.id}]),
            ('unlink', [[self.recording.id]]),
        ):
            with self.subTest(method=method):
                answer = self._call_kw('ameyo.call.recording', method, args, cookies)
                self.assertEqual(
                    answer['error']['data']['name'], 'odoo.exceptions.AccessError', answer
                )
        self.recording.invalidate_recordset()
        self.assertRecordValues(self.recording, [{'state': 'fetched', 'keep': True}])
        self.assertEqual(self.attachment.sudo().raw, recording_mp3())

    def test_the_chatters(self):
        """The call's attachment box lists the recording to nobody (its download would go through
        /web/content, which refuses it: the call form plays it); the contact's chatter has a note
        that links to the call and carries no file."""
        params = {
            'fetch_params': [
                [
                    'mail.thread',
                    {
                        'thread_model': 'ameyo.call',
                        'thread_id': self.leg.id,
                        'request_list': ['attachments'],
                    },
                ]
            ]
        }
        for user in (self.supervisor, self.agent_a):
            with self.subTest(user=user.login):
                data = self._rpc('/mail/data', params, cookies=self.as_(user))['result']
                attachment_ids = [att['id'] for att in data.get('ir.attachment', [])]
                self.assertNotIn(self.attachment.id, attachment_ids)
        note = self.partner.message_ids.filtered(lambda m: 'recording of this call' in str(m.body))
        self.assertEqual(len(note), 1)
        self.assertFalse(note.attachment_ids)
        self.assertIn(f'data-oe-id="{self.leg.id}"', str(note.body))

    def test_each_play_and_download_is_recorded(self):
        before = len(self.recording.access_ids)
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
        # the end of the file (the player reads the duration there): the same play
        play('bytes=-500')
        self.assertEqual(
            self.accesses(before), [(self.supervisor, 'stream'), (self.supervisor, 'download')]
        )
        self.get(self.route, self.agent_b)  # refused: nothing to record
        self.assertEqual(len(self.accesses(before)), 2)
        cookies.update(self.as_(self.supervisor))  # the test server keeps one session at a time
        # a range from byte 0 is a new play, however it is written; a Range Odoo cannot serve as one
        # byte range too (it sends the whole file then)
        for range_header in (
            'bytes=0-',
            'bytes=00-',
            'BYTES=0-',
            'Bytes = 0-1000',
            'bytes=0-99,4000-',
            'bytes=garbage',
            'bytes=4000',
            'seconds=0-',
            'bytes 4000-',
            '',
        ):
            with self.subTest(range=range_header):
                count = len(self.accesses(before))
                play(range_header)
                self.assertEqual(len(self.accesses(before)), count + 1)
        self.assertEqual({kind for _user, kind in self.accesses(before)[2:]}, {'stream'})
        # a seek long after the user's last listen of the call is a listen of its own
        self.recording.access_ids.sudo().write(
            {'accessed_at': fields.Datetime.now() - timedelta(hours=2)}
        )
        count = len(self.accesses(before))
        play('bytes=4000-')
        play('bytes=5000-')
        self.assertEqual(len(self.accesses(before)), count + 1)
        with self.assertRaises(AccessError):  # who listened is for supervisors
            self.env['ameyo.recording.access'].with_user(self.agent_a).search([])

    def test_fetch_over_rpc_is_a_notification_for_everyone(self):
        for user in (self.sales, self.agent_b, self.agent_a):
            with self.subTest(user=user.login):
                answer = self._call_kw(
                    'ameyo.call', 'action_fetch_recording', [[self.leg.id]], self.as_(user)
                )
                self.assertNotIn('error', answer)
                self.assertEqual(answer['result']['tag'], 'display_notification')
        # their own call: it is already there
        self.assertEqual(answer['result']['params']['type'], 'warning')

    def test_the_call_form_shows_the_player_to_whoever_may_play(self):
        self.assertEqual(
            self.leg.with_user(self.supervisor).recording_url, f'/ameyo/recording/{self.leg.id}'
        )
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
        cls.partner = cls.env['res.partner'].create(
            {'name': 'Tour Caller', 'phone': '+91 97400 55555'}
        )

    def fetched_call(self, fmt):
        """A call of the tour's caller, over, its recording (in ``fmt``) fetched by the
        supervisor."""
        self.server.recording_format = fmt
        call = self.sim.start_call('t.agent-a@acme', '101', '9740055555')
        self.sim.hangup(call)
        leg = self.create_leg(
            call['crtObjectId'],
            self.agent_a,
            call['userCrtObjectId'],
            state='disposed',
            connected_at=fields.Datetime.now() - timedelta(minutes=10),
            partner_id=self.partner.id,
        )
        with mute_logger(CLIENT_LOGGER):
            leg.with_user(self.supervisor).action_fetch_recording()
        self.assertEqual(leg.recording_state, 'fetched')
        return leg

    def play_from_the_chatter(self, fmt):
        leg = self.fetched_call(fmt)
        self.start_tour(
            f'/odoo/res.partner/{self.partner.id}', 'crm_ameyo_recording_tour', login='t_supervisor'
        )
        # one play, one line: opening the call form is no listen (the player loads nothing before it
        # plays)
        self.assertRecordValues(
            leg.recording_id.access_ids, [{'user_id': self.supervisor.id, 'kind': 'stream'}]
        )

    def test_wav_plays_on_the_call_form(self):
        self.play_from_the_chatter('wav')

    def test_mp3_plays_on_the_call_form(self):
        self.play_from_the_chatter('mp3')

    def test_listened_by_shows_a_play_on_the_recordings_form_at_once(self):
        """ "Listened By" needed a reload: played on the recording's own form, the listen shows at
        once."""
        leg = self.fetched_call('wav')
        self.assertFalse(leg.recording_id.access_ids)
        self.start_tour(
            f'/odoo/ameyo-recordings/{leg.recording_id.id}',
            'crm_ameyo_recording_listen_tour',
            login='t_supervisor',
        )
        self.assertRecordValues(
            leg.recording_id.access_ids, [{'user_id': self.supervisor.id, 'kind': 'stream'}]
        )

"""Single sign-on with Ameyo (POST /ameyo/sso) and the pops it authenticates, through the real HTTP
stack. (Odoo inside Ameyo's iframe, SSO tokens there included: test_embedding.)

TestSsoHardening: what a password sprayer, or an agent locked out by one, meets: source
networks, throttles, equal work for unknown users, the body limit, and tokens dying with
what they stood for. (Races need parallel requests against a multi-worker server, which
HttpCase cannot serve: bench/sso_race.sh.)"""

import base64
import hashlib
import json
import os
import socket
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape

from lxml import etree
from passlib.handlers.pbkdf2 import Pbkdf2DigestHandler

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import config, mute_logger

from .common import AGENT_GROUPS, AmeyoHttpCase

ALLOWED = 'https://agent.example.com'
ALLOWED_MIXED_CASE = 'https://Agent2.Example.com:8443'  # browsers send origins in lower case
URL_TOKEN = 'static-url-token-0123456789'
PASSWORD_A = 'Agent-A-password-1'
PASSWORD_B = 'Agent-B-password-2'
PASSWORD_TOTP = 'Totp-agent-password-3'


def sso_xml(pairs):
    return (
        '<request>'
        + ''.join(f'<{key}>{escape(value)}</{key}>' for key, value in pairs)
        + '</request>'
    )


class SsoCase(AmeyoHttpCase):
    """Fixtures and helpers of the SSO tests (no test of its own)."""

    server_values = {
        'session_mode': 'sso',
        'frame_origins': f'{ALLOWED}\n{ALLOWED_MIXED_CASE}',
        'url_token': URL_TOKEN,
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.agent_a.password = PASSWORD_A
        cls.agent_b.password = PASSWORD_B
        cls.agent_totp = new_test_user(
            env,
            login='t_agent_totp',
            password=PASSWORD_TOTP,
            groups=AGENT_GROUPS,
            ameyo_user_id='t.totp@acme',
        )
        cls.sim = cls.start_simulator()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _post_sso(self, form, pairs, expected_format=None, headers=None):
        """POST ``pairs`` (name, value) to /ameyo/sso in ``form``; return the parsed answer."""
        headers = dict(headers or {})
        if form == 'xml':
            data, headers['Content-Type'] = sso_xml(pairs).encode(), 'text/xml; charset=UTF-8'
        elif form == 'requestXml':
            data = {'requestXml': sso_xml(pairs)}
        elif form == 'json':
            data, headers['Content-Type'] = json.dumps(dict(pairs)), 'application/json'
        elif form == 'request':
            data = {'request': json.dumps(dict(pairs))}
        elif form == 'request-xml':
            data = {'request': sso_xml(pairs)}
        else:
            raise ValueError(form)
        fmt = expected_format or ('json' if form in ('json', 'request') else 'xml')
        return self._answer(self._http('POST', '/ameyo/sso', data=data, headers=headers), fmt)

    def _answer(self, response, fmt):
        """Check the answer is an HTTP 200 in ``fmt``, without traceback; return status, message,
        token."""
        self.assertEqual(response.status_code, 200, response.text[:2000])
        self.assertNotIn('Traceback', response.text)
        self.assertEqual(response.headers.get('Cache-Control'), 'no-store')
        if fmt == 'json':
            self.assertEqual(response.headers['Content-Type'], 'application/json')
            data = response.json()
            self.assertLessEqual({'status', 'message', 'crmsessionid'}, set(data), data)
            return {
                'status': data['status'],
                'message': data['message'],
                'token': data['crmsessionid'],
            }
        self.assertTrue(
            response.headers['Content-Type'].startswith('application/xml'), response.headers
        )
        root = etree.fromstring(response.content)
        self.assertEqual(root.tag, 'response')
        self.assertEqual(
            [child.tag for child in root], ['status', 'message', 'crmSessionId'], response.text
        )
        return {
            'status': root.findtext('status'),
            'message': root.findtext('message'),
            'token': root.findtext('crmSessionId'),
        }

    def _login(self, agent=None, password=PASSWORD_A, form='xml'):
        agent = agent or self.agent_a
        answer = self._post_sso(
            form, [('command', 'login'), ('userId', agent.ameyo_user_id), ('password', password)]
        )
        self.assertEqual(answer['status'], 'success', answer)
        return answer['token']

    def _tokens(self, user=None):
        domain = [('user_id', '=', user.id)] if user else []
        return self.env['ameyo.sso.token'].sudo().search(domain)

    def _token_record(self, token):
        record = (
            self.env['ameyo.sso.token']
            .sudo()
            .search([('token_hash', '=', hashlib.sha256(token.encode()).hexdigest())])
        )
        self.assertEqual(len(record), 1)
        return record


@tagged('post_install', '-at_install')
class TestSso(SsoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.sso_source_networks = '127.0.0.1\n::1'  # the tests play Ameyo's server

    # ------------------------------------------------------------------
    # The SSO API: request forms, answer formats, credentials
    # ------------------------------------------------------------------

    def test_every_request_form_and_name_case(self):
        forms = ('xml', 'requestXml', 'json', 'request', 'request-xml')
        user_keys = ('userId', 'userid', 'USERID')
        session_keys = ('crmSessionId', 'crmsessionid', 'CRMSESSIONID')
        for form in forms:
            for user_key, session_key in zip(user_keys, session_keys, strict=True):
                with self.subTest(form=form, key=user_key):
                    command_key = 'COMMAND' if user_key == 'USERID' else 'command'
                    answer = self._post_sso(
                        form,
                        [
                            (command_key, 'login'),
                            (user_key, self.agent_a.ameyo_user_id),
                            ('password', PASSWORD_A),
                        ],
                    )
                    self.assertEqual(
                        (answer['status'], answer['message']), ('success', 'Auth Successful')
                    )
                    token = answer['token']
                    self.assertGreaterEqual(len(token), 32)
                    record = (
                        self.env['ameyo.sso.token']
                        .sudo()
                        .search([('token_hash', '=', hashlib.sha256(token.encode()).hexdigest())])
                    )
                    self.assertEqual(
                        (record.user_id, record.server_id, record.revoked),
                        (self.agent_a, self.server, False),
                    )
                    answer = self._post_sso(form, [('command', 'logout'), (session_key, token)])
                    self.assertEqual(
                        (answer['status'], answer['message']), ('success', 'Logout Successful')
                    )
                    self.assertTrue(record.revoked)
        # the JSON answer carries crmsessionid (and Ameyo's camelCase spelling too)
        response = self._http(
            'POST',
            '/ameyo/sso',
            data=json.dumps(
                {'command': 'login', 'userid': self.agent_a.ameyo_user_id, 'password': PASSWORD_A}
            ),
            headers={'Content-Type': 'application/json'},
        )
        data = response.json()
        self.assertEqual(data['status'], 'success')
        self.assertEqual(data['crmsessionid'], data['crmSessionId'])

    def test_simulator_plays_ameyo(self):
        url = f'{self.base_url()}/ameyo/sso'
        for form in ('xml', 'requestXml', 'json', 'request'):
            with self.subTest(form=form):
                with self.server_calls():
                    login = self.sim.sso_login(
                        url, self.agent_b.ameyo_user_id, PASSWORD_B, form=form
                    )
                self.assertEqual((login['http_status'], login['status']), (200, 'success'), login)
                record = self._tokens(self.agent_b).filtered(
                    lambda token, login=login: (
                        token.token_hash
                        == hashlib.sha256(login['crmSessionId'].encode()).hexdigest()
                    )
                )
                self.assertEqual(len(record), 1)
                self.assertTrue(
                    login['raw'].lstrip().startswith('{' if form in ('json', 'request') else '<')
                )
                with self.server_calls():
                    logout = self.sim.sso_logout(url, login['crmSessionId'], form=form)
                self.assertEqual(
                    (logout['http_status'], logout['status']), (200, 'success'), logout
                )
                self.assertTrue(record.revoked)
                with self.server_calls():
                    wrong = self.sim.sso_login(
                        url, self.agent_b.ameyo_user_id, 'not-the-password', form=form
                    )
                self.assertEqual((wrong['status'], wrong['crmSessionId']), ('failed', ''), wrong)

    def test_token_is_stored_as_a_hash_with_an_expiry(self):
        before = fields.Datetime.now()
        token = self._login()
        record = self._tokens(self.agent_a)
        self.assertEqual(len(record), 1)
        self.assertEqual(record.token_hash, hashlib.sha256(token.encode()).hexdigest())
        self.assertGreater(record.expires_at, before + timedelta(hours=1))
        self.assertLessEqual(record.expires_at, fields.Datetime.now() + timedelta(hours=24))
        self.env.cr.execute("SELECT row_to_json(t)::text FROM ameyo_sso_token t")
        rows = [row[0] for row in self.env.cr.fetchall()]
        self.assertTrue(rows)
        for row in rows:
            self.assertNotIn(token, row)
        # a second login is another token
        self.assertNotEqual(self._login(), token)
        self.assertEqual(len(self._tokens(self.agent_a)), 2)

    def test_wrong_password_and_unknown_user_answer_alike(self):
        for form in ('xml', 'json'):
            answers = [
                self._post_sso(
                    form,
                    [
                        ('command', 'login'),
                        ('userId', self.agent_a.ameyo_user_id),
                        ('password', 'wrong-password'),
                    ],
                ),
                self._post_sso(
                    form,
                    [('command', 'login'), ('userId', 'nobody@acme'), ('password', PASSWORD_A)],
                ),
                self._post_sso(
                    form, [('command', 'login'), ('userId', self.agent_a.ameyo_user_id)]
                ),
                # a user's Odoo login is not their Ameyo userId
                self._post_sso(
                    form,
                    [
                        ('command', 'login'),
                        ('userId', self.agent_a.login),
                        ('password', PASSWORD_A),
                    ],
                ),
            ]
            for answer in answers:
                self.assertEqual(
                    answer, {'status': 'failed', 'message': 'Invalid credentials', 'token': ''}
                )
        self.assertFalse(self._tokens())

    def test_api_key_as_password(self):
        key = (
            self.env['res.users.apikeys']
            .with_user(self.agent_a)
            .sudo()
            ._generate(None, 'ameyo', None)
        )
        token = self._login(password=key)
        self.assertEqual(
            self._tokens(self.agent_a).token_hash, hashlib.sha256(token.encode()).hexdigest()
        )
        # the key of one user is not another's password
        answer = self._post_sso(
            'xml', [('command', 'login'), ('userId', self.agent_b.ameyo_user_id), ('password', key)]
        )
        self.assertEqual(answer['status'], 'failed')
        self.assertFalse(self._tokens(self.agent_b))

    def test_two_factor_user_needs_an_api_key(self):
        agent = self.agent_totp
        self._login(agent, PASSWORD_TOTP)  # before 2FA, their password works
        agent.sudo().totp_secret = base64.b32encode(os.urandom(20)).decode()
        agent.invalidate_recordset()
        self.assertTrue(agent.totp_enabled)
        answer = self._post_sso(
            'json',
            [('command', 'login'), ('userId', agent.ameyo_user_id), ('password', PASSWORD_TOTP)],
        )
        self.assertEqual(
            answer, {'status': 'failed', 'message': 'Invalid credentials', 'token': ''}
        )
        self.assertEqual(len(self._tokens(agent)), 1)
        key = self.env['res.users.apikeys'].with_user(agent).sudo()._generate(None, 'ameyo', None)
        token = self._login(agent, key, form='json')
        self.assertIn(
            hashlib.sha256(token.encode()).hexdigest(), self._tokens(agent).mapped('token_hash')
        )

    def test_malformed_and_hostile_bodies(self):
        user, password = self.agent_a.ameyo_user_id, PASSWORD_A
        creds = f'<command>login</command><userId>{user}</userId><password>{password}</password>'
        json_creds = {'command': 'login', 'userId': user, 'password': password}
        laughs = (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + ''.join(
                f'<!ENTITY lol{n} "{("&lol%s;" % (n - 1 or "")) * 10}">' for n in range(1, 10)
            )
            + f']><request>{creds}<x>&lol9;</x></request>'
        )
        xxe = (
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f'<request>{creds}<x>&x;</x></request>'
        )
        late_doctype = (
            f'<?xml version="1.0"?><!-- {"c" * 6000} --><!DOCTYPE r [<!ENTITY x "y">]>'
            f'<request>{creds}<x>&x;</x></request>'
        )
        late_unused_doctype = (
            f'<?xml version="1.0"?><!-- {"c" * 6000} -->'
            f'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><request>{creds}</request>'
        )
        huge = f'<request>{creds}<padding>{"A" * 17000}</padding></request>'
        xml_type = {'Content-Type': 'text/xml'}
        json_type = {'Content-Type': 'application/json'}
        cases = [
            # (name, data, headers, answer format, message)
            ('invalid XML', f'<request>{creds}', xml_type, 'xml', 'Invalid XML format'),
            ('billion laughs', laughs, xml_type, 'xml', 'Invalid XML format'),
            ('XXE', xxe, xml_type, 'xml', 'Invalid XML format'),
            ('DOCTYPE after a long comment', late_doctype, xml_type, 'xml', 'Invalid XML format'),
            (
                'unused DOCTYPE after a long comment',
                late_unused_doctype,
                xml_type,
                'xml',
                'Invalid XML format',
            ),
            ('XXE in requestXml', {'requestXml': xxe}, {}, 'xml', 'Invalid XML format'),
            (
                'nested elements',
                f'<request>{creds}<extra><x>1</x></extra></request>',
                xml_type,
                'xml',
                'Invalid XML format',
            ),
            (
                'nested userId',
                f'<request><command>login</command><userId><v>{user}</v></userId>'
                f'<password>{password}</password></request>',
                xml_type,
                'xml',
                'Invalid XML format',
            ),
            ('huge body', huge, xml_type, 'xml', 'Request too large'),
            ('huge requestXml', {'requestXml': huge}, {}, 'xml', 'Request too large'),
            (
                'huge JSON',
                json.dumps(dict(json_creds, padding='A' * 17000)),
                json_type,
                'json',
                'Request too large',
            ),
            ('JSON list', json.dumps([json_creds]), json_type, 'json', 'Invalid JSON format'),
            (
                'JSON number command',
                json.dumps(dict(json_creds, command=1)),
                json_type,
                'json',
                'Invalid value for command',
            ),
            (
                'JSON nested password',
                json.dumps(dict(json_creds, password={'value': password})),
                json_type,
                'json',
                'Invalid value for password',
            ),
            (
                'JSON list userId',
                json.dumps(dict(json_creds, userId=[user])),
                json_type,
                'json',
                'Invalid value for userId',
            ),
            (
                'JSON boolean password',
                json.dumps(dict(json_creds, password=True)),
                json_type,
                'json',
                'Invalid value for password',
            ),
            ('broken JSON', '{"command": "login", ', json_type, 'json', 'Invalid JSON format'),
            (
                'JSON list in the request field',
                {'request': json.dumps([json_creds])},
                {},
                'json',
                'Invalid JSON format',
            ),
            (
                'unknown command',
                json.dumps(dict(json_creds, command='delete')),
                json_type,
                'json',
                'Invalid command',
            ),
            (
                'unknown XML command',
                f'<request><command>drop</command><userId>{user}</userId></request>',
                xml_type,
                'xml',
                'Invalid command',
            ),
            (
                'no command',
                f'<request><userId>{user}</userId><password>{password}</password></request>',
                xml_type,
                'xml',
                'Invalid command',
            ),
            ('empty body', b'', xml_type, 'xml', 'Invalid request format'),
            (
                'plain text',
                b'command=login',
                {'Content-Type': 'text/plain'},
                'xml',
                'Invalid request format',
            ),
            (
                'invalid UTF-8',
                f'<request>{creds}<x>'.encode() + b'\xff\xfe\xc3(</x></request>',
                xml_type,
                'xml',
                'Invalid request format',
            ),
            (
                'invalid UTF-8 JSON',
                b'{"command": "login", "userId": "\xff\xfe"}',
                json_type,
                'json',
                'Invalid request format',
            ),
        ]
        for name, data, headers, fmt, message in cases:
            with self.subTest(case=name):
                tokens_before = self._tokens()
                response = self._http('POST', '/ameyo/sso', data=data, headers=headers)
                answer = self._answer(response, fmt)
                self.assertEqual(answer, {'status': 'failed', 'message': message, 'token': ''})
                self.assertNotIn('root:', response.text)
                self.assertEqual(self._tokens(), tokens_before)
        # the same credentials, well formed, do log in: the refusals above were the bodies'
        self.assertEqual(
            self._post_sso('xml', [('command', 'login'), ('userId', user), ('password', password)])[
                'status'
            ],
            'success',
        )

    def test_sso_refuses_get_and_other_methods(self):
        response = self._http(
            'GET',
            f'/ameyo/sso?command=login&userId={self.agent_a.ameyo_user_id}&password={PASSWORD_A}',
        )
        self.assertIn(response.status_code, (404, 405))
        self.assertFalse(self._tokens())

    def test_deep_nesting_and_nul_fail_cleanly(self):
        for body in (
            '[' * 3000 + ']' * 3000,
            '{"a":' * 2500 + '1' + '}' * 2500,
            '{"command":"login","userId":"x\\u0000y","password":"a"}',
        ):
            response = self._http(
                'POST', '/ameyo/sso', data=body, headers={'Content-Type': 'application/json'}
            )
            self.assertEqual(self._answer(response, 'json')['status'], 'failed')
        self.assertFalse(self._tokens())

    def test_forms_seen_from_java_and_php_clients(self):
        login = sso_xml(
            [('command', 'login'), ('userId', self.agent_a.ameyo_user_id), ('password', PASSWORD_A)]
        )
        for body, content_type in (
            (login, 'application/x-www-form-urlencoded'),
            ('\ufeff' + login, 'text/xml'),
            (urlencode({'requestxml': login}), 'application/x-www-form-urlencoded'),
        ):
            with self.subTest(content_type=content_type, start=body[:12]):
                response = self._http(
                    'POST', '/ameyo/sso', data=body.encode(), headers={'Content-Type': content_type}
                )
                self.assertEqual(self._answer(response, 'xml')['status'], 'success')

    def test_tokens_stay_on_the_server_in_sso_mode_they_were_issued_for(self):
        token = self._login()
        other = self.server.copy(
            {'name': 'Other SSO', 'base_url': 'http://127.0.0.1:3', 'session_mode': 'sso'}
        )
        self.assertFalse(self.env['ameyo.sso.token']._find_valid(token, other))
        self.assertTrue(self.env['ameyo.sso.token']._find_valid(token, self.server.sudo()))
        login = sso_xml(
            [('command', 'login'), ('userId', self.agent_a.ameyo_user_id), ('password', PASSWORD_A)]
        )
        response = self._http(
            'POST', '/ameyo/999999/sso', data=login.encode(), headers={'Content-Type': 'text/xml'}
        )
        self.assertIn('<status>failed</status>', response.text)

    # ------------------------------------------------------------------
    # crmSessionId on lifecycle URLs
    # ------------------------------------------------------------------

    def test_lifecycle_url_with_a_token_opens_a_session(self):
        token = self._login()
        response = self._http('GET', self.pop_url(crmSessionId=token))
        leg = self.assertPops(response)
        self.assertEqual((leg.user_id, leg.server_id), (self.agent_a, self.server))
        cookie = self._set_cookies(response)['session_id']
        sid = self._cookie_value(cookie)
        self.assertEqual(self._session_uid(sid), self.agent_a.id)
        webclient = self._http('GET', '/odoo', cookies={'session_id': sid})
        self.assertEqual(webclient.status_code, 200, webclient.headers.get('Location'))
        self.assertIn('o_web_client', webclient.text)
        record = self._tokens(self.agent_a)
        self.assertEqual(record.session_identifiers.split(), [sid[:42]])
        # a browser already logged in as someone else is not switched silently: it is asked first
        self.authenticate('t_agent_b', PASSWORD_B)
        legs = self.env['ameyo.call'].search_count([])
        response = self._http(
            'GET', self.pop_url(crmSessionId=token), cookies={'session_id': self.session.sid}
        )
        self.assertEqual(response.status_code, 403)
        self.assertIn('/web/session/logout?redirect=', response.text)
        self.assertEqual(self._session_uid(self.session.sid), self.agent_b.id)
        self.assertEqual(self.env['ameyo.call'].search_count([]), legs)
        self.assertEqual(len(record.session_identifiers.split()), 1)

    def test_refused_tokens(self):
        expired = self._login()
        self._token_record(expired).expires_at = fields.Datetime.now() - timedelta(minutes=1)
        revoked = self._login()
        self._token_record(revoked).revoked = True
        of_agent_b = self._login(self.agent_b, PASSWORD_B)
        cases = [
            ('expired', expired, 'Single sign-on expired'),
            ('revoked', revoked, 'Single sign-on expired'),
            ('unknown', 'x' * 43, 'Single sign-on expired'),
            ("another agent's", of_agent_b, 'Wrong Odoo user'),
        ]
        for name, token, title in cases:
            with self.subTest(token=name):
                before = self.snapshot()
                response = self._http('GET', self.pop_url(crmSessionId=token))
                self.assertEqual(response.status_code, 403, response.text[:1000])
                self.assertIn(title, response.text)
                self.assertIn('nothing was recorded', response.text.lower())
                self.assertNotIn('Traceback', response.text)
                self.assertEqual(self.snapshot(), before)
                self.assertNoSession(response)

    def test_logout_ends_the_sessions_of_the_token(self):
        token = self._login()
        sids = []
        for _browser in range(2):
            response = self._http('GET', self.pop_url(crmSessionId=token))
            self.assertPops(response)
            sids.append(self._cookie_value(self._set_cookies(response)['session_id']))
        other_token = self._login()
        other = self._http('GET', self.pop_url(crmSessionId=other_token))
        other_sid = self._cookie_value(self._set_cookies(other)['session_id'])
        for sid in (*sids, other_sid):
            self.assertEqual(self._session_uid(sid), self.agent_a.id)
        with self.server_calls():
            logout = self.sim.sso_logout(f'{self.base_url()}/ameyo/sso', token, form='request')
        self.assertEqual(logout['status'], 'success', logout)
        for sid in sids:
            self.assertIsNone(self._session_uid(sid))
            login_page = self._http('GET', '/odoo', cookies={'session_id': sid})
            self.assertEqual(login_page.status_code, 303)
            self.assertIn('/web/login', login_page.headers['Location'])
        # the token no longer pops; the other token and its session live on
        before = self.snapshot()
        response = self._http('GET', self.pop_url(crmSessionId=token))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self._session_uid(other_sid), self.agent_a.id)
        self.assertPops(self._http('GET', self.pop_url(crmSessionId=other_token)))


@tagged('post_install', '-at_install')
class TestSsoHardening(SsoCase):
    """A password sprayer on the public SSO API, and the agents the sprayer must not lock out."""

    ATTACKER = '198.51.100.9'

    def setUp(self):
        super().setUp()
        # Odoo's per-address login failures live in the registry, across tests: start and end clean
        self._clear_login_failures()
        self.addCleanup(self._clear_login_failures)

    def _clear_login_failures(self):
        getattr(self.registry, '_login_failures', {}).clear()

    def _login_failures(self, address):
        return getattr(self.registry, '_login_failures', {}).get(address, (0, None))[0]

    def _from(self, address):
        """Headers a reverse proxy sends for a client at ``address`` (honoured only with
        proxy_mode)."""
        return {
            'X-Forwarded-For': address,
            'X-Forwarded-Host': urlsplit(self.base_url()).netloc,
            'X-Forwarded-Proto': 'http',
        }

    @contextmanager
    def _proxy_mode(self):
        with patch.dict(config.options, {'proxy_mode': True}):
            yield

    def _cooldown_after(self, failures):
        self.env['ir.config_parameter'].sudo().set_param('base.login_cooldown_after', str(failures))

    def _attempt(self, user_key, password, form='xml', headers=None):
        return self._post_sso(
            form,
            [('command', 'login'), ('userId', user_key), ('password', password)],
            headers=headers,
        )

    @contextmanager
    def _hashes(self):
        """Yield the list of the PBKDF2 password hashes computed meanwhile (their rounds), by
        anyone."""
        rounds = []
        original = Pbkdf2DigestHandler._calc_checksum

        def counting(handler, secret):
            rounds.append(handler.rounds)
            return original(handler, secret)

        with patch.object(Pbkdf2DigestHandler, '_calc_checksum', counting):
            yield rounds

    def _throttles(self):
        return self.env['ameyo.sso.throttle'].sudo().search([])

    def _pop_session(self, token, agent=None):
        """Pop a call with ``token``; return the Odoo session it opened (its sid)."""
        response = self._http('GET', self.pop_url(agent=agent, crmSessionId=token))
        self.assertPops(response)
        sid = self._cookie_value(self._set_cookies(response)['session_id'])
        self.assertEqual(self._session_uid(sid), (agent or self.agent_a).id)
        return sid

    def assertTokenDead(self, token, sid, agent=None):
        """The token is revoked, its session ended, and it pops nothing any more."""
        self.env.invalidate_all()
        self.assertTrue(self._token_record(token).revoked)
        self.assertIsNone(self._session_uid(sid))
        before = self.snapshot()
        response = self._http('GET', self.pop_url(agent=agent, crmSessionId=token))
        self.assertEqual(response.status_code, 403, response.text[:1000])
        self.assertEqual(self.snapshot(), before)

    # ------------------------------------------------------------------
    # Source networks
    # ------------------------------------------------------------------

    def test_calls_from_outside_the_source_networks_are_refused(self):
        self.server.sso_source_networks = '192.0.2.0/24  # Ameyo production\n2001:db8::/32'
        refused = {'status': 'failed', 'message': 'Address not allowed', 'token': ''}
        for form in ('xml', 'requestXml', 'json', 'request', 'request-xml'):
            with self.subTest(form=form), self._hashes() as hashes:
                self.assertEqual(
                    self._attempt(self.agent_a.ameyo_user_id, PASSWORD_A, form), refused
                )
                self.assertEqual(self._attempt(self.agent_a.ameyo_user_id, 'guess', form), refused)
                self.assertEqual(hashes, [])  # no password was checked
        # nothing was counted, by us or by Odoo's per-address cooldown, and no token issued
        self.assertFalse(self._throttles())
        self.assertEqual(self._login_failures('127.0.0.1'), 0)
        self.assertFalse(self._tokens())
        # a logout from outside ends nothing
        self.server.sso_source_networks = '127.0.0.0/8'
        token = self._login()
        sid = self._pop_session(token)
        self.server.sso_source_networks = '192.0.2.0/24'
        self.assertEqual(
            self._post_sso('json', [('command', 'logout'), ('crmSessionId', token)]),
            dict(refused, token=''),
        )
        self.assertFalse(self._token_record(token).revoked)
        self.assertEqual(self._session_uid(sid), self.agent_a.id)
        # from a listed network, both work
        self.server.sso_source_networks = '192.0.2.0/24\n127.0.0.1'
        self.assertEqual(
            self._post_sso('json', [('command', 'logout'), ('crmSessionId', token)])['status'],
            'success',
        )
        self.assertIsNone(self._session_uid(sid))
        self.assertTrue(self._login())

    def test_the_source_is_the_address_odoo_sees(self):
        self.server.sso_source_networks = '127.0.0.1'
        agent = self.agent_a.ameyo_user_id
        # without proxy_mode, forwarded headers are anybody's words: the peer (127.0.0.1) counts
        self.assertEqual(
            self._attempt(agent, PASSWORD_A, headers=self._from('192.0.2.7'))['status'], 'success'
        )
        with self._proxy_mode():
            # behind a proxy, the address it forwards
            self.assertEqual(
                self._attempt(agent, PASSWORD_A, headers=self._from('192.0.2.7'))['message'],
                'Address not allowed',
            )
            self.assertEqual(
                self._attempt(agent, PASSWORD_A, headers=self._from('127.0.0.1'))['status'],
                'success',
            )
            # Odoo honours X-Forwarded-For only along with X-Forwarded-Host
            self.assertEqual(
                self._attempt(agent, PASSWORD_A, headers={'X-Forwarded-For': '192.0.2.7'})[
                    'status'
                ],
                'success',
            )

    def test_source_networks_field(self):
        Server = self.env['ameyo.server']
        for bad in (
            'ameyo.example.com',
            '10.0.0.0/33',
            '10.0.0.300',
            'https://10.0.0.1',
            '10.0.0.1, 10.0.0.2',
        ):
            with (
                self.subTest(networks=bad),
                self.assertRaises(ValidationError),
                self.env.cr.savepoint(),
            ):
                self.server.sso_source_networks = f'10.1.1.1\n{bad}'
        self.server.sso_source_networks = (
            '203.0.113.10\n\n10.20.0.0/24   # Ameyo\n2001:db8::/32\n10.30.0.7/24'
        )
        allowed = {
            '203.0.113.10': True,
            '203.0.113.11': False,
            '10.20.0.200': True,
            '10.30.0.99': True,
            '::ffff:10.20.0.5': True,
            '2001:db8::1': True,
            '2001:db9::1': False,
            '': False,
            None: False,
            'not an address': False,
        }
        for address, expected in allowed.items():
            with self.subTest(address=address):
                self.assertIs(self.server._ameyo_sso_source_allowed(address), expected)
        self.server.sso_source_networks = '  \n# nobody listed yet\n'
        self.assertTrue(self.server._ameyo_sso_source_allowed('192.0.2.1'))  # empty: any address
        # the server form warns when any address may call the SSO API
        arch = etree.fromstring(Server.get_views([(False, 'form')])['views']['form']['arch'])
        [warning] = arch.xpath('//div[@name="sso_any_source"]')
        self.assertIn('alert-warning', warning.get('class'))
        self.assertEqual(warning.get('invisible'), "session_mode != 'sso' or sso_source_networks")
        self.assertTrue(arch.xpath('//field[@name="sso_source_networks"]'))

    # ------------------------------------------------------------------
    # Throttles
    # ------------------------------------------------------------------

    def test_guesses_lock_their_address_not_the_agent(self):
        self._cooldown_after(0)  # Odoo's per-address cooldown off: our throttle alone
        agent = self.agent_a.ameyo_user_id
        with self._proxy_mode():
            attacker = self._from(self.ATTACKER)
            for _i in range(5):
                self.assertEqual(
                    self._attempt(agent, 'guess', headers=attacker)['message'],
                    'Invalid credentials',
                )
            locked = {
                'status': 'failed',
                'message': 'Too many failed attempts, try again later',
                'token': '',
            }
            with self._hashes() as hashes:
                self.assertEqual(self._attempt(agent, PASSWORD_A, headers=attacker), locked)
                self.assertEqual(self._attempt(agent.upper(), PASSWORD_A, headers=attacker), locked)
            self.assertEqual(hashes, [])  # a locked attempt checks no password
            # the agent, from Ameyo's address, is not locked out; another agent, from the
            # attacker's, neither
            self.assertEqual(self._attempt(agent, PASSWORD_A)['status'], 'success')
            self.assertEqual(
                self._attempt(self.agent_b.ameyo_user_id, PASSWORD_B, headers=attacker)['status'],
                'success',
            )
        [throttle] = self._throttles()
        self.assertEqual((throttle.source, throttle.user_key), (self.ATTACKER, agent.lower()))
        self.assertGreater(throttle.locked_until, fields.Datetime.now())
        # typos from Ameyo's own address: 4 lock nobody, a success clears them, 5 lock that pair
        for _i in range(4):
            self.assertEqual(self._attempt(agent, 'typo')['message'], 'Invalid credentials')
        self.assertEqual(self._attempt(agent, PASSWORD_A)['status'], 'success')
        for _i in range(5):
            self.assertEqual(self._attempt(agent, 'typo')['message'], 'Invalid credentials')
        self.assertEqual(
            self._attempt(agent, PASSWORD_A)['message'], 'Too many failed attempts, try again later'
        )
        # once the lock is over, the right password works again
        self.env.invalidate_all()
        throttles = self._throttles().filtered(lambda row: row.source == '127.0.0.1')
        throttles.locked_until = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual(self._attempt(agent, PASSWORD_A)['status'], 'success')

    def test_unlisted_addresses_meet_odoo_login_cooldown(self):
        self._cooldown_after(3)  # Odoo's per-address cooldown: 3 failures, then 60 s
        with self._proxy_mode(), mute_logger('odoo.addons.base.models.res_users'):
            attacker = self._from(self.ATTACKER)
            for index in range(3):  # another user each time: our per-user throttle never trips
                self.assertEqual(
                    self._attempt(f'guess{index}@acme', 'guess', headers=attacker)['message'],
                    'Invalid credentials',
                )
            self.assertEqual(self._login_failures(self.ATTACKER), 3)
            with self._hashes() as hashes:
                answer = self._attempt(self.agent_b.ameyo_user_id, PASSWORD_B, headers=attacker)
            self.assertEqual(
                answer,
                {
                    'status': 'failed',
                    'message': 'Too many failed attempts, try again later',
                    'token': '',
                },
            )
            self.assertEqual(hashes, [])
            # the cooldown is the attacker's address's, not the agents'
            self.assertEqual(
                self._attempt(self.agent_b.ameyo_user_id, PASSWORD_B)['status'], 'success'
            )
        self.assertEqual(len(self._tokens(self.agent_b)), 1)

    def test_listed_addresses_are_exempt_from_odoo_login_cooldown(self):
        self._cooldown_after(3)
        self.server.sso_source_networks = '127.0.0.1'
        # several agents' typos
        for agent in (self.agent_a, self.agent_totp, self.agent_a, self.agent_totp):
            self.assertEqual(
                self._attempt(agent.ameyo_user_id, 'typo')['message'], 'Invalid credentials'
            )
        self.assertEqual(self._login_failures('127.0.0.1'), 0)
        self.assertEqual(self._attempt(self.agent_b.ameyo_user_id, PASSWORD_B)['status'], 'success')

    def test_throttle_key_is_the_lookup_comparison(self):
        """PostgreSQL's lower() (the user lookup) and Python's .lower() differ on some letters: the
        throttle counts a userId as the lookup reads it, so no spelling buys more guesses."""
        self._cooldown_after(0)
        agent = new_test_user(
            self.env,
            login='t_agent_i',
            password='Agent-I-password-4',
            groups=AGENT_GROUPS,
            ameyo_user_id='t.agent-i@acme',
        )
        # LATIN CAPITAL LETTER I WITH DOT ABOVE
        variant = agent.ameyo_user_id.replace('i', '\u0130')
        self.env.cr.execute("SELECT lower(%s) = lower(%s)", [variant, agent.ameyo_user_id])
        self.assertTrue(
            self.env.cr.fetchone()[0], "the test database lowers \u0130 to i (C.UTF-8, as test.sh)"
        )
        self.assertNotEqual(variant.lower(), agent.ameyo_user_id.lower())  # Python does not
        # the lookup's view
        self.assertEqual(self._attempt(variant, 'Agent-I-password-4')['status'], 'success')
        for spelling in (agent.ameyo_user_id, variant, agent.ameyo_user_id, variant, variant):
            self.assertEqual(self._attempt(spelling, 'guess')['message'], 'Invalid credentials')
        for spelling in (agent.ameyo_user_id, variant):
            self.assertEqual(
                self._attempt(spelling, 'Agent-I-password-4')['message'],
                'Too many failed attempts, try again later',
            )
        self.assertEqual(len(self._throttles()), 1)

    # ------------------------------------------------------------------
    # The same work for unknown and known users
    # ------------------------------------------------------------------

    def test_unknown_user_costs_a_password_hash(self):
        self._cooldown_after(0)
        totp_agent = self.agent_totp
        totp_agent.sudo().totp_secret = base64.b32encode(os.urandom(20)).decode()
        no_password = new_test_user(
            self.env, login='t_agent_nopw', groups=AGENT_GROUPS, ameyo_user_id='t.nopw@acme'
        )
        self.env.cr.execute("UPDATE res_users SET password = NULL WHERE id = %s", [no_password.id])
        clerk = new_test_user(
            self.env,
            login='t_clerk',
            password='Clerk-password-7',
            groups='base.group_user',
            ameyo_user_id='t.clerk@acme',
        )
        self._attempt('warm-up@acme', 'guess')  # a process makes its decoy hash once
        with self._hashes() as known_user:
            self.assertEqual(
                self._attempt(self.agent_a.ameyo_user_id, 'Wrong-password-0')['message'],
                'Invalid credentials',
            )
        self.assertEqual(len(known_user), 1)  # one PBKDF2 hash, of the user's rounds
        cases = {
            'unknown user': 'nobody@acme',
            'user with two-factor authentication': totp_agent.ameyo_user_id,
            'user without a password': no_password.ameyo_user_id,
            'user outside the agent group': clerk.ameyo_user_id,
        }
        for case, user_key in cases.items():
            with self.subTest(case=case), self._hashes() as hashes:
                self.assertEqual(
                    self._attempt(user_key, 'Wrong-password-0')['message'], 'Invalid credentials'
                )
                self.assertEqual(hashes, known_user)  # the same hash, as costly

    # ------------------------------------------------------------------
    # The body limit
    # ------------------------------------------------------------------

    def _raw_post(self, head, body):
        """Send ``head`` (header lines) and ``body``, then close our side: the server cannot wait
        for more. Return (HTTP status, headers, body) of its answer."""
        netloc = urlsplit(self.base_url()).netloc
        host, port = netloc.rsplit(':', 1)
        request_bytes = (
            'POST /ameyo/sso HTTP/1.1\r\n'
            f'Host: {netloc}\r\n' + ''.join(f'{line}\r\n' for line in head) + '\r\n'
        ).encode() + body
        with (
            self.server_calls(),
            socket.create_connection((host, int(port)), timeout=60) as connection,
        ):
            connection.sendall(request_bytes)
            connection.shutdown(socket.SHUT_WR)
            answer = b''
            while chunk := connection.recv(65536):
                answer += chunk
        head_bytes, _sep, content = answer.partition(b'\r\n\r\n')
        lines = head_bytes.decode('latin-1').split('\r\n')
        headers = {
            name.strip().lower(): value.strip()
            for name, _c, value in (line.partition(':') for line in lines[1:])
        }
        return int(lines[0].split()[1]), headers, content

    def test_body_limit_is_enforced_before_the_body_is_read(self):
        login = sso_xml(
            [('command', 'login'), ('userId', self.agent_a.ameyo_user_id), ('password', PASSWORD_A)]
        )
        # each body stops long before its announced end: reading it would fail, not answer
        cases = [
            (
                'announced 1 GiB of XML',
                ['Content-Type: text/xml', 'Content-Length: 1073741824'],
                login.encode() + b'<padding>' + b'A' * 1024,
                'xml',
            ),
            (
                'announced 1 GiB of form data',
                ['Content-Type: application/x-www-form-urlencoded', 'Content-Length: 1073741824'],
                urlencode({'requestXml': login + 'A' * 1024}).encode(),
                'xml',
            ),
            (
                'chunked JSON, no length',
                ['Content-Type: application/json', 'Transfer-Encoding: chunked'],
                b'400\r\n'
                + json.dumps({'command': 'login', 'userId': 'x', 'password': 'A' * 1000}).encode()[
                    :1024
                ]
                + b'\r\n',
                'json',
            ),
        ]
        for name, head, body, fmt in cases:
            with self.subTest(case=name):
                status, headers, content = self._raw_post(head, body)
                self.assertEqual(status, 200, content[:2000])
                self.assertNotIn('set-cookie', headers)
                if fmt == 'json':
                    self.assertEqual(json.loads(content)['message'], 'Request too large')
                else:
                    self.assertEqual(
                        etree.fromstring(content).findtext('message'), 'Request too large'
                    )
        self.assertFalse(self._tokens())
        # a body within the limit is read as before
        status, _headers, content = self._raw_post(
            ['Content-Type: text/xml', f'Content-Length: {len(login)}'], login.encode()
        )
        self.assertEqual(etree.fromstring(content).findtext('status'), 'success')

    # ------------------------------------------------------------------
    # Tokens die with what they stood for
    # ------------------------------------------------------------------

    def test_password_change_revokes_tokens(self):
        token = self._login()
        sid = self._pop_session(token)
        self.agent_a.password = 'Agent-A-new-password-5'
        self.assertTokenDead(token, sid)
        self.assertEqual(
            self._attempt(self.agent_a.ameyo_user_id, 'Agent-A-new-password-5')['status'], 'success'
        )

    def test_api_key_revocation_revokes_tokens(self):
        key = (
            self.env['res.users.apikeys']
            .with_user(self.agent_a)
            .sudo()
            ._generate(None, 'ameyo', None)
        )
        token = self._login(password=key)
        sid = self._pop_session(token)
        other_agents_token = self._login(self.agent_b, PASSWORD_B)
        self.env['res.users.apikeys'].sudo().search([('user_id', '=', self.agent_a.id)])._remove()
        self.assertTokenDead(token, sid)
        self.assertEqual(self._attempt(self.agent_a.ameyo_user_id, key)['status'], 'failed')
        self.assertFalse(self._token_record(other_agents_token).revoked)

    def test_archiving_revokes_tokens(self):
        token = self._login()
        sid = self._pop_session(token)
        self.agent_a.action_archive()
        self.assertTrue(self._token_record(token).revoked)
        self.agent_a.action_unarchive()
        self.assertTokenDead(token, sid)  # unarchiving does not bring it back

    def test_ameyo_user_id_change_revokes_tokens(self):
        original = self.agent_a.ameyo_user_id
        # the same ID in another case is the same ID
        token = self._login()
        self.agent_a.ameyo_user_id = original.upper()
        self.assertFalse(self._token_record(token).revoked)
        for new_id in (False, 't.agent-a2@acme'):
            with self.subTest(new_id=new_id):
                self.agent_a.ameyo_user_id = original
                token = self._login()
                sid = self._pop_session(token)
                self.agent_a.ameyo_user_id = new_id
                # even back: the token was issued to the old mapping
                self.agent_a.ameyo_user_id = original
                self.assertTokenDead(token, sid)

    def test_leaving_the_agent_group_revokes_tokens(self):
        agent_group = self.env.ref('crm_ameyo.group_ameyo_agent')
        # from the user's side
        token = self._login()
        sid = self._pop_session(token)
        self.agent_a.group_ids = [Command.unlink(agent_group.id)]
        self.assertTokenDead(token, sid)
        self._attempt('warm-up@acme', 'guess')  # a process makes its decoy hash once
        with self._hashes() as hashes:  # no agent, no login: like an unknown user
            self.assertEqual(
                self._attempt(self.agent_a.ameyo_user_id, PASSWORD_A)['message'],
                'Invalid credentials',
            )
        self.assertEqual(len(hashes), 1)
        # from the group's side
        self.agent_a.group_ids = [Command.link(agent_group.id)]
        token = self._login()
        sid = self._pop_session(token)
        agent_group.user_ids = [Command.unlink(self.agent_a.id)]
        self.assertTokenDead(token, sid)
        # a supervisor is an agent by implication: their tokens live
        self.supervisor.write(
            {'ameyo_user_id': 't.supervisor@acme', 'password': 'Supervisor-password-6'}
        )
        token = self._login(self.supervisor, 'Supervisor-password-6')
        self.supervisor.group_ids = [Command.link(self.env.ref('sales_team.group_sale_manager').id)]
        self.assertFalse(self._token_record(token).revoked)

    def test_token_gc_keeps_tokens_whose_sessions_live(self):
        token = self._login()
        sid = self._pop_session(token)
        unused = self._login()  # never opened a session
        for record in (self._token_record(token), self._token_record(unused)):
            record.expires_at = fields.Datetime.now() - timedelta(days=2)
        self.env['ameyo.sso.token']._gc_expired()
        self.assertFalse(self._token_record_or_none(unused))
        self.assertTrue(self._token_record(token))
        # Ameyo's late logout still ends the session the token opened; then the token may go
        self.assertEqual(
            self._post_sso('xml', [('command', 'logout'), ('crmSessionId', token)])['status'],
            'success',
        )
        self.assertIsNone(self._session_uid(sid))
        self.env['ameyo.sso.token']._gc_expired()
        self.assertFalse(self._token_record_or_none(token))

    def _token_record_or_none(self, token):
        return (
            self.env['ameyo.sso.token']
            .sudo()
            .search([('token_hash', '=', hashlib.sha256(token.encode()).hexdigest())])
        )


@tagged('post_install', '-at_install')
class TestLifecycleAuthMethod(SsoCase):
    """The lifecycle URLs authenticate through Odoo's auth mechanism: ``auth='ameyo'``, ir.http's
    ``_auth_method_ameyo``, which runs before the controller. A URL it refuses gets its page, opens
    no session and writes nothing, even when the agent was already known (a valid SSO token)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # an agent entitled to single sign-on, of a company the server does not belong to
        cls.other_company, cls.other_agent = cls.create_other_company_agent(
            'Auth Method Other Co', 't_auth_other_agent', 't.auth-other@acme'
        )

    def test_lifecycle_routes_declare_auth_ameyo(self):
        ir_http = self.env['ir.http']
        self.assertTrue(callable(getattr(type(ir_http), '_auth_method_ameyo', None)))
        # the routes as Odoo's routing map gets them (routing_map() itself wants a request's thread)
        routes = dict(
            ir_http._generate_routing_rules(
                sorted(self.env.registry._init_modules), ir_http._get_converters()
            )
        )
        lifecycle = {
            url: endpoint
            for url, endpoint in routes.items()
            if endpoint.func.__name__ == 'ameyo_lifecycle'
        }
        self.assertEqual(
            set(lifecycle), {'/ameyo/<string:event>', '/ameyo/<int:server_id>/<string:event>'}
        )
        for url, endpoint in lifecycle.items():
            with self.subTest(url=url):
                self.assertEqual(endpoint.routing['auth'], 'ameyo')

    def test_refused_by_the_auth_method_opens_no_session_and_writes_nothing(self):
        token_a = self.sso_token(password=PASSWORD_A)
        token_other = self.sso_token(self.other_agent)
        revoked = self.sso_token(password=PASSWORD_A)
        self._token_record(revoked)._revoke()
        self.authenticate('t_agent_b', PASSWORD_B)
        session_b = {'session_id': self.session.sid}
        # (what the URL carries, its headers, the browser's cookies) -> (status, the page's words)
        refusals = {
            'a malformed parameter': (
                dict(crmSessionId=token_a, phone='98765-CALL-ME'),
                {},
                {},
                400,
                'Invalid Ameyo URL',
            ),
            'no server': (
                dict(crmSessionId=token_a, prefix='/ameyo/0'),
                {},
                {},
                400,
                'Which Ameyo server?',
            ),
            'another web site': (
                dict(crmSessionId=token_a),
                {'Sec-Fetch-Site': 'cross-site', 'Origin': 'https://evil.example'},
                {},
                403,
                'Request refused',
            ),
            'a revoked token': (dict(crmSessionId=revoked), {}, {}, 403, 'Single sign-on expired'),
            "another agent's userId": (
                dict(crmSessionId=token_a, agent=self.agent_b),
                {},
                {},
                403,
                'Wrong Odoo user',
            ),
            'a server of another company': (
                dict(crmSessionId=token_other, agent=self.other_agent),
                {},
                {},
                403,
                'company you do not work for',
            ),
            'a browser logged in as someone else': (
                dict(crmSessionId=token_a),
                {},
                session_b,
                403,
                'Switch Odoo user?',
            ),
        }
        for case, (params, headers, cookies, status, words) in refusals.items():
            with self.subTest(case=case):
                crt = self.new_crt()
                before = self.snapshot()
                response = self._http(
                    'GET', self.pop_url(crt=crt, **params), headers=headers, cookies=cookies
                )
                self.assertEqual(response.status_code, status, response.text[:1000])
                self.assertIn(words, response.text)
                self.assertNotIn('Traceback', response.text)
                self.assertNoSession(response)
                self.assertFalse(self.legs_of(crt))
                self.assertEqual(self.snapshot(), before)
        # the refused requests left the tokens without a session, and agent_b's browser logged in as
        # agent_b
        for token in (token_a, token_other):
            self.assertFalse(self._token_record(token).session_identifiers)
        self.assertEqual(self._session_uid(self.session.sid), self.agent_b.id)
        # the same token, in a browser of its own and a URL of its agent: the session opens, the leg
        # is logged
        crt = self.new_crt()
        response = self._http('GET', self.pop_url(crt=crt, crmSessionId=token_a))
        self.assertEqual(response.status_code, 303, response.text[:1000])
        self.assertSessionOf(response, self.agent_a)
        self.assertEqual(self.legs_of(crt).user_id, self.agent_a)

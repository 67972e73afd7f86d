"""Odoo inside Ameyo's iframe, through Odoo's HTTP server: the cross-site guard of the lifecycle
pages (what a browser tells of a request's origin decides, whichever headers it sends:
Sec-Fetch-Site, else Origin or Referer), the framing headers, and the session cookie of an embedded
Odoo."""

from lxml import etree

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import AmeyoHttpCase

ALLOWED = 'https://agent.acme.example'
# a sibling subdomain: same-site for the browser, foreign for Odoo
SIBLING = 'https://shop.acme.example'
URL_TOKEN = 'embedding-url-token-0123456789'
ALLOWED_MIXED_CASE = 'https://Agent2.Acme.Example:8443'  # browsers send origins in lower case
EVIL = 'https://evil.example'
EMBED_HEADERS = {
    'Sec-Fetch-Dest': 'iframe',
    'Sec-Fetch-Site': 'cross-site',
    'Sec-Fetch-Mode': 'navigate',
    'Referer': f'{ALLOWED}/x',
}
EMBED_ATTRIBUTES = '; SameSite=None; Secure; Partitioned'
PASSWORD_A = 't_agent_a'  # the test users' passwords are their logins
PASSWORD_B = 't_agent_b'


@tagged('post_install', '-at_install')
class TestCrossSiteGuard(AmeyoHttpCase):
    server_values = {'frame_origins': ALLOWED, 'url_token': URL_TOKEN}

    def setUp(self):
        super().setUp()
        self.cookies = self._login_cookies('t_agent_a')

    def _pop(self, headers, **extra):
        """The customer URL with the browser's ``headers``: the response and the leg it recorded."""
        crt = self.new_crt()
        response = self._http(
            'GET', self.pop_url(crt=crt, **extra), headers=headers, cookies=self.cookies
        )
        return response, self.legs_of(crt)

    def test_foreign_origins_are_refused_whatever_the_browser_sends(self):
        refused = {
            'older browser, foreign Origin': {'Origin': 'https://evil.example'},
            'older browser, foreign Referer': {'Referer': 'https://evil.example/page'},
            'older browser, sibling subdomain': {'Origin': SIBLING},
            'same-site sibling subdomain': {'Sec-Fetch-Site': 'same-site', 'Origin': SIBLING},
            'same-site without origin': {'Sec-Fetch-Site': 'same-site'},
            'cross-site': {'Sec-Fetch-Site': 'cross-site', 'Referer': 'https://evil.example/x'},
        }
        for case, headers in refused.items():
            with self.subTest(case=case):
                response, leg = self._pop(headers)
                self.assertEqual(response.status_code, 403, response.text[:1000])
                self.assertIn('Request refused', response.text)
                self.assertFalse(leg)

    def test_ameyo_and_odoo_itself_pass(self):
        accepted = {
            "Ameyo's desktop client (no header)": ({}, {}),
            'a navigation of the browser': ({'Sec-Fetch-Site': 'none'}, {}),
            'same origin': ({'Sec-Fetch-Site': 'same-origin'}, {}),
            'older browser, from Odoo itself': (
                {'Referer': f'{self.base_url()}/odoo/action-x'},
                {},
            ),
            'older browser, from the allowed origin': ({'Origin': ALLOWED}, {}),
            'same-site, configured origin': (
                {'Sec-Fetch-Site': 'same-site', 'Origin': ALLOWED},
                {},
            ),
            'same-site sibling with the URL token': (
                {'Sec-Fetch-Site': 'same-site', 'Origin': SIBLING},
                {'token': URL_TOKEN},
            ),
        }
        for case, (headers, extra) in accepted.items():
            with self.subTest(case=case):
                response, leg = self._pop(headers, **extra)
                self.assertEqual(response.status_code, 303, response.text[:1000])
                self.assertEqual(leg.user_id, self.agent_a)


@tagged('post_install', '-at_install')
class TestFramingAndCookies(AmeyoHttpCase):
    """Ameyo's web agent UI frames Odoo (its server in SSO mode, two origins allowed): the framing
    headers name the allowed origins only; inside the iframe the session cookie is SameSite=None;
    Secure; Partitioned at every login, rotation and logout, and outside it stays as Odoo sets it; a
    forged cross-site pop is refused before an SSO token in it opens a session."""

    server_values = {
        'session_mode': 'sso',
        'frame_origins': f'{ALLOWED}\n{ALLOWED_MIXED_CASE}',
        'url_token': URL_TOKEN,
    }

    def test_framing_headers_for_allowed_origins(self):
        expected = f"frame-ancestors 'self' {ALLOWED} {ALLOWED_MIXED_CASE.lower()}"
        self.authenticate('t_agent_a', PASSWORD_A)
        pages = {
            '/web/login': self._http('GET', '/web/login'),
            '/odoo': self._http('GET', '/odoo', cookies={'session_id': self.session.sid}),
            '/ameyo/kb': self._http(
                'GET', self.pop_url('kb'), cookies={'session_id': self.session.sid}
            ),
        }
        for path, response in pages.items():
            with self.subTest(path=path):
                self.assertEqual(response.status_code, 200, response.headers.get('Location'))
                self.assertNotIn('X-Frame-Options', response.headers)
                policy = response.headers['Content-Security-Policy']
                ancestors = [
                    part.strip() for part in policy.split(';') if 'frame-ancestors' in part
                ]
                self.assertEqual(ancestors, [expected], policy)
                self.assertNotIn(EVIL, policy)
        self.assertIn('o_web_client', pages['/odoo'].text)
        self.assertIn('o_ameyo', pages['/ameyo/kb'].text)

    def test_framing_headers_without_origins(self):
        self.env['ameyo.server'].with_context(active_test=False).search([]).write(
            {'frame_origins': False}
        )
        self.authenticate('t_agent_a', PASSWORD_A)
        login = self._http('GET', '/web/login', headers=EMBED_HEADERS)
        self.assertEqual(login.headers['Content-Security-Policy'], "frame-ancestors 'self'")
        self.assertEqual(login.headers['X-Frame-Options'], 'SAMEORIGIN')
        webclient = self._http(
            'GET', '/odoo', cookies={'session_id': self.session.sid}, headers=EMBED_HEADERS
        )
        self.assertEqual(webclient.status_code, 200)
        self.assertEqual(webclient.headers['X-Frame-Options'], 'DENY')
        self.assertNotIn(ALLOWED, webclient.headers.get('Content-Security-Policy', ''))
        cookies = self._set_cookies(webclient)
        self.assertNotIn('ameyo_embed', cookies)
        self.assertNotIn('SameSite=None', cookies['session_id'])

    def assertEmbedCookie(self, line):
        self.assertTrue(line.startswith('session_id='), line)
        self.assertTrue(line.endswith(EMBED_ATTRIBUTES), line)
        self.assertEqual(line.count('SameSite'), 1, line)
        self.assertIn('HttpOnly', line)

    def assertPlainCookie(self, line):
        self.assertTrue(line.startswith('session_id='), line)
        self.assertNotIn('SameSite=None', line)
        self.assertNotIn('Partitioned', line)

    def login_through_the_form(self, headers=None, cookies=None, check_page_cookie=None):
        """Open the login page (with ``headers``), then log in as agent A through its form (with
        ``cookies`` and the page's own session cookie, checked by ``check_page_cookie`` when it sets
        one): the login's response, a 303, and the page's session id (None when it set none)."""
        login_page = self._http('GET', '/web/login', headers=headers)
        cookies = dict(cookies or {})
        page_cookie = self._set_cookies(login_page).get('session_id')
        if page_cookie:
            if check_page_cookie:
                check_page_cookie(page_cookie)
            cookies['session_id'] = self._cookie_value(page_cookie)
        csrf = etree.HTML(login_page.content).xpath('//input[@name="csrf_token"]/@value')[0]
        response = self._http(
            'POST',
            '/web/login',
            cookies=cookies,
            data={
                'login': 't_agent_a',
                'password': PASSWORD_A,
                'csrf_token': csrf,
                'redirect': '/odoo',
            },
        )
        self.assertEqual(response.status_code, 303, response.text[:2000])
        return response, cookies.get('session_id')

    def test_embed_cookie_attributes(self):
        # the pop inside Ameyo's iframe, from a browser without a session
        token = self.sso_token(password=PASSWORD_A)
        response = self._http('GET', self.pop_url(crmSessionId=token), headers=EMBED_HEADERS)
        self.assertPops(response)
        cookies = self._set_cookies(response)
        self.assertEmbedCookie(cookies['session_id'])
        self.assertEqual(
            cookies['ameyo_embed'], 'ameyo_embed=1; Path=/; HttpOnly' + EMBED_ATTRIBUTES
        )
        # the web client in the iframe
        self.authenticate('t_agent_a', PASSWORD_A)
        response = self._http(
            'GET', '/odoo', cookies={'session_id': self.session.sid}, headers=EMBED_HEADERS
        )
        self.assertEqual(response.status_code, 200)
        self.assertEmbedCookie(self._set_cookies(response)['session_id'])
        self.assertIn('ameyo_embed', self._set_cookies(response))
        # the login page in the iframe, then a login through its form: a session rotation
        response, page_sid = self.login_through_the_form(
            EMBED_HEADERS, {'ameyo_embed': '1'}, self.assertEmbedCookie
        )
        rotated = self._set_cookies(response)['session_id']
        self.assertEmbedCookie(rotated)
        self.assertNotEqual(self._cookie_value(rotated), page_sid)
        self.assertEqual(self._session_uid(self._cookie_value(rotated)), self.agent_a.id)
        # a login through JSON-RPC, and a logout, in the iframe (marker cookie only)
        response = self._rpc_response(
            '/web/session/authenticate',
            {'db': self.env.cr.dbname, 'login': 't_agent_b', 'password': PASSWORD_B},
            cookies={'ameyo_embed': '1'},
        )
        self.assertEqual(response.json()['result']['uid'], self.agent_b.id)
        authenticated = self._set_cookies(response)['session_id']
        self.assertEmbedCookie(authenticated)
        self.assertNotIn('ameyo_embed', self._set_cookies(response))  # already there
        response = self._http(
            'GET',
            '/web/session/logout',
            cookies={'ameyo_embed': '1', 'session_id': self._cookie_value(authenticated)},
        )
        self.assertEmbedCookie(self._set_cookies(response)['session_id'])

    def test_plain_cookie_outside_the_iframe(self):
        token = self.sso_token(password=PASSWORD_A)
        response = self._http('GET', self.pop_url(crmSessionId=token))
        self.assertPops(response)
        self.assertPlainCookie(self._set_cookies(response)['session_id'])
        self.assertNotIn('ameyo_embed', self._set_cookies(response))
        # a frame of another site, or a top-level page of the allowed one, is no embed
        for headers in (
            dict(EMBED_HEADERS, Referer=f'{EVIL}/x'),
            {**EMBED_HEADERS, 'Sec-Fetch-Dest': 'document'},
        ):
            with self.subTest(headers=headers):
                self.authenticate('t_agent_a', PASSWORD_A)
                response = self._http(
                    'GET', '/odoo', cookies={'session_id': self.session.sid}, headers=headers
                )
                self.assertPlainCookie(self._set_cookies(response)['session_id'])
                self.assertNotIn('ameyo_embed', self._set_cookies(response))
        response, _page_sid = self.login_through_the_form()
        self.assertPlainCookie(self._set_cookies(response)['session_id'])
        response = self._rpc_response(
            '/web/session/authenticate',
            {'db': self.env.cr.dbname, 'login': 't_agent_b', 'password': PASSWORD_B},
        )
        self.assertEqual(response.json()['result']['uid'], self.agent_b.id)
        self.assertPlainCookie(self._set_cookies(response)['session_id'])
        self.assertNotIn('ameyo_embed', self._set_cookies(response))

    # ------------------------------------------------------------------
    # Cross-site pops
    # ------------------------------------------------------------------

    def test_cross_site_forged_pop_is_refused(self):
        self.authenticate('t_agent_a', PASSWORD_A)
        session = {'session_id': self.session.sid}
        refused = [
            {'Sec-Fetch-Site': 'cross-site', 'Origin': EVIL},
            {'Sec-Fetch-Site': 'cross-site', 'Referer': f'{EVIL}/page'},
            {'Sec-Fetch-Site': 'cross-site'},
            {'Sec-Fetch-Site': 'cross-site', 'Origin': 'null'},
            {'Sec-Fetch-Site': 'cross-site', 'Origin': f'{ALLOWED}.evil.example'},
        ]
        for headers in refused:
            with self.subTest(headers=headers):
                before = self.snapshot()
                response = self._http('GET', self.pop_url(), headers=headers, cookies=session)
                self.assertEqual(response.status_code, 403, response.text[:1000])
                self.assertIn('Request refused', response.text)
                self.assertIn('Nothing was recorded', response.text)
                self.assertEqual(self.snapshot(), before)
        # dispose URLs write too
        before = self.snapshot()
        response = self._http(
            'GET',
            self.pop_url('dispose', dispositionCode='Sale'),
            headers={'Sec-Fetch-Site': 'cross-site', 'Origin': EVIL},
            cookies=session,
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.snapshot(), before)
        # a forged URL carrying a crmSessionId is refused before the token opens a session
        token = self.sso_token(password=PASSWORD_A)
        response = self._http(
            'GET',
            self.pop_url(crmSessionId=token),
            headers={'Sec-Fetch-Site': 'cross-site', 'Origin': EVIL},
        )
        self.assertEqual(response.status_code, 403)
        self.assertNoSession(response)
        tokens = self.env['ameyo.sso.token'].sudo().search([('user_id', '=', self.agent_a.id)])
        self.assertFalse(tokens.session_identifiers)
        accepted = [
            ({'Sec-Fetch-Site': 'cross-site', 'Origin': ALLOWED}, {}),
            ({'Sec-Fetch-Site': 'cross-site', 'Referer': f'{ALLOWED}/agent/ui'}, {}),
            ({'Sec-Fetch-Site': 'cross-site', 'Origin': ALLOWED_MIXED_CASE.lower()}, {}),
            ({'Sec-Fetch-Site': 'cross-site', 'Origin': EVIL}, {'token': URL_TOKEN}),
            ({}, {}),  # Ameyo's desktop client: no Sec-Fetch-Site at all
            ({'Sec-Fetch-Site': 'none'}, {}),
            ({'Sec-Fetch-Site': 'same-origin'}, {}),
        ]
        for headers, extra in accepted:
            with self.subTest(headers=headers, extra=extra):
                leg = self.assertPops(
                    self._http('GET', self.pop_url(**extra), headers=headers, cookies=session)
                )
                self.assertEqual(leg.user_id, self.agent_a)
        # a wrong URL token does not help
        with mute_logger('odoo.http'):
            response = self._http(
                'GET',
                self.pop_url(token='wrong-token-123'),
                headers={'Sec-Fetch-Site': 'cross-site', 'Origin': EVIL},
                cookies=session,
            )
        self.assertEqual(response.status_code, 403)

"""The cross-site guard of the lifecycle pages: what a browser tells of a request's origin decides,
whichever headers it sends (Sec-Fetch-Site, else Origin or Referer), through Odoo's HTTP server."""

from odoo.tests import tagged

from .common import AmeyoHttpCase

ALLOWED = 'https://agent.acme.example'
SIBLING = 'https://shop.acme.example'  # a sibling subdomain: same-site for the browser, foreign for Odoo
URL_TOKEN = 'embedding-url-token-0123456789'


@tagged('post_install', '-at_install')
class TestCrossSiteGuard(AmeyoHttpCase):

    only_server = True
    server_values = {'frame_origins': ALLOWED, 'url_token': URL_TOKEN}

    def setUp(self):
        super().setUp()
        self.cookies = self._login_cookies('t_agent_a')

    def _pop(self, headers, **extra):
        """The customer URL with the browser's ``headers``: the response and the leg it recorded."""
        crt = self.new_crt()
        response = self._http('GET', self.pop_url(crt=crt, **extra), headers=headers, cookies=self.cookies)
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
            'older browser, from Odoo itself': ({'Referer': f'{self.base_url()}/odoo/action-x'}, {}),
            'older browser, from the allowed origin': ({'Origin': ALLOWED}, {}),
            'same-site, configured origin': ({'Sec-Fetch-Site': 'same-site', 'Origin': ALLOWED}, {}),
            'same-site sibling with the URL token': ({'Sec-Fetch-Site': 'same-site', 'Origin': SIBLING},
                                                     {'token': URL_TOKEN}),
        }
        for case, (headers, extra) in accepted.items():
            with self.subTest(case=case):
                response, leg = self._pop(headers, **extra)
                self.assertEqual(response.status_code, 303, response.text[:1000])
                self.assertEqual(leg.user_id, self.agent_a)

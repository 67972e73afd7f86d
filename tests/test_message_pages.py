"""The words of the pages Ameyo's URLs answer with: parameter errors in plain, translatable
sentences that name every missing parameter, and a way back on every message page."""

import re
from urllib.parse import urlencode

from lxml import html

from odoo.tests import new_test_user

from ..tools.ameyo_params import AmeyoParamError
from .common import AmeyoHttpCase


class TestMessagePages(AmeyoHttpCase):
    pop_phone = '9000000912'

    def setUp(self):
        super().setUp()
        self.authenticate('t_agent_a', 't_agent_a')

    def page(self, response):
        """(status, the message's text, {link text: href}) of a message page."""
        tree = html.fromstring(response.text)
        message = ' '.join(tree.xpath("string(//p[contains(@class, 'o_ameyo_message')])").split())
        links = {
            ' '.join(a.text_content().split()): a.get('href')
            for a in tree.xpath("//div[contains(@class, 'o_ameyo_page')]//a")
        }
        return response.status_code, message, links

    def assertWayBack(self, links, href):
        backs = [link for link in links.values() if link == href]
        self.assertTrue(backs, f'no way back to {href} in {links}')

    # ------------------------------------------------------------------
    # Parameter errors
    # ------------------------------------------------------------------

    def test_one_missing_parameter(self):
        before = self.snapshot()
        status, message, links = self.page(self.throw(userId=None))
        self.assertEqual(status, 400)
        self.assertEqual(
            message,
            "The parameter userId is missing from the URL. Nothing was recorded: check the "
            "URL configured in Ameyo.",
        )
        self.assertWayBack(links, '/odoo')
        self.assertEqual(self.snapshot(), before)

    def test_several_missing_parameters_in_one_message(self):
        status, message, _links = self.page(
            self._get('/ameyo/dispose', 'sessionId=s1&campaignId=101')
        )
        self.assertEqual(status, 400)
        self.assertEqual(
            message,
            "The parameters userId, crtObjectId, and dispositionCode are missing from the "
            "URL. Nothing was recorded: check the URL configured in Ameyo.",
        )
        status, message, _links = self.page(self.throw(crtObjectId=None, userId=None))
        self.assertIn("The parameters userId and crtObjectId are missing from the URL.", message)

    def test_malformed_phone(self):
        status, message, _links = self.page(self.throw(phone='98765-CALL-ME'))
        self.assertEqual(status, 400)
        self.assertEqual(
            message,
            "The parameter phone must be a phone number (digits, +, spaces, brackets, dots, "
            "dashes). Nothing was recorded: check the URL configured in Ameyo.",
        )
        status, message, _links = self.page(self.throw(phone='1-2'))
        self.assertIn("The parameter phone must hold at least 3 digits.", message)

    def test_every_parameter_error_is_a_sentence(self):
        """Each refusal is a sentence about a named parameter (or the URL), never "is must" or a
        bare code."""
        crt = self.new_crt()
        queries = {
            "The parameter crtObjectId must be an Ameyo call id.": urlencode(
                self.pop_params(crt=crt, crtObjectId='<x>')
            ),
            "The parameter sessionId appears twice with different values.": urlencode(
                self.pop_params(crt=crt, sessionId=None)
            )
            + '&sessionId=a&sessionid=b',
            "The parameter phone is not valid UTF-8 text.": urlencode(
                self.pop_params(crt=crt, phone=None)
            )
            + '&phone=98765%ff%fe43210',
            "The parameter queueName must be a queue name without special characters such as < > "
            "or quotes.": urlencode(self.pop_params(crt=crt, queueName='Sales<b>')),
            "The URL is longer than 16384 characters.": urlencode(self.pop_params(crt=crt))
            + '&x='
            + 'y' * 17000,
        }
        for sentence, query in queries.items():
            with self.subTest(sentence=sentence):
                status, message, _links = self.page(self._get('/ameyo/customer', query))
                self.assertEqual(status, 400)
                self.assertEqual(
                    message, f"{sentence} Nothing was recorded: check the URL configured in Ameyo."
                )

    def test_the_words_follow_the_agent_language(self):
        """The sentence is built in the agent's language (here: the list of missing parameters)."""
        self.env['res.lang']._activate_lang('fr_FR')
        error = AmeyoParamError(('userId', 'crtObjectId'), 'missing')
        self.assertIn('userId and crtObjectId', error.message(self.env(context={'lang': 'en_US'})))
        self.assertIn('userId et crtObjectId', error.message(self.env(context={'lang': 'fr_FR'})))

    # ------------------------------------------------------------------
    # A way back on every message page
    # ------------------------------------------------------------------

    def test_message_pages_have_a_way_back(self):
        workspace = f'/ameyo/{self.server.id}/kb?' + urlencode(
            {'userId': self.agent_a.ameyo_user_id}
        )
        # "Call disposed": back to the agent's workspace
        crt = self.new_crt()
        params = self.pop_params(crt=crt)
        self.assertPops(self.throw(**params))
        status, message, links = self.page(self.throw('dispose', **params, dispositionCode='Sale'))
        self.assertEqual(status, 200)
        self.assertIn('Ameyo disposed the call', message)
        self.assertEqual(links.get('Back to my workspace'), workspace)
        # the workspace link leads to the workspace
        response = self._get(workspace)
        self.assertEqual(response.status_code, 200)
        self.assertIn('Calls in progress', response.text)
        # "No match" (a preview nobody has the number of): back to the workspace too
        status, message, links = self.page(
            self.throw('preview', userCrtObjectId=None, phone='9000000913')
        )
        self.assertEqual(status, 200)
        self.assertIn('No contact or lead has the number', message)
        self.assertEqual(links.get('Back to my workspace'), workspace)
        # errors: Odoo's home
        for path, query in (('/ameyo/nowhere', 'userId=x'), ('/ameyo/customer', 'userId=x')):
            with self.subTest(path=path):
                status, _message, links = self.page(self._get(path, query))
                self.assertIn(status, (400, 404))
                self.assertEqual(links.get('Go to Odoo'), '/odoo')
        # a wrong user: log out, or go back to Odoo
        status, _message, links = self.page(self.throw(agent=self.agent_b))
        self.assertEqual(status, 403)
        self.assertTrue(
            any(re.match(r'/web/session/logout\?', href) for href in links.values()), links
        )
        self.assertEqual(links.get('Go to Odoo'), '/odoo')

    def test_a_url_for_another_ameyo_user_says_what_ameyo_opened_for_whom(self):
        """The workspace is no call; an Ameyo user ID no Odoo user has is named as such, with what
        to do."""
        before = self.snapshot()
        me = (
            f'You are logged in to Odoo as {self.agent_a.name}, whose Ameyo user is t.agent-a@acme.'
        )
        unknown = (
            "If nobody is your Ameyo login, ask an administrator to set it as the Ameyo user ID of "
            "your Odoo user; otherwise log out and log in to Ameyo and Odoo as the same agent."
        )
        known = 'Log out and log in as the Odoo user of t.agent-b@acme.'
        expected = {
            (
                'kb',
                'nobody',
            ): f'{me} Ameyo opened this workspace for nobody, an Ameyo user ID no Odoo user has. '
            f'{unknown}',
            (
                'kb',
                self.agent_b,
            ): f'{me} This page is the Ameyo workspace of t.agent-b@acme. {known}',
            (
                'customer',
                'nobody',
            ): f'{me} Ameyo sent this call for nobody, an Ameyo user ID no Odoo user has. '
            f'Nothing was recorded. {unknown}',
            (
                'customer',
                self.agent_b,
            ): f'{me} Ameyo sent this call for t.agent-b@acme. Nothing was recorded. {known}',
        }
        for (event, agent), words in expected.items():
            with self.subTest(event=event, agent=agent):
                status, message, links = self.page(self.throw(event, agent=agent))
                self.assertEqual((status, message), (403, words))
                self.assertTrue(
                    any(re.match(r'/web/session/logout\?', href) for href in links.values()), links
                )
        self.assertEqual(self.snapshot(), before)
        # a user mapped to no Ameyo user (not an agent: the login does not count) says so
        seller = new_test_user(self.env, login='t_seller', groups='sales_team.group_sale_salesman')
        self.authenticate('t_seller', 't_seller')
        _status, message, _links = self.page(self.throw('kb'))
        self.assertTrue(
            message.startswith(
                f'You are logged in to Odoo as {seller.name}, who is not mapped to an Ameyo user. '
                'This page is the Ameyo workspace of t.agent-a@acme.'
            ),
            message,
        )
        # an agent without an Ameyo User ID is mapped by their login
        self.authenticate('t_supervisor', 't_supervisor')
        _status, message, _links = self.page(self.throw('kb'))
        self.assertTrue(
            message.startswith(
                f'You are logged in to Odoo as {self.supervisor.name}, whose Ameyo user is '
                't_supervisor. This page is the Ameyo workspace of t.agent-a@acme.'
            ),
            message,
        )

    def test_no_authentication_mode_goes_back_to_odoo(self):
        """The workspace URL would need the URL token, which a page never shows: Odoo's home
        instead."""
        self.server.sudo().write(
            {'url_token': 'a-url-token-of-32-characters-xx', 'session_mode': 'none'}
        )
        crt = self.new_crt()
        params = self.pop_params(crt=crt, token='a-url-token-of-32-characters-xx')
        self.assertPops(self.throw(**params))
        status, _message, links = self.page(self.throw('dispose', **params, dispositionCode='Sale'))
        self.assertEqual(status, 200)
        self.assertEqual(links.get('Go to Odoo'), '/odoo')
        self.assertNotIn('a-url-token-of-32-characters-xx', str(links))

from odoo.tests import HttpCase, tagged

from .common import build_web_assets

# Poll for a selector, then report: console.error fails the test, 'test successful' passes it.
WAIT_FOR = """
const deadline = Date.now() + 20000;
(function wait() {
    const element = document.querySelector(%(selector)r);
    if (element && %(check)s) {
        console.log('test successful');
    } else if (Date.now() > deadline) {
        console.error('not rendered: ' + %(selector)r);
    } else {
        setTimeout(wait, 100);
    }
})();
"""


@tagged('post_install', '-at_install')
class TestBrowserStack(HttpCase):
    """Chromium really runs: later browser tests cannot silently skip (a skip fails
    scripts/test.sh)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        build_web_assets(cls.env)

    def test_web_client_loads(self):
        self.browser_js('/odoo', "console.log('test successful')", login='admin')

    def test_call_list_and_server_form_render(self):
        self.browser_js(
            '/odoo/ameyo-calls',
            WAIT_FOR % {'selector': '.o_list_view', 'check': "document.title.length > 0"},
            login='admin',
        )
        server = self.env['ameyo.server'].create(
            {'name': 'Browser Ameyo', 'base_url': 'http://127.0.0.1:9'}
        )
        self.browser_js(
            f'/odoo/ameyo-servers/{server.id}',
            WAIT_FOR
            % {
                'selector': 'div[name=integration_url_customer]',
                'check': "element.textContent.includes('/ameyo/customer') "
                "&& !!element.querySelector('.o_clipboard_button')",
            },
            login='admin',
        )

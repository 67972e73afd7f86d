from .common import AmeyoTransactionCase


class TestIntegrationUrls(AmeyoTransactionCase):

    def test_panel_lists_every_url(self):
        self.env['ir.config_parameter'].sudo().set_param('web.base.url', 'https://crm.acme.example')
        html = str(self.server.integration_urls_html)
        for event in ('kb', 'customer', 'preview', 'dispose'):
            self.assertIn(f'https://crm.acme.example/ameyo/{event}<', html)
            self.assertIn(f'https://crm.acme.example/ameyo/{self.server.id}/{event}<', html)
        self.assertIn('https://crm.acme.example/ameyo/sso<', html)
        for parameter in ('sessionId', 'crtObjectId', 'userCrtObjectId', 'dispositionCode', 'crmSessionId'):
            self.assertIn(parameter, html)
        # Ameyo appends its own parameters: no query string of ours
        self.assertNotIn('/ameyo/kb?', html)

    def test_panel_is_escaped(self):
        self.env['ir.config_parameter'].sudo().set_param('web.base.url', 'https://crm.example/<b>x</b>')
        html = str(self.server.integration_urls_html)
        self.assertNotIn('<b>x</b>', html)
        self.assertIn('&lt;b&gt;x&lt;/b&gt;', html)

    def test_unsaved_server(self):
        html = str(self.env['ameyo.server'].new({'name': 'New'}).integration_urls_html)
        self.assertIn('Save the server', html)

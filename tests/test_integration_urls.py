from lxml import etree

from .common import AmeyoTransactionCase

EVENTS = ('kb', 'customer', 'preview', 'dispose', 'sso')


class TestIntegrationUrls(AmeyoTransactionCase):
    def test_one_field_per_url(self):
        self.env['ir.config_parameter'].sudo().set_param('web.base.url', 'https://crm.acme.example')
        server = self.server
        for event in EVENTS:
            with self.subTest(event=event):
                # Ameyo appends its own parameters: no query string of ours
                self.assertEqual(
                    server[f'integration_url_{event}'], f'https://crm.acme.example/ameyo/{event}'
                )
                self.assertEqual(
                    server[f'integration_url_{event}_server'],
                    f'https://crm.acme.example/ameyo/{server.id}/{event}',
                )
        # each label says, in its help, what Ameyo appends
        for event, parameter in (
            ('kb', 'sessionId'),
            ('customer', 'userCrtObjectId'),
            ('dispose', 'dispositionCode'),
            ('sso', 'crmSessionId'),
        ):
            self.assertIn(parameter, server._fields[f'integration_url_{event}'].help)

    def test_form_shows_them_with_copy_buttons(self):
        arch = etree.fromstring(self.env['ameyo.server'].get_view(view_type='form')['arch'])
        page = arch.xpath("//page[@name='integration_urls']")[0]
        shown = {
            node.get('name'): node.get('widget')
            for node in page.iter('field')
            if node.get('name').startswith('integration_url_')
        }
        expected = {
            f'integration_url_{event}{suffix}' for event in EVENTS for suffix in ('', '_server')
        }
        self.assertEqual(set(shown), expected)
        self.assertEqual(set(shown.values()), {'CopyClipboardChar'})

    def test_unsaved_server(self):
        server = self.env['ameyo.server'].new({'name': 'New'})
        self.assertFalse(server.integration_url_kb)
        self.assertFalse(server.integration_url_kb_server)

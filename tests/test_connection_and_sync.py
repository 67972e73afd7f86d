"""The server form's buttons: Test Connection says what is wrong (down, not Ameyo, credentials
refused, a certificate of an internal CA), Sync Campaigns and Sync Dispositions, against the
simulator."""

import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from odoo.tools import mute_logger

from ..simulator import server_ssl_context
from .common import CLIENT_LOGGER, AmeyoTransactionCase, SimulatorCase, run_migration


class _NotAmeyoHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'text/html')
        self.end_headers()
        self.wfile.write(b'<html><body>It works!</body></html>')

    def log_message(self, *args):
        return


class TestConnectionAndSync(SimulatorCase):
    def test_test_connection_ok(self):
        action = self.server.action_test_connection()
        self.assertEqual(action['params']['type'], 'success', action['params']['message'])
        self.assertIn('The admin login (Credentials tab) works', action['params']['message'])

    def test_test_connection_says_what_is_wrong(self):
        # a wrong requesting host: Ameyo answers, but every token-policy API will fail: a failure
        # naming them
        self.server.requesting_host = 'wrong.example.com'
        with mute_logger(CLIENT_LOGGER):
            action = self.server.action_test_connection()
        params = action['params']
        self.assertEqual(
            (params['type'], params['title'], params['sticky']),
            ('danger', 'Ameyo is reachable, but some APIs will fail', True),
        )
        self.assertNotIn('with warnings', params['title'])
        # one line per check, kept as lines by the notification's class
        lines = params['message'].strip().split('\n')
        self.assertEqual(params['className'], 'o_ameyo_notification_lines')
        self.assertEqual(len(lines), 6, lines)  # and one per capability: dispose, dial, recordings
        self.assertTrue(lines[0].startswith('✔ Ameyo server reached'), lines)
        self.assertTrue(
            lines[1].startswith('✘ Ameyo rejected the hash key, policy name or requesting host'),
            lines,
        )
        for api in (
            'click-to-dial (clickToDialWithToken)',
            'recording downloads (downloadVoiceLog)',
            'will fail',
        ):
            self.assertIn(api, lines[1])
        self.assertTrue(lines[2].startswith('✔ The admin login (Credentials tab) works'), lines)
        # a refused admin login: a failure too, naming what it breaks
        self.server.requesting_host = 'odoo.test'
        self.server.admin_password = 'wrong'
        with mute_logger(CLIENT_LOGGER):
            action = self.server.action_test_connection()
        self.assertEqual(action['params']['type'], 'danger')
        self.assertRegex(
            action['params']['message'],
            r'\n✘ The admin login \(Credentials tab\) failed '
            r'\(invalid\.credentials[^)]*\): Sync Campaigns and Sync Dispositions will fail\.',
        )

    def test_test_connection_legacy_flavour(self):
        """A legacy server is probed with ping-session and logs in through /ameyowebaccess; it
        disposes with the agent's session, so no dispose token is no warning."""
        # the Ameyo APIs a Legacy server migrates to (post-server-apis)
        self.server.write(
            {
                'api_flavour': 'legacy',
                'dispose_api': 'dacx',
                'recording_api': 'webaccess',
                'dial_api': 'token_async',
            }
        )
        self.server.sudo().dispose_token = False
        action = self.server.action_test_connection()
        params = action['params']
        self.assertEqual(
            (params['type'], params['title']), ('success', 'Connection OK'), params['message']
        )
        self.assertEqual(len(params['message'].strip().split('\n')), 6, params['message'])
        self.assertEqual(len(self.sim.requests_for('command=ping-session')), 1)
        self.assertEqual(len(self.sim.requests_for('command=login')), 1)
        self.assertFalse(self.sim.requests_for('/ameyorestapi/'))
        # a legacy server whose answer is not Ameyo's (a REST-only server answering 404, say): not
        # Ameyo
        self.sim.inject('ping-session', status=404, body='Not Found', content_type='text/plain')
        with mute_logger(CLIENT_LOGGER):
            action = self.server.action_test_connection()
        self.assertEqual(
            (action['params']['type'], action['params']['title']), ('danger', 'Connection failed')
        )
        self.assertIn(
            f'{self.sim.url} answered HTTP 404 (not found) at '
            f'{self.sim.url}/ameyowebaccess/command: '
            "Ameyo's API is not there.",
            action['params']['message'],
        )
        self.assertIn(
            'a server that only answers /ameyowebaccess is Legacy', action['params']['message']
        )

    def test_test_connection_missing_settings_are_warnings(self):
        self.server.sudo().write({'hash_key': False, 'dispose_token': False})
        with mute_logger(CLIENT_LOGGER):
            action = self.server.action_test_connection()
        params = action['params']
        self.assertEqual(
            (params['type'], params['title']), ('warning', 'Connection works, with warnings')
        )
        self.assertIn(
            '⚠ No hash key: click-to-dial and recording downloads need', params['message']
        )
        self.assertIn('⚠ No dispose authorization token', params['message'])

    def test_test_connection_unreachable_and_not_ameyo(self):
        self.server.base_url = 'http://127.0.0.1:9'  # discard port: nothing listens
        with mute_logger(CLIENT_LOGGER):
            action = self.server.action_test_connection()
        self.assertEqual(action['params']['type'], 'danger')
        self.assertIn('unreachable', action['params']['message'])
        # a web server that is not Ameyo (a wrong port, say): reached, but it does not answer as
        # Ameyo does
        not_ameyo = ThreadingHTTPServer(('127.0.0.1', 0), _NotAmeyoHandler)
        threading.Thread(target=not_ameyo.serve_forever, daemon=True).start()
        self.addCleanup(not_ameyo.server_close)
        self.addCleanup(not_ameyo.shutdown)
        self.server.base_url = f'http://127.0.0.1:{not_ameyo.server_address[1]}'
        with mute_logger(CLIENT_LOGGER):
            action = self.server.action_test_connection()
        self.assertEqual(action['params']['type'], 'danger')
        self.assertIn('not as an Ameyo server does', action['params']['message'])

    def test_base_url_with_a_path(self):
        """Ameyo's own API path in the base URL is removed when the server is saved (it would be
        doubled on every request); a reverse proxy's prefix stays, and a probe that meets a 404
        there is a failed connection."""
        cases = {
            f'{self.sim.url}/ameyorestapi/': self.sim.url,
            f' {self.sim.url}/AmeyoRestApi/cc/campaigns/getAssigned ': self.sim.url,
            'https://acme.ameyoemerge.in:8443/ameyowebaccess/command?command=login': 'https://'
            'acme.ameyoemerge.in:8443',
            'http://10.0.0.5:8888/dacx/dispose': 'http://10.0.0.5:8888',
            'https://gateway.example.com/ameyo/': 'https://gateway.example.com/ameyo',
            'https://gateway.example.com/ameyo/ameyorestapi': 'https://gateway.example.com/ameyo',
        }
        for typed, saved in cases.items():
            with self.subTest(typed=typed):
                self.server.base_url = typed
                self.assertEqual(self.server.base_url, saved)
                created = self.env['ameyo.server'].create({'name': 'Pasted', 'base_url': typed})
                self.assertEqual(created.base_url, saved)
        self.server.base_url = f'{self.sim.url}/ameyorestapi/'
        action = self.server.action_test_connection()
        self.assertEqual(action['params']['type'], 'success', action['params']['message'])
        self.assertIn(f'Ameyo server reached at {self.sim.url}.', action['params']['message'])
        # a prefix where nothing answers (a plain-text 404): a failure that says where it looked
        self.server.base_url = f'{self.sim.url}/gateway'
        with mute_logger(CLIENT_LOGGER):
            action = self.server.action_test_connection()
        params = action['params']
        self.assertEqual((params['type'], params['title']), ('danger', 'Connection failed'))
        self.assertIn(
            f'{self.sim.url}/gateway answered HTTP 404 (not found) at '
            f'{self.sim.url}/gateway/ameyorestapi/cc/campaigns/getAssigned',
            params['message'],
        )
        self.assertNotIn('✔', params['message'])

    def test_a_base_url_saved_with_an_api_path_before(self):
        """A base URL stored with Ameyo's path before 19.0.1.6.0 doubled it: Ameyo's 404 (its own
        REST envelope) is no "Connection works"; the migration removes the path."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE ameyo_server SET base_url = %s WHERE id = %s",
            [f'{self.sim.url}/ameyorestapi/', self.server.id],
        )
        self.server.invalidate_recordset(['base_url'])
        with mute_logger(CLIENT_LOGGER):
            action = self.server.action_test_connection()
        params = action['params']
        self.assertEqual((params['type'], params['title']), ('danger', 'Connection failed'))
        self.assertIn(
            'answered HTTP 404 (not found) at '
            f'{self.sim.url}/ameyorestapi/ameyorestapi/cc/campaigns/'
            'getAssigned',
            params['message'],
        )
        self.assertEqual(len(self.sim.requests_for('/ameyorestapi/ameyorestapi/')), 1)
        run_migration(self.env.cr, '19.0.1.6.0', 'post-server-base-url', '19.0.1.5.0')
        self.server.invalidate_recordset(['base_url'])
        self.assertEqual(self.server.base_url, self.sim.url)
        action = self.server.action_test_connection()
        self.assertEqual(action['params']['type'], 'success', action['params']['message'])

    def test_sync_campaigns_is_idempotent(self):
        self.sim.add_campaign('103', 'Renewals', dispositions=('Renewed',))
        self.assertTrue(self.server.can_sync)
        self.server.action_sync_campaigns()
        self.server.action_sync_campaigns()
        campaigns = self.server.campaign_ids
        self.assertEqual(sorted(campaigns.mapped('ameyo_campaign_id')), ['101', '102', '103'])
        self.assertEqual(
            campaigns.filtered(lambda c: c.ameyo_campaign_id == '103').name, 'Renewals'
        )
        self.assertEqual(campaigns.filtered(lambda c: c.ameyo_campaign_id == '101'), self.campaign)

    def test_sync_dispositions_keeps_hand_made_codes(self):
        self.env['ameyo.disposition'].create(
            {'campaign_id': self.campaign.id, 'code': 'Local Only', 'name': 'x'}
        )
        self.campaign.action_sync_dispositions()
        self.campaign.action_sync_dispositions()
        self.assertEqual(
            sorted(self.campaign.disposition_ids.mapped('code')),
            ['Callback', 'Local Only', 'Not Interested', 'Sale'],
        )
        self.assertTrue(
            self.campaign.disposition_ids.filtered(lambda d: d.code == 'Callback').is_callback
        )

    def test_sync_with_an_agent_session_only(self):
        self.server.write({'admin_user_id': False, 'admin_password': False})
        self.assertFalse(self.server.can_sync)
        self.env['ameyo.agent.session'].create(
            {'user_id': self.agent_a.id, 'server_id': self.server.id, 'session_id': self.session_a}
        )
        self.server.invalidate_recordset(['can_sync'])
        self.assertTrue(self.server.can_sync)
        other = self.env['ameyo.campaign'].create(
            {
                'server_id': self.server.id,
                'ameyo_campaign_id': '102',
                'name': 'Not assigned to the agent',
            }
        )
        with mute_logger(CLIENT_LOGGER):
            action = self.server.action_sync_dispositions()
        self.assertIn('invalid.session.id', action['params']['message'])  # 102: no rights, reported
        self.assertFalse(other.disposition_ids)
        self.assertIn('Sale', self.campaign.disposition_ids.mapped('code'))


class TestConnectionOverTls(AmeyoTransactionCase):
    """Test connection against an Ameyo server behind a certificate of an internal CA (a real TLS
    handshake)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = Path(tempfile.mkdtemp(prefix='crm_ameyo_tls_'))
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.cert, key = cls.tmp / 'ameyo.pem', cls.tmp / 'ameyo.key'
        subprocess.run(
            [
                'openssl',
                'req',
                '-x509',
                '-newkey',
                'rsa:2048',
                '-nodes',
                '-days',
                '2',
                '-subj',
                '/CN=127.0.0.1',
                '-addext',
                'subjectAltName=IP:127.0.0.1',
                '-keyout',
                str(key),
                '-out',
                str(cls.cert),
            ],
            check=True,
            capture_output=True,
        )
        # an Ameyo server with an internal certificate
        cls.sim = cls.start_simulator(ssl_context=server_ssl_context(cls.cert, key))
        cls.server.write({'base_url': cls.sim.url, 'verify_tls': True})

    def test_untrusted_certificate_is_named_then_the_ca_bundle_fixes_it(self):
        with mute_logger(CLIENT_LOGGER):
            action = self.server.action_test_connection()
        self.assertEqual(action['params']['type'], 'danger')
        self.assertIn('TLS certificate', action['params']['message'])
        self.server.ca_bundle = str(self.cert)
        action = self.server.action_test_connection()
        self.assertIn('Ameyo server reached', action['params']['message'])
        self.assertIn('The admin login (Credentials tab) works', action['params']['message'])

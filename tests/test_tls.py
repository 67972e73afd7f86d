"""Test connection against an Ameyo server behind a certificate of an internal CA (a real TLS handshake)."""
import shutil
import subprocess
import tempfile
from pathlib import Path

from odoo.tools import mute_logger

from ..simulator import AmeyoSimulator, server_ssl_context
from .common import AmeyoTransactionCase


class TestTls(AmeyoTransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = Path(tempfile.mkdtemp(prefix='crm_ameyo_tls_'))
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.cert, key = cls.tmp / 'ameyo.pem', cls.tmp / 'ameyo.key'
        subprocess.run(
            ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
             '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', str(key), '-out', str(cls.cert)],
            check=True, capture_output=True)
        # an Ameyo server with an internal certificate
        cls.sim = AmeyoSimulator(hash_key='test-hash-key-SECRET', requesting_host='odoo.test',
                                 admin_password='admin-password-SECRET',
                                 ssl_context=server_ssl_context(cls.cert, key)).start()
        cls.addClassCleanup(cls.sim.stop)
        cls.server.write({'base_url': cls.sim.url, 'verify_tls': True})

    def test_untrusted_certificate_is_named_then_the_ca_bundle_fixes_it(self):
        with mute_logger('odoo.addons.crm_ameyo.tools.ameyo_client'):
            action = self.server.action_test_connection()
        self.assertEqual(action['params']['type'], 'danger')
        self.assertIn('TLS certificate', action['params']['message'])
        self.server.ca_bundle = str(self.cert)
        action = self.server.action_test_connection()
        self.assertIn('Ameyo server reached', action['params']['message'])
        self.assertIn('The admin login (Credentials tab) works', action['params']['message'])


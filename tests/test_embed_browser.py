import itertools
import json
import pathlib
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch
from urllib.parse import urlencode

import websocket

from odoo.tests import HttpCase, new_test_user, tagged

from ..simulator import AmeyoSimulator
from .common import build_web_assets

AGENT_UI_HOST = '127.0.0.2'  # another site than Odoo's 127.0.0.1: the iframe is cross-site


def _unlimited_address_space():
    """Odoo caps its own address space (limit_memory_hard); Chromium needs none (as Odoo's own test
    browser)."""
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


class _AgentUiHandler(BaseHTTPRequestHandler):
    """Ameyo's web agent UI, reduced to what matters here: a page that frames Odoo."""

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'text/html; charset=utf-8')
        self.end_headers()
        self.wfile.write(self.server.page)

    def log_message(self, *args):
        return


@tagged('post_install', '-at_install')
class TestEmbeddedPop(HttpCase):
    """Headless Chromium: a page of another site (Ameyo's web agent UI, 127.0.0.2) embeds
    Odoo (127.0.0.1) in an iframe and loads a customer URL with a crmSessionId from Ameyo's
    SSO login; the caller's contact form renders in the iframe, its session working.

    Odoo's own test browser only lets requests to 127.0.0.1 reach the network, so this
    test drives a Chromium of its own (it fails, never skips, when there is none)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        build_web_assets(cls.env)
        cls.sim = AmeyoSimulator().start()
        cls.addClassCleanup(cls.sim.stop)
        cls.sim.add_campaign('801', 'Embedded Campaign', dispositions=('Sale',))
        cls.sim.add_agent('embed.agent@acme', campaigns=('801',))
        cls.agent_ui = ThreadingHTTPServer((AGENT_UI_HOST, 0), _AgentUiHandler)
        cls.agent_ui.page = b''
        threading.Thread(target=cls.agent_ui.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.agent_ui.server_close)
        cls.addClassCleanup(cls.agent_ui.shutdown)
        cls.agent_ui_origin = f'http://{AGENT_UI_HOST}:{cls.agent_ui.server_address[1]}'
        cls.server = cls.env['ameyo.server'].create(
            {
                'name': 'Embedded Ameyo',
                'base_url': cls.sim.url,
                'session_mode': 'sso',
                'frame_origins': cls.agent_ui_origin,
            }
        )
        cls.env['ameyo.campaign'].create(
            {'server_id': cls.server.id, 'ameyo_campaign_id': '801', 'name': 'Embedded'}
        )
        cls.agent = new_test_user(
            cls.env,
            login='embed_agent',
            password='embed-agent-pw-1',
            groups='crm_ameyo.group_ameyo_agent',
            ameyo_user_id='embed.agent@acme',
        )
        cls.partner = cls.env['res.partner'].create(
            {'name': 'Framed Caller', 'phone': '+91 97400 55667'}
        )

    def read_iframe(self, url, expression, timeout=60):
        """Open ``url`` in a fresh headless Chromium; evaluate ``expression`` inside its cross-site
        iframe (a target of its own) until it returns something truthy, and return that."""
        chromium = (
            shutil.which('chromium')
            or shutil.which('chromium-browser')
            or shutil.which('google-chrome')
        )
        self.assertTrue(chromium, "Chromium is needed for this test (scripts/test.sh installs it)")
        profile = tempfile.mkdtemp(prefix='crm_ameyo_chromium_')
        self.addCleanup(shutil.rmtree, profile, ignore_errors=True)
        process = subprocess.Popen(
            [
                chromium,
                '--headless',
                '--no-sandbox',
                '--disable-gpu',
                '--disable-dev-shm-usage',
                '--disable-background-networking',
                '--disable-component-update',
                '--disable-sync',
                '--no-first-run',
                '--remote-allow-origins=*',
                f'--user-data-dir={profile}',
                '--remote-debugging-port=0',
                '--window-size=1300,900',
                url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_unlimited_address_space,
        )
        deadline = time.monotonic() + timeout
        try:
            port_file = pathlib.Path(profile, 'DevToolsActivePort')
            while not (port_file.is_file() and port_file.stat().st_size > 5):
                self.assertLess(time.monotonic(), deadline, "Chromium did not start")
                time.sleep(0.2)
            port, path = port_file.read_text().split('\n')[:2]
            devtools = websocket.create_connection(f'ws://127.0.0.1:{port}{path}', timeout=10)
            self.addCleanup(devtools.close)
            ids = itertools.count(1)

            def command(method, session=None, **params):
                message_id = next(ids)
                devtools.send(
                    json.dumps(
                        {
                            'id': message_id,
                            'method': method,
                            'params': params,
                            **({'sessionId': session} if session else {}),
                        }
                    )
                )
                while True:
                    message = json.loads(devtools.recv())
                    if message.get('id') == message_id:
                        return message.get('result', {})

            result = None
            while time.monotonic() < deadline and not result:
                time.sleep(0.5)
                frames = [
                    target
                    for target in command('Target.getTargets')['targetInfos']
                    if target['type'] == 'iframe' and target['url'].startswith(self.base_url())
                ]
                for frame in frames:
                    session = command(
                        'Target.attachToTarget', targetId=frame['targetId'], flatten=True
                    )['sessionId']
                    evaluated = command(
                        'Runtime.evaluate',
                        session=session,
                        expression=expression,
                        returnByValue=True,
                    )
                    result = evaluated.get('result', {}).get('value') or result
            return result
        finally:
            process.kill()
            process.wait(timeout=10)

    def test_pop_renders_in_a_cross_site_iframe(self):
        # this Chromium carries no test cookie: let its requests in, and release the test lock
        with (
            self.allow_requests(all_requests=True),
            patch.object(self, 'http_request_allow_all', True),
        ):
            # Ameyo logs the agent in: Odoo's SSO endpoint answers a crmSessionId
            login = self.sim.sso_login(
                f'{self.base_url()}/ameyo/sso', 'embed.agent@acme', 'embed-agent-pw-1'
            )
            self.assertEqual(login['status'], 'success', login)
            call = self.sim.start_call('embed.agent@acme', '801', '9740055667')
            params = dict(
                self.sim.lifecycle_params(call, 'customer'), crmSessionId=login['crmSessionId']
            )
            odoo_url = f'{self.base_url()}/ameyo/customer?{urlencode(params)}'
            self.agent_ui.page = (
                f'<html><body><h1>Ameyo agent UI</h1><iframe id="crm" src="{escape(odoo_url)}" '
                'style="width: 1200px; height: 800px"></iframe></body></html>'
            ).encode()

            # inside the iframe (another site), the web client shows the caller's contact form
            shown = self.read_iframe(
                f'{self.agent_ui_origin}/',
                """(() => {
                const name = document.querySelector('.o_form_view .o_field_widget[name=name]');
                const banner = document.querySelector('.o_ameyo_call_banner');
                const value = name && (name.textContent.trim() ||
                    name.querySelector('input')?.value);
                return value && banner ? [value, banner.textContent] : null;
            })()""",
            )
        self.assertTrue(shown, "the contact form did not render in the iframe")
        name, banner = shown
        self.assertEqual(name.strip(), 'Framed Caller')
        self.assertIn('9740055667', banner)
        leg = self.env['ameyo.call'].search([('crt_object_id', '=', call['crtObjectId'])])
        self.assertEqual((leg.user_id, leg.partner_id), (self.agent, self.partner))

"""The Apps page's screenshots, taken from the demo: run by scripts/screenshots.sh (it finds Odoo).

1. Starts the demo (scripts/run.sh with RESET=1: a fresh database with the demo data and the Ameyo
   simulator) on its own ports, unless --reuse names one already running.
2. Points the demo server at this simulator (its base URL names port 8899) and plays a day of calls
   through the simulator, as Ameyo would: `python3 -m simulator throw` prints each lifecycle URL and
   the agent's Odoo session opens it (the pop); the agent disposes in Ameyo's client (the
   simulator's `dacx/dispose`), and Ameyo's dispose URL brings the disposition and a talk time.
3. Drives headless Chromium over the DevTools protocol (`websocket-client`), 1280x800, and writes:
   - agent_screen.png: a call popped on a contact, with the call banner and the call panel;
   - dial.png: the Dial button beside a contact's phone number, clicked, and Odoo's answer;
   - campaign_revenue.png: what each campaign earns (the campaign report's pivot: calls, leads, won
     opportunities and revenue by campaign);
   - analysis_graph.png and analysis_pivot.png: the supervisor's call analysis (calls by disposition
     and agent; calls, talk and wrap time by outcome and agent).
Each PNG is kept under 200 KB (a palette of 256 colours when the full-colour one is larger).
Stops what it started (scripts/run.sh, by its process id: it stops Odoo, the simulator, PostgreSQL).
"""

import argparse
import base64
import io
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import requests
import websocket
from PIL import Image

REPO = pathlib.Path(__file__).resolve().parent.parent
OUT = REPO / 'static' / 'description'
HTTP_PORT = int(os.environ.get('HTTP_PORT', '8481'))
SIM_PORT = int(os.environ.get('SIM_PORT', '8909'))
PG_RUN_PORT = int(os.environ.get('PG_RUN_PORT', '55508'))
CDP_PORT = int(os.environ.get('CDP_PORT', '9343'))
RUN_DIR = pathlib.Path(os.environ.get('CRM_AMEYO_RUN_DIR', '/tmp/crm_ameyo-screenshots'))
BASE = f'http://localhost:{HTTP_PORT}'
SIM = f'http://127.0.0.1:{SIM_PORT}'
DB = 'crm_ameyo'
WIDTH, HEIGHT = 1280, 800
MAX_BYTES = 200 * 1024
CHROMIUM_FLAGS = (
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
    '--force-device-scale-factor=1',
    '--lang=en-US',
    f'--window-size={WIDTH},{HEIGHT}',
)
# A day of calls for the analysis and the call panel:
# (agent, campaign, number, disposition, talk seconds).
# Campaign 1 (Inbound Sales) pops contacts; campaign 2 (Outbound Collections) pops leads.
CALLS = (
    ('agent1', '1', '9876543210', 'Sale', 312),
    ('agent2', '1', '9876543210', 'Not Interested', 95),
    ('agent1', '1', '9820123456', 'Sale', 428),
    ('agent2', '1', '9900112233', 'Wrong Number', 21),
    ('agent1', '1', '9812345678', 'Not Interested', 64),
    ('agent2', '1', '9820123456', 'Sale', 505),
    ('agent1', '1', '9900112233', 'Not Interested', 140),
    ('agent2', '2', '9988776655', 'Promise To Pay', 233),
    ('agent1', '2', '9988776655', 'Paid', 187),
    ('agent2', '2', '9811122233', 'No Answer', 12),
    ('agent1', '2', '9822233344', 'Promise To Pay', 276),
    ('agent2', '2', '9833344455', 'Paid', 158),
)
POPPED_NUMBER, POPPED_NAME = '9876543210', 'Priya Sharma'  # the agent's screen
DIALED_NAME = 'Arjun Mehta'  # the Dial button


def log(message):
    print(f'[screenshots] {message}', file=sys.stderr, flush=True)


class Odoo:
    """One user's session on the demo, over HTTP (JSON-RPC)."""

    def __init__(self, login):
        self.http = requests.Session()
        answer = self.http.post(
            f'{BASE}/web/session/authenticate',
            json={'jsonrpc': '2.0', 'params': {'db': DB, 'login': login, 'password': login}},
            timeout=120,
        )
        answer.raise_for_status()
        if answer.json().get('error') or not answer.json()['result'].get('uid'):
            raise SystemExit(f'cannot log in as {login}: {answer.json()}')
        self.session_id = self.http.cookies['session_id']

    def call(self, model, method, *args, **kwargs):
        answer = self.http.post(
            f'{BASE}/web/dataset/call_kw/{model}/{method}',
            json={
                'jsonrpc': '2.0',
                'params': {'model': model, 'method': method, 'args': args, 'kwargs': kwargs},
            },
            timeout=120,
        )
        answer.raise_for_status()
        if answer.json().get('error'):
            raise SystemExit(f'{model}.{method}: {answer.json()["error"]["data"]["message"]}')
        return answer.json()['result']

    def open(self, url):
        """Open a lifecycle URL as the agent's browser does (redirects followed)."""
        answer = self.http.get(url, timeout=120)
        if answer.status_code != 200:
            raise SystemExit(f'{url} answered {answer.status_code}: {answer.text[:300]}')


def throw(event, user, campaign, phone=None, disposition=None):
    """The lifecycle URL Ameyo sends for this event (python3 -m simulator throw)."""
    command = [
        sys.executable,
        '-m',
        'simulator',
        'throw',
        '--odoo',
        BASE,
        '--sim',
        SIM,
        '--event',
        event,
        '--user',
        user,
        '--campaign',
        campaign,
    ]
    if phone:
        command += ['--phone', phone]
    if disposition:
        command += ['--disposition', disposition]
    return (
        subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )


def dispose_in_ameyo(dispose_url):
    """The agent disposes the call in Ameyo's own client (the simulator's `dacx/dispose`, which
    names the call, with the dispose URL's parameters): the agent is ready for the next call."""
    query = urllib.parse.urlsplit(dispose_url).query
    answer = requests.get(f'{SIM}/dacx/dispose?{query}', timeout=30)
    if 'Dispose Successfully' not in answer.text:
        raise SystemExit(f'the simulator did not dispose the call: {answer.text[:200]}')


def settle_simulator():
    """With --reuse: dispose in the simulator the calls an earlier run left open."""
    codes = {'1': 'Sale', '2': 'Paid'}
    state = requests.get(f'{SIM}/__sim__/state', timeout=30).json()
    for leg in state['calls']:
        if leg['state'] != 'disposed' and leg['campaignId'] in codes:
            requests.get(
                f'{SIM}/dacx/dispose',
                params={
                    'sessionId': leg['sessionId'],
                    'crtObjectId': leg['crtObjectId'],
                    'userCrtObjectId': leg['userCrtObjectId'],
                    'dispositionCode': codes[leg['campaignId']],
                },
                timeout=30,
            )


def start_demo():
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        CRM_AMEYO_RUN_DIR=str(RUN_DIR),
        HTTP_PORT=str(HTTP_PORT),
        SIM_PORT=str(SIM_PORT),
        PG_RUN_PORT=str(PG_RUN_PORT),
        RESET='1',
    )
    log_path = RUN_DIR / 'screenshots-run.log'
    log(f'starting the demo (scripts/run.sh, a fresh database; log in {log_path})')
    with open(log_path, 'w') as run_log:
        demo = subprocess.Popen(
            ['bash', str(REPO / 'scripts' / 'run.sh')],
            env=env,
            stdout=run_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 1200
    while time.monotonic() < deadline:
        if demo.poll() is not None:
            raise SystemExit(f'scripts/run.sh stopped (exit {demo.returncode}): see {log_path}')
        try:
            Odoo('admin').call(
                'ir.module.module',
                'search_count',
                [('name', '=', 'crm_ameyo'), ('state', '=', 'installed')],
            )
            return demo
        except (requests.RequestException, SystemExit, KeyError):
            time.sleep(3)
    raise SystemExit(f'the demo did not answer on {BASE} within 20 minutes: see {log_path}')


def stop_demo(demo):
    if demo and demo.poll() is None:
        log('stopping the demo')
        demo.send_signal(signal.SIGTERM)  # run.sh stops Odoo, the simulator and PostgreSQL
        demo.wait(timeout=120)


class Browser:
    """Headless Chromium driven over the DevTools protocol (one page)."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix='crm_ameyo-screenshots-chromium-')
        self.process = subprocess.Popen(
            [
                shutil.which('chromium') or 'chromium',
                *CHROMIUM_FLAGS,
                f'--remote-debugging-port={CDP_PORT}',
                f'--user-data-dir={self.profile}',
                'about:blank',
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        pages = []
        for _ in range(200):
            try:
                targets = f'http://127.0.0.1:{CDP_PORT}/json/list'
                with urllib.request.urlopen(targets, timeout=2) as answer:
                    pages = [target for target in json.load(answer) if target['type'] == 'page']
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        if not pages:
            raise SystemExit(f'Chromium did not start (DevTools port {CDP_PORT})')
        self.ws = websocket.create_connection(
            pages[0]['webSocketDebuggerUrl'], timeout=120, suppress_origin=True
        )
        self.next_id = 0
        self.send('Page.enable')
        self.send('Network.enable')
        self.send(
            'Emulation.setDeviceMetricsOverride',
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({'id': self.next_id, 'method': method, 'params': params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get('id') == self.next_id:
                if 'error' in message:
                    raise RuntimeError(f'{method}: {message["error"]}')
                return message.get('result', {})

    def evaluate(self, expression):
        result = self.send('Runtime.evaluate', expression=expression, returnByValue=True)
        return result['result'].get('value')

    def log_in(self, session):
        """The browser takes the session of ``session`` (an Odoo instance): its cookie."""
        self.send('Network.clearBrowserCookies')
        self.send(
            'Network.setCookie',
            name='session_id',
            value=session.session_id,
            domain='localhost',
            path='/',
        )

    def wait(self, expression, what, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.2)
        text = self.evaluate('document.body && document.body.innerText.slice(0, 300)')
        raise SystemExit(f'{what} never showed; the page says: {text!r}')

    def open(self, url, expression, what):
        self.send('Page.navigate', url=url)
        self.wait(expression, what)

    def screenshot(self, name):
        self.evaluate('document.activeElement && document.activeElement.blur()')
        time.sleep(1.5)  # avatars, the chatter, the chart's animation
        data = base64.b64decode(self.send('Page.captureScreenshot', format='png')['data'])
        image = Image.open(io.BytesIO(data)).convert('RGB')
        if image.size != (WIDTH, HEIGHT):
            image = image.resize((WIDTH, HEIGHT))
        path = OUT / name
        image.save(path, optimize=True)
        if path.stat().st_size > MAX_BYTES:
            image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        log(f'wrote {path.relative_to(REPO)} ({path.stat().st_size // 1024} KB)')

    def close(self):
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            self.process.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)


def visible(selector, text=None):
    """A JavaScript test: an element of ``selector`` is shown (and holds ``text``)."""
    check = f' && el.innerText.includes({json.dumps(text)})' if text else ''
    return (
        f'[...document.querySelectorAll({json.dumps(selector)})]'
        f'.some(el => el.offsetParent !== null{check})'
    )


def play_calls(agents):
    log(f'playing {len(CALLS)} calls through the simulator')
    for user, campaign, phone, disposition, talk in CALLS:
        agents[user].open(throw('customer', user, campaign, phone=phone))
        dispose_url = throw('dispose', user, campaign, disposition=disposition)
        dispose_in_ameyo(dispose_url)
        agents[user].open(f'{dispose_url}&talkTime={talk}')


def take(browser, admin, agents):
    # the agent's screen: a call popped on a contact, the call banner and the call panel
    browser.log_in(Odoo('agent1'))
    customer_url = throw('customer', 'agent1', '1', phone=POPPED_NUMBER)
    browser.open(
        customer_url,
        visible('.o_form_view .o_field_widget[name="name"]')
        + ' && '
        + visible('.o_ameyo_call_banner')
        + ' && '
        + visible('.o_form_view', 'Greet the caller'),
        'the popped contact with its banner and call panel',
    )
    browser.screenshot('agent_screen.png')
    # Ameyo disposes that call; the Dial button on another contact, clicked
    dispose_url = throw('dispose', 'agent1', '1', disposition='Sale')
    dispose_in_ameyo(dispose_url)
    agents['agent1'].open(f'{dispose_url}&talkTime=240')
    partner = admin.call('res.partner', 'search', [('name', '=', DIALED_NAME)], limit=1)
    browser.open(
        f'{BASE}/odoo/contacts/{partner[0]}', visible('.o_ameyo_dial_button'), 'the Dial button'
    )
    browser.wait('!' + visible('.o_ameyo_call_banner'), 'the end of the earlier call in the banner')
    browser.evaluate('document.querySelector(".o_ameyo_dial_button").click()')
    browser.wait(visible('.o_notification', 'Dial request sent'), "Odoo's answer to the dial")
    try:  # the simulator rings, then pops the call: the banner shows it (a second at most)
        browser.wait(visible('.o_ameyo_call_banner'), 'the dialed call in the banner', timeout=10)
    except SystemExit:
        log('the dialed call did not show in the banner within 10 s: only the answer is shown')
    browser.screenshot('dial.png')
    # the supervisor's call analysis: calls by disposition and agent (graph), by outcome (pivot)
    browser.log_in(Odoo('supervisor'))
    browser.open(
        f'{BASE}/odoo/ameyo-call-analysis',
        visible('.o_graph_renderer canvas'),
        'the call analysis graph',
    )
    browser.evaluate('document.querySelector(".o_searchview_dropdown_toggler").click()')
    browser.wait(visible('.o_group_by_menu .o_menu_item'), 'the Group By menu')
    for label in ('Disposition', 'Agent'):
        browser.evaluate(
            f'[...document.querySelectorAll(".o_group_by_menu .o_menu_item")]'
            f'.find(el => el.innerText.trim() === {json.dumps(label)}).click()'
        )
        time.sleep(1)
    browser.evaluate('document.querySelector(".o_searchview_dropdown_toggler").click()')
    browser.wait(
        '!' + visible('.o_group_by_menu') + ' && ' + visible('.o_graph_renderer canvas'),
        'the graph grouped by disposition and agent',
    )
    browser.screenshot('analysis_graph.png')
    browser.open(
        f'{BASE}/odoo/ameyo-call-analysis', visible('.o_switch_view.o_pivot'), 'the call analysis'
    )
    browser.evaluate('document.querySelector(".o_switch_view.o_pivot").click()')
    browser.wait(
        visible('.o_pivot table') + ' && ' + visible('.o_pivot_flip_button'),
        'the call analysis pivot',
    )
    browser.evaluate('document.querySelector(".o_pivot_flip_button").click()')
    browser.wait(visible('.o_pivot table th', 'Negative'), 'the flipped pivot')
    browser.screenshot('analysis_pivot.png')
    # what each campaign earns: the campaign report's pivot (by campaign)
    browser.open(
        f'{BASE}/odoo/action-crm_ameyo.ameyo_campaign_report_action',
        visible('.o_switch_view.o_pivot'),
        'the campaign report',
    )
    browser.evaluate('document.querySelector(".o_switch_view.o_pivot").click()')
    browser.wait(visible('.o_pivot table th', 'Inbound Sales'), 'the campaign report pivot')
    browser.screenshot('campaign_revenue.png')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--reuse',
        action='store_true',
        help=f'use the demo already running on {BASE} (and {SIM}); do not stop it',
    )
    args = parser.parse_args()
    demo = None if args.reuse else start_demo()
    if args.reuse:
        settle_simulator()
    browser = None
    try:
        admin = Odoo('admin')
        server = admin.call('ameyo.server', 'search', [], limit=1)
        admin.call('ameyo.server', 'write', server, {'base_url': SIM})  # the demo data says 8899
        agents = {login: Odoo(login) for login in ('agent1', 'agent2')}
        play_calls(agents)
        browser = Browser()
        take(browser, admin, agents)
    finally:
        if browser:
            browser.close()
        stop_demo(demo)


if __name__ == '__main__':
    main()

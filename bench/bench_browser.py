"""What the agent waits for: headless Chromium, from the customer URL to the caller's name in the form.

Driven by bench/run.sh (``bench/run.sh browser``), which starts PostgreSQL and Odoo. Logged in as the
bench agent, with a warm asset cache, each round navigates (a full page load, as Ameyo's agent client
loads the URL in its frame) once to a customer URL Ameyo would send for a contact, and once straight to
another contact's own form URL, in alternating order, and times each from the navigation to the
contact's name being visible in the form (polled with document.querySelector over the DevTools
protocol). Redirects are followed by the browser, whatever their chain. A third URL each round is
the pop's server action on the previous round's leg (``/odoo/<leg>/action-…``, the first release's
redirect target, kept for a prefilled new record): what that chain costs beside the pop's own.
Then the same with leads (the campaign's pop target set to leads). Figures are printed, never asserted.
"""

import argparse
import json
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

import psycopg2
import requests
import websocket
from bench_screen_pop import AGENT_AMEYO_ID, AGENT_LOGIN, AGENT_PASSWORD, SENT_FORMATS, number

CHROMIUM_FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--window-size=1366,900')
NAME_VISIBLE = """(() => {
  for (const el of document.querySelectorAll(
      '.o_form_view .o_field_widget[name="name"] input, .o_form_view .o_field_widget[name="name"] textarea')) {
    if (el.value === %s && el.offsetParent !== null) return true;
  }
  return false;
})()"""
# where the time of the page went: its redirects, the document, and the web client's requests after it
TIMING = """JSON.stringify((() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const rpcs = performance.getEntriesByType('resource').filter(
      r => r.initiatorType === 'fetch' || r.initiatorType === 'xmlhttprequest').map(
      r => new URL(r.name).pathname);
  return {redirects: nav.redirectCount, redirect: nav.redirectEnd - nav.redirectStart,
          document: nav.responseEnd, loaded: nav.loadEventEnd, rpcs: rpcs};
})())"""


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Browser:
    """Headless Chromium driven over the DevTools protocol (one page)."""

    def __init__(self, work_dir):
        self.profile = tempfile.mkdtemp(prefix='chromium-', dir=work_dir)
        port = free_port()
        self.process = subprocess.Popen(
            [shutil.which('chromium') or 'chromium', *CHROMIUM_FLAGS, f'--remote-debugging-port={port}',
             f'--user-data-dir={self.profile}', 'about:blank'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list', timeout=2) as answer:
                    pages = [target for target in json.load(answer) if target['type'] == 'page']
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit('Chromium did not start')
        self.ws = websocket.create_connection(pages[0]['webSocketDebuggerUrl'], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.send('Page.enable')
        self.send('Network.enable')

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
        return self.send('Runtime.evaluate', expression=expression, returnByValue=True)['result'].get('value')

    def open_until(self, url, name, timeout=300):  # a loaded 2-core machine takes tens of seconds a page
        """Navigate to ``url``; the milliseconds until ``name`` shows in the form, and where they went."""
        check = NAME_VISIBLE % json.dumps(name)
        started = time.monotonic()
        self.send('Page.navigate', url=url)
        while time.monotonic() - started < timeout:
            if self.evaluate(check):
                elapsed = (time.monotonic() - started) * 1000
                return elapsed, json.loads(self.evaluate(TIMING))
            time.sleep(0.005)
        raise SystemExit(f'{name!r} never showed after opening {url}; the page says: '
                         f'{self.evaluate("document.body && document.body.innerText.slice(0, 300)")!r}')

    def close(self):
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            self.process.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)


def customer_url(base_url, phone, sent_format):
    crt = f'brw-vce-{uuid.uuid4().hex[:10]}'
    return crt, f'{base_url}/ameyo/customer?' + urllib.parse.urlencode({
        'sessionId': 'd928-bench-ses-bench.agent@acme-1', 'campaignId': '1', 'crtObjectId': crt,
        'userCrtObjectId': f'{crt}-uce-1', 'userId': AGENT_AMEYO_ID, 'customerId': '-1',
        'phone': sent_format(phone), 'callType': 'inbound.call.dial'})


def summary(values):
    return f'median {statistics.median(values):6.0f} ms, max {max(values):6.0f} ms'


POP_ACTION = 'crm_ameyo.ameyo_call_pop_action'
LABELS = {'pop': ('customer URL', '/ameyo/customer?...'),
          'action': ('server action', f'/odoo/<leg>/action-{POP_ACTION}'),
          'direct': ('own form URL', None)}


def run_target(args, browser, target, records):
    """Rounds of: a pop (the customer URL), the pop's server action on the previous round's leg (the
    redirect chain of the first release, kept for a new prefilled record), another record's own form
    URL, in a rotating order; print the figures."""
    rng = random.Random(5)
    base, leg = args.odoo, 'contacts' if target == 'partner' else 'crm'
    with psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn, \
            conn.cursor() as cr:
        cr.execute("UPDATE ameyo_campaign SET pop_target = %s", [target])
    times = {kind: [] for kind in LABELS}
    timings = {kind: [] for kind in LABELS}
    previous = None  # (crtObjectId, name) of the last round's pop
    for round_index in range(args.rounds + 2):  # two warm-up rounds first
        (_pop_id, pop_name, pop_phone), (direct_id, direct_name, _phone) = rng.sample(records, 2)
        crt, url = customer_url(base, pop_phone, SENT_FORMATS[round_index % len(SENT_FORMATS)])
        steps = [('pop', url, pop_name), ('direct', f'{base}/odoo/{leg}/{direct_id}', direct_name)]
        if previous:
            with psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn, \
                    conn.cursor() as cr:
                cr.execute("SELECT id FROM ameyo_call WHERE crt_object_id = %s", [previous[0]])
                steps.append(('action', f'{base}/odoo/{cr.fetchone()[0]}/action-{POP_ACTION}', previous[1]))
        shift = round_index % len(steps)
        for kind, step_url, name in steps[shift:] + steps[:shift]:
            elapsed, timing = browser.open_until(step_url, name)
            if round_index >= 2:
                times[kind].append(elapsed)
                timings[kind].append(timing)
        previous = (crt, pop_name)
    LABELS['direct'] = ('own form URL', f'/odoo/{leg}/<id>')
    kind_name = 'Contacts' if target == 'partner' else 'Leads'
    print(f'\n{kind_name} ({args.rounds} rounds, order rotating; from the navigation to the name visible in the form):')
    for kind, (label, path) in LABELS.items():
        print(f'  {label:13} {path:58} {summary(times[kind])}')
    direct = statistics.median(times['direct'])
    print(f'  ratio of medians to the own form URL: customer URL {statistics.median(times["pop"]) / direct:.3f}x '
          f'(budget: 1.05x), server action {statistics.median(times["action"]) / direct:.3f}x')
    for kind, (label, _path) in LABELS.items():
        last = timings[kind][-1]
        print(f'  {label}: redirects {last["redirects"]} taking median '
              f'{statistics.median(t["redirect"] for t in timings[kind]):.0f} ms; document received at median '
              f'{statistics.median(t["document"] for t in timings[kind]):.0f} ms; web client requests: '
              f'{", ".join(last["rpcs"]) or "-"}')


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--db', required=True)
    parser.add_argument('--pg-port', type=int, required=True)
    parser.add_argument('--partners', type=int, default=1_000_000)
    parser.add_argument('--odoo', required=True)
    parser.add_argument('--rounds', type=int, default=30)
    parser.add_argument('--work-dir', default=tempfile.gettempdir())
    parser.add_argument('--quick', action='store_true', help='10 rounds')
    args = parser.parse_args()
    if args.quick:
        args.rounds = min(args.rounds, 10)
    rng = random.Random(3)
    with psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn, \
            conn.cursor() as cr:
        # contacts of the populated table (their number is the bench's: index = number - FIRST_NUMBER)
        indexes = rng.sample(range(args.partners), 200)
        cr.execute("SELECT id, name FROM res_partner WHERE name = ANY(%s)",
                   [[f'Bench Contact {index}' for index in indexes]])
        contacts = [(pid, name, number(int(name.rsplit(' ', 1)[1]))) for pid, name in cr.fetchall()]
    leads = create_leads(args, 100)

    http = requests.Session()
    answer = http.post(f'{args.odoo}/web/session/authenticate', json={'jsonrpc': '2.0', 'params': {
        'db': args.db, 'login': AGENT_LOGIN, 'password': AGENT_PASSWORD}}, timeout=60).json()
    if answer.get('error'):
        raise SystemExit(f"login failed: {answer['error']}")
    browser = Browser(args.work_dir)
    try:
        host = urllib.parse.urlsplit(args.odoo).hostname
        browser.send('Network.setCookie', name='session_id', value=http.cookies['session_id'], domain=host,
                     path='/', httpOnly=True)
        # a warm asset cache: the web client once, as the agent's browser has it from his last call
        browser.open_until(f'{args.odoo}/odoo/contacts/{contacts[0][0]}', contacts[0][1])
        print(f'Headless Chromium, warm asset cache, {args.partners:,} contacts, one Odoo process, '
              f'logged in as {AGENT_LOGIN}; the pop opens what the campaign says (contact, then lead).')
        run_target(args, browser, 'partner', contacts)
        run_target(args, browser, 'lead', leads)
    finally:
        browser.close()
        with psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn, \
                conn.cursor() as cr:
            cr.execute("UPDATE ameyo_campaign SET pop_target = 'partner'")


def create_leads(args, count):
    """``count`` leads with numbers no contact has, created through Odoo's JSON-RPC as an administrator would."""
    http = requests.Session()
    answer = http.post(f'{args.odoo}/web/session/authenticate', json={'jsonrpc': '2.0', 'params': {
        'db': args.db, 'login': AGENT_LOGIN, 'password': AGENT_PASSWORD}}, timeout=60).json()
    if answer.get('error'):
        raise SystemExit(f"login failed: {answer['error']}")
    names = [f'Bench Lead {uuid.uuid4().hex[:8]}' for _ in range(count)]
    phones = [number(args.partners + 10 + index) for index in range(count)]
    answer = http.post(f'{args.odoo}/web/dataset/call_kw/crm.lead/create', json={'jsonrpc': '2.0', 'params': {
        'model': 'crm.lead', 'method': 'create', 'args': [[{'name': name, 'phone': phone, 'type': 'opportunity'}
                                                          for name, phone in zip(names, phones, strict=True)]],
        'kwargs': {}}}, timeout=120).json()
    if answer.get('error'):
        raise SystemExit(f"creating leads failed: {answer['error']['data']['message']}")
    return list(zip(answer['result'], names, phones, strict=True))


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(1))  # stopped: Chromium goes too (finally)
    main()

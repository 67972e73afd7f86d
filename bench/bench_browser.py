"""What the agent waits for: headless Chromium, from the customer URL to the caller's name in the
form.

Driven by bench/run.sh (``bench/run.sh browser``), which starts PostgreSQL and Odoo. Logged in as
the bench agent, with a warm asset cache, each round navigates (a full page load, as Ameyo's agent
client loads the URL in its frame), in a rotating order, to:
- a customer URL Ameyo would send for a record (the pop: a new leg, the lookup, the redirect);
- another record's own form URL while the agent is on a live call with it (a pop of its number sent
  just before, outside the timing, as the banner or a second tab would reopen it): the same form
  with the same call panel, the like-with-like comparison the budget (1.05x) is about;
- the pop's server action on a live leg (``/odoo/<leg>/action-…``, the path of a new prefilled
  record);
- a third record's own form with no call (no call panel): what the panel itself costs.
Each is timed from the navigation to the record's name being visible in the form and, during a call,
the call panel too (polled with document.querySelector over the DevTools protocol). Redirects are
followed by the browser, whatever their chain. Each navigation starts from an idle page (``SETTLE``:
the previous page's chatter and avatars loaded, the pop of a form's call sent), so no kind inherits
another's tail. Each measured record's number has earlier calls of other
agents (``PAST_CALLS``), so the panel lists its last five. Contacts first, then leads (the
campaign's pop target set to leads). Figures and the load average are printed, never asserted.
"""

import argparse
import json
import os
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
from bench_screen_pop import (
    AGENT_AMEYO_ID,
    AGENT_LOGIN,
    AGENT_PASSWORD,
    SENT_FORMATS,
    number,
    percentiles,
)

CHROMIUM_FLAGS = (
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--window-size=1366,900',
)
# the name in the form and, during a call, the call panel (name and panel: %s, %s)
NAME_VISIBLE = """(() => {
  const panel = document.querySelector('.o_form_view .o_ameyo_call_panel');
  if (%s && !(panel && panel.offsetParent !== null)) return false;
  for (const el of document.querySelectorAll(
      '.o_form_view .o_field_widget[name="name"] input, .o_form_view .o_field_widget[name="name"] textarea')) {
    if (el.value === %s && el.offsetParent !== null) return true;
  }
  return false;
})()"""  # noqa: E501
# where the time of the page went: its redirects, the document, and the web client's requests after
# it
TIMING = """JSON.stringify((() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const calls = performance.getEntriesByType('resource').filter(
      r => r.initiatorType === 'fetch' || r.initiatorType === 'xmlhttprequest');
  const rpcs = calls.map(r => new URL(r.name).pathname);
  const read = calls.filter(r => r.name.includes('/web_read'));
  return {redirects: nav.redirectCount, redirect: nav.redirectEnd - nav.redirectStart,
          document: nav.responseEnd, loaded: nav.loadEventEnd, rpcs: rpcs,
          first_request: calls.length ? calls[0].startTime : 0,
              read: read.length ? read[0].responseEnd : 0};
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
            [
                shutil.which('chromium') or 'chromium',
                *CHROMIUM_FLAGS,
                f'--remote-debugging-port={port}',
                f'--user-data-dir={self.profile}',
                'about:blank',
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(
                    f'http://127.0.0.1:{port}/json/list', timeout=2
                ) as answer:
                    pages = [target for target in json.load(answer) if target['type'] == 'page']
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit('Chromium did not start')
        self.ws = websocket.create_connection(
            pages[0]['webSocketDebuggerUrl'], timeout=60, suppress_origin=True
        )
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
        return self.send('Runtime.evaluate', expression=expression, returnByValue=True)[
            'result'
        ].get('value')

    # a loaded 2-core machine: tens of seconds a page
    def open_until(self, url, name, panel=False, timeout=300):
        """Navigate to ``url``; the milliseconds until ``name`` shows in the form (with the call
        panel if ``panel``), and where they went."""
        check = NAME_VISIBLE % (json.dumps(panel), json.dumps(name))
        started = time.monotonic()
        self.send('Page.navigate', url=url)
        while time.monotonic() - started < timeout:
            if self.evaluate(check):
                elapsed = (time.monotonic() - started) * 1000
                return elapsed, json.loads(self.evaluate(TIMING))
            time.sleep(0.005)
        raise SystemExit(
            f'{name!r} (call panel: {panel}) never showed after opening {url}; the page says: '
            f'{self.evaluate("document.body && document.body.innerText.slice(0, 300)")!r}'
        )

    def close(self):
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            self.process.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)


def customer_url(base_url, phone, sent_format):
    crt = f'brw-vce-{uuid.uuid4().hex[:10]}'
    return crt, f'{base_url}/ameyo/customer?' + urllib.parse.urlencode(
        {
            'sessionId': 'd928-bench-ses-bench.agent@acme-1',
            'campaignId': '1',
            'crtObjectId': crt,
            'userCrtObjectId': f'{crt}-uce-1',
            'userId': AGENT_AMEYO_ID,
            'customerId': '-1',
            'phone': sent_format(phone),
            'callType': 'inbound.call.dial',
        }
    )


def summary(values):
    median, p95 = percentiles(values)
    return f'median {median:6.0f} ms, p95 {p95:6.0f} ms'


POP_ACTION = 'crm_ameyo.ameyo_call_pop_action'
PAST_CALLS = 8  # earlier calls of each measured record's number: the panel lists its last five
SETTLE = 0.5  # seconds of idle page before each navigation
# kind: (label, path, the call panel shows, the agent is on a call with the record before the
# navigation)
KINDS = {
    'pop': ('customer URL', '/ameyo/customer?...', True),
    'direct': ('own form URL', '/odoo/{app}/<id>, on a call with it', True),
    'action': ('server action', f'/odoo/<leg>/action-{POP_ACTION}', True),
    'plain': ('own form URL', '/odoo/{app}/<id>, no call (no panel)', False),
}


def load_average():
    return ' '.join(f'{value:.2f}' for value in os.getloadavg())


def run_target(args, browser, http, target, records):
    """Rounds of the four kinds of navigation (module docstring) in a rotating order; print the
    figures."""
    rng = random.Random(5)
    base, app = args.odoo, 'contacts' if target == 'partner' else 'crm'
    with (
        psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn,
        conn.cursor() as cr,
    ):
        cr.execute("UPDATE ameyo_campaign SET pop_target = %s", [target])

    def call_with(phone):
        """A pop of ``phone`` as Ameyo sends it, outside the timing (not followed): the agent's live
        leg with the record, their previous one ended; the leg's id."""
        crt, url = customer_url(base, phone, SENT_FORMATS[0])
        answer = http.get(url, allow_redirects=False, timeout=300)
        if answer.status_code != 303 and answer.status_code != 302:
            raise SystemExit(
                f'the pop of {phone} answered {answer.status_code}: {answer.text[:300]}'
            )
        with (
            psycopg2.connect(
                host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db
            ) as conn,
            conn.cursor() as cr,
        ):
            cr.execute("SELECT id FROM ameyo_call WHERE crt_object_id = %s", [crt])
            return cr.fetchone()[0]

    times = {kind: [] for kind in KINDS}
    timings = {kind: [] for kind in KINDS}
    loads = [load_average()]
    for round_index in range(args.rounds + 2):  # two warm-up rounds first
        # records of no call for the form without a panel (never the one the agent is on a call
        # with)
        picked = dict(
            zip(
                KINDS,
                [
                    *rng.sample(records[len(records) // 4 :], len(KINDS) - 1),
                    rng.choice(records[: len(records) // 4]),
                ],
                strict=True,
            )
        )
        kinds = list(KINDS)
        shift = round_index % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:
            record_id, name, phone = picked[kind]
            if kind == 'pop':
                url = customer_url(base, phone, SENT_FORMATS[round_index % len(SENT_FORMATS)])[1]
            elif kind == 'action':
                url = f'{base}/odoo/{call_with(phone)}/action-{POP_ACTION}'
            else:
                if kind == 'direct':
                    call_with(phone)
                url = f'{base}/odoo/{app}/{record_id}'
            # the previous page's own tail (its chatter, avatars, websocket) over before any
            # navigation, the call made before a form's or action's: each kind starts from the same
            # idle page
            time.sleep(SETTLE)
            elapsed, timing = browser.open_until(url, name, panel=KINDS[kind][2])
            if round_index >= 2:
                times[kind].append(elapsed)
                timings[kind].append(timing)
    loads.append(load_average())
    kind_name = 'Contacts' if target == 'partner' else 'Leads'
    print(
        f'\n{kind_name} ({args.rounds} rounds, order rotating; from the navigation to the name '
        f'visible in the form, and the call panel during a call; load average {loads[0]} before, '
        f'{loads[1]} after):'
    )
    for kind, (label, path, _panel) in KINDS.items():
        print(f'  {label:13} {path.format(app=app):58} {summary(times[kind])}')
    direct, direct_p95 = percentiles(times['direct'])
    pop, pop_p95 = percentiles(times['pop'])
    action, action_p95 = percentiles(times['action'])
    plain = percentiles(times['plain'])[0]
    print(
        f'  customer URL / own form URL on a call: median {pop / direct:.3f}x, p95 '
        f'{pop_p95 / direct_p95:.3f}x (budget: 1.05x); server action {action / direct:.3f}x, p95 '
        f'{action_p95 / direct_p95:.3f}x; the form with its call panel / without: median '
        f'{direct / plain:.3f}x'
    )
    for kind, (label, _path, panel) in KINDS.items():
        last = timings[kind][-1]
        print(
            f'  {label}{" (panel)" if panel else ""}: redirects {last["redirects"]} taking median '
            f'{statistics.median(t["redirect"] for t in timings[kind]):.0f} ms; document received '
            f'at median {statistics.median(t["document"] for t in timings[kind]):.0f} ms, its '
            'first request sent at '
            f'{statistics.median(t["first_request"] for t in timings[kind]):.0f} ms, the form\'s '
            f'record read at {statistics.median(t["read"] for t in timings[kind]):.0f} ms; web '
            f'client requests: {", ".join(last["rpcs"]) or "-"}'
        )


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
    with (
        psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn,
        conn.cursor() as cr,
    ):
        # contacts of the populated table (their number is the bench's: index = number -
        # FIRST_NUMBER)
        indexes = rng.sample(range(args.partners), 200)
        cr.execute(
            "SELECT id, name FROM res_partner WHERE name = ANY(%s)",
            [[f'Bench Contact {index}' for index in indexes]],
        )
        contacts = [(pid, name, number(int(name.rsplit(' ', 1)[1]))) for pid, name in cr.fetchall()]
    leads = create_leads(args, 100)
    add_past_calls(args, contacts, leads)

    http = requests.Session()
    answer = http.post(
        f'{args.odoo}/web/session/authenticate',
        json={
            'jsonrpc': '2.0',
            'params': {'db': args.db, 'login': AGENT_LOGIN, 'password': AGENT_PASSWORD},
        },
        timeout=60,
    ).json()
    if answer.get('error'):
        raise SystemExit(f"login failed: {answer['error']}")
    browser = Browser(args.work_dir)
    try:
        host = urllib.parse.urlsplit(args.odoo).hostname
        browser.send(
            'Network.setCookie',
            name='session_id',
            value=http.cookies['session_id'],
            domain=host,
            path='/',
            httpOnly=True,
        )
        # a warm asset cache: the web client once, as the agent's browser has it from their last
        # call
        browser.open_until(f'{args.odoo}/odoo/contacts/{contacts[0][0]}', contacts[0][1])
        print(
            f'Headless Chromium, warm asset cache, {args.partners:,} contacts, one Odoo process, '
            f'logged in as {AGENT_LOGIN}; the pop opens what the campaign says (contact, then '
            'lead).'
        )
        run_target(args, browser, http, 'partner', contacts)
        run_target(args, browser, http, 'lead', leads)
    finally:
        browser.close()
        with (
            psycopg2.connect(
                host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db
            ) as conn,
            conn.cursor() as cr,
        ):
            cr.execute("UPDATE ameyo_campaign SET pop_target = 'partner'")


def add_past_calls(args, contacts, leads, per_record=PAST_CALLS):
    """``per_record`` disposed calls of other agents in the past for each measured contact and lead
    (their number, the record, an outcome and notes), as a repeat caller has: the call panel lists
    its five last calls, not "First call from this caller"."""
    with (
        psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn,
        conn.cursor() as cr,
    ):
        cr.execute("SELECT id, company_id FROM ameyo_server ORDER BY id LIMIT 1")
        server_id, company_id = cr.fetchone()
        cr.execute("SELECT id FROM ameyo_disposition ORDER BY id LIMIT 1")
        disposition_id = cr.fetchone()[0]
        cr.execute("SELECT id FROM res_users WHERE login LIKE 'scale_agent%%' ORDER BY id LIMIT 10")
        agents = [row[0] for row in cr.fetchall()]
        rows = [
            (
                server_id,
                company_id,
                phone,
                phone,
                record_id if field == 'partner_id' else None,
                record_id if field == 'lead_id' else None,
                agents[index % len(agents)],
                disposition_id,
                f'brw-past-{field}-{record_id}-{index}',
                f'Past call {index}: asked for a quote',
                index + 1,
            )
            for field, records in (('partner_id', contacts), ('lead_id', leads))
            for record_id, _name, phone in records
            for index in range(per_record)
        ]
        cr.executemany(
            "INSERT INTO ameyo_call (server_id, company_id, direction, state, phone, phone_key, "
            "partner_id, lead_id,"
            " user_id, disposition_id, disposition_code, crt_object_id, notes, create_date, "
            "write_date, connected_at)"
            " VALUES (%s, %s, 'inbound', 'disposed', %s, %s, %s, %s, %s, %s, 'Sale', %s, %s,"
            " now() - make_interval(days => %s), now(), now() - make_interval(days => %s))",
            [(*row, row[-1]) for row in rows],
        )


def create_leads(args, count):
    """``count`` leads with numbers no contact has, created through Odoo's JSON-RPC as an
    administrator would."""
    http = requests.Session()
    answer = http.post(
        f'{args.odoo}/web/session/authenticate',
        json={
            'jsonrpc': '2.0',
            'params': {'db': args.db, 'login': AGENT_LOGIN, 'password': AGENT_PASSWORD},
        },
        timeout=60,
    ).json()
    if answer.get('error'):
        raise SystemExit(f"login failed: {answer['error']}")
    names = [f'Bench Lead {uuid.uuid4().hex[:8]}' for _ in range(count)]
    phones = [number(args.partners + 10 + index) for index in range(count)]
    answer = http.post(
        f'{args.odoo}/web/dataset/call_kw/crm.lead/create',
        json={
            'jsonrpc': '2.0',
            'params': {
                'model': 'crm.lead',
                'method': 'create',
                'args': [
                    [
                        {'name': name, 'phone': phone, 'type': 'opportunity'}
                        for name, phone in zip(names, phones, strict=True)
                    ]
                ],
                'kwargs': {},
            },
        },
        timeout=120,
    ).json()
    if answer.get('error'):
        raise SystemExit(f"creating leads failed: {answer['error']['data']['message']}")
    return list(zip(answer['result'], names, phones, strict=True))


if __name__ == '__main__':
    # stopped: Chromium goes too (finally)
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(1))
    main()

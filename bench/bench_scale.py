"""Scale-out as a contact center runs Odoo: agents on the simulator, two Odoo servers behind nginx.

Driven by bench/run.sh (``bench/run.sh scale``), which starts PostgreSQL, two Odoo servers with
deploy/odoo.conf (``--workers=2``, a cron thread, ``proxy_mode``, their websocket process; one
database and one data directory) and two private nginx running deploy/odoo-nginx.conf over HTTPS:
one in front of the first server only, one in front of both. This script then runs three phases
through the proxy:

1. one server; 2. two servers; 3. two servers, one of them killed (SIGKILL, all its processes) in
   the
middle of the run.

Each simulated agent logs in to Odoo once, opens their "other tab" (a websocket on the proxy's
/websocket, subscribed as Odoo's web client is; it counts the call banner's notifications) and
handles their calls one after the other:

* one call in five is a click-to-dial: ``action_ameyo_dial`` over JSON-RPC, as the Dial button sends
  it, then the customer URL of the call Ameyo (the simulator) placed;
* the others arrive: the simulator connects a call, the agent's browser loads its customer URL;
* the pop: that URL, following the redirects to the web client's page;
* the dispose, as the wizard does it over RPC: ``action_ameyo_dispose`` on the contact, the wizard's
  ``create`` and ``action_confirm`` (the outcome saved), then ``action_send_dispose`` (Odoo tells
  Ameyo).

Meanwhile a sprayer sends 40 parallel wrong SSO passwords for one agent. Printed per phase: errors,
legs per call, disposes Ameyo received per call, SSO passwords checked past the limit, calls heard
by the agents' other tab, calls per second and the median and p95 of each step. The failover phase
also prints what the agents saw (errors, their window), the disposes the survivor's cron sent, and
the dispose that was in flight in the killed server (outcome unknown: the cron never sends it again,
it waits in Needing Attention for a supervisor). Figures are printed, never asserted.
"""

import argparse
import collections
import concurrent.futures
import http.client
import importlib.util
import json
import os
import pathlib
import random
import re
import signal
import ssl
import sys
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

import psutil
import psycopg2
import requests
import websocket
from bench_screen_pop import SENT_FORMATS, number, percentiles

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from simulator import AmeyoSimulator  # noqa: E402 (the addon's folder holds the package)

PASSWORD = 'scale-agent-password'
SSO_LIMIT = 5  # wrong passwords checked per (address, userId) before the lock
# the Ameyo origin allowed to frame Odoo (run.sh sets it on the server)
FRAME_ORIGIN = 'https://ameyo.bench'
# seconds before the cron sends an outcome saved but not sent (models/ameyo_call_dispose.py)
ORPHAN_DELAY = 30
SEND_TIMEOUT = 300  # seconds after which a send never answered is taken as cut off (same file)
# failover: agents whose dispose tab was on the dead server and who leave the send to Odoo
TABS_CLOSED = 5


class StepError(Exception):
    pass


def websocket_version():
    """The version Odoo's web client announces on /websocket (addons/bus/websocket.py)."""
    odoo = importlib.util.find_spec('odoo')  # found, not imported
    source = (
        pathlib.Path(odoo.submodule_search_locations[0]).parent / 'addons' / 'bus' / 'websocket.py'
    )
    match = re.search(r'_VERSION = "([^"]+)"', source.read_text(encoding='utf-8'))
    return match.group(1) if match else ''


class Agent:
    """An agent's browser: one Odoo session (cookie), requests through the proxy."""

    def __init__(self, index, base, db, ca):
        self.index, self.base, self.ca = index, base, ca
        self.login, self.user_id = f'scale_agent{index}', f'scale.agent{index}@acme'
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would replace the proxy's certificate
        self.http.verify = ca
        answer = self.http.post(
            f'{base}/web/session/authenticate',
            json={
                'jsonrpc': '2.0',
                'params': {'db': db, 'login': self.login, 'password': PASSWORD},
            },
            timeout=300,
        ).json()
        if answer.get('error'):
            raise StepError(f'login of {self.login}: {answer["error"]["data"]["message"]}')
        self.uid = answer['result']['uid']

    def browse(self, path_and_query):
        """GET as a browser: follow the redirects; the final response."""
        url = path_and_query
        for _hop in range(10):
            response = self.http.get(self.base + url, allow_redirects=False, timeout=300)
            if not response.is_redirect:
                return response
            location = urllib.parse.urlsplit(response.headers['Location'])
            url = location.path + (f'?{location.query}' if location.query else '')
        raise StepError(f'more than 10 redirects from {path_and_query}')

    def rpc(self, model, method, args, **kwargs):
        response = self.http.post(
            f'{self.base}/web/dataset/call_kw/{model}/{method}',
            json={
                'jsonrpc': '2.0',
                'method': 'call',
                'params': {'model': model, 'method': method, 'args': args, 'kwargs': kwargs},
            },
            timeout=300,
        )
        if response.status_code != 200:
            raise StepError(f'{model}.{method}: HTTP {response.status_code}')
        answer = response.json()
        if answer.get('error'):
            raise StepError(f'{model}.{method}: {answer["error"]["data"]["message"][:200]}')
        return answer['result']


class Tab(threading.Thread):
    """The agent's other Odoo tab: the bus websocket through the proxy, subscribed as the web client
    does (addons/bus/static/src/workers/websocket_worker.js: ``subscribe`` with the channels and the
    last notification seen); it reconnects when the connection drops, as the web client does.
    Records the legs of the call banner's notifications (``crm_ameyo/call``)."""

    def __init__(self, agent, base, version):
        super().__init__(daemon=True)
        self.agent, self.version = agent, version
        self.url = (
            base.replace('https://', 'wss://', 1)
            + f'/websocket?version={urllib.parse.quote(version)}'
        )
        self.origin = base
        self.heard = set()  # leg ids
        self.last = 0
        self.drops, self.reconnected_after = 0, []
        self.stopping = threading.Event()
        self.ready = threading.Event()
        self.ws = None

    def connect(self):
        cookie = f'session_id={self.agent.http.cookies.get("session_id")}'
        self.ws = websocket.create_connection(
            self.url,
            origin=self.origin,
            cookie=cookie,
            timeout=10,
            sslopt={'ca_certs': self.agent.ca, 'cert_reqs': ssl.CERT_REQUIRED},
        )
        self.ws.send(
            json.dumps({'event_name': 'subscribe', 'data': {'channels': [], 'last': self.last}})
        )
        self.ws.settimeout(1)

    def run(self):
        dropped_at = None
        while not self.stopping.is_set():
            try:
                if self.ws is None:
                    self.connect()
                    if dropped_at is not None:
                        self.reconnected_after.append(time.monotonic() - dropped_at)
                        dropped_at = None
                    self.ready.set()
                message = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketException, OSError):
                if self.ws is not None:
                    self.drops += 1
                    dropped_at = dropped_at or time.monotonic()
                    self.ws = None
                time.sleep(0.5)  # the web client waits before reconnecting too
                continue
            if not message:
                continue
            for notification in json.loads(message):
                self.last = max(self.last, notification.get('id', 0))
                if notification.get('message', {}).get('type') == 'crm_ameyo/call':
                    self.heard.add(notification['message']['payload']['id'])

    def stop(self):
        self.stopping.set()
        self.join(5)
        if self.ws is not None:
            self.ws.close()


class Run:
    def __init__(self, args, sim, contacts, disposition_id, base, name, failover=False):
        self.args, self.sim, self.contacts, self.disposition_id = (
            args,
            sim,
            contacts,
            disposition_id,
        )
        self.base, self.name, self.failover = base, name, failover
        self.times = collections.defaultdict(list)
        self.errors = collections.Counter()
        self.error_samples = []
        self.error_times = []  # monotonic time of every error
        self.calls = []  # (sim call, agent index)
        self.lock = threading.Lock()
        self.contact_pool = iter(contacts)
        self.killed_at = None
        self.tabs_to_close = 0
        # crtObjectId of the calls whose outcome the agent saved and left to Odoo to send
        self.tabs_closed = []
        self.retried = collections.Counter()

    def error(self, step, message):
        with self.lock:
            self.errors[step] += 1
            self.error_times.append(time.monotonic())
            if len(self.error_samples) < 10:
                self.error_samples.append(f'{step}: {message}')

    def timed(self, step, function, *args, **kwargs):
        started = time.monotonic()
        result = function(*args, **kwargs)
        with self.lock:
            self.times[step].append((time.monotonic() - started) * 1000)
        return result

    def contact(self):
        with self.lock:
            return next(self.contact_pool)

    def again(self, step, function, *args):
        """A step the agent does once more when it failed during the failover (they reload the page
        or press the button again: Odoo answered an error, it wrote nothing the agent relies on);
        never a send."""
        try:
            return function(*args)
        except (StepError, requests.RequestException) as error:
            if not self.failover:
                raise
            self.error(step, error)
            with self.lock:
                self.retried[step] += 1
            time.sleep(1)
            return function(*args)

    def agent_calls(self, agent):
        index = agent.index
        for call_number in range(self.args.calls):
            partner_id, phone = self.contact()
            step = 'dial' if (index + call_number) % 5 == 0 else 'arrival'
            try:
                if step == 'dial':
                    call = self.dial(agent, partner_id)
                else:
                    call = self.sim.start_call(
                        agent.user_id, '1', SENT_FORMATS[call_number % 4](phone)
                    )
                with self.lock:
                    self.calls.append((call, index))
                step = 'pop'
                query = urllib.parse.urlencode(self.sim.lifecycle_params(call, 'customer'))
                self.timed('pop', self.again, 'pop', self.pop, agent, f'/ameyo/customer?{query}')
                self.think()  # the agent talks to the caller
                self.sim.hangup(call)
                step = 'dispose'
                started = time.monotonic()
                call_id = self.again('dispose', self.save_outcome, agent, partner_id)
                step = 'send'
                with self.lock:
                    leave = self.tabs_to_close > 0
                    self.tabs_to_close -= leave
                if leave:
                    with self.lock:
                        self.tabs_closed.append(call['crtObjectId'])
                else:
                    self.send(agent, call_id)
                with self.lock:
                    self.times['dispose'].append((time.monotonic() - started) * 1000)
                self.think()  # until Ameyo gives them the next call
            except (StepError, requests.RequestException, ValueError, KeyError) as error:
                self.error(step, error)
                if step in ('pop', 'dispose'):
                    self.finish_in_ameyo(call)

    def finish_in_ameyo(self, call):
        """Odoo failed the agent before their outcome was saved there: they end and dispose of the
        call in Ameyo's own client (Ameyo would not give them another call before), as ``via``
        'agent in Ameyo'."""
        with self.sim.lock:
            leg = self.sim._leg_of(call)
            if leg.state == 'in_call':
                leg.end()
            if leg.state != 'disposed':
                self.sim.dispose(leg, 'Sale', 'agent in Ameyo')

    def pop(self, agent, url):
        response = agent.browse(url)
        if response.status_code != 200 or '/odoo' not in response.url:
            raise StepError(
                f'HTTP {response.status_code} at {urllib.parse.urlsplit(response.url).path}'
            )
        return response

    def think(self):
        """An agent's own time between two requests: uniform between 0 and twice --think seconds."""
        if self.args.think:
            time.sleep(random.uniform(0, 2 * self.args.think))

    def dial(self, agent, partner_id):
        before = {
            leg['crtObjectId'] for leg in self.sim.calls() if leg.get('userId') == agent.user_id
        }
        failure = None
        try:
            answer = self.timed(
                'dial',
                agent.rpc,
                'res.partner',
                'action_ameyo_dial',
                [[partner_id]],
                phone_field='phone',
            )
            if answer.get('params', {}).get('type') != 'success':
                raise StepError(f'dial refused: {answer.get("params", {}).get("message")}')
        except (StepError, requests.RequestException) as error:
            failure = error  # the request may have reached Ameyo all the same: never dialed again
        for _ in range(40 if failure else 100):
            placed = [
                leg
                for leg in self.sim.calls()
                if leg.get('userId') == agent.user_id and leg['crtObjectId'] not in before
            ]
            if placed:
                if failure:
                    self.error('dial', f'{failure} (Ameyo placed the call: handled)')
                return {
                    key: value
                    for key, value in placed[-1].items()
                    if key not in ('state', 'dispositions')
                }
            time.sleep(0.05)
        raise failure or StepError('Ameyo placed no call after the dial')

    def save_outcome(self, agent, partner_id):
        """The Dispose button and the wizard's confirmation: the outcome saved in Odoo; the leg's
        id."""
        action = agent.rpc('res.partner', 'action_ameyo_dispose', [[partner_id]])
        call_id = action['context']['default_call_id']
        wizard_id = agent.rpc(
            'ameyo.dispose.wizard',
            'create',
            [{'call_id': call_id, 'disposition_id': self.disposition_id, 'notes': 'bench'}],
            context={'default_call_id': call_id},
        )
        wizard_id = wizard_id[0] if isinstance(wizard_id, list) else wizard_id
        next_action = agent.rpc('ameyo.dispose.wizard', 'action_confirm', [[wizard_id]])
        return call_id if next_action.get('tag') == 'crm_ameyo.send_dispose' else None

    def send(self, agent, call_id):
        """The wizard's send (Odoo tells Ameyo): never sent twice by the agent, whatever the
        answer."""
        if call_id is None:
            return
        result = agent.rpc('ameyo.call', 'action_send_dispose', [[call_id]])
        kind = (result or {}).get('params', {}).get('type')
        if kind not in ('success', None):
            raise StepError(f'Ameyo refused the dispose: {result["params"].get("message")}')

    def sso_spray(self, parallel=40):
        """``parallel`` wrong passwords for one agent, all at once, through the proxy, from Ameyo's
        address."""
        barrier = threading.Barrier(parallel)
        body = (
            '<request><command>login</command><userId>scale.agent1@acme</userId><password>{}</'
            'password></request>'
        )
        url = urllib.parse.urlsplit(self.base)
        context = ssl.create_default_context(cafile=self.args.ca)

        def guess(index):
            barrier.wait()
            connection = http.client.HTTPSConnection(
                url.hostname, url.port, timeout=300, context=context
            )
            try:
                connection.request(
                    'POST',
                    '/ameyo/sso',
                    body=body.format(escape(f'guess-{index}')).encode(),
                    headers={'Content-Type': 'text/xml'},
                )
                text = connection.getresponse().read().decode(errors='replace')
            except OSError as error:
                return f'error: {type(error).__name__}'
            finally:
                connection.close()
            match = re.search(r'<message>(.*?)</message>', text)
            return match.group(1) if match else 'error: not an SSO answer'

        with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
            return collections.Counter(pool.map(guess, range(parallel)))


def connect(args):
    return psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db)


def sql(args, query, params=None):
    with connect(args) as conn, conn.cursor() as cr:
        cr.execute(query, params)
        return cr.fetchall() if cr.description else None


def run_dispose_cron(args):
    """Ask the crons to run the dispose retry now (a trigger, as Odoo's ``_trigger``), not within
    the minute."""
    sql(
        args,
        "INSERT INTO ir_cron_trigger (cron_id, call_at) SELECT res_id, now() at time zone 'UTC' "
        "FROM ir_model_data WHERE module = 'crm_ameyo' AND name = 'ir_cron_ameyo_retry_dispose'",
    )
    sql(args, "SELECT pg_notify('cron_trigger', %s)", [args.db])


def kill_server_of_next_dispose(args, run, sim, node_pids, report):
    """In the middle of the failover run: Ameyo (the simulator) holds the next disposeCallForUser 20
    s before answering it; the Odoo server whose process sent it is killed meanwhile (SIGKILL to all
    its processes: the master, its HTTP and cron workers, its websocket process), so that this
    dispose's outcome is unknown to Odoo."""
    time.sleep(args.kill_after)
    seen = len(sim.requests_for('disposeCallForUser'))
    sim.inject('disposeCallForUser', delay=20, times=1)
    record, deadline = None, time.monotonic() + 120
    while record is None and time.monotonic() < deadline:
        time.sleep(0.5)
        waiting = [
            r
            for r in sim.requests_for('disposeCallForUser')[seen:]
            if not r['done'] and r['status'] is None and time.time() - r['time'] > 1
        ]
        record = waiting[0] if waiting else None
    if record is None:
        report['kill'] = 'no dispose was sent within 2 minutes: no server killed'
        return
    port = record['client'][1]
    sender = next(
        (
            c.pid
            for c in psutil.net_connections(kind='tcp')
            if c.laddr and c.laddr.port == port and c.raddr and c.raddr.port == args.sim_port
        ),
        None,
    )
    for node, master in enumerate(node_pids, start=1):
        tree = [psutil.Process(master), *psutil.Process(master).children(recursive=True)]
        if sender in {process.pid for process in tree}:
            for process in tree:
                try:
                    os.kill(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            report['killed_wall'] = time.time()
            with run.lock:
                run.killed_at = time.monotonic()
                run.tabs_to_close = TABS_CLOSED
            report.update(
                node=node,
                processes=len(tree),
                user=(record.get('json') or {}).get('userId')
                or (record.get('form') or {}).get('userId'),
            )
            report['kill'] = (
                f'server {node} killed (SIGKILL, {len(tree)} processes: master, HTTP and cron '
                f'workers, websocket) while its disposeCallForUser for {report["user"]} waited for '
                'Ameyo'
            )
            return
    report['kill'] = (
        f'the process that sent the dispose ({sender}) is no Odoo server of the bench: none killed'
    )


def check_embedded_cookie(args, base):
    """Through the proxy: inside Ameyo's iframe (the first navigation from the allowed origin), the
    session cookie Odoo sets at the login keeps SameSite=None; Secure; Partitioned (no
    proxy_cookie_flags)."""
    browser = requests.Session()
    browser.trust_env = False
    browser.verify = args.ca
    browser.get(
        f'{base}/web/login',
        timeout=60,
        headers={
            'Sec-Fetch-Dest': 'iframe',
            'Sec-Fetch-Site': 'cross-site',
            'Referer': f'{FRAME_ORIGIN}/app/',
        },
    )
    response = browser.post(
        f'{base}/web/session/authenticate',
        timeout=60,
        json={
            'jsonrpc': '2.0',
            'params': {'db': args.db, 'login': 'scale_agent0', 'password': PASSWORD},
        },
    )
    cookies = [
        value for name, value in response.raw.headers.items() if name.lower() == 'set-cookie'
    ]
    session = next((cookie for cookie in cookies if cookie.startswith('session_id=')), '')
    attributes = {
        part.strip().split('=')[0].lower(): part.strip() for part in session.split(';')[1:]
    }
    kept = (
        attributes.get('samesite', '').lower() == 'samesite=none'
        and 'secure' in attributes
        and 'partitioned' in attributes
    )
    shown = '; '.join(part.strip() for part in session.split(';')[1:]) or 'no session cookie set'
    return f'{"kept" if kept else "NOT kept"} ({shown})'


def prepare(args):
    sim = AmeyoSimulator(
        port=args.sim_port,
        hash_key='bench-hash-key',
        requesting_host='odoo.bench',
        dispose_token='bench-dispose-token',
    ).start()
    sim.add_campaign('1', 'Bench', dispositions=('Sale',))
    for index in range(args.agents):
        sim.add_agent(f'scale.agent{index}@acme', password=PASSWORD, campaigns=('1',))
    rng = random.Random(17)
    indexes = rng.sample(range(100, args.partners), args.agents * args.calls * 3)
    rows = sql(
        args,
        "SELECT id, name FROM res_partner WHERE name = ANY(%s)",
        [[f'Bench Contact {index}' for index in indexes]],
    )
    contacts = [(pid, number(int(name.rsplit(' ', 1)[1]))) for pid, name in rows]
    disposition_id = sql(args, "SELECT id FROM ameyo_disposition WHERE code = 'Sale'")[0][0]
    rng.shuffle(contacts)
    return sim, contacts, disposition_id


def report(args, run, elapsed, spray, first_leg, log_offsets, tabs, failover):
    crts = [call['crtObjectId'] for call, _index in run.calls]
    legs_of = collections.defaultdict(list)
    for leg_id, crt, user_id in sql(
        args,
        "SELECT id, crt_object_id, user_id FROM ameyo_call "
        "WHERE id > %s AND crt_object_id = ANY(%s)",
        [first_leg, crts],
    ):
        legs_of[crt].append((leg_id, user_id))
    states = dict(
        sql(
            args,
            "SELECT state, count(*) FROM ameyo_call WHERE id > %s AND user_id IN "
            "(SELECT id FROM res_users WHERE login LIKE 'scale_agent%%') GROUP BY state",
            [first_leg],
        )
    )
    disposes = collections.Counter(len(run.sim.dispositions_of(call)) for call, _index in run.calls)
    in_ameyo = sum(
        1
        for call, _index in run.calls
        for entry in run.sim.dispositions_of(call)
        if entry['via'] == 'agent in Ameyo'
    )
    leg_counts = collections.Counter(len(legs_of[crt]) for crt in crts)
    heard = sum(
        1
        for call, index in run.calls
        if any(leg_id in tabs[index].heard for leg_id, _user in legs_of[call['crtObjectId']])
    )
    tabs = tabs.values() if isinstance(tabs, dict) else tabs
    done = len(run.times['dispose'])
    total = args.agents * args.calls
    dials = sum(1 for i in range(args.agents) for c in range(args.calls) if (i + c) % 5 == 0)
    print(
        f'\n{run.name}: {args.agents} agents x {args.calls} calls ({dials} click-to-dial), '
        f'{args.partners:,} contacts, through nginx (HTTPS); load average when it began '
        f'{run.load:.2f}:'
    )
    print(f'  calls completed: {done} of {total} in {elapsed:.1f} s: {done / elapsed:.2f} calls/s')
    print(f'  errors: {sum(run.errors.values())}' + (f' {dict(run.errors)}' if run.errors else ''))
    for sample in run.error_samples:
        print(f'      {sample}')
    print(
        f'  legs per call: {dict(sorted(leg_counts.items()))} (count of calls by legs); leg '
        f'states: {states}'
    )
    print(
        f'  disposes Ameyo received per call: {dict(sorted(disposes.items()))} (count of calls by '
        f'disposes; {in_ameyo} by the agent in Ameyo\'s client after Odoo failed them)'
    )
    print(
        f'  the other tab (websocket through the proxy) heard of {heard} of {len(run.calls)} '
        f'calls; {sum(tab.drops for tab in tabs)} connections dropped, '
        f'{sum(len(tab.reconnected_after) for tab in tabs)} reconnected'
    )
    checked = spray.get('Invalid credentials', 0)
    print(
        f'  SSO: {sum(spray.values())} parallel wrong passwords for one agent during the run: '
        f'{checked} checked ({max(0, checked - SSO_LIMIT)} past the limit of {SSO_LIMIT}); answers '
        f'{dict(spray)}'
    )
    for step in ('dial', 'pop', 'dispose'):
        if run.times[step]:
            median, p95 = percentiles(run.times[step])
            print(
                f'  {step:8} client time median {median:7.0f} ms, p95 {p95:7.0f} ms '
                f'({len(run.times[step])})'
            )
    failed = retried = 0
    for path, offset in log_offsets.items():
        with open(path, encoding='utf-8', errors='replace') as log:
            log.seek(offset)
            text = log.read()
        failed += len(re.findall(r'ERROR \S+ odoo\.\S+: ', text))
        retried += len(re.findall(r'tries left, try again in', text))
    print(
        f'  Odoo logs: {failed} ERROR lines, {retried} transactions retried after a concurrency '
        'failure'
    )
    if failover is not None:
        report_failover(args, run, failover, legs_of, list(tabs))


def report_failover(args, run, failover, legs_of, tabs):
    print(f'  failover: {failover.get("kill")}')
    if run.killed_at is None:
        return
    after = [moment - run.killed_at for moment in run.error_times if moment >= run.killed_at - 1]
    window = f'from {min(after):+.1f} s to {max(after):+.1f} s after the kill' if after else 'none'
    print(
        f'  what the agents saw: {len(after)} errors ({window}); steps done again by the agent: '
        f'{dict(run.retried) or "none"}'
    )
    waits = [seconds for tab in tabs for seconds in tab.reconnected_after]
    if waits:
        print(
            f'  their other tab: {len(waits)} websockets reconnected to the survivor, '
            f'median {sorted(waits)[len(waits) // 2]:.1f} s, longest {max(waits):.1f} s after the '
            'drop'
        )
    # the outcomes saved but not sent (tabs closed with the dead server, sends cut off before
    # Ameyo): the cron
    pending = [crt for crt in run.tabs_closed]
    started = time.monotonic()
    time.sleep(ORPHAN_DELAY + 1)
    orphans = []
    for _ in range(60):
        run_dispose_cron(args)
        orphans = sql(
            args,
            "SELECT crt_object_id FROM ameyo_call WHERE crt_object_id = ANY(%s) "
            "AND state = 'dispose_pending' AND dispose_sending_since IS NULL",
            [[call['crtObjectId'] for call, _index in run.calls]],
        )
        if not orphans:
            break
        time.sleep(3)
    by_crt = {call['crtObjectId']: call for call, _index in run.calls}
    sent = collections.Counter(len(run.sim.dispositions_of(by_crt[crt])) for crt in pending)
    print(
        '  outcomes saved, then left to Odoo (the agent\'s tab was on the dead server): '
        f'{len(pending)}; {len(orphans)} still unsent {time.monotonic() - started:.0f} s later; '
        f'Ameyo received per call: {dict(sorted(sent.items()))}'
    )
    # the dispose that was in flight when its server died: never resent, Needing Attention
    cut = sql(
        args,
        "SELECT id, crt_object_id, user_id FROM ameyo_call WHERE crt_object_id = ANY(%s) "
        "AND state = 'dispose_pending' AND dispose_sending_since IS NOT NULL",
        [[call['crtObjectId'] for call, _index in run.calls]],
    )
    if not cut:
        print(
            '  the dispose in flight in the killed server: no leg left sending (see the states '
            'above)'
        )
    else:
        report_cut_send(args, run, failover, tabs, cut, by_crt)
    disposes = collections.Counter(len(run.sim.dispositions_of(call)) for call, _index in run.calls)
    legs = collections.Counter(len(legs_of[call['crtObjectId']]) for call, _index in run.calls)
    states = dict(
        sql(
            args,
            "SELECT state, count(*) FROM ameyo_call WHERE crt_object_id = ANY(%s) GROUP BY state",
            [[call['crtObjectId'] for call, _index in run.calls]],
        )
    )
    print(
        f'  in the end: legs per call {dict(sorted(legs.items()))}, disposes Ameyo received per '
        f'call {dict(sorted(disposes.items()))}; leg states {states}'
    )


def report_cut_send(args, run, failover, tabs, cut, by_crt):
    # its send is taken as cut off SEND_TIMEOUT after it began: the bench moves that moment back
    # instead of waiting
    sql(
        args,
        "UPDATE ameyo_call SET dispose_sending_since = dispose_sending_since - %s * interval '1 "
        "second' WHERE id = ANY(%s)",
        [SEND_TIMEOUT + 1, [leg_id for leg_id, _crt, _user in cut]],
    )
    rows = []
    for _ in range(40):
        run_dispose_cron(args)
        time.sleep(3)
        rows = sql(
            args,
            "SELECT id, crt_object_id, state, dispose_outcome_unknown, dispose_api, "
            "dispose_attempts FROM ameyo_call WHERE id = ANY(%s)",
            [[leg_id for leg_id, _crt, _user in cut]],
        )
        if all(row[2] != 'dispose_pending' for row in rows):
            break
    for leg_id, crt, state, unknown, api, attempts in rows:
        index = next(index for call, index in run.calls if call['crtObjectId'] == crt)
        agent = next(tab.agent for tab in tabs if tab.agent.index == index)
        attention = agent.rpc(
            'ameyo.call', 'read', [[leg_id]], fields=['attention_reason', 'attention_text']
        )[0]
        naming = [r for r in run.sim.requests_for('/dacx/dispose') if crt in r['target']]
        answers = collections.Counter(str(r['status']) for r in naming)
        # the cron never sends a cut-off dispose again (by no API): its leg waits in Needing
        # Attention, outcome unknown, for a supervisor; a resend would show here as a second send or
        # a dacx/dispose naming the call
        print(
            f'  the dispose in flight in the killed server (call {crt}, {agent.login}): outcome '
            f'unknown {unknown}; sends of the leg in all {attempts} (the first the cut one, by API '
            f'{api}; any other: a resend); {len(naming)} dacx/dispose naming the call (HTTP '
            f'{dict(answers)}); leg {state}; Needing Attention: '
            f'{attention["attention_reason"] or "no"} {attention["attention_text"] or ""}; Ameyo '
            f'has {len(run.sim.dispositions_of(by_crt[crt]))} dispose(s) of the call'
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--db', required=True)
    parser.add_argument('--pg-port', type=int, required=True)
    parser.add_argument('--partners', type=int, default=1_000_000)
    parser.add_argument('--sim-port', type=int, required=True)
    parser.add_argument('--agents', type=int, default=100)
    parser.add_argument('--calls', type=int, default=3, help='calls per agent')
    parser.add_argument(
        '--proxy',
        nargs=2,
        required=True,
        help='the proxy in front of the first server only, and the one in front of both',
    )
    parser.add_argument('--ca', required=True, help="the proxy's certificate")
    parser.add_argument(
        '--node-pids', type=int, nargs=2, required=True, help="the two Odoo servers' master"
    )
    parser.add_argument('--odoo-logs', nargs='*', default=[])
    parser.add_argument(
        '--think',
        type=float,
        default=2.0,
        help='mean seconds an agent spends on a call and between calls (0: none, a stress test)',
    )
    parser.add_argument(
        '--kill-after',
        type=float,
        default=None,
        help='seconds into the failover run before the kill (default: a third of the calls)',
    )
    parser.add_argument('--quick', action='store_true', help='at most 30 agents x 2 calls')
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each phase's figures as soon as they are known
    if args.quick:
        args.agents, args.calls = min(args.agents, 30), min(args.calls, 2)
    if args.kill_after is None:
        args.kill_after = max(3.0, args.calls * (2 * args.think + 1) / 3)
    sim, contacts, disposition_id = prepare(args)
    version = websocket_version()
    try:
        print(
            'session cookie inside Ameyo\'s iframe, through the proxy: '
            f'{check_embedded_cookie(args, args.proxy[1])}'
        )
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            agents = list(
                pool.map(
                    lambda index: Agent(index, args.proxy[1], args.db, args.ca), range(args.agents)
                )
            )
        print(f'logins before the runs: {len(agents)} agents in {time.monotonic() - started:.0f} s')
        pool_size = args.agents * args.calls
        phases = [
            ('1 Odoo server', args.proxy[0], False),
            ('2 Odoo servers', args.proxy[1], False),
            ('2 Odoo servers, one killed in the middle (failover)', args.proxy[1], True),
        ]
        for phase, (name, base, failover) in enumerate(phases):
            for agent in agents:
                agent.base = base
            tabs = {agent.index: Tab(agent, base, version) for agent in agents}
            for tab in tabs.values():
                tab.start()
            for tab in tabs.values():
                tab.ready.wait(30)
            # this phase's legs come after
            first_leg = sql(args, "SELECT coalesce(max(id), 0) FROM ameyo_call")[0][0]
            log_offsets = {path: pathlib.Path(path).stat().st_size for path in args.odoo_logs}
            run = Run(
                args,
                sim,
                contacts[phase * pool_size : (phase + 1) * pool_size],
                disposition_id,
                base,
                name,
                failover,
            )
            kill = {}
            run.load = os.getloadavg()[0]
            started = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(max_workers=args.agents + 2) as pool:
                handled = [pool.submit(run.agent_calls, agent) for agent in agents]
                killer = (
                    pool.submit(kill_server_of_next_dispose, args, run, sim, args.node_pids, kill)
                    if failover
                    else None
                )
                time.sleep(min(5, args.calls))  # the sprayer while calls are being handled
                spray = pool.submit(run.sso_spray).result()
                concurrent.futures.wait(handled)
                for future in handled:
                    future.result()
                if killer:
                    killer.result()
            elapsed = time.monotonic() - started
            time.sleep(2)  # the last notifications reach the tabs
            for tab in tabs.values():
                tab.stop()
            report(
                args, run, elapsed, spray, first_leg, log_offsets, tabs, kill if failover else None
            )
            # the next phase's sprayer starts from no failures
            sql(args, "DELETE FROM ameyo_sso_throttle")
    finally:
        sim.stop()


if __name__ == '__main__':
    main()

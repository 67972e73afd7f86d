"""Scale-out as a contact center runs Odoo: agents on the simulator against one or several Odoo servers.

Driven by bench/run.sh (``bench/run.sh scale``), which starts PostgreSQL and the Odoo servers (each with
``--workers=2`` and a cron thread, all on one database and one data directory) and runs this once with
one server, once with two. Requests alternate between the servers, a redirect's next hop included, as
a round-robin proxy sends them. Each simulated agent logs in to Odoo, then handles his calls one after
the other:

* one call in five is a click-to-dial: ``action_ameyo_dial`` over JSON-RPC, as the Dial button sends it,
  then the customer URL of the call Ameyo (the simulator) placed;
* the others arrive: the simulator connects a call, the agent's browser loads its customer URL;
* the pop: that URL, following the redirects to the web client's page;
* the dispose, as the wizard does it over RPC: ``action_ameyo_dispose`` on the contact, the wizard's
  ``create`` and ``action_confirm``, then ``action_send_dispose`` (Odoo tells Ameyo).

Meanwhile a sprayer sends parallel wrong SSO passwords for one agent to every server. Printed: errors,
legs per call, disposes Ameyo received per call, SSO passwords checked past the limit, calls per second
and the p95 of each step. Figures are printed, never asserted.
"""

import argparse
import collections
import concurrent.futures
import http.client
import itertools
import pathlib
import random
import re
import sys
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

import psycopg2
import requests
from bench_screen_pop import SENT_FORMATS, number, percentiles

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from simulator import AmeyoSimulator  # noqa: E402 (the addon's folder holds the package)

PASSWORD = 'scale-agent-password'
SSO_LIMIT = 5  # wrong passwords checked per (address, userId) before the lock


class Nodes:
    """The Odoo servers, taken in turn by every request (a round-robin proxy)."""

    def __init__(self, urls):
        self._cycle = itertools.cycle(urls)
        self._lock = threading.Lock()
        self.urls = urls

    def next(self):
        with self._lock:
            return next(self._cycle)


class StepError(Exception):
    pass


class Agent:
    def __init__(self, index, nodes, db):
        self.index, self.nodes = index, nodes
        self.login, self.user_id = f'scale_agent{index}', f'scale.agent{index}@acme'
        self.http = requests.Session()
        answer = self.http.post(f'{nodes.next()}/web/session/authenticate', json={
            'jsonrpc': '2.0', 'params': {'db': db, 'login': self.login, 'password': PASSWORD}}, timeout=300).json()
        if answer.get('error'):
            raise StepError(f'login of {self.login}: {answer["error"]["data"]["message"]}')

    def browse(self, path_and_query):
        """GET as a browser: follow the redirects (each hop to the next server); the final response."""
        url = path_and_query
        for _hop in range(10):
            response = self.http.get(self.nodes.next() + url, allow_redirects=False, timeout=300)
            if not response.is_redirect:
                return response
            location = urllib.parse.urlsplit(response.headers['Location'])
            url = location.path + (f'?{location.query}' if location.query else '')
        raise StepError(f'more than 10 redirects from {path_and_query}')

    def rpc(self, model, method, args, **kwargs):
        response = self.http.post(f'{self.nodes.next()}/web/dataset/call_kw/{model}/{method}', json={
            'jsonrpc': '2.0', 'method': 'call', 'params': {
                'model': model, 'method': method, 'args': args, 'kwargs': kwargs}}, timeout=300)
        if response.status_code != 200:
            raise StepError(f'{model}.{method}: HTTP {response.status_code}')
        answer = response.json()
        if answer.get('error'):
            raise StepError(f'{model}.{method}: {answer["error"]["data"]["message"][:200]}')
        return answer['result']


class Run:
    def __init__(self, args, sim, contacts, disposition_id, urls):
        self.args, self.sim, self.contacts, self.disposition_id = args, sim, contacts, disposition_id
        self.urls = urls
        self.nodes = Nodes(urls)
        self.times = collections.defaultdict(list)
        self.errors = collections.Counter()
        self.error_samples = []
        self.calls = []  # (crtObjectId, userCrtObjectId, sim call)
        self.lock = threading.Lock()
        self.contact_pool = iter(contacts)

    def error(self, step, message):
        with self.lock:
            self.errors[step] += 1
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

    def agent_calls(self, agent):
        agent.nodes, index = self.nodes, agent.index  # this phase's servers; the session is the same
        for call_number in range(self.args.calls):
            partner_id, phone = self.contact()
            step = 'dial' if (index + call_number) % 5 == 0 else 'arrival'
            try:
                if step == 'dial':
                    call = self.dial(agent, partner_id)
                else:
                    call = self.sim.start_call(agent.user_id, '1', SENT_FORMATS[call_number % 4](phone))
                with self.lock:
                    self.calls.append(call)
                step = 'pop'
                query = urllib.parse.urlencode(self.sim.lifecycle_params(call, 'customer'))
                response = self.timed('pop', agent.browse, f'/ameyo/customer?{query}')
                if response.status_code != 200 or '/odoo' not in response.url:
                    raise StepError(f'HTTP {response.status_code} at {response.url}')
                self.think()  # the agent talks to the caller
                self.sim.hangup(call)
                step = 'dispose'
                self.timed('dispose', self.dispose, agent, partner_id)
                self.think()  # until Ameyo gives him the next call
            except (StepError, requests.RequestException, ValueError, KeyError) as error:
                self.error(step, error)

    def think(self):
        """An agent's own time between two requests: uniform between 0 and twice --think seconds."""
        if self.args.think:
            time.sleep(random.uniform(0, 2 * self.args.think))

    def dial(self, agent, partner_id):
        before = {leg['crtObjectId'] for leg in self.sim.calls() if leg.get('userId') == agent.user_id}
        answer = self.timed('dial', agent.rpc, 'res.partner', 'action_ameyo_dial', [[partner_id]],
                            phone_field='phone')
        if answer.get('params', {}).get('type') != 'success':
            raise StepError(f'dial refused: {answer.get("params", {}).get("message")}')
        for _ in range(100):
            placed = [leg for leg in self.sim.calls()
                      if leg.get('userId') == agent.user_id and leg['crtObjectId'] not in before]
            if placed:
                return {key: value for key, value in placed[-1].items() if key not in ('state', 'dispositions')}
            time.sleep(0.05)
        raise StepError('Ameyo placed no call after the dial')

    def dispose(self, agent, partner_id):
        action = agent.rpc('res.partner', 'action_ameyo_dispose', [[partner_id]])
        call_id = action['context']['default_call_id']
        wizard_id = agent.rpc('ameyo.dispose.wizard', 'create', [{
            'call_id': call_id, 'disposition_id': self.disposition_id, 'notes': 'bench'}],
            context={'default_call_id': call_id})
        wizard_id = wizard_id[0] if isinstance(wizard_id, list) else wizard_id
        next_action = agent.rpc('ameyo.dispose.wizard', 'action_confirm', [[wizard_id]])
        if next_action.get('tag') == 'crm_ameyo.send_dispose':
            result = agent.rpc('ameyo.call', 'action_send_dispose', [[call_id]])
            kind = (result or {}).get('params', {}).get('type')
            if kind not in ('success', None):
                raise StepError(f'Ameyo refused the dispose: {result["params"].get("message")}')

    def sso_spray(self, parallel=40):
        """``parallel`` wrong passwords for one agent, all at once, spread over the servers, from Ameyo's address."""
        barrier = threading.Barrier(parallel)
        body = '<request><command>login</command><userId>scale.agent1@acme</userId><password>{}</password></request>'

        def guess(index):
            url = urllib.parse.urlsplit(self.nodes.next())
            barrier.wait()
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
            try:
                connection.request('POST', '/ameyo/sso', body=body.format(escape(f'guess-{index}')).encode(),
                                   headers={'Content-Type': 'text/xml'})
                text = connection.getresponse().read().decode(errors='replace')
            except OSError as error:
                return f'error: {type(error).__name__}'
            finally:
                connection.close()
            match = re.search(r'<message>(.*?)</message>', text)
            return match.group(1) if match else 'error: not an SSO answer'

        with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
            return collections.Counter(pool.map(guess, range(parallel)))


def prepare(args):
    sim = AmeyoSimulator(port=args.sim_port, hash_key='bench-hash-key', requesting_host='odoo.bench',
                         dispose_token='bench-dispose-token').start()
    sim.add_campaign('1', 'Bench', dispositions=('Sale',))
    for index in range(args.agents):
        sim.add_agent(f'scale.agent{index}@acme', password=PASSWORD, campaigns=('1',))
    rng = random.Random(17)
    indexes = rng.sample(range(100, args.partners), args.agents * args.calls * len(args.phases))
    with psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn, \
            conn.cursor() as cr:
        cr.execute("SELECT id, name FROM res_partner WHERE name = ANY(%s)",
                   [[f'Bench Contact {index}' for index in indexes]])
        contacts = [(pid, number(int(name.rsplit(' ', 1)[1]))) for pid, name in cr.fetchall()]
        cr.execute("SELECT id FROM ameyo_disposition WHERE code = 'Sale'")
        disposition_id = cr.fetchone()[0]
    rng.shuffle(contacts)
    return sim, contacts, disposition_id


def report(args, run, elapsed, spray, first_leg, log_offsets, logins):
    crts = [call['crtObjectId'] for call in run.calls]
    with psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn, \
            conn.cursor() as cr:
        cr.execute("SELECT crt_object_id, count(*) FROM ameyo_call WHERE id > %s AND crt_object_id = ANY(%s) "
                   "GROUP BY crt_object_id", [first_leg, crts])
        legs = dict(cr.fetchall())
        cr.execute("SELECT state, count(*) FROM ameyo_call WHERE id > %s AND user_id IN "
                   "(SELECT id FROM res_users WHERE login LIKE 'scale_agent%%') GROUP BY state", [first_leg])
        states = dict(cr.fetchall())
    disposes = collections.Counter(len(run.sim.dispositions_of(call)) for call in run.calls)
    leg_counts = collections.Counter(legs.get(crt, 0) for crt in crts)
    done = len(run.times['dispose'])
    nodes = len(run.urls)
    print(f'\n{nodes} Odoo server{"s" if nodes > 1 else ""} x --workers=2 (crons on), one PostgreSQL and one data '
          f'directory, requests alternating; {args.agents} agents x {args.calls} calls '
          f'({sum(1 for i in range(args.agents) for c in range(args.calls) if (i + c) % 5 == 0)} click-to-dial), '
          f'{args.partners:,} contacts:')
    print(f'  calls completed: {done} of {args.agents * args.calls} in {elapsed:.1f} s: {done / elapsed:.2f} calls/s')
    print(f'  errors: {sum(run.errors.values())}' + (f' {dict(run.errors)}' if run.errors else ''))
    for sample in run.error_samples:
        print(f'      {sample}')
    print(f'  legs per call: {dict(sorted(leg_counts.items()))} (count of calls by legs); leg states: {states}')
    print(f'  disposes Ameyo received per call: {dict(sorted(disposes.items()))} (count of calls by disposes)')
    checked = spray.get('Invalid credentials', 0)
    print(f'  SSO: {sum(spray.values())} parallel wrong passwords for one agent during the run: '
          f'{checked} checked ({max(0, checked - SSO_LIMIT)} past the limit of {SSO_LIMIT}); answers {dict(spray)}')
    print(f'  logins before the run: {logins}')
    for step in ('dial', 'pop', 'dispose'):
        if run.times[step]:
            median, p95 = percentiles(run.times[step])
            print(f'  {step:8} client time median {median:7.0f} ms, p95 {p95:7.0f} ms ({len(run.times[step])})')
    failed = retried = 0
    for path, offset in log_offsets.items():
        with open(path, encoding='utf-8', errors='replace') as log:
            log.seek(offset)
            text = log.read()
        failed += len(re.findall(r'ERROR \S+ odoo\.\S+: ', text))
        retried += len(re.findall(r'tries left, try again in', text))
    print(f'  Odoo logs: {failed} ERROR lines, {retried} transactions retried after a concurrency failure')


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--db', required=True)
    parser.add_argument('--pg-port', type=int, required=True)
    parser.add_argument('--partners', type=int, default=1_000_000)
    parser.add_argument('--sim-port', type=int, required=True)
    parser.add_argument('--agents', type=int, default=100)
    parser.add_argument('--calls', type=int, default=3, help='calls per agent')
    parser.add_argument('--odoo', nargs='+', required=True, help='the base URL of each Odoo server')
    parser.add_argument('--odoo-logs', nargs='*', default=[])
    parser.add_argument('--think', type=float, default=2.0,
                        help='mean seconds an agent spends on a call and between calls (0: none, a stress test: '
                             'more simultaneous connections than a 2-worker Odoo\'s listen backlog of 16)')
    parser.add_argument('--phases', type=int, nargs='+', default=[1, 2],
                        help='how many of the servers each run uses, in turn (default: one, then two)')
    parser.add_argument('--quick', action='store_true', help='at most 30 agents x 2 calls')
    args = parser.parse_args()
    if args.quick:
        args.agents, args.calls = min(args.agents, 30), min(args.calls, 2)
    sim, contacts, disposition_id = prepare(args)
    try:
        # every agent logs in once (a password hash each: not part of the calls), through the servers in turn
        nodes = Nodes(args.odoo)
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            agents = list(pool.map(lambda index: Agent(index, nodes, args.db), range(args.agents)))
        logins = f'{len(agents)} agents in {time.monotonic() - started:.0f} s'
        pool_size = args.agents * args.calls
        for phase, count in enumerate(args.phases):
            urls = args.odoo[:count]
            with psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn, \
                    conn.cursor() as cr:
                cr.execute("SELECT coalesce(max(id), 0) FROM ameyo_call")  # this phase's legs come after
                first_leg = cr.fetchone()[0]
            log_offsets = {path: pathlib.Path(path).stat().st_size for path in args.odoo_logs}
            run = Run(args, sim, contacts[phase * pool_size:(phase + 1) * pool_size], disposition_id, urls)
            started = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(max_workers=args.agents + 1) as pool:
                handled = [pool.submit(run.agent_calls, agent) for agent in agents]
                time.sleep(min(5, args.calls))  # the sprayer while calls are being handled
                spray = pool.submit(run.sso_spray).result()
                concurrent.futures.wait(handled)
                for future in handled:
                    future.result()
            elapsed = time.monotonic() - started
            time.sleep(1)
            report(args, run, elapsed, spray, first_leg, log_offsets, logins)
            sim_reset_sso_lock(args)
    finally:
        sim.stop()


def sim_reset_sso_lock(args):
    """The next phase's sprayer starts from no failures (the first phase's lock lasts 10 minutes)."""
    with psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn, \
            conn.cursor() as cr:
        cr.execute("DELETE FROM ameyo_sso_throttle")

if __name__ == '__main__':
    main()

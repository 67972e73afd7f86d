"""Screen-pop benchmark: populate a database with contacts, then measure lookups, pops and concurrency.

Driven by bench/run.sh, which starts PostgreSQL and Odoo; see there. Figures are printed,
never asserted: the targets are in design.md and the README records the results.
"""

import argparse
import concurrent.futures
import importlib.util
import io
import json
import pathlib
import random
import re
import statistics
import time
import uuid

import psycopg2
import requests

REPO = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location('phone_key', REPO / 'tools' / 'phone_key.py')
_phone_key_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_phone_key_module)
phone_key = _phone_key_module.phone_key

FIRST_NUMBER = 9000000000
# How numbers are stored (by partner index) and how Ameyo may send them.
STORED_FORMATS = (
    lambda n: f'+91 {n[:5]} {n[5:]}',
    lambda n: f'0{n[:5]}-{n[5:]}',
    lambda n: f'(+91) {n[:5]}.{n[5:]}',
    lambda n: f'0091 {n}',
    lambda n: n,
)
SENT_FORMATS = (lambda n: n, lambda n: f'+91{n}', lambda n: f'0{n}', lambda n: f'0091-{n[:5]}-{n[5:]}')
AGENT_LOGIN, AGENT_PASSWORD, AGENT_AMEYO_ID = 'bench_agent', 'bench-agent-password', 'bench.agent@acme'


def connect(args):
    return psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db)


def number(index):
    return str(FIRST_NUMBER + index)


def percentiles(values):
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return statistics.median(values), p95


def populate(args):
    started = time.monotonic()
    with connect(args) as conn, conn.cursor() as cr:
        buffer = io.StringIO()
        for index in range(args.partners):
            phone = STORED_FORMATS[index % len(STORED_FORMATS)](number(index))
            name = f'Bench Contact {index}'
            buffer.write(f'{name}\t{name}\t{phone}\t{phone_key(phone)}\tt\tcontact\tf\tnow\tnow\n')
        buffer.seek(0)
        cr.copy_expert(
            "COPY res_partner (name, complete_name, phone, ameyo_phone_key, active, type, is_company, "
            "create_date, write_date) FROM STDIN", buffer)
        cr.execute("ANALYZE res_partner")
    print(f'populated {args.partners:,} contacts in {time.monotonic() - started:.0f} s')


def measure_lookups(args):
    rng = random.Random(7)
    with connect(args) as conn, conn.cursor() as cr:
        cr.execute("SELECT id FROM res_company ORDER BY id LIMIT 1")
        company_ids = [cr.fetchone()[0]]
        query = ("SELECT id FROM res_partner WHERE ameyo_phone_key = %s AND active "
                 "AND (company_id IS NULL OR company_id = ANY(%s)) ORDER BY id LIMIT 50")
        timings, plan_nodes, found = [], set(), 0
        for _ in range(500):
            index = rng.randrange(args.partners)
            sent = SENT_FORMATS[rng.randrange(len(SENT_FORMATS))](number(index))
            cr.execute('EXPLAIN (ANALYZE, FORMAT JSON) ' + query, (phone_key(sent), company_ids))
            plan = cr.fetchone()[0][0]
            timings.append(plan['Execution Time'] + plan['Planning Time'])
            plan_nodes.update(re.findall(r'"Node Type": "([^"]+)"', json.dumps(plan)))
            cr.execute(query, (phone_key(sent), company_ids))
            found += bool(cr.fetchall())
        median, p95 = percentiles(timings)
        print(f'\nCaller lookup on the indexed key, {args.partners:,} contacts, 500 numbers in mixed formats:')
        print(f'  database time (planning + execution): median {median:.3f} ms, p95 {p95:.3f} ms; '
              f'found {found}/500; plan nodes: {", ".join(sorted(plan_nodes))}')

        timings, found = [], 0
        for _ in range(20):
            index = rng.randrange(args.partners)
            sent = SENT_FORMATS[rng.randrange(len(SENT_FORMATS))](number(index))
            digits = re.sub(r'\D', '', sent)
            started = time.monotonic()
            cr.execute("SELECT id FROM res_partner WHERE replace(phone, ' ', '') ILIKE %s AND active",
                       (f'%{digits[-8:]}',))
            found += bool(cr.fetchall())
            timings.append((time.monotonic() - started) * 1000)
        median, p95 = percentiles(timings)
        print("Baseline, OCA base_phone style (replace(phone, ' ', '') ILIKE '%<last 8 digits>'), 20 numbers:")
        print(f'  database time: median {median:.1f} ms, p95 {p95:.1f} ms; found {found}/20 '
              '(dashed and dotted numbers are missed)')


class OdooSession:
    def __init__(self, base_url, db):
        self.base_url, self.db = base_url, db
        self.http = requests.Session()
        response = self.http.post(f'{base_url}/web/session/authenticate', json={
            'jsonrpc': '2.0', 'params': {'db': db, 'login': AGENT_LOGIN, 'password': AGENT_PASSWORD}}, timeout=60)
        response.raise_for_status()
        if response.json().get('error'):
            raise SystemExit(f"login failed: {response.json()['error']}")

    def pop(self, crt, phone, event='customer', **extra):
        params = {'sessionId': 'd928-bench-ses-bench.agent@acme-1', 'campaignId': '1', 'crtObjectId': crt,
                  'userCrtObjectId': f'{crt}-uce-1', 'userId': AGENT_AMEYO_ID, 'customerId': '-1',
                  'phone': phone, 'callType': 'inbound.call.dial', **extra}
        return self.http.get(f'{self.base_url}/ameyo/{event}', params=params, allow_redirects=False, timeout=120)

    def cheapest(self):
        return self.http.post(f'{self.base_url}/web/session/get_session_info',
                              json={'jsonrpc': '2.0', 'method': 'call', 'params': {}}, timeout=60)


def server_times(log_path, marker):
    """Server time (query time + other time) of each logged request whose line holds ``marker``."""
    times = []
    pattern = re.compile(r'" (\d{3}) \S+ (\d+) ([\d.]+) ([\d.]+)\s*$')
    for line in pathlib.Path(log_path).read_text(errors='replace').splitlines():
        if marker in line and 'werkzeug' in line:
            match = pattern.search(line)
            if match:
                times.append((float(match.group(3)) + float(match.group(4))) * 1000)
    return times


def measure_http(args):
    rng = random.Random(11)
    session = OdooSession(args.odoo, args.db)
    for _ in range(20):  # warm up every worker
        session.pop(f'warm-{uuid.uuid4().hex[:8]}', number(rng.randrange(args.partners)))
        session.cheapest()
    marker_start = len(pathlib.Path(args.odoo_log).read_text(errors='replace').splitlines())
    pop_client, cheap_client = [], []
    for index in range(300):
        sent = SENT_FORMATS[index % len(SENT_FORMATS)](number(rng.randrange(args.partners)))
        started = time.monotonic()
        response = session.pop(f'bench-vce-{index}-{uuid.uuid4().hex[:6]}', sent)
        pop_client.append((time.monotonic() - started) * 1000)
        assert response.status_code == 303, (response.status_code, response.text[:300])
        started = time.monotonic()
        session.cheapest().raise_for_status()
        cheap_client.append((time.monotonic() - started) * 1000)
    log_tail = '\n'.join(pathlib.Path(args.odoo_log).read_text(errors='replace').splitlines()[marker_start:])
    tail_path = pathlib.Path(args.odoo_log).with_suffix('.measured.log')
    tail_path.write_text(log_tail)
    pop_server = server_times(tail_path, 'GET /ameyo/customer')
    cheap_server = server_times(tail_path, '/web/session/get_session_info')
    print(f'\nHTTP, 300 pops of /ameyo/customer (new leg, lookup among {args.partners:,} contacts, redirect) vs '
          'POST /web/session/get_session_info (Odoo\'s cheapest authenticated route), same session:')
    for label, client, server in (('/ameyo/customer', pop_client, pop_server),
                                  ('get_session_info', cheap_client, cheap_server)):
        s_median, s_p95 = percentiles(server) if server else (float('nan'), float('nan'))
        c_median, c_p95 = percentiles(client)
        print(f'  {label:17} server time median {s_median:6.1f} ms, p95 {s_p95:6.1f} ms | '
              f'client time median {c_median:6.1f} ms, p95 {c_p95:6.1f} ms')
    if pop_server and cheap_server:
        ratio = statistics.median(pop_server) / statistics.median(cheap_server)
        print(f'  ratio of medians (server time): {ratio:.2f}x')
    return session


def measure_concurrency(args):
    """50 simultaneous pops (25 distinct calls, each thrown twice at once), then 50 simultaneous disposes."""
    sessions = [OdooSession(args.odoo, args.db) for _ in range(10)]
    crts = [f'conc-vce-{uuid.uuid4().hex[:10]}' for _ in range(25)]
    jobs = [(crts[index % 25], number(index)) for index in range(50)]

    def run(job_index, event, **extra):
        crt, phone = jobs[job_index]
        try:
            return sessions[job_index % len(sessions)].pop(crt, phone, event=event, **extra).status_code
        except requests.RequestException as error:
            return type(error).__name__

    results = {}
    for event, extra, ok in (('customer', {}, 303), ('dispose', {'dispositionCode': 'Sale'}, 200)):
        with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
            started = time.monotonic()
            statuses = list(pool.map(lambda i, event=event, extra=extra: run(i, event, **extra), range(50)))
            elapsed = time.monotonic() - started
        results[event] = (sum(status != ok for status in statuses), elapsed, statuses)
    with connect(args) as conn, conn.cursor() as cr:
        cr.execute("SELECT crt_object_id, count(*), bool_and(state = 'disposed') FROM ameyo_call "
                   "WHERE crt_object_id = ANY(%s) GROUP BY crt_object_id", (crts,))
        rows = cr.fetchall()
    print('\nConcurrency: 50 simultaneous pops (25 calls, each thrown twice at once), then 50 simultaneous '
          'dispose URLs for the same legs:')
    for event, (errors, elapsed, statuses) in results.items():
        print(f'  {event:8}: {50 - errors}/50 answered as expected, {errors} errors in {elapsed:.1f} s'
              + (f' (statuses {sorted(set(map(str, statuses)))})' if errors else ''))
    legs = [count for _crt, count, _disposed in rows]
    print(f'  legs: {len(rows)} calls, {sum(legs)} legs, max {max(legs) if legs else 0} leg per crtObjectId, '
          f'{sum(disposed for *_rest, disposed in rows)} disposed')


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('command', choices=('populate', 'measure'))
    parser.add_argument('--db', required=True)
    parser.add_argument('--pg-port', type=int, required=True)
    parser.add_argument('--partners', type=int, default=1_000_000)
    parser.add_argument('--odoo')
    parser.add_argument('--odoo-log')
    args = parser.parse_args()
    if args.command == 'populate':
        populate(args)
    else:
        measure_lookups(args)
        measure_http(args)
        measure_concurrency(args)


if __name__ == '__main__':
    main()

"""Screen-pop benchmark: populate a database with contacts, then measure lookups, pops and
concurrency.

Driven by bench/run.sh, which starts PostgreSQL and Odoo; see there. Figures are printed,
never asserted: the targets are in design.md and the README records the results.
"""

import argparse
import concurrent.futures
import importlib.util
import io
import json
import os
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
SENT_FORMATS = (
    lambda n: n,
    lambda n: f'+91{n}',
    lambda n: f'0{n}',
    lambda n: f'0091-{n[:5]}-{n[5:]}',
)
AGENT_LOGIN, AGENT_PASSWORD, AGENT_AMEYO_ID = (
    'bench_agent',
    'bench-agent-password',
    'bench.agent@acme',
)


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
            "COPY res_partner (name, complete_name, phone, ameyo_phone_key, active, type, "
            "is_company, create_date, write_date) FROM STDIN",
            buffer,
        )
        cr.execute("ANALYZE res_partner")
    print(f'populated {args.partners:,} contacts in {time.monotonic() - started:.0f} s')


def populate_legs(args):
    """``args.legs`` call legs of the past year, inserted in bulk (COPY) into the run's database
    once its agents exist: the legs' table grows fastest in a contact center (a year of a 100-seat
    center is millions of legs). Spread over the agents, both campaigns' kinds of calls and the
    closed states a history holds (85% disposed, 10% ended without a disposition, 5% click-to-dial
    attempts that failed), numbers of the populated contacts with their lookup keys, times and
    measures as the legs' transitions write them. None is live: the agents' next pops find their own
    legs only."""
    started = time.monotonic()
    rng = random.Random(17)
    with connect(args) as conn, conn.cursor() as cr:
        cr.execute("SELECT id, company_id FROM ameyo_server ORDER BY id LIMIT 1")
        server_id, company_id = cr.fetchone()
        cr.execute(
            "SELECT id FROM ameyo_campaign WHERE server_id = %s ORDER BY id LIMIT 1", (server_id,)
        )
        campaign_id = cr.fetchone()[0]
        cr.execute("SELECT id FROM res_users WHERE ameyo_user_id IS NOT NULL ORDER BY id")
        agents = [row[0] for row in cr.fetchall()]
        year_start = time.time() - 365 * 86400
        call_types = (
            ('inbound.call.dial', 'inbound'),
            ('outbound.auto.dial', 'outbound'),
            ('outbound.manual.dial', 'outbound'),
            ('click.to.call.dial', 'outbound'),
        )
        columns = (
            'server_id',
            'company_id',
            'campaign_id',
            'user_id',
            'crt_object_id',
            'user_crt_object_id',
            'direction',
            'call_type',
            'phone',
            'phone_key',
            'state',
            'ameyo_assigned',
            'ended_undisposed',
            'call_unit',
            'popped_at',
            'connected_at',
            'ended_at',
            'closed_at',
            'disposed_at',
            'talk_seconds',
            'talk_seconds_avg',
            'wrap_seconds',
            'wrap_seconds_avg',
            'popped_hour',
            'create_uid',
            'create_date',
            'write_uid',
            'write_date',
        )
        done = 0
        while done < args.legs:
            buffer = io.StringIO()
            for index in range(done, min(args.legs, done + 100_000)):
                agent = agents[index % len(agents)]
                call_type, direction = call_types[rng.randrange(len(call_types))]
                phone = SENT_FORMATS[index % len(SENT_FORMATS)](
                    number(rng.randrange(max(args.partners, 1)))
                )
                popped = year_start + rng.random() * 365 * 86400
                talk, wrap = rng.randrange(20, 600), rng.randrange(5, 120)
                roll = rng.random()
                stamp = lambda seconds: time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(seconds))  # noqa: E731
                if roll < 0.05:  # a click-to-dial attempt no call came of
                    row = (
                        r'\N',
                        r'\N',
                        'outbound',
                        'click.to.call.dial',
                        'dial_failed',
                        'f',
                        'f',
                        0,
                        r'\N',
                        r'\N',
                        r'\N',
                        stamp(popped + 180),
                        r'\N',
                        0,
                        0,
                        0,
                        0,
                        0,
                    )
                else:
                    state = 'ended' if roll < 0.15 else 'disposed'
                    crt = f'hist-vce-{index}'
                    row = (
                        crt,
                        f'{crt}-uce',
                        direction,
                        call_type,
                        state,
                        't',
                        't' if state == 'ended' else 'f',
                        1,
                        stamp(popped),
                        stamp(popped),
                        stamp(popped + talk),
                        stamp(popped + talk + wrap),
                        stamp(popped + talk + wrap) if state == 'disposed' else r'\N',
                        talk,
                        talk,
                        wrap,
                        wrap,
                        time.gmtime(popped).tm_hour,
                    )
                crt, user_crt, direction, call_type, state, assigned, undisposed, unit, *times = row
                values = (
                    server_id,
                    company_id,
                    campaign_id,
                    agent,
                    crt,
                    user_crt,
                    direction,
                    call_type,
                    phone,
                    phone_key(phone),
                    state,
                    assigned,
                    undisposed,
                    unit,
                    *times,
                    1,
                    stamp(popped),
                    1,
                    stamp(popped),
                )
                buffer.write('\t'.join(map(str, values)) + '\n')
            buffer.seek(0)
            cr.copy_expert(f"COPY ameyo_call ({', '.join(columns)}) FROM STDIN", buffer)
            done = min(args.legs, done + 100_000)
    conn = connect(args)
    conn.autocommit = True  # VACUUM runs outside a transaction
    with conn.cursor() as cr:
        # vacuumed and analyzed now, not by autovacuum in the middle of the measurement
        cr.execute("VACUUM (ANALYZE) ameyo_call")
        cr.execute("SELECT count(*) FROM ameyo_call")
        total = cr.fetchone()[0]
    conn.close()
    print(
        f'populated {args.legs:,} call legs over {len(agents)} agents in '
        f'{time.monotonic() - started:.0f} s ({total:,} legs in the table)'
    )


def measure_lookups(args):
    rng = random.Random(7)
    with connect(args) as conn, conn.cursor() as cr:
        cr.execute("SELECT id FROM res_company ORDER BY id LIMIT 1")
        company_ids = [cr.fetchone()[0]]
        query = (
            "SELECT id FROM res_partner WHERE ameyo_phone_key = %s AND active "
            "AND (company_id IS NULL OR company_id = ANY(%s)) ORDER BY id LIMIT 50"
        )
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
        cr.execute("SELECT count(*) FROM ameyo_call")
        print(f'\nData: {args.partners:,} contacts, {cr.fetchone()[0]:,} call legs')
        print(
            f'Caller lookup on the indexed key, {args.partners:,} contacts, 500 numbers in mixed '
            'formats:'
        )
        print(
            f'  database time (planning + execution): median {median:.3f} ms, p95 {p95:.3f} ms; '
            f'found {found}/500; plan nodes: {", ".join(sorted(plan_nodes))}'
        )

        timings, found = [], 0
        for _ in range(20):
            index = rng.randrange(args.partners)
            sent = SENT_FORMATS[rng.randrange(len(SENT_FORMATS))](number(index))
            digits = re.sub(r'\D', '', sent)
            started = time.monotonic()
            cr.execute(
                "SELECT id FROM res_partner WHERE replace(phone, ' ', '') ILIKE %s AND active",
                (f'%{digits[-8:]}',),
            )
            found += bool(cr.fetchall())
            timings.append((time.monotonic() - started) * 1000)
        median, p95 = percentiles(timings)
        print(
            "Baseline, OCA base_phone style (replace(phone, ' ', '') ILIKE '%<last 8 digits>'), 20 "
            "numbers:"
        )
        print(
            f'  database time: median {median:.1f} ms, p95 {p95:.1f} ms; found {found}/20 '
            '(dashed and dotted numbers are missed)'
        )


class OdooSession:
    def __init__(self, base_url, db, login=AGENT_LOGIN, password=AGENT_PASSWORD):
        self.base_url, self.db = base_url, db
        self.http = requests.Session()
        response = self.http.post(
            f'{base_url}/web/session/authenticate',
            json={'jsonrpc': '2.0', 'params': {'db': db, 'login': login, 'password': password}},
            timeout=60,
        )
        response.raise_for_status()
        if response.json().get('error'):
            raise SystemExit(f"login failed: {response.json()['error']}")

    def pop(self, crt, phone, event='customer', base_url=None, **extra):
        params = {
            'sessionId': 'd928-bench-ses-bench.agent@acme-1',
            'campaignId': '1',
            'crtObjectId': crt,
            'userCrtObjectId': f'{crt}-uce-1',
            'userId': AGENT_AMEYO_ID,
            'customerId': '-1',
            'phone': phone,
            'callType': 'inbound.call.dial',
            **extra,
        }
        return self.http.get(
            f'{base_url or self.base_url}/ameyo/{event}',
            params=params,
            allow_redirects=False,
            timeout=120,
        )

    def rpc(self, route, base_url=None):
        response = self.http.post(
            f'{base_url or self.base_url}{route}',
            json={'jsonrpc': '2.0', 'method': 'call', 'params': {}},
            timeout=60,
        )
        response.raise_for_status()
        if response.json().get('error'):
            raise SystemExit(f"{route} failed: {response.json()['error']}")
        return response


REQUEST_LINE = re.compile(
    r'"(?:GET|POST) (\S+) HTTP/[\d.]+" (\d{3}) \S+ (\d+) ([\d.]+) ([\d.]+)\s*$'
)


def logged_requests(text, marker):
    """(query count, server time ms) of each request logged in ``text`` whose path holds ``marker``.

    Odoo's request log gives the queries, their time and the rest of the time of each request."""
    found = []
    for line in text.splitlines():
        match = REQUEST_LINE.search(line)
        if match and 'werkzeug' in line and marker in match.group(1):
            found.append(
                (int(match.group(3)), (float(match.group(4)) + float(match.group(5))) * 1000)
            )
    return found


def log_since(path, offset):
    with open(path, encoding='utf-8', errors='replace') as log:
        log.seek(offset)
        return log.read()


def log_size(path):
    return pathlib.Path(path).stat().st_size


ROUTES = (
    ('/ameyo/customer', 'pop'),
    ('/web/session/check', 'check'),
    ('/web/session/get_session_info', 'session_info'),
)


def measure_http(args):
    rng = random.Random(11)
    session = OdooSession(args.odoo, args.db)
    rounds = 100 if args.quick else 300
    for _ in range(20):  # warm up every worker
        session.pop(f'warm-{uuid.uuid4().hex[:8]}', number(rng.randrange(args.partners)))
        session.rpc('/web/session/check')
        session.rpc('/web/session/get_session_info')
    offset = log_size(args.odoo_log)
    client = {label: [] for _route, label in ROUTES}
    for index in range(rounds):
        sent = SENT_FORMATS[index % len(SENT_FORMATS)](number(rng.randrange(args.partners)))
        for route, label in ROUTES:
            started = time.monotonic()
            if label == 'pop':
                response = session.pop(f'bench-vce-{index}-{uuid.uuid4().hex[:6]}', sent)
                assert response.is_redirect, (response.status_code, response.text[:300])
            else:
                session.rpc(route)
            client[label].append((time.monotonic() - started) * 1000)
    time.sleep(1)  # the last lines reach the log
    text = log_since(args.odoo_log, offset)
    print(
        f'\nHTTP, {rounds} rounds of: a pop of /ameyo/customer (new leg, lookup among '
        f'{args.partners:,} contacts, redirect), POST /web/session/check (Odoo\'s cheapest '
        'authenticated route: nothing after the authentication), POST '
        '/web/session/get_session_info; one agent session, 4 workers:'
    )
    medians = {}
    for route, label in ROUTES:
        logged = logged_requests(text, route)
        server = [ms for _count, ms in logged]
        queries = [count for count, _ms in logged]
        s_median, s_p95 = percentiles(server) if server else (float('nan'), float('nan'))
        c_median, c_p95 = percentiles(client[label])
        medians[label] = (s_median, c_median)
        print(
            f'  {route:30} server time median {s_median:6.1f} ms, p95 {s_p95:6.1f} ms | client '
            f'time median {c_median:6.1f} ms, p95 {c_p95:6.1f} ms | SQL queries median '
            f'{statistics.median(queries) if queries else float("nan"):.0f}'
        )
    for other in ('check', 'session_info'):
        print(
            f'  pop / {other}: {medians["pop"][0] / medians[other][0]:.2f}x (server medians), '
            f'{medians["pop"][1] / medians[other][1]:.2f}x (client medians)'
        )


def process_tree_cpu(pid):
    """CPU seconds (user + system) used so far by process ``pid`` and its children (Odoo's workers,
    its websocket process), from /proc."""
    tick = os.sysconf('SC_CLK_TCK')
    total = 0.0
    for stat in pathlib.Path('/proc').glob('[0-9]*/stat'):
        try:
            fields = stat.read_text().rsplit(')', 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def measure_cpu(args):
    """Odoo's own CPU time per pop and per /web/session/check: a figure the machine's load moves far
    less than the wall-clock times (another process waiting for the CPU does not count in it).
    Blocks of pops then checks, twice, on the 4-worker server; CPU of its processes (the workers,
    the websocket process) over each block."""
    rng = random.Random(17)
    session = OdooSession(args.odoo, args.db)
    rounds = 100 if args.quick else 400
    spent = {'pop': [], 'check': []}
    for _ in range(2):
        for label in ('pop', 'check'):
            before = process_tree_cpu(args.odoo_pid)
            for index in range(rounds):
                if label == 'pop':
                    sent = SENT_FORMATS[index % len(SENT_FORMATS)](
                        number(rng.randrange(args.partners))
                    )
                    response = session.pop(f'bench-cpu-{index}-{uuid.uuid4().hex[:6]}', sent)
                    assert response.is_redirect, (response.status_code, response.text[:300])
                else:
                    session.rpc('/web/session/check')
            spent[label].append((process_tree_cpu(args.odoo_pid) - before) / rounds * 1000)
    pop, check = statistics.mean(spent['pop']), statistics.mean(spent['check'])
    print(
        f'\nOdoo\'s CPU time (its processes, user + system), {rounds} pops then {rounds} checks, '
        f'twice: {pop:.2f} ms a pop ({", ".join(f"{ms:.2f}" for ms in spent["pop"])}), {check:.2f} '
        f'ms a /web/session/check ({", ".join(f"{ms:.2f}" for ms in spent["check"])}): pop / check '
        f'{pop / check:.2f}x'
    )


# What each query of a pop is for, by the first pattern its text matches.
QUERY_PURPOSES = (
    (r'orm_signaling_', 'Odoo\'s cache check (every request)'),
    (r'pg_notify', 'wakes the websocket processes (bus)'),
    (r'^WITH moved', 'the agent\'s earlier leg ended, with its recording (one statement)'),
    (
        r'SELECT partner\.tz FROM res_company',
        'the company\'s time zone (hour of day: the agent has none)',
    ),
    (r'ameyo_call_recording', 'the ended leg\'s recording, to fetch'),
    (r'UPDATE "?ameyo_call"? SET .*"state"', 'the agent\'s earlier leg ended (one statement)'),
    (r'FROM "?ir_model_data"?', 'an XML id (ref)'),
    (r'FROM "?res_users_apikeys|api_key', 'API keys'),
    (
        r'"res_users"\."id" = |FROM "res_users" WHERE|FROM "?res_users"? ',
        'the session user (authentication, environment)',
    ),
    (r'res_groups|res_groups_users_rel', 'the user\'s groups (access rights)'),
    (r'FROM "?ir_model_access"?', 'access rights of a model'),
    (r'FROM "?ir_rule"?', 'record rules of a model'),
    (r'FROM "?res_company"?|res_company_users_rel', 'companies of the user'),
    (r'FROM "?ir_config_parameter"?', 'a system parameter'),
    (r'FROM "?ameyo_server"?', 'the Ameyo server (from the URL\'s campaignId)'),
    (r'FROM "?ameyo_campaign"?', 'the campaign'),
    (r'FROM "?ameyo_queue"?', 'the queue'),
    (r'ameyo_agent_session', 'the agent\'s Ameyo session (sessionId)'),
    (r'ameyo_sso_token', 'the SSO token'),
    (r'INSERT INTO "?ameyo_call"?', 'creating the leg'),
    (r'UPDATE "?ameyo_call"?', 'the leg linked to the caller, lookup trace'),
    (r'FROM "?ameyo_call"?', 'the call\'s legs, the agent\'s live legs and attempts'),
    (r'ameyo_phone_pick', 'the remembered pick of a shared number'),
    (
        r'FROM "?res_partner"? .*ameyo_phone_key|"ameyo_phone_key" =',
        'the caller lookup (indexed key)',
    ),
    (
        r'SELECT "res_partner"\."id", "res_partner"\."tz" FROM',
        'the company\'s time zone (hour of day)',
    ),
    (r'FROM "?res_partner"?', 'a contact\'s fields (the caller)'),
    (r'FROM "?crm_lead"?', 'the caller lookup among leads'),
    (r'bus_bus', 'the call banner notification (bus)'),
    (r'res_country', 'the home country (number format)'),
    (r'ir_act|ir_actions', 'the path of the pop\'s action'),
    (r'SAVEPOINT|RELEASE|ROLLBACK TO', 'savepoint around the leg creation'),
    (r'pg_advisory|FOR UPDATE|FOR NO KEY UPDATE', 'a lock'),
    (r'mail_', 'mail (followers, tracking)'),
)
QUERY_LINE = re.compile(r'odoo\.sql_db: \[([\d.]+) ms\] query: (.*)$')


def purpose(sql):
    for pattern, label in QUERY_PURPOSES:
        if re.search(pattern, sql, re.IGNORECASE | re.DOTALL):
            return label
    return 'other'


def logged_queries(text):
    """(ms, sql) of each query in ``text``, a DEBUG log of odoo.sql_db (multi-line queries
    joined)."""
    queries, current = [], None
    for line in text.splitlines():
        match = QUERY_LINE.search(line)
        if match:
            current = [float(match.group(1)), match.group(2)]
            queries.append(current)
        elif current is not None and not re.match(r'\d{4}-\d\d-\d\d ', line):
            current[1] += ' ' + line.strip()
        else:
            current = None
    return [(ms, ' '.join(sql.split())) for ms, sql in queries]


def profile_http(args):
    """One warm pop and one warm session route on a one-process Odoo that logs every query with its
    time."""
    rng = random.Random(13)
    session = OdooSession(args.profile_odoo, args.db)
    for _ in range(5):
        session.pop(f'warm-{uuid.uuid4().hex[:8]}', number(rng.randrange(args.partners)))
        session.rpc('/web/session/check')
        session.rpc('/web/session/get_session_info')
    time.sleep(0.5)
    for route, label in ROUTES:
        offset = log_size(args.profile_log)
        if label == 'pop':
            session.pop(
                f'profile-{uuid.uuid4().hex[:8]}',
                SENT_FORMATS[1](number(rng.randrange(args.partners))),
            )
        else:
            session.rpc(route)
        time.sleep(0.5)
        queries = logged_queries(log_since(args.profile_log, offset))
        total = sum(ms for ms, _sql in queries)
        explained, seq_scans, plans = explain(args, queries)
        print(
            f'\nSQL queries of one warm {route} ({len(queries)} logged, {total:.2f} ms as Odoo '
            f'timed them; its SELECTs re-run with EXPLAIN ANALYZE: {explained:.2f} ms of database '
            f'time, sequential scans: {", ".join(sorted(seq_scans)) or "none"}):'
        )
        if label == 'pop':
            for index, (ms, sql) in enumerate(queries, 1):
                plan = f' [{plans[sql]}]' if plans.get(sql) else ''
                print(f'  {index:2d}. {ms:7.3f} ms  {purpose(sql):45.45} {sql[:110]}{plan}')
        else:
            for ms, sql in sorted(queries, reverse=True)[:3]:
                print(f'      slowest: {ms:8.3f} ms  {sql[:150]}')
    print(
        '  (queries inside a muted block, the leg\'s creation: its INSERT, the transaction\'s '
        'SELECT now() and, for an agent with no time zone, the company\'s, are not logged: the '
        'request log\'s count above has them; the NOTIFY that wakes the websocket processes after '
        'the commit goes on the connection the process keeps for it (tools/bus_notify.py), in '
        'neither)'
    )


def explain(args, queries):
    """Database time of the SELECTs among ``queries`` (EXPLAIN ANALYZE: planning + execution), and
    the tables they scan sequentially."""
    total, seq_scans = 0.0, set()
    plans = {}
    with connect(args) as conn, conn.cursor() as cr:
        for _ms, sql in queries:
            if not sql.lstrip().upper().startswith('SELECT') or 'pg_notify' in sql:
                continue
            try:
                cr.execute('EXPLAIN (ANALYZE, FORMAT JSON) ' + sql)
            except psycopg2.Error:
                conn.rollback()
                continue
            plan = cr.fetchone()[0][0]
            total += plan['Execution Time'] + plan['Planning Time']
            seq_scans.update(
                re.findall(
                    r'"Node Type": "Seq Scan"[^{}]*?"Relation Name": "([^"]+)"', json.dumps(plan)
                )
            )
            text = json.dumps(plan)
            plans[sql] = ', '.join(sorted(set(re.findall(r'"Index Name": "([^"]+)"', text)))) or (
                'Seq Scan' if '"Seq Scan"' in text else ''
            )
    return total, seq_scans, plans


def measure_concurrency(args):
    """50 simultaneous pops (25 distinct calls, each thrown twice at once), then 50 simultaneous
    disposes."""
    sessions = [OdooSession(args.odoo, args.db) for _ in range(10)]
    crts = [f'conc-vce-{uuid.uuid4().hex[:10]}' for _ in range(25)]
    jobs = [(crts[index % 25], number(index)) for index in range(50)]

    def run(job_index, event, **extra):
        crt, phone = jobs[job_index]
        try:
            return (
                sessions[job_index % len(sessions)]
                .pop(crt, phone, event=event, **extra)
                .status_code
            )
        except requests.RequestException as error:
            return type(error).__name__

    results = {}
    for event, extra, ok in (
        ('customer', {}, (302, 303)),
        ('dispose', {'dispositionCode': 'Sale'}, (200,)),
    ):
        with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
            started = time.monotonic()
            statuses = list(
                pool.map(lambda i, event=event, extra=extra: run(i, event, **extra), range(50))
            )
            elapsed = time.monotonic() - started
        results[event] = (sum(status not in ok for status in statuses), elapsed, statuses)
    with connect(args) as conn, conn.cursor() as cr:
        cr.execute(
            "SELECT crt_object_id, count(*), bool_and(state = 'disposed') FROM ameyo_call "
            "WHERE crt_object_id = ANY(%s) GROUP BY crt_object_id",
            (crts,),
        )
        rows = cr.fetchall()
    print(
        '\nConcurrency: 50 simultaneous pops (25 calls, each thrown twice at once), then 50 '
        'simultaneous dispose URLs for the same legs:'
    )
    for event, (errors, elapsed, statuses) in results.items():
        print(
            f'  {event:8}: {50 - errors}/50 answered as expected, {errors} errors in {elapsed:.1f} '
            's' + (f' (statuses {sorted(set(map(str, statuses)))})' if errors else '')
        )
    legs = [count for _crt, count, _disposed in rows]
    print(
        f'  legs: {len(rows)} calls, {sum(legs)} legs, max {max(legs) if legs else 0} leg per '
        f'crtObjectId, {sum(disposed for *_rest, disposed in rows)} disposed'
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('command', choices=('populate', 'populate-legs', 'measure'))
    parser.add_argument('--db', required=True)
    parser.add_argument('--pg-port', type=int, required=True)
    parser.add_argument('--partners', type=int, default=1_000_000)
    parser.add_argument('--odoo')
    parser.add_argument('--odoo-log')
    parser.add_argument(
        '--odoo-pid', type=int, help='its process id: its CPU time per pop and per check'
    )
    parser.add_argument('--profile-odoo', help='a one-process Odoo logging odoo.sql_db at DEBUG')
    parser.add_argument('--profile-log')
    parser.add_argument('--legs', type=int, default=0, help='call legs populate-legs inserts')
    parser.add_argument('--quick', action='store_true', help='fewer rounds')
    args = parser.parse_args()
    if args.command == 'populate':
        populate(args)
    elif args.command == 'populate-legs':
        populate_legs(args)
    else:
        measure_lookups(args)
        measure_http(args)
        if args.odoo_pid:
            measure_cpu(args)
        if args.profile_odoo:
            profile_http(args)
        measure_concurrency(args)


if __name__ == '__main__':
    main()

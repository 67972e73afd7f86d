"""Parallel requests on POST /ameyo/sso against a multi-worker Odoo: what sprayers get, and what
Ameyo gets.

Driven by bench/sso_race.sh, which starts PostgreSQL and Odoo (agents race.agent1..5@acme, passwords
race-agent-<n>-password, server in SSO mode with source network 127.0.0.1). Requests leave from
several loopback addresses: 127.0.0.1 plays Ameyo's server, 127.0.0.2-4 sprayers. Figures are
printed, never asserted; the README records them.
"""

import argparse
import collections
import concurrent.futures
import http.client
import re
import threading
from xml.sax.saxutils import escape

import psycopg2
from lxml import etree

AMEYO, OUTSIDER, SPRAYER, SPRAYER_2 = '127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'


def login_body(user_key, password):
    return (
        f'<request><command>login</command><userId>{escape(user_key)}</userId>'
        f'<password>{escape(password)}</password></request>'
    ).encode()


def post(port, source, body):
    """One SSO call from ``source``: its message ('Auth Successful', 'Invalid credentials', ...) or
    an error."""
    connection = http.client.HTTPConnection(
        '127.0.0.1', port, timeout=300, source_address=(source, 0)
    )
    try:
        connection.request('POST', '/ameyo/sso', body=body, headers={'Content-Type': 'text/xml'})
        response = connection.getresponse()
        content = response.read()
    except OSError as error:
        return f'error: {type(error).__name__}'
    finally:
        connection.close()
    if response.status != 200:
        return f'error: HTTP {response.status}'
    try:
        return etree.fromstring(content).findtext('message')
    except etree.XMLSyntaxError:
        return 'error: not an SSO answer'


def burst(port, requests_):
    """Send ``requests_`` [(source, body)] all at once (released together by a barrier); count the
    answers."""
    barrier = threading.Barrier(len(requests_))

    def send(source, body):
        barrier.wait()
        return post(port, source, body)

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(requests_)) as pool:
        answers = list(pool.map(lambda item: send(*item), requests_))
    return collections.Counter(answers)


def throttle_rows(args, source):
    with (
        psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn,
        conn.cursor() as cr,
    ):
        cr.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'ameyo_sso_throttle'"
        )
        has_source = 'source' in {row[0] for row in cr.fetchall()}
        if has_source:
            cr.execute(
                "SELECT user_key, failures, locked_until IS NOT NULL FROM ameyo_sso_throttle "
                "WHERE source = %s ORDER BY user_key",
                [source],
            )
        else:  # the code before the fix keys by user only
            cr.execute(
                "SELECT user_key, failures, locked_until IS NOT NULL FROM ameyo_sso_throttle ORDER "
                "BY user_key"
            )
        return cr.fetchall()


def login_cooldown_after(args):
    with (
        psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn,
        conn.cursor() as cr,
    ):
        cr.execute("SELECT value FROM ir_config_parameter WHERE key = 'base.login_cooldown_after'")
        row = cr.fetchone()
        return int(row[0]) if row else 5


def set_networks(args, networks):
    with (
        psycopg2.connect(host='127.0.0.1', port=args.pg_port, user='odoo', dbname=args.db) as conn,
        conn.cursor() as cr,
    ):
        cr.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'ameyo_server' AND column_name = 'sso_source_networks'"
        )
        if cr.fetchone():
            cr.execute("UPDATE ameyo_server SET sso_source_networks = %s", [networks or None])
            return True
        return False


def right_password(port, index):
    answer = post(
        port, AMEYO, login_body(f'race.agent{index}@acme', f'race-agent-{index}-password')
    )
    print(f'      race.agent{index}@acme from {AMEYO}, right password: {answer}')


def sso_token(port, index):
    """Log race.agent<index> in through SSO from Ameyo's address; return their crmSessionId."""
    connection = http.client.HTTPConnection(
        '127.0.0.1', port, timeout=300, source_address=(AMEYO, 0)
    )
    try:
        connection.request(
            'POST',
            '/ameyo/sso',
            headers={'Content-Type': 'text/xml'},
            body=login_body(f'race.agent{index}@acme', f'race-agent-{index}-password'),
        )
        return etree.fromstring(connection.getresponse().read()).findtext('crmSessionId')
    finally:
        connection.close()


def get(port, path):
    """GET ``path`` as Ameyo's agent client would; the HTTP status (or the error's name)."""
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=300)
    try:
        connection.request('GET', path)
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError as error:
        return f'error: {type(error).__name__}'
    finally:
        connection.close()


def agent_session_rows(args):
    with (
        psycopg2.connect(
            dbname=args.db, host='127.0.0.1', port=args.pg_port, user='odoo'
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT count(*) FROM ameyo_agent_session s JOIN res_users u ON u.id = s.user_id "
            "WHERE u.ameyo_user_id = 'race.agent5@acme'"
        )
        return cursor.fetchone()[0]


def show(title, counts, expected=None):
    checked = counts.get('Invalid credentials', 0)
    errors = sum(count for answer, count in counts.items() if answer.startswith('error'))
    print(f'  {title}')
    for answer, count in sorted(counts.items(), key=lambda item: -item[1]):
        print(f'      {count:4d} x {answer}')
    suffix = f'  (expected: {expected})' if expected else ''
    print(f'      => passwords checked: {checked}, errors: {errors}{suffix}')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--db', required=True)
    parser.add_argument('--pg-port', type=int, required=True)
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--parallel', type=int, default=40)
    parser.add_argument('--odoo-log')
    args = parser.parse_args()
    n, port = args.parallel, args.port
    print(f'SSO races: {n} simultaneous POST /ameyo/sso against Odoo with {args.workers} workers')

    print(
        '1. Parallel guesses at one agent from one address (Ameyo\'s, listed), first ones for that '
        'userId'
    )
    counts = burst(port, [(AMEYO, login_body('race.agent1@acme', f'guess-{i}')) for i in range(n)])
    show(
        f'{n} wrong passwords for race.agent1@acme', counts, '5 checked, the rest locked, 0 errors'
    )
    print(f'      throttle rows for 127.0.0.1: {throttle_rows(args, AMEYO)}')
    print('   the same with the userId in mixed case, for another agent')
    counts = burst(
        port,
        [
            (AMEYO, login_body('Race.Agent2@ACME' if i % 2 else 'race.agent2@acme', f'guess-{i}'))
            for i in range(n)
        ],
    )
    show(f'{n} wrong passwords for race.agent2@acme, two spellings', counts, '5 checked, 0 errors')
    print(f'      throttle rows for 127.0.0.1: {throttle_rows(args, AMEYO)}')

    print('2. A sprayer outside the SSO source networks, then the agent from Ameyo\'s address')
    listed = set_networks(args, AMEYO)
    counts = burst(
        port, [(OUTSIDER, login_body('race.agent3@acme', f'guess-{i}')) for i in range(n)]
    )
    show(
        f'{n} guesses for race.agent3@acme from {OUTSIDER}'
        + ('' if listed else ' (no networks field)'),
        counts,
        '0 checked, all "Address not allowed"',
    )
    print(f'      throttle rows for {OUTSIDER}: {throttle_rows(args, OUTSIDER)}')
    right_password(port, 3)

    print(
        '3. No SSO source networks (any address): a sprayer at one agent, then the agent from '
        'Ameyo\'s address'
    )
    set_networks(args, None)
    counts = burst(
        port, [(SPRAYER, login_body('race.agent4@acme', f'guess-{i}')) for i in range(n)]
    )
    show(f'{n} guesses for race.agent4@acme from {SPRAYER}', counts, '5 checked, 0 errors')
    right_password(port, 4)
    print(
        '   a sprayer trying one guess at each of many userIds (Odoo\'s per-address cooldown, per '
        'worker)'
    )
    cooldown_after = login_cooldown_after(args)
    counts = collections.Counter()
    # two bursts: more simultaneous connections than this overflow the listen backlog
    for wave in range(2):
        counts += burst(
            port, [(SPRAYER_2, login_body(f'nobody{wave}-{i}@acme', 'guess')) for i in range(n)]
        )
    show(
        f'{2 * n} guesses at {2 * n} userIds from {SPRAYER_2}, in two bursts',
        counts,
        f'at most {args.workers} workers x {cooldown_after} (base.login_cooldown_after) checked, '
        f'the rest refused for 60 s',
    )
    right_password(port, 5)

    print(
        '4. The first Ameyo sessions of an agent, all at once (one row per agent and server, '
        'upserted)'
    )
    token = sso_token(port, 5)
    statuses = collections.Counter()
    barrier = threading.Barrier(n)

    def pop_kb(index):
        barrier.wait()
        return get(
            port,
            f'/ameyo/kb?userId=race.agent5%40acme&crmSessionId={token}'
            f'&sessionId=d928-race-ses-race.agent5%40acme-{index}',
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        statuses.update(pool.map(pop_kb, range(n)))
    print(
        f'      {n} knowledge-base URLs with {n} new Ameyo sessions: HTTP '
        + ', '.join(f'{status} x {count}' for status, count in sorted(statuses.items()))
    )
    print(
        f'      agent-session rows for race.agent5@acme: {agent_session_rows(args)}  (expected: 1, '
        'all HTTP 200)'
    )

    if args.odoo_log:
        with open(args.odoo_log, encoding='utf-8', errors='replace') as log:
            text = log.read()
        failed = len(re.findall(r'ERROR \S+ odoo\.http: Exception during request handling', text))
        unique = len(re.findall(r'duplicate key value violates unique constraint', text))
        retried = len(re.findall(r'tries left, try again in', text))
        print(
            f'Odoo log: {failed} requests failed with an exception, {unique} unique violations, '
            f'{retried} transactions retried after a concurrency failure'
        )


if __name__ == '__main__':
    main()

"""The command line: ``python3 -m simulator serve`` runs the simulator until interrupted (``--demo``
seeds the demo campaigns and agents); ``python3 -m simulator throw`` prints the Odoo URL the agent's
browser would load, starting or ending a call on a running simulator through its control API."""

import argparse
import json
import logging
import sys
import threading
import urllib.parse
import urllib.request
from dataclasses import asdict

from .browser import LIFECYCLE_EVENTS, build_lifecycle_params, open_without_redirect
from .server import AmeyoSimulator, server_ssl_context
from .state import Credentials

_logger = logging.getLogger(__name__)

DEMO_CAMPAIGNS = (
    ('1', 'Inbound Sales', ('Sale', 'Not Interested', 'Callback', 'Wrong Number')),
    ('2', 'Outbound Collections', ('Promise To Pay', 'Paid', 'Callback', 'No Answer')),
)
DEMO_AGENTS = (('agent1', 'agent1'), ('agent2', 'agent2'))


def seed_demo(sim: AmeyoSimulator) -> dict[str, str]:
    """Seed the demo campaigns and agents; returns {userId: sessionId}."""
    for campaign_id, name, codes in DEMO_CAMPAIGNS:
        sim.add_campaign(campaign_id, name, dispositions=codes)
    campaign_ids = [campaign_id for campaign_id, _name, _codes in DEMO_CAMPAIGNS]
    return {
        user_id: sim.add_agent(user_id, password=password, campaigns=campaign_ids)
        for user_id, password in DEMO_AGENTS
    }


def _control_call(sim_url: str, method: str, path: str, payload=None):
    """Call the running simulator's control API; returns the parsed JSON answer."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        sim_url.rstrip('/') + path,
        data=data,
        method=method,
        headers={'Content-Type': 'application/json'},
    )
    status, _headers, body = open_without_redirect(request, timeout=10)
    answer = json.loads(body or b'null')
    if status != 200:
        raise SystemExit(f'simulator {method} {path}: {status} {answer}')
    return answer


def _cmd_serve(args) -> int:
    credentials = Credentials(
        hash_key=args.hash_key,
        requesting_host=args.requesting_host,
        policy_name=args.policy_name,
        dispose_token=args.dispose_token,
        dispose_token_header=args.dispose_token_header,
        admin_user_id=args.admin_user,
        admin_password=args.admin_password,
    )
    if args.keyfile and not args.certfile:
        raise ValueError('--keyfile goes with --certfile')
    context = server_ssl_context(args.certfile, args.keyfile) if args.certfile else None
    sim = AmeyoSimulator(
        host=args.host,
        port=args.port,
        ssl_context=context,
        log_requests=True,
        recording_delay=args.recording_delay,
        recording_failure_share=args.recording_failure_share,
        **asdict(credentials),
    )
    sim.start()
    _logger.info('Ameyo simulator listening on %s', sim.url)
    if args.odoo:
        sim.set_crm(
            args.odoo,
            sso_url=args.odoo.rstrip('/') + '/ameyo/sso' if args.sso else None,
            ring=args.ring,
            login=args.login,
        )
        _logger.info(
            'dialed calls are thrown at %s/ameyo/customer after %g s%s%s',
            args.odoo,
            args.ring,
            ' (with an SSO crmSessionId)' if args.sso else '',
            " (with the agent's Odoo session)" if args.login else '',
        )
    if args.demo:
        sessions = seed_demo(sim)
        _logger.info(
            'demo: campaigns 1 "Inbound Sales", 2 "Outbound Collections"; '
            'users agent1/agent1, agent2/agent2, %s (admin)',
            args.admin_user,
        )
        for user_id, session_id in sessions.items():
            _logger.info('demo: %s sessionId %s', user_id, session_id)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        _logger.info('interrupted: stopping')
    finally:
        sim.stop()
    return 0


def _cmd_throw(args) -> int:
    state = _control_call(args.sim, 'GET', '/__sim__/state')
    agents = {agent['userId']: agent for agent in state['agents']}
    agent = agents.get(args.user)
    if agent is None or not agent['sessions']:
        raise SystemExit(f'agent {args.user!r} is unknown or logged out on {args.sim}')
    extra = {}
    if args.event == 'kb':
        call = {
            'userId': args.user,
            'sessionId': agent['sessions'][-1],
            'campaignId': args.campaign,
        }
    else:
        open_legs = [
            leg
            for leg in state['calls']
            if leg['userId'] == args.user and leg['state'] != 'disposed'
        ]
        if args.event == 'dispose' and open_legs:
            call = open_legs[-1]
        else:
            if not args.phone:
                raise SystemExit('--phone is required to start a call')
            call = _control_call(
                args.sim,
                'POST',
                '/__sim__/calls',
                {
                    'userId': args.user,
                    'campaignId': args.campaign,
                    'phone': args.phone,
                    'customerId': args.customer_id,
                    'callType': args.call_type,
                    'queueId': args.queue_id,
                    'queueName': args.queue_name,
                },
            )
        if args.event == 'dispose':
            if not args.disposition:
                raise SystemExit('--disposition is required for --event dispose')
            _control_call(
                args.sim, 'POST', '/__sim__/hangup', {'userCrtObjectId': call['userCrtObjectId']}
            )
            extra = {'dispositionCode': args.disposition, 'dispositionAttr': args.disposition_attr}
    params = build_lifecycle_params(call, args.event, session_id=agent['sessions'][-1], **extra)
    sys.stdout.write(
        f'{args.odoo.rstrip("/")}/ameyo/{args.event}?{urllib.parse.urlencode(params)}\n'
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='python3 -m simulator',
        description='A loopback double of the Ameyo server, for tests and demos.',
    )
    commands = parser.add_subparsers(dest='command', required=True)
    defaults = Credentials()

    serve = commands.add_parser('serve', help='run the simulator until interrupted')
    serve.add_argument(
        '--host', default='127.0.0.1', help='127.0.0.1, localhost or ::1 (loopback only)'
    )
    serve.add_argument('--port', type=int, default=8899)
    serve.add_argument('--demo', action='store_true', help='seed the demo campaigns and agents')
    serve.add_argument(
        '--certfile', help='serve HTTPS with this PEM certificate (chain), e.g. of an internal CA'
    )
    serve.add_argument(
        '--keyfile', help='the private key of --certfile, when it is not in that file'
    )
    serve.add_argument('--hash-key', default=defaults.hash_key)
    serve.add_argument('--requesting-host', default=defaults.requesting_host)
    serve.add_argument('--policy-name', default=defaults.policy_name)
    serve.add_argument('--dispose-token', default=defaults.dispose_token)
    serve.add_argument('--dispose-token-header', default=defaults.dispose_token_header)
    serve.add_argument('--admin-user', default=defaults.admin_user_id)
    serve.add_argument('--admin-password', default=defaults.admin_password)
    serve.add_argument(
        '--odoo', help="Odoo's base URL: throw the customer URL of dialed calls there"
    )
    serve.add_argument(
        '--sso', action='store_true', help="log the agent in to Odoo's SSO API before a throw"
    )
    serve.add_argument(
        '--login',
        action='store_true',
        help="log the agent in on Odoo's login page (their Ameyo userId and password) before a "
        "throw and send their session cookie: the session-cookie mode, as scripts/run.sh's demo",
    )
    serve.add_argument(
        '--ring', type=float, default=1.0, help='seconds between a dial and its customer URL'
    )
    serve.add_argument(
        '--recording-delay',
        type=float,
        default=0.0,
        help='seconds after a call ends before its recording exists (default 0)',
    )
    serve.add_argument(
        '--recording-failure-share',
        type=float,
        default=0.0,
        help="share of calls (0 to 1) whose voice log answers a non-audio 200 (default 0)",
    )
    serve.set_defaults(func=_cmd_serve)

    throw = commands.add_parser('throw', help="print the Odoo URL the agent's browser would load")
    throw.add_argument('--odoo', required=True, help='Odoo base URL, e.g. http://localhost:8069')
    throw.add_argument('--event', choices=LIFECYCLE_EVENTS, default='customer')
    throw.add_argument('--user', required=True, help='Ameyo userId of the agent')
    throw.add_argument('--campaign', required=True, help='Ameyo campaignId')
    throw.add_argument('--phone', help='customer phone (starts a new call)')
    throw.add_argument('--sim', default='http://127.0.0.1:8899', help='the running simulator')
    throw.add_argument('--disposition', help='dispositionCode (dispose event)')
    throw.add_argument(
        '--disposition-attr', help='dispositionAttr (dispose event), e.g. local-2030-01-01 10:00:00'
    )
    throw.add_argument('--customer-id', default='-1')
    throw.add_argument('--call-type', default='inbound.call.dial')
    throw.add_argument('--queue-id')
    throw.add_argument('--queue-name')
    throw.set_defaults(func=_cmd_throw)
    return parser


def main(argv=None) -> int:
    """Run the command line; the simulator's log (one masked line a request) goes to stderr."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format='%(asctime)s %(message)s', datefmt='%H:%M:%S'
    )
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as error:
        parser.error(str(error))
        return 2

"""The control API, ``/__sim__/...``: what a test or a demo tells the simulator over HTTP (loopback,
no auth, neither recorded nor subject to faults)."""

from .state import DEFAULT_CAMPAIGN_TYPE, SimulatorState

CONTROL_PREFIX = '/__sim__'
FAULT_FIELDS = (
    'match',
    'status',
    'body',
    'content_type',
    'delay',
    'drop',
    'times',
    'carry_out',
    'chunked',
)


def find_call(state: SimulatorState, data: dict) -> dict:
    """The call dict named by userCrtObjectId, or the latest open leg of crtObjectId."""
    user_crt, crt = data.get('userCrtObjectId'), data.get('crtObjectId')
    legs = [
        leg
        for leg in state.calls()
        if (user_crt and leg['userCrtObjectId'] == user_crt)
        or (not user_crt and crt and leg['crtObjectId'] == crt and leg['state'] != 'disposed')
    ]
    if not legs:
        raise ValueError('no such call leg')
    return legs[-1]


def request_as_json(record: dict) -> dict:
    answer = {key: value for key, value in record.items() if key != 'target'}
    answer['body'] = record['body'].decode('utf-8', 'replace')
    return answer


def _ok(action):
    def run(state, data):
        action(state, data)
        return {'ok': True}

    return run


def _add_agent(state, data):
    session_id = state.add_agent(
        data['userId'],
        password=data.get('password') or 'secret',
        campaigns=data.get('campaigns') or (),
    )
    return {'userId': data['userId'], 'sessionId': session_id}


ROUTES = {
    ('GET', '/state'): lambda state, data: state.state(),
    ('GET', '/requests'): lambda state, data: [
        request_as_json(record) for record in state.requests
    ],
    ('POST', '/reset'): _ok(lambda state, data: state.reset()),
    ('POST', '/campaigns'): lambda state, data: state.add_campaign(
        data['campaignId'],
        data.get('name') or str(data['campaignId']),
        dispositions=data.get('dispositions') or (),
        campaign_type=data.get('campaignType') or DEFAULT_CAMPAIGN_TYPE,
        customer_key=data.get('customerKey'),
    ),
    ('GET', '/customer-records'): lambda state, data: state.customer_records(),
    ('POST', '/agents'): _add_agent,
    ('POST', '/login'): lambda state, data: {
        'userId': data['userId'],
        'sessionId': state.login(data['userId']),
    },
    ('POST', '/logout'): _ok(lambda state, data: state.logout(data['sessionId'])),
    ('POST', '/calls'): lambda state, data: state.start_call(
        data['userId'],
        data['campaignId'],
        data['phone'],
        customer_id=data.get('customerId', '-1'),
        call_type=data.get('callType') or 'inbound.call.dial',
        queue_id=data.get('queueId'),
        queue_name=data.get('queueName'),
    ),
    ('POST', '/hangup'): _ok(lambda state, data: state.hangup(find_call(state, data))),
    ('POST', '/transfer'): lambda state, data: state.transfer(
        find_call(state, data), data['toUserId']
    ),
    ('POST', '/voicelogs'): _ok(
        lambda state, data: state.set_voice_log(
            data['crtObjectId'], body=data.get('body'), fmt=data.get('fmt') or 'mp3'
        )
    ),
    ('POST', '/faults'): _ok(
        lambda state, data: state.inject(**{key: data[key] for key in FAULT_FIELDS if key in data})
    ),
    ('DELETE', '/faults'): _ok(lambda state, data: state.clear_faults()),
    ('POST', '/not-ready'): _ok(
        lambda state, data: state.set_not_ready_after_dispose(data.get('dials'))
    ),
    ('POST', '/crm'): _ok(
        lambda state, data: state.set_crm(
            data.get('odooUrl'),
            sso_url=data.get('ssoUrl'),
            ring=float(data.get('ring', 1.0)),
            login=bool(data.get('login')),
        )
    ),
}


def control(state: SimulatorState, method: str, path: str, body) -> tuple[int, object]:
    """Serve the control API; returns (status, JSON-able answer)."""
    route = ROUTES.get((method, path.rstrip('/').removeprefix(CONTROL_PREFIX)))
    if route is None:
        return 404, {'error': f'no control endpoint {method} {path}'}
    try:
        return 200, route(state, body if isinstance(body, dict) else {})
    except KeyError as error:
        return 400, {'error': f'missing field {error.args[0]}'}
    except (TypeError, ValueError) as error:
        return 400, {'error': str(error)}

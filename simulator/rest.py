"""Ameyo's REST API, ``/ameyorestapi/...``: JSON bodies, errors in Ameyo's
RESTAPIErrorResponseEntity."""

import functools
import re
import secrets
import time
from typing import TYPE_CHECKING

from . import wire
from .state import Agent
from .wire import Reply, Request

if TYPE_CHECKING:
    from .server import AmeyoSimulator

MAX_REQUEST_ID_LENGTH = 21
CALLBACK_TIME_RE = re.compile(r'^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$')


def with_agent_session(endpoint):
    """An endpoint the agent's ``sessionId`` header authenticates: it runs under the state's lock
    with the request's JSON object and that agent; a dead or missing session is
    ``invalid.session.id``."""

    @functools.wraps(endpoint)
    def authenticated(api, request: Request) -> Reply:
        with api.state.lock:
            agent = api.state.session_agent(request.headers.get('sessionId'))
            if agent is None:
                return wire.invalid_session()
            return endpoint(api, request, request.json_object(), agent)

    return authenticated


def valid_callback_time(value) -> bool:
    if not isinstance(value, str) or not CALLBACK_TIME_RE.match(value):
        return False
    try:
        time.strptime(value, '%Y-%m-%d %H:%M:%S')
    except ValueError:
        return False
    return True


def valid_self_callback(value) -> bool:
    """``isSelfCallback`` as Ameyo reads it: absent, a JSON boolean, or the guide's strings
    "true"/"false"."""
    return (
        value is None
        or isinstance(value, bool)
        or (isinstance(value, str) and value.lower() in ('true', 'false'))
    )


class RestApi:
    """The REST endpoints on top of the simulator's state. Each returns a Reply."""

    def __init__(self, state: 'AmeyoSimulator'):
        self.state = state
        self.routes = {
            '/ameyorestapi/voice/disposeCallForUser': ('POST', self.dispose_call_for_user),
            '/ameyorestapi/voice/disposeAndManualDial': ('POST', self.dispose_and_manual_dial),
            '/ameyorestapi/voice/manualdial': ('POST', self.manual_dial),
            '/ameyorestapi/cc/dispositionCodes/getByCampaign': ('GET', self.disposition_codes),
            '/ameyorestapi/cc/campaigns/getAssigned': ('GET', self.assigned_campaigns),
            '/ameyorestapi/cc/downloadVoiceLog': ('GET', self.voice_log),
            '/ameyorestapi/userLogin/login': ('POST', self.login),
            '/ameyorestapi/session/userLogin': ('POST', self.login),
            '/ameyorestapi/session/userLogout': ('POST', self.logout),
        }

    def dispatch(self, request: Request) -> Reply:
        if (request.param('info') or '').lower() == 'true':
            return wire.method_not_allowed()
        route = self.routes.get(request.path.rstrip('/'))
        if route is None:
            return wire.not_found()
        method, endpoint = route
        if request.method != method:
            return wire.method_not_allowed()
        if request.method == 'POST' and request.body.strip() and not isinstance(request.json, dict):
            return wire.invalid_input('request body is not a JSON object')
        return endpoint(request)

    # ---- dispose ---------------------------------------------------------------------------------

    def dispose_call_for_user(self, request: Request) -> Reply:
        state = self.state
        body = request.json_object()
        with state.lock:
            caller = state.session_agent(request.headers.get('sessionId'))
            if caller is None and not state.credentials.dispose_token_ok(request):
                return (
                    wire.invalid_session()
                    if request.headers.get('sessionId') is not None
                    else wire.invalid_token()
                )
            user_id, code = body.get('userId'), body.get('dispositionCodeName')
            if wire.blank(user_id):
                return wire.missing('userId')
            if wire.blank(code):
                return wire.missing('dispositionCodeName')
            if caller is not None and not caller.is_admin and caller.user_id != user_id:
                return wire.invalid_session()
            params = body.get('dispositionParams') or {}
            params = params if isinstance(params, dict) else {}
            callback_time = params.get('callbackTime')
            if not wire.blank(callback_time) and not valid_callback_time(callback_time):
                return wire.invalid_input('invalid callbackTime')
            if not valid_self_callback(params.get('isSelfCallback')):
                return wire.invalid_input('invalid isSelfCallback')
            request_id = body.get('requestId')
            if state.replayed_dispose(request_id):
                return wire.text_reply('Dispose Successfully')
            agent = state.agent(user_id)
            if agent is None:
                return wire.rest_error(512, 'user.not.found', 0, 'user not found')
            leg = state.current_leg(agent.user_id)
            if leg is None or not agent.sessions:
                return wire.no_call_to_dispose()
            refusal = self._plan_refusal(leg, code)
            if refusal:
                return refusal
            state.dispose(
                leg,
                code,
                'disposeCallForUser',
                callback_time=callback_time or None,
                self_callback=params.get('isSelfCallback'),
                notes=body.get('notes'),
                request_id=request_id,
            )
        return wire.text_reply('Dispose Successfully')

    @with_agent_session
    def dispose_and_manual_dial(self, request: Request, body: dict, agent: Agent) -> Reply:
        state = self.state
        for name in ('crtObjectId', 'dispositionCode', 'phone'):
            if wire.blank(body.get(name)):
                return wire.missing(name)
        context_id = body.get('campaignContextId')
        if context_id is not None and not wire.INTEGER_RE.match(str(context_id)):
            return wire.invalid_input('invalid campaignContextId')
        request_id = body.get('requestId')
        if request_id is not None and len(str(request_id)) > MAX_REQUEST_ID_LENGTH:
            return wire.invalid_input('requestId too long')
        if state.replayed_dispose(request_id):
            return wire.text_reply('ok')
        crt = body['crtObjectId']
        leg = state.named_leg(
            agent.user_id, crt, body.get('userCRTObjectId') or body.get('userCrtObjectId')
        )
        if leg is None:
            return wire.rest_error(512, 'invalid.crt.object.id', 0, f'invalid crtObjectId {crt}')
        if leg.state == 'disposed':
            return wire.no_call_to_dispose()
        code = body['dispositionCode']
        refusal = self._plan_refusal(leg, code)
        if refusal:
            return refusal
        state.dispose(leg, code, 'disposeAndManualDial', request_id=request_id)
        self._dial(agent, leg.call['campaignId'], body)
        return wire.text_reply('ok')

    def _plan_refusal(self, leg, code) -> Reply | None:
        """Ameyo's refusal of a code that is not in the plan of the leg's campaign, or None."""
        campaign = self.state.campaign(leg.call['campaignId'])
        if campaign is None or not campaign.has_code(code):
            return wire.not_in_plan(code, leg.call['campaignId'])
        return None

    # ---- dial ------------------------------------------------------------------------------------

    @with_agent_session
    def manual_dial(self, request: Request, body: dict, agent: Agent) -> Reply:
        state = self.state
        for name in ('campaignId', 'phone'):
            if wire.blank(body.get(name)):
                return wire.missing(name)
        request_id = body.get('requestId')
        result = state.dial_result(request_id)
        if result is not None:
            return wire.json_reply(result)
        campaign_id = str(body['campaignId'])
        if campaign_id not in state.campaign_ids_of(agent):
            return wire.dial_failure(f'User is not assigned to campaign {campaign_id}')
        if state.state_of(agent) != 'ready' or state.still_not_ready(agent):
            return wire.dial_failure('User is not in ready state')
        phone = str(body['phone']).strip()
        if not wire.DIAL_PHONE_RE.match(phone):
            return wire.dial_failure(f'Invalid phone number {phone}')
        refusal = state.customer_record_refusal(campaign_id, body.get('customerRecord'))
        if refusal:
            return wire.dial_failure(refusal)
        state.remember_customer_record(
            'manualdial', agent.user_id, campaign_id, phone, body.get('customerRecord')
        )
        call = self._dial(agent, campaign_id, dict(body, phone=phone))
        state.dialed(call)
        result = {'result': 'success', 'reason': None, 'crtObjectId': call['crtObjectId']}
        state.remember_dial(request_id, result)
        return wire.json_reply(result)

    def _dial(self, agent: Agent, campaign_id: str, body: dict) -> dict:
        """Connect the manual dial of ``body`` (phone, customerId) to the agent."""
        customer_id = body.get('customerId')
        return self.state.start_call(
            agent.user_id,
            campaign_id,
            str(body['phone']),
            customer_id='-1' if customer_id is None else customer_id,
            call_type='outbound.manual.dial',
        )

    # ---- plan, campaigns, voice log --------------------------------------------------------------

    @with_agent_session
    def disposition_codes(self, request: Request, body: dict, agent: Agent) -> Reply:
        campaign_id = request.param('campaignId')
        if wire.blank(campaign_id):
            return wire.missing('campaignId')
        if not wire.INTEGER_RE.match(campaign_id.strip()):
            return wire.not_found()
        campaign_id = str(int(campaign_id))
        if campaign_id not in self.state.campaign_ids_of(agent):
            return wire.invalid_session()
        return wire.json_reply([code.as_json() for code in self.state.campaign(campaign_id).codes])

    @with_agent_session
    def assigned_campaigns(self, request: Request, body: dict, agent: Agent) -> Reply:
        campaign_ids = self.state.campaign_ids_of(agent)
        if not campaign_ids:
            return wire.rest_error(
                512, 'user.not.assigned.to.any.campaign', 0, 'user not assigned to any campaign'
            )
        return wire.json_reply(
            [self.state.campaign(campaign_id).as_json() for campaign_id in campaign_ids]
        )

    def voice_log(self, request: Request) -> Reply:
        state = self.state
        with state.lock:
            if state.session_agent(request.headers.get('sessionId')) is None:
                if not request.has_token_headers() or request.headers.get('sessionId') is not None:
                    return wire.invalid_session()
                if not state.credentials.token_policy_ok(request):
                    return wire.invalid_token()
            crt = request.param('crtObjectId')
            if wire.blank(crt):
                return wire.missing('crtObjectId')
            campaign_id = request.param('campaignId')
            if campaign_id is not None and not wire.INTEGER_RE.match(campaign_id.strip()):
                return wire.not_found()
            return wire.file_reply(state.voice_log(crt, request.param('targetFormat')), crt)

    # ---- sessions --------------------------------------------------------------------------------

    def login(self, request: Request) -> Reply:
        state = self.state
        body = request.json_object()
        user_id, token = body.get('userId'), body.get('token')
        if wire.blank(user_id):
            return wire.missing('userId')
        if wire.blank(token):
            return wire.missing('token')
        with state.lock:
            agent = state.agent(user_id)
            if agent is None or not agent.password_ok(token):
                return wire.rest_error(403, 'invalid.credentials', 0, 'Incorrect password')
            session_id = state.open_session(agent, force=bool(body.get('forceLogin', True)))
        if request.path.rstrip('/').endswith('/session/userLogin'):
            return wire.json_reply(
                {
                    'userId': user_id,
                    'terminalInfo': body.get('terminalInfo'),
                    'sessionId': session_id,
                }
            )
        return wire.json_reply(
            {
                'requestId': secrets.token_hex(8),
                'contactCenterId': 1,
                'userSessionInfo': {'sessionId': session_id, 'userId': user_id},
                'authenticationState': {
                    'authPolicyVsUserInfo': {'auth.type.passwd': {'loginProperties': {}}}
                },
                'configurations': {},
            }
        )

    @with_agent_session
    def logout(self, request: Request, body: dict, agent: Agent) -> Reply:
        self.state.logout(request.headers.get('sessionId'))
        return wire.text_reply('ok')

"""Ameyo's legacy APIs: ``/ameyowebaccess/command[/]?command=<name>`` (form field ``data`` = JSON,
or ``&data=``; errors are HTTP 200 ``{"status": "error", "reason", "details"}``) and ``GET
/dacx/dispose``."""

import json
import logging
from typing import TYPE_CHECKING

from . import wire
from .wire import Reply, Request

if TYPE_CHECKING:
    from .server import AmeyoSimulator

_logger = logging.getLogger(__name__)

COMMAND_PATHS = ('/ameyowebaccess/command', '/ameyowebaccess/command/')
DACX_PATHS = ('/dacx/dispose', '/dacx/dispose/')


class LegacyApi:
    """The legacy endpoints on top of the simulator's state. Each returns a Reply."""

    def __init__(self, state: 'AmeyoSimulator'):
        self.state = state
        self.commands = {
            'clickToDialWithTokenAsync': self.click_to_dial_async,
            'clickToDialWithToken': self.click_to_dial,
            'downloadVoiceLog': self.voice_log,
            'ping-session': self.ping_session,
            'login': self.login,
            'force-login': self.force_login,
            'logout': self.logout,
        }

    def serves(self, path: str) -> bool:
        return path in COMMAND_PATHS or path in DACX_PATHS

    def dispatch(self, request: Request) -> Reply:
        if request.path in DACX_PATHS:
            return self.dacx_dispose(request)
        name = request.param('command')
        if wire.blank(name):
            return wire.legacy_error('Invalid command', 'command parameter missing')
        command = self.commands.get(name)
        if command is None:
            return wire.legacy_error('Invalid command', f'Unknown command: {name}')
        raw = (request.form or {}).get('data')
        if raw is None:
            raw = request.param('data')
        if raw is None and isinstance(request.json, dict):
            raw = json.dumps(request.json)
        try:
            data = wire.parse_legacy_data(raw)
        except ValueError as error:
            data = error
        return command(request, data)

    def _session_agent(self, data):
        """The agent of the ``sessionId`` in ``data``, or None."""
        return self.state.session_agent(data.get('sessionId')) if isinstance(data, dict) else None

    # ---- dial ------------------------------------------------------------------------------------

    def click_to_dial_async(self, request: Request, data) -> Reply:
        return self.click_to_dial(request, data, asynchronous=True)

    def click_to_dial(self, request: Request, data, asynchronous: bool = False) -> Reply:
        state = self.state
        if not state.credentials.token_policy_ok(request):
            return wire.legacy_invalid_token()
        if not isinstance(data, dict):
            return wire.legacy_error(
                'Invalid data',
                str(data) if isinstance(data, Exception) else 'data is not an object',
            )
        with state.lock:
            agent = state.agent(data.get('userId'))
            if agent is None:
                return wire.dial_failure('User not found')
            agent_state = state.state_of(agent)
            if agent_state == 'logged_out':
                return wire.dial_failure('User is not logged in')
            if agent_state != 'ready' or state.still_not_ready(agent):
                return wire.dial_failure('User is not in ready state')
            campaign_id = str(data.get('campaignId') or '')
            if campaign_id not in state.campaign_ids_of(agent):
                return wire.dial_failure(f'User is not assigned to campaign {campaign_id}')
            phone = str(data.get('phone') or '').strip()
            if not phone:
                return wire.dial_failure('Phone number is empty')
            if not wire.DIAL_PHONE_RE.match(phone):
                return wire.dial_failure(f'Invalid phone number {phone}')
            refusal = state.customer_record_refusal(campaign_id, data.get('customerRecord'))
            if refusal:
                return wire.dial_failure(refusal)
            state.remember_customer_record(
                request.param('command'),
                agent.user_id,
                campaign_id,
                phone,
                data.get('customerRecord'),
            )

            def dial():
                with state.lock:
                    try:
                        call = state.start_call(
                            agent.user_id, campaign_id, phone, call_type='outbound.manual.dial'
                        )
                    except ValueError as error:
                        # the agent logged out meanwhile: the asynchronous dial fails silently, as
                        # Ameyo's does
                        _logger.info(
                            'asynchronous click-to-dial of %s not connected: %s',
                            agent.user_id,
                            error,
                        )
                        return
                    state.dialed(call)

            if not asynchronous:
                dial()
        return wire.Reply(
            200,
            wire.json_bytes({'result': 'success', 'reason': None}),
            'application/json',
            after=dial if asynchronous else None,
        )

    # ---- voice log, sessions ---------------------------------------------------------------------

    def voice_log(self, request: Request, data) -> Reply:
        state = self.state
        with state.lock:
            if self._session_agent(data) is None:
                if not request.has_token_headers():
                    return wire.html_reply(wire.HTML_LOGIN_PAGE)
                if not state.credentials.token_policy_ok(request):
                    return wire.legacy_invalid_token()
            if not isinstance(data, dict) or wire.blank(data.get('crtObjectId')):
                return wire.Reply(200, b'null', 'application/json')
            return wire.file_reply(
                state.voice_log(data['crtObjectId'], data.get('targetFormat')), data['crtObjectId']
            )

    def ping_session(self, request: Request, data) -> Reply:
        with self.state.lock:
            alive = self._session_agent(data) is not None
        if not alive:
            return wire.legacy_error('Invalid session Id', 'Invalid session Id')
        return wire.json_reply({'alive': True, 'serverTime': wire.now_ms()})

    def login(self, request: Request, data, force: bool = False) -> Reply:
        state = self.state
        if not isinstance(data, dict):
            return wire.legacy_error('Invalid credentials', 'Invalid credentials')
        with state.lock:
            agent = state.agent(data.get('userId'))
            if agent is None or not agent.password_ok(data.get('password') or ''):
                return wire.legacy_error('Invalid credentials', 'Invalid credentials')
            session_id = state.open_session(agent, force=force)
        return wire.json_reply({'sessionId': session_id, 'userId': agent.user_id})

    def force_login(self, request: Request, data) -> Reply:
        return self.login(request, data, force=True)

    def logout(self, request: Request, data) -> Reply:
        if isinstance(data, dict) and data.get('sessionId'):
            self.state.logout(str(data['sessionId']))
        return wire.text_reply('ok')

    # ---- dacx dispose ----------------------------------------------------------------------------

    def dacx_dispose(self, request: Request) -> Reply:
        state = self.state
        param = request.param
        with state.lock:
            agent = state.session_agent(param('sessionId'))
            if agent is None:
                return wire.text_reply('Invalid session Id')
            leg = state.named_leg(agent.user_id, param('crtObjectId'), param('userCrtObjectId'))
            if leg is None:
                return wire.text_reply('Invalid crtObjectId')
            if leg.state == 'disposed':
                return wire.text_reply('Call already disposed')
            code = param('dispositionCode')
            campaign = state.campaign(leg.call['campaignId'])
            if campaign is None or not campaign.has_code(code):
                return wire.text_reply('Disposition code not in plan')
            state.dispose(
                leg,
                code,
                'dacx/dispose',
                attribute=param('dispositionAttr'),
                self_callback=param('selfCallback'),
            )
        return wire.text_reply('Dispose Successfully')

"""What the simulated Ameyo server knows: credentials, campaigns, agents and their sessions, call
legs, voice logs, the requests it received and the faults it was told to play.

Every method takes the state's lock (a reentrant one): an endpoint that checks, then acts, holds
``state.lock`` around both."""

import itertools
import secrets
import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from .wire import (
    HTML_LOGIN_PAGE,
    INTEGER_RE,
    VOICE_LOG_NOT_FOUND,
    Request,
    json_bytes,
    make_mp3,
    make_wav,
    recording_mp3,
    recording_wav,
    to_bytes,
)

AGENT_STATES = ('ready', 'in_call', 'wrap', 'logged_out')
NODE_ID = 'd928'
DEFAULT_CAMPAIGN_TYPE = 'Interactive Voice Application'
CALL_KEYS = (
    'crtObjectId',
    'userCrtObjectId',
    'callId',
    'campaignId',
    'phone',
    'customerId',
    'userId',
    'sessionId',
    'callType',
    'queueId',
    'queueName',
)
SHARED_CALL_KEYS = (
    'crtObjectId',
    'campaignId',
    'phone',
    'customerId',
    'callType',
    'queueId',
    'queueName',
)


@dataclass
class Credentials:
    """What Ameyo checks: the token policy, the dispose token and the admin login."""

    hash_key: str = 'sim-hash-key'
    requesting_host: str = 'odoo.example.com'
    policy_name: str = 'token-based-authorization-policy'
    dispose_token: str = 'sim-dispose-token'
    dispose_token_header: str = 'authorization'
    admin_user_id: str = 'admin'
    admin_password: str = 'admin'

    def token_policy_ok(self, request: Request) -> bool:
        """The three token-policy headers (names in any case) hold exactly the configured values."""
        headers = request.headers
        return (
            headers.get('hash-key') == self.hash_key
            and headers.get('policy-name') == self.policy_name
            and headers.get('requesting-host') == self.requesting_host
        )

    def dispose_token_ok(self, request: Request) -> bool:
        """The dispose token header holds the token (``Bearer`` prefix allowed)."""
        if not self.dispose_token:
            return False
        value = (request.headers.get(self.dispose_token_header) or '').strip()
        if value[:7].lower() == 'bearer ':
            value = value[7:].strip()
        return secrets.compare_digest(value.encode(), self.dispose_token.encode())


@dataclass
class DispositionCode:
    code_id: int
    name: str
    class_id: int

    def as_json(self) -> dict:
        return {
            'dispositionCodeId': self.code_id,
            'dispositionCodeName': self.name,
            'dispositionClassId': self.class_id,
        }


@dataclass
class Campaign:
    campaign_id: str
    name: str
    campaign_type: str
    codes: list[DispositionCode]
    # the key of the campaign's customer table, when it is not phone1
    customer_key: str | None = None

    def has_code(self, name: str | None) -> bool:
        return any(code.name == name for code in self.codes)

    def as_json(self) -> dict:
        campaign_id = (
            int(self.campaign_id) if INTEGER_RE.match(self.campaign_id) else self.campaign_id
        )
        return {
            'campaignId': campaign_id,
            'campaignName': self.name,
            'campaignType': self.campaign_type,
            'description': f'{self.name} (simulated)',
            'processId': 1,
            'contactCenterId': 1,
        }


@dataclass
class Agent:
    user_id: str
    password: str
    campaigns: list[str]
    is_admin: bool = False
    sessions: list[str] = field(default_factory=list)
    # dial requests still answered "not in ready state" after their latest dispose (None: all of
    # them)
    not_ready_dials: int | None = 0

    def password_ok(self, password) -> bool:
        return secrets.compare_digest(str(password).encode(), self.password.encode())


@dataclass
class Leg:
    """One agent leg of a call (keyed by its userCrtObjectId)."""

    call: dict
    state: str  # 'in_call' | 'wrap' | 'disposed'
    seq: int
    dispositions: list[dict] = field(default_factory=list)
    ended_at: float | None = None  # when the agent's part of the call ended (time.time())

    def end(self) -> None:
        """The agent's part of the call ends: they are in wrap until the leg is disposed."""
        if self.state == 'in_call':
            self.state = 'wrap'
            self.ended_at = time.time()

    def as_json(self) -> dict:
        return {
            **self.call,
            'state': self.state,
            'dispositions': [dict(entry) for entry in self.dispositions],
        }


@dataclass
class Fault:
    match: str
    status: int | None
    body: object
    content_type: str | None
    delay: float
    drop: bool
    times: int | None
    carry_out: bool = False
    chunked: bool = False

    def as_json(self) -> dict:
        answer = asdict(self)
        if isinstance(self.body, bytes):
            answer['body'] = self.body.decode('utf-8', 'replace')
        return answer


class SimulatorState:
    """Campaigns, agents, sessions, calls, voice logs, recorded requests and faults, behind one
    lock."""

    def __init__(
        self,
        credentials: Credentials,
        recording_delay: float = 0.0,
        recording_failure_share: float = 0.0,
    ):
        self.credentials = credentials
        # voice logs of the simulator's own calls: how long after a leg ends its recording exists,
        # and which share of calls answer a non-audio 200 instead (reset() restores these values)
        self._recording_defaults = (float(recording_delay), float(recording_failure_share))
        self.lock = threading.RLock()
        # notified when a request is done, a call thrown
        self.changed = threading.Condition(self.lock)
        self._server_hex = secrets.token_hex(4)
        self._counter = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        """Back to an empty state (credentials kept): no campaigns, agents, calls, requests,
        faults."""
        admin = Agent(
            self.credentials.admin_user_id, self.credentials.admin_password, [], is_admin=True
        )
        with self.lock:
            self._campaigns: dict[str, Campaign] = {}
            self._agents: dict[str, Agent] = {admin.user_id: admin}
            self._sessions: dict[str, str] = {}
            self._legs: dict[str, Leg] = {}
            self._voice_logs: dict[str, bytes] = {}
            self.recording_delay, self.recording_failure_share = self._recording_defaults
            self._disposed_request_ids: dict[str, dict] = {}
            self._dial_request_ids: dict[str, dict] = {}
            self._customer_records: list[dict] = []
            self._requests: list[dict] = []
            self._faults: list[Fault] = []
            self._crm: dict | None = None
            self._throws: list[dict] = []
            self._not_ready_after_dispose: int | None = 0

    # ---- campaigns, agents, sessions -------------------------------------------------------------

    def add_campaign(
        self,
        campaign_id,
        name: str,
        dispositions: Iterable = ('Sale', 'Callback'),
        campaign_type: str = DEFAULT_CAMPAIGN_TYPE,
        customer_key: str | None = None,
    ) -> dict:
        """Create (or replace) a campaign. ``dispositions`` are code names, or (name, classId)
        pairs; ``customer_key``: its customer table's key when it is not phone1 (a dial must then
        send a customerRecord with a value for it)."""
        with self.lock:
            codes = []
            for item in dispositions:
                code_name, class_id = (
                    (item, 1) if isinstance(item, str) else (item[0], int(item[1]))
                )
                codes.append(DispositionCode(next(self._counter), code_name, class_id))
            campaign = Campaign(str(campaign_id), name, campaign_type, codes, customer_key or None)
            self._campaigns[campaign.campaign_id] = campaign
            return campaign.as_json()

    def add_agent(self, user_id: str, password: str = 'secret', campaigns: Iterable = ()) -> str:
        """Create (or update) an agent assigned to ``campaigns``, log them in, return their
        sessionId."""
        with self.lock:
            agent = self._agents.get(user_id)
            if agent is None:
                agent = self._agents[user_id] = Agent(user_id, password, [])
            agent.password = password
            agent.campaigns = [str(campaign_id) for campaign_id in campaigns]
            return self.open_session(agent, force=True)

    def login(self, user_id: str, force: bool = True) -> str:
        """Log ``user_id`` in and return the new sessionId; a forced login ends their older
        sessions."""
        with self.lock:
            return self.open_session(self._known_agent(user_id), force=force)

    def logout(self, session_id: str) -> None:
        """Invalidate ``session_id``."""
        with self.lock:
            user_id = self._sessions.pop(session_id, None)
            if user_id in self._agents:
                agent = self._agents[user_id]
                agent.sessions = [sid for sid in agent.sessions if sid != session_id]

    def agent_state(self, user_id: str) -> str:
        """'ready' | 'in_call' | 'wrap' | 'logged_out'."""
        with self.lock:
            return self.state_of(self._known_agent(user_id))

    def latest_session(self, user_id: str | None) -> str | None:
        """The agent's live session (the latest one), or None."""
        with self.lock:
            agent = self._agents.get(user_id)
            return agent.sessions[-1] if agent and agent.sessions else None

    def set_not_ready_after_dispose(self, dials: int | None) -> None:
        """After each dispose, the agent's next ``dials`` dial requests
        (clickToDialWithToken[Async], manualdial) answer "User is not in ready state", as Ameyo does
        while it frees the agent; None: every one until this is set again; 0 (the default): none."""
        if dials is not None and (not isinstance(dials, int) or dials < 0):
            raise ValueError('dials must be a number of dial requests (0 or more) or None')
        with self.lock:
            self._not_ready_after_dispose = dials
            for agent in self._agents.values():
                agent.not_ready_dials = 0

    def still_not_ready(self, agent: Agent) -> bool:
        """Whether the agent is still "not in ready state" after their latest dispose (a dial
        request asks: it counts one)."""
        if agent.not_ready_dials is None:
            return True
        if agent.not_ready_dials > 0:
            agent.not_ready_dials -= 1
            return True
        return False

    # ---- calls -----------------------------------------------------------------------------------

    def start_call(
        self,
        user_id: str,
        campaign_id,
        phone: str,
        customer_id='-1',
        call_type: str = 'inbound.call.dial',
        queue_id=None,
        queue_name=None,
    ) -> dict:
        """Connect a call to a logged-in agent and return the call dict of their leg."""
        with self.lock:
            agent = self._logged_in_agent(user_id)
            if str(campaign_id) not in self._campaigns:
                raise ValueError(f'unknown campaign {campaign_id!r}')
            call = {
                'crtObjectId': f'{NODE_ID}-{self._server_hex}-vce-{next(self._counter)}',
                'campaignId': str(campaign_id),
                'phone': str(phone),
                'customerId': str(customer_id),
                'callType': call_type,
                'queueId': None if queue_id is None else str(queue_id),
                'queueName': queue_name,
            }
            return self._open_leg(agent, call)

    def transfer(self, call: Mapping, to_user_id: str) -> dict:
        """Transfer the call to another agent: the first agent goes to wrap, the receiver gets their
        own leg."""
        with self.lock:
            leg = self._leg_of(call)
            target = self._logged_in_agent(to_user_id)
            leg.end()
            return self._open_leg(target, {key: leg.call[key] for key in SHARED_CALL_KEYS})

    def hangup(self, call: Mapping) -> None:
        """End the call: the agent goes to 'wrap' until the leg is disposed."""
        with self.lock:
            self._leg_of(call).end()

    def dispositions_of(self, call: Mapping) -> list[dict]:
        """The dispositions recorded for that leg: code, attribute, callbackTime, notes, requestId,
        via, ..."""
        with self.lock:
            return [dict(entry) for entry in self._leg_of(call).dispositions]

    def calls(self) -> list[dict]:
        """Every leg, oldest first, with its state and dispositions."""
        with self.lock:
            return [leg.as_json() for leg in self._legs.values()]

    def customer_records(self) -> list[dict]:
        """The customerRecord of every dial Ameyo accepted, oldest first: ``{api, userId,
        campaignId, phone, customerRecord}`` (customerRecord None when the dial sent none)."""
        with self.lock:
            return [dict(entry) for entry in self._customer_records]

    def set_voice_log(self, crt_object_id: str, body=None, fmt: str = 'mp3') -> None:
        """Store the voice log of a call. ``body`` None generates a small valid file of ``fmt``
        ('mp3' or 'wav'); bytes/str are served as given (failure bodies: b'', b'null', HTML,
        JSON)."""
        if body is None:
            if fmt not in ('mp3', 'wav'):
                raise ValueError(f'unknown voice-log format {fmt!r}')
            body = make_mp3() if fmt == 'mp3' else make_wav()
        with self.lock:
            self._voice_logs[crt_object_id] = to_bytes(body)

    # ---- recorded requests and faults ------------------------------------------------------------

    @property
    def requests(self) -> list[dict]:
        """Every recorded request, oldest first (method, path, query, headers, body, form, json,
        status, time)."""
        with self.lock:
            return list(self._requests)

    def requests_for(self, path_substring: str) -> list[dict]:
        """Recorded requests whose path (or ``?command=X`` query) contains ``path_substring``."""
        with self.lock:
            return [record for record in self._requests if path_substring in record['target']]

    def inject(
        self,
        match: str,
        status: int | None = None,
        body=None,
        content_type: str | None = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int | None = 1,
        carry_out: bool = False,
        chunked: bool = False,
    ) -> None:
        """Make the next ``times`` requests whose path or ``?command=`` contains ``match``
        misbehave.

        They wait ``delay`` seconds, then either the connection is dropped without an answer
        (``drop``), or ``status``/``body`` is answered instead of the real answer, or (neither
        given) they are served normally. ``times`` None means forever. Faults are consumed in order.

        ``carry_out``: Ameyo does the work first (the request is served, e.g. the call is disposed),
        then the fault replaces its answer: a proxy that timed out (``status=504``), a connection
        dropped after the work (``drop``), or another shape of the same success (``body``).

        ``chunked``: the forced answer is sent in chunks, without a Content-Length."""
        if times is not None and times < 1:
            raise ValueError('times must be a positive number or None')
        with self.lock:
            self._faults.append(
                Fault(
                    match,
                    status,
                    body,
                    content_type,
                    float(delay),
                    bool(drop),
                    times,
                    bool(carry_out),
                    bool(chunked),
                )
            )

    def wait_for_requests(
        self, path_substring: str, count: int = 1, timeout: float = 10.0
    ) -> list[dict]:
        """Wait until ``count`` requests matching ``path_substring`` (as requests_for) are done:
        answered or dropped, after any delay a fault gave them, and their asynchronous work run.
        Return them; raise TimeoutError when they are not done within ``timeout`` seconds."""

        def done():
            return [record for record in self.requests_for(path_substring) if record['done']]

        with self.changed:
            if not self.changed.wait_for(lambda: len(done()) >= count, timeout=timeout):
                raise TimeoutError(
                    f'{len(done())} of {count} requests to {path_substring!r} done in {timeout} s'
                )
            return done()

    def request_done(self, record: dict) -> None:
        """The recorded request was answered or dropped, its asynchronous work run."""
        with self.changed:
            record['done'] = True
            self.changed.notify_all()

    def clear_faults(self) -> None:
        """Forget every injected fault."""
        with self.lock:
            self._faults.clear()

    def take_fault(self, target: str) -> Fault | None:
        """The first fault matching the request ``target``, consumed once."""
        with self.lock:
            for fault in self._faults:
                if fault.match in target:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def record(self, request: Request, target: str) -> dict:
        """Record ``request``; return the record (``status`` is set once answered, ``done`` once
        dealt with)."""
        record = {
            'method': request.method,
            'path': request.path,
            'query': request.query,
            'headers': dict(request.headers.items()),
            'body': request.body,
            'form': request.form,
            'json': request.json,
            'status': None,
            'time': time.time(),
            'target': target,
            'done': False,
        }
        with self.lock:
            self._requests.append(record)
        return record

    # ---- dialed calls thrown back at Odoo --------------------------------------------------------

    def set_crm(
        self,
        odoo_url: str | None,
        sso_url: str | None = None,
        ring: float = 1.0,
        cookies: dict | None = None,
        login: bool = False,
    ) -> None:
        """Throw the customer URL of every dialed call at ``odoo_url`` (``http://host:port``) after
        ``ring`` seconds. ``sso_url``: log the agent in there first and append their crmSessionId;
        ``login``: log the agent in to Odoo's login page first (their Ameyo userId and password as
        Odoo login and password) and send their Odoo session cookie, as their browser in the
        session-cookie mode; ``cookies``: sent along, as the agent's browser would. None stops the
        throws."""
        with self.lock:
            self._crm = (
                {
                    'odoo_url': odoo_url.rstrip('/'),
                    'sso_url': sso_url,
                    'ring': float(ring),
                    'cookies': dict(cookies or {}),
                    'login': bool(login),
                }
                if odoo_url
                else None
            )

    def crm(self) -> dict | None:
        """Where dialed calls are thrown (set_crm), or None."""
        with self.lock:
            return dict(self._crm) if self._crm else None

    def wait_for_throws(self, count: int, timeout: float = 30.0) -> list[dict]:
        """Wait until ``count`` dialed calls were thrown at Odoo (or ``timeout``); return every
        throw: ``{userId, crtObjectId, phone, status, location, error}``."""
        with self.changed:
            self.changed.wait_for(lambda: len(self._throws) >= count, timeout=timeout)
            return [dict(entry) for entry in self._throws]

    def record_throw(self, entry: dict) -> None:
        with self.changed:
            self._throws.append(entry)
            self.changed.notify_all()

    # ---- state dump ------------------------------------------------------------------------------

    def state(self) -> dict:
        """A JSON-able dump of everything (session ids included: this is a test double)."""
        with self.lock:
            return {
                'campaigns': [
                    {
                        **campaign.as_json(),
                        'dispositions': [code.as_json() for code in campaign.codes],
                    }
                    for campaign in self._campaigns.values()
                ],
                'agents': [
                    {
                        'userId': agent.user_id,
                        'state': self.state_of(agent),
                        'isAdmin': agent.is_admin,
                        'campaigns': self.campaign_ids_of(agent),
                        'sessions': list(agent.sessions),
                    }
                    for agent in self._agents.values()
                ],
                'sessions': dict(self._sessions),
                'calls': [leg.as_json() for leg in self._legs.values()],
                'voiceLogs': sorted(self._voice_logs),
                'faults': [fault.as_json() for fault in self._faults],
            }

    # ---- for the endpoints (they hold the lock around a check and what follows it) ---------------

    def agent(self, user_id: str | None) -> Agent | None:
        return self._agents.get(user_id or '')

    def session_agent(self, session_id: str | None) -> Agent | None:
        """The agent whose live session is ``session_id``, or None."""
        user_id = self._sessions.get(session_id or '')
        return self._agents.get(user_id) if user_id else None

    def campaign(self, campaign_id: str | None) -> Campaign | None:
        return self._campaigns.get(campaign_id)

    def campaign_ids_of(self, agent: Agent) -> list[str]:
        """The campaigns the agent may work on (every campaign for an admin)."""
        if agent.is_admin:
            return list(self._campaigns)
        return [campaign_id for campaign_id in agent.campaigns if campaign_id in self._campaigns]

    def state_of(self, agent: Agent) -> str:
        if not agent.sessions:
            return 'logged_out'
        states = {leg.state for leg in self._legs.values() if leg.call['userId'] == agent.user_id}
        if 'in_call' in states:
            return 'in_call'
        return 'wrap' if 'wrap' in states else 'ready'

    def open_session(self, agent: Agent, force: bool) -> str:
        """A new session of ``agent``; a forced login ends their older ones."""
        if force:
            for session_id in agent.sessions:
                self._sessions.pop(session_id, None)
            agent.sessions = []
        session_id = (
            f'{NODE_ID}-{self._server_hex}-ses-{agent.user_id}-{secrets.token_hex(3)}-'
            f'{next(self._counter)}'
        )
        agent.sessions.append(session_id)
        self._sessions[session_id] = agent.user_id
        return session_id

    def current_leg(self, user_id: str) -> Leg | None:
        """The agent's most recent leg that is not disposed."""
        open_legs = [
            leg
            for leg in self._legs.values()
            if leg.call['userId'] == user_id and leg.state != 'disposed'
        ]
        return max(open_legs, key=lambda leg: leg.seq) if open_legs else None

    def named_leg(
        self, user_id: str, crt_object_id: str | None, user_crt_object_id: str | None
    ) -> Leg | None:
        """The agent's latest leg of the call ``crt_object_id`` (that agent leg when named), or
        None."""
        legs = [
            leg
            for leg in self._legs.values()
            if crt_object_id
            and leg.call['crtObjectId'] == crt_object_id
            and leg.call['userId'] == user_id
            and (not user_crt_object_id or leg.call['userCrtObjectId'] == user_crt_object_id)
        ]
        return max(legs, key=lambda leg: leg.seq) if legs else None

    def dispose(
        self,
        leg: Leg,
        code: str,
        via: str,
        attribute=None,
        callback_time=None,
        self_callback=None,
        notes=None,
        request_id=None,
    ) -> dict:
        """Dispose ``leg`` with ``code`` (received through the API ``via``); remember its
        requestId."""
        entry = {
            'code': code,
            'attribute': attribute if attribute is not None else callback_time,
            'callbackTime': callback_time,
            'selfCallback': self_callback,
            'notes': notes,
            'requestId': request_id,
            'via': via,
            'time': time.time(),
            'replays': 0,
        }
        leg.dispositions.append(entry)
        leg.state = 'disposed'
        agent = self._agents.get(leg.call['userId'])
        if agent is not None:
            agent.not_ready_dials = self._not_ready_after_dispose
        leg.ended_at = leg.ended_at or time.time()
        if request_id:
            self._disposed_request_ids[request_id] = entry
        return entry

    def replayed_dispose(self, request_id) -> bool:
        """Whether ``request_id`` already disposed a leg (then the replay is counted on it)."""
        entry = self._disposed_request_ids.get(request_id) if request_id else None
        if entry is not None:
            entry['replays'] += 1
        return entry is not None

    def customer_record_refusal(self, campaign_id: str, customer_record) -> str | None:
        """Why a dial in ``campaign_id`` with ``customer_record`` is refused, or None: a
        customerRecord that is not an object of strings, or a campaign keyed on another field than
        phone1 without a value for it."""
        if customer_record is not None and not (
            isinstance(customer_record, dict)
            and all(
                isinstance(key, str) and isinstance(value, str)
                for key, value in customer_record.items()
            )
        ):
            return 'customerRecord must be an object of string values'
        with self.lock:
            campaign = self._campaigns.get(str(campaign_id))
            key = campaign.customer_key if campaign else None
        if key and not (customer_record or {}).get(key, '').strip():
            return (
                f'customerRecord has no value for {key}, the primary key of campaign {campaign_id}'
            )
        return None

    def remember_customer_record(
        self, api: str, user_id: str, campaign_id: str, phone: str, customer_record
    ) -> None:
        with self.lock:
            self._customer_records.append(
                {
                    'api': api,
                    'userId': user_id,
                    'campaignId': str(campaign_id),
                    'phone': phone,
                    'customerRecord': customer_record,
                }
            )

    def dial_result(self, request_id) -> dict | None:
        """The answer a dial with ``request_id`` got, or None."""
        return self._dial_request_ids.get(request_id) if request_id else None

    def remember_dial(self, request_id, result: dict) -> None:
        if request_id:
            self._dial_request_ids[request_id] = result

    def voice_log(self, crt_object_id: str, target_format=None) -> bytes:
        """The voice log of the call: the one ``set_voice_log`` stored, else the simulator's own
        recording of it (see the package docstring), else an empty body."""
        body = self._voice_logs.get(crt_object_id)
        return self._own_recording(crt_object_id, target_format) if body is None else body

    def _own_recording(self, crt: str, target_format=None) -> bytes:
        """The simulator's recording of call ``crt``, or the non-audio body Ameyo answers
        instead."""
        legs = [leg for leg in self._legs.values() if leg.call['crtObjectId'] == crt]
        if not legs:
            return b''
        not_found = json_bytes({'message': VOICE_LOG_NOT_FOUND % crt})
        ended = [leg.ended_at for leg in legs]
        if None in ended or time.time() < max(ended) + self.recording_delay:
            return not_found  # Ameyo writes the file after the call
        pick = zlib.crc32(crt.encode())
        if pick % 1000 < self.recording_failure_share * 1000:
            return (b'', b'null', HTML_LOGIN_PAGE.encode(), not_found)[(pick // 1000) % 4]
        return recording_wav() if str(target_format or 'wav').lower() == 'wav' else recording_mp3()

    # ---- internals -------------------------------------------------------------------------------

    def _known_agent(self, user_id: str) -> Agent:
        agent = self._agents.get(user_id)
        if agent is None:
            raise ValueError(f'unknown Ameyo user {user_id!r}')
        return agent

    def _logged_in_agent(self, user_id: str) -> Agent:
        agent = self._known_agent(user_id)
        if not agent.sessions:
            raise ValueError(f'Ameyo user {user_id!r} is logged out')
        return agent

    def _open_leg(self, agent: Agent, shared: dict) -> dict:
        session_id = agent.sessions[-1]
        n = next(self._counter)
        call = dict(
            shared,
            userCrtObjectId=f'{session_id}-uce-webrtc_{agent.user_id}-{n}',
            callId=f'{NODE_ID}-{self._server_hex}-vcall-{n}',
            userId=agent.user_id,
            sessionId=session_id,
        )
        call = {key: call[key] for key in CALL_KEYS}
        self._legs[call['userCrtObjectId']] = Leg(call, 'in_call', n)
        return dict(call)

    def _leg_of(self, call: Mapping) -> Leg:
        leg = self._legs.get(call.get('userCrtObjectId'))
        if leg is None:
            raise ValueError(f'unknown call leg {call.get("userCrtObjectId")!r}')
        return leg

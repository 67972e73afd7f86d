"""The Ameyo APIs Odoo calls, one method each: what the request looks like, which credentials it
carries, whether a resend is safe, and which answer means done. The requests go through the client's
one
:class:`~.transport.AmeyoTransport`; the answers are read by its :class:`~.answers.AnswerReader`.
"""

import json
import logging
import uuid

from .answers import AnswerReader, answers_like_ameyo
from .errors import AmeyoError
from .transport import AmeyoTransport

_logger = logging.getLogger(__name__)

# Public samples keep requestId within 21 characters (reference 1.5).
REQUEST_ID_LENGTH = 20
# Default size cap of a voice log (the server record sets its own).
MAX_VOICE_LOG_BYTES = 64 * 1024 * 1024
# What the probes of "Test connection" send: a session and a call that cannot exist, so nothing can
# be touched.
PROBE_SESSION_ID = 'crm-ameyo-test'
PROBE_CALL_ID = 'crm-ameyo-connection-test'
# The Ameyo user the dispose-token probe names: no agent has it, so disposeCallForUser finds no call
# to dispose.
PROBE_USER_ID = 'crm-ameyo-connection-test-nobody'
# Where the first probe of "Test connection" asks, by API flavour (appended to the base URL).
PROBE_PATHS = {
    'legacy': '/ameyowebaccess/command',
    'rest': '/ameyorestapi/cc/campaigns/getAssigned',
}


def new_request_id():
    """Return a fresh requestId: 20 hex characters, unique enough, within Ameyo's 21."""
    return uuid.uuid4().hex[:REQUEST_ID_LENGTH]


class AmeyoClient:
    """Calls one Ameyo server, as its ``ameyo.server`` record configures.

    Build it with ``server._get_ameyo_client()``: the record is read with sudo
    by the server model (the secrets are for system admins only), after the
    caller authenticated whoever it acts for.
    """

    def __init__(self, server):
        self.transport = AmeyoTransport(server)
        self.answers = AnswerReader(self.transport)
        self.env = server.env
        self.server = server

    # ------------------------------------------------------------------
    # Sessions
    # ------------------------------------------------------------------

    def login(self, user_id, password):
        """Log ``user_id`` in to Ameyo and return their new ``sessionId``."""
        label = self.env._("login")
        self.transport.add_secret(password)
        if self.server.api_flavour == 'legacy':
            response = self.transport.send(
                'login',
                'POST',
                '/ameyowebaccess/command',
                params={'command': 'login'},
                form={'data': json.dumps({'userId': user_id, 'password': password})},
                idempotent=True,
            )
            data = self.answers.expect_json(label, response, dict)
            session_id = data.get('sessionId')
        else:
            response = self.transport.send(
                'login',
                'POST',
                '/ameyorestapi/userLogin/login',
                idempotent=True,
                json_body={'userId': user_id, 'token': password, 'forceLogin': True},
            )
            data = self.answers.expect_json(label, response, dict)
            session_id = (data.get('userSessionInfo') or {}).get('sessionId') or data.get(
                'sessionId'
            )
        if not session_id:
            raise AmeyoError(
                self.env._(
                    "Ameyo accepted the login of %(user)s but returned no session id.", user=user_id
                ),
                kind='bad_response',
            )
        self.transport.add_secret(session_id)
        return session_id

    def logout(self, session_id):
        """End an Ameyo session; failures are logged, never raised (the session expires anyway)."""
        self.transport.add_secret(session_id)
        try:
            if self.server.api_flavour == 'legacy':
                self.transport.send(
                    'logout',
                    'POST',
                    '/ameyowebaccess/command',
                    params={'command': 'logout'},
                    form={'data': json.dumps({'sessionId': session_id})},
                )
            else:
                self.transport.send(
                    'logout',
                    'POST',
                    '/ameyorestapi/session/userLogout',
                    headers={'sessionId': session_id},
                )
        except AmeyoError as error:
            _logger.info("Ameyo logout on server %s failed: %s", self.server.id, error.kind)

    def ping_session(self, session_id):
        """Return True when ``session_id`` is a live Ameyo session (legacy ``ping-session``)."""
        self.transport.add_secret(session_id)
        response = self.transport.send(
            'ping-session',
            'POST',
            '/ameyowebaccess/command',
            params={'command': 'ping-session'},
            form={'data': json.dumps({'sessionId': session_id, 'sessionPushSeqNo': '0'})},
            idempotent=True,
        )
        if (
            response.status == 200
            and isinstance(response.data, dict)
            and response.data.get('alive') is True
        ):
            return True
        if (
            response.status == 200
            and isinstance(response.data, dict)
            and response.data.get('status') == 'error'
        ):
            return False
        self.answers.fail(self.env._("session check"), response)

    # ------------------------------------------------------------------
    # Configuration reads (REST, with a session)
    # ------------------------------------------------------------------

    def get_assigned_campaigns(self, session_id):
        """Return ``[{campaignId, campaignName, campaignType, ...}]`` assigned to the session's
        user."""
        response = self.transport.send(
            'campaigns',
            'GET',
            '/ameyorestapi/cc/campaigns/getAssigned',
            headers={'sessionId': session_id},
            idempotent=True,
        )
        if (
            response.status == 512
            and isinstance(response.data, dict)
            and response.data.get('message') == 'user.not.assigned.to.any.campaign'
        ):
            return []
        return self.answers.expect_json(self.env._("the campaign list"), response, list)

    def get_disposition_codes(self, session_id, campaign_id):
        """Return ``[{dispositionCodeId, dispositionCodeName, dispositionClassId}]`` of a
        campaign."""
        response = self.transport.send(
            'disposition codes',
            'GET',
            '/ameyorestapi/cc/dispositionCodes/getByCampaign',
            headers={'sessionId': session_id},
            idempotent=True,
            params={'campaignId': campaign_id, 'info': 'false'},
        )
        return self.answers.expect_json(
            self.env._("the disposition plan of campaign %s", campaign_id), response, list
        )

    # ------------------------------------------------------------------
    # Dispose
    # ------------------------------------------------------------------

    def dispose_call_for_user(
        self,
        user_id,
        disposition_code,
        *,
        request_id,
        notes=None,
        callback_time=None,
        self_callback=False,
        phone=None,
    ):
        """REST ``disposeCallForUser``: dispose whatever call ``user_id`` is on.

        The body is the integration guide's sample: ``dispositionParams`` always carries
        ``isSelfCallback`` (the strings ``"true"``/``"false"``, or JSON booleans where the server's
        *Self-Callback Spelling* says so), ``callbackTime`` (``""`` when none) and ``phone``. It
        names no call, so it is never retried here: a retry after Ameyo's wrap timeout would dispose
        the agent's next call. The caller owns that decision.
        """
        server = self.server
        if not server.dispose_token:
            raise AmeyoError(
                self.env._(
                    "The Ameyo server %(server)s has no dispose authorization token.",
                    server=server.name,
                ),
                kind='auth',
                sent=False,
            )
        params = {
            'isSelfCallback': self_callback_value(server, self_callback),
            'callbackTime': callback_time or '',
            'phone': phone or '',
        }
        body = {
            'userId': user_id,
            'dispositionCodeName': disposition_code,
            'dispositionParams': params,
            'requestId': request_id,
            'notes': notes or '',
        }
        response = self.transport.send(
            'disposeCallForUser',
            'POST',
            '/ameyorestapi/voice/disposeCallForUser',
            headers={server.dispose_token_header or 'authorization': server.dispose_token},
            json_body=body,
        )
        self.answers.expect_done(self.env._("the dispose"), response, names_call=False)

    def dispose_legacy(
        self,
        *,
        session_id,
        campaign_id,
        crt_object_id,
        user_crt_object_id,
        disposition_code,
        phone=None,
        customer_id='-1',
        disposition_attribute=None,
        self_callback=None,
        user_id=None,
    ):
        """Legacy ``GET /dacx/dispose``: names the call, so a transient failure is retried."""
        self.transport.add_secret(session_id)
        params = {
            'phone': phone or '',
            'campaignId': campaign_id,
            'crtObjectId': crt_object_id,
            'userCrtObjectId': user_crt_object_id,
            'customerId': customer_id or '-1',
            'dispositionCode': disposition_code,
            'sessionId': session_id,
        }
        if disposition_attribute:
            params['dispositionAttr'] = disposition_attribute
        if self_callback is not None:
            params['selfCallback'] = 'true' if self_callback else 'false'
        if user_id:
            params['userId'] = user_id
        response = self.transport.send(
            'dacx/dispose', 'GET', '/dacx/dispose', params=params, idempotent=True
        )
        self.answers.expect_done(self.env._("the dispose"), response, names_call=True)

    def dispose_and_manual_dial(
        self,
        *,
        session_id,
        campaign_id,
        crt_object_id,
        user_crt_object_id,
        disposition_code,
        phone,
        request_id,
        customer_id='-1',
    ):
        """REST ``disposeAndManualDial``: dispose the named call and dial ``phone``.

        It dials, so it is never retried here once it may have reached Ameyo (a read timeout, a
        dropped connection, a gateway's 502/503/504): a resend could dial the customer twice. Such a
        failure, or an answer Odoo does not know, leaves the outcome unknown; the caller never
        resends it on its own.
        """
        body = {
            'campaignContextId': _as_number(campaign_id),
            self.server._get_agent_leg_json_key(): user_crt_object_id,
            'crtObjectId': crt_object_id,
            'dispositionCode': disposition_code,
            'phone': phone,
            'customerId': str(customer_id or '-1'),
            'requestId': request_id,
        }
        response = self.transport.send(
            'disposeAndManualDial',
            'POST',
            '/ameyorestapi/voice/disposeAndManualDial',
            headers={'sessionId': session_id},
            json_body=body,
        )
        # names the call, but also dials: an answer Odoo does not know may hide a dial under way
        self.answers.expect_done(self.env._("the dispose and redial"), response, names_call=False)

    # ------------------------------------------------------------------
    # Dial
    # ------------------------------------------------------------------

    def manual_dial(
        self,
        *,
        session_id,
        campaign_id,
        phone,
        request_id,
        user_crt_object_id=None,
        customer_id=-1,
        additional_params=None,
        customer_record=None,
    ):
        """REST ``manualdial`` with the agent's session. Not retried: a retry could dial twice.

        Return Ameyo's answer (a dict; it may name the call's ``crtObjectId``).
        """
        self.transport.add_secret(session_id)
        body = {
            'campaignId': _as_number(campaign_id),
            'phone': phone,
            'customerId': customer_id,
            'shouldAddCustomer': True,
            'requestId': request_id,
            'additionalParams': additional_params,
        }
        if customer_record:
            body['customerRecord'] = customer_record
        if user_crt_object_id:
            body[self.server._get_agent_leg_json_key()] = user_crt_object_id
        response = self.transport.send(
            'manualdial',
            'POST',
            '/ameyorestapi/voice/manualdial',
            headers={'sessionId': session_id},
            json_body=body,
        )
        return self.answers.expect_dial(self.env._("the dial request"), response)

    def click_to_dial(
        self,
        *,
        user_id,
        campaign_id,
        phone,
        asynchronous=True,
        additional_params=None,
        customer_record=None,
        should_add_customer=False,
    ):
        """``clickToDialWithTokenAsync`` (JSON body, as the vendor's sample) or the confirmed
        synchronous ``clickToDialWithToken`` (form field ``data``), with the token-policy headers.
        Not retried."""
        command = 'clickToDialWithTokenAsync' if asynchronous else 'clickToDialWithToken'
        data = {
            'userId': user_id,
            'campaignId': str(campaign_id),
            'phone': phone,
            'shouldAddCustomer': bool(should_add_customer),
        }
        if additional_params:
            data['additionalParams'] = additional_params
        if customer_record:
            data['customerRecord'] = customer_record
        if asynchronous:
            payload = {'json_body': data}
        else:
            payload = {'form': {'data': json.dumps(data)}}
        response = self.transport.send(
            command,
            'POST',
            '/ameyowebaccess/command/',
            params={'command': command},
            headers=self.transport.token_headers(),
            **payload,
        )
        return self.answers.expect_dial(self.env._("the dial request"), response)

    # ------------------------------------------------------------------
    # Recordings
    # ------------------------------------------------------------------

    def download_voice_log(
        self,
        crt_object_id,
        *,
        target_format='mp3',
        campaign_id=None,
        call_id=None,
        session_id=None,
        api=None,
        max_bytes=None,
    ):
        """Return the recording of a call as ``(bytes, mimetype)``.

        ``api`` is ``'rest'`` (``GET /ameyorestapi/cc/downloadVoiceLog``: the agent's ``session_id``
        in the ``sessionId`` header, else the token-policy headers) or ``'webaccess'`` (the
        integration guide's ``GET /ameyowebaccess/command?command=downloadVoiceLog``: the
        token-policy headers, else the agent's session in ``data``); by default REST when a session
        is given. The body is streamed within ``max_bytes`` (default ``MAX_VOICE_LOG_BYTES``) and
        the server's timeout. A download that may have reached Ameyo is not resent here (a slow
        voice-log server would hold the worker for three timeouts): the caller's backoff asks again.
        Ameyo answers failures with HTTP 200 and a non-audio body (empty, ``null``, an HTML login
        page, JSON): the bytes are checked, not the ``Content-Type``, before anything is returned
        (:meth:`~.answers.AnswerReader.expect_audio`).
        """
        api = api or ('rest' if session_id else 'webaccess')
        max_bytes = max_bytes or MAX_VOICE_LOG_BYTES
        self.transport.add_secret(session_id)
        if api == 'rest':
            params = {'crtObjectId': crt_object_id, 'targetFormat': target_format}
            if campaign_id:
                params['campaignId'] = campaign_id
            if call_id:
                params['filters'] = json.dumps({'callId': call_id})
            headers = {'sessionId': session_id} if session_id else self.transport.token_headers()
            response = self.transport.send(
                'downloadVoiceLog',
                'GET',
                '/ameyorestapi/cc/downloadVoiceLog',
                headers=headers,
                params=params,
                max_bytes=max_bytes,
            )
        else:
            data = {'crtObjectId': crt_object_id, 'targetFormat': target_format}
            headers = None
            if self.server.hash_key or not session_id:
                headers = self.transport.token_headers()
            else:
                data['sessionId'] = session_id
            response = self.transport.send(
                'downloadVoiceLog',
                'GET',
                '/ameyowebaccess/command',
                params={'command': 'downloadVoiceLog', 'data': json.dumps(data)},
                headers=headers,
                max_bytes=max_bytes,
            )
        return self.answers.expect_audio(crt_object_id, response)

    # ------------------------------------------------------------------
    # Probes of "Test connection" (ameyo.server says what they mean for the admin)
    # ------------------------------------------------------------------

    def probe_server(self):
        """One unauthenticated read with a session that cannot exist: the legacy ``ping-session`` or
        the REST campaign list (at ``PROBE_PATHS``), as the server's flavour says. Return
        ``(answers_like_ameyo, http_status)``: whether the answer has a shape only Ameyo gives, and
        a status other than 404 (Ameyo knows these APIs: a 404, whatever its body, says there is
        none at that path, e.g. a base URL whose path doubles Ameyo's). Raise :class:`AmeyoError`
        when the server cannot be reached (not sent again: the admin clicks again)."""
        flavour = self.server.api_flavour
        if flavour == 'legacy':
            probe = json.dumps({'sessionId': PROBE_SESSION_ID, 'sessionPushSeqNo': '0'})
            response = self.transport.send(
                'ping-session',
                'POST',
                PROBE_PATHS[flavour],
                params={'command': 'ping-session'},
                form={'data': probe},
            )
        else:
            response = self.transport.send(
                'campaigns', 'GET', PROBE_PATHS[flavour], headers={'sessionId': PROBE_SESSION_ID}
            )
        return response.status != 404 and answers_like_ameyo(response, flavour), response.status

    def probe_token_policy(self):
        """Ask for the recording of a call that cannot exist with the token-policy headers; raise
        the
        :class:`AmeyoError` of :meth:`download_voice_log` (``refused``: Ameyo accepted the headers
        and has no such recording; ``auth``: it rejected them)."""
        self.download_voice_log(PROBE_CALL_ID, api='webaccess')

    def probe_rest_voice_log(self):
        """Ask the REST voice-log download for a call that cannot exist with a session that cannot
        exist; return the answer's HTTP status (Ameyo refuses the session: the API is there; 404: it
        is not). Raise the
        :class:`AmeyoError` of a server that cannot be reached."""
        response = self.transport.send(
            'downloadVoiceLog',
            'GET',
            '/ameyorestapi/cc/downloadVoiceLog',
            headers={'sessionId': PROBE_SESSION_ID},
            params={'crtObjectId': PROBE_CALL_ID, 'targetFormat': 'mp3'},
            max_bytes=64 * 1024,
        )
        return response.status

    def probe_dispose_token(self):
        """``disposeCallForUser`` for a user that cannot exist (``PROBE_USER_ID``), with the dispose
        token: no call can be disposed. Return ``(accepted, reason)``: whether Ameyo took the token
        (it answered about the user or the call), and its words. Raise the :class:`AmeyoError` of a
        server that cannot be reached."""
        server = self.server
        body = {
            'userId': PROBE_USER_ID,
            'dispositionCodeName': PROBE_CALL_ID,
            'requestId': new_request_id(),
            'notes': '',
            'dispositionParams': {
                'isSelfCallback': self_callback_value(server, False),
                'callbackTime': '',
                'phone': '',
            },
        }
        response = self.transport.send(
            'disposeCallForUser',
            'POST',
            '/ameyorestapi/voice/disposeCallForUser',
            headers={server.dispose_token_header or 'authorization': server.dispose_token},
            json_body=body,
        )
        reason = self.answers.reason(response) or ''
        lowered = reason.lower()
        rejected = response.status in (401, 403, 404) or 'token' in lowered or 'session' in lowered
        return not rejected, reason or str(response.status)

    def probe_dacx_dispose(self):
        """``GET /dacx/dispose`` naming a call that cannot exist with a session that cannot exist:
        nothing can be disposed. Return the answer's HTTP status (Ameyo refuses the session: the API
        is there; 404: it is not)."""
        response = self.transport.send(
            'dacx/dispose',
            'GET',
            '/dacx/dispose',
            params={
                'sessionId': PROBE_SESSION_ID,
                'crtObjectId': PROBE_CALL_ID,
                'userCrtObjectId': PROBE_CALL_ID,
                'campaignId': '-1',
                'customerId': '-1',
                'dispositionCode': PROBE_CALL_ID,
                'phone': '',
            },
        )
        return response.status


def self_callback_value(server, self_callback):
    """``isSelfCallback`` as the server spells it: the guide's strings ``"true"``/``"false"``, or
    JSON booleans."""
    if server.self_callback_spelling == 'boolean':
        return bool(self_callback)
    return 'true' if self_callback else 'false'


def _as_number(value):
    """Ameyo wants numeric campaign ids as numbers in JSON bodies; keep anything else as it is."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value

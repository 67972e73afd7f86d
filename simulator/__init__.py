"""A loopback HTTP double of the Ameyo contact-center server, for tests and demos.

It answers the Ameyo APIs the ``crm_ameyo`` addon calls with the headers, body shapes, casing and
failure shapes described in ``reference/ameyo_api.md``; it keeps agent state (ready / in_call /
wrap / logged_out) and it can play the agent's embedded browser, throwing the knowledge-base,
customer, preview and dispose URLs at Odoo as Ameyo does. Standard library only; it never imports
Odoo and it refuses to listen anywhere but on loopback; with an ``ssl_context`` it serves HTTPS.

Endpoints (every request to them is recorded, including the rejected ones):

REST, ``/ameyorestapi/...`` (JSON bodies; errors use ``RESTAPIErrorResponseEntity``
``{"message", "code", "info", "status"}``)
    ``POST voice/disposeCallForUser``, ``POST voice/disposeAndManualDial``, ``POST
    voice/manualdial``, ``GET cc/dispositionCodes/getByCampaign``, ``GET cc/campaigns/getAssigned``,
    ``GET cc/downloadVoiceLog``, ``POST userLogin/login``, ``POST session/userLogin``, ``POST
    session/userLogout``.
Legacy, ``/ameyowebaccess/command[/]?command=<name>`` (form field ``data`` = JSON, or ``&data=``)
    ``clickToDialWithTokenAsync``, ``clickToDialWithToken``, ``downloadVoiceLog``, ``ping-session``,
    ``login``, ``force-login``, ``logout``.
Legacy dispose, ``GET /dacx/dispose[/]``.
Control API, ``/__sim__/...`` (no auth, loopback only, neither recorded nor subject to faults).

Modules, one a concern: ``state`` (credentials, campaigns, agents and sessions, call legs, voice
logs, recorded requests, faults), ``rest`` and ``legacy`` (the endpoints), ``control`` (the control
API), ``browser`` (Ameyo calling the CRM: lifecycle URLs, SSO), ``server`` (the simulator object,
HTTP and TLS, faults), ``cli`` (``python3 -m simulator serve|throw``, run from the addon's folder)
and ``wire`` (requests, replies, Ameyo's answer shapes and bodies). What tests use is exported here.

The simulator's reading where the reference is silent:

* Token policy (``hash-key``, ``policy-name``, ``requesting-host``; header names case-insensitive,
  values compared exactly). On REST a failure is ``403 {"message": null, "code": 99999,
  "info": "invalid.authentication.token", "status": 403}`` (the 401 variant only exists in Ameyo's
  ``secure.mode``). On ``/ameyowebaccess/command`` it is HTTP 200 ``{"status": "error",
  "reason": "Invalid token", "details": "hash-key, policy-name or requesting-host rejected"}``,
  the legacy API's usual error object. Legacy ``downloadVoiceLog`` sent with neither token headers
  nor a live ``sessionId`` in ``data`` answers 200 with an HTML login page, as the reference
  reports for requests without a session.
* ``disposeCallForUser``: a ``sessionId`` header that is sent but dead gives ``invalid.session.id``;
  a missing or wrong dispose token (and no session) gives ``invalid.authentication.token``. An agent
  session may only dispose for its own userId (the admin session for anyone), else
  ``invalid.session.id``. requestIds are remembered only for successful disposals: a replay answers
  success again and counts ``replays`` on the recorded disposition.
* A forced login (REST ``forceLogin``, legacy ``force-login``, ``sim.login``) ends the user's
  older sessions, as Ameyo does; plain legacy ``login`` keeps them.
* Dispositions are matched exactly (case-sensitive) against the campaign plan of the leg.
* The "current leg" of an agent is their most recent leg that is not disposed. ``sim.start_call``
  does not refuse a busy agent (tests may want overlapping legs); the HTTP dial APIs do.
* A transferred leg keeps the crtObjectId, customer, campaign, queue and callType of the original
  call and gets its own userCrtObjectId and callId.
* ``downloadVoiceLog`` serves what ``set_voice_log`` stored whatever ``targetFormat`` asks. A call
  without one is recorded by the simulator itself: ``recording_delay`` seconds after the agent's
  leg ended (hang-up, transfer or dispose) it serves a 3-second tone, a WAV it generates
  (``targetFormat=wav``) or the MP3 fixture ``voice_log.mp3`` (made with LAME: 8 kHz mono, 16
  kbit/s CBR); before that, and while the call lasts, it answers JSON ``{"message": "Voice log
  could not be found ..."}``. A share ``recording_failure_share`` (0 to 1) of the calls, picked by a
  hash of the crtObjectId, answer one of Ameyo's non-audio 200 shapes instead: an empty body,
  ``null``, the HTML login page or that JSON message.
* ``getByCampaign`` on a campaign the session may not see (unknown, or not assigned) is the 403
  ``invalid.session.id`` the reference reports per campaign.
* The dial APIs (``manualdial``, ``clickToDialWithToken[Async]``) answer failures as
  ``{"result": "failed", "reason": ...}`` (the vendor guide's "success or failed"): ``User not
  found``, ``User is not logged in``, ``User is not in ready state`` (busy), ``User is not assigned
  to campaign <id>``, ``Phone number is empty``, ``Invalid phone number <n>`` (other than digits
  with an optional leading +, 3 to 16 digits). A dead ``sessionId`` on ``manualdial`` is the REST
  ``invalid.session.id``.
* A dial puts the agent in a call at once (no ringing state). When the simulator knows Odoo's URL
  (``set_crm``, ``serve --odoo``, ``POST /__sim__/crm``), it throws the customer URL of the dialed
  call at Odoo after a short ring (``callType=outbound.manual.dial``), as the agent's browser would;
  with ``sso_url`` it first logs the agent in to Odoo's SSO API with their Ameyo password and
  appends the ``crmSessionId`` it got; with ``login`` (``serve --login``, what ``scripts/run.sh``
  does for the demo's session-cookie mode) it logs them in on Odoo's login page (their Ameyo userId
  and password) and sends the session cookie, as the agent's browser does once they logged in to
  Odoo. ``wait_for_throws`` waits for those throws and returns what Odoo answered.
* After a dispose Ameyo may take a moment to free the agent: ``set_not_ready_after_dispose(n)``
  (``POST /__sim__/not-ready {"dials": n}``) makes the agent's next ``n`` dial requests after each
  dispose answer ``User is not in ready state`` (None: all of them; 0, the default: none).
  disposeAndManualDial's own dial is Ameyo's and is not refused.
* ``/dacx/dispose`` on an already disposed leg answers text ``Call already disposed``.
* Lifecycle params omit keys whose value is None (e.g. queueId on an outbound call); the preview
  URL carries no userCrtObjectId (the reference lists it for connect and dispose only).
"""

from .browser import (
    LIFECYCLE_EVENTS,
    build_lifecycle_params,
    parse_sso_response,
    sso_login,
    sso_logout,
)
from .cli import seed_demo
from .server import AmeyoSimulator, server_ssl_context
from .state import AGENT_STATES, Credentials
from .wire import (
    HTML_500,
    HTML_LOGIN_PAGE,
    make_mp3,
    make_wav,
    recording_mp3,
    recording_wav,
    sniff_content_type,
)

__all__ = [
    'AGENT_STATES',
    'HTML_500',
    'HTML_LOGIN_PAGE',
    'LIFECYCLE_EVENTS',
    'AmeyoSimulator',
    'Credentials',
    'build_lifecycle_params',
    'make_mp3',
    'make_wav',
    'parse_sso_response',
    'seed_demo',
    'server_ssl_context',
    'recording_mp3',
    'recording_wav',
    'sniff_content_type',
    'sso_login',
    'sso_logout',
]

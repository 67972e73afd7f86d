import ipaddress
import re
from urllib.parse import urlsplit

import phonenumbers

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, consteq

from odoo.addons.base.models.res_partner import _tz_get

from ..const import DIAL_API_CHOICES, DISPOSE_API_CHOICES, RECORDING_API_CHOICES
from ..tools.ameyo_client import PROBE_PATHS, AmeyoClient, AmeyoError, normalize_base_url
from ..tools.ameyo_params import DEFAULT_TIME_FORMAT, EVENTS, lifecycle_path
from ..tools.notification import LINES_CLASS, SOFT_RELOAD, notification
from ..tools.values import clean_values

# The Integration URLs tab: one field per URL Ameyo needs (the lifecycle pages of
# tools.ameyo_params.EVENTS and the SSO API), in two forms: the plain path, and the path naming this
# server (databases serving several servers).
INTEGRATION_URL_EVENTS = (*EVENTS, 'sso')

AGENT_LEG_JSON_KEYS = {'upper_crt': 'userCRTObjectId', 'camel_crt': 'userCrtObjectId'}
_CLEANERS = {'base_url': normalize_base_url}
ORIGIN_RE = re.compile(r'^https?://[A-Za-z0-9.-]+(:\d{1,5})?$')
# Where the secrets go: whoever may not read a secret may not redirect it either (system
# administrators only).
CONNECTION_FIELDS = frozenset(
    {
        'base_url',
        'verify_tls',
        'ca_bundle',
        'requesting_host',
        'policy_name',
        'dispose_token_header',
        'admin_user_id',
    }
)
# How Odoo authenticates the agents of a server's pages and who may frame or log in through them:
# theirs too.
AUTHENTICATION_FIELDS = frozenset(
    {'session_mode', 'frame_origins', 'sso_source_networks', 'agent_session_pattern'}
)
SYSTEM_FIELDS = CONNECTION_FIELDS | AUTHENTICATION_FIELDS
# Test connection: the failures of the token-policy probe that mean Ameyo rejected the headers or
# was not asked (refused or bad_response: Ameyo took the headers and has no recording of the probe's
# call).
TOKEN_PROBE_FAILURES = ('auth', 'unreachable', 'timeout', 'tls', 'server')
# The agent's Ameyo session ids name them: <node>-<hex>-ses-<userId>-... (the agent session
# pattern's default).
USER_ID_PLACEHOLDER = '{userId}'
DEFAULT_AGENT_SESSION_PATTERN = '-ses-{userId}-'
# Session ids of another agent than 'agent', in the shapes Ameyo and custom patterns use: a pattern
# checked for the agent 'agent' must accept none of them (an alternation or a wildcard in place of
# the user id would).
OTHER_AGENT_SESSIONS = (
    'd928-d74d39ec-ses-someone.else-02c00f-10',
    'someone.else:c0ffee',
    'someone.else',
)


def _session_matcher(pattern, ameyo_user_ref):
    """The compiled agent session ``pattern`` for the Ameyo user ``ameyo_user_ref`` (escaped: a user
    id is text, not an expression), case-insensitive."""
    expression = re.escape(ameyo_user_ref).join(pattern.split(USER_ID_PLACEHOLDER))
    return re.compile(expression, re.IGNORECASE)


def _network_lines(text):
    """The addresses and networks of a one-per-line text, without comments (after #) and blank
    lines."""
    lines = (line.split('#', 1)[0].strip() for line in (text or '').splitlines())
    return [line for line in lines if line]


class AmeyoServer(models.Model):
    _name = 'ameyo.server'
    _description = 'Ameyo Server'
    _order = 'sequence, id'
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    is_default = fields.Boolean(
        string="Default for Plain URLs",
        copy=False,
        help="The plain URLs (/ameyo/customer, ...) name no server: when their campaign ID exists "
        "on several servers, or on none, they go to this server; without a default, to the server "
        "that had the campaign first (else the oldest server). One server at most in the database: "
        "these URLs name no company either. Marking a server unmarks the previous one.",
    )
    company_id = fields.Many2one(
        'res.company', required=True, index=True, default=lambda self: self.env.company
    )
    base_url = fields.Char(
        string="Base URL",
        required=True,
        help="Scheme, host and port of the Ameyo application server, e.g. "
        "https://acme.ameyoemerge.in:8443; with the path a reverse proxy publishes Ameyo under, if "
        "it does (https://gateway.example.com/ameyo). Odoo adds Ameyo's API paths itself: a path "
        "of Ameyo's (/ameyorestapi, /ameyowebaccess, /dacx) and what follows it are removed when "
        "the server is saved.",
    )
    api_flavour = fields.Selection(
        [('rest', 'REST (/ameyorestapi)'), ('legacy', 'Legacy (/ameyowebaccess)')],
        string="API Flavour",
        required=True,
        default='rest',
        help="REST for Ameyo 4.x and later; Legacy for older servers that only answer "
        "/ameyowebaccess. It decides the APIs of the login, the logout and the first probe of Test "
        "connection; the dispose, dial and recording APIs are chosen on their own (Ameyo APIs).",
    )

    # Token-policy credentials (headers hash-key / policy-name / requesting-host).
    hash_key = fields.Char(
        copy=False,
        groups='base.group_system',
        help="The key Ameyo's administrator generated for Odoo. Click-to-dial and recording "
        "downloads need it.",
    )
    requesting_host = fields.Char(
        copy=False, help="The host name Ameyo's administrator registered with the hash key."
    )
    policy_name = fields.Char(
        default='token-based-authorization-policy',
        help="The name of the token policy in Ameyo; the default is almost always right.",
    )
    dispose_token = fields.Char(
        string="Dispose Authorization Token",
        copy=False,
        groups='base.group_system',
        help="The token Odoo sends when it disposes a call in Ameyo for an agent "
        "(disposeCallForUser).",
    )
    dispose_token_header = fields.Char(
        default='authorization',
        required=True,
        help="The name of the header that carries the dispose token; the default is almost always "
        "right.",
    )
    admin_user_id = fields.Char(
        string="Admin User ID",
        copy=False,
        groups='base.group_system',
        help="Optional: an Ameyo user Odoo logs in as to read campaigns and disposition plans.",
    )
    admin_password = fields.Char(copy=False, groups='base.group_system')
    url_token = fields.Char(
        string="Static URL Token",
        copy=False,
        groups='base.group_system',
        help="Optional: a secret Ameyo adds to its URLs (parameter token). Required with the "
        "session mode 'No authentication'.",
    )

    # Deployment differences public sources disagree on.
    # Selection keys differ by more than case: Odoo derives xml ids of selection values in lower
    # case.
    agent_leg_json_key = fields.Selection(
        [
            ('upper_crt', 'userCRTObjectId (what most Ameyo servers accept)'),
            ('camel_crt', "userCrtObjectId (as Ameyo's API guide spells it)"),
        ],
        string="Spelling of the Agent's Call ID",
        required=True,
        default='upper_crt',
        help="How this Ameyo server spells the id of the agent's part of the call when Odoo "
        "disposes a call. Change it only if disposing fails with an error about that name.",
    )
    callback_time_format = fields.Char(
        required=True,
        default=DEFAULT_TIME_FORMAT,
        help="How Odoo writes callback dates and times for Ameyo, as a Python strftime pattern. "
        "The default (2026-11-25 17:30:00) is what Ameyo expects.",
    )
    callback_tz = fields.Selection(
        _tz_get,
        string="Ameyo Time Zone",
        required=True,
        default=lambda self: self.env.user.tz or 'UTC',
        help="The time zone of the callback dates and times Odoo sends to Ameyo.",
    )

    # Sessions and embedding.
    session_mode = fields.Selection(
        [
            ('none', 'No authentication (discouraged)'),
            ('cookie', 'Odoo session cookie'),
            ('sso', 'Single sign-on'),
        ],
        required=True,
        default='cookie',
        help="How Odoo knows which agent a page Ameyo opens is for. Odoo session cookie: the agent "
        "logs in to Odoo once in Ameyo's browser. Single sign-on: Ameyo logs the agent in to Odoo "
        "when they log in to Ameyo. No authentication: the URL token is enough (anyone with the "
        "URLs and the token can act as any agent).",
    )
    agent_session_pattern = fields.Char(
        required=True,
        default=DEFAULT_AGENT_SESSION_PATTERN,
        help="What an agent's Ameyo session id must contain for Odoo to keep it as that agent's "
        "session (used to dispose with dacx/dispose, dispose and redial, dial and sync with it): a "
        "regular expression, searched anywhere in the session id, case-insensitively, where "
        "{userId} stands for the agent's Ameyo user ID. It stops one agent from handing Odoo "
        "another agent's session (a link with someone else's sessionId) and acting with it. The "
        "default, -ses-{userId}-, is the shape Ameyo's session ids have; change it only if this "
        "server's session ids name the user otherwise.",
    )
    frame_origins = fields.Text(
        string="Allowed Embedding Origins",
        help="The web addresses allowed to show Odoo inside their page, one per line "
        "(https://host, with :port if any, no path), e.g. Ameyo's web agent client "
        "https://acme.ameyoemerge.in:8443",
    )
    sso_source_networks = fields.Text(
        string="SSO Source Networks",
        help="The addresses Ameyo's servers call the single sign-on API from: one IP address or "
        "network (CIDR) per line, e.g. 203.0.113.10 or 10.20.0.0/24; text after # is a comment. "
        "Calls from any other address are refused. Empty: any address may call it (not advised). "
        "Behind a reverse proxy, run Odoo with proxy_mode and let the proxy send X-Forwarded-For "
        "and X-Forwarded-Host.",
    )

    # Transport.
    verify_tls = fields.Boolean(
        string="Verify TLS Certificate",
        default=True,
        help="Check that Ameyo's HTTPS certificate is valid. Turn it off only to test a server "
        "with a self-signed certificate; better: give its CA bundle.",
    )
    ca_bundle = fields.Char(
        string="CA Bundle Path",
        help="Path, on the Odoo server, of a PEM bundle to trust instead of the system CAs "
        "(Ameyo servers often use an internal CA).",
    )
    timeout = fields.Integer(
        string="Timeout (s)",
        required=True,
        default=10,
        help="How long Odoo waits for an answer from Ameyo before it gives up (1 to 120 seconds).",
    )

    # Recordings.
    recording_format = fields.Selection(
        [('mp3', 'MP3'), ('wav', 'WAV')],
        required=True,
        default='mp3',
        help="The audio format Odoo asks Ameyo for; MP3 files are smaller.",
    )
    recording_retention_days = fields.Integer(
        string="Ameyo Keeps Recordings (days)",
        required=True,
        default=7,
        help="How long Ameyo's voice-log server keeps recordings, from the call: Odoo fetches them "
        "within that window, and gives up on a recording once it is over.",
    )
    recording_delay_minutes = fields.Integer(
        string="Fetch After (minutes)",
        required=True,
        default=5,
        help="Ameyo writes a recording after the call: Odoo first asks for it this long after the "
        "call ended.",
    )
    recording_max_mb = fields.Integer(
        string="Largest Recording (MB)",
        required=True,
        default=50,
        help="A recording larger than this is not downloaded.",
    )

    campaign_ids = fields.One2many('ameyo.campaign', 'server_id', string="Campaigns")
    campaign_count = fields.Integer(compute='_compute_campaign_count')
    several_servers = fields.Boolean(
        compute='_compute_plain_url_note',
        help="Odoo is connected to more than one active Ameyo server.",
    )
    plain_url_note = fields.Char(
        compute='_compute_plain_url_note',
        help="Where the plain URLs (naming no server) of this server's campaigns go, when another "
        "server has the same campaign IDs.",
    )
    can_sync = fields.Boolean(
        compute='_compute_can_sync',
        help="Campaigns and disposition plans can be read from Ameyo: an admin login is configured "
        "or an agent's Ameyo session is known.",
    )
    # Integration URLs tab: what to paste into Ameyo, each with a copy button
    integration_url_kb = fields.Char(
        string="Knowledge base URL (agent login)",
        compute='_compute_integration_urls',
        help="Ameyo appends userId, sessionId, campaignId, userCrtObjectIds.",
    )
    integration_url_customer = fields.Char(
        string="Customer URL (call connect)",
        compute='_compute_integration_urls',
        help="Ameyo appends sessionId, campaignId, crtObjectId, userCrtObjectId, userId, "
        "customerId, phone, queueId, queueName, callType.",
    )
    integration_url_preview = fields.Char(
        string="Preview URL",
        compute='_compute_integration_urls',
        help="Ameyo appends the same parameters as to the customer URL.",
    )
    integration_url_dispose = fields.Char(
        string="Dispose URL",
        compute='_compute_integration_urls',
        help="Ameyo appends sessionId, campaignId, crtObjectId, userCrtObjectId, userId, "
        "customerId, phone, dispositionCode, dispositionAttribute.",
    )
    integration_url_sso = fields.Char(
        string="Single sign-on API (POST)",
        compute='_compute_integration_urls',
        help="Ameyo posts command=login with userId and password, and command=logout with "
        "crmSessionId.",
    )
    # the same URLs naming this server: for a database that serves several Ameyo servers
    integration_url_kb_server = fields.Char(
        string="Knowledge base URL (this server)",
        compute='_compute_integration_urls',
        help="The knowledge base URL naming this server; Ameyo appends the same parameters.",
    )
    integration_url_customer_server = fields.Char(
        string="Customer URL (this server)",
        compute='_compute_integration_urls',
        help="The customer URL naming this server; Ameyo appends the same parameters.",
    )
    integration_url_preview_server = fields.Char(
        string="Preview URL (this server)",
        compute='_compute_integration_urls',
        help="The preview URL naming this server; Ameyo appends the same parameters.",
    )
    integration_url_dispose_server = fields.Char(
        string="Dispose URL (this server)",
        compute='_compute_integration_urls',
        help="The dispose URL naming this server; Ameyo appends the same parameters.",
    )
    integration_url_sso_server = fields.Char(
        string="Single sign-on API (this server)",
        compute='_compute_integration_urls',
        help="The single sign-on API naming this server; Ameyo posts the same commands.",
    )

    # Ameyo APIs: each capability chosen on its own (Automatic starts from what the integration
    # guide documents)
    dial_api = fields.Selection(
        DIAL_API_CHOICES,
        string="Dial API",
        required=True,
        default='auto',
        help="How Odoo asks Ameyo to dial. Automatic: clickToDialWithTokenAsync with the hash key "
        "(Credentials tab), as the integration guide documents; without a hash key, manualdial "
        "with the agent's Ameyo session (the knowledge-base page tells Odoo the agent's session). "
        "Session first: manualdial when Odoo knows the agent's session, else the hash key.",
    )
    dispose_api = fields.Selection(
        DISPOSE_API_CHOICES,
        string="Dispose API",
        required=True,
        default='auto',
        help="How Odoo tells Ameyo a call is disposed. Automatic: disposeCallForUser with the "
        "dispose authorization token (Credentials tab), as the integration guide documents, while "
        "the call is surely the agent's current one (within the campaign's wrap time, before the "
        "next call); else, and in the background retries, dacx/dispose, which names the call, with "
        "the agent's Ameyo session.",
    )
    recording_api = fields.Selection(
        RECORDING_API_CHOICES,
        string="Recording API",
        required=True,
        default='auto',
        help="How Odoo downloads recordings. Automatic: the downloadVoiceLog command "
        "(/ameyowebaccess/command) with the hash key (Credentials tab), as the integration guide "
        "documents; when Ameyo refuses it, or without a hash key, the REST download "
        "(/ameyorestapi/cc/downloadVoiceLog) with the agent's Ameyo session.",
    )
    self_callback_spelling = fields.Selection(
        [
            ('string', 'The strings "true"/"false" (as the integration guide\'s sample)'),
            ('boolean', 'JSON booleans true/false'),
        ],
        string="Self-Callback Spelling",
        required=True,
        default='string',
        help="How disposeCallForUser carries isSelfCallback. Change it only if this Ameyo server "
        "refuses the guide's spelling.",
    )
    dial_number_format = fields.Selection(
        [
            ('national', 'National digits (9876543210)'),
            ('e164', 'E.164 without + (919876543210)'),
            ('e164_plus', 'E.164 with + (+919876543210)'),
        ],
        string="Dialed Number Format",
        required=True,
        default='national',
        help="How this Ameyo server expects the numbers it dials.",
    )
    dial_prefix = fields.Char(
        string="Prefix Before Numbers",
        help="Digits put before every dialed number, e.g. 0 for an outside line.",
    )
    utm_source_id = fields.Many2one(
        'utm.source',
        string="UTM Source",
        ondelete='set null',
        help="The source of the leads and opportunities this server's calls create (with the "
        "medium Phone and the campaign's UTM campaign), so that Odoo's pipeline analysis groups "
        "them. Empty: created with the server's name the first time a call creates a lead.",
    )

    _one_default = models.UniqueIndex(
        '(is_default) WHERE is_default', "Only one Ameyo server can be the default for plain URLs."
    )
    _timeout_range = models.Constraint(
        'CHECK(timeout BETWEEN 1 AND 120)', "The timeout must be between 1 and 120 seconds."
    )
    _retention_positive = models.Constraint(
        'CHECK(recording_retention_days > 0)', "The live retention must be at least one day."
    )
    _recording_delay_positive = models.Constraint(
        'CHECK(recording_delay_minutes >= 0)',
        "The delay before fetching a recording cannot be negative.",
    )
    _recording_max_positive = models.Constraint(
        'CHECK(recording_max_mb > 0)', "The largest recording must be at least 1 MB."
    )

    @api.depends('campaign_ids')
    def _compute_campaign_count(self):
        counts = dict(
            self.env['ameyo.campaign']._read_group(
                [('server_id', 'in', self.ids)], ['server_id'], ['__count']
            )
        )
        for server in self:
            server.campaign_count = counts.get(server, 0)

    @api.depends('campaign_ids.ameyo_campaign_id', 'campaign_ids.active', 'is_default', 'active')
    def _compute_plain_url_note(self):
        several = self._ameyo_plain_url_servers()[2] > 1
        for server in self:
            server.several_servers = several
            server.plain_url_note = (
                several and server.id and server._ameyo_plain_url_note() or False
            )

    def _ameyo_plain_url_note(self):
        """The sentence that says which of this server's campaigns another server takes the plain
        URLs of, or ''."""
        self.ensure_one()
        elsewhere = {}  # the server plain URLs go to -> the campaign IDs of ours it takes
        for ref in sorted(set(self.campaign_ids.filtered('active').mapped('ameyo_campaign_id'))):
            target = self._ameyo_resolve(None, ref)
            if target and target != self:
                elsewhere.setdefault(target, []).append(ref)
        return ' '.join(
            self.env._(
                "Campaign IDs %(ids)s of this server also exist on %(server)s: the plain URLs open "
                "their calls there.",
                ids=', '.join(refs),
                server=target.name,
            )
            for target, refs in elsewhere.items()
        )

    @api.depends('admin_user_id', 'admin_password')
    def _compute_can_sync(self):
        for server in self:
            secrets = server.sudo()
            server.can_sync = bool(secrets.admin_user_id and secrets.admin_password) or bool(
                server.id and server._ameyo_agent_session()
            )

    @api.constrains('base_url')
    def _check_base_url(self):
        for server in self:
            parts = urlsplit(server.base_url or '')
            if (
                parts.scheme not in ('http', 'https')
                or not parts.hostname
                or parts.query
                or parts.fragment
            ):
                raise ValidationError(
                    self.env._(
                        "The base URL of %(server)s must look like https://ameyo.example.com:8443 "
                        "(got %(url)s): a scheme, a host and a port, without a query.",
                        server=server.name,
                        url=server.base_url,
                    )
                )

    @api.constrains('frame_origins')
    def _check_frame_origins(self):
        for server in self:
            for origin in server._ameyo_server_frame_origins():
                if not ORIGIN_RE.match(origin):
                    raise ValidationError(
                        self.env._(
                            "%(origin)s is not the address of a web site: write one https://host "
                            "per line (with :port if any), without a path.",
                            origin=origin,
                        )
                    )

    @api.constrains('sso_source_networks')
    def _check_sso_source_networks(self):
        for server in self:
            for line in _network_lines(server.sso_source_networks):
                try:
                    ipaddress.ip_network(line, strict=False)
                except ValueError:
                    raise ValidationError(
                        self.env._(
                            "%(line)s is not an IP address or network: write one address "
                            "(203.0.113.10) or network (10.20.0.0/24) per line.",
                            line=line,
                        )
                    ) from None

    @api.constrains('session_mode', 'url_token')
    def _check_session_mode(self):
        for server in self.sudo():
            if server.session_mode == 'none' and not server.url_token:
                raise ValidationError(
                    self.env._(
                        "The 'No authentication' session mode requires a static URL token on "
                        "%(server)s.",
                        server=server.name,
                    )
                )

    @api.constrains('agent_session_pattern')
    def _check_agent_session_pattern(self):
        for server in self:
            pattern = server.agent_session_pattern or ''
            if USER_ID_PLACEHOLDER not in pattern:
                raise ValidationError(
                    self.env._(
                        "The agent session pattern of %(server)s must contain {userId} (the "
                        "agent's Ameyo user ID): without it, any agent's session would be taken "
                        "for any other agent's.",
                        server=server.name,
                    )
                )
            try:
                matcher = _session_matcher(pattern, 'agent')
            except re.error as error:
                raise ValidationError(
                    self.env._(
                        "The agent session pattern of %(server)s is not a valid regular expression "
                        "(%(error)s).",
                        server=server.name,
                        error=error,
                    )
                ) from None
            if matcher.search(''):
                raise ValidationError(
                    self.env._(
                        "The agent session pattern of %(server)s matches an empty session id: it "
                        "must require the agent's user ID to be in the session id.",
                        server=server.name,
                    )
                )
            if any(matcher.search(sample) for sample in OTHER_AGENT_SESSIONS):
                raise ValidationError(
                    self.env._(
                        "The agent session pattern of %(server)s accepts a session id that names "
                        "another agent (%(sample)s for the agent 'agent'): it must require the "
                        "agent's own user ID.",
                        server=server.name,
                        sample=next(filter(matcher.search, OTHER_AGENT_SESSIONS)),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get('is_default') for vals in vals_list):
            self._ameyo_unmark_default()
        servers = super().create(clean_values(vals_list, _CLEANERS))
        servers._ameyo_check_connection_create()
        self.env.registry.clear_cache()  # the embedding origins
        return servers

    def write(self, vals):
        clean_values([vals], _CLEANERS)
        self._ameyo_check_connection_write(vals)
        if vals.get('is_default'):
            self._ameyo_unmark_default(keep=self)
        result = super().write(vals)
        if {'frame_origins', 'active', 'is_default'} & set(vals):
            self.env.registry.clear_cache()  # the embedding origins, the servers of plain URLs
        return result

    def _ameyo_utm_source(self):
        """This server's UTM source, created with its name the first time a call needs it (as
        superuser: the agent whose call creates a lead configures no server)."""
        self.ensure_one()
        server = self.sudo()
        if not server.utm_source_id:
            server.utm_source_id = self.env['utm.source'].sudo().create({'name': server.name})
        return server.utm_source_id

    def _ameyo_unmark_default(self, keep=None):
        """The default server for plain URLs is about to change: the previous one is no longer
        it."""
        previous = self.with_context(active_test=False).search([('is_default', '=', True)])
        if keep:
            previous -= keep
        if previous:
            previous.is_default = False
            # before the new one is written: the index checks each row
            previous.flush_recordset(['is_default'])

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    def _ameyo_check_connection_write(self, vals):
        """Only system administrators change where and how the secrets are sent.

        An Ameyo administrator cannot read the hash key, the dispose token or the admin
        password; pointing the base URL (or the TLS checks) at a host of their own would
        hand the secrets to them on the next request, so these fields are the system administrators'
        alone.
        """
        changed = SYSTEM_FIELDS & set(vals)
        if not changed or self.env.su or self.env.user._is_system():
            return
        changed = {
            name for name in changed if any(server[name] != vals[name] for server in self.sudo())
        }
        self._ameyo_refuse_system_fields(changed)

    def _ameyo_check_connection_create(self):
        """The same guard on new servers (create, copy): a user who is not a system administrator
        leaves the connection and authentication fields at their defaults, whatever the values or
        context defaults say. Checked on the created records, so no default_<field> key of the
        context slips past it."""
        if not self or self.env.su or self.env.user._is_system():
            return
        changed = set()
        for name in SYSTEM_FIELDS:
            field = self._fields[name]
            default = field.convert_to_cache(field.default(self) if field.default else False, self)
            if any(server[name] != default for server in self.sudo()):
                changed.add(name)
        self._ameyo_refuse_system_fields(changed)

    def _ameyo_refuse_system_fields(self, changed):
        if changed:
            raise AccessError(
                self.env._(
                    "Only system administrators can set the connection or the authentication of an "
                    "Ameyo server (%(fields)s): these settings decide where Odoo sends Ameyo's "
                    "secrets and who may log in through it.",
                    fields=', '.join(
                        self._fields[name].get_description(self.env)['string']
                        for name in sorted(changed)
                    ),
                )
            )

    def _ameyo_check_manager(self):
        """Server-side guard of the configuration actions: Ameyo administrators only.

        The buttons are hidden from others, but any user can call a public method over RPC.
        """
        if not self.env.su and not self.env.user.has_group('crm_ameyo.group_ameyo_manager'):
            raise AccessError(self.env._("Only Ameyo administrators can do this."))

    @tools.ormcache()
    def _ameyo_all_frame_origins(self):
        """Every origin an active Ameyo server allows to frame Odoo (cached; cleared when servers
        change)."""
        servers = self.sudo().search([('frame_origins', '!=', False)])
        return tuple(
            sorted(
                {origin for server in servers for origin in server._ameyo_server_frame_origins()}
            )
        )

    def _get_agent_leg_json_key(self):
        """Return the JSON key of the agent leg as this server expects it."""
        self.ensure_one()
        return AGENT_LEG_JSON_KEYS[self.agent_leg_json_key]

    def _ameyo_server_frame_origins(self):
        """Return the embedding origins of this server: stripped, non-empty lines in lower case (as
        browsers send origins)."""
        self.ensure_one()
        return [
            line.strip().rstrip('/').lower()
            for line in (self.frame_origins or '').splitlines()
            if line.strip()
        ]

    def _ameyo_sso_source_allowed(self, address):
        """May ``address`` call this server's single sign-on API?

        ``address`` is the caller's address as Odoo's request sees it (``remote_addr``: the
        peer, or with ``proxy_mode`` the address the proxy put in X-Forwarded-For). Any
        address may when the server lists no network.
        """
        self.ensure_one()
        networks = [
            ipaddress.ip_network(line, strict=False)
            for line in _network_lines(self.sso_source_networks)
        ]
        if not networks:
            return True
        try:
            ip = ipaddress.ip_address(address or '')
        except ValueError:
            return False
        if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:10.0.0.1 is 10.0.0.1
            ip = ip.ipv4_mapped
        # another IP version is never in a network
        return any(ip in network for network in networks)

    def _get_lifecycle_url(self, event, *, per_server=False):
        """Return the absolute URL Ameyo must load for ``event`` ('kb', 'customer', 'preview',
        'dispose', 'sso').

        ``per_server`` gives the path that names this server explicitly, for
        databases connected to several Ameyo servers.
        """
        self.ensure_one()
        return self.get_base_url().rstrip('/') + lifecycle_path(
            event, self.id if per_server else None
        )

    @api.depends_context('uid')
    def _compute_integration_urls(self):
        for server in self:
            for event in INTEGRATION_URL_EVENTS:  # an unsaved server has no URL of its own yet
                server[f'integration_url_{event}'] = (
                    server.id and server._get_lifecycle_url(event) or False
                )
                server[f'integration_url_{event}_server'] = (
                    server.id and server._get_lifecycle_url(event, per_server=True) or False
                )

    # ------------------------------------------------------------------
    # Calling Ameyo
    # ------------------------------------------------------------------

    def _ameyo_dial_format(self, e164):
        """``e164`` (``+919876543210``) as this server dials it."""
        self.ensure_one()
        parsed = phonenumbers.parse(e164)
        if self.dial_number_format == 'national':
            number = phonenumbers.national_significant_number(parsed)
        elif self.dial_number_format == 'e164':
            number = e164.lstrip('+')
        else:
            number = e164
        return (self.dial_prefix or '').strip() + number

    def _get_ameyo_client(self):
        """Return the :class:`AmeyoClient` of this server, reading its secrets as superuser.

        Call it only after the caller authenticated whoever the request acts for.
        """
        self.ensure_one()
        return AmeyoClient(self.sudo())

    def _format_ameyo_datetime(self, value, tz=None):
        """Format a UTC datetime the way this Ameyo server expects callback times: its format, in
        its time zone (or ``tz``, e.g. the customer's)."""
        self.ensure_one()
        localized = fields.Datetime.context_timestamp(
            self.with_context(tz=tz or self.callback_tz or 'UTC'), value
        )
        return localized.strftime(self.callback_time_format or DEFAULT_TIME_FORMAT)

    def action_test_connection(self):
        """Check that Ameyo is reachable and accepts our credentials; say exactly what is wrong
        otherwise.

        One line per check (the notification keeps the line breaks). A credential Ameyo refuses is a
        failure, naming the APIs that will fail; a credential not configured is a warning.
        """
        self._ameyo_check_manager()
        self.ensure_one()
        checks = self._ameyo_connection_checks()
        marks = {'ok': '✔', 'warning': '⚠', 'failed': '✘'}
        lines = '\n'.join(f'{marks[status]} {message}' for status, message in checks)
        statuses = {status for status, _message in checks}
        if checks[0][0] == 'failed':
            title, kind = self.env._("Connection failed"), 'danger'
        elif 'failed' in statuses:
            title, kind = self.env._("Ameyo is reachable, but some APIs will fail"), 'danger'
        elif 'warning' in statuses:
            title, kind = self.env._("Connection works, with warnings"), 'warning'
        else:
            return notification(
                self.env._("Connection OK"),
                '\n' + lines,
                'success',
                class_name=LINES_CLASS,
                next_action=SOFT_RELOAD,
            )
        return notification(
            title, '\n' + lines, kind, sticky=True, class_name=LINES_CLASS, next_action=SOFT_RELOAD
        )

    def _ameyo_connection_checks(self):
        """Run the checks of "Test connection" with the client's probes; return ``[(status,
        message), ...]``.

        ``status`` is ``'ok'``, ``'warning'`` (something is not configured: the features that need
        it are off) or ``'failed'`` (configured but refused or unreachable: the APIs the message
        names will fail). The first check says whether Ameyo was reached at all; nothing else is
        tried when not.
        """
        self.ensure_one()
        client = self._get_ameyo_client()
        # whether the secrets are set, and the admin login: read for the manager checked
        server = self.sudo()
        # 1. reachable, TLS trusted, and it is Ameyo: an unauthenticated read must answer Ameyo's
        #    way.
        try:
            is_ameyo, status = client.probe_server()
        except AmeyoError as error:
            return [('failed', str(error.args[0]))]
        if status == 404:
            return [
                (
                    'failed',
                    self.env._(
                        "%(url)s answered HTTP 404 (not found) at %(probe)s: Ameyo's API is not "
                        "there. Check the base URL: scheme, host and port only (and the path of a "
                        "reverse proxy, if Ameyo is published under one), without Ameyo's own "
                        "paths; and the API flavour (a server that only answers /ameyowebaccess is "
                        "Legacy).",
                        url=server.base_url,
                        probe=server.base_url.rstrip('/') + PROBE_PATHS[server.api_flavour],
                    ),
                )
            ]
        if not is_ameyo:
            return [
                (
                    'failed',
                    self.env._(
                        "%(url)s answered (HTTP %(status)s), but not as an Ameyo server does: "
                        "check the base URL and the port.",
                        url=server.base_url,
                        status=status,
                    ),
                )
            ]
        checks = [('ok', self.env._("Ameyo server reached at %(url)s.", url=server.base_url))]
        # 2. token policy: a read with the token headers (a probe call id, so nothing can be
        #    touched).
        token_check = self._ameyo_check_token_policy(client) if server.hash_key else None
        checks.append(
            token_check
            or (
                'warning',
                self.env._(
                    "No hash key: click-to-dial and recording downloads need the token-policy "
                    "credentials (Credentials tab)."
                ),
            )
        )
        # 3. admin login, used to sync campaigns and dispositions.
        if server.admin_user_id and server.admin_password:
            checks.append(self._ameyo_check_admin_login(client))
        # 4. per capability (Ameyo APIs): the API Odoo will use, and whether it answered
        checks.append(self._ameyo_check_dispose_api(client))
        checks.append(self._ameyo_check_dial_api(token_check))
        checks.append(self._ameyo_check_recording_api(client, token_check))
        return checks

    def _ameyo_probe_status(self, probe):
        """``(answered, words)`` of a probe that returns an HTTP status: whether Ameyo has the API
        (any answer but a 404), or why it could not be asked."""
        try:
            status = probe()
        except AmeyoError as error:
            return False, error.reason or error.args[0]
        if status == 404:
            return False, self.env._("HTTP 404: no such API at this base URL")
        return True, self.env._("HTTP %s", status)

    def _ameyo_check_dispose_api(self, client):
        """``(status, message)`` of the Dispose API: disposeCallForUser asked for a user that cannot
        exist (with the dispose token), dacx/dispose with a session and a call that cannot exist: no
        call can be disposed."""
        server = self.sudo()
        choice = server.dispose_api
        lines, status = [], 'ok'
        if choice in ('auto', 'for_user'):
            if not server.dispose_token:
                status = 'warning'
                lines.append(
                    self.env._(
                        "No dispose authorization token: disposeCallForUser (the guide's dispose "
                        "API) cannot be used (Credentials tab)."
                    )
                )
            else:
                try:
                    accepted, reason = client.probe_dispose_token()
                except AmeyoError as error:
                    accepted, reason = False, error.reason or error.args[0]
                if accepted:
                    lines.append(
                        self.env._(
                            "disposeCallForUser with the dispose token: Ameyo accepts the token "
                            "(asked for a user that cannot exist: %(reason)s).",
                            reason=reason,
                        )
                    )
                else:
                    status = 'failed'
                    lines.append(
                        self.env._(
                            "disposeCallForUser with the dispose token: Ameyo refused it "
                            "(%(reason)s): check the dispose token and its header (Credentials "
                            "tab).",
                            reason=reason,
                        )
                    )
        if choice in ('auto', 'dacx'):
            answered, reason = self._ameyo_probe_status(client.probe_dacx_dispose)
            if answered:
                lines.append(
                    self.env._(
                        "dacx/dispose with the agent's Ameyo session: answered (asked with a "
                        "session and a call that cannot exist: %(reason)s); the agents' own "
                        "sessions are not checked here.",
                        reason=reason,
                    )
                )
            else:
                status = 'failed' if choice == 'dacx' or status == 'failed' else 'warning'
                lines.append(self.env._("dacx/dispose did not answer (%(reason)s).", reason=reason))
        intro = {
            'auto': self.env._(
                "Dispose (Automatic: disposeCallForUser while it is safe, else dacx/dispose):"
            ),
            'for_user': self.env._("Dispose (disposeCallForUser only):"),
            'dacx': self.env._("Dispose (dacx/dispose only):"),
        }[choice]
        if status == 'warning' and not server.dispose_token and choice == 'auto':
            # the line starts with the missing setting, as the other warnings do
            return status, ' '.join([lines[0], intro, *lines[1:]])
        return status, ' '.join([intro, *lines])

    def _ameyo_check_dial_api(self, token_check):
        """``(status, message)`` of the Dial API. Never probed with a dial (a probe could dial): the
        hash key is the token-policy check's; an agent's session is the one their knowledge-base
        page gives."""
        server = self.sudo()
        choice = server.dial_api
        not_probed = self.env._("Not sent as a probe: a dial request could dial.")
        session_api = self.env._(
            "manualdial with the agent's Ameyo session (known once their knowledge-base page "
            "opened)."
        )
        command = 'clickToDialWithToken' if choice == 'token_sync' else 'clickToDialWithTokenAsync'
        if not server.hash_key:
            token_state = ('warning', self.env._("no hash key (Credentials tab)"))
        elif token_check[0] == 'failed':
            token_state = ('failed', self.env._("Ameyo rejected the hash key (see above)"))
        else:
            token_state = ('ok', self.env._("Ameyo accepts the hash key"))
        token_api = self.env._(
            "%(command)s with the hash key: %(state)s.", command=command, state=token_state[1]
        )
        if choice == 'manualdial' or choice == 'auto' and not server.hash_key:
            label = (
                self.env._("Dial (Automatic):")
                if choice == 'auto'
                else self.env._("Dial (manualdial only):")
            )
            return 'ok', ' '.join([label, session_api, not_probed])
        if choice == 'session_first':
            return token_state[0], ' '.join(
                [
                    self.env._("Dial (session first):"),
                    session_api,
                    self.env._("Else"),
                    token_api,
                    not_probed,
                ]
            )
        label = self.env._("Dial (Automatic):") if choice == 'auto' else self.env._("Dial:")
        return token_state[0], ' '.join([label, token_api, not_probed])

    def _ameyo_check_recording_api(self, client, token_check):
        """``(status, message)`` of the Recording API: the downloadVoiceLog command is the
        token-policy check's (a call that cannot exist), the REST download is asked with a session
        and a call that cannot exist."""
        server = self.sudo()
        choice = server.recording_api
        lines, statuses = [], []
        if choice in ('auto', 'webaccess'):
            if not server.hash_key:
                statuses.append('warning')
                lines.append(
                    self.env._("The downloadVoiceLog command needs the hash key (Credentials tab).")
                )
            elif token_check[0] == 'failed':
                statuses.append('failed')
                lines.append(
                    self.env._(
                        "Ameyo rejected the hash key for the downloadVoiceLog command (see above)."
                    )
                )
            else:
                statuses.append('ok')
                lines.append(
                    self.env._(
                        "The downloadVoiceLog command (/ameyowebaccess/command) with the hash key: "
                        "answered."
                    )
                )
        if choice in ('auto', 'rest'):
            answered, reason = self._ameyo_probe_status(client.probe_rest_voice_log)
            statuses.append('ok' if answered else 'failed' if choice == 'rest' else 'warning')
            if answered:
                lines.append(
                    self.env._(
                        "The REST download (/ameyorestapi/cc/downloadVoiceLog) with the agent's "
                        "Ameyo session: answered (asked with a session and a call that cannot "
                        "exist: %(reason)s).",
                        reason=reason,
                    )
                )
            else:
                lines.append(
                    self.env._(
                        "The REST download (/ameyorestapi/cc/downloadVoiceLog) did not answer "
                        "(%(reason)s).",
                        reason=reason,
                    )
                )
        if choice == 'auto' and 'ok' in statuses:
            status = 'ok'  # one of the two is enough
        else:
            status = (
                'failed' if 'failed' in statuses else 'warning' if 'warning' in statuses else 'ok'
            )
        intro = {
            'auto': self.env._(
                "Recordings (Automatic: the downloadVoiceLog command, else the REST download):"
            ),
            'webaccess': self.env._("Recordings (the downloadVoiceLog command only):"),
            'rest': self.env._("Recordings (the REST download only):"),
        }[choice]
        return status, ' '.join([intro, *lines])

    def _ameyo_check_token_policy(self, client):
        """``(status, message)`` of the token-policy check: Ameyo refusing a recording that cannot
        exist means it accepted the headers; a rejection, or no answer at all, means every
        token-policy API will fail."""
        try:
            client.probe_token_policy()
        except AmeyoError as error:
            if error.kind in TOKEN_PROBE_FAILURES:
                return (
                    'failed',
                    self.env._(
                        "Ameyo rejected the hash key, policy name or requesting host (%(reason)s): "
                        "click-to-dial (clickToDialWithToken) and recording downloads "
                        "(downloadVoiceLog) will fail. Check them on the Credentials tab.",
                        reason=error.reason or error.args[0],
                    ),
                )
        return ('ok', self.env._("Ameyo accepts the hash key, policy name and requesting host."))

    def _ameyo_check_admin_login(self, client):
        """``(status, message)`` of the admin login check: a login, then a logout of the session it
        opened."""
        server = self.sudo()
        try:
            session_id = client.login(server.admin_user_id, server.admin_password)
        except AmeyoError as error:
            # the admin login itself is a secret of system administrators: not in the answer
            return (
                'failed',
                self.env._(
                    "The admin login (Credentials tab) failed (%(reason)s): Sync Campaigns and "
                    "Sync Dispositions will fail.",
                    reason=error.reason or error.args[0],
                ),
            )
        client.logout(session_id)
        return ('ok', self.env._("The admin login (Credentials tab) works."))

    def _ameyo_agent_session(self, user=None):
        """The Ameyo session Odoo holds on this server for ``user`` (as superuser: it is a
        credential), or, with no user, the most recent one of any agent (enough to read campaigns
        and plans).

        The one place that looks sessions up: every API that acts with an agent's live session
        (dacx/dispose, dispose-and-dial, manual dial, voice logs) gets it here, with the client from
        :meth:`_get_ameyo_client` (which adds the token headers and the dispose token itself).
        """
        self.ensure_one()
        domain = [('server_id', '=', self.id)]
        if user is not None:
            domain.append(('user_id', '=', user.id))
        return self.env['ameyo.agent.session'].sudo().search(domain, limit=1)

    def _ameyo_forget_agent_session(self, user, session_id):
        """Drop the Ameyo session ``session_id`` Odoo holds on this server for ``user``, once Ameyo
        said it is dead (``invalid.session.id``); a newer session recorded meanwhile stays."""
        self.ensure_one()
        self.env['ameyo.agent.session'].sudo().search(
            [
                ('server_id', '=', self.id),
                ('user_id', '=', user.id),
                ('session_id', '=', session_id),
            ]
        ).unlink()

    def _with_rest_session(self, callback):
        """Call ``callback(client, session_id)`` with an Ameyo REST session.

        The admin login configured on the server is preferred (logged out after);
        otherwise the most recent Ameyo session of an agent, dropped if Ameyo
        says it is dead.
        """
        self.ensure_one()
        client = self._get_ameyo_client()
        server = self.sudo()
        if server.admin_user_id and server.admin_password:
            session_id = client.login(server.admin_user_id, server.admin_password)
            try:
                return callback(client, session_id)
            finally:
                client.logout(session_id)
        agent_session = self._ameyo_agent_session()
        if not agent_session:
            raise UserError(
                self.env._(
                    "Odoo needs an Ameyo session to read from %(server)s: configure an admin login "
                    "on the server, or let an agent log in to Ameyo with the knowledge-base URL "
                    "first.",
                    server=self.name,
                )
            )
        try:
            return callback(client, agent_session.session_id)
        except AmeyoError as error:
            if error.kind == 'auth':
                agent_session.unlink()
            raise

    def action_sync_campaigns(self):
        """Create the campaigns Ameyo assigns to the session's user; rename the known ones.
        Idempotent.

        A campaign ID it creates that another active server already has is said, with where the
        plain URLs of that campaign go (a warning: this server's Ameyo needs the URLs naming it)."""
        self._ameyo_check_manager()
        self.ensure_one()
        ameyo_campaigns = self._with_rest_session(
            lambda client, session_id: client.get_assigned_campaigns(session_id)
        )
        Campaign = self.env['ameyo.campaign'].with_context(active_test=False)
        known = {
            campaign.ameyo_campaign_id: campaign
            for campaign in Campaign.search([('server_id', '=', self.id)])
        }
        created, updated = [], 0
        for item in ameyo_campaigns:
            if not isinstance(item, dict) or item.get('campaignId') in (None, ''):
                continue
            campaign_id = str(item['campaignId'])
            name = str(item.get('campaignName') or campaign_id)[:200]
            if campaign_id in known:
                if known[campaign_id].name != name:
                    known[campaign_id].name = name
                    updated += 1
            else:
                known[campaign_id] = Campaign.create(
                    {'server_id': self.id, 'ameyo_campaign_id': campaign_id, 'name': name}
                )
                created.append(campaign_id)
        summary = self.env._(
            "%(total)s campaigns in Ameyo: %(created)s created, %(updated)s renamed.",
            total=len(ameyo_campaigns),
            created=len(created),
            updated=updated,
        )
        shared = self._ameyo_shared_campaign_lines(created)
        if shared:
            return notification(
                self.env._("Campaigns synchronized: some IDs exist on another server"),
                '\n'.join([summary, *shared]),
                'warning',
                sticky=True,
                class_name=LINES_CLASS,
                next_action=SOFT_RELOAD,
            )
        return notification(
            self.env._("Campaigns synchronized"), summary, 'success', next_action=SOFT_RELOAD
        )

    def _ameyo_shared_campaign_lines(self, campaign_refs):
        """One line per server that already has some of ``campaign_refs`` (Ameyo campaign IDs of
        this server): which, and where the plain URLs (/ameyo/customer, ...) of those campaigns go
        now."""
        self.ensure_one()
        others = (
            self.env['ameyo.campaign']
            .sudo()
            .search(
                [
                    ('ameyo_campaign_id', 'in', campaign_refs),
                    ('server_id', '!=', self.id),
                    ('server_id.active', '=', True),
                ]
            )
        )
        lines = []
        for other_server, campaigns in others.grouped('server_id').items():
            refs = sorted(set(campaigns.mapped('ameyo_campaign_id')))
            taken_here = [ref for ref in refs if self._ameyo_resolve(None, ref) == self]
            if len(taken_here) < len(refs):
                lines.append(
                    self.env._(
                        "Campaign IDs %(ids)s also exist on %(other)s: the plain URLs "
                        "(/ameyo/customer, ...) of these campaigns keep opening their calls there. "
                        "In this server's Ameyo, paste the URLs naming this server (Integration "
                        "URLs tab: %(path)s, ...).",
                        ids=', '.join(ref for ref in refs if ref not in taken_here),
                        other=other_server.name,
                        path=lifecycle_path('customer', self.id),
                    )
                )
            if taken_here:
                lines.append(
                    self.env._(
                        "Campaign IDs %(ids)s also exist on %(other)s: this server is the default "
                        "for plain URLs, so the plain URLs of these campaigns now open their calls "
                        "here. In the Ameyo of %(other)s, paste the URLs naming %(other)s (its "
                        "Integration URLs tab).",
                        ids=', '.join(taken_here),
                        other=other_server.name,
                    )
                )
        return lines

    def action_sync_dispositions(self):
        """Read the disposition plan of every active campaign of this server from Ameyo."""
        self._ameyo_check_manager()
        self.ensure_one()
        return self.campaign_ids.filtered('active').action_sync_dispositions()

    # ------------------------------------------------------------------
    # Lifecycle URLs
    # ------------------------------------------------------------------

    @api.model
    def _ameyo_resolve(self, server_id=None, campaign_ref=None):
        """Return the active server a lifecycle URL is for (as superuser), or an empty recordset.

        The per-server path (``/ameyo/<id>/<event>``) names it. A plain path names none, and the
        URLs pasted in Ameyo before a second server was added must keep their server: the server
        whose campaign has this Ameyo campaign id; when several have it, the default server among
        them (*Default for Plain URLs*), else the one that had it first (its campaign created
        first); when none has it (or the URL names no campaign), the default server, else the oldest
        active one.
        """
        Server = self.sudo()
        # the per-server path: exactly that server (0 and unknown ids are none)
        if server_id is not None:
            return Server.search([('id', '=', server_id)], limit=1)
        default_id, oldest_id, _count = self._ameyo_plain_url_servers()
        routes = self._ameyo_campaign_routes(campaign_ref) if campaign_ref else ()
        if not routes:
            return Server.browse(default_id or oldest_id or ())
        if default_id in {server_id for server_id, _campaign_id in routes}:
            return Server.browse(default_id)
        return Server.browse(routes[0][0])  # the oldest campaign's

    @api.model
    @tools.ormcache()
    def _ameyo_plain_url_servers(self):
        """``(default server id or None, oldest server id or None, number of servers)`` among the
        active servers: what a plain lifecycle URL falls back on. Cached until a server changes."""
        Server = self.sudo()
        default = Server.search([('is_default', '=', True)], limit=1)
        [(oldest_id, count)] = Server._read_group([], aggregates=['id:min', '__count'])
        return default.id or None, oldest_id or None, count

    @api.model
    @tools.ormcache('campaign_ref')
    def _ameyo_campaign_routes(self, campaign_ref):
        """``((server id, campaign id), ...)``: the active campaigns with Ameyo id ``campaign_ref``
        of active servers, oldest campaign first. Every lifecycle URL asks, twice: cached until a
        server or campaign changes."""
        campaigns = (
            self.env['ameyo.campaign']
            .sudo()
            .search(
                [('ameyo_campaign_id', '=', campaign_ref), ('server_id.active', '=', True)],
                order='id',
            )
        )
        return tuple((campaign.server_id.id, campaign.id) for campaign in campaigns)

    @api.model
    def _ameyo_sso_server(self, server_id=None):
        """The active server in SSO mode an SSO call is for: the one its path names, else the
        first."""
        domain = [('session_mode', '=', 'sso')]
        if server_id is not None:
            domain.append(('id', '=', server_id))
        return self.sudo().search(domain, limit=1)

    def _ameyo_find_campaign(self, campaign_ref):
        """Return this server's campaign with Ameyo id ``campaign_ref`` (as superuser), or an empty
        one."""
        self.ensure_one()
        Campaign = self.env['ameyo.campaign'].sudo()
        if not campaign_ref:
            return Campaign
        campaign_ids = [
            campaign_id
            for server_id, campaign_id in self._ameyo_campaign_routes(campaign_ref)
            if server_id == self.id
        ]
        if campaign_ids:
            return Campaign.browse(campaign_ids[:1])
        # an archived server's, or a campaign Odoo does not know
        return Campaign.search(
            [('server_id', '=', self.id), ('ameyo_campaign_id', '=', campaign_ref)], limit=1
        )

    def _ameyo_record_agent_session(self, user, session_id):
        """Keep the agent's current Ameyo sessionId (a credential) where only the connector reads
        it.

        Only a session id of the shape Ameyo gives this agent (:meth:`_ameyo_session_belongs_to`)
        replaces the one Odoo keeps: a stray or hand-made link does not overwrite the
        session Ameyo itself sent. Written in one statement, so two first requests at once
        both succeed.
        """
        self.ensure_one()
        if not self._ameyo_session_belongs_to(user.ameyo_effective_user_id, session_id):
            return
        Session = self.env['ameyo.agent.session']
        Session.flush_model()
        self.env.cr.execute(
            SQL(
                """INSERT INTO ameyo_agent_session (user_id, server_id, session_id, seen_at,
                                               create_uid, create_date, write_uid, write_date)
               VALUES (%(user)s, %(server)s, %(session)s, now() AT TIME ZONE 'UTC',
                       %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC')
               ON CONFLICT (user_id, server_id) DO UPDATE
               SET session_id = EXCLUDED.session_id, seen_at = EXCLUDED.seen_at,
                   write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
               WHERE ameyo_agent_session.session_id IS DISTINCT FROM EXCLUDED.session_id""",
                user=user.id,
                server=self.id,
                session=session_id,
                uid=self.env.uid,
            )
        )
        Session.invalidate_model()

    def _ameyo_session_belongs_to(self, ameyo_user_ref, session_id):
        """Does the Ameyo session id ``session_id`` name the Ameyo user ``ameyo_user_ref`` (a
        string), as this server's agent session pattern says (by default ``-ses-<userId>-``,
        anywhere, in any case)?

        A shape, not a question to Ameyo: the session comes from a URL the agent's browser loaded,
        and Ameyo has no API Odoo may call to say whose a session is without using it. What this
        stops is one agent recording another agent's session (a link carrying someone else's
        sessionId) and Odoo acting with it."""
        self.ensure_one()
        if not ameyo_user_ref or not session_id:
            return False
        pattern = self.agent_session_pattern or DEFAULT_AGENT_SESSION_PATTERN
        try:
            return bool(_session_matcher(pattern, ameyo_user_ref).search(session_id))
        # the constraint refuses such a pattern: never take a session on a broken one
        except re.error:
            return False

    def _ameyo_check_url_token(self, token):
        """Compare a URL's token with this server's static URL token, in constant time."""
        self.ensure_one()
        expected = self.sudo().url_token
        return bool(expected and token) and consteq(expected, token)

"""What the tests share: fixtures of our own, the Ameyo simulator, the URLs Ameyo throws at Odoo,
requests as a browser sends them, what a refused request must leave untouched, and a stand-in for
the Ameyo client."""

import importlib.util
import inspect
import itertools
import logging
import pathlib
import re
from contextlib import ExitStack, contextmanager
from unittest.mock import patch
from urllib.parse import urlencode, urlsplit

import requests

from odoo.tests import HttpCase, TransactionCase, new_test_user
from odoo.tools import mute_logger

from ..const import INITIAL_STATES
from ..simulator import AmeyoSimulator, build_lifecycle_params, sso_login
from ..tools.ameyo_client import AmeyoClient

CLIENT_LOGGER = 'odoo.addons.crm_ameyo.tools.ameyo_client'
CRON_LOGGER = 'odoo.addons.base.models.ir_cron'
# the test server's credentials, which the simulators of the tests check
CREDENTIALS = {
    'hash_key': 'test-hash-key-SECRET',
    'requesting_host': 'odoo.test',
    'dispose_token': 'test-dispose-token-SECRET',
    'admin_user_id': 'admin',
    'admin_password': 'admin-password-SECRET',
}
AGENT_GROUPS = 'crm_ameyo.group_ameyo_agent,sales_team.group_sale_salesman'
POP_PATH_PREFIX = '/odoo/'
POP_PATH_SUFFIX = '/action-crm_ameyo.ameyo_call_pop_action'
_crt_sequence = itertools.count(1)


def run_migration(cr, version, script, from_version):
    """Run the ``migrate`` of ``migrations/<version>/<script>.py`` on ``cr``, as an upgrade from
    ``from_version`` does (a migration script is no module of the addon: loaded from its file)."""
    path = pathlib.Path(__file__).parent.parent / 'migrations' / version / f'{script}.py'
    spec = importlib.util.spec_from_file_location(f'crm_ameyo_{script.replace("-", "_")}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.migrate(cr, from_version)


def build_web_assets(env):
    """Build the web client's bundles before a browser asks for them. Built inside the browser's
    first request, they hold the test cursor long enough, on a busy machine, for its other requests
    to give up (``Unable to acquire lock for test cursor``) and the page to break. Call it in a
    browser test's ``setUpClass``."""
    for name, kinds in (
        ('web.assets_web', ('js', 'css')),
        ('web.assets_tests', ('js',)),
        ('web.assets_web_print', ('css',)),
    ):
        bundle = env['ir.qweb']._get_asset_bundle(name)
        for kind in kinds:
            getattr(bundle, kind)()


def create_call_leg(env, values):
    """A leg made as the connector makes them, through the call's state machine: created in the
    state its life starts in (a pop's, a dial attempt's), then moved to ``values['state']`` (default
    connected) by the allowed transition, so a test's leg has the times and measures a real one
    has."""
    values = dict(values)
    state = values.pop('state', 'connected')
    initial = (
        state if state in INITIAL_STATES else 'dialing' if state == 'dial_failed' else 'connected'
    )
    Call = env['ameyo.call'].sudo()
    if initial != 'dialing' and values.get('crt_object_id') and 'call_unit' not in values:
        # what the pop passes: whether another leg of the call counts it already
        values['call_unit'] = Call._ameyo_call_unit(
            Call.search(
                [
                    ('server_id', '=', values.get('server_id')),
                    ('crt_object_id', '=', values['crt_object_id']),
                ]
            )
        )
    leg = Call._ameyo_create_leg(values, initial)
    # the times the test gives win over the ones the transitions would stamp
    given = {
        name: values[name]
        for name in ('ended_at', 'closed_at', 'disposed_at', 'dispose_saved_at')
        if name in values
    }
    for step in ('dispose_pending', state) if state == 'dispose_failed' else (state,):
        if step != leg.state:
            leg._ameyo_update_state(step, given)
    return leg.with_env(env)


class AmeyoCommon:
    """Fixtures of our own (demo data may or may not be installed): one server, one
    campaign with a disposition plan and a queue, two agents and a supervisor."""

    # the caller's number of the URLs pop_params builds: in no demo record
    pop_phone = '9000000909'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_ameyo_fixtures()

    @classmethod
    def setup_ameyo_fixtures(cls):
        env = cls.env
        cls.server = env['ameyo.server'].create(
            {
                # nothing listens: tests that call Ameyo say so
                'name': 'Test Ameyo',
                'base_url': 'http://127.0.0.1:1/',
                **CREDENTIALS,
            }
        )
        cls.campaign = env['ameyo.campaign'].create(
            {
                'server_id': cls.server.id,
                'ameyo_campaign_id': '101',
                'name': 'Test Campaign',
            }
        )
        cls.disposition = env['ameyo.disposition'].create(
            {
                'campaign_id': cls.campaign.id,
                'code': 'Sale',
                'name': 'Sale',
                'outcome': 'positive',
            }
        )
        cls.queue = env['ameyo.queue'].create(
            {
                'campaign_id': cls.campaign.id,
                'ameyo_queue_id': '7',
                'name': 'Test Queue',
            }
        )
        cls.agent_a = new_test_user(
            env, login='t_agent_a', groups=AGENT_GROUPS, ameyo_user_id='t.agent-a@acme'
        )
        cls.agent_b = new_test_user(
            env, login='t_agent_b', groups=AGENT_GROUPS, ameyo_user_id='t.agent-b@acme'
        )
        cls.supervisor = new_test_user(
            env,
            login='t_supervisor',
            groups='crm_ameyo.group_ameyo_supervisor,sales_team.group_sale_salesman',
        )
        cls.manager = new_test_user(env, login='t_manager', groups='crm_ameyo.group_ameyo_manager')

    @classmethod
    def own_numbers(cls, keys):
        """Demo data may hold these numbers (phone keys), or not: the test class owns every record
        with them."""
        for model in ('res.partner', 'crm.lead'):
            cls.env[model].with_context(active_test=False).search(
                [('ameyo_phone_key', 'in', keys)]
            ).write({'phone': False})
        cls.env['ameyo.phone.pick'].search([('phone_key', 'in', keys)]).unlink()

    @classmethod
    def start_simulator(cls, **options):
        """An Ameyo simulator for the test class, stopped after it, that accepts the test server's
        credentials (``options`` change them, or give its ``ssl_context``)."""
        sim = AmeyoSimulator(**{**CREDENTIALS, **options}).start()
        cls.addClassCleanup(sim.stop)
        return sim

    @classmethod
    def create_other_company_agent(cls, company_name, login, ameyo_user_id):
        """An agent of another company than the server's (a company of its own,
        ``company_name``)."""
        company = cls.env['res.company'].create({'name': company_name})
        return company, new_test_user(
            cls.env,
            login=login,
            groups=AGENT_GROUPS,
            ameyo_user_id=ameyo_user_id,
            company_id=company.id,
            company_ids=[company.id],
        )

    @classmethod
    def create_leg(cls, crt_object_id, user, user_crt_object_id=None, **vals):
        return create_call_leg(
            cls.env,
            {
                'server_id': cls.server.id,
                'crt_object_id': crt_object_id,
                'user_crt_object_id': user_crt_object_id,
                'campaign_id': cls.campaign.id,
                'user_id': user.id,
                'phone': '+919876543210',
                # a call Ameyo gave this agent, as the pop of the agent's own call finds
                'ameyo_assigned': True,
                **vals,
            },
        )

    # ------------------------------------------------------------------
    # The URLs Ameyo throws at Odoo
    # ------------------------------------------------------------------

    @staticmethod
    def new_crt():
        """A crtObjectId no other call of the run has."""
        return f'd928-61955288-vce-{next(_crt_sequence)}'

    def pop_params(self, event='customer', agent=None, crt=None, **extra):
        """The parameters Ameyo appends to the URL of ``event`` ('kb', 'customer', 'preview',
        'dispose'), in its order, as the simulator builds them for a call it connected: the call
        ``crt`` (a new one by default) from ``pop_phone`` to ``agent`` (agent_a) in campaign 101,
        their agent leg and their Ameyo session. ``agent`` is a user, or the Ameyo userId the URL
        names. ``extra`` adds parameters or overrides them (dispositionCode, queueId, crmSessionId,
        token...); None leaves one out."""
        agent = agent or self.agent_a
        crt = crt or self.new_crt()
        user_id = agent if isinstance(agent, str) else agent.ameyo_user_id
        call = {
            'crtObjectId': crt,
            'userCrtObjectId': f'{crt}-ses-{user_id}-uce-webrtc-10846',
            'userId': user_id,
            'sessionId': f'd928-61955288-ses-{user_id}-22132',
            'campaignId': '101',
            'phone': self.pop_phone,
            'customerId': '-1',
            'callType': 'inbound.call.dial',
        }
        return build_lifecycle_params(call, event, **extra)

    def pop_url(self, event='customer', prefix='/ameyo', **params):
        """``<prefix>/<event>?<pop_params(event, **params)>``."""
        return f'{prefix}/{event}?{urlencode(self.pop_params(event, **params))}'

    def legs_of(self, crt):
        return self.env['ameyo.call'].search([('crt_object_id', '=', crt)])

    def snapshot(self):
        """What a refused Ameyo URL or SSO call must leave untouched: the count of every record it
        could create, the SSO tokens and the agents' Ameyo sessions as they are, the last write on a
        call leg."""
        self.env.invalidate_all()
        counts = {
            model: self.env[model].sudo().with_context(active_test=False).search_count([])
            for model in (
                'ameyo.call',
                'res.partner',
                'crm.lead',
                'ameyo.agent.session',
                'ameyo.queue',
                'ameyo.phone.pick',
                'ameyo.campaign',
                'ameyo.sso.token',
            )
        }
        tokens = (
            self.env['ameyo.sso.token']
            .sudo()
            .search([], order='id')
            .read(['session_identifiers', 'revoked', 'expires_at'])
        )
        sessions = (
            self.env['ameyo.agent.session']
            .sudo()
            .search([], order='id')
            .read(['session_id', 'seen_at'])
        )
        self.env.cr.execute("SELECT max(write_date) FROM ameyo_call")
        return counts, self.env.cr.fetchone()[0], tokens, sessions

    # ------------------------------------------------------------------
    # Crons, logs and the Ameyo client
    # ------------------------------------------------------------------

    def run_cron_job(self, xmlid, *loggers):
        """Run the cron ``xmlid`` as Odoo's scheduler does (its own transaction, its progress, its
        failure count), the client's, the scheduler's and ``loggers`` muted; fail the test when the
        run fails. Return the cron record."""
        cron = self.env.ref(xmlid)
        with mute_logger(CLIENT_LOGGER, CRON_LOGGER, *loggers):
            result = cron.method_direct_trigger()
        self.env.invalidate_all()
        self.assertIs(result, True, "the cron run failed")
        return cron

    @contextmanager
    def capture_every_log(self):
        """Capture the log records of the block, DEBUG included for this addon and the HTTP
        libraries, whatever level the test runner's configuration gives them (pytest-odoo's default
        holds Odoo's loggers at CRITICAL)."""
        loggers = [
            logging.getLogger(name) for name in ('odoo.addons.crm_ameyo', 'urllib3', 'requests')
        ]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.setLevel(logging.DEBUG)
        try:
            with self.assertLogs(logging.getLogger(), level=logging.DEBUG) as captured:
                yield captured
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)

    @contextmanager
    def ameyo_client_replaced(self, **answers):
        """Fast tests of buttons and crons that call Ameyo: for the block, each keyword names an API
        method of the Ameyo client (``dispose_call_for_user``, ``probe_server``, ...) and says what
        it does instead: a function takes its place (called with the client as ``self``), an
        exception is raised, any other value is returned. Other methods behave as usual. Yields the
        calls made, as (method, args, kwargs)."""
        calls = []
        api = {
            name
            for name, member in inspect.getmembers(AmeyoClient, inspect.isfunction)
            if not name.startswith('_')
        }
        unknown = set(answers) - api
        self.assertFalse(unknown, f'not an API method of the Ameyo client: {unknown}')

        def stand_in(name, answer):
            def method(client, *args, **kwargs):
                calls.append((name, args, kwargs))
                if isinstance(answer, BaseException) or (
                    isinstance(answer, type) and issubclass(answer, BaseException)
                ):
                    raise answer
                return answer(client, *args, **kwargs) if callable(answer) else answer

            return method

        with ExitStack() as stack:
            for name, answer in answers.items():
                stack.enter_context(patch.object(AmeyoClient, name, stand_in(name, answer)))
            yield calls

    @contextmanager
    def ameyo_timeout(self, seconds):
        """Requests to Ameyo time out after ``seconds`` in the block. Odoo's test harness lifts any
        timeout under 10 s to 10 s where requests sends it; this sets it again where requests hands
        it to the connection, so a timeout test does not wait 10 s."""
        send = requests.adapters.HTTPAdapter.send

        def send_with_timeout(adapter, request, **kwargs):
            return send(adapter, request, **dict(kwargs, timeout=seconds))

        with patch.object(requests.adapters.HTTPAdapter, 'send', send_with_timeout):
            yield


class AmeyoTransactionCase(AmeyoCommon, TransactionCase):
    """Our fixtures, in a transaction rolled back after each test."""


class SimulatorCase(AmeyoTransactionCase):
    """The test server talks to a simulator with its credentials, reset before each test: campaigns
    101 (Sale, Callback, Not Interested) and 102 (Paid), agent t.agent-a@acme (password pw-a) on
    101."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = cls.start_simulator()
        cls.server.base_url = cls.sim.url

    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.sim.add_campaign(
            '101', 'Test Campaign', dispositions=('Sale', 'Callback', 'Not Interested')
        )
        self.sim.add_campaign('102', 'Other Campaign', dispositions=('Paid',))
        self.session_a = self.sim.add_agent('t.agent-a@acme', password='pw-a', campaigns=('101',))
        self.client = self.server._get_ameyo_client()


class AmeyoHttpMixin:
    """Requests as a browser without stored cookies sends them, for HttpCase tests of pops and
    sessions."""

    RPC = {'jsonrpc': '2.0', 'method': 'call', 'id': 1, 'params': {}}

    @contextmanager
    def server_calls(self):
        """Requests from any client (ours with explicit cookies, the simulator's urllib) reach the
        test cursor in the block."""
        self.env.flush_all()
        self.env.invalidate_all()
        # requests carry no test cookie of their own: let the test cursor serve any of them
        # meanwhile
        with self.allow_requests(), patch.object(self, 'http_request_allow_all', True):
            yield
        self.env.invalidate_all()

    def _http(
        self, method, path, *, data=None, json_body=None, headers=None, cookies=None, timeout=30
    ):
        """One request carrying only ``cookies`` (Secure or not); the test cursor serves it;
        redirects are not followed."""
        headers = dict(headers or {})
        if cookies:
            headers['Cookie'] = '; '.join(f'{name}={value}' for name, value in cookies.items())
        with self.server_calls():
            return requests.request(
                method,
                self.base_url() + path,
                data=data,
                json=json_body,
                headers=headers,
                allow_redirects=False,
                timeout=timeout,
            )

    def _rpc_response(self, path, params=None, cookies=None):
        """The response to a JSON-RPC call."""
        return self._http(
            'POST', path, json_body=dict(self.RPC, params=params or {}), cookies=cookies
        )

    def _rpc(self, path, params=None, cookies=None):
        """A JSON-RPC call; return its decoded answer (``result`` or ``error``)."""
        return self._rpc_response(path, params, cookies=cookies).json()

    def _call_kw(self, model, method, args, cookies, kwargs=None):
        """What the web client sends for a button: ``/web/dataset/call_kw``."""
        return self._rpc(
            f'/web/dataset/call_kw/{model}/{method}',
            {'model': model, 'method': method, 'args': args, 'kwargs': kwargs or {}},
            cookies=cookies,
        )

    def _session_uid(self, sid):
        """The user the session ``sid`` is authenticated as, or None."""
        data = self._rpc('/web/session/get_session_info', cookies={'session_id': sid})
        if 'error' in data:
            self.assertEqual(
                data['error']['data']['name'], 'odoo.http.SessionExpiredException', data
            )
            return None
        return data['result']['uid']

    def _login_cookies(self, login, password=None):
        """The cookies of a browser logged in as ``login`` (password = login unless given)."""
        session = self.authenticate(login, password or login)
        return {'session_id': session.sid}

    @staticmethod
    def _set_cookies(response):
        """{cookie name: full Set-Cookie line}"""
        return {line.split('=', 1)[0]: line for line in response.raw.headers.getlist('Set-Cookie')}

    @staticmethod
    def _cookie_value(line):
        """The value of a Set-Cookie line."""
        return line.split(';', 1)[0].split('=', 1)[1]

    def sso_token(self, agent=None, password=None):
        """Ameyo's server logs ``agent`` (agent_a; password: their login unless given) in through
        Odoo's SSO API, as the simulator's SSO client does: their crmSessionId (the server must be
        in SSO mode)."""
        agent = agent or self.agent_a
        with self.server_calls():
            answer = sso_login(
                f'{self.base_url()}/ameyo/sso', agent.ameyo_user_id, password or agent.login
            )
        self.assertEqual(answer['status'], 'success', answer)
        return answer['crmSessionId']

    def _get(self, path, query=None):
        """GET ``path`` (and ``query``, a string or a dict) in the test's browser, without following
        redirects."""
        url = (
            path
            if query is None
            else f'{path}?{query if isinstance(query, str) else urlencode(query)}'
        )
        response = self.url_open(url, allow_redirects=False)
        self.env.invalidate_all()
        return response

    def throw(self, event='customer', prefix='/ameyo', **params):
        """Ameyo throws the URL of ``event`` at Odoo in the test's browser: ``pop_url(event, prefix,
        **params)``."""
        return self._get(self.pop_url(event, prefix, **params))

    def assertPops(self, response):
        """The response is the 303 of a pop: to the pop action of a leg (a new record, a view only
        the action forces), or straight to an existing record's form under its action
        (``/odoo/contacts/<id>``, ``/odoo/crm/<id>``, ``/odoo/action-<id>/<id>``): return the leg
        (there, the latest leg of that record)."""
        self.assertEqual(response.status_code, 303, response.text[:2000])
        location = response.headers['Location']
        path = urlsplit(location).path
        leg_id = path.removeprefix(POP_PATH_PREFIX).removesuffix(POP_PATH_SUFFIX)
        if not (leg_id.isdigit() and path == f'{POP_PATH_PREFIX}{leg_id}{POP_PATH_SUFFIX}'):
            model, record_id = self.pop_record_of(location)
            leg = self.env['ameyo.call'].search(
                [('lead_id' if model == 'crm.lead' else 'partner_id', '=', record_id)],
                order='id desc',
                limit=1,
            )
            self.assertTrue(leg, f'no leg is linked to the record of {location}')
            return leg
        leg = self.env['ameyo.call'].browse(int(leg_id))
        self.assertTrue(leg.exists())
        return leg

    def pop_record_of(self, location):
        """(model, id) of the record a direct pop URL opens (``/odoo/<action path or
        action-<id>>/<id>``)."""
        match = re.fullmatch(r'/odoo/([\w.-]+)/(\d+)', urlsplit(location).path)
        self.assertTrue(match, f'not a pop URL: {location}')
        action_ref, record_id = match.groups()
        Action = self.env['ir.actions.act_window']
        if action_ref == 'crm':
            model = 'crm.lead'  # the CRM app's path (its "My Pipeline")
        elif action_ref.startswith('action-'):
            model = Action.browse(int(action_ref.removeprefix('action-'))).res_model
        else:
            model = Action.search([('path', '=', action_ref)]).res_model
        self.assertIn(model, ('res.partner', 'crm.lead'), f'not a pop URL: {location}')
        return model, int(record_id)

    def assertNoSession(self, response):
        """The response opened no authenticated Odoo session."""
        cookie = self._set_cookies(response).get('session_id')
        if cookie:
            self.assertIsNone(self._session_uid(self._cookie_value(cookie)), cookie)

    def assertSessionOf(self, response, user):
        """The response opened an Odoo session authenticated as ``user``; return its id."""
        cookie = self._set_cookies(response).get('session_id')
        self.assertTrue(cookie, f'no session cookie in {response.headers}')
        sid = self._cookie_value(cookie)
        self.assertEqual(self._session_uid(sid), user.id)
        return sid


class AmeyoHttpCase(AmeyoCommon, AmeyoHttpMixin, HttpCase):
    """Our fixtures, through Odoo's HTTP server. ``server_values`` are written on the test server
    (session mode, embedding origins, URL token...), the only active server whatever the demo data
    holds (the plain /ameyo/<event> paths find it) unless ``only_server`` is false."""

    only_server = True
    server_values = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.write(cls.server_values)
        if cls.only_server:
            cls.env['ameyo.server'].search([('id', '!=', cls.server.id)]).active = False


class AmeyoTourCase(HttpCase):
    """A Chromium tour's own Ameyo: a simulator with one campaign and its agent, the same server and
    campaign in Odoo (``cls.sim``, ``cls.campaign``)."""

    @classmethod
    def setup_tour_ameyo(
        cls,
        campaign_id,
        agent_user_id,
        dispose_token=None,
        dispositions=(('Sale', 'Sale'), ('Not Interested', 'Not interested')),
    ):
        """Start the simulator and mirror it in Odoo; return the campaign's dispositions."""
        token = {'dispose_token': dispose_token} if dispose_token else {}
        cls.sim = AmeyoSimulator(**token).start()
        cls.addClassCleanup(cls.sim.stop)
        cls.sim.add_campaign(
            campaign_id, 'Tour Campaign', dispositions=tuple(code for code, _name in dispositions)
        )
        cls.sim.add_agent(agent_user_id, campaigns=(campaign_id,))
        server = cls.env['ameyo.server'].create(
            {'name': 'Tour Ameyo', 'base_url': cls.sim.url, **token}
        )
        cls.campaign = cls.env['ameyo.campaign'].create(
            {'server_id': server.id, 'ameyo_campaign_id': campaign_id, 'name': 'Tour Campaign'}
        )
        return cls.env['ameyo.disposition'].create(
            [
                {'campaign_id': cls.campaign.id, 'code': code, 'name': name}
                for code, name in dispositions
            ]
        )

    def customer_url(self, call, **extra):
        """The customer URL Ameyo throws for the simulator's ``call`` (``extra`` parameters
        added)."""
        return (
            f"/ameyo/customer?{urlencode({**self.sim.lifecycle_params(call, 'customer'), **extra})}"
        )

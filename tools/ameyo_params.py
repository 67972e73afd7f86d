"""The parameters Ameyo appends to the lifecycle URLs, read and validated.

Ameyo sends camelCase names (``sessionId``, ``crtObjectId``, ...); some
deployments send them in lower case (``userid``). Names are matched
case-insensitively; unknown parameters are ignored whatever they hold (real
URLs carry JSON in ``externalData``). Each known parameter is checked against
its own format: a value that does not fit is refused with the parameter's name,
before anything is read or written.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo.tools import LazyTranslate
from odoo.tools.i18n import format_list

_lt = LazyTranslate(__name__)

# Ameyo ids (crtObjectId, userCrtObjectId, sessionId, userId...): letters, digits and - _ . @ : +
# (user ids are often e-mail addresses; session ids embed the user id).
AMEYO_ID_RE = re.compile(r'^[A-Za-z0-9._@:+-]{1,128}$')
_LONG_ID_RE = re.compile(r'^[A-Za-z0-9._@:+-]{1,256}$')
_SHORT_ID_RE = re.compile(r'^[A-Za-z0-9._-]{1,64}$')
_CUSTOMER_ID_RE = re.compile(r'^-?[A-Za-z0-9._-]{1,64}$')
# digits, separators, and the X or * of a number Ameyo masks (maskingEnabled=true)
_PHONE_RE = re.compile(r'^\+?[0-9Xx* ().-]{3,32}$')
_CALL_TYPE_RE = re.compile(r'^[A-Za-z._-]{1,64}$')
_TOKEN_RE = re.compile(r'^[A-Za-z0-9._~-]{8,256}$')
_ID_LIST_RE = re.compile(r'^\[?[A-Za-z0-9._@:+, "-]{0,2048}\]?$')
# Free text (queue names, disposition codes and attributes): printable, no markup.
TEXT_RE = re.compile(r'^[^\x00-\x1f\x7f<>"`{}\\]{1,128}$')
# A flag (selfCallback): read as true or false by ``is_true``; any short word passes, never fatal.
_FLAG_RE = re.compile(r'^[A-Za-z0-9]{1,8}$')

MAX_QUERY_LENGTH = 16384
# Parameters that hold (or embed) the agent's user id, often an e-mail address
_USER_ID_PARAMETERS = ('userId', 'sessionId', 'userCrtObjectId', 'userCrtObjectIds')


class AmeyoParamError(ValueError):
    """A lifecycle URL is refused: parameters missing, or one malformed.

    ``params`` names the parameters at fault (all the missing ones at once), ``problem``
    says what is wrong ('missing', 'malformed', 'twice', 'encoding', 'digits', 'too_long');
    :meth:`message` is the sentence shown to the agent, in their language.
    """

    def __init__(self, params, problem):
        self.params = (params,) if isinstance(params, str) else tuple(params)
        self.param = self.params[0]
        self.problem = problem
        super().__init__(f"{', '.join(self.params)}: {problem}")

    def message(self, env):
        """The problem in plain words, translated in ``env``'s language."""
        param = self.param
        if self.problem == 'missing':
            if len(self.params) > 1:
                return env._(
                    "The parameters %(params)s are missing from the URL.",
                    params=format_list(env, self.params),
                )
            return env._("The parameter %(param)s is missing from the URL.", param=param)
        if self.problem == 'malformed':
            return env._(
                "The parameter %(param)s must be %(format)s.",
                param=param,
                format=env._(PARAMETERS[param][2]),
            )
        if self.problem == 'twice':
            return env._(
                "The parameter %(param)s appears twice with different values.", param=param
            )
        if self.problem == 'encoding':
            return env._("The parameter %(param)s is not valid UTF-8 text.", param=param)
        if self.problem == 'digits':
            return env._("The parameter %(param)s must hold at least 3 digits.", param=param)
        return env._("The URL is longer than %(max)s characters.", max=MAX_QUERY_LENGTH)


# canonical name -> (aliases, lower-cased; validator; the format in words, to follow "must be")
PARAMETERS = {
    'sessionId': (('sessionid',), _LONG_ID_RE, _lt('an Ameyo session id')),
    'campaignId': (('campaignid',), _SHORT_ID_RE, _lt('a campaign id (letters, digits, . _ -)')),
    'crtObjectId': (('crtobjectid',), _LONG_ID_RE, _lt('an Ameyo call id')),
    'userCrtObjectId': (
        ('usercrtobjectid',),
        _LONG_ID_RE,
        _lt("the Ameyo id of the agent's part of the call"),
    ),
    'userCrtObjectIds': (
        ('usercrtobjectids',),
        _ID_LIST_RE,
        _lt("a list of Ameyo ids of the agent's calls"),
    ),
    'userId': (('userid',), AMEYO_ID_RE, _lt('an Ameyo user id')),
    'customerId': (('customerid',), _CUSTOMER_ID_RE, _lt('an Ameyo customer id')),
    'phone': (
        ('phone',),
        _PHONE_RE,
        _lt('a phone number (digits, +, spaces, brackets, dots, dashes)'),
    ),
    'queueId': (
        ('queueid',),
        TEXT_RE,
        _lt('a queue id without special characters such as < > or quotes'),
    ),
    'queueName': (
        ('queuename',),
        TEXT_RE,
        _lt('a queue name without special characters such as < > or quotes'),
    ),
    'callType': (('calltype',), _CALL_TYPE_RE, _lt('an Ameyo call type such as inbound.call.dial')),
    'crmSessionId': (
        ('crmsessionid',),
        _TOKEN_RE,
        _lt('the Odoo session token that single sign-on gave Ameyo'),
    ),
    'token': (('token',), _TOKEN_RE, _lt("the URL token set on the Ameyo server in Odoo")),
    'dispositionCode': (
        ('dispositioncode', 'disposition'),
        TEXT_RE,
        _lt('a disposition code without special characters such as < > or quotes'),
    ),
    'dispositionAttribute': (
        ('dispositionattribute', 'dispositionattr'),
        TEXT_RE,
        _lt('a disposition attribute such as local-2026-11-25 10:00:00'),
    ),
    'selfCallback': (('selfcallback',), _FLAG_RE, _lt('true or false')),
    # timing some dispose URLs carry (models/ameyo_call_measures.py reads them)
    'talkTime': (('talktime',), re.compile(r'^[0-9:.]{1,16}$'), _lt('seconds or HH:MM:SS')),
    'callEndTime': (('callendtime',), re.compile(r'^[0-9 :/.T+-]{1,40}$'), _lt('a date and time')),
}
# Measures only: a value that does not fit is left out, never a reason to refuse the URL.
LENIENT = frozenset({'talkTime', 'callEndTime'})
_ALIASES = {alias: name for name, (aliases, _re, _desc) in PARAMETERS.items() for alias in aliases}

# The pages Ameyo's agent client loads, under one prefix: /ameyo/<event>, or /ameyo/<server
# id>/<event> for a database serving several Ameyo servers. A contract with Ameyo's configuration.
URL_PREFIX = '/ameyo'
EVENTS = ('kb', 'customer', 'preview', 'dispose')


def lifecycle_path(event, server_id=None):
    """The path of Odoo's page for ``event`` (a lifecycle event, or 'sso'), naming the server if
    given."""
    return f'{URL_PREFIX}/{server_id}/{event}' if server_id else f'{URL_PREFIX}/{event}'


# What each lifecycle event cannot do without.
REQUIRED = {
    'kb': ('userId',),
    'customer': ('userId', 'crtObjectId'),
    'preview': ('userId', 'crtObjectId'),
    'dispose': ('userId', 'crtObjectId', 'dispositionCode'),
}


def parse_lifecycle_params(query_items, event, query_string=''):
    """Return ``{canonical name: value}`` of the known parameters in ``query_items``.

    ``query_items`` is a list of ``(name, value)`` pairs as decoded from the URL.
    Raise :class:`AmeyoParamError` for a missing required parameter, a malformed
    value, a value given twice with different contents, or a bad encoding.
    """
    if len(query_string) > MAX_QUERY_LENGTH:
        raise AmeyoParamError('query', 'too_long')
    params = {}
    for raw_name, value in query_items:
        name = _ALIASES.get(raw_name.lower())
        if name is None:
            continue  # unknown parameter: ignored, whatever it holds
        value = value.strip()
        if '\ufffd' in value:
            raise AmeyoParamError(name, 'encoding')
        if name in params and params[name] != value:
            raise AmeyoParamError(name, 'twice')
        if not value:
            continue
        if name in _USER_ID_PARAMETERS:
            # user ids never hold spaces: a space is a '+' of an e-mail address Ameyo did not encode
            value = value.replace(' ', '+')
        if name == 'customerId' and value == '-1':
            params[name] = value
            continue
        if not PARAMETERS[name][1].match(value):
            if name in LENIENT:
                continue
            raise AmeyoParamError(name, 'malformed')
        params[name] = value
    missing = [name for name in REQUIRED[event] if not params.get(name)]
    if missing:
        raise AmeyoParamError(missing, 'missing')
    if 'phone' in params and sum(char.isdigit() or char in 'Xx*' for char in params['phone']) < 3:
        raise AmeyoParamError('phone', 'digits')
    return params


def parse_lifecycle_request(httprequest, event):
    """The known parameters of the lifecycle request ``httprequest`` for ``event`` (see
    :func:`parse_lifecycle_params`, which raises :class:`AmeyoParamError`)."""
    return parse_lifecycle_params(
        list(httprequest.args.items(multi=True)), event, httprequest.query_string.decode('latin-1')
    )


@dataclass(frozen=True)
class LifecycleRequest:
    """A lifecycle URL that passed every check of ``ir.http``'s auth method ``ameyo``.

    Kept on Odoo's ``request`` as ``request.ameyo_lifecycle`` for the controller: the URL
    is parsed and its server resolved once, by the auth method.
    """

    event: str
    params: dict
    server: object  # ameyo.server (as superuser)
    agent: object  # res.users: whom the URL acts for
    token: object = None  # the ameyo.sso.token that named them (SSO mode), else None


def is_true(flag):
    """A flag parameter (``selfCallback``) as Ameyo spells true: true, 1, yes, y (any case)."""
    return (flag or '').strip().lower() in ('true', '1', 'yes', 'y')


# ----------------------------------------------------------------------
# Callback attributes (dispositionAttribute): one grammar, both directions
# ----------------------------------------------------------------------
# The dispose wizard writes them (Odoo tells Ameyo), Ameyo's dispose URL sends them back (a callback
# the agent scheduled in Ameyo): ``local-<time>`` in the Ameyo server's time zone,
# ``customer-<time>`` in the customer's, both in the server's callback time format;
# ``after-DD-MM-YYYY HH:mm:ss``, an offset from the dispose (days, months, years, hours, minutes,
# seconds; 3 days 2 h: after-03-00-0000 02:00:00).
CALLBACK_FORMS = ('local', 'customer', 'after')
_AFTER_RE = re.compile(r'^(\d{1,3})-(\d{1,2})-(\d{1,4}) (\d{1,3}):(\d{1,2}):(\d{1,2})$')
DEFAULT_TIME_FORMAT = '%Y-%m-%d %H:%M:%S'
# The callback times Odoo can place: a day from Python's limits, so that no time zone pushes one out
# of range (after-00-00-9999 00:00:01, local-0001-01-01 00:00:00 are unreadable, kept verbatim,
# never an error).
CALLBACK_MIN = datetime.min + timedelta(days=1)
CALLBACK_MAX = datetime.max - timedelta(days=1)


def format_callback_attribute(form, when):
    """The attribute of a callback: ``form`` 'local' or 'customer' with ``when`` the time already
    formatted in its zone (the server's format), or 'after' with ``when`` a number of hours."""
    if form == 'after':
        days, hours = divmod(int(when), 24)
        return f'after-{days:02d}-00-0000 {hours:02d}:00:00'
    if form not in CALLBACK_FORMS:
        raise ValueError(f'unknown callback form {form!r}')
    return f'{form}-{when}'


def parse_callback_attribute(attribute, time_format=DEFAULT_TIME_FORMAT):
    """Read a callback attribute: ``(form, value)``, the value a naive datetime in the form's zone
    ('local', 'customer') or a :class:`relativedelta` from the dispose ('after'); None when it is
    not one Odoo can read (the caller keeps it verbatim). Never raises."""
    form, _sep, rest = (attribute or '').strip().partition('-')
    form, rest = form.lower(), rest.strip()
    if form not in CALLBACK_FORMS or not rest:
        return None
    if form == 'after':
        match = _AFTER_RE.match(rest)
        if not match:
            return None
        days, months, years, hours, minutes, seconds = (int(part) for part in match.groups())
        try:
            delay = relativedelta(
                years=years, months=months, days=days, hours=hours, minutes=minutes, seconds=seconds
            )
            reached = datetime.now() + delay
        except (OverflowError, ValueError):
            return None  # a delay beyond the dates Odoo can place
        if reached > CALLBACK_MAX:
            return None
        return (form, delay) if any(match.groups()) and delay != relativedelta() else None
    for pattern in dict.fromkeys(
        (time_format or DEFAULT_TIME_FORMAT, DEFAULT_TIME_FORMAT, '%Y-%m-%d %H:%M')
    ):
        try:
            value = datetime.strptime(rest, pattern)
        except ValueError:
            continue
        return (form, value) if CALLBACK_MIN <= value <= CALLBACK_MAX else None
    return None

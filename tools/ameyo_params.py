"""The parameters Ameyo appends to the lifecycle URLs, read and validated.

Ameyo sends camelCase names (``sessionId``, ``crtObjectId``, ...); some
deployments send them in lower case (``userid``). Names are matched
case-insensitively; unknown parameters are ignored whatever they hold (real
URLs carry JSON in ``externalData``). Each known parameter is checked against
its own format: a value that does not fit is refused with the parameter's name,
before anything is read or written.
"""

import re

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

MAX_QUERY_LENGTH = 16384
# Parameters that hold (or embed) the agent's user id, often an e-mail address
_USER_ID_PARAMETERS = ('userId', 'sessionId', 'userCrtObjectId', 'userCrtObjectIds')


class AmeyoParamError(ValueError):
    """A lifecycle URL parameter is missing or malformed; ``param`` names it."""

    def __init__(self, param, problem):
        super().__init__(f'{param}: {problem}')
        self.param = param
        self.problem = problem


# canonical name -> (aliases, lower-cased; validator; human description of the format)
PARAMETERS = {
    'sessionId': (('sessionid',), _LONG_ID_RE, 'an Ameyo session id'),
    'campaignId': (('campaignid',), _SHORT_ID_RE, 'a campaign id (letters, digits, . _ -)'),
    'crtObjectId': (('crtobjectid',), _LONG_ID_RE, 'an Ameyo call id'),
    'userCrtObjectId': (('usercrtobjectid',), _LONG_ID_RE, 'an Ameyo agent-leg id'),
    'userCrtObjectIds': (('usercrtobjectids',), _ID_LIST_RE, 'a list of agent-leg ids'),
    'userId': (('userid',), AMEYO_ID_RE, 'an Ameyo user id'),
    'customerId': (('customerid',), _CUSTOMER_ID_RE, 'an Ameyo customer id'),
    'phone': (('phone',), _PHONE_RE, 'a phone number (digits, +, spaces, brackets, dots, dashes)'),
    'queueId': (('queueid',), TEXT_RE, 'a queue id without markup'),
    'queueName': (('queuename',), TEXT_RE, 'a queue name without markup'),
    'callType': (('calltype',), _CALL_TYPE_RE, 'an Ameyo call type such as inbound.call.dial'),
    'crmSessionId': (('crmsessionid',), _TOKEN_RE, 'a CRM session token'),
    'token': (('token',), _TOKEN_RE, 'the URL token'),
    'dispositionCode': (('dispositioncode', 'disposition'), TEXT_RE, 'a disposition code without markup'),
    'dispositionAttribute': (('dispositionattribute', 'dispositionattr'), TEXT_RE,
                             'a disposition attribute such as local-2026-11-25 10:00:00'),
    # timing some dispose URLs carry (models/ameyo_call_measures.py reads them)
    'talkTime': (('talktime',), re.compile(r'^[0-9:.]{1,16}$'), 'seconds or HH:MM:SS'),
    'callEndTime': (('callendtime',), re.compile(r'^[0-9 :/.T+-]{1,40}$'), 'a date and time'),
}
# Measures only: a value that does not fit is left out, never a reason to refuse the URL.
LENIENT = frozenset({'talkTime', 'callEndTime'})
_ALIASES = {alias: name for name, (aliases, _re, _desc) in PARAMETERS.items() for alias in aliases}

# The pages Ameyo's agent client loads, under one prefix: /ameyo/<event>, or /ameyo/<server id>/<event>
# for a database serving several Ameyo servers. A contract with Ameyo's configuration.
URL_PREFIX = '/ameyo'
EVENTS = ('kb', 'customer', 'preview', 'dispose')


def lifecycle_path(event, server_id=None):
    """The path of Odoo's page for ``event`` (a lifecycle event, or 'sso'), naming the server if given."""
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
        raise AmeyoParamError('query', f'longer than {MAX_QUERY_LENGTH} characters')
    params = {}
    for raw_name, value in query_items:
        name = _ALIASES.get(raw_name.lower())
        if name is None:
            continue  # unknown parameter: ignored, whatever it holds
        value = value.strip()
        if '\ufffd' in value:
            raise AmeyoParamError(name, 'not valid UTF-8')
        if name in params and params[name] != value:
            raise AmeyoParamError(name, 'given twice with different values')
        if not value:
            continue
        if name in _USER_ID_PARAMETERS:
            # user ids never hold spaces: a space is a '+' of an e-mail address Ameyo did not encode
            value = value.replace(' ', '+')
        if name == 'customerId' and value == '-1':
            params[name] = value
            continue
        regex, description = PARAMETERS[name][1], PARAMETERS[name][2]
        if not regex.match(value):
            if name in LENIENT:
                continue
            raise AmeyoParamError(name, f'must be {description}')
        params[name] = value
    for name in REQUIRED[event]:
        if not params.get(name):
            raise AmeyoParamError(name, 'missing')
    if 'phone' in params and sum(char.isdigit() or char in 'Xx*' for char in params['phone']) < 3:
        raise AmeyoParamError('phone', 'must hold at least 3 digits')
    return params

"""The parameters Ameyo appends to the lifecycle URLs, read and validated.

Ameyo sends camelCase names (``sessionId``, ``crtObjectId``, ...); some
deployments send them in lower case (``userid``). Names are matched
case-insensitively; unknown parameters are ignored whatever they hold (real
URLs carry JSON in ``externalData``). Each known parameter is checked against
its own format: a value that does not fit is refused with the parameter's name,
before anything is read or written.
"""

import re

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

MAX_QUERY_LENGTH = 16384
# Parameters that hold (or embed) the agent's user id, often an e-mail address
_USER_ID_PARAMETERS = ('userId', 'sessionId', 'userCrtObjectId', 'userCrtObjectIds')


class AmeyoParamError(ValueError):
    """A lifecycle URL is refused: parameters missing, or one malformed.

    ``params`` names the parameters at fault (all the missing ones at once), ``problem``
    says what is wrong ('missing', 'malformed', 'twice', 'encoding', 'digits', 'too_long');
    :meth:`message` is the sentence shown to the agent, in his language.
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
                return env._("The parameters %(params)s are missing from the URL.",
                             params=format_list(env, self.params))
            return env._("The parameter %(param)s is missing from the URL.", param=param)
        if self.problem == 'malformed':
            return env._("The parameter %(param)s must be %(format)s.", param=param,
                         format=env._(PARAMETERS[param][2]))
        if self.problem == 'twice':
            return env._("The parameter %(param)s appears twice with different values.", param=param)
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
    'userCrtObjectId': (('usercrtobjectid',), _LONG_ID_RE, _lt("the Ameyo id of the agent's part of the call")),
    'userCrtObjectIds': (('usercrtobjectids',), _ID_LIST_RE, _lt("a list of Ameyo ids of the agent's calls")),
    'userId': (('userid',), AMEYO_ID_RE, _lt('an Ameyo user id')),
    'customerId': (('customerid',), _CUSTOMER_ID_RE, _lt('an Ameyo customer id')),
    'phone': (('phone',), _PHONE_RE, _lt('a phone number (digits, +, spaces, brackets, dots, dashes)')),
    'queueId': (('queueid',), TEXT_RE, _lt('a queue id without special characters such as < > or quotes')),
    'queueName': (('queuename',), TEXT_RE,
                  _lt('a queue name without special characters such as < > or quotes')),
    'callType': (('calltype',), _CALL_TYPE_RE, _lt('an Ameyo call type such as inbound.call.dial')),
    'crmSessionId': (('crmsessionid',), _TOKEN_RE, _lt('the Odoo session token that single sign-on gave Ameyo')),
    'token': (('token',), _TOKEN_RE, _lt("the URL token set on the Ameyo server in Odoo")),
    'dispositionCode': (('dispositioncode', 'disposition'), TEXT_RE,
                        _lt('a disposition code without special characters such as < > or quotes')),
    'dispositionAttribute': (('dispositionattribute', 'dispositionattr'), TEXT_RE,
                             _lt('a disposition attribute such as local-2026-11-25 10:00:00')),
}
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
            raise AmeyoParamError(name, 'malformed')
        params[name] = value
    missing = [name for name in REQUIRED[event] if not params.get(name)]
    if missing:
        raise AmeyoParamError(missing, 'missing')
    if 'phone' in params and sum(char.isdigit() or char in 'Xx*' for char in params['phone']) < 3:
        raise AmeyoParamError('phone', 'digits')
    return params

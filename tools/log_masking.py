"""Keep Ameyo credentials out of Odoo's request log.

Odoo's HTTP server logs every request line with its full query string
(``werkzeug`` logger, ``CommonRequestHandler.log_request``). The URLs Ameyo
throws at Odoo carry the agent's Ameyo ``sessionId`` and, with SSO, the
``crmSessionId`` token: both are credentials. This filter rewrites the values
of those parameters to ``***`` on our routes before any handler formats them.

The legacy API carries its arguments, the agent's session id among them, as JSON in
one ``data`` query parameter (``/ameyowebaccess/command?command=downloadVoiceLog&data=
{...}``, percent-encoded in urllib3's request lines): the whole ``data`` value is masked
on Ameyo's lines, and any ``"sessionId": "..."`` pair (JSON or Python repr, raw or
percent-encoded) wherever it shows.
"""

import logging
import re

# Query parameters whose value is a credential, matched case-insensitively.
SECRET_PARAMETERS = (
    'sessionid',
    'crmsessionid',
    'token',
    'password',
    'hash-key',
    'hash_key',
    'access_token',
)
# Query parameters whose whole value is masked: the legacy API's JSON arguments (the session id
# inside).
ARGUMENT_PARAMETERS = ('data',)

# A pop URL also travels percent-encoded (once or more) inside another URL: the
# ``redirect`` of Odoo's login page and of the logout link sends the agent back to it.
_ENCODED = r'%(?:25)*'
_SEPARATOR = rf'(?:[?&;]|{_ENCODED}(?:3F|26|3B))'
_EQUALS = rf'(?:=|{_ENCODED}3D)'
_SECRET_NAMES = '|'.join(re.escape(name) for name in SECRET_PARAMETERS)
_MASKED_NAMES = '|'.join(re.escape(name) for name in (*SECRET_PARAMETERS, *ARGUMENT_PARAMETERS))
_SECRET_VALUE_RE = re.compile(
    rf'(?i)({_SEPARATOR}(?:{_MASKED_NAMES}){_EQUALS})(?:(?!{_ENCODED}(?:26|3B))[^&;\s"])*'
)
# "sessionId": "value" in JSON (or 'sessionId': 'value' in a repr), raw or percent-encoded ("+" for
# a space).
_QUOTE = rf'(?:["\']|{_ENCODED}(?:22|27))'
_SECRET_PAIR_RE = re.compile(
    rf'(?i)({_QUOTE}(?:{_SECRET_NAMES}){_QUOTE}(?:\s|\+|{_ENCODED}20)*(?::|{_ENCODED}3A)(?:\s|\+|'
    rf'{_ENCODED}20)*'
    rf'{_QUOTE})(?:(?!{_ENCODED}(?:22|27))[^"\'\s&])*'
)
# Request lines that may carry Ameyo credentials: our routes (werkzeug's request log) and
# Ameyo's own APIs (urllib3 logs each outbound request line at DEBUG level), also as the
# encoded redirect target of another page.
_PATH_MARKER_RE = re.compile(
    rf'(?i)(?:/|{_ENCODED}2F)(?:ameyo|ameyorestapi|ameyowebaccess|dacx)(?:/|{_ENCODED}2F)'
)


def mask_secrets(text):
    """Return ``text`` with the value of every secret query parameter replaced by ``***``."""
    return _SECRET_PAIR_RE.sub(r'\1***', _SECRET_VALUE_RE.sub(r'\1***', text))


def _concerns_ameyo(text):
    return isinstance(text, str) and bool(_PATH_MARKER_RE.search(text))


class AmeyoSecretFilter(logging.Filter):
    """Mask credential query parameters in request-log records that concern Ameyo."""

    def filter(self, record):
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                mask_secrets(arg) if _concerns_ameyo(arg) else arg for arg in record.args
            )
        if _concerns_ameyo(record.msg):
            record.msg = mask_secrets(record.msg)
        return True


# The loggers that write request lines: Odoo's (werkzeug) and urllib3's (request, retry, redirect).
LOGGER_NAMES = ('werkzeug', 'urllib3.connectionpool', 'urllib3.util.retry', 'urllib3.poolmanager')


def install(logger_names=LOGGER_NAMES):
    """Attach the filter once to each logger (idempotent across module reloads)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, AmeyoSecretFilter) for existing in logger.filters):
            logger.addFilter(AmeyoSecretFilter())


install()

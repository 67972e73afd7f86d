"""Keep Ameyo credentials out of Odoo's request log.

Odoo's HTTP server logs every request line with its full query string
(``werkzeug`` logger, ``CommonRequestHandler.log_request``). The URLs Ameyo
throws at Odoo carry the agent's Ameyo ``sessionId`` and, with SSO, the
``crmSessionId`` token: both are credentials. This filter rewrites the values
of those parameters to ``***`` on our routes before any handler formats them.
"""

import logging
import re

# Query parameters whose value is a credential, matched case-insensitively.
SECRET_PARAMETERS = ('sessionid', 'crmsessionid', 'token', 'password', 'hash-key', 'hash_key', 'access_token')

# A pop URL also travels percent-encoded (once or more) inside another URL: the
# ``redirect`` of Odoo's login page and of the logout link sends the agent back to it.
_ENCODED = r'%(?:25)*'
_SEPARATOR = rf'(?:[?&;]|{_ENCODED}(?:3F|26|3B))'
_EQUALS = rf'(?:=|{_ENCODED}3D)'
_SECRET_NAMES = '|'.join(re.escape(name) for name in SECRET_PARAMETERS)
_SECRET_VALUE_RE = re.compile(
    rf'(?i)({_SEPARATOR}(?:{_SECRET_NAMES}){_EQUALS})(?:(?!{_ENCODED}(?:26|3B))[^&;\s"])*')
# Request lines that may carry Ameyo credentials: our routes (werkzeug's request log) and
# Ameyo's own APIs (urllib3 logs each outbound request line at DEBUG level), also as the
# encoded redirect target of another page.
_PATH_MARKER_RE = re.compile(rf'(?i)(?:/|{_ENCODED}2F)(?:ameyo|ameyorestapi|ameyowebaccess|dacx)(?:/|{_ENCODED}2F)')


def mask_secrets(text):
    """Return ``text`` with the value of every secret query parameter replaced by ``***``."""
    return _SECRET_VALUE_RE.sub(r'\1***', text)


def _concerns_ameyo(text):
    return isinstance(text, str) and bool(_PATH_MARKER_RE.search(text))


class AmeyoSecretFilter(logging.Filter):
    """Mask credential query parameters in request-log records that concern Ameyo."""

    def filter(self, record):
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(mask_secrets(arg) if _concerns_ameyo(arg) else arg for arg in record.args)
        if _concerns_ameyo(record.msg):
            record.msg = mask_secrets(record.msg)
        return True


def install(logger_names=('werkzeug', 'urllib3.connectionpool')):
    """Attach the filter once to each logger (idempotent across module reloads)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, AmeyoSecretFilter) for existing in logger.filters):
            logger.addFilter(AmeyoSecretFilter())


install()

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

_SECRET_VALUE_RE = re.compile(
    r'(?i)([?&;](?:%s)=)[^&;\s"]*' % '|'.join(re.escape(name) for name in SECRET_PARAMETERS)
)
_OUR_PATH_MARKER = '/ameyo/'


def mask_secrets(text):
    """Return ``text`` with the value of every secret query parameter replaced by ``***``."""
    return _SECRET_VALUE_RE.sub(r'\1***', text)


class AmeyoSecretFilter(logging.Filter):
    """Mask credential query parameters in request-log records of our routes."""

    def filter(self, record):
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                mask_secrets(arg) if isinstance(arg, str) and _OUR_PATH_MARKER in arg else arg
                for arg in record.args
            )
        elif isinstance(record.msg, str) and _OUR_PATH_MARKER in record.msg:
            record.msg = mask_secrets(record.msg)
        return True


def install(logger_name='werkzeug'):
    """Attach the filter once to ``logger_name`` (idempotent across module reloads)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, AmeyoSecretFilter) for existing in logger.filters):
        logger.addFilter(AmeyoSecretFilter())


install()

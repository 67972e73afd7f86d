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
# Request lines that may carry Ameyo credentials: our routes (werkzeug's request log) and
# Ameyo's own APIs (urllib3 logs each outbound request line at DEBUG level).
_PATH_MARKERS = ('/ameyo/', '/ameyorestapi/', '/ameyowebaccess/', '/dacx/')


def mask_secrets(text):
    """Return ``text`` with the value of every secret query parameter replaced by ``***``."""
    return _SECRET_VALUE_RE.sub(r'\1***', text)


def _concerns_ameyo(text):
    return isinstance(text, str) and any(marker in text for marker in _PATH_MARKERS)


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

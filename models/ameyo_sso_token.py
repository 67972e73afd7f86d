"""Single sign-on with Ameyo: the crmSessionId tokens Odoo hands out at Ameyo's login call.

A token is random, returned once, stored only as its SHA-256 hash, expires, and is
revoked by Ameyo's logout call, which also ends the Odoo sessions it opened. Failed
logins are throttled per Ameyo userId: every SSO call comes from Ameyo's own server,
so a per-address limit would let one agent's typos lock every agent out.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.http import root

_logger = logging.getLogger(__name__)

TOKEN_LIFETIME = timedelta(hours=14)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=10)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class AmeyoSsoToken(models.Model):
    _name = 'ameyo.sso.token'
    _description = 'Ameyo SSO Session'
    _order = 'id desc'

    user_id = fields.Many2one('res.users', required=True, index=True, ondelete='cascade')
    server_id = fields.Many2one('ameyo.server', ondelete='cascade')
    token_hash = fields.Char(required=True, copy=False)
    expires_at = fields.Datetime(required=True)
    revoked = fields.Boolean()
    session_identifiers = fields.Text(
        help="Identifiers of the Odoo sessions this token opened, ended when Ameyo logs the agent out.")

    _token_hash_uniq = models.UniqueIndex('(token_hash)', "An SSO token is unique.")

    @api.model
    def _issue(self, user, server):
        """Create a token for ``user`` and return it in clear (the only time it exists in clear)."""
        token = secrets.token_urlsafe(32)
        self.sudo().create({
            'user_id': user.id,
            'server_id': server.id if server else False,
            'token_hash': hash_token(token),
            'expires_at': fields.Datetime.now() + TOKEN_LIFETIME,
        })
        return token

    @api.model
    def _find_valid(self, token, server=None):
        """The live token record for ``token`` issued for ``server``, or empty (a hash lookup)."""
        if not token or len(token) > 256:
            return self.sudo().browse()
        record = self.sudo().search([('token_hash', '=', hash_token(token))], limit=1)
        if not record or record.revoked or record.expires_at <= fields.Datetime.now() \
                or not record.user_id.active or (server is not None and record.server_id != server):
            return self.sudo().browse()
        return record

    def _remember_session(self, identifier):
        self.ensure_one()
        known = set((self.session_identifiers or '').split())
        known.add(identifier)
        self.session_identifiers = ' '.join(sorted(known))

    def _revoke(self):
        """Revoke the tokens and end the Odoo sessions they opened."""
        identifiers = []
        for record in self:
            identifiers += (record.session_identifiers or '').split()
        self.write({'revoked': True, 'session_identifiers': False})
        if identifiers:
            try:
                root.session_store.delete_from_identifiers(identifiers)
            except ValueError:
                _logger.warning("Ameyo SSO logout: a session identifier was malformed and skipped")

    @api.model
    def _ameyo_sso_login(self, server, user_key, password):
        """Ameyo's ``command=login``: return ``(status, message, crmSessionId)``.

        The failure message is the same whether the user exists or not.
        """
        failed = ('failed', 'Invalid credentials', '')
        if not user_key or not password or len(user_key) > 128 or len(password) > 1024:
            return failed
        key = user_key.lower()
        Throttle = self.env['ameyo.sso.throttle']
        if Throttle._is_locked(key):
            return 'failed', 'Too many failed attempts, try again later', ''
        user = self.env['res.users']._ameyo_user_for(user_key)
        if not user or not user._ameyo_check_sso_password(password):
            Throttle._record_failure(key)
            _logger.info("Ameyo SSO login refused for an Ameyo user")
            return failed
        Throttle._record_success(key)
        _logger.info("Ameyo SSO login of user %s", user.id)
        return 'success', 'Auth Successful', self._issue(user, server)

    @api.model
    def _ameyo_sso_logout(self, token, source):
        """Ameyo's ``command=logout`` from address ``source``: revoke the token and end the Odoo sessions it
        opened. Return False, and do nothing, when the token's server does not let ``source`` call it."""
        if not token or len(token) > 256:
            return True
        records = self.sudo().search([('token_hash', '=', hash_token(token)), ('revoked', '=', False)])
        if any(not record.server_id._ameyo_sso_source_allowed(source) for record in records if record.server_id):
            return False
        records._revoke()
        return True

    @api.autovacuum
    def _gc_expired(self):
        self.sudo().search([('expires_at', '<', fields.Datetime.now() - timedelta(days=1))]).unlink()


class AmeyoSsoThrottle(models.Model):
    """Failed SSO logins per Ameyo userId (not per address: they all come from Ameyo)."""
    _name = 'ameyo.sso.throttle'
    _description = 'Ameyo SSO Failed Logins'

    user_key = fields.Char(required=True)
    failures = fields.Integer()
    window_start = fields.Datetime()
    locked_until = fields.Datetime()

    _user_key_uniq = models.UniqueIndex('(user_key)', "One throttle per Ameyo user.")

    @api.model
    def _get(self, user_key):
        return self.sudo().search([('user_key', '=', user_key)], limit=1)

    @api.model
    def _is_locked(self, user_key):
        record = self._get(user_key)
        return bool(record.locked_until and record.locked_until > fields.Datetime.now())

    @api.model
    def _record_failure(self, user_key):
        now = fields.Datetime.now()
        record = self._get(user_key)
        if not record:
            record = self.sudo().create({'user_key': user_key, 'failures': 0, 'window_start': now})
        if not record.window_start or now - record.window_start > FAILURE_WINDOW:
            record.write({'failures': 0, 'window_start': now})
        failures = record.failures + 1
        values = {'failures': failures}
        if failures >= MAX_FAILURES:
            values.update(locked_until=now + LOCKOUT, failures=0, window_start=now)
        record.write(values)

    @api.model
    def _record_success(self, user_key):
        self._get(user_key).unlink()

    @api.autovacuum
    def _gc_old_failures(self):
        """Forget failures (and lockouts) over a day old: unknown user ids must not pile up."""
        threshold = fields.Datetime.now() - timedelta(days=1)
        self.sudo().search([('window_start', '<', threshold),
                            '|', ('locked_until', '=', False), ('locked_until', '<', threshold)]).unlink()

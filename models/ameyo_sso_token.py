"""Single sign-on with Ameyo: the crmSessionId tokens Odoo hands out at Ameyo's login call.

A token is random, returned once, stored only as its SHA-256 hash, expires, and is
revoked by Ameyo's logout call, which also ends the Odoo sessions it opened. It dies with
what it stood for: a password change, a revoked API key, an archived user, a removed or
changed Ameyo user ID or agent group revoke the user's tokens.

Guessing passwords here is limited three ways (see the README's security section):
- the server's SSO source networks: a call from any other address is refused before
  anything is counted or checked;
- per (source address, Ameyo userId): 5 attempts, then that pair is locked for 10 minutes.
  Guesses from one address never lock an agent out of logins from another (Ameyo's);
- from an address the server does not list (no list: any address), Odoo's own per-address
  login cooldown applies too, and SSO failures count toward it. Ameyo's listed addresses
  are exempt: every agent's login comes from there, and one agent's typos must not lock
  the others out.
An attempt is counted before its password is checked (models/ameyo_sso_throttle.py), so
parallel guesses cannot all pass the check; an unknown userId costs the same password
hash as a known one.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessDenied
from odoo.http import root

_logger = logging.getLogger(__name__)

TOKEN_LIFETIME = timedelta(hours=14)
FAILED = ('failed', 'Invalid credentials', '')
LOCKED = ('failed', 'Too many failed attempts, try again later', '')
# the logout's answers (status, message)
LOGGED_OUT = ('success', 'Logout Successful')
ALREADY_ENDED = ('success', 'Logout Successful: the CRM session had already ended')
UNKNOWN_SESSION = ('failed', 'Unknown crmSessionId: no CRM session was ended')
NOT_ALLOWED = ('failed', 'Address not allowed')


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
        help="Identifiers of the Odoo sessions this token opened, ended when Ameyo logs the agent "
        "out."
    )

    _token_hash_uniq = models.UniqueIndex('(token_hash)', "An SSO token is unique.")

    @api.model
    def _issue(self, user, server):
        """Create a token for ``user`` and return it in clear (the only time it exists in clear)."""
        token = secrets.token_urlsafe(32)
        self.sudo().create(
            {
                'user_id': user.id,
                'server_id': server.id if server else False,
                'token_hash': hash_token(token),
                'expires_at': fields.Datetime.now() + TOKEN_LIFETIME,
            }
        )
        return token

    @api.model
    def _find_valid(self, token, server=None):
        """The live token record for ``token`` issued for ``server``, or empty (a hash lookup)."""
        if not token or len(token) > 256:
            return self.sudo().browse()
        record = self.sudo().search([('token_hash', '=', hash_token(token))], limit=1)
        if (
            not record
            or record.revoked
            or record.expires_at <= fields.Datetime.now()
            or not record.user_id._ameyo_sso_entitled()
            or (server is not None and record.server_id != server)
        ):
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
    def _ameyo_revoke_user_tokens(self, users):
        """Revoke every token of ``users`` not revoked yet (expired ones too: their sessions may
        live on)."""
        tokens = self.sudo().search([('user_id', 'in', users.ids), ('revoked', '=', False)])
        if tokens:
            _logger.info(
                "Ameyo SSO: %d token(s) of user(s) %s revoked", len(tokens), tokens.user_id.ids
            )
            tokens._revoke()

    @api.model
    def _ameyo_revoke_unentitled(self, users=None):
        """Revoke the tokens of users who no longer stand for an Ameyo agent (archived, without
        Ameyo user ID, out of the agent group), among ``users`` or every user holding a token."""
        domain = [('revoked', '=', False)]
        if users is not None:
            domain.append(('user_id', 'in', users.ids))
        tokens = self.sudo().search(domain)
        if tokens:
            self._ameyo_revoke_user_tokens(
                tokens.user_id - tokens.user_id._ameyo_sso_entitled_users()
            )

    @api.model
    def _ameyo_sso_login(self, server, user_key, password, source):
        """Ameyo's ``command=login`` from address ``source``: return ``(status, message,
        crmSessionId)``.

        The caller already checked that ``source`` may call ``server``. The answer, and the
        work done (one password hash), are the same whether the user exists or not.
        """
        if not user_key or not password or len(user_key) > 128 or len(password) > 1024:
            return FAILED
        if server.sso_source_networks:
            # a listed address is Ameyo's: every agent logs in from there, Odoo's per-address
            # cooldown would let a few agents' typos lock all of them out
            return self._ameyo_sso_attempt(server, user_key, password, source)
        # any address may call: Odoo's per-address login cooldown applies, and failures here count
        # toward it
        result = LOCKED  # what a caller on cooldown gets
        try:
            with self.env['res.users']._assert_can_auth(user=user_key):
                result = self._ameyo_sso_attempt(server, user_key, password, source)
                if result[0] != 'success':
                    raise AccessDenied()
        except AccessDenied:
            _logger.debug(
                "Ameyo SSO login refused (counted toward Odoo's per-address login cooldown)"
            )
        return result

    @api.model
    def _ameyo_sso_attempt(self, server, user_key, password, source):
        Throttle = self.env['ameyo.sso.throttle']
        if not Throttle._ameyo_take_attempt(source, user_key):
            return LOCKED
        Users = self.env['res.users']
        user = Users._ameyo_user_for(user_key)
        if user and not user._ameyo_sso_entitled():
            user = Users.sudo().browse()
        if user:
            valid = user._ameyo_check_sso_password(password)
        else:
            # the same work: nothing tells who exists
            valid = Users._ameyo_check_no_user_password(password)
        if not valid:
            _logger.info("Ameyo SSO login refused for an Ameyo user")
            return FAILED
        Throttle._ameyo_forget(source, user_key)
        _logger.info("Ameyo SSO login of user %s", user.id)
        return 'success', 'Auth Successful', self._issue(user, server)

    @api.model
    def _ameyo_sso_logout(self, token, source):
        """Ameyo's ``command=logout`` from address ``source``: revoke the token and end the Odoo
        sessions it opened. Return ``(status, message)``: the status says whether the CRM session is
        ended (the guide), ``success`` also when it already was (the agent logged out of Odoo first,
        as the guide recommends, or Odoo revoked it); ``failed`` for a crmSessionId Odoo never
        issued (or forgot, long expired), and without doing anything when the token's server does
        not let ``source`` call it."""
        if not token or len(token) > 256:
            return UNKNOWN_SESSION
        records = self.sudo().search([('token_hash', '=', hash_token(token))])
        if not records:
            return UNKNOWN_SESSION
        if any(
            not record.server_id._ameyo_sso_source_allowed(source)
            for record in records
            if record.server_id
        ):
            return NOT_ALLOWED
        live = records.filtered(lambda record: not record.revoked)
        if not live:
            return ALREADY_ENDED
        live._revoke()
        return LOGGED_OUT

    @api.autovacuum
    def _gc_expired(self):
        """Delete tokens expired over a day ago, but never one whose Odoo sessions may still be
        alive: Ameyo's logout, however late, must still find it to end them."""
        expired = self.sudo().search(
            [('expires_at', '<', fields.Datetime.now() - timedelta(days=1))]
        )
        identifiers = {
            identifier
            for token in expired
            for identifier in (token.session_identifiers or '').split()
        }
        alive = identifiers - set(root.session_store.get_missing_session_identifiers(identifiers))
        expired.filtered(
            lambda token: not alive.intersection((token.session_identifiers or '').split())
        ).unlink()

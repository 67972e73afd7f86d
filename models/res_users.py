import secrets

from odoo import api, fields, models
from odoo.exceptions import AccessDenied, ValidationError

from ..tools.ameyo_params import AMEYO_ID_RE
from ..tools.values import clean_values

_CLEANERS = {'ameyo_user_id': lambda value: value.strip() or False}

# writes of res.users that may change whether a user stands for an Ameyo agent (Odoo 19 writes
# groups through group_ids; the sel_groups_/in_group_ names cover older-style group fields an addon
# may still send)
_ENTITLEMENT_FIELDS = ('active', 'ameyo_user_id', 'login', 'group_ids')
# writes that may change a user's effective Ameyo user id (the field, else the agent's login)
_EFFECTIVE_ID_FIELDS = ('ameyo_user_id', 'login')

_DECOY_HASHES = {}


def _decoy_hash(env, crypt_context):
    """A hash of Odoo's current kind and cost (``password.hashing.rounds``) that no password
    matches, made once per process and cost: checking a password against it costs what checking a
    user's does."""
    key = env['ir.config_parameter'].sudo().get_param('password.hashing.rounds', '0')
    if key not in _DECOY_HASHES:
        _DECOY_HASHES[key] = crypt_context.hash(secrets.token_urlsafe(32))
    return _DECOY_HASHES[key]


class ResUsers(models.Model):
    _inherit = 'res.users'

    ameyo_user_id = fields.Char(
        string="Ameyo User ID",
        copy=False,
        help="The agent's userId in Ameyo, when it is not their Odoo login. Empty: an agent's Odoo "
        "login is their Ameyo user ID (the integration guide's rule). Ameyo's URLs carrying it are "
        "logged to this user.",
    )
    ameyo_effective_user_id = fields.Char(
        string="Effective Ameyo User ID",
        compute='_compute_ameyo_effective_user_id',
        help="The Ameyo userId Odoo matches and sends for this user: the Ameyo User ID when set, "
        "else the login of an active internal user in the Ameyo agent group; empty for anyone "
        "else.",
    )
    ameyo_default_campaign_id = fields.Many2one(
        'ameyo.campaign',
        string="Default Ameyo Campaign",
        help="Campaign used for click-to-dial when no other campaign applies.",
    )

    # Ameyo user ids are matched case-insensitively everywhere (URLs, SSO), so they are unique so
    # too; the index also serves _ameyo_user_for's lookup
    _ameyo_user_id_uniq = models.UniqueIndex(
        '(lower(ameyo_user_id)) WHERE ameyo_user_id IS NOT NULL',
        "This Ameyo user ID is already mapped to another Odoo user.",
    )
    # an agent's login is their Ameyo user id when the field is empty: _ameyo_user_for and the
    # login/ID clash check look logins up in any case (Odoo's own unique index on login is
    # case-sensitive)
    _ameyo_login_lower_idx = models.Index('(lower(login))')

    @api.depends('ameyo_user_id', 'login', 'active', 'share', 'group_ids')
    def _compute_ameyo_effective_user_id(self):
        for user in self:
            if user.ameyo_user_id:
                user.ameyo_effective_user_id = user.ameyo_user_id
            elif (
                user._origin.id
                and user.active
                and not user.share
                and user.login
                and user._origin._has_group('crm_ameyo.group_ameyo_agent')
                and user._ameyo_user_for(user.login) == user._origin
            ):  # and the login not another's Ameyo ID
                user.ameyo_effective_user_id = user.login
            else:
                user.ameyo_effective_user_id = False

    @api.constrains('ameyo_user_id')
    def _check_ameyo_user_id(self):
        for user in self:
            if user.ameyo_user_id and not AMEYO_ID_RE.match(user.ameyo_user_id):
                raise ValidationError(
                    self.env._(
                        "The Ameyo user ID %(value)r may hold letters, digits and - _ . @ : only.",
                        value=user.ameyo_user_id,
                    )
                )

    @api.constrains('login', 'ameyo_user_id')
    def _check_ameyo_login_clash(self):
        """A login may not be another user's Ameyo User ID (in any case): an agent's login is their
        Ameyo user ID when the field is empty, and one userId must name one user."""
        self.flush_model(['login', 'ameyo_user_id'])
        # two lookups, each by an index on lower() (one query with an OR would join the whole table)
        self.env.cr.execute(
            """
            (SELECT mine.id, theirs.id FROM res_users mine
               JOIN res_users theirs ON lower(theirs.ameyo_user_id) = lower(mine.login) AND
                   theirs.id != mine.id
              WHERE mine.id = ANY(%(ids)s) LIMIT 1)
            UNION ALL
            (SELECT mine.id, theirs.id FROM res_users theirs
               JOIN res_users mine ON lower(mine.login) = lower(theirs.ameyo_user_id) AND theirs.id
                   != mine.id
              WHERE theirs.id = ANY(%(ids)s) LIMIT 1)
            LIMIT 1
        """,
            {'ids': self.ids},
        )
        row = self.env.cr.fetchone()
        if row:
            login_user, id_user = self.sudo().with_context(active_test=False).browse(row)
            raise ValidationError(
                self.env._(
                    "The login %(login)s of %(user)s is the Ameyo User ID of %(other)s. An agent "
                    "whose Ameyo User ID is empty is matched by their login, so a login may not be "
                    "another user's Ameyo User ID: change the login or the Ameyo User ID.",
                    login=login_user.login,
                    user=login_user.name,
                    other=id_user.name,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        return super().create(clean_values(vals_list, _CLEANERS))

    def write(self, vals):
        clean_values([vals], _CLEANERS)
        before = {}
        # a token stood for the Ameyo user ID it was issued to
        if any(name in vals for name in _EFFECTIVE_ID_FIELDS):
            before = {user.id: (user.ameyo_effective_user_id or '').lower() for user in self.sudo()}
        result = super().write(vals)
        Token = self.env['ameyo.sso.token']
        if before:
            self.invalidate_recordset(['ameyo_effective_user_id'])
            renamed = self.sudo().filtered(
                lambda user: (user.ameyo_effective_user_id or '').lower() != before[user.id]
            )
            if renamed:
                Token._ameyo_revoke_user_tokens(renamed)
        if any(
            name in _ENTITLEMENT_FIELDS or name.startswith(('sel_groups_', 'in_group_'))
            for name in vals
        ):
            Token._ameyo_revoke_unentitled(self)
        return result

    def _set_password(self):
        result = super()._set_password()
        # a token stood for the password it was issued against (Odoo's own sessions die with it too)
        self.env['ameyo.sso.token']._ameyo_revoke_user_tokens(self)
        return result

    def _ameyo_user_id_matches(self, ameyo_user_id):
        """Is ``ameyo_user_id`` (as Ameyo sent it, in any case) this user's effective Ameyo user
        ID?"""
        self.ensure_one()
        mine = self.sudo().ameyo_effective_user_id
        return bool(mine) and mine.lower() == (ameyo_user_id or '').lower()

    @api.model
    def _ameyo_user_for(self, ameyo_user_id):
        """The active internal user (as superuser) whose effective Ameyo user ID this is, in any
        case, or an empty one: the user whose Ameyo User ID it is (archived: nobody); when no user
        has that Ameyo User ID, the agent (active, internal, in the agent group) whose login it is,
        when exactly one is.

        One query (both lookups use an index on lower()): the pop runs it on every call.
        """
        Users = self.env['res.users'].sudo()
        if not ameyo_user_id:
            return Users.browse()
        Users.flush_model(['ameyo_user_id', 'login', 'active'])  # the query reads the table itself
        self.env.cr.execute(
            """
            (SELECT id, active, true FROM res_users WHERE lower(ameyo_user_id) = lower(%(key)s)
                LIMIT 1)
            UNION ALL
            (SELECT id, active, false FROM res_users
              WHERE lower(login) = lower(%(key)s) AND (ameyo_user_id IS NULL OR ameyo_user_id = '')
                  LIMIT 10)
            ORDER BY 3 DESC
        """,
            {'key': ameyo_user_id},
        )
        rows = self.env.cr.fetchall()
        if rows and rows[0][2]:  # the Ameyo User ID field wins
            user = Users.browse(rows[0][0] if rows[0][1] else [])
            return user if not user.share else Users.browse()
        agents = Users.browse([user_id for user_id, active, _by_field in rows if active]).filtered(
            lambda user: not user.share and user._has_group('crm_ameyo.group_ameyo_agent')
        )
        # logins differing by case only: nobody
        return agents if len(agents) == 1 else Users.browse()

    @api.model
    def _ameyo_find_agent(self, ameyo_user_id, server):
        """The Ameyo agent of ``server``'s company with this Ameyo user ID, or an empty recordset.

        For the no-authentication mode, where the URL alone names the user a session opens
        for: only plain agents qualify, whose groups are all within an agent's (see
        :meth:`_ameyo_no_auth_excess_groups`).
        """
        user = self._ameyo_user_for(ameyo_user_id)
        if (
            not user
            or user._is_superuser()
            or server.company_id not in user.company_ids
            or not user.has_group('crm_ameyo.group_ameyo_agent')
            or user._ameyo_no_auth_excess_groups()
        ):
            return self.sudo().browse()
        return user

    def _ameyo_no_auth_excess_groups(self):
        """This user's groups (as superuser) that stand for more rights than a plain agent's, which
        the no-authentication mode refuses. It admits (an allow-list) the groups the agent group and
        Odoo's internal-user group imply, and the groups without a privilege (Odoo's technical and
        feature groups, e.g. the multi-company group Odoo gives the users of several companies) but
        for those that grant access rights or record rules of their own, or that Odoo's settings
        group implies (an administrator's powers: editing mail templates, bypassing HTML
        sanitizing...). A plain agent costs no query; one with other groups, one."""
        self.ensure_one()
        agent_groups = (
            self.env.ref('crm_ameyo.group_ameyo_agent') | self.env.ref('base.group_user')
        ).all_implied_ids
        others = self.sudo().all_group_ids - agent_groups
        if not others:
            return others
        for model, fnames in (
            ('res.groups', ['privilege_id']),
            ('ir.model.access', ['group_id', 'active']),
            ('ir.rule', ['groups', 'active']),
        ):
            self.env[model].flush_model(fnames)
        self.env.cr.execute(
            """
            SELECT g.id FROM res_groups g WHERE g.id = ANY(%(ids)s) AND (g.privilege_id IS NOT NULL
                OR g.id = ANY(%(admin_ids)s)
                OR EXISTS (SELECT FROM ir_model_access a WHERE a.group_id = g.id AND a.active)
                OR EXISTS (SELECT FROM rule_group_rel rel JOIN ir_rule r ON r.id = rel.rule_group_id
                           WHERE rel.group_id = g.id AND r.active))
        """,
            {'ids': others.ids, 'admin_ids': self.env.ref('base.group_system').all_implied_ids.ids},
        )
        return others.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _ameyo_no_auth_refusal(self, ameyo_user_id):
        """Why the no-authentication mode opens no session for the user of ``ameyo_user_id`` when
        they have more rights than an agent's (a translated text saying what to set instead), or
        None."""
        user = self._ameyo_user_for(ameyo_user_id)
        excess = user and user._ameyo_no_auth_excess_groups()
        if not excess:
            return None
        return self.env._(
            "The Odoo user of %(user)s has rights beyond an Ameyo agent's (%(groups)s). With the "
            "Ameyo server's 'No authentication' session mode the URL alone would open their Odoo "
            "session, so Odoo refuses it; nothing was recorded. Set the server's session mode to "
            "'Odoo session cookie' or 'Single sign-on' (the agent then logs in themselves), or "
            "take these rights from the user.",
            user=ameyo_user_id,
            groups=', '.join(excess.mapped('full_name')),
        )

    def _ameyo_sso_entitled(self):
        """Does this user stand for an Ameyo agent SSO may log in: active, internal, with an
        effective Ameyo user ID, in the agent group (supervisors and administrators are, by
        implication)?"""
        self.ensure_one()
        return bool(self._ameyo_sso_entitled_users())

    def _ameyo_sso_entitled_users(self):
        agent_group = self.env.ref('crm_ameyo.group_ameyo_agent')
        return self.sudo().filtered(
            lambda user: (
                user.active
                and not user.share
                and user.ameyo_effective_user_id
                and agent_group in user.all_group_ids
            )
        )

    def _ameyo_check_sso_password(self, password):
        """Check the password Ameyo forwards against this user's Odoo credentials (non-interactive:
        API keys are accepted; users with two-factor authentication must use one).

        Costs one password hash, as for an unknown user: when Odoo's check computes none (a
        user with two-factor authentication, whose password is not checked here, or with no
        password), a decoy hash is checked instead.
        """
        self.ensure_one()
        self.env.cr.execute("SELECT COALESCE(password, '') FROM res_users WHERE id = %s", [self.id])
        [stored] = self.env.cr.fetchone()
        crypt_context = self._crypt_context()
        if self._rpc_api_keys_only() or crypt_context.identify(stored) == 'plaintext':
            crypt_context.verify(password, _decoy_hash(self.env, crypt_context))
        try:
            self.with_user(self)._check_credentials(
                {'type': 'password', 'password': password}, {'interactive': False}
            )
        except AccessDenied:
            return False
        return True

    @api.model
    def _ameyo_check_no_user_password(self, password):
        """The work of :meth:`_ameyo_check_sso_password` for a userId no user has: a password hash
        (of the kind and cost Odoo uses) and an API key lookup, both bound to fail. Returns
        False."""
        crypt_context = self._crypt_context()
        crypt_context.verify(password, _decoy_hash(self.env, crypt_context))
        self.env['res.users.apikeys']._check_credentials(scope='rpc', key=password)
        return False


class ResUsersApikeys(models.Model):
    _inherit = 'res.users.apikeys'

    def unlink(self):
        # not trusted 2FA devices
        users = self.user_id if self._name == 'res.users.apikeys' else None
        result = super().unlink()
        if users:  # a token may stand for one of these keys
            self.env['ameyo.sso.token']._ameyo_revoke_user_tokens(users)
        return result


class ResGroups(models.Model):
    _inherit = 'res.groups'

    def write(self, vals):
        result = super().write(vals)
        # users may have left the agent group
        if {'user_ids', 'all_user_ids', 'implied_ids'} & set(vals):
            self.env['ameyo.sso.token']._ameyo_revoke_unentitled()
        return result

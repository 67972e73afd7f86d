from odoo import fields, models


class AmeyoAgentSession(models.Model):
    """The last Ameyo ``sessionId`` seen for an agent.

    Ameyo's REST APIs (manual dial, dispose and dial, disposition plans)
    authenticate with the agent's live session id: it is a credential. It lives
    in this model, readable by system administrators only; the connector reads
    it with ``sudo()`` for the agent it acts for.
    """

    _name = 'ameyo.agent.session'
    _description = 'Ameyo Agent Session'
    _order = 'seen_at desc, id desc'

    user_id = fields.Many2one('res.users', required=True, index=True, ondelete='cascade')
    server_id = fields.Many2one('ameyo.server', required=True, index=True, ondelete='cascade')
    session_id = fields.Char(required=True)
    seen_at = fields.Datetime(required=True, default=fields.Datetime.now)

    _user_server_uniq = models.Constraint(
        'UNIQUE(user_id, server_id)', "An agent has one current Ameyo session per server."
    )

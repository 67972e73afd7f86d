from odoo import fields, models


class ResCompany(models.Model):
    _inherit = 'res.company'

    ameyo_dial_honour_blacklist = fields.Boolean(
        string="Honour the Phone Blacklist When Dialing",
        help="Refuse to dial numbers on Odoo's phone blacklist (the SMS opt-out list).",
    )
    ameyo_recording_keep_days = fields.Integer(
        string="Odoo Keeps Recordings (days)",
        default=0,
        help="Call recordings older than this are deleted from Odoo (recordings marked Keep "
        "excepted); 0 keeps them forever. Distinct from how long Ameyo keeps them (set on each "
        "Ameyo server).",
    )
    ameyo_agents_replay = fields.Boolean(
        string="Agents Replay Their Calls",
        help="Agents may play the recordings of their own calls; otherwise only supervisors may.",
    )
    ameyo_attribution_days = fields.Integer(
        string="Calls Credited With a Win (days)",
        default=30,
        help="The campaign report credits an opportunity's win to the last call the agent talked "
        "on with it, when that call was at most this many days before the win; an older call gets "
        "no credit.",
    )

    _ameyo_recording_keep_days_positive = models.Constraint(
        'CHECK(ameyo_recording_keep_days >= 0)',
        "Recordings cannot be kept a negative number of days.",
    )
    _ameyo_attribution_days_positive = models.Constraint(
        'CHECK(ameyo_attribution_days >= 0)',
        "A win cannot be credited to calls a negative number of days before it.",
    )

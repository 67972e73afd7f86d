from odoo import api, fields, models
from odoo.exceptions import ValidationError

# What a disposition does to the caller's lead or opportunity when a call is disposed with it
# (models/ameyo_call_crm_action.py applies it).
CRM_ACTIONS = [
    ('nothing', 'Nothing'),
    ('stage', 'Move to a stage'),
    ('won', 'Mark won'),
    ('lost', 'Mark lost'),
    ('convert', 'Convert to opportunity'),
    ('tag', 'Add a tag'),
]
# The field each action needs, and its label in the constraint's message.
CRM_ACTION_TARGETS = {'stage': 'crm_stage_id', 'lost': 'crm_lost_reason_id', 'tag': 'crm_tag_id'}


class AmeyoDisposition(models.Model):
    _name = 'ameyo.disposition'
    _description = 'Ameyo Disposition Code'
    _order = 'campaign_id, sequence, id'
    _check_company_auto = True

    campaign_id = fields.Many2one(
        'ameyo.campaign', required=True, index=True, ondelete='cascade', check_company=True
    )
    company_id = fields.Many2one(
        related='campaign_id.company_id', store=True, index=True, precompute=True
    )
    code = fields.Char(
        required=True,
        help="The disposition code exactly as in the campaign's plan in Ameyo (case and spaces "
        "count).",
    )
    name = fields.Char(string="Label", required=True, translate=True)
    is_callback = fields.Boolean(
        string="Callback", help="Disposing with this code schedules a callback."
    )
    outcome = fields.Selection(
        [('positive', 'Positive'), ('neutral', 'Neutral'), ('negative', 'Negative')],
        required=True,
        default='neutral',
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    crm_action = fields.Selection(
        CRM_ACTIONS,
        string="CRM Action",
        required=True,
        default='nothing',
        help="What disposing a call with this code does to the caller's lead or opportunity, with "
        "the rights of the agent who disposes it (while the call still opens the lead to them). "
        "\"Mark won\" converts a lead to an opportunity first and needs a won stage of its sales "
        "team; \"Mark lost\" archives it, as Odoo does. A refusal never stops the dispose: it is "
        "noted on the call, for a supervisor.",
    )
    crm_stage_id = fields.Many2one('crm.stage', string="Stage", ondelete='restrict')
    crm_lost_reason_id = fields.Many2one(
        'crm.lost.reason', string="Lost Reason", ondelete='restrict'
    )
    crm_tag_id = fields.Many2one('crm.tag', string="Tag", ondelete='restrict')
    create_lead = fields.Boolean(
        help="A call with no lead (the screen-pop opened a contact) gets one when it is disposed "
        "with this code: the campaign's sales team, the agent as salesperson, the caller as "
        "customer. Once per call; the CRM action then applies to it."
    )

    _code_uniq = models.Constraint(
        'UNIQUE(campaign_id, code)', "This disposition code is already in the campaign's plan."
    )

    @api.constrains('crm_action', 'crm_stage_id', 'crm_lost_reason_id', 'crm_tag_id')
    def _check_crm_action_target(self):
        labels = {
            'stage': self.env._("a stage"),
            'lost': self.env._("a lost reason"),
            'tag': self.env._("a tag"),
        }
        for disposition in self:
            field_name = CRM_ACTION_TARGETS.get(disposition.crm_action)
            if field_name and not disposition[field_name]:
                actions = dict(self._fields['crm_action']._description_selection(self.env))
                raise ValidationError(
                    self.env._(
                        "Disposition %(code)s: the CRM action \"%(action)s\" needs %(target)s.",
                        code=disposition.code,
                        action=actions[disposition.crm_action],
                        target=labels[disposition.crm_action],
                    )
                )

    @api.onchange('crm_action')
    def _onchange_crm_action(self):
        # only the field the chosen action uses keeps a value
        for action, field_name in CRM_ACTION_TARGETS.items():
            if self.crm_action != action:
                self[field_name] = False

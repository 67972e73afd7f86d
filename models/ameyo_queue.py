from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.ameyo_params import TEXT_RE


def queue_name_key(name):
    """How a queueName matches a queue's name: case-insensitive, surrounding spaces ignored."""
    return (name or '').strip().casefold()


class AmeyoQueue(models.Model):
    _name = 'ameyo.queue'
    _description = 'Ameyo Queue'
    _order = 'campaign_id, sequence, id'
    _check_company_auto = True

    name = fields.Char(
        required=True,
        help="The queueName Ameyo sends. A URL with a queueName and no queueId reaches the queue "
        "of this name (case-insensitive).",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    campaign_id = fields.Many2one(
        'ameyo.campaign', required=True, index=True, ondelete='cascade', check_company=True
    )
    company_id = fields.Many2one(
        related='campaign_id.company_id', store=True, index=True, precompute=True
    )
    ameyo_queue_id = fields.Char(
        string="Ameyo Queue ID", required=True, help="The queueId Ameyo sends."
    )
    # each empty: the campaign's setting
    pop_target = fields.Selection(
        [('partner', 'Contact'), ('lead', 'Lead / Opportunity')],
        string="Screen-pop Opens",
        help="What the screen-pop opens for calls of this queue; the campaign's choice when empty.",
    )
    create_on_no_match = fields.Selection(
        [('create', 'Create the record'), ('form', 'Open a prefilled form')],
        string="On No Match",
        help="When no contact or lead has the caller's number; the campaign's choice when empty.",
    )
    action_id = fields.Many2one(
        'ir.actions.act_window',
        string="Opens Action",
        help="Window action the screen-pop opens for calls of this queue; the campaign's default "
        "when empty.",
    )
    view_id = fields.Many2one(
        'ir.ui.view',
        string="Opens View",
        domain=[('type', '=', 'form')],
        help="Form the screen-pop shows for calls of this queue; the usual form when empty.",
    )
    team_id = fields.Many2one('crm.team', string="Sales Team", check_company=True)
    tag_ids = fields.Many2many('crm.tag', string="Lead Tags")
    guidance = fields.Html(
        help="Script or checklist shown to the agent during calls of this queue."
    )

    _queue_uniq = models.Constraint(
        'UNIQUE(campaign_id, ameyo_queue_id)',
        "This Ameyo queue ID is already configured on this campaign.",
    )

    @api.constrains('ameyo_queue_id')
    def _check_ameyo_queue_id(self):
        for queue in self:
            # usually Ameyo's numeric queueId; its queueName when a deployment sends only that
            if not TEXT_RE.match(queue.ameyo_queue_id or ''):
                raise ValidationError(
                    self.env._(
                        "The Ameyo queue ID %(value)s must not hold control characters or special "
                        "characters such as < > or quotes.",
                        value=queue.ameyo_queue_id,
                    )
                )

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.ameyo_params import AMEYO_ID_RE


class AmeyoCampaign(models.Model):
    _name = 'ameyo.campaign'
    _description = 'Ameyo Campaign'
    _order = 'server_id, sequence, id'
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    server_id = fields.Many2one('ameyo.server', required=True, index=True, ondelete='cascade', check_company=True)
    company_id = fields.Many2one(related='server_id.company_id', store=True, index=True, precompute=True)
    ameyo_campaign_id = fields.Char(
        string="Ameyo Campaign ID", required=True, help="The numeric campaignId Ameyo sends in its URLs.")
    dispose_mode = fields.Selection(
        [('crm_only', 'CRM only: the agent disposes in Odoo, Odoo tells Ameyo'),
         ('ameyo_only', 'Ameyo only: the agent disposes in Ameyo, Odoo records it'),
         ('forced', 'Forced: Ameyo disposes and notifies Odoo'),
         ('dual', 'Dual entry: the agent disposes in both')],
        required=True, default='crm_only')
    wrap_timeout = fields.Integer(
        string="Wrap Timeout (s)", default=60,
        help="Ameyo's wrap-up timeout for this campaign. Dispose retries that name no call stop before it.")
    preview_readonly = fields.Boolean(string="Preview Read-only", default=True)
    pop_target = fields.Selection(
        [('partner', 'Contact'), ('lead', 'Lead / Opportunity')], string="Screen-pop Opens",
        required=True, default='partner')
    create_on_no_match = fields.Boolean(
        string="Create Record on No Match",
        help="When no contact or lead has the caller's number, create one instead of opening a prefilled form.")
    team_id = fields.Many2one('crm.team', string="Sales Team", check_company=True)
    guidance = fields.Html(help="Script or checklist shown to the agent during calls of this campaign.")
    disposition_ids = fields.One2many('ameyo.disposition', 'campaign_id', string="Disposition Plan")
    queue_ids = fields.One2many('ameyo.queue', 'campaign_id', string="Queues")

    _campaign_uniq = models.Constraint(
        'UNIQUE(server_id, ameyo_campaign_id)', "This Ameyo campaign ID is already configured on this server.")
    _wrap_timeout_positive = models.Constraint(
        'CHECK(wrap_timeout IS NULL OR wrap_timeout >= 0)', "The wrap timeout cannot be negative.")

    @api.constrains('ameyo_campaign_id')
    def _check_ameyo_campaign_id(self):
        for campaign in self:
            if not AMEYO_ID_RE.match(campaign.ameyo_campaign_id or ''):
                raise ValidationError(self.env._(
                    "The Ameyo campaign ID %(value)r may hold letters, digits and - _ . @ : only.",
                    value=campaign.ameyo_campaign_id))

    @api.depends('name', 'ameyo_campaign_id')
    def _compute_display_name(self):
        for campaign in self:
            campaign.display_name = f'{campaign.name} [{campaign.ameyo_campaign_id}]' if campaign.name else ''

"""What click-to-dial sends as ``customerRecord``: the customer's record in the campaign's customer
table.

Ameyo's guide: ``clickToDialWithTokenAsync`` needs ``customerRecord`` "when the campaign uses a
custom table or primary key other than phone1". Each line of a campaign maps one key of that record
(a column of the table) to a field of the contact and of the lead, or to the number as dialed; the
campaign's ``dial_customer_key`` names the line that is the table's key. The dial reads the values
as the dialing user (models/ameyo_call_dial.py).
"""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.ameyo_params import AMEYO_ID_RE

# the field types whose value is one string in Ameyo's table (many2one: the record's name)
RECORD_FIELD_TYPES = (
    'char',
    'text',
    'selection',
    'integer',
    'float',
    'monetary',
    'boolean',
    'date',
    'datetime',
    'many2one',
)


def _field_domain(model):
    return [('model', '=', model), ('store', '=', True), ('ttype', 'in', RECORD_FIELD_TYPES)]


class AmeyoCampaignRecordField(models.Model):
    _name = 'ameyo.campaign.record.field'
    _description = "Ameyo Campaign: Customer Record Field"
    _order = 'campaign_id, sequence, id'

    campaign_id = fields.Many2one('ameyo.campaign', required=True, index=True, ondelete='cascade')
    company_id = fields.Many2one(
        related='campaign_id.company_id', store=True, index=True, precompute=True
    )
    sequence = fields.Integer(default=10)
    ameyo_key = fields.Char(
        string="Ameyo Field",
        required=True,
        help="The column of the campaign's customer table in Ameyo, spelled as Ameyo spells it "
        "(e.g. customerCode, phone1, name).",
    )
    source = fields.Selection(
        [('record', "Field of the contact or lead"), ('dialed_number', "The number as dialed")],
        string="Value",
        required=True,
        default='record',
        help="The number as dialed: the number Odoo sends to Ameyo, formatted as the server "
        "expects.",
    )
    partner_field_id = fields.Many2one(
        'ir.model.fields',
        string="Contact Field",
        ondelete='cascade',
        domain=_field_domain('res.partner'),
        help="Sent when dialing a contact, and when dialing a lead whose own field is empty (its "
        "contact's).",
    )
    lead_field_id = fields.Many2one(
        'ir.model.fields',
        ondelete='cascade',
        domain=_field_domain('crm.lead'),
        help="Sent when dialing a lead; empty: the contact field, read on the lead's contact.",
    )
    is_key = fields.Boolean(
        string="Key",
        compute='_compute_is_key',
        help="The customer table's key (the campaign's Customer Key Field): a dial whose value is "
        "empty is refused.",
    )

    _key_uniq = models.Constraint(
        'UNIQUE(campaign_id, ameyo_key)',
        "Each field of the customer record is mapped once per campaign.",
    )

    @api.depends('ameyo_key', 'campaign_id.dial_customer_key')
    def _compute_is_key(self):
        for line in self:
            line.is_key = (
                bool(line.ameyo_key) and line.ameyo_key == line.campaign_id.dial_customer_key
            )

    @api.constrains('ameyo_key', 'source', 'partner_field_id', 'lead_field_id')
    def _check_mapping(self):
        for line in self:
            if not AMEYO_ID_RE.match(line.ameyo_key or ''):
                raise ValidationError(
                    self.env._(
                        "The Ameyo field %(value)r may hold letters, digits and - _ . @ : + only.",
                        value=line.ameyo_key,
                    )
                )
            if line.source == 'record' and not (line.partner_field_id or line.lead_field_id):
                raise ValidationError(
                    self.env._(
                        "Ameyo field %(key)s: choose the contact field or the lead field it is "
                        "read from.",
                        key=line.ameyo_key,
                    )
                )
            for field, model in (
                (line.partner_field_id, 'res.partner'),
                (line.lead_field_id, 'crm.lead'),
            ):
                if field and not field.filtered_domain(_field_domain(model)):
                    raise ValidationError(
                        self.env._(
                            "Ameyo field %(key)s: %(field)s is not a stored text, number, date, "
                            "choice or link field of %(model)s.",
                            key=line.ameyo_key,
                            field=field.field_description,
                            model=self.env[model]._description,
                        )
                    )

    @api.constrains('ameyo_key', 'campaign_id')
    def _check_campaign_key(self):
        self.campaign_id._check_dial_customer_key()

    def unlink(self):
        campaigns = self.campaign_id
        result = super().unlink()
        campaigns.exists()._check_dial_customer_key()
        return result

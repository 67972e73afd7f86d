"""19.0.1.7.0: a campaign's customerRecord is configured line by line
(``ameyo.campaign.record.field``).

Until now a campaign with a *Customer Key Field* (``dial_customer_key``) sent ``{<key>: the number
as dialed, "name": the dialed record's name}``. Each such campaign without lines gets the two lines
that send the same: its key, the number as dialed; ``name``, the contact's full name or the lead's
name (a key named ``name`` sent the record's name, and still does). A key Ameyo's identifiers cannot
hold is left as it is and logged: the dial refuses it with a message until an administrator adds its
line.
"""

import logging

from odoo import SUPERUSER_ID, Command, api

from odoo.addons.crm_ameyo.tools.ameyo_params import AMEYO_ID_RE

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    campaigns = (
        env['ameyo.campaign']
        .with_context(active_test=False)
        .search([('dial_customer_key', '!=', False), ('record_field_ids', '=', False)])
    )
    name_fields = {
        'partner_field_id': env['ir.model.fields']._get('res.partner', 'complete_name').id,
        'lead_field_id': env['ir.model.fields']._get('crm.lead', 'name').id,
    }
    for campaign in campaigns:
        key = campaign.dial_customer_key.strip()
        if not AMEYO_ID_RE.match(key):
            _logger.warning(
                "Ameyo campaign %s: customer key field %r is no Ameyo field name; no customer "
                "record line made",
                campaign.id,
                key,
            )
            continue
        name_line = {'sequence': 20, 'ameyo_key': 'name', 'source': 'record', **name_fields}
        lines = (
            [name_line]
            if key == 'name'
            else [{'sequence': 10, 'ameyo_key': key, 'source': 'dialed_number'}, name_line]
        )
        campaign.write(
            {'dial_customer_key': key, 'record_field_ids': [Command.create(line) for line in lines]}
        )

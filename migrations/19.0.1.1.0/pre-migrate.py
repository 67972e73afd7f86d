"""19.0.1.1.0: res.users.ameyo_campaign_id is now ameyo_default_campaign_id (it is a Many2one, while
ameyo.campaign.ameyo_campaign_id is Ameyo's own id): keep each user's default campaign."""

from odoo.tools import sql


def migrate(cr, version):
    if not sql.column_exists(cr, 'res_users', 'ameyo_campaign_id') or sql.column_exists(
        cr, 'res_users', 'ameyo_default_campaign_id'
    ):
        return
    sql.rename_column(cr, 'res_users', 'ameyo_campaign_id', 'ameyo_default_campaign_id')
    # the field's metadata follows, so the upgrade does not drop it as a removed field
    cr.execute(
        "UPDATE ir_model_fields SET name = 'ameyo_default_campaign_id' "
        "WHERE model = 'res.users' AND name = 'ameyo_campaign_id'"
    )
    cr.execute(
        "UPDATE ir_model_data SET name = 'field_res_users__ameyo_default_campaign_id' "
        "WHERE module = 'crm_ameyo' AND model = 'ir.model.fields' "
        "AND name = 'field_res_users__ameyo_campaign_id'"
    )

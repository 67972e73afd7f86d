"""19.0.1.8.0: the call form's lookup trace is the field ``lookup_trace_display`` (data the form's
widget words), no longer ``lookup_trace_html`` (HTML built in Python). During the upgrade, the
call's form (views/ameyo_call_views.xml) is checked with the views that inherit it as the database
holds them, before views/ameyo_attention_views.xml brings the new Caller Lookup page: its old arch
names the field that is gone, and the upgrade stops ("Field lookup_trace_html does not exist"). The
addon's own views are renamed to the new field here; their files replace them whole a moment later.
"""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    cr.execute("""
        UPDATE ir_ui_view
           SET arch_db = replace(arch_db::text, 'lookup_trace_html', 'lookup_trace_display')::jsonb
         WHERE id IN (SELECT res_id FROM ir_model_data WHERE module = 'crm_ameyo' AND model =
             'ir.ui.view')
           AND arch_db::text LIKE '%%lookup_trace_html%%'
    """)
    if cr.rowcount:
        _logger.info(
            "crm_ameyo 19.0.1.8.0: %s view(s) renamed to the field lookup_trace_display",
            cr.rowcount,
        )

"""19.0.1.2.0: SSO attempts are counted per (source address, Ameyo userId), no longer per userId:
the rows counted the old way have no address; drop them (at worst a lock ends early)."""

from odoo.tools import sql


def migrate(cr, version):
    if sql.table_exists(cr, 'ameyo_sso_throttle') and not sql.column_exists(
        cr, 'ameyo_sso_throttle', 'source'
    ):
        cr.execute("DELETE FROM ameyo_sso_throttle")

"""19.0.1.2.0: call legs gain a direction (click-to-dial places outbound ones). Every leg logged
before is a leg Ameyo threw at Odoo: it becomes inbound, whatever the column's default says."""

from odoo.tools import sql


def migrate(cr, version):
    if not sql.table_exists(cr, 'ameyo_call'):
        return
    if not sql.column_exists(cr, 'ameyo_call', 'direction'):
        sql.create_column(cr, 'ameyo_call', 'direction', 'varchar')
    cr.execute("UPDATE ameyo_call SET direction = 'inbound' WHERE direction IS NULL")

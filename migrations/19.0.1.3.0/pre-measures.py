"""19.0.1.3.0: call legs gain their times and measures (models/ameyo_call_measures.py).

The columns are created here, before Odoo sees the new fields: Odoo would otherwise compute them
for every leg through the ORM at once (slow on millions of legs, and from stamps that are still
empty). post-measures.py fills them in SQL, in batches, from the events old legs kept.
"""

from odoo.tools import sql

COLUMNS = {
    'popped_at': 'timestamp',
    'ended_at': 'timestamp',
    'closed_at': 'timestamp',
    'outcome': 'varchar',
}
# integers start at 0, as the ORM writes them (an empty integer is 0 in Odoo)
INTEGER_COLUMNS = (
    'talk_seconds',
    'wrap_seconds',
    'talk_seconds_avg',
    'wrap_seconds_avg',
    'odoo_dispose_seconds',
    'call_unit',
    'popped_hour',
)


def migrate(cr, version):
    if not sql.table_exists(cr, 'ameyo_call'):
        return
    for name, column_type in COLUMNS.items():
        if not sql.column_exists(cr, 'ameyo_call', name):
            sql.create_column(cr, 'ameyo_call', name, column_type)
    for name in INTEGER_COLUMNS:
        if not sql.column_exists(cr, 'ameyo_call', name):
            # a constant default fills existing rows without rewriting the table (PostgreSQL 11+)
            cr.execute(
                sql.SQL(
                    "ALTER TABLE ameyo_call ADD COLUMN %s int4 DEFAULT 0", sql.SQL.identifier(name)
                )
            )
            cr.execute(
                sql.SQL(
                    "ALTER TABLE ameyo_call ALTER COLUMN %s DROP DEFAULT", sql.SQL.identifier(name)
                )
            )

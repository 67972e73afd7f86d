"""19.0.1.5.0: phone keys are ASCII digits.

A number typed in digits of another script (``٩٨٧٦٥ ٤٣٢١٠``) has the key of the same number in ASCII
digits now; its key stored before held those digits (and never matched a number Ameyo sends). The
keys of contacts, leads and call legs that hold anything but ASCII digits are recomputed: a few
records at most, found by one scan of each table. The Shared Numbers report derives its ids from
ASCII keys (report/ameyo_shared_number.py).
"""

from odoo.tools import SQL

from odoo.addons.crm_ameyo.tools.phone_key import DIGITS_PARAM, bounded_digits, phone_key

KEYED = (
    ('res_partner', 'ameyo_phone_key'),
    ('crm_lead', 'ameyo_phone_key'),
    ('ameyo_call', 'phone_key'),
)


def migrate(cr, version):
    cr.execute(SQL("SELECT value FROM ir_config_parameter WHERE key = %s", DIGITS_PARAM))
    row = cr.fetchone()
    digits = bounded_digits(row and row[0])
    for table, column in KEYED:
        cr.execute(
            SQL(
                "SELECT id, phone FROM %s WHERE %s !~ '^[0-9]*$'",
                SQL.identifier(table),
                SQL.identifier(column),
            )
        )
        for record_id, phone in cr.fetchall():
            cr.execute(
                SQL(
                    "UPDATE %s SET %s = %s WHERE id = %s",
                    SQL.identifier(table),
                    SQL.identifier(column),
                    phone_key(phone, digits) or None,
                    record_id,
                )
            )

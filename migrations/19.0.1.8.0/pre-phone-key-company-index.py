"""19.0.1.8.0: the pop's caller lookup filters on the phone key and the company
(``ameyo.caller.mixin``): the key's own index (``<table>__ameyo_phone_key_index``) is replaced by
one on both, on ``res_partner`` and ``crm_lead``.

Built here, during the upgrade, with the definition and comment Odoo gives the model's
``models.Index`` (so Odoo keeps it instead of building it again at the end of the upgrade), and the
time each build took logged: about 1.3 s for 1,000,000 contacts on a 2-core machine (README,
benchmark section). Odoo leaves an index a field no longer declares in place: the old one is dropped
here.
"""

import logging
import time

from odoo.tools import sql

_logger = logging.getLogger(__name__)

DEFINITION = '(ameyo_phone_key, company_id) WHERE ameyo_phone_key IS NOT NULL'


def migrate(cr, version):
    for table in ('res_partner', 'crm_lead'):
        if not sql.column_exists(cr, table, 'ameyo_phone_key') or not sql.column_exists(
            cr, table, 'company_id'
        ):
            continue
        started = time.monotonic()
        sql.drop_index(cr, f'{table}__ameyo_phone_key_index', table)
        name = sql.make_identifier(f'{table}_ameyo_phone_key_company_idx')
        if sql.index_definition(cr, name)[0] is None:
            sql.add_index(cr, name, table, DEFINITION, unique=False, comment=f'INDEX {DEFINITION}')
        _logger.info(
            "crm_ameyo 19.0.1.8.0: %s's lookup index on (phone key, company) built in %.1f s",
            table,
            time.monotonic() - started,
        )

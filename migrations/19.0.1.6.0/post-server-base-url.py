"""19.0.1.6.0: a server's base URL holds no path of Ameyo's API.

A base URL saved with one (``http://host:8888/ameyorestapi/``) doubled it on every request, and
every request answered 404. Such a base URL loses that path and what follows it, as a server saved
now does (``tools.ameyo_client.normalize_base_url``); a path before it (a reverse proxy's prefix)
stays.
"""

from odoo.tools import SQL

from odoo.addons.crm_ameyo.tools.ameyo_client import normalize_base_url


def migrate(cr, version):
    cr.execute(SQL("SELECT id, base_url FROM ameyo_server WHERE base_url IS NOT NULL"))
    for server_id, base_url in cr.fetchall():
        normalized = normalize_base_url(base_url)
        if normalized != base_url:
            cr.execute(
                SQL("UPDATE ameyo_server SET base_url = %s WHERE id = %s", normalized, server_id)
            )

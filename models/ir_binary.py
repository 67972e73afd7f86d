from psycopg2.errors import ReadOnlySqlTransaction

from odoo import models
from odoo.http import request


class IrBinary(models.AbstractModel):
    _inherit = 'ir.binary'

    def _find_record(self, xmlid=None, res_model='ir.attachment', res_id=None, access_token=None, field=None):
        """``/web/content`` and ``/web/image``: a call recording is served only to whoever may play it, access
        token or not (Odoo serves a valid token as superuser, and the message store hands tokens out), and
        each play or download is recorded on the call."""
        record = super()._find_record(xmlid=xmlid, res_model=res_model, res_id=res_id, access_token=access_token,
                                      field=field)
        if record._name != 'ir.attachment' or not record.sudo()._ameyo_is_recording():
            return record
        record.sudo(False).check_access('read')  # as the user of the request, whatever the token
        self._ameyo_log_recording_access(record.sudo())
        return record

    def _ameyo_log_recording_access(self, attachment):
        """One line per play or download; the player's further range requests of the same play are not
        counted (a seek asks for a later part of the file)."""
        http_request = request.httprequest if request else None
        range_header = http_request.headers.get('Range', '') if http_request else ''
        if range_header and not range_header.replace(' ', '').startswith('bytes=0-'):
            return
        download = http_request is not None and http_request.args.get('download', '').lower() in ('1', 'true')
        if self.env.cr.readonly:
            # /web/content is a read-only route (served from a database replica when there is one): Odoo
            # serves the request again on a read/write cursor, as it does for any write there
            raise ReadOnlySqlTransaction("an Ameyo recording's listen is recorded on a read/write cursor")
        self.env['ameyo.call'].browse(attachment.res_id)._ameyo_log_recording_access(
            'download' if download else 'stream')

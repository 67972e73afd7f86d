from odoo import models
from odoo.exceptions import AccessError


class IrBinary(models.AbstractModel):
    _inherit = 'ir.binary'

    def _find_record(self, xmlid=None, res_model='ir.attachment', res_id=None, access_token=None, field=None):
        """``/web/content`` and ``/web/image``: a call recording is not served there, whoever asks, access
        token or not (Odoo serves a valid token as superuser, and the message store hands tokens out). It
        plays through ``/ameyo/recording/<leg>`` (``controllers/recording.py``), which records each listen."""
        record = super()._find_record(xmlid=xmlid, res_model=res_model, res_id=res_id, access_token=access_token,
                                      field=field)
        if record._name == 'ir.attachment' and not self.env.su and record.sudo()._ameyo_is_recording():
            raise AccessError(self.env._("Call recordings are played from the call, not downloaded as files."))
        return record

from contextlib import contextmanager
from contextvars import ContextVar

from odoo import api, models
from odoo.exceptions import AccessError
from odoo.fields import Domain

# Set only by the recording route (controllers/recording.py) while it builds its stream: a Python
# context variable, which no request, RPC context or URL parameter can set.
_serving_recording = ContextVar('crm_ameyo_serving_recording', default=False)


@contextmanager
def serving_recording():
    """The block streams a recording for the recording route, after its checks and its listen log."""
    token = _serving_recording.set(True)
    try:
        yield
    finally:
        _serving_recording.reset(token)


class IrAttachment(models.Model):
    """A call recording (an audio attachment of an ``ameyo.call`` leg) is the call form's, not an attachment.

    Its content goes out only through ``/ameyo/recording/<leg>`` (``controllers/recording.py``), which
    checks who may play it, records the listen, then streams. For anyone but the superuser, no search lists
    a recording (nor the chatter's attachment box), no read of it is allowed (``datas``, ``raw``, ``db_datas``
    included), and no stream of it (``/web/content`` and its access tokens, ``/web/image``, the mail zip
    route, ...).
    """
    _inherit = 'ir.attachment'

    def _check_access(self, operation):
        # every recording is refused to everyone but the superuser, as _search hides it: the call form plays it
        result = super()._check_access(operation)
        if self.env.su or not self:
            return result
        forbidden = result[0] if result else self.browse()
        recordings = (self - forbidden)._ameyo_recordings()
        if not recordings:
            return result
        return forbidden | recordings, (result[1] if result else self._ameyo_recording_refusal)

    @api.depends('store_fname', 'db_datas')
    def _compute_raw(self):
        # the content (``raw``, hence ``datas``): refused outright, before any file is read
        if not self.env.su and self.browse(id_ for id_ in self._ids if isinstance(id_, int))._ameyo_recordings():
            raise self._ameyo_recording_refusal()
        return super()._compute_raw()

    def _to_http_stream(self):
        # every stream (/web/content, /web/image, access tokens, which Odoo serves as superuser, the mail zip
        # route) but the recording route's
        if not _serving_recording.get() and self._ameyo_recordings():
            raise self._ameyo_recording_refusal()
        return super()._to_http_stream()

    def _ameyo_recording_refusal(self):
        return AccessError(self.env._("Call recordings are played from the call, not downloaded as files."))

    def _ameyo_recordings(self):
        """The call recordings among these attachments (read as superuser)."""
        sudo = self.sudo()
        sudo.fetch(['res_model', 'res_id', 'mimetype'])
        return self.browse(attachment.id for attachment in sudo if attachment._ameyo_is_recording())

    def _ameyo_is_recording(self):
        self.ensure_one()
        return self.res_model == 'ameyo.call' and bool(self.res_id) and (self.mimetype or '').startswith('audio/')

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, *, active_test=True, bypass_access=False):
        if not self.env.su and not bypass_access:
            domain = Domain(domain) & Domain('id', 'not in', self._ameyo_recordings_query())
        return super()._search(domain, offset, limit, order, active_test=active_test, bypass_access=bypass_access)

    @api.model
    def _ameyo_recordings_query(self):
        """Every call recording, as a subquery: searches never list them (a chatter's attachment box would offer a
        download that ``/web/content`` refuses); the call form plays them through ``/ameyo/recording``."""
        return self.sudo()._search([('res_model', '=', 'ameyo.call'), ('mimetype', '=like', 'audio/%')])

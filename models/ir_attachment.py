from contextlib import contextmanager
from contextvars import ContextVar

from odoo import api, models
from odoo.exceptions import AccessError
from odoo.fields import Domain

# The fields that hold an attachment's content.
CONTENT_FIELDS = frozenset(('datas', 'raw', 'db_datas'))
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
    """A call recording (an audio attachment of an ``ameyo.call`` leg) is narrower than its leg.

    Whoever reads a leg could read its attachments; its recording only a supervisor, or the leg's own
    agent when his company lets agents replay their calls: enforced here for RPC reads; no search of a
    user lists it (nor the chatter's attachment box, whose download would be refused). Its content goes
    out only through ``/ameyo/recording/<leg>`` (``controllers/recording.py``), which checks, records
    the listen, then streams: for anyone but
    the superuser, reading ``datas``/``raw``/``db_datas`` of a recording is refused, and so is any
    stream of it (``/web/content`` and its access tokens, ``/web/image``, the mail zip route, ...).
    """
    _inherit = 'ir.attachment'

    def _check_access(self, operation):
        result = super()._check_access(operation)
        if self.env.su or not self:
            return result
        forbidden = result[0] if result else self.browse()
        recordings = (self - forbidden)._ameyo_recordings()
        if not recordings:
            return result
        Call = self.env['ameyo.call']
        leg_ids = recordings.sudo().mapped('res_id')
        playable = set()
        if Call.has_access('read'):
            playable = set(Call.search(Domain('id', 'in', leg_ids) & Call._ameyo_playable_domain()).ids)
        denied = recordings.filtered(lambda attachment: attachment.sudo().res_id not in playable)
        if not denied:
            return result
        forbidden |= denied

        def error():
            return self.env['ameyo.call']._ameyo_recording_access_error()
        return forbidden, (result[1] if result else error)

    def fetch(self, field_names=None):
        if not self.env.su and self:
            names = set(self._fields) if field_names is None else set(field_names)
            if self.env.context.get('bin_size'):
                names.discard('datas')  # its size only
            if names & CONTENT_FIELDS:
                self._ameyo_check_no_recording()
        return super().fetch(field_names)

    @api.depends('store_fname', 'db_datas')
    def _compute_raw(self):
        if not self.env.su:
            self._ameyo_check_no_recording()
        return super()._compute_raw()

    def _to_http_stream(self):
        if not _serving_recording.get() and self._ameyo_recordings():
            # an access token makes Odoo stream as superuser: refused whoever asks, and however
            raise AccessError(self.env._("Call recordings are played from the call, not downloaded as files."))
        return super()._to_http_stream()

    def _ameyo_check_no_recording(self):
        """Refuse the content of call recordings (read through the recording route only)."""
        if self.browse(id_ for id_ in self._ids if isinstance(id_, int))._ameyo_recordings():
            raise AccessError(self.env._("Call recordings are played from the call, not downloaded as files."))

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

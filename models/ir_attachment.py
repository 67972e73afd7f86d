from odoo import api, models
from odoo.fields import Domain


class IrAttachment(models.Model):
    """A call recording (an audio attachment of an ``ameyo.call`` leg) is narrower than its leg.

    Whoever reads a leg could read its attachments; its recording only a supervisor, or the leg's own
    agent when his company lets agents replay their calls. Enforced here for every route that reads
    attachments as the user: RPC reads and searches, the chatter's attachment box, ``/web/content``
    (``ir_binary.py`` adds the access-token routes, which read as superuser).
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
            domain = Domain(domain) & Domain('id', 'not in', self._ameyo_unplayable_recordings_query())
        return super()._search(domain, offset, limit, order, active_test=active_test, bypass_access=bypass_access)

    @api.model
    def _ameyo_unplayable_recordings_query(self):
        """The recordings the current user may not play, as a subquery."""
        playable = self.env['ameyo.call']._ameyo_playable_query()
        return self.sudo()._search([
            ('res_model', '=', 'ameyo.call'), ('mimetype', '=like', 'audio/%'), ('res_id', 'not in', playable),
        ])

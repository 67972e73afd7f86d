from odoo import fields, models


class AmeyoRecordingAccess(models.Model):
    """Who got a call's recording, and when: recordings are personal data.

    One line per play (the player streams the file) or download through ``/ameyo/recording/<leg>``
    (``controllers/recording.py``), written once the access checks passed and before the file is
    streamed; the player's further range requests of the same play are not counted again. Readable
    by supervisors, written by no one.
    """

    _name = 'ameyo.recording.access'
    _description = 'Ameyo Recording Access'
    _order = 'accessed_at desc, id desc'

    recording_id = fields.Many2one(
        'ameyo.call.recording', required=True, index=True, ondelete='cascade', readonly=True
    )
    call_id = fields.Many2one(related='recording_id.call_id', store=True, index=True)
    company_id = fields.Many2one(related='recording_id.company_id', store=True, index=True)
    user_id = fields.Many2one(
        'res.users', string="Listened By", required=True, readonly=True, ondelete='cascade'
    )
    accessed_at = fields.Datetime(
        string="When", required=True, readonly=True, default=fields.Datetime.now
    )
    kind = fields.Selection(
        [('stream', 'Played'), ('download', 'Downloaded')], required=True, readonly=True
    )

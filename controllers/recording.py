"""A call's recording, played or downloaded: GET /ameyo/recording/<leg id>[?download=1].

The one way a recording's content leaves Odoo (``/web/content``, access tokens, RPC reads of
``datas`` and the mail zip route refuse it, see models/ir_attachment.py and models/ir_binary.py):
the user must read the leg and may play it (``_ameyo_playable_domain``: supervisors, the leg's own
agent when his company lets agents replay), the listen is recorded, then Odoo streams the file
(range requests answered 206, as the browser's player asks them).

One line in ``ameyo.recording.access`` per listen: a request without a Range, with a Range that
werkzeug cannot read, or whose range starts at byte 0 (units and numbers read as werkzeug reads
them: ``BYTES=0-``, ``bytes=00-``) is a new listen; a later range (the player seeking, or fetching
the rest) belongs to the user's listen of the same leg within the last hour, and is recorded when
there is none. A Range that Odoo cannot serve as one byte range (unreadable, several ranges,
another unit) is ignored: the whole file is sent, as werkzeug would otherwise answer 416 and
roll the listen's line back.
"""

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request

from ..models.ir_attachment import serving_recording


def is_a_seek(httprequest):
    """Whether the request asks only for a later part of the file: one byte range, as werkzeug reads
    it, that does not start at the first byte. Any other Range is dropped from the request (the whole
    file is sent: a new listen)."""
    if 'HTTP_RANGE' not in httprequest.environ:
        return False
    requested = httprequest.range  # None when werkzeug cannot read the header
    if requested is None or requested.units != 'bytes' or len(requested.ranges) != 1:
        del httprequest.environ['HTTP_RANGE']
        return False
    return requested.ranges[0][0] != 0


class AmeyoRecordingController(http.Controller):

    @http.route('/ameyo/recording/<int:leg_id>', type='http', auth='user', methods=['GET'], sitemap=False,
                readonly=False)
    def ameyo_recording(self, leg_id, download=None, **_kwargs):
        Call = request.env['ameyo.call']
        leg = Call.browse(leg_id).exists()
        if not leg:
            raise NotFound()
        leg.check_access('read')
        if not leg.filtered_domain(Call._ameyo_playable_domain()):
            raise Call._ameyo_recording_access_error()
        recording = leg._ameyo_recording_attachments()[:1] if leg.recording_state == 'fetched' else None
        if not recording:  # the user may play it, there is nothing to play
            raise NotFound()
        downloading = (download or '').lower() in ('1', 'true')
        httprequest = request.httprequest
        if httprequest.method == 'GET':  # werkzeug also routes HEAD here: no content, no listen
            leg._ameyo_log_recording_access('download' if downloading else 'stream', seek=is_a_seek(httprequest))
        with serving_recording():
            stream = request.env['ir.binary']._get_stream_from(recording, 'raw')
        stream.max_age = 0  # personal data: the browser asks again, and the listen is recorded
        response = stream.get_response(as_attachment=downloading)
        response.headers['Cache-Control'] = 'private, no-store'
        return response

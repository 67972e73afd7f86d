"""A call's recording, played or downloaded: GET /ameyo/recording/<leg id>[?download=1].

The way people play a recording (its ``audio`` field is for system administrators only, so
``/web/content`` and RPC reads refuse it to everyone else): the user must read the leg, and its
recording (``ameyo.call.recording``, whose record rules say who may play it: supervisors of the
company, the leg's own agent when their company lets agents replay and Ameyo gave them the call);
the listen is recorded, then Odoo streams the file as superuser (range requests answered 206, as the
browser's player asks them).

One line in ``ameyo.recording.access`` per listen: a request without a Range, with a Range that
werkzeug cannot read, or whose range starts at byte 0 (units and numbers read as werkzeug reads
them: ``BYTES=0-``, ``bytes=00-``) is a new listen; a later range (the player seeking, or fetching
the rest) belongs to the user's listen of the same recording within the last hour, and is recorded
when there is none. A Range that Odoo cannot serve as one byte range (unreadable, several ranges,
another unit) is ignored: the whole file is sent, as werkzeug would otherwise answer 416 and
roll the listen's line back.
"""

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request


def is_a_seek(httprequest):
    """Whether the request asks only for a later part of the file: one byte range, as werkzeug reads
    it, that does not start at the first byte. Any other Range is dropped from the request (the
    whole file is sent: a new listen)."""
    if 'HTTP_RANGE' not in httprequest.environ:
        return False
    requested = httprequest.range  # None when werkzeug cannot read the header
    if requested is None or requested.units != 'bytes' or len(requested.ranges) != 1:
        del httprequest.environ['HTTP_RANGE']
        return False
    return requested.ranges[0][0] != 0


class AmeyoRecordingController(http.Controller):
    @http.route(
        '/ameyo/recording/<int:leg_id>',
        type='http',
        auth='user',
        methods=['GET'],
        sitemap=False,
        readonly=False,
    )
    def ameyo_recording(self, leg_id, download=None, **_kwargs):
        leg = request.env['ameyo.call'].browse(leg_id).exists()
        if not leg:
            raise NotFound()
        recording = leg.recording_id  # AccessError (403) when the user may not read the leg
        if not recording:
            raise NotFound()
        if not recording.has_access('read'):
            raise recording._ameyo_play_refusal()
        recording = recording.sudo()  # checked: the user may play it
        if recording.state != 'fetched':  # the user may play it, there is nothing to play
            raise NotFound()
        downloading = (download or '').lower() in ('1', 'true')
        httprequest = request.httprequest
        if httprequest.method == 'GET':  # werkzeug also routes HEAD here: no content, no listen
            recording._ameyo_log_access(
                'download' if downloading else 'stream', seek=is_a_seek(httprequest)
            )
        stream = request.env['ir.binary']._get_stream_from(
            recording, 'audio', filename=recording.display_name, mimetype=recording.mimetype
        )
        stream.max_age = 0  # personal data: the browser asks again, and the listen is recorded
        response = stream.get_response(as_attachment=downloading)
        response.headers['Cache-Control'] = 'private, no-store'
        return response

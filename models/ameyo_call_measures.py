"""Measures of a call leg: when it popped, connected, ended and closed, and the seconds a pivot
sums.

Ameyo sends no hangup event. Odoo sees the pop (preview or customer URL), the agent's save of an
outcome in Odoo, Ameyo's dispose URL and, for a leg never disposed, the agent's next pop (state
``ended``). The times are stamped where the state changes, ``ameyo.call._ameyo_update_state``
(models/ameyo_call.py), from the state the leg moves to, in the same write as the state:

- ``popped_at``: the leg first entered preview or connected (the first pop; a dial attempt when a
  pop adopts it);
- ``connected_at``: the leg first entered connected (the customer URL);
- ``ended_at``: the end of the talk as far as Odoo knows: the end time (``callEndTime``) or talk
  time (``talkTime``) Ameyo's dispose URL carries, when it carries one; else the first event after
  the connect: the agent's save of an outcome in Odoo (every dispose mode but *Ameyo only*), Ameyo's
  dispose URL, or the next pop;
- ``closed_at``: the leg stopped holding the agent: disposed (Ameyo accepted Odoo's dispose, Ameyo's
  dispose URL, or the save in *dual entry* mode), ended by the next pop, or its dial failed;
- ``dispose_saved_at`` (models/ameyo_call_dispose.py): the agent's first save of an outcome in Odoo.

The seconds are stored, written with the stamps they are computed from (:func:`measure_values`), by
the same transition: ``talk_seconds`` (connected to ended), ``wrap_seconds`` (ended to closed),
``odoo_dispose_seconds`` (popped to saved in Odoo); a later correction of the end (Ameyo's dispose
URL) rewrites them there too. ``call_unit`` is 1 on the first leg of a ``crt_object_id`` and 0 on
the others (a transfer's second leg, a dial attempt no pop adopted), written by the pop that makes
the leg a call, so that a pivot summing it counts calls, not legs.
"""

import re
from datetime import datetime, timedelta

import pytz

from odoo import fields, models

from ..tools.ameyo_params import DEFAULT_TIME_FORMAT

# Ameyo's talk time: seconds, or HH:MM:SS; its end time: epoch milliseconds or seconds, or a
# date-time.
_DURATION_RE = re.compile(r'^(?:(\d{1,9})|(\d{1,4}):([0-5]?\d):([0-5]?\d))$')
_END_TIME_FORMATS = (
    DEFAULT_TIME_FORMAT,
    '%Y/%m/%d %H:%M:%S',
    '%Y-%m-%dT%H:%M:%S',
    '%d-%m-%Y %H:%M:%S',
)
_OFFSET_RE = re.compile(r'\s*([+-])(\d{2}):?(\d{2})$')


def _seconds(start, end):
    """Whole seconds from ``start`` to ``end``; 0 when either is unknown or they are in the wrong
    order."""
    if not start or not end or end < start:
        return 0
    return int((end - start).total_seconds())


def measure_values(times):
    """The stored measures of a leg whose times are ``times`` (``popped_at``, ``connected_at``,
    ``ended_at``, ``closed_at``, ``dispose_saved_at``; False when not reached)."""
    talk = _seconds(times['connected_at'], times['ended_at'])
    wrap = _seconds(times['ended_at'], times['closed_at']) if times['connected_at'] else 0
    return {
        'talk_seconds': talk,
        'talk_seconds_avg': talk,
        'wrap_seconds': wrap,
        'wrap_seconds_avg': wrap,
        'odoo_dispose_seconds': _seconds(
            times['popped_at'] or times['connected_at'], times['dispose_saved_at']
        ),
    }


def parse_talk_time(value):
    """Ameyo's ``talkTime`` in seconds (``'95'``, ``'00:01:35'``), or None when it cannot be
    read."""
    match = _DURATION_RE.match((value or '').strip())
    if not match:
        return None
    if match.group(1):
        return int(match.group(1))
    hours, minutes, seconds = (int(part) for part in match.groups()[1:])
    return hours * 3600 + minutes * 60 + seconds


def parse_end_time(value, tz_name):
    """Ameyo's ``callEndTime`` as a naive UTC datetime, or None when it cannot be read.

    Epoch milliseconds (or seconds), or a date-time with an optional ``+0900`` offset; without one,
    in ``tz_name`` (the server's Ameyo time zone).
    """
    value = (value or '').strip()
    if value.isdigit():
        stamp = int(value)
        if stamp > 10**11:  # milliseconds
            stamp /= 1000
        try:
            return datetime.fromtimestamp(stamp, pytz.utc).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            return None
    offset = None
    match = _OFFSET_RE.search(value)
    if match:
        sign = 1 if match.group(1) == '+' else -1
        offset = sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
        value = value[: match.start()]
    for form in _END_TIME_FORMATS:
        try:
            moment = datetime.strptime(value, form)
        except ValueError:
            continue
        if offset is not None:
            return moment - offset
        try:
            zone = pytz.timezone(tz_name or 'UTC')
        except pytz.UnknownTimeZoneError:
            zone = pytz.utc
        return zone.localize(moment).astimezone(pytz.utc).replace(tzinfo=None)
    return None


class AmeyoCallMeasuresMixin(models.AbstractModel):
    """The times and seconds of a call leg (``ameyo.call`` lists it in its ``_inherit``): written by
    the leg's state transitions, read by the reports."""

    _name = 'ameyo.call.measures.mixin'
    _description = "Ameyo Call Leg: Measures"

    popped_at = fields.Datetime(
        readonly=True,
        copy=False,
        index=True,
        help="When Ameyo first showed this call to the agent (preview or customer URL).",
    )
    ended_at = fields.Datetime(
        readonly=True,
        copy=False,
        help="The end of the talk as far as Odoo knows: Ameyo's end time when its dispose URL "
        "carries one, else the first of the agent's save in Odoo, Ameyo's dispose URL and the "
        "agent's next call.",
    )
    closed_at = fields.Datetime(
        readonly=True,
        copy=False,
        help="When the leg stopped holding the agent: disposed (in Ameyo or by Odoo), ended by "
        "their next call, or its dial failed.",
    )
    talk_seconds = fields.Integer(
        string="Talk Time (s)",
        readonly=True,
        copy=False,
        aggregator='sum',
        help="Seconds from the connect to the end of the talk.",
    )
    wrap_seconds = fields.Integer(
        string="Wrap Time (s)",
        readonly=True,
        copy=False,
        aggregator='sum',
        help="Seconds from the end of the talk until the leg stopped holding the agent.",
    )
    talk_seconds_avg = fields.Integer(
        string="Average Talk Time (s)",
        readonly=True,
        copy=False,
        aggregator='avg',
        help="The talk time, averaged in reports (filter on connected calls).",
    )
    wrap_seconds_avg = fields.Integer(
        string="Average Wrap Time (s)",
        readonly=True,
        copy=False,
        aggregator='avg',
        help="The wrap time, averaged in reports (filter on connected calls).",
    )
    odoo_dispose_seconds = fields.Integer(
        string="Time to Dispose in Odoo (s)",
        readonly=True,
        copy=False,
        aggregator='avg',
        help="Seconds from the pop to the agent's first save of an outcome in Odoo (averaged in "
        "reports); 0 when the outcome was not saved in Odoo.",
    )
    call_unit = fields.Integer(
        string="Calls",
        readonly=True,
        copy=False,
        aggregator='sum',
        help="1 on the first leg of an Ameyo call (crtObjectId), 0 on the others (a transfer's "
        "next legs, a dial attempt no call came of): summed, it counts calls.",
    )
    popped_hour = fields.Integer(
        string="Hour of Day",
        readonly=True,
        copy=False,
        aggregator=None,
        help="The hour (0-23) the call popped at, in the agent's time zone (else the company's).",
    )

    def _ameyo_end_from_params(self, params):
        """The end of the talk Ameyo's parameters say (``callEndTime``, else ``talkTime`` after the
        connect)."""
        self.ensure_one()
        if params.get('callEndTime'):
            ended = parse_end_time(params['callEndTime'], self.server_id.callback_tz)
            if ended and (not self.connected_at or ended >= self.connected_at):
                return ended
        talk = parse_talk_time(params.get('talkTime'))
        if talk is not None and self.connected_at:
            return self.connected_at + timedelta(seconds=talk)
        return None

"""Measures of a call leg: when it popped, connected, ended and closed, and the seconds a pivot sums.

Ameyo sends no hangup event. Odoo sees the pop (preview or customer URL), the agent's save of an
outcome in Odoo, Ameyo's dispose URL and, for a leg never disposed, the agent's next pop (state
``ended``). The times are stamped in one place, :meth:`_ameyo_stamp_times`, from the state a write
moves the leg to, so that whatever code changes a state gets its time stamped:

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

The seconds are stored, computed from the stamps: ``talk_seconds`` (connected to ended),
``wrap_seconds`` (ended to closed), ``odoo_dispose_seconds`` (popped to saved in Odoo). ``call_unit``
is 1 on the first leg of a ``crt_object_id`` and 0 on the others (a transfer's second leg, a dial
attempt no pop adopted), so that a pivot summing it counts calls, not legs.
"""

import re
from datetime import datetime, timedelta

import pytz

from odoo import api, fields, models

from .ameyo_call import ATTEMPT_STATES, CLOSED_STATES, LIVE_STATES

# The states that close a leg (the pop helper's 'ended': over in Ameyo, never disposed in Odoo).
CLOSING_STATES = (*CLOSED_STATES, 'ended')
# Ameyo's talk time: seconds, or HH:MM:SS; its end time: epoch milliseconds or seconds, or a date-time.
_DURATION_RE = re.compile(r'^(?:(\d{1,9})|(\d{1,4}):([0-5]?\d):([0-5]?\d))$')
_END_TIME_FORMATS = ('%Y-%m-%d %H:%M:%S', '%Y/%m/%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%d-%m-%Y %H:%M:%S')
_OFFSET_RE = re.compile(r'\s*([+-])(\d{2}):?(\d{2})$')


def _seconds(start, end):
    """Whole seconds from ``start`` to ``end``; 0 when either is unknown or they are in the wrong order."""
    if not start or not end or end < start:
        return 0
    return int((end - start).total_seconds())


def parse_talk_time(value):
    """Ameyo's ``talkTime`` in seconds (``'95'``, ``'00:01:35'``), or None when it cannot be read."""
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
        if stamp > 10 ** 11:  # milliseconds
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
        value = value[:match.start()]
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


class AmeyoCall(models.Model):
    _inherit = 'ameyo.call'  # pylint: disable=consider-merging-classes-inherited

    popped_at = fields.Datetime(
        readonly=True, copy=False, index=True,
        help="When Ameyo first showed this call to the agent (preview or customer URL).")
    ended_at = fields.Datetime(
        readonly=True, copy=False,
        help="The end of the talk as far as Odoo knows: Ameyo's end time when its dispose URL carries one, else "
             "the first of the agent's save in Odoo, Ameyo's dispose URL and the agent's next call.")
    closed_at = fields.Datetime(
        readonly=True, copy=False,
        help="When the leg stopped holding the agent: disposed (in Ameyo or by Odoo), ended by his next call, "
             "or its dial failed.")
    talk_seconds = fields.Integer(
        string="Talk Time (s)", compute='_compute_ameyo_measures', store=True, readonly=True, copy=False,
        aggregator='sum', help="Seconds from the connect to the end of the talk.")
    wrap_seconds = fields.Integer(
        string="Wrap Time (s)", compute='_compute_ameyo_measures', store=True, readonly=True, copy=False,
        aggregator='sum', help="Seconds from the end of the talk until the leg stopped holding the agent.")
    talk_seconds_avg = fields.Integer(
        string="Average Talk Time (s)", compute='_compute_ameyo_measures', store=True, readonly=True, copy=False,
        aggregator='avg', help="The talk time, averaged in reports (filter on connected calls).")
    wrap_seconds_avg = fields.Integer(
        string="Average Wrap Time (s)", compute='_compute_ameyo_measures', store=True, readonly=True, copy=False,
        aggregator='avg', help="The wrap time, averaged in reports (filter on connected calls).")
    odoo_dispose_seconds = fields.Integer(
        string="Time to Dispose in Odoo (s)", compute='_compute_ameyo_measures', store=True, readonly=True,
        copy=False, aggregator='avg',
        help="Seconds from the pop to the agent's first save of an outcome in Odoo (averaged in reports); "
             "0 when the outcome was not saved in Odoo.")
    call_unit = fields.Integer(
        string="Calls", compute='_compute_call_unit', store=True, readonly=True, copy=False, aggregator='sum',
        help="1 on the first leg of an Ameyo call (crtObjectId), 0 on the others (a transfer's next legs, a "
             "dial attempt no call came of): summed, it counts calls.")
    popped_hour = fields.Integer(
        string="Hour of Day", compute='_compute_popped_hour', store=True, readonly=True, copy=False, aggregator=None,
        help="The hour (0-23) the call popped at, in the agent's time zone (else the company's).")
    outcome = fields.Selection(related='disposition_id.outcome', store=True, string="Outcome")

    @api.depends('popped_at', 'connected_at', 'ended_at', 'closed_at', 'dispose_saved_at')
    def _compute_ameyo_measures(self):
        for call in self:
            talk = _seconds(call.connected_at, call.ended_at)
            wrap = _seconds(call.ended_at, call.closed_at) if call.connected_at else 0
            call.talk_seconds = call.talk_seconds_avg = talk
            call.wrap_seconds = call.wrap_seconds_avg = wrap
            call.odoo_dispose_seconds = _seconds(call.popped_at or call.connected_at, call.dispose_saved_at)

    @api.depends('popped_at', 'user_id.tz')
    def _compute_popped_hour(self):
        for call in self:
            tz = call.user_id.tz or call.company_id.partner_id.tz or 'UTC'
            call.popped_hour = call.popped_at and fields.Datetime.context_timestamp(
                call.with_context(tz=tz), call.popped_at).hour

    @api.depends('server_id', 'crt_object_id', 'state')
    def _compute_call_unit(self):
        calls = self.filtered(lambda call: call.crt_object_id and call.state not in ATTEMPT_STATES)
        (self - calls).call_unit = 0
        if not calls:
            return
        # the first leg of each call among all its legs, in one query
        first = dict(
            ((server.id, crt), first_id) for server, crt, first_id in self.sudo()._read_group(
                [('server_id', 'in', calls.server_id.ids),  # the leading column of the legs' unique index
                 ('crt_object_id', 'in', list(set(calls.mapped('crt_object_id')))),
                 ('state', 'not in', ATTEMPT_STATES)],
                ['server_id', 'crt_object_id'], ['id:min']))
        for call in calls:
            call.call_unit = int(first.get((call.server_id.id, call.crt_object_id)) in (call.id, None))

    # ------------------------------------------------------------------
    # The stamps: one place, keyed on the state a leg moves to
    # ------------------------------------------------------------------

    def _ameyo_stamp_times(self, new_state, vals):
        """The times to stamp on this leg as it moves to ``new_state`` (``vals``: the rest of the write)."""
        self.ensure_one()
        now = fields.Datetime.now()
        old_state = self.state
        stamps = {}
        if new_state in LIVE_STATES and not self.popped_at:
            stamps['popped_at'] = now
        if new_state == 'connected' and not self.connected_at:
            stamps['connected_at'] = now
        connected = self.connected_at or vals.get('connected_at') or stamps.get('connected_at')
        if old_state in LIVE_STATES and new_state not in LIVE_STATES and connected and not self.ended_at:
            stamps['ended_at'] = now
        if new_state in CLOSING_STATES and old_state not in CLOSING_STATES and not self.closed_at:
            stamps['closed_at'] = vals.get('disposed_at') or now
        return {name: value for name, value in stamps.items() if name not in vals}

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            state = vals.get('state', 'connected')
            if state in LIVE_STATES:
                vals.setdefault('popped_at', now)
            if state == 'connected':
                vals.setdefault('connected_at', now)
            if state in CLOSING_STATES:
                vals.setdefault('closed_at', vals.get('disposed_at') or now)
        legs = super().create(vals_list)
        legs._ameyo_expect_recording()  # recording hook (the core's transition calls this)
        return legs

    def write(self, vals):
        if 'state' not in vals:
            return super().write(vals)
        # the legs that get the same stamps are written together
        batches = {}
        for leg in self:
            stamps = leg._ameyo_stamp_times(vals['state'], vals)
            key = tuple(sorted(stamps.items()))
            batches[key] = batches.get(key, self.browse()) | leg
        for stamps, legs in batches.items():
            super(AmeyoCall, legs).write({**vals, **dict(stamps)})
        self._ameyo_expect_recording()  # recording hook (the core's transition calls this)
        return True

    # ------------------------------------------------------------------
    # The events that carry more than a state
    # ------------------------------------------------------------------

    def _ameyo_save_outcome(self, disposition, notes, callback_at=False, callback_user=False,
                            callback_attribute=False, redial_phone=False):
        """Odoo's dispose: in every mode but *Ameyo only*, the first save is the outcome's time, and ends the
        talk when the leg is still live (forced mode: Ameyo disposes later)."""
        result = super()._ameyo_save_outcome(disposition, notes, callback_at=callback_at,
                                             callback_user=callback_user, callback_attribute=callback_attribute,
                                             redial_phone=redial_phone)
        leg = self.sudo()
        if leg.campaign_id.dispose_mode != 'ameyo_only':
            now = fields.Datetime.now()
            stamps = {}
            if not leg.dispose_saved_at:
                stamps['dispose_saved_at'] = now
            if leg.connected_at and not leg.ended_at:
                stamps['ended_at'] = now
            if stamps:
                leg.with_context(mail_notrack=True).write(stamps)
        return result

    def _ameyo_record_disposition(self, params):
        """Ameyo's dispose URL: its end time or talk time, when it carries one, is the end of the talk."""
        result = super()._ameyo_record_disposition(params)
        leg = self.sudo()
        ended = leg._ameyo_end_from_params(params)
        if ended:
            leg.with_context(mail_notrack=True).write({'ended_at': ended})
        return result

    def _ameyo_end_from_params(self, params):
        """The end of the talk Ameyo's parameters say (``callEndTime``, else ``talkTime`` after the connect)."""
        self.ensure_one()
        if params.get('callEndTime'):
            ended = parse_end_time(params['callEndTime'], self.server_id.callback_tz)
            if ended and (not self.connected_at or ended >= self.connected_at):
                return ended
        talk = parse_talk_time(params.get('talkTime'))
        if talk is not None and self.connected_at:
            return self.connected_at + timedelta(seconds=talk)
        return None

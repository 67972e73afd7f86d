"""A call leg (``ameyo.call``): the core of the connector, and the one place its state changes.

A leg lives through the states of ``const.py``; :meth:`AmeyoCall._ameyo_update_state` (with
``_ameyo_create_leg`` for a new leg) is the only code that moves it: it tells moves from Ameyo's
replays (skipped, logged) and from contradictions (refused), writes the state with the times it
means and the measures they give (``models/ameyo_call_measures.py``) in one write, and posts what
the chatter must say. Nothing else writes ``state``: :meth:`write` refuses it outside a transition,
whoever asks.

What the leg does besides is composed from abstract models listed in ``_inherit`` (the screen-pop,
the dispose, the dial, the measures, the recording, Needing Attention, the history, the lookup
trace), each in its own file, none overriding another.
"""

import logging
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar

from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import AccessError, ConcurrencyError, UserError
from odoo.tools import SQL, mute_logger

from ..const import (
    ATTEMPT_STATES,
    CALL_STATES,
    CLOSED_STATES,
    DIALING_STATES,
    ENDED_STATES,
    INITIAL_STATES,
    LIVE_STATES,
    ODOO_DISPOSE_MODES,
    PHASE_STATES,
    STATE_PROGRESS,
    STATE_TRANSITIONS,
)
from ..tools.bus_notify import take_over_notify
from ..tools.phone_key import key_digits, phone_key
from .ameyo_call_measures import measure_values
from .ameyo_call_pop import UNDECIDED, found_caller_fields

_logger = logging.getLogger(__name__)

# Ameyo's callType of a call transferred to this agent: a second agent's leg of a call is theirs
# only then.
TRANSFER_CALL_TYPE_PREFIX = 'transferred.'
# The fields the pop fills from the server's own records (its company, campaign, queue,
# dispositions).
SERVER_VALUE_FIELDS = frozenset({'server_id', 'campaign_id', 'queue_id', 'disposition_id'})
# The times a leg's life stamps, and the measures computed from them (written together by a
# transition).
STAMP_FIELDS = ('popped_at', 'connected_at', 'ended_at', 'closed_at', 'dispose_saved_at')
# What the pop's end of an earlier leg writes besides its state (_ameyo_write_ended), in its
# statement's order; the stored fields computed from the state, the recording it expects and the
# write stamps come with them.
ENDED_WRITE_FIELDS = (
    'ended_at',
    'closed_at',
    'talk_seconds',
    'talk_seconds_avg',
    'wrap_seconds',
    'wrap_seconds_avg',
    'odoo_dispose_seconds',
)
TIME_FIELDS = frozenset(
    {
        *STAMP_FIELDS,
        'disposed_at',
        'popped_hour',
        'call_unit',
        'talk_seconds',
        'wrap_seconds',
        'talk_seconds_avg',
        'wrap_seconds_avg',
        'odoo_dispose_seconds',
    }
)

# Python context variables, which no RPC caller can set (a context key could be).
# ``_writing_state``: set only inside :meth:`AmeyoCall._ameyo_update_state` /
# :meth:`AmeyoCall._ameyo_create_leg` (the state may be written). ``_writing_server_values``: set
# only by the pop's writes of its leg in :meth:`AmeyoCall._ameyo_register_leg` (what it skips, and
# why: :meth:`AmeyoCall._check_company`).
_writing_state = ContextVar('crm_ameyo_writing_state', default=False)
_writing_server_values = ContextVar('crm_ameyo_writing_server_values', default=False)


class NotYourCall(AccessError):
    """A lifecycle URL names another agent's leg: refused, nothing recorded (the controller says
    so)."""


@contextmanager
def _setting_to(variable, value):
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


def _setting(variable):
    return _setting_to(variable, True)


class AmeyoCall(models.Model):
    """One agent leg of an Ameyo call.

    A call is identified in Ameyo by its customer leg (``crtObjectId``); each
    agent who handles it (the first one, then whoever it is transferred to) has
    a leg of their own (``userCrtObjectId``) and disposes it on their own.
    """

    _name = 'ameyo.call'
    _description = 'Ameyo Call Leg'
    _inherit = [
        'mail.thread',
        'mail.activity.mixin',
        'ameyo.call.pop.mixin',  # ameyo_call_pop.py: which record the pop opens
        'ameyo.call.lookup.mixin',  # ameyo_call_lookup_trace.py: why the pop found what it found
        'ameyo.call.measures.mixin',  # ameyo_call_measures.py: times and seconds
        # ameyo_call_dispose.py: the outcome, saved in Odoo, told to Ameyo
        'ameyo.call.dispose.mixin',
        'ameyo.call.dial.mixin',  # ameyo_call_dial.py: click-to-dial attempts and the dial gate
        # ameyo_call_voice_log.py: the leg's recording (ameyo.call.recording)
        'ameyo.call.voice.log.mixin',
        'ameyo.call.attention.mixin',  # ameyo_call_attention.py: Needing Attention
        'ameyo.call.history.mixin',  # ameyo_call_history.py: who reads which calls of a customer
        # ameyo_call_panel.py: the call panel's indexes of a caller's calls
        'ameyo.call.panel.legs.mixin',
        # ameyo_call_crm_action.py: what a disposition does to the caller's lead
        'ameyo.call.crm.action.mixin',
    ]
    _order = 'create_date desc, id desc'
    _rec_name = 'crt_object_id'
    _rec_names_search = ['crt_object_id', 'phone']
    _check_company_auto = True

    server_id = fields.Many2one(
        'ameyo.server', required=True, index=True, ondelete='restrict', check_company=True
    )
    company_id = fields.Many2one(
        related='server_id.company_id', store=True, index=True, precompute=True
    )
    # empty only on a click-to-dial attempt, until the pop of the call it placed names it
    crt_object_id = fields.Char(string="Call (crtObjectId)", readonly=True, copy=False)
    direction = fields.Selection(
        [('inbound', 'Inbound'), ('outbound', 'Outbound')],
        required=True,
        default='inbound',
        readonly=True,
        help="Outbound: a call the agent placed (click-to-dial from Odoo, or a dial in Ameyo).",
    )
    user_crt_object_id = fields.Char(
        string="Agent Leg (userCrtObjectId)", readonly=True, copy=False
    )
    ameyo_call_id = fields.Char(
        string="Ameyo Leg Call ID",
        readonly=True,
        copy=False,
        help="The leg's callId, the key of archived recordings.",
    )
    campaign_id = fields.Many2one(
        'ameyo.campaign', index='btree_not_null', check_company=True, tracking=True
    )
    queue_id = fields.Many2one('ameyo.queue', index='btree_not_null', check_company=True)
    ameyo_campaign_ref = fields.Char(
        string="Campaign ID Received",
        readonly=True,
        help="The campaignId Ameyo sent, kept even when Odoo does not know it.",
    )
    ameyo_queue_ref = fields.Char(
        string="Queue Received",
        readonly=True,
        help="The queueId / queueName Ameyo sent, kept even when Odoo does not know them.",
    )
    ameyo_user_ref = fields.Char(string="Ameyo User ID", readonly=True)
    ameyo_customer_id = fields.Char(string="Ameyo Customer ID", readonly=True)
    phone = fields.Char(readonly=True)
    phone_key = fields.Char(
        string="Phone Lookup Key",
        compute='_compute_phone_key',
        store=True,
        precompute=True,
        # precomputed: a pop inserts its leg in one query, not an insert and an update
        index='btree_not_null',
    )
    callback_origin_id = fields.Many2one(
        'ameyo.call',
        string="Callback Of",
        readonly=True,
        copy=False,
        index='btree_not_null',
        help="The earlier call that scheduled this callback.",
    )
    callback_call_ids = fields.One2many('ameyo.call', 'callback_origin_id', string="Callback Calls")
    call_type = fields.Char(
        string="Ameyo callType",
        readonly=True,
        help="Ameyo's callType, e.g. inbound.call.dial, outbound.manual.dial.",
    )
    call_type_label = fields.Char(
        string="Call Type",
        compute='_compute_call_type_label',
        help="Ameyo's callType in words (as Ameyo sent it when Odoo does not know it).",
    )
    user_id = fields.Many2one(
        'res.users', string="Agent", index=True, tracking=True, default=lambda self: self.env.user
    )
    partner_id = fields.Many2one(
        'res.partner', string="Contact", index='btree_not_null', tracking=True, check_company=True
    )
    lead_id = fields.Many2one('crm.lead', index='btree_not_null', tracking=True, check_company=True)
    pop_lead_id = fields.Many2one(
        'crm.lead',
        string="Lead Opened by the Pop",
        readonly=True,
        copy=False,
        index='btree_not_null',
        ondelete='set null',
        help="The lead the screen-pop (or the agent's choice among the records with the caller's "
        "number) linked to this leg. Written by the pop only: the agent may work on this lead "
        "while the call is live, whoever owns it.",
    )
    ameyo_assigned = fields.Boolean(
        string="Given by Ameyo",
        readonly=True,
        copy=False,
        help="Ameyo gave this call to this agent: the first leg of the call on its server, a leg "
        "of that same agent, or a transfer (Ameyo's callType transferred.*). Only then may the "
        "agent replay its recording; another agent naming a call that is not theirs gets a leg, "
        "never its recording.",
    )
    # set by _ameyo_create_leg, then moved by _ameyo_update_state only (see create and write)
    state = fields.Selection(
        CALL_STATES, required=True, default='connected', index=True, readonly=True, tracking=True
    )
    phase = fields.Selection(
        [
            ('dialing', 'Dialing'),
            ('live', 'Live'),
            ('waiting', 'Waiting for Ameyo'),
            ('closed', 'Closed'),
        ],
        compute='_compute_phase',
        search='_search_phase',
        help="Dialing: Odoo asked Ameyo to place the call, no pop named it yet. Live: the agent is "
        "on the call. Waiting for Ameyo: the outcome is saved in Odoo, Ameyo was not "
        "told yet (the agent may be held in wrap). Closed: nothing left to do.",
    )
    ended_undisposed = fields.Boolean(
        string="Ended Without Disposition",
        compute='_compute_ended_undisposed',
        store=True,
        index=True,
        precompute=True,
        help="Ameyo gave the agent another call before this one was disposed in Odoo, in a "
        "campaign whose outcome is recorded in Odoo (CRM only, dual entry, or a campaign Odoo does "
        "not know): a supervisor should look at it.",
    )
    disposition_id = fields.Many2one(
        'ameyo.disposition',
        domain="[('campaign_id', '=', campaign_id)]",
        tracking=True,
        check_company=True,
    )
    outcome = fields.Selection(related='disposition_id.outcome', store=True, string="Outcome")
    disposition_code = fields.Char(
        readonly=True,
        tracking=True,
        help="The disposition code as recorded, also when Ameyo sent one Odoo does not know.",
    )
    disposition_attribute = fields.Char(
        help="Ameyo's dispositionAttribute, e.g. local-2026-11-25 10:00:00."
    )
    callback_at = fields.Datetime(tracking=True)
    notes = fields.Text()
    connected_at = fields.Datetime(readonly=True, copy=False)
    disposed_at = fields.Datetime(readonly=True, copy=False)

    # One leg per (server, call, agent leg). An empty agent leg counts as a value, which
    # a plain UNIQUE (NULLs are distinct) would not enforce.
    _agent_leg_uniq = models.UniqueIndex(
        "(server_id, crt_object_id, COALESCE(user_crt_object_id, ''))",
        "This agent leg of the call is already logged.",
    )
    _user_state_idx = models.Index('(user_id, state)')
    _crt_object_id_set = models.Constraint(
        "CHECK(crt_object_id IS NOT NULL OR state IN ('dialing', 'dial_failed'))",
        "Only a dial attempt may lack Ameyo's call id (crtObjectId).",
    )

    guidance = fields.Html(
        compute='_compute_guidance', help="The queue's script, else the campaign's."
    )

    @api.depends('queue_id.guidance', 'campaign_id.guidance')
    def _compute_guidance(self):
        for call in self:
            call.guidance = call.queue_id.guidance or call.campaign_id.guidance

    # What an agent may change on the legs they can see; everything else is written by the connector
    # (as superuser, after authenticating the agent) or by a manager; the state by its transitions
    # only.
    AGENT_WRITABLE_FIELDS = frozenset({'notes', 'partner_id', 'lead_id'})
    # The caller fields: an agent names only a record they may read, or one the pop found for the
    # call.
    CALLER_FIELDS = {'partner_id': 'res.partner', 'lead_id': 'crm.lead'}

    @api.model_create_multi
    def create(self, vals_list):
        if not _writing_state.get():
            # whoever asks: a leg starts its life in a state, with the times that state means
            # (_ameyo_create_leg); who may not create legs at all is told so first
            self.check_access('create')
            raise UserError(
                self.env._("Calls are created by Ameyo's URLs and by dials, not by hand.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and not self.env.user.has_group('crm_ameyo.group_ameyo_manager'):
            forbidden = (
                set(vals)
                - self.AGENT_WRITABLE_FIELDS
                - {name for name in vals if name.startswith(('message_', 'activity_'))}
            )
            if forbidden:
                raise AccessError(
                    self.env._(
                        "You can only change the notes, contact and lead of a call (not "
                        "%(fields)s).",
                        fields=', '.join(sorted(forbidden)),
                    )
                )
            self._ameyo_check_caller_values(vals)
        if 'state' in vals and not _writing_state.get():
            # whoever asks, managers and the superuser included: the state follows the call's
            # events, with their times (_ameyo_update_state)
            raise UserError(
                self.env._(
                    "The state of a call follows its events (Ameyo's URLs, the dispose, the dial): "
                    "it cannot be set by hand."
                )
            )
        if not self.env.su and not _writing_state.get() and TIME_FIELDS.intersection(vals):
            # a manager over RPC: the stored measures are written with the times they come from,
            # never apart
            raise UserError(
                self.env._(
                    "The times and measures of a call are written by its events, not by hand (not "
                    "%(fields)s).",
                    fields=', '.join(sorted(TIME_FIELDS.intersection(vals))),
                )
            )
        return super().write(vals)

    def _ameyo_check_caller_values(self, vals):
        """Refuse a contact or lead the current user names as a leg's caller unless they may read it
        themselves, or the pop found it for that leg's number. Odoo's many2one write never checks
        the target's access, and a leg's caller decides what the agent works on (its chatter, its
        activities) during the call."""
        for field_name, model in self.CALLER_FIELDS.items():
            record = self.env[model].browse(vals.get(field_name) or ()).exists()
            if not record or record.has_access('read'):
                continue
            for leg in self:
                if record not in leg._ameyo_find_callers(model):
                    raise AccessError(
                        self.env._(
                            "You may not link this call to this lead: it is neither a lead you can "
                            "open nor one with the caller's number."
                        )
                        if model == 'crm.lead'
                        else self.env._(
                            "You may not link this call to this contact: it is neither a contact "
                            "you can open nor one with the caller's number."
                        )
                    )

    @api.model
    def _ameyo_cron_batch(self, domain, order, limit, process):
        """Run ``process(leg)`` on the legs ``domain`` finds (as superuser), the way Odoo 19's crons
        report: what is left first, then each leg's progress committed on its own, stopping when the
        run's time is up (Odoo runs the cron again at once while work remains). ``process`` isolates
        its leg: a failure is recorded on it, never raised. The dispose, dial and recording crons
        share it.
        """
        Call = self.sudo()
        legs = Call.search(domain, order=order, limit=limit)
        Cron = self.env['ir.cron']
        Cron._commit_progress(
            remaining=len(legs) if len(legs) < limit else Call.search_count(domain)
        )
        for leg in legs:
            process(leg)
            if not Cron._commit_progress(1):
                break

    def _check_company(self, fnames=None):
        # What the pop writes from the server is consistent by construction: the server's company,
        # the server's campaign (_ameyo_find_campaign), that campaign's queue and disposition.
        # Odoo's check of them (a domain evaluated per field) was a sixth of a pop's time: skipped
        # inside the pop's own creation and update of its leg (_ameyo_register_leg) only; the
        # contact and lead stay checked there too. The caller the pop's own lookup found among the
        # records of the leg's company or of none (the very condition Odoo checks) is not checked a
        # second time either (ameyo_call_pop.py, _ameyo_link_found).
        skipped = found_caller_fields.get()
        if _writing_server_values.get():
            skipped = skipped | SERVER_VALUE_FIELDS | {'company_id'}
        if skipped:
            names = self._fields if fnames is None else fnames
            fnames = [
                name
                for name in names
                if name not in skipped
                and self._fields[name].relational
                and self._fields[name].check_company
            ]
            if not fnames:
                return
        super()._check_company(fnames)

    @api.depends('state')
    def _compute_phase(self):
        phase_of = {state: phase for phase, states in PHASE_STATES.items() for state in states}
        for call in self:
            call.phase = phase_of.get(call.state, False)

    def _search_phase(self, operator, value):
        if operator not in ('=', '!=', 'in', 'not in'):
            raise UserError(self.env._("Unsupported search on the phase of a call."))
        phases = [value] if isinstance(value, str) else list(value or ())
        states = [state for phase in phases for state in PHASE_STATES.get(phase, ())]
        return [('state', 'in' if operator in ('=', 'in') else 'not in', states)]

    @api.depends('state', 'campaign_id.dispose_mode')
    def _compute_ended_undisposed(self):
        for call in self:
            call.ended_undisposed = call._ameyo_ended_undisposed(call.state)

    def _ameyo_ended_undisposed(self, state):
        """Whether this leg in ``state`` ended without the disposition Odoo was to record (the
        compute of ``ended_undisposed``, and :meth:`_ameyo_write_ended`). A call of a campaign Odoo
        does not know is disposed as in the default mode (CRM only), as the save does."""
        self.ensure_one()
        return (
            state == 'ended' and (self.campaign_id.dispose_mode or 'crm_only') in ODOO_DISPOSE_MODES
        )

    @api.depends('phone')
    def _compute_phone_key(self):
        digits = key_digits(self.env)
        for call in self:
            call.phone_key = phone_key(call.phone, digits)

    @api.depends('phone', 'partner_id', 'lead_id')
    @api.depends_context('uid')
    def _compute_display_name(self):
        # the number and the caller, as the reader may know them; Ameyo's call id only when there is
        # no number
        callers = self._ameyo_caller_names()
        for call in self:
            call.display_name = ' · '.join(
                filter(None, (call.phone or call.crt_object_id, callers[call.id]))
            ) or self.env._("Call attempt")

    def _ameyo_caller_names(self):
        """{leg id: the name of its lead (else contact) as the current user may know it}: after the
        call, a colleague's lead is closed to the agent again, and the pages of their calls must
        still open. Only the records shown are checked: one access query per kind of record."""
        shown = {call.id: call.sudo().lead_id or call.sudo().partner_id for call in self}
        known = {}
        for model in self.CALLER_FIELDS.values():
            records = (
                self.env[model]
                .sudo()
                .union(*(record for record in shown.values() if record._name == model))
            )
            known.update(self._ameyo_names_for_reader(records))
        return {call_id: known[record][0] if record else '' for call_id, record in shown.items()}

    @api.model
    def _ameyo_names_for_reader(self, records):
        """{record: (its name as the current user may know it, whether they may read it)} of
        ``records`` (contacts or leads of one model, as superuser): the record's name when they may
        read it, else words that name nothing of it ("a lead of another salesperson"). One access
        query."""
        if not records:
            return {}
        if self.env.su:
            readable = records
        elif self.env[records._name].has_access('read'):
            readable = records.with_env(self.env)._filtered_access('read')
        else:
            readable = records.browse()
        hidden = self._ameyo_unreadable_name(records._name)
        return {
            record: (record.display_name, True) if record in readable else (hidden, False)
            for record in records
        }

    @api.model
    def _ameyo_unreadable_name(self, model):
        """What a page says of a contact or lead its reader may not read: words that name nothing of
        it."""
        return (
            self.env._("a lead of another salesperson")
            if model == 'crm.lead'
            else self.env._("a contact you cannot open")
        )

    @api.depends('call_type')
    def _compute_call_type_label(self):
        words = {
            'inbound.call.dial': self.env._("Inbound call"),
            'transferred.to.campaign.dial': self.env._("Transferred from another campaign"),
            'outbound.manual.dial': self.env._("Manual dial"),
            'outbound.auto.dial': self.env._("Automatic dial (campaign)"),
            'outbound.callback.dial': self.env._("Callback"),
            'outbound.auto.preview.dial': self.env._("Preview dial (automatic)"),
            'outbound.manual.preview.dial': self.env._("Preview dial (manual)"),
            'click.to.call.dial': self.env._("Click-to-call"),
        }
        for call in self:
            call.call_type_label = words.get((call.call_type or '').lower(), call.call_type)

    # ------------------------------------------------------------------
    # The state machine: the one place a leg's state changes
    # ------------------------------------------------------------------

    @api.model
    def _ameyo_create_leg(self, values, state):
        """Create a leg in ``state`` (one of ``INITIAL_STATES``), with the times that state means:
        the pop's new leg, a click-to-dial attempt. Return it."""
        if state not in INITIAL_STATES:
            raise ValueError(f"a call leg is not created in state {state!r}")
        agent = self.env['res.users'].browse(values.get('user_id') or self.env.uid)
        company = self.env['ameyo.server'].browse(values.get('server_id')).company_id
        stamps = self.browse()._ameyo_stamp_values(
            False, state, values, agent=agent, company=company
        )
        with _setting(_writing_state):
            return self.create({**values, **stamps, 'state': state})

    def _ameyo_update_state(
        self, target_state, values=None, *, outcome_saved=False, ended_at=None, message=None
    ):
        """Move these legs to ``target_state``, writing ``values`` with it; return the legs that
        moved.

        Per leg, from its current state (``const.STATE_TRANSITIONS``):
        - an allowed move: the state, the times it means (popped, connected, ended, closed,
          disposed), the measures they give, ``values`` and ``message`` (posted on the leg's
          chatter), in one write;
        - the state it is in, not closed: it stays, and ``values`` (and what ``outcome_saved`` and
          ``ended_at`` change) are written: the agent saves the outcome again, Ameyo refuses a
          resend again;
        - a state it is already past (``const.STATE_PROGRESS``), or the closed state it is in:
          Ameyo's replay (a URL thrown twice, a dispose URL after a dual-entry save, a send's answer
          after Ameyo's dispose URL): skipped and logged, nothing written;
        - anything else contradicts the leg's life: refused with a :class:`UserError` naming the
          call.

        ``outcome_saved``: the agent saved an outcome in Odoo (its first time is kept; a live talk
        ends then). ``ended_at``: the end of the talk Ameyo says (its dispose URL's end or talk
        time): it rewrites the end and the measures. Written as superuser, in the caller's context
        (the pop's disables tracking).
        """
        if target_state not in STATE_TRANSITIONS:
            raise ValueError(f"unknown call state {target_state!r}")
        values = dict(values or {})
        batches = defaultdict(list)
        moved_ids = []
        for leg in self.sudo():
            current = leg.state
            if current == target_state and current in CLOSED_STATES:
                # a closed leg asked again: Ameyo's replay. Only what the event says of the times is
                # written (Ameyo's end of the talk on its dispose URL after a dual-entry save, the
                # agent's save in forced mode)
                _logger.info(
                    "Ameyo call leg %s is %s: a move to %s is a replay, skipped",
                    leg.id,
                    current,
                    target_state,
                )
                stamps = (
                    leg._ameyo_stamp_values(
                        current, target_state, {}, outcome_saved=outcome_saved, ended_at=ended_at
                    )
                    if outcome_saved or ended_at
                    else {}
                )
                if stamps:
                    batches[tuple(sorted(stamps.items(), key=lambda item: item[0]))].append(leg.id)
                continue
            if (
                current != target_state
                and current not in STATE_TRANSITIONS[target_state]
                and STATE_PROGRESS[target_state] <= STATE_PROGRESS[current]
            ):
                _logger.info(
                    "Ameyo call leg %s is %s: a move to %s is a replay, skipped",
                    leg.id,
                    current,
                    target_state,
                )
                continue
            if current != target_state and current not in STATE_TRANSITIONS[target_state]:
                states = dict(self._fields['state']._description_selection(self.env))
                raise UserError(
                    self.env._(
                        "Call %(call)s is %(state)s: it cannot become %(target)s.",
                        call=leg.display_name,
                        state=states[current],
                        target=states[target_state],
                    )
                )
            stamps = leg._ameyo_stamp_values(
                current, target_state, values, outcome_saved=outcome_saved, ended_at=ended_at
            )
            write = {**values, **stamps}
            if current != target_state:
                write['state'] = target_state
            if write:
                batches[tuple(sorted(write.items(), key=lambda item: item[0]))].append(leg.id)
                moved_ids.append(leg.id)
        moved = self.sudo().browse(moved_ids)
        if (
            target_state == 'ended'
            and not (values or message or outcome_saved or ended_at)
            and (self.env.context.get('mail_notrack') or self.env.context.get('tracking_disable'))
        ):
            # the pop's end of the agent's earlier legs (the one way to 'ended'): one statement,
            # recordings included
            moved._ameyo_write_ended(
                {leg_id: dict(write) for write, leg_ids in batches.items() for leg_id in leg_ids}
            )
            return moved.with_env(self.env)
        with _setting(_writing_state):
            for write, leg_ids in batches.items():
                self.sudo().browse(leg_ids).write(dict(write))
        if target_state in ENDED_STATES:
            # the talk is over: Ameyo's voice log is to fetch (ameyo_call_voice_log.py)
            moved._ameyo_expect_recording()
        if message:
            for leg in moved:
                leg.message_post(body=message)
        return moved.with_env(self.env)

    def _ameyo_write_ended(self, writes):
        """The move of these legs (as superuser) to ``ended`` that :meth:`_ameyo_update_state`
        decided (``writes``: {leg id: the state, times and measures it writes}), with what the ORM
        would write with it (the stored fields computed from them, the recording each connected leg
        now expects) in one SQL statement: the pop ends the agent's earlier live leg on every call.
        Untracked, as the pop asks (``mail_notrack``).

        :data:`ENDED_WRITE_FIELDS` lists what it writes; a stored field computed from them that it
        does not write would be left stale: tests/test_call_state.py checks the registry for one.
        """
        if not self:
            return
        self.flush_recordset()
        rows = []
        for leg in self:
            write = writes[leg.id]
            if set(write) - {'state', *ENDED_WRITE_FIELDS}:
                raise ValueError(f"the move of call leg {leg.id} to ended writes {sorted(write)}")
            values = {
                name: write[name] if name in write else leg[name] for name in ENDED_WRITE_FIELDS
            }
            rows.append(
                SQL(
                    "(%s, %s::timestamp, %s::timestamp, %s::int4, %s::int4, %s::int4, %s::int4, "
                    "%s::int4, %s::bool, %s::timestamp, %s::timestamp)",
                    leg.id,
                    *(
                        None if values[name] is False else values[name]
                        for name in ENDED_WRITE_FIELDS
                    ),
                    leg._ameyo_ended_undisposed('ended'),
                    leg._ameyo_attention_due_at('ended') or None,
                    leg._ameyo_recording_first_try('ended') or None,
                )
            )
        now, uid = self.env.cr.now(), self.env.uid
        self.env.cr.execute(
            SQL(
                """WITH moved (id, ended_at, closed_at, talk_seconds, talk_seconds_avg,
                    wrap_seconds, wrap_seconds_avg,
                           odoo_dispose_seconds, ended_undisposed, attention_due_at,
                               recording_first_try)
                    AS (VALUES %(rows)s),
                    recording AS (
                        INSERT INTO ameyo_call_recording (call_id, company_id, state, next_try,
                                                          create_uid, create_date, write_uid,
                                                              write_date)
                        SELECT moved.id, ameyo_call.company_id, 'pending',
                            moved.recording_first_try,
                               %(uid)s, %(now)s, %(uid)s, %(now)s
                          FROM moved JOIN ameyo_call ON ameyo_call.id = moved.id
                         WHERE moved.recording_first_try IS NOT NULL
                     RETURNING id, call_id)
               UPDATE ameyo_call
                  SET state = 'ended', ended_at = moved.ended_at, closed_at = moved.closed_at,
                      talk_seconds = moved.talk_seconds, talk_seconds_avg = moved.talk_seconds_avg,
                      wrap_seconds = moved.wrap_seconds, wrap_seconds_avg = moved.wrap_seconds_avg,
                      odoo_dispose_seconds = moved.odoo_dispose_seconds, ended_undisposed =
                          moved.ended_undisposed,
                      attention_due_at = moved.attention_due_at,
                      recording_id = COALESCE(recording.id, ameyo_call.recording_id),
                      recording_state = CASE WHEN recording.id IS NULL THEN
                          ameyo_call.recording_state
                                             ELSE 'pending' END,
                      write_uid = %(uid)s, write_date = %(now)s
                 FROM moved LEFT JOIN recording ON recording.call_id = moved.id
                WHERE ameyo_call.id = moved.id""",
                rows=SQL(", ").join(rows),
                uid=uid,
                now=now,
            )
        )
        # nothing else in the registry reads these fields (the test says so)
        self.invalidate_recordset()

    def _ameyo_stamp_values(
        self,
        current,
        target_state,
        values,
        *,
        outcome_saved=False,
        ended_at=None,
        agent=None,
        company=None,
    ):
        """The times and measures a move of this leg (or of a new one: empty ``self``) from
        ``current`` to ``target_state`` writes, besides ``values``; the measures when a time they
        read changes."""
        now = fields.Datetime.now()
        times = {name: self[name] if self else False for name in STAMP_FIELDS}
        stamps = {}
        if target_state in LIVE_STATES and not times['popped_at']:
            stamps['popped_at'] = now
            stamps['popped_hour'] = self._ameyo_local_hour(
                now, agent if agent is not None else self.user_id, company or self.company_id
            )
        if target_state == 'connected' and not times['connected_at']:
            stamps['connected_at'] = now
        connected = times['connected_at'] or stamps.get('connected_at')
        if ended_at and connected and ended_at >= connected:
            stamps['ended_at'] = ended_at  # Ameyo's own end of the talk: it corrects Odoo's
        elif (
            connected
            and not times['ended_at']
            and (outcome_saved or (current in LIVE_STATES and target_state not in LIVE_STATES))
        ):
            stamps['ended_at'] = now
        if outcome_saved and not times['dispose_saved_at']:
            stamps['dispose_saved_at'] = now
        if target_state == 'disposed' and current != 'disposed':
            # disposed: nothing left to retry, whoever disposed it
            stamps.update(disposed_at=now, dispose_error=False, dispose_next_try=False)
        if target_state in CLOSED_STATES and not times['closed_at']:
            stamps['closed_at'] = now
        given = {name: values[name] for name in STAMP_FIELDS if name in values}
        if given or any(name in stamps for name in STAMP_FIELDS):
            stamps.update(measure_values({**times, **stamps, **given}))
        return {name: value for name, value in stamps.items() if name not in values}

    @api.model
    def _ameyo_local_hour(self, moment, user, company):
        """The hour of ``moment`` in ``user``'s time zone, else ``company``'s, else UTC. On the
        pop's path: the user's time zone as Odoo's own session context has it (``context_get``,
        cached per user, cleared when their time zone changes), not a read of their whole partner;
        the company's only when they have none."""
        tz = user.with_user(user).context_get().get('tz') if user else False
        if not tz and company:
            # the company's partner's time zone alone, in one small query (not the company's and the
            # partner's whole rows: the pop of an agent with no time zone of their own runs it on
            # every call)
            self.env['res.partner'].flush_model(['tz'])
            self.env['res.company'].flush_model(['partner_id'])
            self.env.cr.execute(
                SQL(
                    "SELECT partner.tz FROM res_company company JOIN res_partner partner ON "
                    "partner.id = company.partner_id"
                    " WHERE company.id = %s",
                    company.id,
                )
            )
            tz = self.env.cr.fetchone()[0]
        return fields.Datetime.context_timestamp(self.with_context(tz=tz or 'UTC'), moment).hour

    # ------------------------------------------------------------------
    # Lifecycle URLs (called by the controller once it knows the agent)
    # ------------------------------------------------------------------

    @api.model
    def _ameyo_register_leg(self, server, params, event, agent):
        """Create or update the agent leg a lifecycle URL is about, and return it (as superuser).

        One leg per (server, crtObjectId, userCrtObjectId): a repeated or concurrent
        throw of the same URL updates it. A connect that follows a preview (which
        carries no agent leg) takes over the agent's preview leg. Runs after the
        controller authenticated ``agent``.
        """
        return self._ameyo_register(server, params, event, agent)[0]

    @api.model
    def _ameyo_pop_leg(self, server, params, event, agent):
        """A pop (the customer or preview URL): register its leg (:meth:`_ameyo_register_leg`) and
        decide what the agent sees (:meth:`_ameyo_resolve_pop`). Return ``(leg, outcome, records)``,
        the leg and the records in this environment (the agent's: their rights decide a record the
        pop creates).

        A new leg (most pops) is decided before it is written: the caller lookup runs on the leg as
        it will be (a draft, ``new()``), and its one ``INSERT`` carries the link and the lookup
        trace, no ``UPDATE`` after it. A leg the URL finds (a repeated throw, a preview's connect,
        an adopted dial attempt) is decided once it is updated, as before.
        """
        leg, decision = self._ameyo_register(server, params, event, agent, decide=True)
        leg = leg.with_env(self.env)
        if decision is None:
            decision = leg._ameyo_resolve_pop(create_allowed=event == 'customer')
        return leg, *decision

    @api.model
    def _ameyo_register(self, server, params, event, agent, decide=False):
        """:meth:`_ameyo_register_leg`, and with ``decide`` the pop's decision of a leg it creates:
        ``(leg, (outcome, records))``, else ``(leg, None)``."""
        # a pop is on the agent's critical path: no creation message, follower or tracking for it
        # (tracking_disable: not even the agent's auto-subscription as follower of their leg's
        # user_id), and no company check of values that are the server's own (see _check_company)
        Call = self.sudo().with_context(
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_notrack=True,
            tracking_disable=True,
        )
        crt, agent_leg = params['crtObjectId'], params.get('userCrtObjectId') or False
        decision = None
        # one query on the pop's path, on two indexes (the call's, the agent's states): every leg of
        # this call on this server (a handful: the agent's leg is among them, and the other agents'
        # legs say whether Ameyo gave the call to this agent), and the agent's live legs and open
        # dial attempts on this server (a new call ends the live ones; a pop may adopt an attempt;
        # most agents have one live leg and no attempt), fetched with what ending them reads (their
        # times, what their recomputes read)
        found = Call.search_fetch(
            [
                ('server_id', '=', server.id),
                '|',
                ('crt_object_id', '=', crt),
                '&',
                ('user_id', '=', agent.id),
                ('state', 'in', (*LIVE_STATES, *DIALING_STATES)),
            ],
            [
                'crt_object_id',
                'user_crt_object_id',
                'user_id',
                'state',
                'phone_key',
                'dial_requested_at',
                'call_type',
                'ameyo_assigned',
                *STAMP_FIELDS,
                'server_id',
                'company_id',
                'campaign_id',
                'recording_id',
                'create_date',
            ],
        )
        call_legs = found.filtered(lambda candidate: candidate.crt_object_id == crt)
        if agent_leg:
            # their leg, else their preview leg of this call (a preview carries no agent leg)
            leg = (
                call_legs.filtered(lambda candidate: candidate.user_crt_object_id == agent_leg)[:1]
                or call_legs.filtered(
                    lambda candidate: (
                        not candidate.user_crt_object_id
                        and candidate.user_id == agent
                        and candidate.state == 'preview'
                    )
                )[:1]
            )
        else:
            leg = call_legs.filtered(lambda candidate: not candidate.user_crt_object_id)[:1]
        if not leg and event in ('customer', 'preview', 'dispose'):
            # the call a click-to-dial of this agent asked for: its first URL (a pop, or Ameyo's
            # dispose when no pop reached Odoo) adopts that attempt
            leg = Call._ameyo_dial_attempt_for(server, agent, crt, params.get('phone'), found)
        if leg and leg.user_id and leg.user_id != agent:
            # an agent leg is one agent's: another agent naming it is not a transfer (that has its
            # own leg)
            raise NotYourCall(
                self.env._("This call belongs to another agent. Nothing was recorded.")
            )
        values = {'user_id': agent.id, 'ameyo_user_ref': params['userId']}
        # a URL updates what it carries: a dispose URL without campaign or queue keeps the leg's
        campaign = (
            server._ameyo_find_campaign(params.get('campaignId'))
            if params.get('campaignId') or not leg
            else leg.campaign_id
        )
        if params.get('campaignId') or not leg:
            values.update(
                campaign_id=campaign.id, ameyo_campaign_ref=params.get('campaignId') or False
            )
        if (
            params.get('queueId')
            or params.get('queueName')
            or not leg
            or campaign != leg.campaign_id
        ):
            queue = campaign._ameyo_find_or_create_queue(
                params.get('queueId'), params.get('queueName')
            )
            values.update(
                queue_id=queue.id,
                ameyo_queue_ref=' / '.join(
                    filter(None, (params.get('queueId'), params.get('queueName')))
                )
                or False,
            )
        for field_name, param in (
            ('phone', 'phone'),
            ('call_type', 'callType'),
            ('ameyo_customer_id', 'customerId'),
        ):
            if params.get(param) and not (param == 'customerId' and params[param] == '-1'):
                values[field_name] = params[param]
        state = {'customer': 'connected', 'preview': 'preview'}.get(event)
        if leg and leg.state in DIALING_STATES:
            # an adopted dial attempt (Ameyo's answer may have named its call already): a call now,
            # also when its first URL is Ameyo's dispose
            values.update(
                crt_object_id=crt,
                call_unit=self._ameyo_call_unit(call_legs - leg),
                ameyo_assigned=self._ameyo_given_by_ameyo(
                    values.get('call_type') or leg.call_type, call_legs - leg, agent
                ),
            )
            state = state or 'connected'
        if leg:
            if agent_leg and not leg.user_crt_object_id:
                values['user_crt_object_id'] = agent_leg
            with _setting(_writing_server_values):
                leg.write(values)
                if state:
                    # from a preview or a dial attempt; a replay otherwise
                    leg._ameyo_update_state(state)
        else:
            values.update(
                server_id=server.id,
                crt_object_id=crt,
                user_crt_object_id=agent_leg,
                direction=self._ameyo_direction_of(values.get('call_type')),
                call_unit=self._ameyo_call_unit(call_legs),
                ameyo_assigned=self._ameyo_given_by_ameyo(
                    values.get('call_type'), call_legs, agent
                ),
            )
            found_links = frozenset()
            if decide and state:
                # the pop's decision on the leg as it will be (in this environment: the agent's), so
                # that its INSERT carries the link and the trace; the draft's company and lookup key
                # are the INSERT's too
                draft = self.new({**values, 'state': state})
                decision = draft._ameyo_resolve_pop(create_allowed=event == 'customer')
                if decision[0] == UNDECIDED:
                    decision = None  # decided on the leg once it is written (_ameyo_pop_leg)
                else:
                    values.update(
                        draft._ameyo_decided_values(),
                        company_id=draft.company_id.id,
                        phone_key=draft.phone_key,
                    )
                    found_links = draft._ameyo_links_of_company()
            try:
                # a concurrent throw of the same URL is an expected race: no ERROR line for it
                with (
                    mute_logger('odoo.sql_db'),
                    _setting(_writing_server_values),
                    _setting_to(found_caller_fields, found_links),
                ):
                    leg = Call._ameyo_create_leg(values, state or 'connected')
            except UniqueViolation as error:
                # Another request created this leg after our transaction began: Odoo rolls this
                # transaction back and replays the whole request, which then finds and updates it
                # (no savepoint around the INSERT: two statements on every pop, for a transaction
                # that is rolled back anyway)
                raise ConcurrencyError("concurrent creation of the same Ameyo call leg") from error
        if event in ('customer', 'preview'):
            leg._ameyo_end_earlier_legs(found)
        return leg, decision

    def _ameyo_end_earlier_legs(self, candidates):
        """Ameyo gives a busy agent no new call: their other live legs on this server are over
        (``ended``).

        ``candidates``: legs that include the agent's live legs on this server (the pop found them
        with the call's legs, in the same query, before this leg was written). A dial attempt is not
        live (the pop that answers it adopts it); a leg disposed later by Ameyo's dispose URL still
        records its disposition.
        """
        self.ensure_one()
        earlier = candidates.filtered(
            lambda leg: (
                leg.user_id == self.user_id
                and leg.server_id == self.server_id
                and leg.state in LIVE_STATES
                and leg.id != self.id
            )
        )
        earlier.with_context(mail_notrack=True)._ameyo_update_state('ended')

    @api.model
    def _ameyo_given_by_ameyo(self, call_type, call_legs, agent):
        """Whether Ameyo gave this call to ``agent``, for a new leg of it, as far as a URL can tell
        (``call_legs``: every leg of the call on this server): no other agent has a leg of it, Ameyo
        gave them an earlier leg of it, or Ameyo says it transferred the call (callType
        ``transferred.*``). A URL naming another agent's call with a new agent leg gets a leg of its
        own, never that call's recording."""
        mine = call_legs.filtered(lambda leg: leg.user_id == agent)
        return (
            mine == call_legs
            or any(mine.mapped('ameyo_assigned'))
            or (call_type or '').lower().startswith(TRANSFER_CALL_TYPE_PREFIX)
        )

    @api.model
    def _ameyo_call_unit(self, other_legs):
        """1 for the first leg of a call (no other leg of it was a call: ``other_legs``), else 0:
        summed in reports, it counts calls, not legs (a transfer's next legs, a dial attempt no call
        came of count 0)."""
        return int(not other_legs.filtered(lambda leg: leg.state not in ATTEMPT_STATES))

    @api.model
    def _ameyo_direction_of(self, call_type):
        """Ameyo's callType says who placed the call: ``outbound.*`` and click-to-call are the
        agent's."""
        return (
            'outbound'
            if (call_type or '').lower().startswith(('outbound.', 'click.to.call'))
            else 'inbound'
        )

    def _ameyo_notify_agent(self):
        """Tell the agent's open Odoo tabs about their live call (the call banner listens). The
        websocket processes are woken after the commit on a connection this process keeps
        (tools/bus_notify.py), not a new one."""
        self.ensure_one()
        take_over_notify(self.env.cr)
        self.env['bus.bus']._sendone(
            self.user_id.partner_id, 'crm_ameyo/call', self._ameyo_banner_data()
        )

    def _ameyo_banner_data(self):
        self.ensure_one()
        return {
            'id': self.id,
            'phone': self.phone or '',
            'state': self.state,
            'live': self.state in LIVE_STATES,
            'campaign': self.campaign_id.name or self.ameyo_campaign_ref or '',
            'queue': self.queue_id.name or self.ameyo_queue_ref or '',
            'record': self._ameyo_caller_names()[self.id],
            'guidance': self.guidance or '',
        }

    @api.model
    def get_current_call(self):
        """The agent's live call for the call banner: their latest leg, while it is in preview or
        connected.

        Only the latest: once Ameyo gave them another call, older legs are over even if never
        disposed.
        """
        leg = self.search(
            [('user_id', '=', self.env.uid), ('state', 'not in', ATTEMPT_STATES)],
            order='id desc',
            limit=1,
        )
        return leg._ameyo_banner_data() if leg.state in LIVE_STATES else False

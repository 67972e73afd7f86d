"""The lookup trace: on each leg, how the caller's number was read and which records it matched, or
why none.

"Why did this number not pop Priya?" is answered from the call form. The pop's lookup
(:meth:`_ameyo_resolve_pop`, in ameyo_call_pop.py) hands this file what it decided and the records
it found, stored as one short JSON (``lookup_trace``): record ids, never names; a record is named
when the trace is read, and only to a reader who may read it (``lookup_trace_display``: data for the
reader, which the call form's ``ameyo_lookup_trace`` widget, static/src/lookup_trace/, puts in
words). The numbers several contacts or leads share, the cause of choosers, are a report:
``ameyo.shared.number`` in report/ameyo_shared_number.py.
"""

from odoo import api, fields, models

from ..tools.phone_key import key_digits

# How many matching records a trace names.
TRACE_RECORDS = 10
# Why the pop opened the record it opened (the widget words each)
BY_REASONS = ('dialed', 'callback', 'customer_id', 'pick', 'number', 'created', 'lost')


class AmeyoCallLookupMixin(models.AbstractModel):
    """The lookup trace of a call leg (``ameyo.call`` lists it in its ``_inherit``)."""

    _name = 'ameyo.call.lookup.mixin'
    _description = "Ameyo Call Leg: Caller Lookup"

    lookup_trace = fields.Json(
        readonly=True, copy=False, help="How the pop looked the caller up (see below)."
    )
    lookup_trace_display = fields.Json(
        string="Caller Lookup",
        compute='_compute_lookup_trace_display',
        help="How the pop looked the caller up, naming only the records you may read.",
    )

    def _ameyo_store_lookup_trace(self, model, outcome, records, by, candidates):
        """Write what the pop's lookup decided, and why, on the leg (one short JSON).
        ``candidates``: the records with the number as the pop found them, or None when another rule
        opened the record (then looked up here, to name them)."""
        self.ensure_one()
        if candidates is None:
            candidates = self._ameyo_find_callers(model) if self.phone_key else self.env[model]
        # found whoever owns them; ids only: each reader gets the names they may read
        candidates = candidates.sudo()
        trace = {
            'number': (self.phone or '').strip(),
            'key': self.phone_key or '',
            'digits': key_digits(self.env),
            'model': model,
            'outcome': outcome,
            'by': by or 'none',
            'hidden': 0,
            'matches': candidates[:TRACE_RECORDS].ids,
            'match_count': len(candidates),
        }
        if outcome == 'open':
            trace['chosen'] = records.id
        if not candidates and self.phone_key and (outcome != 'open' or by == 'lost'):
            # records with the number the pop does not use: archived, or of another company
            trace['hidden'] = (
                self.env[model]
                .sudo()
                .with_context(active_test=False)
                .search_count([('ameyo_phone_key', '=', self.phone_key)])
            )
        self.sudo().with_context(mail_notrack=True).lookup_trace = trace

    @api.depends('lookup_trace')
    @api.depends_context('uid', 'allowed_company_ids')
    def _compute_lookup_trace_display(self):
        for call in self:
            call.lookup_trace_display = call._ameyo_lookup_trace_display()

    def _ameyo_lookup_trace_display(self):
        """The trace as the current user may read it: data only, no words but the records' names
        (the widget words it). The number as read (``number_read``: ``none`` sent, ``masked``, too
        ``short`` to look up, or its lookup ``key``), what matched (``matches``: the records the
        reader may read, in the pop's order, the one opened marked; ``unreadable``: the others, as
        many as they are of each ``reason``, ``hidden`` or ``deleted``, naming nothing of them;
        ``more``: those the trace did not keep), and what was opened (``chosen``, named only to
        whoever may read it) and why (``by``)."""
        self.ensure_one()
        trace = self.lookup_trace
        if not trace:
            return False
        number = trace.get('number') or ''
        if not number:
            number_read = 'none'
        elif any(char in 'Xx*' for char in number):
            number_read = 'masked'
        elif not trace.get('key'):
            number_read = 'short'
        else:
            number_read = 'key'
        count = trace.get('match_count', 0)
        model = 'res.partner' if trace.get('model') == 'res.partner' else 'crm.lead'
        # ids (the [id, name] pairs of traces stored by earlier versions: their names are never
        # shown), named as the reader may know them: those they may read in the pop's order, the
        # others once each, in words that name nothing of them; the matches and the record opened in
        # one access query
        ids = [
            entry[0] if isinstance(entry, list) else entry
            for entry in trace.get('matches', [])
            if entry
        ]
        chosen = trace.get('chosen')
        chosen = chosen[0] if isinstance(chosen, list) else chosen
        records = (
            self.env[model]
            .sudo()
            .with_context(active_test=False)
            .browse([*ids, *filter(None, [chosen])])
        )
        known = {
            record.id: (record.display_name if can_read else '', can_read)
            for record, (_name, can_read) in self._ameyo_names_for_reader(records.exists()).items()
        }

        def shown(record_id):
            """{'name': ...} of a record the reader may read, else {'reason': 'hidden' or
            'deleted'}."""
            if record_id not in known:
                return {'name': '', 'reason': 'deleted'}
            name, can_read = known[record_id]
            return {'name': name, 'reason': ''} if can_read else {'name': '', 'reason': 'hidden'}

        matches, unreadable = [], {}
        for record_id in ids:
            record = shown(record_id)
            if record['reason']:
                unreadable[record['reason']] = unreadable.get(record['reason'], 0) + 1
            else:
                matches.append({**record, 'opened': record_id == chosen})
        by = trace.get('by')
        return {
            'model': model,
            'number': number,
            'number_read': number_read,
            'digits': trace.get('digits') or 0,
            'key': trace.get('key') or '',
            'match_count': count,
            'matches': matches,
            'unreadable': [
                {'reason': reason, 'count': number} for reason, number in unreadable.items()
            ],
            'more': max(count - len(ids), 0),
            # records with the digits the pop does not use (archived, elsewhere)
            'hidden': trace.get('hidden', 0),
            'outcome': trace.get('outcome') or '',
            'chosen': shown(chosen) if chosen else False,
            'by': by if chosen and by in BY_REASONS else '',
        }

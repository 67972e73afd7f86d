"""The lookup trace: on each leg, how the caller's number was read and which records it matched, or why none.

"Why did this number not pop Priya?" is answered from the call form. The pop's lookup
(:meth:`_ameyo_resolve_pop`, in ameyo_call_pop.py) hands this file what it decided and the records it found,
stored as one short JSON (``lookup_trace``): record ids, never names; a record is named when the trace is read,
and only to a reader who may read it. The numbers several contacts or leads share, the cause of choosers, are a
report: ``ameyo.shared.number`` in report/ameyo_shared_number.py.
"""

from markupsafe import Markup, escape

from odoo import api, fields, models

from ..tools.phone_key import key_digits

# How many matching records a trace names.
TRACE_RECORDS = 10


class AmeyoCallLookupMixin(models.AbstractModel):
    """The lookup trace of a call leg (``ameyo.call`` lists it in its ``_inherit``)."""
    _name = 'ameyo.call.lookup.mixin'
    _description = "Ameyo Call Leg: Caller Lookup"

    lookup_trace = fields.Json(readonly=True, copy=False, help="How the pop looked the caller up (see below).")
    lookup_trace_html = fields.Html(string="Caller Lookup", compute='_compute_lookup_trace_html', sanitize=False)

    def _ameyo_store_lookup_trace(self, model, outcome, records, by, candidates):
        """Write what the pop's lookup decided, and why, on the leg (one short JSON). ``candidates``: the records
        with the number as the pop found them, or None when another rule opened the record (then looked up
        here, to name them)."""
        self.ensure_one()
        if candidates is None:
            candidates = self._ameyo_find_callers(model) if self.phone_key else self.env[model]
        candidates = candidates.sudo()  # found whoever owns them; ids only: each reader gets the names he may read
        trace = {'number': (self.phone or '').strip(), 'key': self.phone_key or '', 'digits': key_digits(self.env),
                 'model': model, 'outcome': outcome, 'by': by or 'none', 'hidden': 0,
                 'matches': candidates[:TRACE_RECORDS].ids, 'match_count': len(candidates)}
        if outcome == 'open':
            trace['chosen'] = records.id
        if not candidates and self.phone_key and (outcome != 'open' or by == 'lost'):
            # records with the number the pop does not use: archived, or of another company
            trace['hidden'] = self.env[model].sudo().with_context(active_test=False).search_count(
                [('ameyo_phone_key', '=', self.phone_key)])
        self.sudo().with_context(mail_notrack=True).lookup_trace = trace

    @api.depends('lookup_trace')
    @api.depends_context('uid', 'allowed_company_ids')
    def _compute_lookup_trace_html(self):
        for call in self:
            call.lookup_trace_html = call._ameyo_lookup_trace_html()

    def _ameyo_lookup_trace_html(self):
        """The trace in plain words: the number as read, its lookup key, what matched and what was opened."""
        self.ensure_one()
        trace = self.lookup_trace
        if not trace:
            return False
        kind = self.env._("contacts") if trace.get('model') == 'res.partner' else self.env._("leads")
        number = trace.get('number') or ''
        lines = []
        if not number:
            lines.append(self.env._("Ameyo sent no number for this call."))
        elif any(char in 'Xx*' for char in number):
            lines.append(self.env._("Ameyo masked the number (%(number)s): Odoo cannot look it up.", number=number))
        elif not trace.get('key'):
            lines.append(self.env._("The number %(number)s has too few digits to look up.", number=number))
        else:
            lines.append(self.env._("Number received: %(number)s. Odoo compares its last %(digits)s digits: %(key)s.",
                           number=number, digits=trace.get('digits'), key=trace['key']))
        count = trace.get('match_count', 0)
        model = 'res.partner' if trace.get('model') == 'res.partner' else 'crm.lead'
        # ids (the [id, name] pairs of traces stored by earlier versions: their names are never shown), named as
        # the reader may know them: those he may read in the pop's order, the others once each, in words that name
        # nothing of them; the matches and the record opened in one access query
        ids = [entry[0] if isinstance(entry, list) else entry for entry in trace.get('matches', []) if entry]
        chosen = trace.get('chosen')
        chosen = chosen[0] if isinstance(chosen, list) else chosen
        records = self.env[model].sudo().with_context(active_test=False).browse([*ids, *filter(None, [chosen])])
        known = {record.id: name for record, name in self._ameyo_names_for_reader(records.exists()).items()}
        deleted = (self.env._("a record since deleted"), False)
        # one item a record (a contact's name may hold a comma: "Acme Traders, Rohan Das"), the one opened marked;
        # the records the reader may not read once each, and how many they are
        items, unreadable = [], {}
        for record_id in ids:
            name, can_read = known.get(record_id, deleted)
            if not can_read:
                unreadable[name] = unreadable.get(name, 0) + 1
            elif record_id == chosen:
                items.append(self.env._("%(name)s (opened)", name=name))
            else:
                items.append(name)
        items += [name if number == 1 else self.env._("%(name)s (%(count)s)", name=name, count=number)
                  for name, number in unreadable.items()]
        if count > len(ids):
            items.append(self.env._("and %(count)s more", count=count - len(ids)))
        if count:
            lines.append((self.env._("%(count)s of the agent's %(kind)s have these digits:", count=count, kind=kind),
                          items))
        elif trace.get('key'):
            hidden = trace.get('hidden', 0)
            lines.append(self.env._("No %(kind)s with these digits that the agent may open.", kind=kind) + ' ' + (
                self.env._("%(count)s have them but are archived or of another company.",
                  count=hidden) if hidden else self.env._("None at all has them.")))
        by = {
            'dialed': self.env._("the record the agent dialed from"),
            'callback': self.env._("the record of the call that scheduled this callback"),
            'customer_id': self.env._("the contact linked to Ameyo's customer ID"),
            'pick': self.env._("the record an agent chose earlier for this number"),
            'number': self.env._("the only match of the number"),
            'created': self.env._("a record created for the caller (the campaign creates one when nothing matches)"),
            'lost': self.env._("the caller's lost lead (the campaign restores it when the call connects)"),
        }.get(trace.get('by'))
        if chosen and by:
            lines.append(self.env._("Opened %(name)s: %(by)s.", name=known.get(chosen, deleted)[0], by=by))
        elif trace.get('outcome') == 'choose':
            lines.append(self.env._("The agent was asked to choose (several records share the number)."))
        else:
            lines.append(self.env._("Nothing matched: the agent got a new, prefilled form."))
        return Markup('<ul class="mb-0">%s</ul>') % Markup('').join(self._ameyo_trace_item(line) for line in lines)

    @api.model
    def _ameyo_trace_item(self, line):
        """One item of the trace: a sentence, or ``(sentence, [its items])``."""
        if isinstance(line, str):
            return Markup('<li>%s</li>') % escape(line)
        text, items = line
        return Markup('<li>%s<ul>%s</ul></li>') % (escape(text), Markup('').join(
            Markup('<li>%s</li>') % escape(item) for item in items))


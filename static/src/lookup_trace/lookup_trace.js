import { Component } from "@odoo/owl";

import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * The lookup trace on a call's form: how the pop read the caller's number, what matched and what it opened,
 * or why nothing did. The field (``lookup_trace_display``, models/ameyo_call_lookup_trace.py) is data computed
 * for the reader: it names only the records they may read, and says how many others there are; this widget
 * puts it in words, one item a sentence (the matches: one item a record, a name may hold a comma).
 */
export class AmeyoLookupTrace extends Component {
    static template = "crm_ameyo.LookupTrace";
    static props = { ...standardFieldProps };

    get trace() {
        return this.props.record.data[this.props.name] || false;
    }

    /** The name of a record of the trace (``{name, reason}``), or words that name nothing of it. */
    recordName(record) {
        if (record.reason === "deleted") {
            return _t("a record since deleted");
        }
        if (record.reason === "hidden") {
            return this.trace.model === "crm.lead"
                ? _t("a lead of another salesperson")
                : _t("a contact you cannot open");
        }
        return record.name;
    }

    get numberLine() {
        const { number, digits, key } = this.trace;
        switch (this.trace.number_read) {
            case "none":
                return _t("Ameyo sent no number for this call.");
            case "masked":
                return _t("Ameyo masked the number (%(number)s): Odoo cannot look it up.", { number });
            case "short":
                return _t("The number %(number)s has too few digits to look up.", { number });
            default:
                return _t("Number received: %(number)s. Odoo compares its last %(digits)s digits: %(key)s.", {
                    number,
                    digits,
                    key,
                });
        }
    }

    get kind() {
        return this.trace.model === "res.partner" ? _t("contacts") : _t("leads");
    }

    /** "N of the agent's contacts have these digits:" and its items, or why none; false with no key. */
    get matchLine() {
        const trace = this.trace;
        if (trace.match_count) {
            const items = trace.matches.map((record) =>
                record.opened ? _t("%(name)s (opened)", { name: record.name }) : record.name
            );
            for (const { reason, count } of trace.unreadable) {
                const name = this.recordName({ reason });
                items.push(count === 1 ? name : _t("%(name)s (%(count)s)", { name, count }));
            }
            if (trace.more) {
                items.push(_t("and %(count)s more", { count: trace.more }));
            }
            return {
                text: _t("%(count)s of the agent's %(kind)s have these digits:", {
                    count: trace.match_count,
                    kind: this.kind,
                }),
                items,
            };
        }
        if (trace.key) {
            const none = _t("No %(kind)s with these digits that the agent may open.", { kind: this.kind });
            const others = trace.hidden
                ? _t("%(count)s have them but are archived or of another company.", { count: trace.hidden })
                : _t("None at all has them.");
            return { text: `${none} ${others}`, items: [] };
        }
        return false;
    }

    get openedLine() {
        const trace = this.trace;
        const by = {
            dialed: _t("the record the agent dialed from"),
            callback: _t("the record of the call that scheduled this callback"),
            customer_id: _t("the contact linked to Ameyo's customer ID"),
            pick: _t("the record an agent chose earlier for this number"),
            number: _t("the only match of the number"),
            created: _t("a record created for the caller (the campaign creates one when nothing matches)"),
            lost: _t("the caller's lost lead (the campaign restores it when the call connects)"),
        }[trace.by];
        if (trace.chosen && by) {
            return _t("Opened %(name)s: %(by)s.", { name: this.recordName(trace.chosen), by });
        }
        if (trace.outcome === "choose") {
            return _t("The agent was asked to choose (several records share the number).");
        }
        return _t("Nothing matched: the agent got a new, prefilled form.");
    }
}

registry.category("fields").add("ameyo_lookup_trace", {
    component: AmeyoLookupTrace,
    displayName: _t("Ameyo caller lookup"),
    supportedTypes: ["json"],
});

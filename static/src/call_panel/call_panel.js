import { Component, markup } from "@odoo/owl";

import { deserializeDate, deserializeDateTime, formatDate, formatDateTime, today } from "@web/core/l10n/dates";
import { localization } from "@web/core/l10n/localization";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

// How many characters of an earlier call's notes the panel shows (all of them in the tooltip).
const NOTES_LENGTH = 160;

/** ``text`` cut at a word, to ``length`` characters at most, its spaces collapsed (Python's textwrap.shorten). */
export function shortenNotes(text, length = NOTES_LENGTH) {
    const words = (text || "").split(/\s+/).filter(Boolean);
    const whole = words.join(" ");
    if (whole.length <= length) {
        return whole;
    }
    const placeholder = " …";
    let kept = "";
    for (const word of words) {
        const next = kept ? `${kept} ${word}` : word;
        if (next.length + placeholder.length > length) {
            break;
        }
        kept = next;
    }
    return kept ? kept + placeholder : placeholder.trim();
}

/**
 * The call panel on a contact's or lead's form during the agent's live call with it: the queue's guidance,
 * the last calls of the number and the record's open activities. The field (``ameyo_call_panel``,
 * models/ameyo_call_panel.py) is data computed in the form's own read; this widget words and lays it out. The
 * guidance is an Html field's sanitized value (what an administrator wrote): shown as such.
 */
export class AmeyoCallPanel extends Component {
    static template = "crm_ameyo.CallPanel";
    static props = { ...standardFieldProps };

    get panel() {
        return this.props.record.data[this.props.name] || false;
    }

    get guidance() {
        return this.panel.guidance ? markup(this.panel.guidance) : false;
    }

    get noGuidance() {
        return {
            queue: _t("No guidance for this queue."),
            campaign: _t("No guidance for this campaign."),
        }[this.panel.guidance_of] || _t("No guidance for this call.");
    }

    /** The row of an earlier call: its date in the reader's time zone, the record it was about in words. */
    callRow(call) {
        const dateTimeFormat = `${localization.dateFormat} ${localization.timeFormat.replace(":ss", "")}`;
        let about = call.about_name;
        if (call.about === "this") {
            about = this.props.record.resModel === "crm.lead" ? _t("This lead") : _t("This contact");
        } else if (call.about === "none") {
            about = _t("No record");
        } else if (call.about === "hidden") {
            about = call.about_model === "crm.lead"
                ? _t("a lead of another salesperson")
                : _t("a contact you cannot open");
        }
        return {
            ...call,
            date: formatDateTime(deserializeDateTime(call.date), { format: dateTimeFormat }),
            about,
            // another record, by its name: in plain type; this record, none, one not named: muted
            named: call.about === "other",
            shortNotes: shortenNotes(call.notes),
        };
    }

    get calls() {
        return (this.panel.calls || []).map((call) => this.callRow(call));
    }

    get activities() {
        const now = today();
        return (this.panel.activities || []).map((activity) => {
            const deadline = activity.date_deadline ? deserializeDate(activity.date_deadline) : false;
            return { ...activity, date: formatDate(deadline), overdue: Boolean(deadline) && deadline < now };
        });
    }
}

registry.category("fields").add("ameyo_call_panel", {
    component: AmeyoCallPanel,
    displayName: _t("Ameyo call panel"),
    supportedTypes: ["json"],
});

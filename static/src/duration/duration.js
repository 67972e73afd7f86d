import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * A number of seconds as a duration: "6:12" (minutes:seconds), "1:02:05" from an hour on. Odoo's float_time
 * reads hours, and an average (a pivot's, a graph's) is a fraction of a second: rounded to the second.
 * The formatter "ameyo_duration" serves the pivot, the graph and the list's sums; the field widget of the same
 * name the list's cells and the forms.
 */
export function formatDuration(value) {
    if (value === false || value === null || value === undefined) {
        return "";
    }
    const total = Math.round(Math.abs(value));
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = String(total % 60).padStart(2, "0");
    const sign = value < 0 && total ? "-" : "";
    if (hours) {
        return `${sign}${hours}:${String(minutes).padStart(2, "0")}:${seconds}`;
    }
    return `${sign}${minutes}:${seconds}`;
}

export class AmeyoDurationField extends Component {
    static template = "crm_ameyo.DurationField";
    static props = { ...standardFieldProps };

    get formattedValue() {
        return formatDuration(this.props.record.data[this.props.name]);
    }
}

registry.category("formatters").add("ameyo_duration", formatDuration);
registry.category("fields").add("ameyo_duration", {
    component: AmeyoDurationField,
    displayName: _t("Duration (minutes:seconds)"),
    supportedTypes: ["integer", "float"],
});

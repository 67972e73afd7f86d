import { Component, useState } from "@odoo/owl";

import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { patch } from "@web/core/utils/patch";
import { session } from "@web/session";
import { PhoneField, formPhoneField, phoneField } from "@web/views/fields/phone/phone_field";

/**
 * "Dial" next to a phone number: asks Ameyo, through the server, to call it for the user.
 * Shown only for users mapped to an Ameyo agent, on models that can dial (the server lists
 * both in the session: ``ameyo_dial_models``). One click sends one request: the button is
 * disabled meanwhile, and the record's unsaved changes are saved first. A number marked
 * "Do not call" (``refusal``: the record's ``ameyo_do_not_call_reason``) shows the flag
 * instead, disabled, the reason in its tooltip; the server refuses such a dial anyway.
 * Whatever the dial opens (the dispose dialog of the call that makes the agent busy), the
 * form reloads once it closes: its "On call" panel and "Dispose Call" button follow.
 */
export class AmeyoDialButton extends Component {
    static template = "crm_ameyo.DialButton";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
        this.state = useState({ busy: false });
        this.title = _t("Dial through Ameyo");
    }

    get refusal() {
        return this.props.refusal || "";
    }

    async onClick() {
        if (this.state.busy || this.refusal) {
            return;
        }
        this.state.busy = true;
        try {
            const record = this.props.record;
            if ((record.isNew || record.dirty) && !(await record.save())) {
                return;
            }
            if (!record.resId) {
                this.notification.add(_t("Save the record before dialing."), { type: "warning" });
                return;
            }
            const action = await this.orm.call(record.resModel, "action_ameyo_dial", [[record.resId]], {
                phone_field: this.props.name,
            });
            await this.action.doAction(action, {
                onClose: () => (record.isNew ? undefined : record.load()),
            });
        } finally {
            this.state.busy = false;
        }
    }
}

/** Does ``record`` belong to a model the current user can dial from? */
export function canAmeyoDial(record) {
    return (session.ameyo_dial_models || []).includes(record.resModel);
}

// Props and option of our own ("ameyo_dial", "ameyoDial"): the sms addon's SMS button
// (enable_sms, enableButton) patches the same widget and both must coexist.
patch(PhoneField, {
    components: { ...PhoneField.components, AmeyoDialButton },
    defaultProps: { ...PhoneField.defaultProps, ameyoDial: true },
    props: { ...PhoneField.props, ameyoDial: { type: Boolean, optional: true } },
});
patch(PhoneField.prototype, {
    get ameyoDialVisible() {
        return (
            this.props.ameyoDial !== false &&
            Boolean(this.props.record.data[this.props.name]) &&
            (canAmeyoDial(this.props.record) || Boolean(this.ameyoDialRefusal))
        );
    },
    /** Why Dial is refused ("Do not call"), when the view loads the reason. */
    get ameyoDialRefusal() {
        return this.props.record.data.ameyo_do_not_call_reason || "";
    },
});

function patchDescription(description) {
    const supportedOptions = [
        ...(description.supportedOptions || []),
        { label: _t("Ameyo dial button"), name: "ameyo_dial", type: "boolean", default: true },
    ];
    patch(description, {
        extractProps({ options }) {
            const props = super.extractProps(...arguments);
            props.ameyoDial = options.ameyo_dial !== false;
            return props;
        },
        supportedOptions,
    });
}
patchDescription(phoneField);
patchDescription(formPhoneField);

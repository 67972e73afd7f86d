import { registry } from "@web/core/registry";

import { disposeInWizardSteps } from "./tour_steps";

const PHONE = ".o_form_view .o_field_widget[name=phone]";

/**
 * Odoo's phone field shows its Call and SMS links only under the pointer (or with the focus, which a tour
 * can give): the Dial button must not move when they appear, or the click meant for Dial lands on SMS.
 */
function dialStaysInPlaceSteps() {
    return [
        {
            content: "Where Dial is while the Call and SMS links are hidden (no pointer, no focus)",
            trigger: `${PHONE}:not(:focus-within) .o_ameyo_dial_button`,
            run() {
                const sms = document.querySelector(`${PHONE} .o_field_phone_sms`);
                if (sms.getBoundingClientRect().width) {
                    throw new Error("The SMS link shows without hover or focus: this check would prove nothing");
                }
                window.ameyoDialPlace = this.anchor.getBoundingClientRect().toJSON();
            },
        },
        {
            content: "Focus the number: Odoo shows its Call and SMS links, as under the pointer",
            trigger: `${PHONE} input`,
            run() {
                this.anchor.focus();
            },
        },
        {
            content: "Dial has not moved: a click where it was lands on it, not on SMS",
            trigger: `${PHONE}:focus-within .o_field_phone_sms:visible`,
            run() {
                const button = document.querySelector(`${PHONE} .o_ameyo_dial_button`);
                const before = window.ameyoDialPlace;
                const now = button.getBoundingClientRect();
                if (Math.round(now.x) !== Math.round(before.x) || Math.round(now.y) !== Math.round(before.y)) {
                    throw new Error(`Dial moved from (${before.x}, ${before.y}) to (${now.x}, ${now.y})`);
                }
                const hit = document.elementFromPoint(before.x + before.width / 2, before.y + before.height / 2);
                if (!button.contains(hit)) {
                    throw new Error(`A click where Dial was lands on ${hit?.outerHTML.slice(0, 120)}`);
                }
            },
        },
    ];
}

/**
 * A sales user mapped to an Ameyo agent opens a contact, types an email (not saved), and
 * clicks "Dial" next to the number (beside the SMS button): the form saves itself, Ameyo
 * gets the request, the user is told to answer on their Ameyo client.
 */
registry.category("web_tour.tours").add("crm_ameyo_dial_tour", {
    steps: () => [
        {
            content: "The dial button sits next to the number, with the SMS button",
            trigger: ".o_form_view .o_field_widget[name=phone]:has(.o_field_phone_sms) .o_ameyo_dial_button",
        },
        ...dialStaysInPlaceSteps(),
        {
            content: "Type an email without saving",
            trigger: ".o_form_view .o_field_widget[name=email] input",
            run: "edit kavya@example.com",
        },
        {
            content: "Dial",
            trigger: ".o_form_view .o_field_widget[name=phone] .o_ameyo_dial_button",
            run: "click",
        },
        {
            content: "Odoo says the request went to Ameyo",
            trigger: ".o_notification:contains(Dial request sent to Ameyo in campaign)",
        },
        {
            content: "The form was saved",
            trigger: ".o_form_view .o_form_saved",
        },
    ],
});

/** The list's icon dials the row's number; the row does not open. */
registry.category("web_tour.tours").add("crm_ameyo_dial_list_tour", {
    steps: () => [
        {
            content: "Dial from the contact's row",
            trigger: ".o_list_view .o_data_row:contains(Aadya Kapoor) button.o_ameyo_list_dial",
            run: "click",
        },
        {
            content: "Odoo says the request went to Ameyo",
            trigger: ".o_notification:contains(Dial request sent to Ameyo)",
        },
        {
            content: "Still on the list: the record did not open",
            trigger: "body:not(:has(.o_form_view)) .o_list_view",
        },
    ],
});

/**
 * A contact marked "Do not call": where Dial was, the flag, disabled, the reason in its tooltip; nothing to
 * click (the server refuses such a dial anyway).
 */
registry.category("web_tour.tours").add("crm_ameyo_dial_do_not_call_tour", {
    steps: () => [
        {
            content: "The number shows the flag, disabled, with the reason",
            trigger: `${PHONE} .o_ameyo_dial_refused[data-tooltip*='is marked "Do not call"'] button.o_ameyo_dial_button:disabled:contains(Do not call)`,
        },
        {
            content: "No Dial to click",
            trigger: `${PHONE}:not(:has(.o_ameyo_dial_button:enabled))`,
        },
        {
            content: "The reason shows on hover",
            trigger: `${PHONE} .o_ameyo_dial_refused`,
            run: "hover",
        },
        {
            content: "Odoo's tooltip gives the reason",
            trigger: ".o_popover:contains(is marked \"Do not call\")",
        },
    ],
});

/**
 * The agent is on a call with the contact the pop opened; they click Dial: Odoo refuses (they are busy) and opens
 * the dispose dialog of that call; they dispose it: the form reloads, without "On call" nor "Dispose Call".
 */
registry.category("web_tour.tours").add("crm_ameyo_dial_busy_dispose_tour", {
    steps: () => [
        {
            content: "The form shows the live call",
            trigger: ".o_form_view:has(button[name=action_ameyo_dispose]) .o_ameyo_call_panel:contains(On call)",
        },
        {
            content: "Dial the contact while on the call",
            trigger: `${PHONE} .o_ameyo_dial_button`,
            run: "click",
        },
        {
            content: "Odoo refuses: dispose that call first",
            trigger: ".o_notification:contains(Dispose that call first)",
        },
        ...disposeInWizardSteps("Sale"),
        {
            content: "The form reloaded: no more \"Dispose Call\" nor \"On call\"",
            trigger: ".o_form_view:not(:has(button[name=action_ameyo_dispose])):not(:has(.o_ameyo_call_panel)) .o_field_widget[name=phone]",
        },
    ],
});

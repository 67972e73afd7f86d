import { registry } from "@web/core/registry";

import { disposeInWizardSteps } from "./tour_steps";

/** Fail the tour unless what covers the guidance popover is the dialog (or its backdrop). */
function popoverUnderDialog() {
    const popover = document.querySelector(".o_ameyo_guidance");
    const rect = popover.getBoundingClientRect();
    const top = document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
    if (!top || !top.closest(".modal, .modal-backdrop, .o_dialog")) {
        throw new Error(`The guidance popover floats above the dialog (${top && top.className})`);
    }
}

/**
 * The popped contact shows the call panel: the queue's guidance, the caller's last calls, their open
 * activities. The banner's guidance popover stays under a dialog. Once the call is disposed, the panel goes.
 */
registry.category("web_tour.tours").add("crm_ameyo_call_panel_partner_tour", {
    steps: () => [
        {
            content: "The pop opened the caller's contact with the call panel",
            trigger: ".o_form_view .o_ameyo_call_panel:contains(On call)",
        },
        {
            content: "The queue's guidance, without a click",
            trigger: ".o_ameyo_call_panel .o_ameyo_panel_guidance:contains(Offer the gold plan first)",
        },
        {
            content: "The caller's last call: date, agent, outcome, notes",
            trigger: ".o_ameyo_call_panel .o_ameyo_panel_call:contains(Tour Other Agent):contains(Not interested):contains(Asked for a brochure)",
        },
        {
            content: "Their open activities",
            trigger: ".o_ameyo_call_panel .o_ameyo_panel_activity:contains(Send the brochure)",
        },
        {
            content: "Open the banner's guidance",
            trigger: ".o_ameyo_call_banner button[title='Guidance for this call']",
            run: "click",
        },
        {
            content: "The popover shows",
            trigger: ".o_ameyo_guidance:contains(Offer the gold plan first)",
        },
        {
            content: "Dispose from the contact: a dialog opens",
            trigger: ".o_form_view button[name=action_ameyo_dispose]:enabled",
            run: "click",
        },
        {
            content: "The dialog covers the popover",
            trigger: ".modal .o_field_widget[name=notes] textarea",
            run: popoverUnderDialog,
        },
        {
            content: "The wizard names the caller",
            trigger: ".modal .o_field_widget[name=caller]:contains(Meera Iyer)",
        },
        ...disposeInWizardSteps("Sale"),
        {
            content: "The panel is gone from the contact",
            trigger: ".o_form_view:not(:has(.o_ameyo_call_panel)) .o_field_widget[name=name]",
        },
    ],
});

/** The popped lead shows the panel too (its contact's calls count as the caller's). */
registry.category("web_tour.tours").add("crm_ameyo_call_panel_lead_tour", {
    steps: () => [
        {
            content: "The pop opened the lead with the call panel",
            trigger: ".o_form_view .o_ameyo_call_panel:contains(On call)",
        },
        {
            content: "The queue's guidance",
            trigger: ".o_ameyo_call_panel .o_ameyo_panel_guidance:contains(Ask for the budget)",
        },
        {
            content: "The caller's last call",
            trigger: ".o_ameyo_call_panel .o_ameyo_panel_call:contains(Wants a site survey)",
        },
        {
            content: "The lead's open activities",
            trigger: ".o_ameyo_call_panel .o_ameyo_panel_activity:contains(Book the survey)",
        },
    ],
});

/** No record has the number: the agent types the caller's name and saves; the banner names them. */
registry.category("web_tour.tours").add("crm_ameyo_new_caller_tour", {
    steps: () => [
        {
            content: "A new contact, prefilled with the number, with the panel's guidance",
            trigger: ".o_form_view .o_ameyo_call_panel:contains(Offer the gold plan first)",
        },
        {
            content: "The banner has only the number",
            trigger: ".o_ameyo_call_banner .o_ameyo_call_record:not(:contains(Neha Kapoor))",
        },
        {
            content: "Type the caller's name",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Neha Kapoor",
        },
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "The banner names the caller",
            trigger: ".o_ameyo_call_banner .o_ameyo_call_record:contains(Neha Kapoor)",
        },
    ],
});

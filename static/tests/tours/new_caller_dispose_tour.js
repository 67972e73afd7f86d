import { registry } from "@web/core/registry";

import { disposeInWizardSteps, newContactSteps } from "./tour_steps";

/**
 * "None of these", then the outcome from the banner: the agent says the remembered contact is the wrong
 * caller, picks "None of these: new contact", types the caller's name in the prefilled form and, without
 * saving, disposes from the call banner. The form is saved first: the wizard names the new contact, and
 * the outcome lands on her chatter. With no guidance, the banner offers no (i) button.
 */
registry.category("web_tour.tours").add("crm_ameyo_new_caller_dispose_tour", {
    steps: () => [
        {
            content: "The pop opened the remembered contact",
            trigger: ".o_form_view .o_field_widget[name=name]:contains(Asha Rao), .o_form_view .o_field_widget[name=name] input:value(Asha Rao)",
        },
        {
            content: "No guidance: the banner has no (i) button, the panel says what has none",
            trigger: ".o_ameyo_call_banner:not(:has(button[title='Guidance for this call'])) .o_ameyo_dispose_button",
        },
        {
            content: "The panel's words fit the call",
            trigger: ".o_ameyo_call_panel .o_ameyo_panel_guidance:contains(No guidance for this)",
        },
        {
            content: "Not this caller: say so from the call banner",
            trigger: ".o_ameyo_call_banner .o_ameyo_wrong_caller",
            run: "click",
            expectUnloadPage: true,
        },
        ...newContactSteps("Asha Newcaller"),
        {
            content: "Dispose from the banner, the form not saved",
            trigger: ".o_ameyo_call_banner .o_ameyo_dispose_button",
            run: "click",
        },
        {
            content: "The wizard names the new contact",
            trigger: ".modal .o_field_widget[name=caller]:contains(Asha Newcaller)",
        },
        ...disposeInWizardSteps("Sale", "Wants the gold plan"),
        {
            content: "Her chatter has the outcome",
            trigger: ".o-mail-Chatter .o-mail-Message:contains(Wants the gold plan)",
        },
    ],
});

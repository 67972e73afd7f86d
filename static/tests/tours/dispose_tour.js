import { registry } from "@web/core/registry";

import { disposeInWizardSteps } from "./tour_steps";

/**
 * The agent's path: the screen-pop opened the caller's contact; they type an email
 * (not saved), click "Dispose Call" on the contact (the form saves itself), pick a
 * code, write a note, confirm, and see the call disposed.
 */
registry.category("web_tour.tours").add("crm_ameyo_dispose_tour", {
    steps: () => [
        {
            content: "The call banner shows the live call",
            trigger: ".o_ameyo_call_banner:contains(9740011223)",
        },
        {
            content: "The pop opened the caller's contact",
            trigger: ".o_form_view .o_field_widget[name=name]:contains(Meera Iyer), .o_form_view .o_field_widget[name=name] input:value(Meera Iyer)",
        },
        {
            content: "Type an email without saving",
            trigger: ".o_form_view .o_field_widget[name=email] input",
            run: "edit meera@example.com",
        },
        {
            content: "Dispose from the contact",
            trigger: ".o_form_view button[name=action_ameyo_dispose]:enabled",
            run: "click",
        },
        ...disposeInWizardSteps("Sale", "Wants the gold plan"),
        {
            content: "The banner is gone",
            trigger: "body:not(:has(.o_ameyo_call_banner))",
        },
    ],
});

import { registry } from "@web/core/registry";

import { newContactSteps } from "./tour_steps";

/**
 * "Wrong caller": the pop opened the contact remembered for a shared number; the agent says it is the
 * wrong caller from the call banner, sees on the chooser who remembered it, picks "None of these: new
 * contact", and saves the new caller's contact (prefilled with the number), which the call is linked to.
 */
registry.category("web_tour.tours").add("crm_ameyo_wrong_caller_tour", {
    steps: () => [
        {
            content: "The pop opened the remembered contact",
            trigger: ".o_form_view .o_field_widget[name=name]:contains(Asha Rao), .o_form_view .o_field_widget[name=name] input:value(Asha Rao)",
        },
        {
            content: "Not this caller: say so from the call banner",
            trigger: ".o_ameyo_call_banner .o_ameyo_wrong_caller",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The chooser says who remembered the pick",
            trigger: ".o_ameyo_chooser_pick:contains(Remembered for this number)",
        },
        ...newContactSteps("Asha Newcaller"),
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: no longer a new record",
            trigger: ".o_form_view .o_form_status_indicator:not(.o_form_status_indicator_new_record)",
        },
    ],
});

/**
 * "Wrong caller?" by mistake: the chooser's Cancel takes the agent back to the record the call shows, in the
 * web client, nothing changed.
 */
registry.category("web_tour.tours").add("crm_ameyo_wrong_caller_cancel_tour", {
    steps: () => [
        {
            content: "The pop opened the remembered contact",
            trigger: ".o_form_view .o_field_widget[name=name]:contains(Asha Rao), .o_form_view .o_field_widget[name=name] input:value(Asha Rao)",
        },
        {
            content: "Wrong caller? from the call banner",
            trigger: ".o_ameyo_call_banner .o_ameyo_wrong_caller",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The chooser offers a way back: Cancel",
            trigger: ".o_ameyo_chooser ~ div a.o_ameyo_back:contains(Cancel)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the same contact, in the web client",
            trigger: ".o_form_view .o_field_widget[name=name] input:value(Asha Rao)",
        },
        {
            content: "The call banner is there",
            trigger: ".o_ameyo_call_banner .o_ameyo_wrong_caller",
        },
    ],
});

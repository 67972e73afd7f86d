import { registry } from "@web/core/registry";

/**
 * The agent's path: the screen-pop opened the caller's contact; he types an email
 * (not saved), clicks "Dispose Call" on the contact (the form saves itself), picks a
 * code, writes a note, confirms, and sees the call disposed.
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
            trigger: ".o_form_view button[name=action_ameyo_dispose]",
            run: "click",
        },
        {
            content: "Open the disposition codes of the call's campaign",
            trigger: ".modal .o_field_widget[name=disposition_id] .o_select_menu_toggler",
            run: "click",
        },
        {
            content: "Pick the outcome",
            trigger: ".o_select_menu_item:contains(Sale)",
            run: "click",
        },
        {
            content: "Write a note",
            trigger: ".modal .o_field_widget[name=notes] textarea",
            run: "edit Wants the gold plan",
        },
        {
            content: "Confirm",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Odoo says the call is disposed",
            trigger: ".o_notification:contains(Call disposed)",
        },
        {
            content: "The banner is gone",
            trigger: "body:not(:has(.o_ameyo_call_banner))",
        },
    ],
});

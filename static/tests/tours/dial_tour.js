import { registry } from "@web/core/registry";

/**
 * A sales user mapped to an Ameyo agent opens a contact, types an email (not saved), and
 * clicks "Dial" next to the number (beside the SMS button): the form saves itself, Ameyo
 * gets the request, the user is told to answer on his Ameyo client.
 */
registry.category("web_tour.tours").add("crm_ameyo_dial_tour", {
    steps: () => [
        {
            content: "The dial button sits next to the number, with the SMS button",
            trigger: ".o_form_view .o_field_widget[name=phone]:has(.o_field_phone_sms) .o_ameyo_dial_button",
        },
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
            trigger: ".o_notification:contains(Dial request sent to Ameyo: answer on your Ameyo client)",
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

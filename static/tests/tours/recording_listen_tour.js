import { registry } from "@web/core/registry";

import { playRecordingSteps } from "./tour_steps";

/**
 * A supervisor on a recording's own form (Contact Center > Recordings): nobody listened yet; they play it there,
 * and "Listened By" lists their listen at once, without reloading the page.
 */
registry.category("web_tour.tours").add("crm_ameyo_recording_listen_tour", {
    steps: () => [
        {
            content: "The recording's form has the player",
            trigger: ".o_form_view .o_ameyo_recording_player audio",
        },
        {
            content: "Nobody listened yet",
            trigger: ".o_form_view:not(:has(.o_field_widget[name=access_ids] .o_data_row))",
        },
        ...playRecordingSteps(),
        {
            content: "Listened By shows the listen, without a reload",
            trigger: ".o_field_widget[name=access_ids] .o_data_row:contains(Played)",
        },
    ],
});

import { registry } from "@web/core/registry";

import { playRecordingSteps } from "./tour_steps";

/**
 * A supervisor on the caller's contact: the chatter's note links to the call (never to the
 * file); the call form loads nothing of the recording until it is played, then plays it inline and
 * reports its duration.
 */
registry.category("web_tour.tours").add("crm_ameyo_recording_tour", {
    steps: () => [
        {
            content: "The contact's chatter says the recording is on the call",
            trigger: ".o-mail-Message:contains(The recording of this call is available) a[data-oe-model='ameyo.call']",
            run: "click",
        },
        {
            content: "The call form opens with the player",
            trigger: ".o_form_view .o_ameyo_recording_player audio",
        },
        {
            content: "Opening the call loads nothing of the recording (no listen yet)",
            trigger: ".o_ameyo_recording_player:not(:has(.o_ameyo_recording_duration))",
        },
        ...playRecordingSteps(),
        {
            content: "The browser read the recording: 3 seconds",
            trigger: ".o_ameyo_recording_player .o_ameyo_recording_duration:contains(0:03)",
        },
        {
            content: "Not an error",
            trigger: ".o_ameyo_recording_player:not(:has(.o_ameyo_recording_error))",
        },
    ],
});

import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { queryOne } from "@odoo/hoot-dom";
import { animationFrame } from "@odoo/hoot-mock";
import { asyncStep, defineModels, fields, models, mountView, onRpc, waitForSteps } from "@web/../tests/web_test_helpers";

describe.current.tags("desktop");

class AmeyoCall extends models.Model {
    _name = "ameyo.call";
    name = fields.Char();
    recording_url = fields.Char();
    _records = [
        { id: 7, name: "Call with a recording", recording_url: "/ameyo/recording/7" },
        { id: 8, name: "Call the user may not play", recording_url: false },
    ];
}

class AmeyoCallRecording extends models.Model {
    _name = "ameyo.call.recording";
    call_id = fields.Many2one({ relation: "ameyo.call" });
    _records = [{ id: 1, call_id: 7 }];
}

defineMailModels();  // the web client's services of the addons crm_ameyo depends on
defineModels([AmeyoCall, AmeyoCallRecording]);

/** The browser's events of the audio element: its duration read from the file, playing, an error. */
async function audioEvent(type, duration) {
    const audio = queryOne(".o_ameyo_recording_player audio");
    if (duration !== undefined) {
        Object.defineProperty(audio, "duration", { value: duration, configurable: true });
    }
    audio.dispatchEvent(new Event(type));
    await animationFrame();
}

test("the player: the recording's URL, nothing loaded before a play, a download link", async () => {
    await mountView({
        type: "form", resModel: "ameyo.call", resId: 7,
        arch: `<form><field name="recording_url" widget="ameyo_recording_player"/></form>`,
    });
    expect(".o_ameyo_recording_player audio").toHaveAttribute("src", "/ameyo/recording/7");
    expect(".o_ameyo_recording_player audio").toHaveAttribute("preload", "none");
    expect(".o_ameyo_recording_download").toHaveAttribute("href", "/ameyo/recording/7?download=true");
    expect(".o_ameyo_recording_duration").toHaveCount(0);
    await audioEvent("loadedmetadata", 372.4);
    expect(".o_ameyo_recording_duration").toHaveText("Duration 6:12");
    await audioEvent("playing");
    expect(".o_ameyo_recording_player").toHaveClass("o_ameyo_recording_playing");
    await audioEvent("pause");
    expect(".o_ameyo_recording_player").not.toHaveClass("o_ameyo_recording_playing");
});

test("a recording the browser cannot play says so", async () => {
    await mountView({
        type: "form", resModel: "ameyo.call", resId: 7,
        arch: `<form><field name="recording_url" widget="ameyo_recording_player"/></form>`,
    });
    await audioEvent("error");
    expect(".o_ameyo_recording_error").toHaveText("The browser could not play this recording.");
    await audioEvent("loadedmetadata", Infinity);  // a stream of unknown length: no duration
    expect(".o_ameyo_recording_error").toHaveCount(0);
    expect(".o_ameyo_recording_duration").toHaveCount(0);
});

test("no player for a user who may not play it", async () => {
    await mountView({
        type: "form", resModel: "ameyo.call", resId: 8,
        arch: `<form><field name="recording_url" widget="ameyo_recording_player"/></form>`,
    });
    expect(".o_ameyo_recording_player").toHaveCount(0);
});

test("on the recording's form: its call's URL, and the form read again once it plays", async () => {
    onRpc("ameyo.call.recording", "web_read", () => asyncStep("web_read"));
    await mountView({
        type: "form", resModel: "ameyo.call.recording", resId: 1,
        arch: `<form><field name="call_id" widget="ameyo_recording_player" options="{'reload_on_play': true}"/></form>`,
    });
    await waitForSteps(["web_read"]);
    expect(".o_ameyo_recording_player audio").toHaveAttribute("src", "/ameyo/recording/7");
    await audioEvent("playing");
    await waitForSteps(["web_read"]);  // the listen this play logged shows at once
});

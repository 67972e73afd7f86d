import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { beforeEach, describe, expect, test } from "@odoo/hoot";
import { animationFrame } from "@odoo/hoot-mock";
import {
    asyncStep,
    getService,
    makeServerError,
    mountWebClient,
    onRpc,
    waitForSteps,
} from "@web/../tests/web_test_helpers";

describe.current.tags("desktop");
defineMailModels();  // the web client's services of the addons crm_ameyo depends on

beforeEach(() => {
    // the web client's call banner asks for the agent's live call: none
    onRpc("ameyo.call", "get_current_call", () => false);
});

/** The notification shown: its type (its bar's colour) and its text ("Title. Message"). */
async function expectNotification(type, text) {
    await animationFrame();
    expect(`.o_notification:has(.o_notification_bar.bg-${type})`).toHaveCount(1);
    expect(".o_notification_content").toHaveText(text);
}

/** The second step of a dispose, as the wizard's confirm returns it (wizards/ameyo_dispose_wizard.py). */
const SEND_DISPOSE = { type: "ir.actions.client", tag: "crm_ameyo.send_dispose", params: { call_id: 7 } };

/** Ameyo's answer, as the server words it (tools/notification.py). */
function notification(type, title, message, className) {
    return {
        type: "ir.actions.client",
        tag: "display_notification",
        params: { type, title, message, ...(className ? { className } : {}) },
    };
}

for (const [type, title, message] of [
    ["success", "Call disposed", "Ameyo accepted the outcome."],
    ["info", "Outcome saved in Odoo", "Now dispose the call in Ameyo too."],
    ["warning", "Not disposed in Ameyo yet", "Odoo retries in a minute."],
    ["danger", "Ameyo refused the dispose", "The call is not with this agent."],
]) {
    test(`Ameyo's answer shown as a ${type} notification, and the banner told`, async () => {
        onRpc("ameyo.call", "action_send_dispose", ({ args }) => {
            asyncStep(`action_send_dispose ${args[0]}`);
            return notification(type, title, message);
        });
        const { env } = await mountWebClient();
        env.bus.addEventListener("CRM_AMEYO:CALL_CHANGED", () => asyncStep("call changed"));
        await getService("action").doAction(SEND_DISPOSE);
        await waitForSteps(["action_send_dispose 7", "call changed"]);
        await expectNotification(type, `${title}. ${message}`);
    });
}

test("a message of several lines keeps its lines", async () => {
    onRpc("ameyo.call", "action_send_dispose", () =>
        notification("warning", "Not disposed", "First line\nSecond line", "o_ameyo_notification_lines")
    );
    await mountWebClient();
    await getService("action").doAction(SEND_DISPOSE);
    await animationFrame();
    expect(".o_notification.o_ameyo_notification_lines").toHaveCount(1);
    expect(".o_notification .o_notification_content").toHaveStyle({ whiteSpace: "pre-line" });
});

test("a failed request: the error is shown, and the banner is not told of a change", async () => {
    expect.errors(1);
    onRpc("ameyo.call", "action_send_dispose", () => {
        asyncStep("action_send_dispose");
        throw makeServerError({ message: "Ameyo is unreachable" });
    });
    const { env } = await mountWebClient();
    env.bus.addEventListener("CRM_AMEYO:CALL_CHANGED", () => asyncStep("call changed"));
    getService("action").doAction(SEND_DISPOSE);
    await waitForSteps(["action_send_dispose"]);
    await animationFrame();
    await animationFrame();
    expect.verifyErrors([/RPC_ERROR/]);
    expect.verifySteps([]);
});

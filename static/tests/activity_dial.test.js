import { click, contains, defineMailModels, openFormView, start, startServer } from "@mail/../tests/mail_test_helpers";
import { beforeEach, describe, expect, test } from "@odoo/hoot";
import { queryOne } from "@odoo/hoot-dom";
import { animationFrame } from "@odoo/hoot-mock";
import { asyncStep, makeServerError, onRpc, patchWithCleanup, waitForSteps } from "@web/../tests/web_test_helpers";
import { session } from "@web/session";

describe.current.tags("desktop");
defineMailModels();

beforeEach(() => {
    // the server lists the models the user may dial from in the session (an agent's)
    patchWithCleanup(session, { ameyo_dial_models: ["res.partner"] });
    // the web client's call banner asks for the agent's live call: none
    onRpc("ameyo.call", "get_current_call", () => false);
});

/** A contact with a "Call" activity (a callback) and a to-do; returns their ids. */
async function contactWithActivities() {
    const pyEnv = await startServer();
    const partnerId = pyEnv["res.partner"].create({ name: "Meera Iyer", phone: "+91 98765 43210" });
    const callId = pyEnv["mail.activity"].create({
        activity_category: "phonecall", can_write: true, res_id: partnerId, res_model: "res.partner",
        summary: "Call back",
    });
    pyEnv["mail.activity"].create({
        activity_category: "default", can_write: true, res_id: partnerId, res_model: "res.partner",
        summary: "Send the brochure",
    });
    return { partnerId, callId };
}

test("a Call activity offers Dial next to Mark Done; dialing names the activity", async () => {
    const { partnerId, callId } = await contactWithActivities();
    onRpc("res.partner", "action_ameyo_dial", ({ args, kwargs }) => {
        asyncStep(`dial ${args[0]} ${kwargs.activity_id}`);
        return {
            type: "ir.actions.client", tag: "display_notification",
            params: { type: "success", title: "Dialing", message: "Ameyo is calling Meera Iyer" },
        };
    });
    await start();
    await openFormView("res.partner", partnerId);
    await contains(".o-mail-Activity", { count: 2 });
    await contains(".o-mail-Activity .o_ameyo_activity_dial", { count: 1 });
    // on the call activity, not on the to-do
    expect(queryOne(".o_ameyo_activity_dial").closest(".o-mail-Activity")).toHaveText(/Call back/);
    await click(".o_ameyo_activity_dial");
    await waitForSteps([`dial ${partnerId} ${callId}`]);
    await contains(".o_notification_content", { text: "Dialing. Ameyo is calling Meera Iyer" });
});

test("no Dial on activities of a model the user cannot dial from", async () => {
    patchWithCleanup(session, { ameyo_dial_models: [] });
    const { partnerId } = await contactWithActivities();
    await start();
    await openFormView("res.partner", partnerId);
    await contains(".o-mail-Activity", { count: 2 });
    await contains(".o_ameyo_activity_dial", { count: 0 });
});

test("a failed dial request: the error is shown", async () => {
    expect.errors(1);
    const { partnerId } = await contactWithActivities();
    onRpc("res.partner", "action_ameyo_dial", () => {
        throw makeServerError({ message: "Ameyo is unreachable" });
    });
    await start();
    await openFormView("res.partner", partnerId);
    await click(".o_ameyo_activity_dial");
    await animationFrame();
    await animationFrame();
    expect.verifyErrors([/RPC_ERROR/]);
});

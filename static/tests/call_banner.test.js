import { describe, expect, test } from "@odoo/hoot";
import { click, queryAllTexts } from "@odoo/hoot-dom";
import { animationFrame } from "@odoo/hoot-mock";
import {
    asyncStep,
    makeServerError,
    mockService,
    mountWithCleanup,
    onRpc,
    waitForSteps,
} from "@web/../tests/web_test_helpers";

import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { AmeyoCallBanner } from "@crm_ameyo/call_banner/call_banner";

describe.current.tags("desktop");
defineMailModels();  // the web client's services of the addons crm_ameyo depends on

/** The banner's data of a leg as the server sends it (ameyo.call._ameyo_banner_data). */
function call(values = {}) {
    return {
        id: 7,
        phone: "9740022334",
        state: "connected",
        live: true,
        campaign: "Tour Campaign",
        queue: "Gold",
        record: "Meera Iyer",
        guidance: "<p>Offer the <b>gold plan</b> first.</p>",
        ...values,
    };
}

/**
 * Mount the banner for an agent (``isAgent``) whose live call is ``current``. Returns ``send``, the bus's
 * "crm_ameyo/call" listener (the news each screen-pop sends the agent), and ``requests``, the banner's requests
 * so far.
 */
async function mountBanner({ isAgent = true, current = call() } = {}) {
    const listeners = {};
    const requests = [];
    mockService("bus_service", {
        subscribe(name, callback) {
            listeners[name] = callback;
        },
    });
    onRpc("has_group", ({ args }) => {
        requests.push(`has_group ${args[1]}`);
        return isAgent;
    });
    onRpc("ameyo.call", "get_current_call", () => {
        requests.push("get_current_call");
        return current;
    });
    await mountWithCleanup(AmeyoCallBanner);
    await animationFrame();
    const send = async (news) => {
        listeners["crm_ameyo/call"](news);
        await animationFrame();
    };
    return { send, requests };
}

/** The banner's number and caller. */
function shown() {
    return queryAllTexts(".o_ameyo_call_record > *");
}

test("a live call: number, caller, campaign and queue, Dispose", async () => {
    const { requests } = await mountBanner();
    expect(requests).toEqual(["has_group crm_ameyo.group_ameyo_agent", "get_current_call"]);
    expect(".o_ameyo_call_state").toHaveText("On call");
    expect(shown()).toEqual(["9740022334", "Meera Iyer"]);
    expect(".o_ameyo_call_campaign").toHaveText("Tour Campaign / Gold");
    expect(".o_ameyo_dispose_button").toHaveCount(1);
    expect(".o_ameyo_wrong_caller").toHaveCount(1);
});

test("a preview", async () => {
    await mountBanner({ current: call({ state: "preview", queue: "" }) });
    expect(".o_ameyo_call_state").toHaveText("Preview");
    expect(".o_ameyo_call_campaign").toHaveText("Tour Campaign");
});

test("no live call: no banner", async () => {
    const { requests } = await mountBanner({ current: false });
    expect(requests).toEqual(["has_group crm_ameyo.group_ameyo_agent", "get_current_call"]);
    expect(".o_ameyo_call_banner").toHaveCount(0);
});

test("a user who is no agent: no banner, and no request for a call", async () => {
    const { requests } = await mountBanner({ isAgent: false });
    expect(requests).toEqual(["has_group crm_ameyo.group_ameyo_agent"]);
    expect(".o_ameyo_call_banner").toHaveCount(0);
});

test("the guidance: the administrator's HTML under (i), none when empty", async () => {
    await mountBanner();
    expect(".o_ameyo_guidance").toHaveCount(0);
    await click(".o_ameyo_call_banner button[title='Guidance for this call']");
    await animationFrame();
    expect(".o_ameyo_guidance b").toHaveText("gold plan");
    await click(".o_ameyo_call_banner button[title='Guidance for this call']");
    await animationFrame();
    expect(".o_ameyo_guidance").toHaveCount(0);
});

test("an emptied guidance (what the editor leaves) offers no (i)", async () => {
    await mountBanner({ current: call({ guidance: "<p><br></p>" }) });
    expect(".o_ameyo_call_banner").toHaveCount(1);
    expect(".o_ameyo_call_banner button[title='Guidance for this call']").toHaveCount(0);
});

test("the bus's news: a new call shows, an older leg's news does not hide it, its own end does", async () => {
    const { send } = await mountBanner({ current: false });
    expect(".o_ameyo_call_banner").toHaveCount(0);
    await send(call({ id: 8, phone: "9111122223", record: "" }));
    expect(shown()).toEqual(["9111122223"]);
    await send(call({ id: 7, live: false, state: "disposed" }));  // an older leg, disposed late
    expect(shown()).toEqual(["9111122223"]);
    await send(call({ id: 8, phone: "9111122223", record: "Neha Kapoor" }));  // the contact saved from the pop
    expect(shown()).toEqual(["9111122223", "Neha Kapoor"]);
    await send(call({ id: 8, live: false, state: "dispose_pending" }));
    expect(".o_ameyo_call_banner").toHaveCount(0);
});

test("Dispose opens the wizard, then the banner and the record on screen reload", async () => {
    mockService("action", {
        async doAction(action, options) {
            asyncStep(`doAction ${action.res_model || action.tag}`);
            await options?.onClose?.();
        },
    });
    onRpc("ameyo.call", "action_dispose", ({ args }) => {
        asyncStep(`action_dispose ${args[0]}`);
        return { type: "ir.actions.act_window", res_model: "ameyo.dispose.wizard", views: [[false, "form"]] };
    });
    const { requests } = await mountBanner({ current: call() });
    await click(".o_ameyo_dispose_button");
    await waitForSteps(["action_dispose 7", "doAction ameyo.dispose.wizard", "doAction soft_reload"]);
    // loaded, then reloaded once the wizard closed
    expect(requests).toEqual(["has_group crm_ameyo.group_ameyo_agent", "get_current_call", "get_current_call"]);
});

test("the caller's record, and Wrong caller?, open what the server answers", async () => {
    mockService("action", {
        doAction(action) {
            asyncStep(`doAction ${action.res_model}`);
        },
    });
    onRpc("ameyo.call", "action_open_pop", () => ({ type: "ir.actions.act_window", res_model: "res.partner" }));
    onRpc("ameyo.call", "action_ameyo_wrong_caller", () => ({ type: "ir.actions.act_url", res_model: "chooser" }));
    await mountBanner();
    await click(".o_ameyo_call_record");
    await waitForSteps(["doAction res.partner"]);
    await click(".o_ameyo_wrong_caller");
    await waitForSteps(["doAction chooser"]);
});

test("a failed Dispose request: the error is shown, the banner stays", async () => {
    expect.errors(1);
    onRpc("ameyo.call", "action_dispose", () => {
        throw makeServerError({ message: "The call is gone" });
    });
    await mountBanner();
    await click(".o_ameyo_dispose_button");
    await animationFrame();
    expect.verifyErrors([/RPC_ERROR/]);
    expect(".o_ameyo_call_banner").toHaveCount(1);
});

import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { beforeEach, describe, expect, test } from "@odoo/hoot";
import { click, queryAll, queryOne } from "@odoo/hoot-dom";
import { animationFrame, Deferred } from "@odoo/hoot-mock";
import {
    asyncStep,
    contains,
    defineModels,
    fields,
    makeServerError,
    models,
    mountView,
    onRpc,
    patchWithCleanup,
    waitForSteps,
} from "@web/../tests/web_test_helpers";
import { session } from "@web/session";

describe.current.tags("desktop");

class AmeyoTestContact extends models.Model {
    _name = "ameyo.test.contact";
    name = fields.Char();
    phone = fields.Char();
    ameyo_do_not_call_reason = fields.Char();
    _records = [
        { id: 1, name: "Meera Iyer", phone: "+91 98765 43210" },
        { id: 2, name: "No number", phone: false },
        { id: 3, name: "Do not call", phone: "+91 90000 11111", ameyo_do_not_call_reason: "Asked not to be called" },
    ];
}

defineMailModels();  // the web client's services of the addons crm_ameyo depends on
defineModels([AmeyoTestContact]);

const FORM = `<form><field name="name"/><field name="phone" widget="phone"/>
    <field name="ameyo_do_not_call_reason" invisible="1"/></form>`;

/** The notification shown: its type (its bar's colour) and its text ("Title. Message"). */
async function expectNotification(type, text) {
    await animationFrame();
    expect(`.o_notification:has(.o_notification_bar.bg-${type})`).toHaveCount(1);
    expect(".o_notification_content").toHaveText(text);
}

/** The notification the server answers a dial with (tools/notification.py). */
function notification(type, title, message) {
    return { type: "ir.actions.client", tag: "display_notification", params: { type, title, message } };
}

beforeEach(() => {
    // the server lists the models the user may dial from in the session (an agent's)
    patchWithCleanup(session, { ameyo_dial_models: ["ameyo.test.contact"] });
});

test("Dial next to the number, for an agent on a model that dials", async () => {
    await mountView({ type: "form", resModel: "ameyo.test.contact", resId: 1, arch: FORM, readonly: true });
    expect(".o_field_phone .o_ameyo_dial_button").toHaveCount(1);
    expect(".o_field_phone .o_ameyo_dial_button").toHaveText("Dial");
    expect(".o_field_phone .o_ameyo_dial_button").toHaveAttribute("title", "Dial through Ameyo");
});

test("no Dial without a number", async () => {
    await mountView({ type: "form", resModel: "ameyo.test.contact", resId: 2, arch: FORM });
    expect(".o_ameyo_dial").toHaveCount(0);
});

test("no Dial for a user who is no agent (no model to dial from)", async () => {
    patchWithCleanup(session, { ameyo_dial_models: [] });
    await mountView({ type: "form", resModel: "ameyo.test.contact", resId: 1, arch: FORM });
    expect(".o_field_phone").toHaveCount(1);
    expect(".o_ameyo_dial").toHaveCount(0);
});

test("no Dial with the field's ameyo_dial option off", async () => {
    await mountView({
        type: "form", resModel: "ameyo.test.contact", resId: 1, readonly: true,
        arch: `<form><field name="phone" widget="phone" options="{'ameyo_dial': false}"/></form>`,
    });
    expect(".o_field_phone").toHaveCount(1);
    expect(".o_ameyo_dial").toHaveCount(0);
});

test("Do not call in Dial's place: disabled, the reason in its tooltip", async () => {
    await mountView({ type: "form", resModel: "ameyo.test.contact", resId: 3, arch: FORM });
    expect(".o_ameyo_dial_refused").toHaveCount(1);
    expect(".o_ameyo_dial_refused").toHaveAttribute("data-tooltip", "Asked not to be called");
    expect(".o_ameyo_dial_refused button").toHaveText("Do not call");
    expect(".o_ameyo_dial_refused button").toHaveProperty("disabled", true);
    expect(".o_ameyo_dial_refused .fa-ban").toHaveCount(1);
});

for (const type of ["success", "warning", "danger"]) {
    test(`a dial the server answers with a ${type} notification`, async () => {
        onRpc("ameyo.test.contact", "action_ameyo_dial", ({ args, kwargs }) => {
            asyncStep(`dial ${args[0]} ${kwargs.phone_field}`);
            return notification(type, "Dialing", `Answer of type ${type}`);
        });
        await mountView({ type: "form", resModel: "ameyo.test.contact", resId: 1, arch: FORM, readonly: true });
        await click(".o_ameyo_dial_button");
        await waitForSteps(["dial 1 phone"]);
        await expectNotification(type, `Dialing. Answer of type ${type}`);
    });
}

test("one click, one request: the button waits for the answer, unsaved changes saved first", async () => {
    const answer = new Deferred();
    onRpc("web_save", () => asyncStep("save"));
    onRpc("action_ameyo_dial", async () => {
        asyncStep("dial");
        await answer;
        return notification("success", "Dialing", "Ameyo is calling");
    });
    await mountView({ type: "form", resModel: "ameyo.test.contact", resId: 1, arch: FORM });
    await contains(".o_field_widget[name=name] input").edit("Meera R. Iyer");
    await click(".o_ameyo_dial_button");
    await waitForSteps(["save", "dial"]);
    await animationFrame();
    expect(".o_ameyo_dial_button").toHaveProperty("disabled", true);
    expect(".o_ameyo_dial_button i").toHaveClass("fa-spinner");
    answer.resolve();
    await animationFrame();
    await animationFrame();
    expect(".o_ameyo_dial_button").toHaveProperty("disabled", false);
    expect(".o_ameyo_dial_button i").toHaveClass("fa-phone-square");
    await expectNotification("success", "Dialing. Ameyo is calling");
});

test("a failed request: the error is shown, and Dial can be clicked again", async () => {
    expect.errors(1);
    onRpc("action_ameyo_dial", () => {
        throw makeServerError({ message: "Ameyo is unreachable" });
    });
    await mountView({ type: "form", resModel: "ameyo.test.contact", resId: 1, arch: FORM, readonly: true });
    await click(".o_ameyo_dial_button");
    await animationFrame();
    await animationFrame();
    expect.verifyErrors([/RPC_ERROR/]);
    expect(".o_ameyo_dial_button").toHaveProperty("disabled", false);
});

test("the list's Dial icon dials the row's record without opening it", async () => {
    onRpc("ameyo.test.contact", "action_ameyo_dial", ({ args }) => {
        asyncStep(`action_ameyo_dial ${args[0]}`);
        return notification("success", "Dialing", "Ameyo is calling");
    });
    // the partners' and leads' lists as views/res_partner_views.xml inherits them
    await mountView({
        type: "list", resModel: "ameyo.test.contact",
        arch: `<list><field name="name"/><field name="phone"/>
            <button name="action_ameyo_dial" type="object" icon="fa-phone-square" title="Dial through Ameyo"
                    class="o_ameyo_list_dial" invisible="not phone"/></list>`,
    });
    const rows = queryAll(".o_data_row");
    expect(rows.map((row) => Boolean(row.querySelector(".o_ameyo_list_dial")))).toEqual([true, false, true]);
    await click(queryOne(".o_data_row:first .o_ameyo_list_dial"));
    await waitForSteps(["action_ameyo_dial 1"]);
    expect(".o_list_view").toHaveCount(1);  // still the list
    await expectNotification("success", "Dialing. Ameyo is calling");
});

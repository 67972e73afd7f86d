import { describe, expect, test } from "@odoo/hoot";
import { queryAll, queryAllTexts } from "@odoo/hoot-dom";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { defineModels, fields, models, mountView } from "@web/../tests/web_test_helpers";

describe.current.tags("desktop");

/** The trace's data as models/ameyo_call_lookup_trace.py computes it for its reader. */
function traceData(values = {}) {
    return {
        model: "res.partner",
        number: "9740011223",
        number_read: "key",
        digits: 10,
        key: "9740011223",
        match_count: 0,
        matches: [],
        unreadable: [],
        more: 0,
        hidden: 0,
        outcome: "new",
        chosen: false,
        by: "",
        ...values,
    };
}

const TRACES = {
    1: traceData({
        match_count: 1, outcome: "open", by: "number",
        matches: [{ name: "Meera Iyer", reason: "", opened: true }],
        chosen: { name: "Meera Iyer", reason: "" },
    }),
    2: traceData({
        model: "crm.lead", match_count: 15, outcome: "open", by: "pick",
        matches: [{ name: "Acme Traders, Rohan Das", reason: "", opened: false }],
        unreadable: [{ reason: "hidden", count: 8 }, { reason: "deleted", count: 1 }],
        more: 5,
        chosen: { name: "", reason: "hidden" },
    }),
    3: traceData({ hidden: 2 }),
    4: traceData({ number_read: "masked", number: "97400XXXXX", key: "" }),
    5: traceData({ number_read: "short", number: "123", key: "" }),
    6: traceData({ number_read: "none", number: "", key: "" }),
    7: traceData({
        match_count: 2, outcome: "choose",
        matches: [{ name: "<b>Meera</b>", reason: "", opened: false }, { name: "Meera (old)", reason: "", opened: false }],
    }),
    8: false,
};

class AmeyoCall extends models.Model {
    _name = "ameyo.call";
    lookup_trace_display = fields.Json();
    _records = Object.entries(TRACES).map(([id, trace]) => ({ id: Number(id), lookup_trace_display: trace }));
}

defineMailModels();  // the web client's services of the addons crm_ameyo depends on
defineModels([AmeyoCall]);

async function trace(resId) {
    await mountView({
        type: "form", resModel: "ameyo.call", resId,
        arch: `<form><field name="lookup_trace_display" widget="ameyo_lookup_trace"/></form>`,
    });
    // each sentence, without the items under it (checked apart)
    return queryAll(".o_ameyo_lookup_trace > li").map((item) => item.firstChild.textContent.trim());
}

test("one match, opened", async () => {
    expect(await trace(1)).toEqual([
        "Number received: 9740011223. Odoo compares its last 10 digits: 9740011223.",
        "1 of the agent's contacts have these digits:",
        "Opened Meera Iyer: the only match of the number.",
    ]);
    expect(queryAllTexts(".o_ameyo_trace_match")).toEqual(["Meera Iyer (opened)"]);
});

test("records the reader may not read are counted, never named", async () => {
    expect(await trace(2)).toEqual([
        "Number received: 9740011223. Odoo compares its last 10 digits: 9740011223.",
        "15 of the agent's leads have these digits:",
        "Opened a lead of another salesperson: the record an agent chose earlier for this number.",
    ]);
    // one item a record (a name may hold a comma)
    expect(queryAllTexts(".o_ameyo_trace_match")).toEqual([
        "Acme Traders, Rohan Das", "a lead of another salesperson (8)", "a record since deleted", "and 5 more",
    ]);
});

test("no match: archived or of another company, or none at all", async () => {
    expect(await trace(3)).toEqual([
        "Number received: 9740011223. Odoo compares its last 10 digits: 9740011223.",
        "No contacts with these digits that the agent may open. 2 have them but are archived or of another company.",
        "Nothing matched: the agent got a new, prefilled form.",
    ]);
});

test("a masked number, a short one, none", async () => {
    expect((await trace(4))[0]).toBe("Ameyo masked the number (97400XXXXX): Odoo cannot look it up.");
    expect(".o_ameyo_trace_matches").toHaveCount(0);
});

test("a number too short", async () => {
    expect((await trace(5))[0]).toBe("The number 123 has too few digits to look up.");
});

test("no number", async () => {
    expect(await trace(6)).toEqual([
        "Ameyo sent no number for this call.",
        "Nothing matched: the agent got a new, prefilled form.",
    ]);
});

test("several matches: the agent chooses; names are text, never markup", async () => {
    expect((await trace(7))[2]).toBe("The agent was asked to choose (several records share the number).");
    expect(queryAllTexts(".o_ameyo_trace_match")).toEqual(["<b>Meera</b>", "Meera (old)"]);
    expect(".o_ameyo_trace_match b").toHaveCount(0);
});

test("no trace: nothing", async () => {
    expect(await trace(8)).toEqual([]);
});

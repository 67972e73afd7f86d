import { describe, expect, test } from "@odoo/hoot";
import { queryAll, queryAllTexts } from "@odoo/hoot-dom";
import { mockDate, mockTimeZone } from "@odoo/hoot-mock";
import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { defineModels, fields, models, mountView } from "@web/../tests/web_test_helpers";

import { shortenNotes } from "@crm_ameyo/call_panel/call_panel";

describe.current.tags("desktop");

/** The panel's data as models/ameyo_call_panel.py computes it (``_ameyo_call_panel_data``). */
function panelData(values = {}) {
    return {
        preview: false,
        phone: "+91 98765 43210",
        queue: "Gold",
        guidance: "<p>Offer the <b>gold plan</b> first.</p>",
        guidance_of: "queue",
        calls: [
            {
                id: 11, date: "2026-12-03 09:30:00", agent: "Tour Other Agent", about: "this", about_name: "",
                about_model: "res.partner", outcome: "Sale", notes: "Asked for a brochure",
            },
            {
                id: 10, date: "2026-12-02 16:05:00", agent: "Ravi", about: "other", about_name: "Iyer Textiles",
                about_model: "res.partner", outcome: "Not interested", notes: "",
            },
            {
                id: 9, date: "2026-12-01 08:00:00", agent: "Ravi", about: "none", about_name: "",
                about_model: "", outcome: "Disposed", notes: "Popped before anyone was saved",
            },
            {
                id: 8, date: "2026-11-30 08:00:00", agent: "Ravi", about: "hidden", about_name: "",
                about_model: "crm.lead", outcome: "", notes: "",
            },
        ],
        activities: [
            { id: 1, date_deadline: "2026-12-01", summary: "Check the address", user: "Asha" },
            { id: 2, date_deadline: "2026-12-10", summary: "Send the brochure", user: "Asha" },
        ],
        more_activities: false,
        ...values,
    };
}

// a contact (any model but crm.lead: "This contact")
class AmeyoTestContact extends models.Model {
    _name = "ameyo.test.contact";
    name = fields.Char();
    ameyo_call_panel = fields.Json();
    _records = [
        { id: 1, name: "Meera Iyer", ameyo_call_panel: panelData() },
        { id: 2, name: "Nobody on call", ameyo_call_panel: false },
        {
            id: 3, name: "Previewed",
            ameyo_call_panel: panelData({
                preview: true, queue: "", guidance: "", guidance_of: "campaign", calls: [], activities: [],
            }),
        },
        {
            id: 4, name: "Busy",
            ameyo_call_panel: panelData({
                guidance: "", guidance_of: "call", more_activities: true,
                calls: [{
                    id: 1, date: "2026-12-03 09:30:00", agent: "Ravi", about: "other", about_name: "Kiran",
                    about_model: "res.partner", outcome: "Sale", notes: `A  long\nnote ${"word ".repeat(60)}`,
                }],
            }),
        },
    ];
}

class CrmLead extends models.Model {
    _name = "crm.lead";
    name = fields.Char();
    ameyo_call_panel = fields.Json();
    _records = [{ id: 1, name: "Solar roof", ameyo_call_panel: panelData() }];
}

defineMailModels();  // the web client's services of the addons crm_ameyo depends on
defineModels([AmeyoTestContact, CrmLead]);

const ARCH = `<form><field name="ameyo_call_panel" widget="ameyo_call_panel" invisible="not ameyo_call_panel"/>
    <field name="name"/></form>`;

async function mountPanel(resId, resModel = "ameyo.test.contact") {
    mockTimeZone(0);
    mockDate("2026-12-04 10:00:00");
    await mountView({ type: "form", resModel, resId, arch: ARCH });
}

test("the panel during a live call: guidance, last calls, open activities", async () => {
    await mountPanel(1);
    expect(".o_ameyo_call_panel").toHaveCount(1);
    expect(".o_ameyo_call_panel .card-header strong").toHaveText("On call");
    expect(queryAllTexts(".o_ameyo_call_panel .card-header span")).toEqual(["+91 98765 43210", "Gold"]);
    // the guidance is the administrator's (sanitized) HTML, shown as such
    expect(".o_ameyo_panel_guidance b").toHaveText("gold plan");
    expect(".o_ameyo_panel_call").toHaveCount(4);
    expect(queryAllTexts(".o_ameyo_panel_call:first td")).toEqual([
        "12/03/2026 09:30", "Tour Other Agent", "This contact", "Sale", "Asked for a brochure",
    ]);
    expect(queryAllTexts(".o_ameyo_panel_call_about")).toEqual([
        "This contact", "Iyer Textiles", "No record", "a lead of another salesperson",
    ]);
    // another record, by its name, in plain type; this one, none, one not named: muted
    expect(queryAll(".o_ameyo_panel_call_about").map((cell) => cell.classList.contains("fst-italic"))).toEqual([
        true, false, true, true,
    ]);
    expect(queryAllTexts(".o_ameyo_panel_activity strong")).toEqual(["Check the address", "Send the brochure"]);
    expect(queryAllTexts(".o_ameyo_panel_activity span")).toEqual(["12/01/2026", "Asha", "12/10/2026", "Asha"]);
    // overdue in red
    expect(".o_ameyo_panel_activity:first span:first").toHaveClass("text-danger");
    expect(".o_ameyo_panel_activity:last span:first").not.toHaveClass("text-danger");
    expect(".o_ameyo_panel_activities").not.toHaveText(/and more in the chatter/);
});

test("no panel without a live call", async () => {
    await mountPanel(2);
    expect(".o_ameyo_call_panel").toHaveCount(0);
});

test("a preview, no guidance, first call, no activity", async () => {
    await mountPanel(3);
    expect(".o_ameyo_call_panel .card-header strong").toHaveText("Preview");
    expect(".o_ameyo_panel_queue").toHaveCount(0);
    expect(".o_ameyo_panel_guidance").toHaveText("No guidance for this campaign.");
    expect(".o_ameyo_panel_calls").toHaveText(/First call from this caller\./);
    expect(".o_ameyo_panel_activities").toHaveText(/None/);
});

test("long notes shortened (all of them in the tooltip), more activities in the chatter", async () => {
    await mountPanel(4);
    expect(".o_ameyo_panel_guidance").toHaveText("No guidance for this call.");
    const notes = queryAll(".o_ameyo_panel_call td")[4];
    expect(notes.textContent.length).toBeLessThan(161);
    expect(notes.textContent).toMatch(/^A long note word .* …$/);
    expect(notes.title).toMatch(/^A {2}long\nnote/);
    expect(".o_ameyo_panel_activities").toHaveText(/and more in the chatter/);
});

test("on a lead: this lead", async () => {
    await mountPanel(1, "crm.lead");
    expect(".o_ameyo_panel_call_about:first").toHaveText("This lead");
});

test("shortenNotes cuts at a word, as Python's textwrap.shorten", () => {
    expect(shortenNotes("short  one")).toBe("short one");
    expect(shortenNotes("one two three four", 12)).toBe("one two …");
    expect(shortenNotes("", 12)).toBe("");
    expect(shortenNotes(false)).toBe("");
});

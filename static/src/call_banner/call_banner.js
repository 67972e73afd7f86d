import { Component, markup, onWillStart, useState } from "@odoo/owl";

import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { isHtmlEmpty } from "@web/core/utils/html";
import { useBus, useService } from "@web/core/utils/hooks";
import { clearUncommittedChanges } from "@web/webclient/actions/action_service";

/**
 * The banner shows a call while the server says it is live (``live``: one vocabulary, kept in
 * models/ameyo_call.py). The guidance is HTML an administrator wrote (sanitized by Odoo's Html field);
 * an empty one (no text: what the editor leaves, "<p><br></p>") is none, and offers no (i) button.
 */
function withMarkup(call) {
    if (!call || !call.live) {
        return false;
    }
    // as markup: isHtmlEmpty reads a plain string as text, in which "<p><br></p>" is not empty
    const guidance = markup(call.guidance || "");
    return { ...call, guidance: isHtmlEmpty(guidance) ? false : guidance };
}

/**
 * The agent's live Ameyo call, on every Odoo page: number, campaign, queue, guidance,
 * the caller's record and a Dispose button. Loaded once, then kept current by the
 * bus notifications each screen-pop sends to the agent.
 */
export class AmeyoCallBanner extends Component {
    static props = [];
    static template = "crm_ameyo.CallBanner";

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.busService = useService("bus_service");
        this.state = useState({ call: false, isAgent: false, showGuidance: false });
        // Not awaited: the web client mounts only once every systray item has started, and only then loads
        // the page's own action (the form of the record the pop opened). The banner's two requests (is the user
        // an agent, their live call) used to come first, one after the other, on every page of every user;
        // now they run beside the form's and the banner shows when they are back.
        onWillStart(() => {
            this.load();
        });
        this.busService.subscribe("crm_ameyo/call", (call) => {
            // news of an older leg (disposed late, say) does not hide the live call shown
            if (call.live || !this.state.call || this.state.call.id === call.id) {
                this.state.call = withMarkup(call);
                this.state.showGuidance = this.state.showGuidance && Boolean(this.state.call);
            }
        });
        useBus(this.env.bus, "CRM_AMEYO:CALL_CHANGED", () => this.reload());
    }

    async load() {
        this.state.isAgent = await user.hasGroup("crm_ameyo.group_ameyo_agent");
        if (this.state.isAgent) {
            await this.reload();
        }
    }

    async reload() {
        this.state.call = withMarkup(await this.orm.call("ameyo.call", "get_current_call", []));
    }

    async openRecord() {
        const action = await this.orm.call("ameyo.call", "action_open_pop", [[this.state.call.id]]);
        await this.action.doAction(action);
    }

    async wrongCaller() {
        // the chooser again: another record, or none of them (a new one); it replaces the remembered pick
        const action = await this.orm.call("ameyo.call", "action_ameyo_wrong_caller", [[this.state.call.id]]);
        await this.action.doAction(action);
    }

    async dispose() {
        this.state.showGuidance = false; // the wizard's dialog must not sit under it
        // The record on screen first, as the form's own "Dispose Call" button saves it: the contact the
        // agent just typed from the pop's prefilled form is created and linked to the call, so the wizard
        // names her and the outcome lands on her chatter. A form that cannot be saved (a required field
        // left empty: Odoo says which) does not hold the dispose up.
        await clearUncommittedChanges(this.env);
        const action = await this.orm.call("ameyo.call", "action_dispose", [[this.state.call.id]]);
        await this.action.doAction(action, {
            onClose: async () => {
                await this.reload();
                // the record on screen may show the call too ("Dispose Call"): refresh it
                await this.action.doAction({ type: "ir.actions.client", tag: "soft_reload" });
            },
        });
    }

    toggleGuidance() {
        this.state.showGuidance = !this.state.showGuidance;
    }
}

registry.category("systray").add("crm_ameyo.CallBanner", { Component: AmeyoCallBanner }, { sequence: 5 });

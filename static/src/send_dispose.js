import { registry } from "@web/core/registry";

/**
 * Second step of a dispose: the wizard's request saved the outcome (it is committed);
 * this one asks the server to tell Ameyo, then shows the agent what happened.
 */
async function sendDispose(env, action) {
    const callId = action.params.call_id;
    const next = await env.services.orm.call("ameyo.call", "action_send_dispose", [[callId]]);
    env.bus.trigger("CRM_AMEYO:CALL_CHANGED");  // the call banner reloads the live call
    return next;
}

registry.category("actions").add("crm_ameyo.send_dispose", sendDispose);

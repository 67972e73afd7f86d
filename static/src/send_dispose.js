import { registry } from "@web/core/registry";

/**
 * Second step of a dispose: the wizard's request saved the outcome (it is committed);
 * this one asks the server to tell Ameyo, then shows the agent what happened.
 */
async function sendDispose(env, action) {
    const callId = action.params.call_id;
    return env.services.orm.call("ameyo.call", "action_send_dispose", [[callId]]);
}

registry.category("actions").add("crm_ameyo.send_dispose", sendDispose);

import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";

/**
 * The agent's workspace (knowledge-base URL) stays current: each screen-pop, pick and dispose sends the
 * agent a "crm_ameyo/call" bus notification (the call banner listens to the same); the page then fetches
 * its lists again from the server (/ameyo/workspace/lists) and swaps them in.
 */
export class AmeyoWorkspace extends Interaction {
    static selector = ".o_ameyo_workspace_lists";

    setup() {
        this.refresh = this.refresh.bind(this);
        this.services.bus_service.subscribe("crm_ameyo/call", this.refresh);
        this.services.bus_service.start();
        this.registerCleanup(() => this.services.bus_service.unsubscribe("crm_ameyo/call", this.refresh));
    }

    async refresh() {
        const url = `/ameyo/workspace/lists?server_id=${encodeURIComponent(this.el.dataset.serverId)}`;
        const response = await this.waitFor(fetch(url, { credentials: "same-origin" }));
        if (!response.ok) {
            return;
        }
        const html = await this.waitFor(response.text());
        this.protectSyncAfterAsync(() => {
            this.el.innerHTML = html;
            this.el.dataset.refreshed = String(Number(this.el.dataset.refreshed || 0) + 1);
        })();
    }
}

registry.category("public.interactions").add("crm_ameyo.workspace", AmeyoWorkspace);

import { registry } from "@web/core/registry";

/**
 * A supervisor on a campaign's form: its "Earned" button shows the campaign's won revenue and opens the campaign
 * report filtered on that campaign, first as a graph, then as a pivot of its agents with the won revenue.
 */
registry.category("web_tour.tours").add("crm_ameyo_campaign_report_tour", {
    steps: () => [
        {
            content: "The campaign's button says what it earned",
            trigger: ".o_form_view button[name=action_view_campaign_report]:contains(Earned):contains(1,250.00)",
            run: "click",
        },
        {
            content: "The report opens on the campaign, as a graph",
            trigger: ".o_graph_view .o_graph_renderer canvas",
        },
        {
            content: "Filtered on that campaign (a facet the reader may remove)",
            trigger: ".o_searchview_facet:contains(Report Campaign)",
        },
        {
            content: "Not the sample data",
            trigger: ".o_graph_view:not(:has(.o_view_sample_data))",
        },
        {
            content: "Switch to the pivot",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The pivot has the agents, and the won revenue of the one the win is credited to",
            trigger: ".o_pivot table:contains(Won Revenue):contains(Report Agent B):contains(1,250.00)",
        },
        {
            content: "The other campaign's revenue is not there",
            trigger: ".o_pivot table:not(:contains(7,000.00))",
        },
    ],
});

import { Activity } from "@mail/core/web/activity";

import { patch } from "@web/core/utils/patch";

import { canAmeyoDial } from "./dial_button";

/** A "Call" activity (a callback) of a record that can dial offers "Dial" next to "Mark Done". */
patch(Activity.prototype, {
    get ameyoCanDial() {
        const activity = this.props.activity;
        return (
            activity.activity_category === "phonecall" &&
            Boolean(activity.res_id) &&
            canAmeyoDial({ resModel: activity.res_model })
        );
    },
    async onClickAmeyoDial() {
        const activity = this.props.activity;
        // the activity dialed for: the call's dispose marks it done
        const action = await this.env.services.orm.call(
            activity.res_model,
            "action_ameyo_dial",
            [[activity.res_id]],
            { activity_id: activity.id }
        );
        await this.env.services.action.doAction(action);
    },
});

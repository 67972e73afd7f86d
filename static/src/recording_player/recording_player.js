import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * The call's recording, played inline: the browser's own <audio> player, which decodes
 * both WAV and MP3 (Odoo's attachment viewer plays MP3 only). Nothing is loaded until the user plays it
 * (preload "none": opening the call is no listen, and the listen log records plays only); then it shows
 * the duration the browser reads from the file. A download link beside it. The field holds the recording's URL
 * (/ameyo/recording/<call>, the one route that serves recordings: it checks again and records
 * each listen), empty when the user may not play it. On the recording's own form the field is its call (a
 * many2one): the same URL. With the option reload_on_play (the recording's form, whose "Listened By" lists each
 * listen), the form reads the record again once the browser plays: the listen this play logged shows at once.
 */
export class AmeyoRecordingPlayer extends Component {
    static template = "crm_ameyo.RecordingPlayer";
    static props = { ...standardFieldProps, reloadOnPlay: { type: Boolean, optional: true } };

    setup() {
        this.state = useState({ duration: null, failed: false, playing: false });
    }

    get src() {
        const value = this.props.record.data[this.props.name];
        if (this.props.record.fields[this.props.name].type === "many2one") {
            return value?.id ? `/ameyo/recording/${value.id}` : "";
        }
        return value || "";
    }

    get downloadUrl() {
        return `${this.src}?download=true`;
    }

    get durationText() {
        const seconds = Math.round(this.state.duration);
        return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    }

    get failedText() {
        return _t("The browser could not play this recording.");
    }

    onLoadedMetadata(ev) {
        const duration = ev.target.duration;
        this.state.duration = Number.isFinite(duration) ? duration : null;
        this.state.failed = false;
    }

    async onPlaying() {
        this.state.playing = true;
        // the route logged this listen before it answered: show it (never over unsaved edits)
        if (this.props.reloadOnPlay && !this.props.record.dirty) {
            await this.props.record.load();
        }
    }

    onPause() {
        this.state.playing = false;
    }

    onError() {
        this.state.failed = true;
    }
}

registry.category("fields").add("ameyo_recording_player", {
    component: AmeyoRecordingPlayer,
    supportedTypes: ["char", "many2one"],
    supportedOptions: [
        {
            label: _t("Reload the record when it plays"),
            name: "reload_on_play",
            type: "boolean",
        },
    ],
    extractProps: ({ options }) => ({ reloadOnPlay: Boolean(options.reload_on_play) }),
});

/**
 * Steps the agent's tours share, written once: the dispose wizard, "None of these", the recording player.
 */

/** In the open dispose wizard: pick the disposition ``code``, write ``notes`` (if any), confirm, see it disposed. */
export function disposeInWizardSteps(code, notes = "") {
    return [
        {
            content: "Open the disposition codes of the call's campaign",
            trigger: ".modal .o_field_widget[name=disposition_id] .o_select_menu_toggler",
            run: "click",
        },
        {
            content: "Pick the outcome",
            trigger: `.o_select_menu_item:contains(${code})`,
            run: "click",
        },
        ...(notes
            ? [
                  {
                      content: "Write a note",
                      trigger: ".modal .o_field_widget[name=notes] textarea",
                      run: `edit ${notes}`,
                  },
              ]
            : []),
        {
            content: "Confirm",
            // enabled: Odoo disables the form's buttons while the outcome's onchange runs (a click then does nothing)
            trigger: ".modal button[name=action_confirm]:enabled",
            run: "click",
        },
        {
            content: "Odoo says the call is disposed",
            trigger: ".o_notification:contains(Call disposed)",
        },
    ];
}

/** On the chooser: "None of these", then the caller's ``name`` typed on the new contact (not saved). */
export function newContactSteps(name) {
    return [
        {
            content: "None of these: a new contact",
            trigger: ".o_ameyo_chooser_none button",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "A new contact, the number prefilled: type the caller's name",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: `edit ${name}`,
        },
    ];
}

/** Play the recording of the call on screen, and see it play. */
export function playRecordingSteps() {
    return [
        {
            content: "Play it",
            trigger: ".o_ameyo_recording_player audio",
            run() {
                this.anchor.play();
            },
        },
        {
            content: "It plays",
            trigger: ".o_ameyo_recording_player.o_ameyo_recording_playing",
        },
    ];
}

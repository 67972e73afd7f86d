"""The client action that shows a notification (Odoo's ``display_notification``), built in one place."""

CLOSE_DIALOG = {'type': 'ir.actions.act_window_close'}
SOFT_RELOAD = {'type': 'ir.actions.client', 'tag': 'soft_reload'}


def notification(title, message, kind='info', *, sticky=False, next_action=None):
    """Return the action showing ``message`` under ``title``.

    ``kind`` is one of 'success', 'info', 'warning', 'danger'; ``next_action`` runs after it
    (close the dialog, reload the view...).
    """
    params = {'title': title, 'message': message, 'type': kind, 'sticky': sticky}
    if next_action:
        params['next'] = next_action
    return {'type': 'ir.actions.client', 'tag': 'display_notification', 'params': params}

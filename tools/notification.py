"""The client action that shows a notification (Odoo's ``display_notification``), built in one
place."""

CLOSE_DIALOG = {'type': 'ir.actions.act_window_close'}
SOFT_RELOAD = {'type': 'ir.actions.client', 'tag': 'soft_reload'}
# a notification class that keeps the message's line breaks
# (static/src/notification/notification.scss)
LINES_CLASS = 'o_ameyo_notification_lines'


def notification(title, message, kind='info', *, sticky=False, next_action=None, class_name=None):
    """Return the action showing ``message`` under ``title``.

    ``kind`` is one of 'success', 'info', 'warning', 'danger'; ``next_action`` runs after it
    (close the dialog, reload the view...); ``class_name`` goes on the notification
    (``LINES_CLASS``: one line per line of ``message``).
    """
    params = {'title': title, 'message': message, 'type': kind, 'sticky': sticky}
    if class_name:
        params['className'] = class_name
    if next_action:
        params['next'] = next_action
    return {'type': 'ir.actions.client', 'tag': 'display_notification', 'params': params}


def sentence(text):
    """``text`` (a reason, often Ameyo's or an error's, with no full stop) as a sentence:
    capitalised, ending with a full stop, so that the next sentence of a message does not run on
    from it. '' stays ''."""
    text = (text or '').strip()
    if not text:
        return ''
    text = text[0].upper() + text[1:]
    return text if text.endswith(('.', '!', '?')) else f'{text}.'

"""The vocabulary of a call leg's life: its states, their groups and the moves between them.

``ameyo.call._ameyo_update_state`` (models/ameyo_call.py) is the only code that changes a leg's
state; it reads :data:`STATE_TRANSITIONS` to tell a move from a replay or a contradiction. Code,
views (through the leg's ``phase``) and the call banner (through ``live`` in its data) ask the
groups below, never a list of states of their own.
"""

# In the order a call lives (the status bar reads in it): a failed dispose comes before "Disposed".
CALL_STATES = [
    ('dialing', 'Dialing'),
    ('dial_failed', 'Dial Failed'),
    ('preview', 'Preview'),
    ('connected', 'Connected'),
    ('dispose_pending', 'Dispose Pending'),
    ('dispose_failed', 'Dispose Failed'),
    ('disposed', 'Disposed'),
    ('ended', 'Ended'),  # over in Ameyo (it gave the agent another call), never disposed in Odoo
]

# The states a leg is created in (None below): a click-to-dial attempt, or the pop of a preview or a
# call.
INITIAL_STATES = ('dialing', 'preview', 'connected')

# Where each state may be reached from; None: the creation of the leg. A state may follow itself
# where the same event carries new values (the agent saves the outcome again; Ameyo refuses a resend
# again).
STATE_TRANSITIONS = {
    'dialing': (None,),
    'preview': (None, 'dialing'),
    'connected': (None, 'dialing', 'preview'),
    'dial_failed': ('dialing',),
    # Ameyo gave the agent another call: it is over in Ameyo
    'ended': ('preview', 'connected'),
    # the agent's save in Odoo (CRM only), again after a refusal, or after Ameyo ended the call
    'dispose_pending': ('preview', 'connected', 'dispose_pending', 'dispose_failed', 'ended'),
    'dispose_failed': ('dispose_pending', 'dispose_failed'),
    # Ameyo accepted Odoo's dispose, Ameyo's dispose URL (also of an ended leg: it records the
    # disposition), the save in dual entry, a supervisor who says it was disposed in Ameyo
    'disposed': ('preview', 'connected', 'dispose_pending', 'dispose_failed', 'ended'),
}
# How far along its life a leg is: a move to a state the leg is already past is a replay (Ameyo
# throws a URL again, a send's answer arrives after Ameyo's dispose URL), skipped; any other move
# the table does not allow is a contradiction, refused.
STATE_PROGRESS = {
    'dialing': 0,
    'preview': 1,
    'connected': 2,
    'ended': 3,
    'dispose_pending': 3,
    'dispose_failed': 3,
    'disposed': 4,
    'dial_failed': 4,
}

LIVE_STATES = ('preview', 'connected')  # the agent is on the call
# saved in Odoo, Ameyo not told: the agent may sit in wrap
WAITING_STATES = ('dispose_pending', 'dispose_failed')
# nothing left to do; ``ended``: over in Ameyo (it gave the agent another call), never disposed in
# Odoo
CLOSED_STATES = ('disposed', 'dial_failed', 'ended')
# A click-to-dial request Ameyo may still place: not a call yet, until a pop adopts the leg.
DIALING_STATES = ('dialing',)
PHASE_STATES = {
    'dialing': DIALING_STATES,
    'live': LIVE_STATES,
    'waiting': WAITING_STATES,
    'closed': CLOSED_STATES,
}
# Legs no pop named (a dial attempt not adopted, or one that failed): not calls Ameyo gave the
# agent. What watches for the agent's calls (the banner, the dispose rule about the next pop)
# ignores them.
ATTEMPT_STATES = ('dialing', 'dial_failed')
# what the agent can still dispose: a live call, or one whose dispose Ameyo refused
DISPOSABLE_STATES = (*LIVE_STATES, 'dispose_failed')
# A leg is over for the agent once its outcome is saved (waiting for Ameyo) or it is closed.
ENDED_STATES = (*WAITING_STATES, *CLOSED_STATES)
# Campaigns where Odoo's disposition is expected: an ``ended`` leg there is a call nobody disposed.
ODOO_DISPOSE_MODES = ('crm_only', 'dual')

# How Odoo asks Ameyo to dial (the server's choice, and what a dial attempt used).
DIAL_APIS = [
    ('manualdial', "The agent's Ameyo session (REST manualdial)"),
    ('token_async', 'The hash key, without waiting (clickToDialWithTokenAsync)'),
    ('token_sync', "The hash key, waiting for Ameyo's answer (clickToDialWithToken)"),
]
# What the server's Dial API setting offers: the APIs above, Automatic (the guide's
# clickToDialWithTokenAsync with the hash key when one is set, else the agent's session) and
# "session first" (what Automatic did before 19.0.1.7.0 on REST servers: the agent's session when
# Odoo knows one, else the hash key).
DIAL_API_CHOICES = [
    ('auto', 'Automatic (clickToDialWithTokenAsync, else manualdial)'),
    (
        'session_first',
        "Session first (manualdial when Odoo knows the agent's session, else the hash key)",
    ),
    *DIAL_APIS,
]
# How Odoo tells Ameyo a call is disposed (the server's Dispose API setting). The leg records the
# API it used in its own dispose_api ('rest' = disposeCallForUser, 'legacy' = dacx/dispose,
# 'dispose_dial').
DISPOSE_API_CHOICES = [
    ('auto', 'Automatic (disposeCallForUser while it is safe, else dacx/dispose)'),
    ('for_user', 'disposeCallForUser only (the dispose token)'),
    ('dacx', "dacx/dispose only (the agent's Ameyo session)"),
]
# How Odoo downloads recordings (the server's Recording API setting).
RECORDING_API_CHOICES = [
    ('auto', 'Automatic (the downloadVoiceLog command, else the REST download)'),
    ('webaccess', 'downloadVoiceLog command only (/ameyowebaccess/command, the hash key)'),
    ('rest', "REST download only (/ameyorestapi/cc/downloadVoiceLog, the agent's session)"),
]

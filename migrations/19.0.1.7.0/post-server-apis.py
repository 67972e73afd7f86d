"""19.0.1.7.0: the dispose, dial and recording APIs are chosen on their own (Dispose API, Dial API,
Recording API), no longer by the API flavour; Automatic now starts from what the integration guide
documents.

An existing server keeps the APIs it used: a Legacy server disposes with dacx/dispose (the agent's
session), downloads recordings with the downloadVoiceLog command and dials with the hash key; a REST
server disposes as Automatic does (disposeCallForUser while it is safe, else dacx/dispose),
downloads with the REST download and, where its Dial API was Automatic, dials with the agent's
session first (what Automatic did there). A Dial API chosen explicitly stays. disposeCallForUser
keeps the JSON booleans these servers were sent for isSelfCallback (new servers get the guide's
"true"/"false").
"""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(
        SQL("""
        UPDATE ameyo_server
           SET dispose_api = CASE WHEN api_flavour = 'legacy' THEN 'dacx' ELSE 'auto' END,
               recording_api = CASE WHEN api_flavour = 'legacy' THEN 'webaccess' ELSE 'rest' END,
               dial_api = CASE WHEN dial_api IS DISTINCT FROM 'auto' THEN dial_api
                               WHEN api_flavour = 'legacy' THEN 'token_async' ELSE 'session_first'
                                   END,
               self_callback_spelling = 'boolean'
    """)
    )

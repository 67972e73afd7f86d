"""19.0.1.6.0: a call of a campaign Odoo does not know, ended by the agent's next call before it was
disposed, needs a supervisor as in the default dispose mode (CRM only): Odoo was to tell Ameyo its
outcome.

The stored flag (``ended_undisposed``) is set on those legs. As when Needing Attention began
(19.0.1.3.0), the ones older than a day are history nobody will act on any more: marked handled at
the upgrade (no user: the upgrade did it); the list gets what is current.
"""


def migrate(cr, version):
    cr.execute("""
        UPDATE ameyo_call
           SET ended_undisposed = true,
               attention_closed_at = CASE
                   WHEN attention_closed_at IS NULL AND create_date < (now() AT TIME ZONE 'UTC') -
                       interval '1 day'
                   THEN now() AT TIME ZONE 'UTC' ELSE attention_closed_at END
         WHERE state = 'ended'
           AND campaign_id IS NULL
           AND ended_undisposed IS NOT true
    """)

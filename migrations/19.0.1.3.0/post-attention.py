"""19.0.1.3.0: Needing Attention lists every leg that needs a person.

Failed dials were only a filter before: the ones older than a day are history nobody will act on any
more, so they are marked handled at the upgrade (no user: the upgrade did it), and the list starts
with what is current. Everything else (failed or pending disposes, stale live calls, missing
recordings) is listed as it is.
"""


def migrate(cr, version):
    cr.execute("""
        UPDATE ameyo_call
           SET attention_closed_at = now() AT TIME ZONE 'UTC'
         WHERE state = 'dial_failed'
           AND attention_closed_at IS NULL
           AND create_date < (now() AT TIME ZONE 'UTC') - interval '1 day'
    """)

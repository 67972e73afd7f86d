"""19.0.1.2.0: recordings are fetched from Ameyo.

Installing the new fields marked every ended, connected leg ``pending``. Legs whose call is already
older than its server's window (Ameyo keeps recordings N days) are marked ``unavailable`` here, so
the first cron run does not ask Ameyo for months of calls it no longer has. The attachments the
former ``ameyo.call.recording_ids`` linked (nothing wrote them; their table goes after the upgrade)
become recordings of their leg when they are audio.
"""

from odoo.tools import sql


def migrate(cr, version):
    cr.execute("""
        UPDATE ameyo_call AS call
           SET recording_state = 'unavailable',
               recording_next_try = NULL,
               recording_error =
                   'Older than the days Ameyo keeps recordings when Odoo started fetching them.'
          FROM ameyo_server AS server
         WHERE server.id = call.server_id
           AND call.recording_state = 'pending'
           AND call.connected_at < (now() AT TIME ZONE 'UTC') - make_interval(days =>
               server.recording_retention_days)
    """)
    if sql.table_exists(cr, 'ameyo_call_recording_rel'):
        cr.execute("""
            UPDATE ir_attachment AS attachment
               SET res_model = 'ameyo.call', res_id = rel.call_id
              FROM ameyo_call_recording_rel AS rel
             WHERE rel.attachment_id = attachment.id
               AND attachment.mimetype LIKE 'audio/%'
        """)
        cr.execute("""
            UPDATE ameyo_call AS call
               SET recording_state = 'fetched', recording_next_try = NULL, recording_error = NULL
             WHERE EXISTS (SELECT 1 FROM ir_attachment AS attachment
                            WHERE attachment.res_model = 'ameyo.call' AND attachment.res_id =
                                call.id
                              AND attachment.mimetype LIKE 'audio/%')
        """)

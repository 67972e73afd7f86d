"""19.0.1.5.0: a leg's recording becomes a record of its own (``ameyo.call.recording``).

- Every recording file of a leg (an attachment of ``ameyo.call`` in a format Odoo fetched, WAV or
  MP3, that no chatter message carries: a voice note posted on the call stays a message's
  attachment) becomes a fetched recording of that leg, and the attachment row is repointed in place
  (``res_model``, ``res_id``, ``res_field = 'audio'``): the stored file stays where it is. Its size
  fills ``file_size``; the leg's fetch life (attempts, fetched on, Keep) goes with it.
- A leg fetched twice (two workers raced) kept two copies, of which the newest played: the older
  copy is deleted (its recording stays, ``purged``), so that no copy outlives the company's
  retention unseen.
- A leg marked fetched whose file is gone gets an ``unavailable`` recording that says so.
- A leg with a recording state and no file (pending, unavailable, purged) gets its recording too,
  with its next try, attempts, last failure and dates: a pending one is still fetched.
- The leg points to its newest recording (the one that plays); its stored ``recording_state``
  follows it.
- Who listened points to the recording.
- The two recording crons (``noupdate`` records) run on the recording model.

The leg's former columns are read here, before Odoo drops them at the end of the upgrade.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import sql

# the leg's former recording columns and what the recording calls them
FORMER_COLUMNS = {
    'recording_next_try': 'next_try',
    'recording_attempts': 'attempts',
    'recording_error': 'error',
    'recording_fetched_at': 'fetched_at',
    'recording_purged_at': 'purged_at',
    'recording_keep': 'keep',
}
# what Odoo stored as a leg's recording (the client's formats, and Odoo's guess for a WAV)
RECORDING_FORMATS = ('audio/wav', 'audio/x-wav', 'audio/mpeg')
MISSING_FILE = "The recording's file was missing when Odoo was upgraded."
OLDER_COPY = (
    "An older copy of this call's recording (fetched twice): deleted when Odoo was upgraded."
)
RECORDING_CRONS = (
    'crm_ameyo.ir_cron_ameyo_fetch_recordings',
    'crm_ameyo.ir_cron_ameyo_purge_recordings',
)


def migrate(cr, version):
    former = {
        new: f'leg.{old}' if sql.column_exists(cr, 'ameyo_call', old) else 'NULL'
        for old, new in FORMER_COLUMNS.items()
    }
    # the files: one fetched recording per audio attachment, the attachment repointed in place
    cr.execute(
        f"""
        WITH audio AS MATERIALIZED (
            SELECT attachment.id AS attachment_id, nextval('ameyo_call_recording_id_seq') AS
                recording_id,
                   attachment.mimetype, attachment.file_size, attachment.create_date, leg.id AS
                       call_id
              FROM ir_attachment AS attachment
              JOIN ameyo_call AS leg ON leg.id = attachment.res_id
             WHERE attachment.res_model = 'ameyo.call' AND attachment.res_field IS NULL
               AND attachment.mimetype IN %(formats)s
               AND NOT EXISTS (SELECT 1 FROM message_attachment_rel AS rel WHERE rel.attachment_id =
                   attachment.id)
        ), created AS (
            INSERT INTO ameyo_call_recording (id, call_id, company_id, mimetype, file_size, state,
                attempts,
                                              fetched_at, keep, create_uid, create_date, write_uid,
                                                  write_date)
            SELECT audio.recording_id, leg.id, leg.company_id, audio.mimetype, audio.file_size,
                'fetched',
                   COALESCE({former['attempts']}, 0), COALESCE({former['fetched_at']},
                       audio.create_date),
                   COALESCE({former['keep']}, FALSE), %(root)s, audio.create_date, %(root)s,
                   (now() AT TIME ZONE 'UTC')
              FROM audio
              JOIN ameyo_call AS leg ON leg.id = audio.call_id
        )
        UPDATE ir_attachment AS attachment
           SET res_model = 'ameyo.call.recording', res_id = audio.recording_id, res_field = 'audio'
          FROM audio
         WHERE attachment.id = audio.attachment_id
    """,
        {'root': SUPERUSER_ID, 'formats': RECORDING_FORMATS},
    )
    # the recordings still to fetch, or gone: their life goes on
    cr.execute(
        f"""
        INSERT INTO ameyo_call_recording (call_id, company_id, state, next_try, attempts, error,
            fetched_at,
                                          purged_at, keep, create_uid, create_date, write_uid,
                                              write_date)
        SELECT leg.id, leg.company_id,
               CASE WHEN leg.recording_state = 'fetched' THEN 'unavailable' ELSE leg.recording_state
                   END,
               {former['next_try']}, COALESCE({former['attempts']}, 0),
               CASE WHEN leg.recording_state = 'fetched' THEN %(missing)s ELSE {former['error']}
                   END,
               {former['fetched_at']}, {former['purged_at']}, COALESCE({former['keep']}, FALSE),
               %(root)s, COALESCE(leg.closed_at, leg.write_date), %(root)s, (now() AT TIME ZONE
                   'UTC')
          FROM ameyo_call AS leg
         WHERE leg.recording_state IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM ameyo_call_recording AS recording WHERE recording.call_id =
               leg.id)
    """,
        {'root': SUPERUSER_ID, 'missing': MISSING_FILE},
    )
    # each leg plays its newest recording
    cr.execute("""
        UPDATE ameyo_call AS leg
           SET recording_id = newest.id, recording_state = newest.state
          FROM (SELECT DISTINCT ON (recording.call_id) recording.id, recording.call_id,
              recording.state
                  FROM ameyo_call_recording AS recording
                  LEFT JOIN ir_attachment AS attachment
                         ON attachment.res_model = 'ameyo.call.recording' AND attachment.res_field =
                             'audio'
                        AND attachment.res_id = recording.id
                 ORDER BY recording.call_id, attachment.id DESC NULLS LAST, recording.id DESC) AS
                     newest
         WHERE newest.call_id = leg.id AND leg.recording_id IS NULL
    """)
    # the older copies of a leg fetched twice: deleted, their recordings purged
    cr.execute(
        """
        WITH older AS (
            SELECT recording.id FROM ameyo_call_recording AS recording
              JOIN ameyo_call AS leg ON leg.id = recording.call_id
             WHERE recording.state = 'fetched' AND leg.recording_id != recording.id
        ), gone AS (
            DELETE FROM ir_attachment AS attachment USING older
             WHERE attachment.res_model = 'ameyo.call.recording' AND attachment.res_field = 'audio'
               AND attachment.res_id = older.id
        )
        UPDATE ameyo_call_recording AS recording
           SET state = 'purged', purged_at = (now() AT TIME ZONE 'UTC'), error = %(copy)s
          FROM older WHERE recording.id = older.id
    """,
        {'copy': OLDER_COPY},
    )
    cr.execute("""
        UPDATE ameyo_recording_access AS access
           SET recording_id = leg.recording_id
          FROM ameyo_call AS leg
         WHERE leg.id = access.call_id AND access.recording_id IS NULL AND leg.recording_id IS NOT
             NULL
    """)
    # every listen belongs to a recording now (one could only listen to a fetched file)
    cr.execute("DELETE FROM ameyo_recording_access WHERE recording_id IS NULL")
    cr.execute("ALTER TABLE ameyo_recording_access ALTER COLUMN recording_id SET NOT NULL")
    env = api.Environment(cr, SUPERUSER_ID, {})
    recording_model = env['ir.model']._get('ameyo.call.recording')
    for xmlid in RECORDING_CRONS:
        cron = env.ref(xmlid, raise_if_not_found=False)
        if cron and cron.model_id != recording_model:
            cron.model_id = recording_model

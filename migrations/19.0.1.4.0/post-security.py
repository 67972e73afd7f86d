"""19.0.1.4.0: the links the agents' access now reads, filled for the legs logged before.

- ``pop_lead_id``, the lead the screen-pop linked to a leg, is what the agents' record rule on leads
  reads now (never ``lead_id``, which the agent may change). A live leg gets it from its ``lead_id``
  unless a user changed that link (a tracked change of ``lead_id``: the pop's own links are never
  tracked), so an agent on a call during the upgrade keeps their caller's lead, and a lead written
  onto a leg by hand opens nothing. Ended legs need none: the rule reads live legs only.
- ``ameyo_assigned``, whether Ameyo gave the call to the leg's agent (their recording replays only
  then): a leg of a call no other agent had a leg of before it, a leg of a transfer (callType
  ``transferred.*``), a later leg of an agent Ameyo gave the call to, or a click-to-dial attempt
  Ameyo never named (no recording to replay).
- ``lookup_trace`` keeps record ids, no names (a reader is told only the names of the records they
  may read): the ``[id, name]`` pairs of ``matches`` and ``chosen`` stored before become their ids.
"""


def migrate(cr, version):
    cr.execute("""
        UPDATE ameyo_call leg
           SET pop_lead_id = leg.lead_id
         WHERE leg.state IN ('preview', 'connected')
           AND leg.lead_id IS NOT NULL
           AND leg.pop_lead_id IS NULL
           AND NOT EXISTS (
                SELECT 1
                  FROM mail_message message
                  JOIN mail_tracking_value tracking ON tracking.mail_message_id = message.id
                  JOIN ir_model_fields field ON field.id = tracking.field_id
                 WHERE message.model = 'ameyo.call' AND message.res_id = leg.id
                   AND field.model = 'ameyo.call' AND field.name = 'lead_id')
    """)
    cr.execute("""
        UPDATE ameyo_call leg
           SET ameyo_assigned = TRUE
         WHERE leg.crt_object_id IS NULL
            OR EXISTS (
                -- this leg, or an earlier leg of the same agent of this call, was given by Ameyo
                SELECT 1
                  FROM ameyo_call mine
                 WHERE mine.server_id = leg.server_id
                   AND mine.crt_object_id = leg.crt_object_id
                   AND mine.user_id IS NOT DISTINCT FROM leg.user_id
                   AND mine.id <= leg.id
                   AND (lower(COALESCE(mine.call_type, '')) LIKE 'transferred.%'
                        OR NOT EXISTS (
                            SELECT 1
                              FROM ameyo_call other
                             WHERE other.server_id = mine.server_id
                               AND other.crt_object_id = mine.crt_object_id
                               AND other.user_id IS DISTINCT FROM mine.user_id
                               AND other.id < mine.id)))
    """)
    cr.execute("""
        UPDATE ameyo_call
           SET lookup_trace = lookup_trace
               || CASE WHEN jsonb_typeof(lookup_trace->'matches') = 'array' THEN jsonb_build_object(
                      'matches', (SELECT COALESCE(jsonb_agg(CASE WHEN jsonb_typeof(entry) = 'array'
                          THEN entry->0
                                                                 ELSE entry END ORDER BY position),
                                                                     '[]'::jsonb)
                                    FROM jsonb_array_elements(lookup_trace->'matches')
                                         WITH ORDINALITY AS matches(entry, position)))
                       ELSE '{}'::jsonb END
               || CASE WHEN jsonb_typeof(lookup_trace->'chosen') = 'array'
                       THEN jsonb_build_object('chosen', lookup_trace->'chosen'->0) ELSE '{}'::jsonb
                           END
         WHERE jsonb_typeof(lookup_trace) = 'object'
           AND (jsonb_typeof(lookup_trace->'chosen') = 'array'
                OR EXISTS (SELECT 1
                             FROM jsonb_array_elements(CASE WHEN
                                 jsonb_typeof(lookup_trace->'matches') = 'array'
                                                            THEN lookup_trace->'matches' ELSE
                                                                '[]'::jsonb END) entry
                            WHERE jsonb_typeof(entry) = 'array'))
    """)

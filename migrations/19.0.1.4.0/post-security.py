"""19.0.1.4.0: the links the agents' access now reads, filled for the legs logged before.

- ``pop_lead_id``, the lead the screen-pop linked to a leg, is what the agents' record rule on leads
  reads now (never ``lead_id``, which the agent may change). A live leg gets it from its ``lead_id``
  unless a user changed that link (a tracked change of ``lead_id``: the pop's own links are never
  tracked), so an agent on a call during the upgrade keeps his caller's lead, and a lead written onto a
  leg by hand opens nothing. Ended legs need none: the rule reads live legs only.
- ``ameyo_assigned``, whether Ameyo gave the call to the leg's agent (his recording replays only then):
  a leg of a call no other agent had a leg of before it, a leg of a transfer (callType
  ``transferred.*``), a later leg of an agent Ameyo gave the call to, or a click-to-dial attempt Ameyo
  never named (no recording to replay).
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

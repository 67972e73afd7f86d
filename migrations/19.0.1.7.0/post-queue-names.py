"""19.0.1.7.0: a URL with a queueName and no queueId now reaches the configured queue of that name.
Before, such a URL created a queue of its own (Ameyo Queue ID = the queueName), which has no
configuration; those queues are merged into the configured queue they stood for.

A queue is one the pop created and nobody configured since when all of these hold: it is active, its
Ameyo Queue ID is exactly its name, its sequence is the default (10), and it has no Screen-pop
Opens, On No Match, Opens Action, Opens View, Sales Team, Lead Tags or guidance (empty HTML
included). Such a queue is merged when its campaign has another active queue of the same name
(case-insensitive, spaces around it ignored) that is not such a queue itself: the first of those by
sequence, as the pop now picks. Its calls (``ameyo_call.queue_id``) are repointed to that queue,
which then replaces it, and it is deleted. A queue the pop created with no configured queue of its
name stays: it is still the one such URLs reach. The call keeps the queueName Ameyo sent
(``ameyo_queue_ref``).
"""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    # each merged queue and the configured queue it stood for
    cr.execute("""
        WITH auto AS (
            SELECT q.id, q.campaign_id, lower(btrim(q.name)) AS name_key
              FROM ameyo_queue q
             WHERE q.active
               AND q.ameyo_queue_id = q.name
               AND q.sequence = 10
               AND q.pop_target IS NULL
               AND q.create_on_no_match IS NULL
               AND q.action_id IS NULL
               AND q.view_id IS NULL
               AND q.team_id IS NULL
               AND NULLIF(btrim(regexp_replace(COALESCE(q.guidance, ''), '<[^>]*>|&nbsp;', '',
                   'g')), '') IS NULL
               AND NOT EXISTS (SELECT 1 FROM ameyo_queue_crm_tag_rel rel WHERE rel.ameyo_queue_id =
                   q.id)
        )
        SELECT DISTINCT ON (auto.id) auto.id, target.id
          FROM auto
          JOIN ameyo_queue target
            ON target.campaign_id = auto.campaign_id
           AND lower(btrim(target.name)) = auto.name_key
           AND target.active
           AND target.id NOT IN (SELECT id FROM auto)
         ORDER BY auto.id, target.sequence, target.id
    """)
    merges = cr.fetchall()
    if not merges:
        return
    legs = 0
    for auto_id, target_id in merges:
        cr.execute("UPDATE ameyo_call SET queue_id = %s WHERE queue_id = %s", (target_id, auto_id))
        legs += cr.rowcount
    cr.execute(
        "DELETE FROM ameyo_queue WHERE id = ANY(%s)", ([auto_id for auto_id, _target_id in merges],)
    )
    _logger.info(
        "Merged %s queues created from a queueName into the configured queue of that name (%s "
        "calls).",
        len(merges),
        legs,
    )

"""19.0.1.3.0: the times and measures of the legs logged before, where their events allow.

- popped: the leg's creation (a pop created it); for an adopted dial attempt, its connect;
- ended: the first of the outcome's save in Odoo and the dispose, for a connected leg no longer
  live;
- closed: the dispose, for a disposed leg (a leg ended by the next pop, or a failed dial, kept no
  time);
- the seconds, the first leg of each call (``call_unit``), the disposition's outcome, the hour of
  the pop.

In SQL, in batches of legs by id, so that a large call log upgrades in bounded statements.
"""

import logging

from odoo.tools import SQL

_logger = logging.getLogger(__name__)

BATCH = 50000
ATTEMPT_STATES = ('dialing', 'dial_failed')
LIVE_STATES = ('preview', 'connected')


def _seconds(start, end):
    return SQL("GREATEST(0, COALESCE(EXTRACT(EPOCH FROM (%s - %s)), 0))::int4", end, start)


ARGUMENTS = {
    'attempts': ATTEMPT_STATES,
    'live': LIVE_STATES,
    'talk': _seconds(SQL('connected_at'), SQL('ended_at')),
    'wrap': _seconds(SQL('ended_at'), SQL('closed_at')),
    'dispose': _seconds(SQL('COALESCE(popped_at, connected_at)'), SQL('dispose_saved_at')),
}
# templates of one batch (%(low)s to %(high)s), given ARGUMENTS
STATEMENTS = [
    """UPDATE ameyo_call SET popped_at = CASE WHEN dial_requested_at IS NULL THEN create_date ELSE
        connected_at END
            WHERE popped_at IS NULL AND state NOT IN %(attempts)s AND id BETWEEN %(low)s AND
                %(high)s""",
    """UPDATE ameyo_call SET ended_at = LEAST(dispose_saved_at, disposed_at)
            WHERE ended_at IS NULL AND connected_at IS NOT NULL AND state NOT IN %(live)s
              AND id BETWEEN %(low)s AND %(high)s""",
    """UPDATE ameyo_call SET closed_at = disposed_at
            WHERE closed_at IS NULL AND state = 'disposed' AND id BETWEEN %(low)s AND %(high)s""",
    """UPDATE ameyo_call
              SET talk_seconds = %(talk)s, talk_seconds_avg = %(talk)s,
                  wrap_seconds = CASE WHEN connected_at IS NULL THEN 0 ELSE %(wrap)s END,
                  wrap_seconds_avg = CASE WHEN connected_at IS NULL THEN 0 ELSE %(wrap)s END,
                  odoo_dispose_seconds = %(dispose)s
            WHERE id BETWEEN %(low)s AND %(high)s""",
    """UPDATE ameyo_call AS call SET call_unit = CASE WHEN call.id = first.id THEN 1 ELSE 0 END
             FROM ameyo_measures_first_leg AS first
            WHERE first.server_id = call.server_id AND first.crt_object_id = call.crt_object_id
              AND call.state NOT IN %(attempts)s AND call.id BETWEEN %(low)s AND %(high)s""",
    """UPDATE ameyo_call AS call SET outcome = disposition.outcome
             FROM ameyo_disposition AS disposition
            WHERE disposition.id = call.disposition_id AND call.id BETWEEN %(low)s AND %(high)s""",
    # the hour in the agent's time zone (else the company's), when PostgreSQL knows that zone
    """UPDATE ameyo_call AS call
              SET popped_hour = EXTRACT(HOUR FROM (call.popped_at AT TIME ZONE 'UTC') AT TIME ZONE
                  zone.name)
             FROM (SELECT leg.id, COALESCE(agent.tz, company_partner.tz, 'UTC') AS name
                     FROM ameyo_call AS leg
                LEFT JOIN res_users AS users ON users.id = leg.user_id
                LEFT JOIN res_partner AS agent ON agent.id = users.partner_id
                LEFT JOIN res_company AS company ON company.id = leg.company_id
                LEFT JOIN res_partner AS company_partner ON company_partner.id = company.partner_id
                    WHERE leg.id BETWEEN %(low)s AND %(high)s) AS zone
            WHERE zone.id = call.id AND call.popped_at IS NOT NULL
              AND zone.name IN (SELECT name FROM pg_timezone_names)""",
]


def migrate(cr, version):
    cr.execute("DROP TABLE IF EXISTS ameyo_measures_first_leg")
    cr.execute("SELECT min(id), max(id) FROM ameyo_call")
    low, high = cr.fetchone()
    if low is None:
        return
    # the first leg of each call, once for all batches
    cr.execute(
        SQL(
            """CREATE TEMP TABLE ameyo_measures_first_leg ON COMMIT DROP AS
                      SELECT server_id, crt_object_id, min(id) AS id FROM ameyo_call
                       WHERE crt_object_id IS NOT NULL AND state NOT IN %s
                       GROUP BY server_id, crt_object_id""",
            ATTEMPT_STATES,
        )
    )
    cr.execute("CREATE INDEX ON ameyo_measures_first_leg (server_id, crt_object_id)")
    for start in range(low, high + 1, BATCH):
        for statement in STATEMENTS:
            cr.execute(SQL(statement, low=start, high=start + BATCH - 1, **ARGUMENTS))
    cr.execute("DROP TABLE ameyo_measures_first_leg")
    _logger.info("Ameyo call measures filled for legs %s to %s", low, high)

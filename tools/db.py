"""Two database patterns of the connector, each written once.

- :func:`wait_for_lock`: a row lock that waits (``SELECT ... FOR UPDATE``). Odoo 19's
  ``lock_for_update()`` never waits (it raises when a row is locked) and ``try_lock_for_update()``
  skips locked rows: those are for "whoever comes second does nothing". This one is for the places
  where the second must wait for the first and then see what it did (a send's answer, a recording
  stored, "already disposed"): nobody holds these locks for long.
- :func:`own_transaction`: a block in a transaction of its own, committed when it ends, so that what
  it writes is durable before Odoo calls Ameyo (the dial attempt, the dispose's claim and answer).
"""

from contextlib import contextmanager

from odoo.tools import SQL


def wait_for_lock(records):
    """Lock the rows of ``records`` for update, waiting for whoever holds them; then read them
    afresh."""
    if not records:
        return records
    records.flush_recordset()
    records.env.cr.execute(
        SQL(
            "SELECT id FROM %s WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
            SQL.identifier(records._table),
            list(records._ids),
        )
    )
    records.invalidate_recordset()
    return records


@contextmanager
def own_transaction(env):
    """Yield ``env`` on a new cursor, committed when the block ends (rolled back on an error).

    What the caller's transaction wrote is flushed first (the new transaction sees it once
    committed, and tests share one connection); the caller's cache is dropped after (the records
    changed meanwhile).
    """
    env.flush_all()
    with env.registry.cursor() as cr:
        yield env(cr=cr)
    env.invalidate_all()

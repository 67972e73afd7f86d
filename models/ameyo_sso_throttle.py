"""SSO login attempts per (source address, Ameyo userId): the counter that limits password guessing.

5 attempts per pair, then the pair is locked for 10 minutes; guesses from one address
never lock an agent out of logins from another. An attempt is counted before its
password is checked, in one statement, so parallel guesses cannot all pass the check.
The other limits (SSO source networks, Odoo's per-address cooldown) are described in
models/ameyo_sso_token.py, which calls this counter.
"""

from contextlib import contextmanager
from datetime import timedelta

from odoo import api, fields, models
from odoo.sql_db import Cursor

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=10)


class AmeyoSsoThrottle(models.Model):
    """SSO login attempts per (source address, Ameyo userId)."""

    _name = 'ameyo.sso.throttle'
    _description = 'Ameyo SSO Failed Logins'

    source = fields.Char(string="Source Address", required=True)
    user_key = fields.Char(
        required=True,
        help="The Ameyo userId as sent, through PostgreSQL's lower(): as the user lookup compares "
        "it.",
    )
    failures = fields.Integer(
        string="Attempts",
        help="Attempts in the current window, counted before their password is checked.",
    )
    window_start = fields.Datetime()
    locked_until = fields.Datetime()

    # (the name is the former index on user_key alone: Odoo replaces it on update)
    _user_key_uniq = models.UniqueIndex(
        '(source, user_key)', "One throttle per address and Ameyo user."
    )

    @contextmanager
    def _ameyo_counter_cursor(self):
        """A cursor of its own, committed at once, in READ COMMITTED: a parallel attempt on the same
        row waits for this one and counts on top of it (REPEATABLE READ, Odoo's default, would fail
        it instead)."""
        with self.env.registry.cursor() as cr:
            if isinstance(cr, Cursor):  # not a test cursor, which shares the test's transaction
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            yield cr

    @api.model
    def _ameyo_take_attempt(self, source, user_key):
        """Count an attempt of ``user_key`` from ``source`` before its password is checked: True if
        it may be.

        One upsert counts and decides (no read-then-write): of parallel attempts, at most
        MAX_FAILURES get through per window, and the first ones of a new pair create one row.
        The 5th attempt locks the pair for LOCKOUT unless it succeeds; attempts older than
        FAILURE_WINDOW and ended locks are forgotten.
        """
        now = fields.Datetime.now()
        params = {
            'source': source or '',
            'key': user_key,
            'now': now,
            'window_floor': now - FAILURE_WINDOW,
            'lock_end': now + LOCKOUT,
            'max': MAX_FAILURES,
        }
        with self._ameyo_counter_cursor() as cr:
            cr.execute(
                """
                INSERT INTO ameyo_sso_throttle AS t (source, user_key, failures, window_start,
                    locked_until,
                                                     create_date, write_date)
                     VALUES (%(source)s, lower(%(key)s), 1, %(now)s, NULL, %(now)s, %(now)s)
                ON CONFLICT (source, user_key) DO UPDATE SET
                    failures = CASE WHEN t.locked_until <= %(now)s
                                          OR (t.locked_until IS NULL AND t.window_start <
                                              %(window_floor)s)
                                    THEN 1 ELSE t.failures + 1 END,
                    window_start = CASE WHEN t.locked_until <= %(now)s
                                              OR (t.locked_until IS NULL AND t.window_start <
                                                  %(window_floor)s)
                                        THEN %(now)s ELSE t.window_start END,
                    locked_until = CASE WHEN t.locked_until <= %(now)s
                                              OR (t.locked_until IS NULL AND t.window_start <
                                                  %(window_floor)s)
                                        THEN NULL
                                        WHEN t.locked_until IS NOT NULL THEN t.locked_until
                                        WHEN t.failures + 1 >= %(max)s THEN %(lock_end)s
                                        END,
                    write_date = %(now)s
                RETURNING failures
            """,
                params,
            )
            [attempts] = cr.fetchone()
        return attempts <= MAX_FAILURES

    @api.model
    def _ameyo_forget(self, source, user_key):
        """A successful login clears the attempts of its (address, user)."""
        with self._ameyo_counter_cursor() as cr:
            cr.execute(
                "DELETE FROM ameyo_sso_throttle WHERE source = %s AND user_key = lower(%s)",
                [source or '', user_key],
            )

    @api.autovacuum
    def _gc_old_failures(self):
        """Forget attempts (and locks) over a day old: unknown user ids must not pile up."""
        threshold = fields.Datetime.now() - timedelta(days=1)
        self.sudo().search(
            [
                ('window_start', '<', threshold),
                '|',
                ('locked_until', '=', False),
                ('locked_until', '<', threshold),
            ]
        ).unlink()

"""The job that changes the number of digits of the phone keys.

Saving Settings with another number of significant digits changes the key of every contact, lead and
call leg with a number: a million rows at a large site, far too many for the request that saves
Settings. The save only records the count asked for (``pending_key_digits``) and triggers the job, a
cron:

1. In batches (one query and one statement per batch, each committed with its progress), it computes
   each record's key under the new count into this model's table, beside the record (its number at
   the time, to see it changed since). The records keep their keys, and lookups their count
   (``key_digits``): a pop during the job compares keys of one count only, and a record created or
   edited meanwhile gets a key of that count too.
2. When every record has its new key, one transaction catches up with the records created or
   renumbered since their batch, writes the new keys into the records (one UPDATE per model) and
   puts the new count in force: lookups go from the old keys to the new ones in one step. The
   remembered picks of the old keys go.
3. A while later (``VERIFY_DELAY``) it recomputes the keys of the records written around the switch:
   a request that read the old count before the switch committed, and wrote after, left an old key.

Settings shows the job's progress from this table (:meth:`_ameyo_progress`).
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.phone_key import (
    DIGITS_PARAM,
    PENDING_DIGITS_PARAM,
    bounded_digits,
    key_digits,
    pending_key_digits,
    phone_key,
)

_logger = logging.getLogger(__name__)

# Records per batch. Measured at 300,000 contacts on the 2-core build machine (load 5): a batch
# (5,000 numbers read, their keys computed in Python, the one definition of a key, and stored in one
# statement) took 0.08 s, the 61 batches 4.7 s; the switch, one transaction, 11 s (about 40 s at a
# million: the records' rows are rewritten then, their readers never wait; a write to a contact
# during it waits or is retried).
BATCH_SIZE = 5000
# How long a request may have read the old count and still be writing (well above Odoo's
# limit_time_real): the keys of records written since the switch minus this are checked this long
# after it.
VERIFY_DELAY = timedelta(minutes=10)
# When the records written around the last switch are to be checked (an ISO datetime, the start of
# the window).
VERIFY_PARAM = 'crm_ameyo.phone_key_digits_verify_since'
CRON_XMLID = 'crm_ameyo.ir_cron_ameyo_rewrite_phone_keys'


class AmeyoPhoneKeyRewrite(models.Model):
    """One record's lookup key under the number of digits Settings asked for, computed by the job
    before that number is in force (then these rows go)."""

    _name = 'ameyo.phone.key.rewrite'
    _description = 'Ameyo Phone Key Being Rewritten'
    _log_access = False
    _rec_name = 'key'

    res_model = fields.Selection(
        [('res.partner', 'Contact'), ('crm.lead', 'Lead'), ('ameyo.call', 'Call Leg')],
        required=True,
    )
    res_id = fields.Many2oneReference(model_field='res_model', required=True)
    phone = fields.Char(help="The record's number the key was computed from.")
    key = fields.Char()
    digits = fields.Integer(required=True)

    _record_uniq = models.Constraint(
        'UNIQUE(res_model, res_id)', "A record has one key being rewritten."
    )

    # ------------------------------------------------------------------
    # What Settings asks and shows
    # ------------------------------------------------------------------

    @api.model
    def _ameyo_ask_digits(self, value):
        """Settings saved ``value`` significant digits: the job puts it in force (a value already in
        force cancels a job under way)."""
        digits = bounded_digits(value)
        if digits == (pending_key_digits(self.env) or key_digits(self.env)):
            return
        self.env['ir.config_parameter'].sudo().set_param(
            PENDING_DIGITS_PARAM, False if digits == key_digits(self.env) else digits
        )
        self.env.ref(CRON_XMLID).sudo()._trigger()

    @api.model
    def _ameyo_progress(self):
        """(keys computed, keys to compute) of the job under way, or None."""
        digits = pending_key_digits(self.env)
        if not digits:
            return None
        total = sum(self._ameyo_keyed_count(model) for model in self._ameyo_targets())
        self.env.cr.execute(
            SQL("SELECT count(*) FROM %s WHERE digits = %s", SQL.identifier(self._table), digits)
        )
        return min(self.env.cr.fetchone()[0], total), total

    # ------------------------------------------------------------------
    # The job
    # ------------------------------------------------------------------

    @api.model
    def _cron_rewrite_phone_keys(self, batch_size=BATCH_SIZE):
        Cron = self.env['ir.cron']
        digits = pending_key_digits(self.env)
        table = SQL.identifier(self._table)
        if not digits:
            # no job, or one cancelled: its keys go; the records written around the last switch are
            # checked
            self.env.cr.execute(SQL("DELETE FROM %s", table))
            self._ameyo_verify_switch()
            Cron._commit_progress(remaining=0)
            return
        # of a count asked before
        self.env.cr.execute(SQL("DELETE FROM %s WHERE digits != %s", table, digits))
        keyed = sum(self._ameyo_keyed_count(model) for model in self._ameyo_targets())
        Cron._commit_progress(remaining=max(keyed - self._ameyo_stored_count(digits), 0))
        # 1. every record in the order of its id, from where the last batch stopped
        while count := self._ameyo_next_batch(digits, batch_size):
            if not Cron._commit_progress(count):
                return  # the run's time is up: Odoo runs the job again at once
        # 2. the records created or renumbered since their batch, until what is left fits one
        #    transaction
        while len(late := self._ameyo_late_records(batch_size + 1)) > batch_size:
            self._ameyo_store(digits, late[:batch_size])
            if not Cron._commit_progress(batch_size):
                return
        # should the switch fail (a record written meanwhile cannot be serialized), the job runs
        # again soon
        self.env.ref(CRON_XMLID)._trigger(fields.Datetime.now() + timedelta(minutes=1))
        Cron._commit_progress()
        self._ameyo_switch(digits)
        Cron._commit_progress(remaining=0)

    @api.model
    def _ameyo_targets(self):
        """The models whose records have a key, and the field of the key."""
        return {
            'res.partner': 'ameyo_phone_key',
            'crm.lead': 'ameyo_phone_key',
            'ameyo.call': 'phone_key',
        }

    def _ameyo_keyed_count(self, model):
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM %s WHERE phone IS NOT NULL",
                SQL.identifier(self.env[model]._table),
            )
        )
        return self.env.cr.fetchone()[0]

    def _ameyo_stored_count(self, digits):
        self.env.cr.execute(
            SQL("SELECT count(*) FROM %s WHERE digits = %s", SQL.identifier(self._table), digits)
        )
        return self.env.cr.fetchone()[0]

    def _ameyo_next_batch(self, digits, batch_size):
        """Compute the keys of the next ``batch_size`` records after the last one computed (the
        models one after the other); return how many."""
        for model in self._ameyo_targets():
            self.env.cr.execute(
                SQL(
                    """SELECT %(model)s, id, phone FROM %(records)s
                    WHERE phone IS NOT NULL
                      AND id > (SELECT COALESCE(max(res_id), 0) FROM %(table)s WHERE res_model =
                          %(model)s)
                    ORDER BY id LIMIT %(limit)s""",
                    model=model,
                    records=SQL.identifier(self.env[model]._table),
                    table=SQL.identifier(self._table),
                    limit=batch_size,
                )
            )
            if rows := self.env.cr.fetchall():
                self._ameyo_store(digits, rows)
                return len(rows)
        return 0

    def _ameyo_late_records(self, limit=None):
        """Up to ``limit`` (None: all) (model, id, number) of records whose key is not computed for
        their number: created or renumbered since their batch."""
        rows = []
        for model in self._ameyo_targets():
            self.env.cr.execute(
                SQL(
                    """SELECT %(model)s, r.id, r.phone FROM %(records)s r
                    WHERE r.phone IS NOT NULL AND NOT EXISTS (
                          SELECT 1 FROM %(table)s k
                           WHERE k.res_model = %(model)s AND k.res_id = r.id AND k.phone = r.phone)
                    ORDER BY r.id LIMIT %(limit)s""",
                    model=model,
                    records=SQL.identifier(self.env[model]._table),
                    table=SQL.identifier(self._table),
                    limit=None if limit is None else limit - len(rows),
                )
            )  # LIMIT NULL: no limit
            rows += self.env.cr.fetchall()
            if limit is not None and len(rows) >= limit:
                break
        return rows

    def _ameyo_store(self, digits, rows):
        """Store the keys of ``rows`` ((model, id, number)) under ``digits``: one statement."""
        if not rows:
            return
        models_, ids, phones = zip(*rows, strict=True)
        keys = [phone_key(phone, digits) or None for phone in phones]
        self.env.cr.execute(
            SQL(
                """INSERT INTO %(table)s (res_model, res_id, phone, key, digits)
               SELECT *, %(digits)s FROM unnest(%(models)s::varchar[], %(ids)s::int[],
                   %(phones)s::varchar[],
                                              %(keys)s::varchar[])
               ON CONFLICT (res_model, res_id)
               DO UPDATE SET phone = EXCLUDED.phone, key = EXCLUDED.key, digits =
                   EXCLUDED.digits""",
                table=SQL.identifier(self._table),
                digits=digits,
                models=list(models_),
                ids=list(ids),
                phones=list(phones),
                keys=keys,
            )
        )

    def _ameyo_switch(self, digits):
        """In one transaction: catch up with the records written since their batch, write the new
        keys into every record, forget the picks of the old keys and put ``digits`` in force."""
        cr = self.env.cr
        # the count asked for, locked: a Settings save meanwhile makes this run fail and start over
        cr.execute(
            SQL(
                "SELECT value FROM ir_config_parameter WHERE key = %s FOR UPDATE",
                PENDING_DIGITS_PARAM,
            )
        )
        row = cr.fetchone()
        if not row or bounded_digits(row[0]) != digits:
            return
        self._ameyo_store(digits, self._ameyo_late_records())
        for model, field in self._ameyo_targets().items():
            cr.execute(
                SQL(
                    """UPDATE %(records)s r SET %(field)s = k.key FROM %(table)s k
                    WHERE k.res_model = %(model)s AND k.res_id = r.id AND k.phone = r.phone
                      AND r.%(field)s IS DISTINCT FROM k.key""",
                    records=SQL.identifier(self.env[model]._table),
                    field=SQL.identifier(field),
                    table=SQL.identifier(self._table),
                    model=model,
                )
            )
            _logger.info(
                "phone keys of %s rewritten for %s digits: %s records", model, digits, cr.rowcount
            )
        cr.execute(SQL("DELETE FROM %s", SQL.identifier(self._table)))
        cr.execute(SQL("DELETE FROM ameyo_phone_pick"))  # remembered under the old keys
        Param = self.env['ir.config_parameter'].sudo()
        Param.set_param(DIGITS_PARAM, digits)
        Param.set_param(PENDING_DIGITS_PARAM, False)
        Param.set_param(VERIFY_PARAM, fields.Datetime.to_string(cr.now() - VERIFY_DELAY))
        self.env.invalidate_all()
        # the check of the records written around the switch, once every request that read the old
        # count ended
        self.env.ref(CRON_XMLID)._trigger(cr.now() + 2 * VERIFY_DELAY)

    def _ameyo_verify_switch(self, force=False):
        """Recompute the keys of the records written since the switch minus ``VERIFY_DELAY`` (a
        request that read the old count before the switch and wrote after it left an old key), when
        that window has passed (or ``force``)."""
        Param = self.env['ir.config_parameter'].sudo()
        since = fields.Datetime.to_datetime(Param.get_param(VERIFY_PARAM))
        if not since or (not force and self.env.cr.now() < since + 2 * VERIFY_DELAY):
            return
        digits = key_digits(self.env)
        for model, field in self._ameyo_targets().items():
            records = SQL.identifier(self.env[model]._table)
            self.env.cr.execute(
                SQL(
                    "SELECT id, phone, %s FROM %s WHERE write_date >= %s",
                    SQL.identifier(field),
                    records,
                    since,
                )
            )
            stale = [
                (record_id, key)
                for record_id, phone, stored in self.env.cr.fetchall()
                if (key := phone_key(phone, digits) or None) != stored
            ]
            if stale:
                ids, keys = zip(*stale, strict=True)
                self.env.cr.execute(
                    SQL(
                        """UPDATE %(records)s r SET %(field)s = s.key
                         FROM unnest(%(ids)s::int[], %(keys)s::varchar[]) AS s(id, key) WHERE r.id =
                             s.id""",
                        records=records,
                        field=SQL.identifier(field),
                        ids=list(ids),
                        keys=list(keys),
                    )
                )
                _logger.info(
                    "phone keys of %s records of %s written with the old count corrected",
                    len(stale),
                    model,
                )
        Param.set_param(VERIFY_PARAM, False)
        self.env.invalidate_all()

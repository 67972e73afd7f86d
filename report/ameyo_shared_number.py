"""Shared numbers: the numbers several contacts or several leads have (by their lookup key), the
cause of the pop's choosers. A report of the records the reader may open in their companies, as
Odoo's crm/report/ holds the CRM's analyses."""

from odoo import fields, models, tools
from odoo.tools import SQL

# A row's id is its key read as a number behind a leading 1: ('1' || key)::bigint. The keys are
# strings of ASCII digits (tools/phone_key.py), at most 15 long (key_digits() is at most 15; a
# shorter number's key is shorter still); the leading 1 keeps their zeros and their length, so two
# keys never give one id ('0123456789' -> 10123456789, '123456789' -> 1123456789), one key always
# gives the same id whatever other numbers come and go, and the largest, 1 followed by 15 nines, is
# below 2**53: a number the web client holds exactly. A key of anything else (stored by an older
# version) cannot be a row: the pattern keeps it out.
KEY_ID_PATTERN = '^[0-9]{1,15}$'


class AmeyoSharedNumber(models.Model):
    """Numbers several contacts or several leads share (by their lookup key): each pop of them asks
    the agent to choose. A report, read-only, of the records the reader may open in their
    companies."""

    _name = 'ameyo.shared.number'
    _description = 'Ameyo Shared Number'
    _auto = False
    _order = 'record_count desc, phone_key'
    _rec_name = 'phone_key'

    phone_key = fields.Char(string="Number (last digits)", readonly=True)
    partner_count = fields.Integer(string="Contacts", readonly=True)
    lead_count = fields.Integer(string="Leads", readonly=True)
    record_count = fields.Integer(string="Records", readonly=True)
    call_count = fields.Integer(string="Calls", readonly=True)
    picked = fields.Boolean(
        string="Choice Remembered",
        readonly=True,
        help="An agent's choice opens directly on the next pop of this number.",
    )

    _depends = {
        'res.partner': ['ameyo_phone_key', 'active', 'company_id'],
        'crm.lead': ['ameyo_phone_key', 'active', 'company_id'],
        'ameyo.call': ['phone_key', 'company_id'],
        'ameyo.phone.pick': ['phone_key', 'res_model', 'res_id'],
    }

    def init(self):
        # a query per reader (_table_query), no database view: the view of earlier versions goes
        tools.drop_view_if_exists(self.env.cr, self._table)

    def _ameyo_reader_ids(self, model, domain):
        """The ids of ``model`` in the reader's companies (and of no company, unless ``model`` is a
        call) that they may read, as a sub-select: their record rules (none for the superuser)."""
        Model = self.env[model].with_context(active_test=True)
        if not self.env.su and not Model.has_access('read'):
            return SQL("(SELECT NULL::int WHERE FALSE)")
        companies = (
            self.env.companies.ids if model == 'ameyo.call' else [*self.env.companies.ids, False]
        )
        return Model._search([*domain, ('company_id', 'in', companies)]).subselect()

    @property
    def _table_query(self):
        """The shared numbers among the records the reader may open in their companies: counts,
        calls and remembered choices as they may know them (the report is the reader's, not a
        database view). Each reader's records are selected once (``records``), for the counts and
        for the remembered choices."""
        partners = self._ameyo_reader_ids('res.partner', [('ameyo_phone_key', '!=', False)])
        leads = self._ameyo_reader_ids('crm.lead', [('ameyo_phone_key', '!=', False)])
        calls = self._ameyo_reader_ids('ameyo.call', [('phone_key', '!=', False)])
        return SQL(
            """
            WITH records AS (
                SELECT 'res.partner' AS res_model, id AS res_id, ameyo_phone_key AS phone_key
                  FROM res_partner WHERE id IN %(partners)s AND ameyo_phone_key ~ %(pattern)s
                UNION ALL
                SELECT 'crm.lead', id, ameyo_phone_key
                  FROM crm_lead WHERE id IN %(leads)s AND ameyo_phone_key ~ %(pattern)s
            ), shared AS (
                SELECT phone_key,
                       count(*) FILTER (WHERE res_model = 'res.partner')::int AS partner_count,
                       count(*) FILTER (WHERE res_model = 'crm.lead')::int AS lead_count
                  FROM records GROUP BY phone_key
                HAVING count(*) FILTER (WHERE res_model = 'res.partner') > 1
                    OR count(*) FILTER (WHERE res_model = 'crm.lead') > 1
            )
            SELECT ('1' || shared.phone_key)::bigint AS id, shared.phone_key,
                   shared.partner_count, shared.lead_count,
                   shared.partner_count + shared.lead_count AS record_count,
                   (SELECT count(*) FROM ameyo_call c
                     WHERE c.phone_key = shared.phone_key AND c.id IN %(calls)s)::int AS call_count,
                   EXISTS(SELECT 1 FROM ameyo_phone_pick p
                            JOIN records r ON r.res_model = p.res_model AND r.res_id = p.res_id
                           WHERE p.phone_key = shared.phone_key) AS picked
              FROM shared""",
            partners=partners,
            leads=leads,
            calls=calls,
            pattern=KEY_ID_PATTERN,
        )

    def _open_records(self, model, name):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window',
            'name': name,
            'res_model': model,
            'view_mode': 'list,form',
            'views': [(False, 'list'), (False, 'form')],
            'domain': [('ameyo_phone_key', '=', self.phone_key)],
        }

    def action_open_partners(self):
        return self._open_records(
            'res.partner', self.env._("Contacts sharing %(key)s", key=self.phone_key)
        )

    def action_open_leads(self):
        return self._open_records(
            'crm.lead', self.env._("Leads sharing %(key)s", key=self.phone_key)
        )

    def action_open_calls(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window',
            'name': self.env._("Calls from %(key)s", key=self.phone_key),
            'res_model': 'ameyo.call',
            'view_mode': 'list,form',
            'views': [(False, 'list'), (False, 'form')],
            'domain': [('phone_key', '=', self.phone_key)],
        }

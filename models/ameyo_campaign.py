from datetime import datetime

import pytz
from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError, UserError, ValidationError
from odoo.tools import mute_logger

from ..tools.ameyo_client import AmeyoError
from ..tools.ameyo_params import AMEYO_ID_RE, TEXT_RE
from ..tools.notification import SOFT_RELOAD, notification
from .ameyo_queue import queue_name_key


class AmeyoCampaign(models.Model):
    _name = 'ameyo.campaign'
    _description = 'Ameyo Campaign'
    _order = 'server_id, sequence, id'
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    server_id = fields.Many2one(
        'ameyo.server', required=True, index=True, ondelete='cascade', check_company=True
    )
    company_id = fields.Many2one(
        related='server_id.company_id', store=True, index=True, precompute=True
    )
    ameyo_campaign_id = fields.Char(
        string="Ameyo Campaign ID",
        required=True,
        help="The numeric campaignId Ameyo sends in its URLs.",
    )
    dispose_mode = fields.Selection(
        [
            ('crm_only', 'CRM only: the agent disposes in Odoo, Odoo tells Ameyo'),
            ('ameyo_only', 'Ameyo only: the agent disposes in Ameyo, Odoo records it'),
            ('forced', 'Forced: Ameyo disposes and notifies Odoo'),
            ('dual', 'Dual entry: the agent disposes in both'),
        ],
        required=True,
        default='crm_only',
    )
    wrap_timeout = fields.Integer(
        string="Wrap Timeout (s)",
        default=60,
        help="How long Ameyo waits for the agent to dispose a call before it disposes it itself "
        "(the campaign's wrap-up timeout in Ameyo). Odoo stops retrying a failed dispose before "
        "then.",
    )
    preview_readonly = fields.Boolean(
        string="Preview Read-only",
        default=True,
        help="During a preview, before the call connects, the agent sees the caller's record "
        "without editing it.",
    )
    pop_target = fields.Selection(
        [('partner', 'Contact'), ('lead', 'Lead / Opportunity')],
        string="Screen-pop Opens",
        required=True,
        default='partner',
    )
    create_on_no_match = fields.Boolean(
        string="Create Record on No Match",
        help="When no contact or lead has the caller's number, create one instead of opening a "
        "prefilled form.",
    )
    team_id = fields.Many2one('crm.team', string="Sales Team", check_company=True)
    guidance = fields.Html(
        help="Script or checklist shown to the agent during calls of this campaign."
    )
    disposition_ids = fields.One2many('ameyo.disposition', 'campaign_id', string="Disposition Plan")
    queue_ids = fields.One2many('ameyo.queue', 'campaign_id', string="Queues")
    queue_name_warning = fields.Char(
        compute='_compute_queue_name_warning',
        help="Queues of the same name: a URL naming its queue by queueName only (no queueId) "
        "reaches the first of them by sequence.",
    )
    can_sync = fields.Boolean(related='server_id.can_sync')

    dial_hour_from = fields.Float(
        string="Calling Hours From",
        help="Earliest local time of the customer to dial them (e.g. 09:00). "
        "Both times empty: any time.",
    )
    dial_hour_to = fields.Float(
        string="Calling Hours To", help="Latest local time of the customer (e.g. 21:00)."
    )
    dial_customer_key = fields.Char(
        string="Customer Key Field",
        help="Only when this campaign's customer table in Ameyo is keyed on another field than "
        "Phone1: the name of that field, one of the Customer Record lines. A dial whose value for "
        "it is empty is refused.",
    )
    record_field_ids = fields.One2many(
        'ameyo.campaign.record.field',
        'campaign_id',
        string="Customer Record",
        copy=True,
        help="What click-to-dial sends as customerRecord: the customer's record in this campaign's "
        "customer table, one line per field of that table. No line: no customerRecord (a table "
        "keyed on Phone1).",
    )
    max_call_minutes = fields.Integer(
        string="Maximum Call Length (min)",
        default=60,
        help="A call still live (preview or connected) after this long needs a supervisor: the "
        "agent most likely never disposed it. 0: never.",
    )
    dispose_pending_minutes = fields.Integer(
        string="Dispose Pending Alert (min)",
        default=10,
        help="A dispose saved in Odoo and still not told to Ameyo after this long needs a "
        "supervisor. 0: never.",
    )
    report_currency_id = fields.Many2one(related='company_id.currency_id', string="Report Currency")
    report_won_revenue = fields.Monetary(
        string="Won Revenue",
        compute='_compute_report_won_revenue',
        currency_field='report_currency_id',
        help="The revenue of the opportunities won after a call of this campaign (the campaign "
        "report's rule).",
    )
    lost_lead_pop = fields.Selection(
        [('restore', 'Restore it'), ('new', 'Open a new lead')],
        string="Caller's Lost Lead",
        required=True,
        default='restore',
        help="When the screen-pop opens leads and the caller's only lead with the number is lost "
        "(archived): restore it and open it (its chatter says it was lost, and why), or open a new "
        "lead, whose chatter names the lost one.",
    )
    utm_campaign_id = fields.Many2one(
        'utm.campaign',
        string="UTM Campaign",
        ondelete='set null',
        help="The UTM campaign of the leads and opportunities this campaign's calls create, so "
        "that Odoo's pipeline analysis and UTM reports group them. Empty: created with the "
        "campaign's name the first time a call creates a lead.",
    )

    _campaign_uniq = models.Constraint(
        'UNIQUE(server_id, ameyo_campaign_id)',
        "This Ameyo campaign ID is already configured on this server.",
    )
    _wrap_timeout_positive = models.Constraint(
        'CHECK(wrap_timeout IS NULL OR wrap_timeout >= 0)', "The wrap timeout cannot be negative."
    )

    _dial_hours_range = models.Constraint(
        'CHECK(COALESCE(dial_hour_from, 0) BETWEEN 0 AND 24 AND COALESCE(dial_hour_to, 0) BETWEEN '
        '0 AND 24)',
        "Calling hours are times of day, between 00:00 and 24:00.",
    )
    _attention_minutes_positive = models.Constraint(
        'CHECK(max_call_minutes >= 0 AND dispose_pending_minutes >= 0)',
        "The attention delays of a campaign cannot be negative.",
    )

    @api.depends_context('uid', 'allowed_company_ids')
    def _compute_report_won_revenue(self):
        """The campaign report's won revenue, as the reader may read the report (none without its
        access)."""
        Report = self.env['ameyo.campaign.report']
        revenue = {}
        if self.ids and Report.has_access('read'):
            revenue = dict(
                Report._read_group(
                    [('campaign_id', 'in', self.ids)], ['campaign_id'], ['won_revenue:sum']
                )
            )
        for campaign in self:
            campaign.report_won_revenue = revenue.get(campaign._origin, 0.0)

    @api.constrains('ameyo_campaign_id')
    def _check_ameyo_campaign_id(self):
        for campaign in self:
            if not AMEYO_ID_RE.match(campaign.ameyo_campaign_id or ''):
                raise ValidationError(
                    self.env._(
                        "The Ameyo campaign ID %(value)r may hold letters, digits and - _ . @ : "
                        "only.",
                        value=campaign.ameyo_campaign_id,
                    )
                )

    @api.constrains('dial_customer_key', 'record_field_ids')
    def _check_dial_customer_key(self):
        for campaign in self:
            key = campaign.dial_customer_key
            if key and key not in campaign.record_field_ids.mapped('ameyo_key'):
                raise ValidationError(
                    self.env._(
                        "Campaign %(campaign)s: its customer key field %(key)s needs a line of the "
                        "customer record that says what Odoo sends for it (e.g. the number as "
                        "dialed).",
                        campaign=campaign.name,
                        key=key,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        campaigns = super().create(vals_list)
        self.env.registry.clear_cache()  # the campaign routes of lifecycle URLs (ameyo.server)
        return campaigns

    def write(self, vals):
        result = super().write(vals)
        if {'ameyo_campaign_id', 'server_id', 'active'} & set(vals):
            self.env.registry.clear_cache()  # the campaign routes of lifecycle URLs (ameyo.server)
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # the campaign routes of lifecycle URLs (ameyo.server)
        return result

    @api.depends('name', 'ameyo_campaign_id', 'server_id.name')
    def _compute_display_name(self):
        """``Inbound Sales [1]``; with its server when Odoo has several (``Inbound Sales [1] (Ameyo
        Mumbai)``): two servers may both have a campaign 1 of the same name."""
        several_servers = self.env['ameyo.server']._ameyo_plain_url_servers()[2] > 1
        for campaign in self:
            # the server's name only: sales users read campaigns, not servers
            server_name = several_servers and campaign.server_id.sudo().name
            if not campaign.name:
                campaign.display_name = ''
            elif server_name:
                campaign.display_name = (
                    f'{campaign.name} [{campaign.ameyo_campaign_id}] ({server_name})'
                )
            else:
                campaign.display_name = f'{campaign.name} [{campaign.ameyo_campaign_id}]'

    @api.depends('queue_ids.name', 'queue_ids.sequence', 'queue_ids.ameyo_queue_id')
    def _compute_queue_name_warning(self):
        for campaign in self:
            by_name = {}
            for queue in campaign.queue_ids.sorted(
                lambda queue: (queue.sequence, queue._origin.id or 0)
            ):
                by_name.setdefault(queue_name_key(queue.name), []).append(queue)
            campaign.queue_name_warning = (
                ' '.join(
                    self.env._(
                        "%(count)s queues are named %(name)s (case-insensitive): a URL with this "
                        "queueName and no queueId reaches only the first by sequence, Ameyo Queue "
                        "ID %(ref)s. Rename or archive the others.",
                        count=len(queues),
                        name=queues[0].name,
                        ref=queues[0].ameyo_queue_id or '?',
                    )
                    for key, queues in by_name.items()
                    if key and len(queues) > 1
                )
                or False
            )

    def _ameyo_find_or_create_queue(self, queue_ref, queue_name):
        """Return this campaign's queue for Ameyo's queueId, or for its queueName when the URL has
        no queueId, creating it the first time.

        With a queueId: the queue of that Ameyo queue ID. With its queueName only: the active queue
        of that name (case-insensitive; several: the first by sequence, and the campaign form
        warns), else the queue whose Ameyo queue ID is that name (created so by an earlier URL),
        else an archived queue of that name. A queue Odoo does not know yet is created once, with no
        mapping of its own, so the campaign's defaults apply until an admin configures it.
        """
        Queue = self.env['ameyo.queue'].sudo()
        if not self or not (queue_ref or queue_name):
            return Queue
        self.ensure_one()
        if queue_ref:
            queue = Queue.with_context(active_test=False).search(
                [('campaign_id', '=', self.id), ('ameyo_queue_id', '=', queue_ref)], limit=1
            )
        else:
            # on the pop's path: the campaign's queues (a handful, by the campaign_id index) in one
            # query
            queues = Queue.with_context(active_test=False).search_fetch(
                [('campaign_id', '=', self.id)], ['name', 'ameyo_queue_id', 'active']
            )
            key = queue_name_key(queue_name)
            named = queues.filtered(lambda queue: queue_name_key(queue.name) == key)
            queue = (
                named.filtered('active')[:1]
                or queues.filtered(lambda queue: queue.ameyo_queue_id == queue_name)[:1]
                or named[:1]
            )
        queue_ref = queue_ref or queue_name
        if queue or not TEXT_RE.match(queue_ref):
            return queue
        try:
            with self.env.cr.savepoint(), mute_logger('odoo.sql_db'):
                return Queue.create(
                    {
                        'campaign_id': self.id,
                        'ameyo_queue_id': queue_ref,
                        'name': queue_name or queue_ref,
                    }
                )
        except UniqueViolation as error:
            raise ConcurrencyError("concurrent creation of the same Ameyo queue") from error

    def action_sync_dispositions(self):
        """Add the disposition codes Ameyo has for these campaigns; keep hand-made ones. Idempotent.

        A campaign Ameyo refuses to describe (no rights) is reported and skipped,
        the others are still synchronized.
        """
        self.env['ameyo.server']._ameyo_check_manager()
        if not self:
            raise UserError(self.env._("There is no active campaign to synchronize."))
        Disposition = self.env['ameyo.disposition'].with_context(active_test=False)
        report = []
        for server, campaigns in self.grouped('server_id').items():

            def sync(client, session_id, campaigns=campaigns):
                for campaign in campaigns:
                    try:
                        codes = client.get_disposition_codes(session_id, campaign.ameyo_campaign_id)
                    except AmeyoError as error:
                        if error.kind not in ('auth', 'refused'):
                            raise
                        report.append(
                            self.env._(
                                "%(campaign)s: %(reason)s",
                                campaign=campaign.display_name,
                                reason=error.reason or error.args[0],
                            )
                        )
                        continue
                    known = set(
                        Disposition.search([('campaign_id', '=', campaign.id)]).mapped('code')
                    )
                    new_codes = []
                    for item in codes:
                        code = (
                            str((item or {}).get('dispositionCodeName') or '').strip()[:128]
                            if isinstance(item, dict)
                            else ''
                        )
                        if code and code not in known:
                            known.add(code)
                            new_codes.append(code)
                    sequence = len(known)
                    Disposition.create(
                        [
                            {
                                'campaign_id': campaign.id,
                                'code': code,
                                'name': code,
                                'sequence': sequence + index,
                                'is_callback': 'callback' in code.lower(),
                            }
                            for index, code in enumerate(new_codes)
                        ]
                    )
                    report.append(
                        self.env._(
                            "%(campaign)s: %(total)s codes in Ameyo, %(new)s added.",
                            campaign=campaign.display_name,
                            total=len(codes),
                            new=len(new_codes),
                        )
                    )

            server._with_rest_session(sync)
        return notification(
            self.env._("Disposition plans synchronized"),
            '\n'.join(report),
            'success',
            next_action=SOFT_RELOAD,
        )

    def action_view_campaign_report(self):
        """The campaign report (``ameyo.campaign.report``) filtered on this campaign: a filter the
        reader may remove to compare it with the others."""
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id(
            'crm_ameyo.ameyo_campaign_report_action'
        )
        action['display_name'] = self.env._("What %(campaign)s Earns", campaign=self.name)
        action['context'] = {
            'search_default_campaign_id': self.id,
            'pivot_row_groupby': ['user_id'],
            'graph_groupbys': ['date:month'],
        }
        return action

    def _ameyo_utm_campaign(self):
        """This campaign's UTM campaign, created with its name the first time a call needs it (as
        superuser: the agent whose call creates a lead configures no campaign)."""
        self.ensure_one()
        campaign = self.sudo()
        if not campaign.utm_campaign_id:
            campaign.utm_campaign_id = (
                self.env['utm.campaign']
                .sudo()
                .create({'title': campaign.name, 'is_auto_campaign': True})
            )
        return campaign.utm_campaign_id

    def _ameyo_outside_calling_hours(self, zones):
        """Why dialing now is outside this campaign's calling hours in one of ``zones``, or ''."""
        self.ensure_one()
        start, end = self.dial_hour_from or 0.0, self.dial_hour_to or 0.0
        if start == end:
            return ''
        now = datetime.now(pytz.utc)
        for zone in zones:
            local = now.astimezone(pytz.timezone(zone))
            hour = local.hour + local.minute / 60
            inside = start <= hour < end if start < end else (hour >= start or hour < end)
            if not inside:
                return self.env._(
                    "It is %(time)s for the customer (%(zone)s), outside the calling hours of "
                    "campaign %(campaign)s (%(start)s to %(end)s).",
                    time=local.strftime('%H:%M'),
                    zone=zone,
                    campaign=self.name,
                    start=_hhmm(start),
                    end=_hhmm(end),
                )
        return ''


def _hhmm(value):
    minutes = round(value * 60)
    return f'{minutes // 60:02d}:{minutes % 60:02d}'

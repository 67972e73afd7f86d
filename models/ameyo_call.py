from odoo import api, fields, models

CALL_STATES = [
    ('preview', 'Preview'),
    ('connected', 'Connected'),
    ('dispose_pending', 'Dispose Pending'),
    ('disposed', 'Disposed'),
    ('dispose_failed', 'Dispose Failed'),
]


class AmeyoCall(models.Model):
    """One agent leg of an Ameyo call.

    A call is identified in Ameyo by its customer leg (``crtObjectId``); each
    agent who handles it (the first one, then whoever it is transferred to) has
    his own leg (``userCrtObjectId``) and disposes it on his own.
    """
    _name = 'ameyo.call'
    _description = 'Ameyo Call Leg'
    _inherit = ['mail.thread', 'mail.activity.mixin']
    _order = 'create_date desc, id desc'
    _rec_name = 'crt_object_id'
    _rec_names_search = ['crt_object_id', 'phone']
    _check_company_auto = True

    server_id = fields.Many2one('ameyo.server', required=True, index=True, ondelete='restrict', check_company=True)
    company_id = fields.Many2one(related='server_id.company_id', store=True, index=True, precompute=True)
    crt_object_id = fields.Char(string="Call (crtObjectId)", required=True, readonly=True, copy=False)
    user_crt_object_id = fields.Char(string="Agent Leg (userCrtObjectId)", readonly=True, copy=False)
    ameyo_call_id = fields.Char(string="Ameyo Leg Call ID", readonly=True, copy=False,
                                help="The leg's callId, the key of archived recordings.")
    campaign_id = fields.Many2one('ameyo.campaign', index='btree_not_null', check_company=True, tracking=True)
    queue_id = fields.Many2one('ameyo.queue', index='btree_not_null', check_company=True)
    ameyo_campaign_ref = fields.Char(string="Campaign ID Received", readonly=True,
                                     help="The campaignId Ameyo sent, kept even when Odoo does not know it.")
    ameyo_queue_ref = fields.Char(string="Queue Received", readonly=True,
                                  help="The queueId / queueName Ameyo sent, kept even when Odoo does not know them.")
    ameyo_user_ref = fields.Char(string="Ameyo User ID", readonly=True)
    ameyo_customer_id = fields.Char(string="Ameyo Customer ID", readonly=True)
    phone = fields.Char(readonly=True)
    call_type = fields.Char(readonly=True, help="Ameyo's callType, e.g. inbound.call.dial, outbound.manual.dial.")
    user_id = fields.Many2one('res.users', string="Agent", index=True, tracking=True,
                              default=lambda self: self.env.user)
    partner_id = fields.Many2one('res.partner', string="Contact", index='btree_not_null', tracking=True,
                                 check_company=True)
    lead_id = fields.Many2one('crm.lead', index='btree_not_null', tracking=True, check_company=True)
    state = fields.Selection(CALL_STATES, required=True, default='connected', index=True, tracking=True)
    disposition_id = fields.Many2one(
        'ameyo.disposition', domain="[('campaign_id', '=', campaign_id)]", tracking=True, check_company=True)
    disposition_code = fields.Char(
        readonly=True, tracking=True,
        help="The disposition code as recorded, also when Ameyo sent one Odoo does not know.")
    disposition_attribute = fields.Char(help="Ameyo's dispositionAttribute, e.g. local-2026-11-25 10:00:00.")
    callback_at = fields.Datetime(tracking=True)
    notes = fields.Text()
    dispose_error = fields.Char(readonly=True, copy=False)
    connected_at = fields.Datetime(readonly=True, copy=False)
    disposed_at = fields.Datetime(readonly=True, copy=False)
    recording_ids = fields.Many2many(
        'ir.attachment', 'ameyo_call_recording_rel', 'call_id', 'attachment_id', string="Recordings",
        copy=False, groups='crm_ameyo.group_ameyo_supervisor')

    # One leg per (server, call, agent leg). An empty agent leg counts as a value, which
    # a plain UNIQUE (NULLs are distinct) would not enforce.
    _agent_leg_uniq = models.UniqueIndex(
        "(server_id, crt_object_id, COALESCE(user_crt_object_id, ''))",
        "This agent leg of the call is already logged.")
    _user_state_idx = models.Index('(user_id, state)')

    @api.depends('crt_object_id', 'phone')
    def _compute_display_name(self):
        for call in self:
            call.display_name = ' / '.join(part for part in (call.phone, call.crt_object_id) if part)

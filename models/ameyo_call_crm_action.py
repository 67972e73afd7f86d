"""What a disposition does to the CRM: the caller's lead moved, won, lost, converted or tagged, a
lead created.

The disposition a leg is disposed with (``ameyo.disposition.crm_action``, ``create_lead``) acts on
the leg's lead with the rights of the user who disposes it: the agent in the wizard
(:meth:`_ameyo_save_outcome`), the leg's agent when Ameyo's dispose URL brings the disposition
(:meth:`_ameyo_record_disposition`). Both call
:meth:`_ameyo_apply_disposition_action` before the leg leaves its live state, while the record rule
``crm_lead_rule_ameyo_live_call`` still opens the caller's lead to the agent.

It never blocks the dispose: the wizard says when it opens whether the action can run
(:meth:`_ameyo_crm_action_preview`); a refusal at save time is rolled back (a savepoint), noted on
the leg (``crm_action_error``, Needing Attention) and Ameyo is told all the same. One action per
leg: a second save with another disposition applies nothing and says what was applied.

Leads made by calls (the pop's, its prefilled form's, a disposition's) keep the link to the call
(``crm.lead.ameyo_origin_call_id``) and Odoo's UTM fields: the server's source, the medium Phone,
the campaign's UTM campaign, each only where the lead has none (:meth:`_ameyo_note_created_record`);
a lead a disposition acts on gets them where it has none too. A lost (archived) lead of the caller's
number is restored by the pop or named in the chatter of the new lead, per campaign
(``ameyo.campaign.lost_lead_pop``).
"""

from markupsafe import Markup

from odoo import Command, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .ameyo_disposition import CRM_ACTIONS

# What a refused action raises: rolled back, noted on the leg, never stopping the dispose.
CRM_ACTION_REFUSALS = (AccessError, UserError, ValidationError)
# How many of the caller's lost leads the pop looks at (the latest is restored or named).
LOST_LEADS_LIMIT = 5


class AmeyoCallCrmActionMixin(models.AbstractModel):
    """What a disposition's CRM action adds to a call leg (``ameyo.call`` lists it in its
    ``_inherit``)."""

    _name = 'ameyo.call.crm.action.mixin'
    _description = "Ameyo Call Leg: CRM Action"

    crm_action_applied = fields.Selection(
        [('create_lead', 'Lead created'), *(item for item in CRM_ACTIONS if item[0] != 'nothing')],
        string="CRM Action Applied",
        readonly=True,
        copy=False,
        help="The CRM action this call applied to its lead (one per call: saving again with "
        "another disposition does not undo it, nor apply another).",
    )
    crm_action_disposition_id = fields.Many2one(
        'ameyo.disposition',
        string="CRM Action Of",
        readonly=True,
        copy=False,
        ondelete='set null',
        help="The disposition whose CRM action was applied.",
    )
    crm_action_summary = fields.Char(string="CRM Action Done", readonly=True, copy=False)
    crm_action_error = fields.Char(
        string="CRM Action Refused",
        readonly=True,
        copy=False,
        help="Why the disposition's CRM action was not applied (the call was disposed all the "
        "same): apply it by hand on the lead.",
    )

    # ------------------------------------------------------------------
    # What the wizard says before the save
    # ------------------------------------------------------------------

    def _ameyo_crm_action_preview(self, disposition):
        """``(sentence, runs)``: what disposing this leg with ``disposition`` will do to the CRM, as
        the current user, and whether it can; ``(False, True)`` when the disposition does nothing to
        the CRM."""
        self.ensure_one()
        env = self.env
        if not disposition or (disposition.crm_action == 'nothing' and not disposition.create_lead):
            return False, True
        leg = self.sudo()
        if leg.crm_action_applied:
            if leg.crm_action_disposition_id == disposition:
                return env._(
                    "Already applied on this call: %(done)s", done=leg.crm_action_summary
                ), True
            return env._(
                "Not applied: this call already applied the CRM action of %(other)s (%(done)s), "
                "which another disposition does not undo.",
                other=leg.crm_action_disposition_id.name or '-',
                done=leg.crm_action_summary or '-',
            ), False
        lead = leg.lead_id.with_env(env)
        if not lead and not disposition.create_lead:
            return env._(
                "This call has no lead: %(disposition)s changes nothing in the CRM.",
                disposition=disposition.name,
            ), False
        refusal = self._ameyo_crm_action_refusal(disposition, lead)
        if refusal:
            return env._(
                "The CRM action of %(disposition)s cannot run: %(reason)s The call is disposed all "
                "the same.",
                disposition=disposition.name,
                reason=refusal,
            ), False
        return env._(
            "On confirm: %(what)s", what=self._ameyo_crm_action_words(disposition, lead)
        ), True

    def _ameyo_crm_action_words(self, disposition, lead, done=False):
        """What ``disposition`` does to ``lead`` (empty: the lead it creates) in words: what it will
        do, or (``done``) what it did."""
        env = self.env
        action = disposition.crm_action
        steps = []  # (what it will do, what it did), of the lead named by %(lead)s
        if not lead:
            steps.append((env._("create %(lead)s"), env._("created %(lead)s")))
        if action == 'stage':
            steps.append(
                (
                    env._("move %(lead)s to the stage %(stage)s"),
                    env._("moved %(lead)s to the stage %(stage)s"),
                )
            )
        elif action in ('won', 'convert') and (not lead or lead.type == 'lead'):
            steps.append(
                (
                    env._("convert %(lead)s to an opportunity"),
                    env._("converted %(lead)s to an opportunity"),
                )
            )
        elif action == 'convert':
            steps.append(
                (
                    env._("nothing: %(lead)s is already an opportunity"),
                    env._("nothing: %(lead)s was already an opportunity"),
                )
            )
        if action == 'won':
            steps.append((env._("mark %(lead)s won"), env._("marked %(lead)s won")))
        elif action == 'lost':
            steps.append(
                (
                    env._("mark %(lead)s lost (%(reason)s), which archives it"),
                    env._("marked %(lead)s lost (%(reason)s) and archived it"),
                )
            )
        elif action == 'tag':
            steps.append(
                (
                    env._("add the tag %(tag)s to %(lead)s"),
                    env._("added the tag %(tag)s to %(lead)s"),
                )
            )
        name = self._ameyo_lead_name(lead) if lead else env._("a lead for the caller")
        words = [
            (step[1] if done else step[0])
            % {
                'lead': name if index == 0 else env._("it"),
                'stage': disposition.crm_stage_id.name or '',
                'reason': disposition.crm_lost_reason_id.name or '',
                'tag': disposition.crm_tag_id.name or '',
            }
            for index, step in enumerate(steps)
        ]
        return env._("%(actions)s.", actions=env._(", then ").join(words))

    def _ameyo_lead_name(self, lead):
        """The lead's name as the current user may know it."""
        return self._ameyo_names_for_reader(lead.sudo())[lead.sudo()][0]

    def _ameyo_crm_action_refusal(self, disposition, lead):
        """Why the current user cannot apply ``disposition`` to ``lead`` (empty: the lead the
        disposition creates), a sentence; '' when they can."""
        env = self.env
        Lead = env['crm.lead']
        self._ameyo_flush_lead_link()
        if not lead:
            if not Lead.has_access('create'):
                return env._("you may not create leads.")
            team = self.sudo()._ameyo_call_team()
        else:
            if not lead.has_access('write'):
                return env._(
                    "you may not change %(lead)s (your access rights to leads; the call no longer "
                    "opens it to you once it is over).",
                    lead=self._ameyo_lead_name(lead),
                )
            team = lead.sudo().team_id
        if disposition.crm_action == 'won' and not self._ameyo_won_stage(lead, team):
            return (
                env._("the sales team %(team)s has no won stage.", team=team.name)
                if team
                else env._("there is no won stage for leads without a sales team.")
            )
        if disposition.crm_action == 'convert' and lead and not lead.active:
            return env._(
                "%(lead)s is archived (lost): restore it first.", lead=self._ameyo_lead_name(lead)
            )
        return ''

    def _ameyo_flush_lead_link(self):
        """Make the lead rule see what opens the caller's lead to the agent now (the leg's pop link,
        state and agent), also when the pop or the link was made earlier in this transaction:
        written to the database (the rule's search reads it there) and the leads' computed
        ``ameyo_live_agent_ids`` read again (Odoo's access check of records evaluates the rule on
        them, and that field has no dependency to invalidate it)."""
        self.sudo().flush_recordset(['pop_lead_id', 'lead_id', 'state', 'user_id'])
        self.env['crm.lead'].invalidate_model(['ameyo_live_agent_ids'])

    def _ameyo_won_stage(self, lead, team):
        """A won stage of ``team`` (what crm's action_set_won moves the lead to), or an empty
        recordset."""
        return (
            (lead or self.env['crm.lead'])
            .sudo()
            ._stage_find(team_id=team.id, domain=[('is_won', '=', True)])
        )

    def _ameyo_call_team(self):
        """The sales team of a lead this call creates: the queue's, else the campaign's (as the
        pop's)."""
        self.ensure_one()
        return self.queue_id.team_id or self.campaign_id.team_id

    # ------------------------------------------------------------------
    # Applying it (the save's transaction, Ameyo's dispose URL)
    # ------------------------------------------------------------------

    def _ameyo_apply_disposition_action(self, disposition):
        """Apply ``disposition``'s CRM action to this leg's lead (creating it first when the
        disposition says so), with the current user's rights, and note it on the lead's chatter.
        Call it before the leg leaves its live state. Never raises for a refusal: it is rolled back
        and noted on the leg (``crm_action_error``, Needing Attention), and the dispose goes on."""
        self.ensure_one()
        if not disposition or (disposition.crm_action == 'nothing' and not disposition.create_lead):
            return
        leg = self.sudo()
        if leg.crm_action_applied:
            if leg.crm_action_disposition_id != disposition:
                leg.message_post(
                    body=self.env._(
                        "The CRM action of %(disposition)s was not applied: this call already "
                        "applied the one of %(other)s (%(done)s).",
                        disposition=disposition.name,
                        other=leg.crm_action_disposition_id.name or '-',
                        done=leg.crm_action_summary or '-',
                    )
                )
            return
        if not leg.lead_id and not disposition.create_lead:
            return  # nothing to act on (the wizard said so)
        try:
            with self.env.cr.savepoint():
                applied, summary = self._ameyo_run_crm_action(disposition)
        except CRM_ACTION_REFUSALS as error:
            reason = self._ameyo_refusal_sentence(error)
            leg.write({'crm_action_error': reason[:500]})
            leg.message_post(
                body=self.env._(
                    "The CRM action of %(disposition)s was not applied: %(reason)s The call is "
                    "disposed all the same; apply it by hand on the lead.",
                    disposition=disposition.name,
                    reason=reason,
                )
            )
            return
        leg.write(
            {
                'crm_action_applied': applied,
                'crm_action_summary': summary[:500],
                'crm_action_disposition_id': disposition.id,
                'crm_action_error': False,
            }
        )

    def _ameyo_refusal_sentence(self, error):
        """Odoo's refusal in one line (an access error's first line: the rest addresses a
        developer)."""
        message = str(error.args[0] if error.args else error).strip()
        line = message.splitlines()[0].strip() if message else ''
        return line if line.endswith('.') else f'{line}.'

    def _ameyo_run_crm_action(self, disposition):
        """Do it (in the caller's savepoint): ``(the action applied, what was done in words)``;
        raise a
        :class:`UserError` naming the reason when it cannot run."""
        self.ensure_one()
        env = self.env
        leg = self.sudo()
        lead = leg.lead_id.with_env(env)
        refusal = self._ameyo_crm_action_refusal(disposition, lead)
        if refusal:
            raise UserError(refusal[:1].upper() + refusal[1:])
        words = self._ameyo_crm_action_words(disposition, lead, done=True)
        created = not lead
        if created:
            lead = self._ameyo_create_call_lead(disposition)
            # an earlier leg's lead, linked now: opened to the agent by this link
            self._ameyo_flush_lead_link()
        action = disposition.crm_action
        if action == 'stage':
            lead.write({'stage_id': disposition.crm_stage_id.id})
        elif action == 'won':
            self._ameyo_convert_lead(lead)
            lead.action_set_won()
            if lead.won_status != 'won':
                raise UserError(env._("Odoo did not mark the opportunity won (no won stage)."))
        elif action == 'lost':
            lead.action_set_lost(lost_reason_id=disposition.crm_lost_reason_id.id)
        elif action == 'convert':
            self._ameyo_convert_lead(lead)
        elif action == 'tag':
            lead.write({'tag_ids': [Command.link(disposition.crm_tag_id.id)]})
        if not created:
            utm = self._ameyo_utm_values(lead.sudo())  # a lead the call touches: only what it lacks
            if utm:
                lead.sudo().write(utm)
        lead.sudo().message_post(
            body=Markup('%s %s')
            % (
                env._(
                    "Disposition %(disposition)s of call %(phone)s (%(agent)s): %(what)s",
                    disposition=disposition.name,
                    phone=leg.phone or '',
                    agent=leg.user_id.name or '-',
                    what=words,
                ),
                leg._get_html_link(title=env._("Open the call")),
            ),
            subtype_xmlid='mail.mt_note',
        )
        applied = action if action != 'nothing' else 'create_lead'
        return applied, words

    def _ameyo_convert_lead(self, lead):
        """Convert ``lead`` to an opportunity (the caller as its customer when it has none), as
        crm's convert wizard does for an existing customer; an opportunity stays as it is."""
        if lead.type != 'lead':
            return
        partner = lead.partner_id or self.sudo().partner_id
        if partner and not lead.partner_id:
            lead._handle_partner_assignment(force_partner_id=partner.id, create_missing=False)
        lead.convert_opportunity(partner)

    def _ameyo_create_call_lead(self, disposition):
        """The lead a disposition creates for this call, with the current user's rights: the caller
        as customer, the queue's (else campaign's) team, the leg's agent as salesperson. Once per
        call: a lead an earlier leg of the call (a transfer's first agent) created is linked
        instead."""
        self.ensure_one()
        leg = self.sudo()
        legs = (
            leg.search(
                [('server_id', '=', leg.server_id.id), ('crt_object_id', '=', leg.crt_object_id)]
            )
            if leg.crt_object_id
            else leg
        )
        earlier = (
            self.env['crm.lead']
            .sudo()
            .with_context(active_test=False)
            .search([('ameyo_origin_call_id', 'in', legs.ids)], order='id', limit=1)
        )
        if earlier:
            self._ameyo_link(earlier)
            return earlier.with_env(self.env)
        values = self._ameyo_new_record_values('crm.lead')
        if leg.partner_id:
            values['name'] = self.env._(
                "%(customer)s: %(disposition)s",
                customer=leg.partner_id.name,
                disposition=disposition.name,
            )
        lead = self.env['crm.lead'].with_company(leg.company_id).create(values)
        self._ameyo_link(lead)
        self._ameyo_note_created_record(lead)
        return lead.with_env(self.env)

    # ------------------------------------------------------------------
    # Leads made by calls: the link to the call, UTM, the caller's lost lead
    # ------------------------------------------------------------------

    def _ameyo_note_created_record(self, record):
        """``record`` was just created for this leg's caller (by the pop, from its prefilled form,
        by a disposition): a lead keeps the link to the call and gets the call's UTM fields where it
        has none; when the caller's earlier lead was lost, its chatter names it (never a silent
        duplicate)."""
        self.ensure_one()
        if record._name != 'crm.lead':
            return
        leg = self.sudo()
        lead = record.sudo()
        values = self._ameyo_utm_values(lead)
        if not lead.ameyo_origin_call_id:
            values['ameyo_origin_call_id'] = leg.id
        lead.write(values)
        lost = leg._ameyo_lost_leads() - lead
        if lost:
            lost = lost[0]
            lead.with_context(mail_post_autofollow_author_skip=True).message_post(
                body=Markup('%s %s')
                % (
                    self.env._(
                        "The caller's earlier lead was lost (%(reason)s):",
                        reason=lost.lost_reason_id.name or self.env._("no reason given"),
                    ),
                    lost._get_html_link(),
                ),
                subtype_xmlid='mail.mt_note',
            )

    def _ameyo_utm_values(self, lead):
        """The UTM fields of this call ``lead`` lacks (a web form's attribution is never
        overwritten): the server's source, the medium Phone, the campaign's UTM campaign."""
        self.ensure_one()
        leg = self.sudo()
        values = {}
        if not lead.source_id:
            values['source_id'] = leg.server_id._ameyo_utm_source().id
        if not lead.medium_id:
            medium = self.env.ref('utm.utm_medium_phone', raise_if_not_found=False)
            if medium:
                values['medium_id'] = medium.id
        if not lead.campaign_id and leg.campaign_id:
            values['campaign_id'] = leg.campaign_id._ameyo_utm_campaign().id
        return values

    def _ameyo_lost_leads(self):
        """The caller's lost leads (archived with a probability of 0) this call may be linked to,
        latest first, as superuser (the pop finds the caller whoever owns the lead)."""
        self.ensure_one()
        if not self.phone_key:
            return self.env['crm.lead'].sudo()
        return (
            self.env['crm.lead']
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ('ameyo_phone_key', '=', self.phone_key),
                    ('active', '=', False),
                    ('won_status', '=', 'lost'),
                    *self._ameyo_company_domain(),
                ],
                order='id desc',
                limit=LOST_LEADS_LIMIT,
            )
        )

    def _ameyo_restore_lost_lead(self, lead):
        """The pop restores the caller's lost ``lead`` (the campaign says so): back in its pipeline,
        its chatter saying it was lost and why."""
        self.ensure_one()
        lead = lead.sudo()
        reason = lead.lost_reason_id.name or self.env._("no reason given")
        lead.action_restore()
        lead.message_post(
            body=Markup('%s %s')
            % (
                self.env._(
                    "Restored: the caller called again (%(phone)s). It was lost (%(reason)s).",
                    phone=self.phone or '',
                    reason=reason,
                ),
                self._get_html_link(title=self.env._("Open the call")),
            ),
            subtype_xmlid='mail.mt_note',
        )
        return lead

    def _ameyo_pop_lost_lead(self):
        """The caller's lost lead the pop opens when no active lead has the number, or an empty
        recordset: the latest one, when the campaign restores lost leads (the pop of a customer URL
        restores it with
        :meth:`_ameyo_restore_lost_lead`, a preview shows it as lost); none when the campaign opens
        a new lead instead (that lead names it)."""
        self.ensure_one()
        if (self.campaign_id.lost_lead_pop or 'restore') != 'restore':
            return self.env['crm.lead']
        return self._ameyo_lost_leads()[:1].with_env(self.env)

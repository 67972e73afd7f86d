"""Click-to-dial: a user asks Ameyo to call a number of a contact or lead for them.

The attempt is a call leg of its own (``direction`` outbound, state ``dialing``), committed
before the request leaves, so that the pop of the call Ameyo places finds it and adopts it
(models/ameyo_call.py ``_ameyo_register_leg``), whichever comes first, Ameyo's answer or its
customer URL. Ameyo's answer is stored on it: ``dial_failed`` with the reason on refusal. A
dial attempt is not a call: what watches for the agent's calls ignores it until a pop adopts
it, and one no pop adopts within :data:`DIAL_ADOPT_WINDOW` ends ``dial_failed``.

Every refusal is a notification in plain words, never a traceback. Whether a number may be dialed at
all (do not call, opt-out list, calling hours) is decided by one gate,
:meth:`AmeyoCall._ameyo_dial_gate`, which every path that makes Ameyo dial goes through
(click-to-dial here, "Dispose and Redial").
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

import phonenumbers
import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..const import ATTEMPT_STATES, DIAL_APIS, DIALING_STATES, LIVE_STATES
from ..tools.ameyo_client import AmeyoError, new_request_id
from ..tools.db import own_transaction
from ..tools.notification import notification
from ..tools.phone_key import key_digits, phone_key

_logger = logging.getLogger(__name__)

# How many of the agent's open attempts a pop looks at, newest first (they rarely have more than
# one).
MAX_ADOPTION_CANDIDATES = 5
# How long after the request a pop may still adopt the attempt ("within a few minutes"); later it
# failed.
DIAL_ADOPT_WINDOW = timedelta(minutes=3)
# A live leg older than this is not taken as the agent's current call (its end may never have
# reached Odoo).
LIVE_CALL_HORIZON = timedelta(hours=2)


class DialGate(NamedTuple):
    """The dial gate's verdict on a number: the number in E.164 (False when Odoo cannot read it),
    and why it may not be dialed now ('' when it may)."""

    e164: str | bool
    refusal: str


@dataclass(frozen=True)
class DialPlan:
    """What a dial that passed every check needs: where, which number (as stored, and as sent),
    how."""

    campaign: models.BaseModel
    server: models.BaseModel
    stored: str
    e164: str
    sent: str
    api: str
    session: str | None
    request_id: str
    # the campaign's customerRecord, read as the dialing user (None: the campaign sends none, or not
    # read yet)
    customer_record: dict | None = None


class DialRefused(Exception):
    """A reason not to dial, as the notification that tells the user."""

    def __init__(self, action):
        super().__init__(action.get('params', {}).get('message'))
        self.action = action


def _customer_record_string(field, value):
    """``value`` of ``field`` as the string Ameyo's customer table holds: a link's record name (as
    the form shows it), a date or time in ISO (``2026-12-04``, ``2026-12-04 17:30:00``, UTC as Odoo
    stores it), ``true`` or ``false``, a choice's key, a number as written; an empty value ''."""
    if field.type == 'boolean':
        return 'true' if value else 'false'
    if field.type == 'many2one':
        # the name the user sees on the form (Odoo shows it as superuser)
        return value.sudo().display_name or ''
    if field.type in ('integer', 'float', 'monetary'):
        return str(value or 0)
    if value is False or value is None:
        return ''
    if field.type == 'date':
        return fields.Date.to_string(value)
    if field.type == 'datetime':
        return fields.Datetime.to_string(value)
    return str(value)


class AmeyoCallDialMixin(models.AbstractModel):
    """What click-to-dial adds to a call leg (``ameyo.call`` lists it in its ``_inherit``)."""

    _name = 'ameyo.call.dial.mixin'
    _description = "Ameyo Call Leg: Dial"

    dial_requested_at = fields.Datetime(readonly=True, copy=False)
    dial_api = fields.Selection(DIAL_APIS, string="API Used to Dial", readonly=True, copy=False)
    dial_request_id = fields.Char(string="Dial Request ID", readonly=True, copy=False)
    dial_phone_stored = fields.Char(
        string="Number as Stored",
        readonly=True,
        copy=False,
        help="The number as the contact or lead holds it.",
    )
    dial_phone_sent = fields.Char(
        string="Number as Dialed",
        readonly=True,
        copy=False,
        help="The number as Odoo sent it to Ameyo.",
    )
    dial_error = fields.Char(string="Dial Outcome", readonly=True, copy=False)

    # ------------------------------------------------------------------
    # The dial (called by action_ameyo_dial of contacts and leads)
    # ------------------------------------------------------------------

    @api.model
    def _ameyo_dial(self, record, phone_field='phone', activity_id=None):
        """Ask Ameyo to call ``record``'s number in ``phone_field`` for the current user; return the
        notification that tells them what happened. ``activity_id``: the "Call" activity of
        ``record`` the user dialed from, which the call's dispose marks done
        (ameyo_call_dispose.py)."""
        try:
            plan = self._ameyo_dial_check(record, phone_field)
        except DialRefused as refusal:
            return refusal.action
        leg = self._ameyo_dial_record_attempt(
            record, plan, self._ameyo_answered_activity(record, activity_id)
        )
        error = self._ameyo_dial_send(leg, record, plan)
        return self._ameyo_dial_notification(leg, error, plan)

    @api.model
    def _ameyo_dial_check(self, record, phone_field):
        """What the dial needs (a :class:`DialPlan`); raise :class:`DialRefused` with the first
        reason not to dial, in the order a user can act on them."""
        env = self.env
        user = env.user

        def refuse(message, kind='warning', **options):
            return DialRefused(notification(env._("Not dialed"), message, kind, **options))

        if user.share or not user.ameyo_effective_user_id:
            raise refuse(
                env._(
                    "Only Odoo users mapped to an Ameyo agent can dial through Ameyo: ask an "
                    "administrator to set your Ameyo user ID."
                ),
                'danger',
            )
        try:
            record.check_access('read')
        except AccessError:
            raise refuse(env._("You cannot read this record."), 'danger') from None
        field = record._fields.get(phone_field) if isinstance(phone_field, str) else None
        if (
            not field
            or field.type != 'char'
            or not (
                phone_field in record._phone_get_number_fields()
                or 'phone' in phone_field
                or 'mobile' in phone_field
            )
        ):
            raise refuse(
                env._("%(field)s is not a phone number field.", field=str(phone_field)[:64]),
                'danger',
            )
        stored = (record[phone_field] or '').strip()
        if not stored:
            raise refuse(
                env._(
                    "%(record)s has no %(field)s number to dial.",
                    record=record.display_name,
                    field=field._description_string(env),
                )
            )
        campaign = self._ameyo_dial_campaign()
        if not campaign:
            raise refuse(
                env._(
                    "No Ameyo campaign to dial in: set your default Ameyo campaign (your user's "
                    "Ameyo tab), or ask an administrator to."
                )
            )
        server = campaign.server_id
        gate = self._ameyo_dial_gate(stored, campaign, record)
        if gate.refusal:
            raise refuse(gate.refusal)
        live = self._ameyo_live_leg(user)
        if live:
            raise refuse(
                env._(
                    "You are on a call with %(number)s: Ameyo does not dial for a busy agent. "
                    "Dispose that call first.",
                    number=live.phone or live.crt_object_id,
                ),
                next_action=live.with_env(env).action_dispose(),
            )
        api_name, session = self._ameyo_dial_api(server, user)
        if not api_name:
            raise refuse(
                env._(
                    "Odoo knows no live Ameyo session of yours, which the Ameyo server's dial API "
                    "needs: log in to Ameyo (its knowledge-base page tells Odoo your session), "
                    "then dial again."
                )
            )
        sent = server._ameyo_dial_format(gate.e164)
        return DialPlan(
            campaign=campaign,
            server=server,
            stored=stored,
            e164=gate.e164,
            sent=sent,
            api=api_name,
            session=session,
            request_id=new_request_id(),
            customer_record=self._ameyo_dial_customer_record(record, campaign, sent),
        )

    @api.model
    def _ameyo_dial_campaign(self):
        """The campaign the current user dials in, in this order: their default campaign; the
        campaign of their latest call (popped leg, not a dial attempt) when its campaign and server
        are active; the only campaign of their companies. Each within the user's companies; an empty
        recordset when none applies.

        Read at dial time: the pop writes nothing for it (one indexed query on the user's legs)."""
        user = self.env.user
        Campaign = self.env['ameyo.campaign'].sudo()
        domain = [('server_id.active', '=', True), ('company_id', 'in', user.company_ids.ids)]
        default = user.sudo().ameyo_default_campaign_id
        if default and Campaign.search_count([('id', '=', default.id), *domain]):
            return default
        latest = self.sudo().search(
            [
                ('user_id', '=', user.id),
                ('state', 'not in', ATTEMPT_STATES),
                ('campaign_id.active', '=', True),
                ('campaign_id.server_id.active', '=', True),
                ('campaign_id.company_id', 'in', user.company_ids.ids),
            ],
            order='id desc',
            limit=1,
        )
        if latest:
            return latest.campaign_id
        campaigns = Campaign.search(
            [*domain, ('company_id', 'in', self.env.companies.ids)], limit=2
        )
        return campaigns if len(campaigns) == 1 else Campaign

    @api.model
    def _ameyo_dial_partner(self, record):
        """The contact a dial of ``record`` is about: the contact itself, a lead's contact, else
        none."""
        if record._name == 'res.partner':
            return record
        return record['partner_id'] if 'partner_id' in record._fields else self.env['res.partner']

    @api.model
    def _ameyo_dial_customer_record(self, record, campaign, sent):
        """The ``customerRecord`` a dial of ``record`` in ``campaign`` sends (``sent``: the number
        as dialed): one key per line of the campaign's Customer Record
        (``ameyo.campaign.record.field``), its value read AS THE CURRENT USER (their access rights
        apply) and made a string as Ameyo's table holds it (:func:`_customer_record_string`). None
        when the campaign has no line (a table keyed on Phone1).

        A lead's line reads the lead's field, else (no field, or empty) the contact field on the
        lead's contact; a contact's reads the contact field. Raise :class:`DialRefused` when a field
        may not be read, or when the value of the campaign's key (``dial_customer_key``) is
        empty."""
        env = self.env
        lines = campaign.sudo().record_field_ids
        if not lines:
            return None

        def refuse(message):
            return DialRefused(notification(env._("Not dialed"), message, 'warning', sticky=True))

        record = record.with_env(env)
        lead = record if record._name == 'crm.lead' else env['crm.lead']
        partner = self._ameyo_dial_partner(record)
        values, readable = {}, set()
        for line in lines:
            if line.source == 'dialed_number':
                values[line.ameyo_key] = sent
                continue
            value = ''
            for holder, field in ((lead, line.lead_field_id), (partner, line.partner_field_id)):
                if value or not holder or not field or field.name not in holder._fields:
                    continue
                odoo_field = holder._fields[field.name]
                try:
                    # checked, not left to the read: a value in the transaction's cache is read
                    # without a check
                    if holder._name not in readable:  # once per record, not once per line
                        holder.check_access('read')
                        readable.add(holder._name)
                    holder._check_field_access(odoo_field, 'read')
                    value = _customer_record_string(odoo_field, holder[field.name])
                except AccessError:
                    raise refuse(
                        env._(
                            "You may not read %(field)s of %(record)s, which campaign %(campaign)s "
                            "sends to Ameyo as %(key)s: ask an administrator.",
                            field=field.field_description,
                            record=holder.sudo().display_name,
                            campaign=campaign.name,
                            key=line.ameyo_key,
                        )
                    ) from None
            values[line.ameyo_key] = value
        key = campaign.dial_customer_key
        if key and not values.get(key):
            raise refuse(
                env._(
                    "%(record)s has no value for %(key)s, the key of the customer table of "
                    "campaign %(campaign)s in Ameyo: fill it in, then dial again.",
                    record=record.display_name,
                    key=key,
                    campaign=campaign.name,
                )
            )
        return values

    # ------------------------------------------------------------------
    # The dial gate: every number Ameyo is asked to dial passes it
    # ------------------------------------------------------------------

    @api.model
    def _ameyo_dial_gate(self, number, campaign, record=None, company=None, country=None):
        """May Ameyo dial ``number`` now, in ``campaign``, about ``record`` (the contact or lead, if
        any)?

        The one gate of every request that makes Ameyo dial: the Dial button, the list's and the
        activity's phone icons (:meth:`_ameyo_dial`), "Dispose and Redial" (the wizard, and again
        before ``disposeAndManualDial`` leaves, whoever sends it), and any dial after a dispose.
        Refused, in this order: a number Odoo cannot read; ``record`` (or a lead's contact) marked
        "Do not call"; the number marked so on any contact or lead of the campaign's company or of
        none (:meth:`_ameyo_number_do_not_call`: a copy of a flagged contact, a lead typed again,
        carry the number, not the flag); the phone blacklist when the company honours it; outside
        the campaign's calling hours in any of the customer's time zones
        (:meth:`_ameyo_dial_timezones`).

        ``company``: whose records and settings count (default: the campaign's); ``country``: the
        one ``number`` is read in when it has no country code (default:
        :meth:`_ameyo_dial_country`). Return a :class:`DialGate`.
        """
        env = self.env
        record = (record or env['res.partner']).sudo()
        campaign = campaign.sudo()
        company = company or campaign.company_id or env.company
        number = (number or '').strip()
        country = country or self._ameyo_dial_country(record)
        e164 = (
            env['base']._phone_format(number=number, country=country, force_format='E164')
            if number
            else False
        )

        def result(refusal=''):
            return DialGate(e164, refusal)

        if not e164:
            return result(
                env._(
                    "%(number)s is not a phone number Odoo can dial (read in %(country)s).",
                    number=number,
                    country=country.name or env._("no country"),
                )
            )
        do_not_call = self._ameyo_do_not_call_refusal(record, number, e164, company)
        if do_not_call:
            return result(do_not_call)
        if company.ameyo_dial_honour_blacklist and env['phone.blacklist'].sudo().search_count(
            [('number', '=', e164), ('active', '=', True)], limit=1
        ):
            return result(
                env._("%(number)s is on the opt-out list (phone blacklist).", number=number)
            )
        if not campaign:
            return result()
        return result(
            campaign._ameyo_outside_calling_hours(self._ameyo_dial_timezones(record, e164, company))
        )

    @api.model
    def _ameyo_do_not_call_refusal(self, record, number, e164, company):
        """Why ``number`` (``e164``, read) of ``record`` must not be dialed for ``company``, or '':
        ``record`` (or a lead's contact) marked "Do not call", or the number marked so on a contact
        or lead of ``company`` or of none. The dial gate's reason, and the Dial button's
        (``ameyo_do_not_call_reason`` of the caller mixin)."""
        env = self.env
        record = record.sudo()
        if record.ameyo_do_not_call:
            return env._("%(record)s is marked \"Do not call\".", record=record.display_name)
        if record._name == 'crm.lead' and record.partner_id.ameyo_do_not_call:
            return env._(
                "%(contact)s, the contact of %(record)s, is marked \"Do not call\".",
                contact=record.partner_id.display_name,
                record=record.display_name,
            )
        if e164 and self._ameyo_number_do_not_call(e164, company):
            return env._(
                "%(number)s is marked \"Do not call\" on a contact or lead of %(company)s.",
                number=number,
                company=company.name,
            )
        return ''

    @api.model
    def _ameyo_number_do_not_call(self, e164, company):
        """Is the number ``e164`` marked "Do not call" on a contact or lead of ``company`` or of
        none?

        Decided per number, on the pop's indexed lookup key (``ameyo_phone_key``), one indexed count
        per table, as superuser (a colleague's lead counts), archived records included (a lost lead
        keeps the customer's wish). A record of another company does not count.
        """
        key = phone_key(e164, key_digits(self.env))
        if not key:
            return False
        domain = [
            ('ameyo_phone_key', '=', key),
            ('ameyo_do_not_call', '=', True),
            ('company_id', 'in', [company.id, False]),
        ]
        return any(
            self.env[model].sudo().with_context(active_test=False).search_count(domain, limit=1)
            for model in ('res.partner', 'crm.lead')
        )

    @api.model
    def _ameyo_dial_country(self, record):
        """The country a number is read in: the record's, its contact's (or parent's), its
        company's, ours."""
        for holder in (
            'country_id',
            'partner_id.country_id',
            'parent_id.country_id',
            'company_id.country_id',
        ):
            first, _dot, rest = holder.partition('.')
            if first not in record._fields:
                continue
            country = record[first][rest] if rest else record[first]
            if country:
                return country
        return self.env.company.country_id or self._ameyo_home_country()

    @api.model
    def _ameyo_dial_timezones(self, record, e164, company=None):
        """The time zones calling hours must hold in (each of them: the stricter): the customer's
        own (the contact's, or the lead's contact's), and, when it is missing or is not one of their
        number's country, every zone of that country (a time zone is typed by agents, the number's
        country is not); without either, the company's."""
        partner = self._ameyo_dial_partner(record)
        zones = [partner.tz] if partner.tz in pytz.all_timezones_set else []
        country_zones = _number_country_timezones(e164)
        if not (zones and zones[0] in country_zones):
            zones += [zone for zone in country_zones if zone not in zones]
        company = company or self.env.company
        return zones or [company.partner_id.tz or self.env.user.tz or 'UTC']

    @api.model
    def _ameyo_live_leg(self, user):
        """The user's current call, when Odoo knows one (their latest popped leg, live, recent)."""
        leg = self.sudo().search(
            [('user_id', '=', user.id), ('state', 'not in', ATTEMPT_STATES)],
            order='id desc',
            limit=1,
        )
        started = leg.connected_at or leg.create_date
        if (
            leg.state in LIVE_STATES
            and started
            and started > fields.Datetime.now() - LIVE_CALL_HORIZON
        ):
            return leg
        return self.browse()

    @api.model
    def _ameyo_dial_api(self, server, user):
        """``(api, agent session)`` the server's configuration and what Odoo knows allow, or
        ``(None, None)``."""
        session = server._ameyo_agent_session(user).session_id or None
        choice = server.dial_api
        if choice == 'auto':
            # the guide's clickToDialWithTokenAsync when the hash key is set, else the agent's
            # session
            choice = 'token_async' if server.sudo().hash_key or not session else 'manualdial'
        elif choice == 'session_first':
            choice = 'manualdial' if session else 'token_async'
        if choice == 'manualdial':
            return ('manualdial', session) if session else (None, None)
        return choice, None

    @api.model
    def _ameyo_dial_record_attempt(self, record, plan, activity=None, user=None):
        """Create the attempt's leg in a transaction committed before the request: the pop may come
        first. ``activity``: the "Call" activity it was dialed from; ``user``: the agent Ameyo dials
        for (default: the current user, who pressed Dial)."""
        server = plan.server
        user = user or self.env.user
        values = {
            'server_id': server.id,
            'campaign_id': plan.campaign.id,
            'user_id': user.id,
            'ameyo_user_ref': user.ameyo_effective_user_id,
            'ameyo_campaign_ref': plan.campaign.ameyo_campaign_id,
            'phone': plan.sent,
            'dial_phone_stored': plan.stored,
            'dial_phone_sent': plan.sent,
            'direction': 'outbound',
            'call_type': 'click.to.call.dial',
            'dial_requested_at': fields.Datetime.now(),
            'dial_api': plan.api,
            'dial_request_id': plan.request_id,
            'answered_activity_id': activity.id if activity else False,
        }
        partner = self._ameyo_dial_partner(record)
        for name, linked in (
            ('partner_id', partner),
            ('lead_id', record if record._name == 'crm.lead' else None),
        ):
            # a record of another company than the server's is dialed, not linked (the leg is the
            # server's)
            if linked and linked.sudo().company_id in (server.company_id, self.env['res.company']):
                values[name] = linked.id
        with own_transaction(self.env) as env:
            leg_id = (
                self.with_env(env)
                .sudo()
                .with_context(
                    mail_create_nolog=True,
                    mail_create_nosubscribe=True,
                    mail_notrack=True,
                )
                ._ameyo_create_leg(values, 'dialing')
                .id
            )
        return self.sudo().browse(leg_id)

    @api.model
    def _ameyo_dial_send(self, leg, record, plan, user=None, not_ready_pauses=()):
        """Send the dial request; store Ameyo's answer on the leg (its own transaction). Return the
        :class:`AmeyoError`, or None when Ameyo accepted the request.

        ``user``: the agent Ameyo dials for (default: the current user). ``not_ready_pauses``: while
        Ameyo answers that the agent is not in ready state (a moment after a dispose), the request
        is sent again after each of these pauses (seconds), then its last answer stands.

        ``leg`` was committed by another transaction: this one's snapshot may not see it, so nothing
        of it is read here but in the transaction that stores the answer (its id and ``plan`` say
        what the request needs).
        """
        server = plan.server
        additional_params = {'recordId': f'{record._name},{record.id}', 'odooCallId': str(leg.id)}
        error, answer = None, {}
        try:
            client = server.sudo()._get_ameyo_client()
            for pause in (*not_ready_pauses, None):
                try:
                    answer = self._ameyo_dial_request(
                        client, plan, user or self.env.user, additional_params, plan.customer_record
                    )
                    break
                except AmeyoError as failure:
                    if pause is None or not _agent_not_ready(failure):
                        raise
                    _logger.info(
                        "Ameyo call leg %s: the agent is not in ready state yet; dialing again in "
                        "%s s",
                        leg.id,
                        pause,
                    )
                    time.sleep(pause)
        except AmeyoError as failure:
            error = failure
        # a failure inside Odoo: the user gets a message, the log the traceback
        except Exception:  # noqa: BLE001
            _logger.exception("Click-to-dial of Ameyo call leg %s failed in Odoo", leg.id)
            error = AmeyoError(
                self.env._("Odoo failed while asking Ameyo to dial; nothing was dialed."),
                kind='odoo',
                sent=False,
            )
        with own_transaction(self.env) as env:
            attempt = leg.with_env(env).sudo()
            if error and error.session_rejected and plan.session:
                # a dead session: the next dial chooses without it, until the agent's next Ameyo
                # login
                attempt.server_id._ameyo_forget_agent_session(attempt.user_id, plan.session)
            if attempt.state in DIALING_STATES:
                values = {}
                crt = answer.get('crtObjectId') if isinstance(answer, dict) else None
                if crt and isinstance(crt, str) and not attempt.crt_object_id:
                    values['crt_object_id'] = crt[:128]
                if error:
                    values['dial_error'] = self._ameyo_dial_reason(error, plan.api)[:500]
                else:
                    values['dial_error'] = self.env._("Ameyo accepted the request.")
                if error and not error.outcome_unknown:
                    attempt._ameyo_update_state('dial_failed', values)
                else:
                    attempt.write(values)
        return error

    @api.model
    def _ameyo_dial_request(self, client, plan, user, additional_params, customer_record):
        """One dial request of ``plan`` for ``user`` with ``client``: Ameyo's answer, or raise its
        :class:`AmeyoError`."""
        campaign = plan.campaign
        if plan.api == 'manualdial':
            return client.manual_dial(
                session_id=plan.session,
                campaign_id=campaign.ameyo_campaign_id,
                phone=plan.sent,
                request_id=plan.request_id,
                additional_params=additional_params,
                customer_record=customer_record,
            )
        return client.click_to_dial(
            user_id=user.ameyo_effective_user_id,
            campaign_id=campaign.ameyo_campaign_id,
            phone=plan.sent,
            asynchronous=plan.api == 'token_async',
            additional_params=additional_params,
            customer_record=customer_record,
        )

    @api.model
    def _ameyo_dial_reason(self, error, api_name):
        if api_name == 'manualdial' and error.kind == 'auth':
            return self.env._(
                "Ameyo did not accept your Ameyo session (%(reason)s): log in to Ameyo again, "
                "then dial.",
                reason=error.reason,
            )
        return str(error.args[0])

    @api.model
    def _ameyo_dial_notification(self, leg, error, plan):
        if not error:
            return notification(
                self.env._("Click-to-dial"),
                self.env._(
                    "Dial request sent to Ameyo in campaign %(campaign)s: answer on your Ameyo "
                    "client (%(number)s).",
                    campaign=plan.campaign.sudo().display_name,
                    number=plan.stored,
                ),
                'success',
            )
        if error.outcome_unknown:
            return notification(
                self.env._("Dial request not confirmed"),
                self.env._(
                    "%(reason)s Watch your Ameyo client before dialing again.",
                    reason=self._ameyo_dial_reason(error, plan.api),
                ),
                'warning',
                sticky=True,
            )
        return notification(
            self.env._("Not dialed"),
            self._ameyo_dial_reason(error, plan.api),
            'danger',
            sticky=True,
        )

    # ------------------------------------------------------------------
    # The pop of the call placed, and attempts no pop adopted
    # ------------------------------------------------------------------

    @api.model
    def _ameyo_dial_attempt_for(self, server, agent, crt, phone, candidates):
        """The agent's recent dial attempt this pop is about: named by Ameyo's answer, else by its
        number.

        ``candidates``: legs that include the agent's open attempts on ``server`` (the pop finds
        them with the call's own legs, in the query it makes anyway: most pops have no attempt at
        all, and pay nothing for it).
        """
        since = fields.Datetime.now() - DIAL_ADOPT_WINDOW
        key = phone_key(phone, key_digits(self.env))
        legs = candidates.filtered(
            lambda leg: (
                leg.server_id == server
                and leg.user_id == agent
                and leg.state in DIALING_STATES
                and leg.dial_requested_at
                and leg.dial_requested_at >= since
                and (
                    leg.crt_object_id == crt
                    or (key and not leg.crt_object_id and leg.phone_key == key)
                )
            )
        )
        legs = legs.sorted('id', reverse=True)[:MAX_ADOPTION_CANDIDATES]
        return legs.filtered(lambda leg: leg.crt_object_id == crt)[:1] or legs[:1]

    @api.model
    def _cron_expire_dial_attempts(self):
        """Attempts no pop adopted in time: the call was not answered or not placed."""
        legs = self.sudo().search(
            [
                ('state', 'in', DIALING_STATES),
                ('dial_requested_at', '<', fields.Datetime.now() - DIAL_ADOPT_WINDOW),
            ]
        )
        legs.with_context(mail_notrack=True)._ameyo_update_state(
            'dial_failed',
            {
                'dial_error': self.env._(
                    "Not answered or not placed: no call reached Odoo within %(minutes)s minutes.",
                    minutes=int(DIAL_ADOPT_WINDOW.total_seconds() // 60),
                ),
            },
        )


def _agent_not_ready(error):
    """Did Ameyo refuse a dial because the agent is not in ready state (a moment after a dispose,
    Ameyo may not have freed them yet)? A definite refusal only: an answer whose outcome is unknown
    is never sent again."""
    return (
        error.kind == 'refused'
        and not error.outcome_unknown
        and 'not in ready state' in (error.reason or '').lower()
    )


def _number_country_timezones(e164):
    """The time zones of the country of the number ``e164`` (as phone_validation formats it): []
    when the number names no country (a non-geographic or unreadable one)."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return []
    if not region or region not in pytz.country_timezones:
        return []
    return [zone for zone in pytz.country_timezones[region] if zone in pytz.all_timezones_set]

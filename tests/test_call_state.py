"""The call's one state machine (``ameyo.call._ameyo_update_state``, ``const.STATE_TRANSITIONS``):
every allowed move with the times and measures it writes, Ameyo's replays skipped, contradictions
refused, and nobody (a manager over RPC, the superuser) setting a state by hand; and the composition
of the call leg's parts."""

import inspect
import pathlib
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import mute_logger

from ..const import CALL_STATES, INITIAL_STATES, STATE_PROGRESS, STATE_TRANSITIONS
from ..models.ameyo_call import ENDED_WRITE_FIELDS
from .common import AmeyoHttpCase, create_call_leg

T0 = fields.Datetime.from_string('2026-12-04 10:00:00')


class TestCallStateMachine(AmeyoHttpCase):
    def leg_in(self, state, **values):
        """A leg in ``state``, reached the way the connector reaches it (created, then moved)."""
        path = {
            'dial_failed': ['dialing'],
            'ended': ['connected'],
            'dispose_pending': ['connected'],
            'dispose_failed': ['connected', 'dispose_pending'],
            'disposed': ['connected'],
        }.get(state, [])
        leg = create_call_leg(
            self.env,
            {
                'server_id': self.server.id,
                'campaign_id': self.campaign.id,
                'user_id': self.agent_a.id,
                'crt_object_id': False if state in ('dialing', 'dial_failed') else self.new_crt(),
                'phone': '9740012345',
                **values,
                'state': path[0] if path else state,
            },
        )
        for step in path[1:] + [state]:
            if leg.state != step:
                leg._ameyo_update_state(step)
        self.assertEqual(leg.state, state)
        return leg

    def test_every_allowed_transition_writes_its_state_and_times(self):
        self.assertEqual(set(STATE_TRANSITIONS), {state for state, _label in CALL_STATES})
        self.assertEqual(set(STATE_PROGRESS), set(STATE_TRANSITIONS))
        moves = [
            (source, target) for target, sources in STATE_TRANSITIONS.items() for source in sources
        ]
        self.assertEqual(len(moves), 21)
        for source, target in moves:
            with self.subTest(source=source, target=target), freeze_time(T0) as clock:
                if source is None:
                    self.assertIn(target, INITIAL_STATES)
                    leg = self.leg_in(target)
                else:
                    leg = self.leg_in(source)
                    before = {
                        name: leg[name]
                        for name in ('popped_at', 'connected_at', 'ended_at', 'closed_at')
                    }
                    clock.tick(timedelta(seconds=30))
                    moved = leg._ameyo_update_state(target)
                    if source != target:
                        self.assertEqual(moved, leg)
                    # a stamp once written stays (the first pop, the first connect, the first close)
                    for name, value in before.items():
                        if value:
                            self.assertEqual(leg[name], value, name)
                self.assertEqual(leg.state, target)
                if target in ('preview', 'connected'):
                    self.assertTrue(leg.popped_at)
                if target == 'connected':
                    self.assertTrue(leg.connected_at)
                if target in ('disposed', 'dial_failed', 'ended'):
                    self.assertTrue(leg.closed_at)
                if target == 'disposed':
                    self.assertTrue(leg.disposed_at)
                if leg.connected_at and target not in ('preview', 'connected'):
                    # the talk ended when the leg left its live state, and the measures were written
                    # with it
                    self.assertTrue(leg.ended_at)
                    self.assertEqual(
                        leg.talk_seconds, int((leg.ended_at - leg.connected_at).total_seconds())
                    )
                    self.assertEqual(leg.talk_seconds_avg, leg.talk_seconds)

    def test_measures_are_written_by_the_transition_and_rewritten_by_ameyos_end(self):
        with freeze_time(T0) as clock:
            leg = self.leg_in('connected')
            clock.tick(timedelta(seconds=100))
            leg._ameyo_update_state('dispose_pending', outcome_saved=True)
            self.assertRecordValues(
                leg,
                [
                    {
                        'ended_at': T0 + timedelta(seconds=100),
                        'talk_seconds': 100,
                        'odoo_dispose_seconds': 100,
                        'wrap_seconds': 0,
                    }
                ],
            )
            clock.tick(timedelta(seconds=20))
            # Ameyo's dispose URL says the talk ended at 90 s: the same place rewrites the end and
            # the measures
            leg._ameyo_update_state('disposed', ended_at=T0 + timedelta(seconds=90))
        self.assertRecordValues(
            leg,
            [
                {
                    'state': 'disposed',
                    'ended_at': T0 + timedelta(seconds=90),
                    'closed_at': T0 + timedelta(seconds=120),
                    'talk_seconds': 90,
                    'wrap_seconds': 30,
                    'wrap_seconds_avg': 30,
                    'odoo_dispose_seconds': 100,
                }
            ],
        )

    def test_the_pops_end_of_earlier_legs_writes_what_the_orm_writes(self):
        """The pop ends the agent's earlier legs untracked, in one SQL statement with their
        recordings (``_ameyo_write_ended``); a tracked move to ended goes through the ORM. Both
        write the same row: the state, times and measures, the stored fields computed from them, the
        recording a connected leg expects."""
        with freeze_time(T0) as clock:
            legs = {
                kind: self.leg_in('connected') | self.leg_in('preview') for kind in ('orm', 'pop')
            }
            clock.tick(timedelta(seconds=42))
            legs['orm']._ameyo_update_state('ended')
            # the legs, their recordings, the stored computes: one statement
            with self.assertQueryCount(1):
                moved = legs['pop'].with_context(mail_notrack=True)._ameyo_update_state('ended')
        self.assertEqual(moved, legs['pop'])
        names = [
            'state',
            'popped_at',
            'connected_at',
            'ended_at',
            'closed_at',
            'talk_seconds',
            'talk_seconds_avg',
            'wrap_seconds',
            'wrap_seconds_avg',
            'odoo_dispose_seconds',
            'ended_undisposed',
            'attention_due_at',
            'recording_state',
            'phase',
            'attention_reason',
        ]
        for orm_leg, pop_leg in zip(legs['orm'], legs['pop'], strict=True):
            with self.subTest(leg=orm_leg.connected_at and 'connected' or 'preview'):
                expected = orm_leg.read(names)[0]
                self.assertEqual(pop_leg.read(names)[0], {**expected, 'id': pop_leg.id})
                self.assertEqual(bool(pop_leg.recording_id), bool(orm_leg.connected_at))
                self.assertEqual(
                    [
                        dict(values, id=0)
                        for values in pop_leg.recording_id.read(['state', 'next_try', 'company_id'])
                    ],
                    [
                        dict(values, id=0)
                        for values in orm_leg.recording_id.read(['state', 'next_try', 'company_id'])
                    ],
                )
        self.assertEqual(legs['pop'][0].recording_id.call_id, legs['pop'][0])
        # the campaign's outcome is Odoo's to record
        self.assertTrue(legs['pop'][0].ended_undisposed)

    def test_the_pops_end_of_earlier_legs_leaves_no_computed_field_stale(self):
        """``_ameyo_write_ended`` writes in SQL what the ORM would compute from the fields it
        writes: a stored field computed from them that it does not write would be left stale, and a
        field outside the leg reading them would keep a stale cache (only the legs' is invalidated).
        Add it there if this fails."""
        Call = self.env['ameyo.call']
        written = {'state', 'recording_id', *ENDED_WRITE_FIELDS}
        computed_there = {'ended_undisposed', 'attention_due_at', 'recording_state'}
        for name in sorted(written):
            for field in self.env.registry.get_dependent_fields(Call._fields[name]):
                with self.subTest(field=name, dependent=str(field)):
                    self.assertEqual(field.model_name, 'ameyo.call')
                    if field.store:
                        self.assertIn(field.name, written | computed_there)

    def test_replays_are_skipped_and_logged(self):
        leg = self.leg_in('disposed', disposition_code='Sale')
        disposed_at, messages = leg.disposed_at, len(leg.message_ids)
        for target in (
            'connected',
            'preview',
            'ended',
            'dispose_pending',
            'dispose_failed',
            'disposed',
        ):
            with self.subTest(target=target), self.capture_every_log() as logs:
                self.assertFalse(
                    leg._ameyo_update_state(target, {'disposition_code': 'Other'}, message='x')
                )
            self.assertTrue(
                any(
                    f'is disposed: a move to {target} is a replay, skipped' in line
                    for line in logs.output
                ),
                logs.output,
            )
        self.assertRecordValues(
            leg, [{'state': 'disposed', 'disposition_code': 'Sale', 'disposed_at': disposed_at}]
        )
        self.assertEqual(len(leg.message_ids), messages)
        # the same customer URL thrown twice: one leg, connected once, no error
        self.authenticate('t_agent_a', 't_agent_a')
        params = self.pop_params()
        first = self.assertPops(self.throw(**params))
        connected_at = first.connected_at
        self.assertEqual(self.assertPops(self.throw(**params)), first)
        self.assertEqual((first.state, first.connected_at), ('connected', connected_at))
        # Ameyo's dispose URL after a dual-entry save: a replay, the agent's outcome stays
        self.campaign.dispose_mode = 'dual'
        first.with_user(self.agent_a)._ameyo_save_outcome(self.disposition, 'Saved in Odoo')
        self.assertEqual(first.state, 'disposed')
        with self.capture_every_log() as logs:
            response = self.throw('dispose', **params, dispositionCode='Not Interested')
        self.assertTrue(
            any(
                'is disposed: a move to disposed is a replay, skipped' in line
                for line in logs.output
            )
        )
        self.assertEqual(response.status_code, 200)
        self.assertRecordValues(
            first,
            [
                {
                    'state': 'disposed',
                    'disposition_code': self.disposition.code,
                    'notes': 'Saved in Odoo',
                }
            ],
        )
        # what only Ameyo's URL says still lands on the replayed leg: its end of the talk, the
        # callback it planned
        self.throw(
            'dispose',
            **params,
            dispositionCode='Callback',
            callEndTime=(first.connected_at + timedelta(seconds=42)).strftime(
                '%Y-%m-%d %H:%M:%S +0000'
            ),
            dispositionAttribute='after-01-00-0000 02:30:00',
            selfCallback='true',
        )
        self.assertRecordValues(
            first,
            [
                {
                    'state': 'disposed',
                    'disposition_code': self.disposition.code,
                    'ended_at': first.connected_at + timedelta(seconds=42),
                    'talk_seconds': 42,
                    'callback_by_ameyo': True,
                }
            ],
        )
        self.assertTrue(first.callback_activity_id)

    def test_a_dial_attempt_becomes_a_call_whichever_url_comes_first(self):
        """Ameyo's answer to the dial may name the call already; its first URL may be the customer
        URL or the dispose URL: the attempt is adopted, a call (counted once, given by Ameyo), never
        refused."""
        self.authenticate('t_agent_a', 't_agent_a')
        for event in ('customer', 'dispose'):
            with self.subTest(event=event):
                crt = self.new_crt()
                attempt = self.leg_in(
                    'dialing',
                    crt_object_id=crt,
                    direction='outbound',
                    dial_requested_at=fields.Datetime.now(),
                    ameyo_assigned=False,
                )
                params = dict(self.pop_params(crt=crt), phone=attempt.phone)
                if event == 'dispose':
                    params['dispositionCode'] = 'Sale'
                response = self.throw(event, **params)
                self.assertLess(response.status_code, 400, response.text[:500])
                self.assertRecordValues(
                    attempt,
                    [
                        {
                            'state': 'connected' if event == 'customer' else 'disposed',
                            'call_unit': 1,
                            'ameyo_assigned': True,
                        }
                    ],
                )
                self.assertTrue(attempt.connected_at)

    def test_the_agents_saves_are_never_lost_as_replays(self):
        # forced mode: Ameyo ended the call (the agent's next pop) before the agent saved: the save
        # is stamped
        self.campaign.dispose_mode = 'forced'
        leg = self.leg_in('ended')
        leg.with_user(self.agent_a)._ameyo_save_outcome(self.disposition, 'Late notes')
        self.assertTrue(leg.dispose_saved_at)
        self.assertEqual((leg.state, leg.notes), ('ended', 'Late notes'))
        # a dial attempt is not a call: nothing to dispose
        attempt = self.leg_in('dial_failed')
        with self.assertRaisesRegex(UserError, 'dial attempt'):
            attempt.with_user(self.agent_a)._ameyo_save_outcome(self.disposition, 'x')

    def test_contradictions_are_refused(self):
        for source, target in (
            ('connected', 'dispose_failed'),
            ('dialing', 'disposed'),
            ('dialing', 'ended'),
            ('preview', 'dial_failed'),
        ):
            with self.subTest(source=source, target=target):
                leg = self.leg_in(source)
                with self.assertRaisesRegex(UserError, 'it cannot become'):
                    leg._ameyo_update_state(target)
                self.assertEqual(leg.state, source)
        with self.assertRaises(ValueError):
            self.env['ameyo.call']._ameyo_create_leg(
                {'server_id': self.server.id, 'crt_object_id': 'x'}, 'disposed'
            )

    def test_nobody_sets_a_state_by_hand(self):
        leg = self.leg_in('connected')
        # a manager over RPC (the web client's call_kw), on a write and on a create
        cookies = self._login_cookies('t_manager')
        answer = self._call_kw('ameyo.call', 'write', [[leg.id], {'state': 'disposed'}], cookies)
        self.assertEqual(
            answer.get('error', {}).get('data', {}).get('name'), 'odoo.exceptions.UserError', answer
        )
        answer = self._call_kw(
            'ameyo.call',
            'create',
            [{'server_id': self.server.id, 'crt_object_id': 'by-hand', 'state': 'disposed'}],
            cookies,
        )
        self.assertEqual(
            answer.get('error', {}).get('data', {}).get('name'), 'odoo.exceptions.UserError', answer
        )
        # nor a context key, nor the superuser
        with mute_logger('odoo.http'):
            for env in (
                self.env,
                self.env(context={'ameyo_transition': True, 'tracking_disable': True}),
            ):
                with self.assertRaisesRegex(UserError, 'cannot be set by hand'):
                    leg.with_env(env).sudo().write({'state': 'disposed'})
        self.assertEqual(leg.state, 'connected')
        self.assertFalse(self.env['ameyo.call'].search([('crt_object_id', '=', 'by-hand')]))
        # nor a leg without a state, nor a time or a measure apart from the events that give them
        answer = self._call_kw(
            'ameyo.call',
            'create',
            [{'server_id': self.server.id, 'crt_object_id': 'bare'}],
            cookies,
        )
        self.assertEqual(
            answer.get('error', {}).get('data', {}).get('name'), 'odoo.exceptions.UserError', answer
        )
        for values in ({'connected_at': '2026-01-01 10:00:00'}, {'talk_seconds': 3600}):
            answer = self._call_kw('ameyo.call', 'write', [[leg.id], values], cookies)
            self.assertEqual(
                answer.get('error', {}).get('data', {}).get('name'),
                'odoo.exceptions.UserError',
                answer,
            )
        self.assertEqual(leg.talk_seconds, 0)
        # the agent gets the access error of any field that is not theirs
        self.assertEqual(
            self._call_kw(
                'ameyo.call',
                'write',
                [[leg.id], {'state': 'ended'}],
                self._login_cookies('t_agent_a'),
            )['error']['data']['name'],
            'odoo.exceptions.AccessError',
        )


class TestCallComposition(AmeyoHttpCase):
    """The call leg is composed of parts that do not override each other, and nothing of the addon
    is a global override of one of Odoo's models' searches."""

    def addon_classes(self, model):
        return [
            cls
            for cls in type(self.env[model]).__mro__
            if cls.__module__.startswith('odoo.addons.crm_ameyo.')
        ]

    def test_no_method_of_the_addon_overrides_another_of_the_addon(self):
        for model in self.env.registry:
            classes = self.addon_classes(model)
            seen = {}
            for cls in classes:
                for name, member in vars(cls).items():
                    if not callable(member) and not isinstance(member, (staticmethod, classmethod)):
                        continue
                    if name.startswith('__') or name in ('pool', '_fields'):
                        continue
                    with self.subTest(model=model, method=name):
                        self.assertNotIn(
                            name,
                            seen,
                            f"{model}.{name} is defined in {seen.get(name)} and in "
                            f"{cls.__module__}",
                        )
                    seen[name] = cls.__module__

    def test_the_call_is_composed_of_named_mixins(self):
        mixins = {
            cls._name
            for cls in type(self.env['ameyo.call']).__mro__
            if cls.__module__.startswith('odoo.addons.crm_ameyo.') and cls._name != 'ameyo.call'
        }
        self.assertGreaterEqual(len(mixins), 7, mixins)
        for name in mixins:
            self.assertTrue(self.env[name]._abstract, name)
            self.assertTrue(name.endswith('.mixin'), name)

    def test_no_search_override_on_odoos_models(self):
        for model in ('ir.attachment', 'res.partner', 'crm.lead', 'res.users', 'mail.message'):
            for cls in self.addon_classes(model):
                self.assertNotIn(
                    '_search', vars(cls), f"{cls.__module__} overrides {model}._search"
                )

    def test_no_partial_class_needs_a_lint_exception(self):
        root = pathlib.Path(inspect.getfile(type(self.env['ameyo.call']))).parent.parent
        for path in root.glob('**/*.py'):
            if path.relative_to(root).parts[0] == 'tests':
                continue
            self.assertNotIn('consider-merging-classes-inherited', path.read_text(), path)

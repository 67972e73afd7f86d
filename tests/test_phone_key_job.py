"""Another number of phone-key digits in Settings: the save records it and triggers the job; the job
computes the new keys in batches while lookups keep the count in force, then puts the new count in
force with every key in one step; Settings says that it runs."""

import time

from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.crm_ameyo.tools.phone_key import phone_key

from .common import AmeyoHttpCase

CRON = 'crm_ameyo.ir_cron_ameyo_rewrite_phone_keys'
KEYS = (
    '9740031001',
    '9740031002',
    '9740031003',
    '9740031004',
    '740031001',
    '740031002',
    '740031003',
    '740031004',
    '612345678',
    '0612345678',
    '9740031005',
    '740031005',
)


@tagged('post_install', '-at_install')
class TestPhoneKeyJob(AmeyoHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_numbers(KEYS)
        cls.env['ir.config_parameter'].sudo().set_param('crm_ameyo.phone_key_digits', 10)

    def setUp(self):
        super().setUp()
        self.authenticate('t_agent_a', 't_agent_a')

    def save_digits(self, digits):
        self.env['res.config.settings'].create({'ameyo_phone_key_digits': digits}).execute()

    def settings_line(self):
        return self.env['res.config.settings'].create({}).ameyo_phone_key_job

    def job_pass(self, batch_size=1):
        """One run of the job whose time is up after its first batch, in a transaction of its own as
        the scheduler runs it; return its progress."""
        cron = self.env.ref(CRON)
        progress = self.env['ir.cron.progress'].create(
            {'cron_id': cron.id, 'remaining': 0, 'done': 0}
        )
        self.env.flush_all()
        with self.registry.cursor() as cr:
            self.env(cr=cr)['ameyo.phone.key.rewrite'].with_context(
                cron_id=cron.id,
                ir_cron_progress_id=progress.id,
                cron_end_time=time.monotonic(),
            )._cron_rewrite_phone_keys(batch_size=batch_size)
        self.env.invalidate_all()
        return progress

    def keyed_count(self):
        self.env.cr.execute(
            SQL("""SELECT (SELECT count(*) FROM res_partner WHERE phone IS NOT NULL)
                                        + (SELECT count(*) FROM crm_lead WHERE phone IS NOT NULL)
                                        + (SELECT count(*) FROM ameyo_call WHERE phone IS NOT
                                            NULL)""")
        )
        return self.env.cr.fetchone()[0]

    def test_keys_follow_the_setting_once_the_job_has_run(self):
        partner = self.env['res.partner'].create(
            {'name': 'Paris Caller', 'phone': '+33 6 12 34 56 78'}
        )
        lead = self.env['crm.lead'].create({'name': 'Paris lead', 'phone': '06 12 34 56 78'})
        leg = self.create_leg('CRT-KEY', self.agent_a, 'U-KEY', phone='0612345678')
        self.env['ameyo.phone.pick'].create(
            {'phone_key': leg.phone_key, 'res_model': 'res.partner', 'res_id': partner.id}
        )
        # 10 digits: +33 and the trunk 0 differ
        self.assertNotEqual(partner.ameyo_phone_key, leg.phone_key)
        triggers = self.env['ir.cron.trigger'].search_count(
            [('cron_id', '=', self.env.ref(CRON).id)]
        )
        self.save_digits(9)
        # the save only asks: the job is triggered, the keys and the picks stay until it has run
        self.assertEqual(
            self.env['ir.cron.trigger'].search_count([('cron_id', '=', self.env.ref(CRON).id)]),
            triggers + 1,
        )
        self.assertEqual(
            (partner.ameyo_phone_key, lead.ameyo_phone_key, leg.phone_key),
            ('3612345678', '0612345678', '0612345678'),
        )
        self.assertEqual(self.env['res.config.settings'].create({}).ameyo_phone_key_digits, 9)
        self.run_cron_job(CRON)
        self.assertEqual(
            {partner.ameyo_phone_key, lead.ameyo_phone_key, leg.phone_key}, {'612345678'}
        )
        self.assertFalse(self.env['ameyo.phone.pick'].search_count([('res_id', '=', partner.id)]))
        self.assertFalse(self.env['ameyo.phone.key.rewrite'].search_count([]))
        self.assertFalse(self.settings_line())
        self.assertEqual(self.env['res.config.settings'].create({}).ameyo_phone_key_digits, 9)
        # a record created now has a key of the new count
        self.assertEqual(
            self.env['res.partner']
            .create({'name': 'Later', 'phone': '+33 6 12 34 56 78'})
            .ameyo_phone_key,
            '612345678',
        )

    def test_a_pop_during_the_job_finds_the_caller_by_the_old_keys(self):
        Partner = self.env['res.partner']
        callers = Partner.create(
            [
                {'name': f'Job Caller {index}', 'phone': f'+91 97400 3100{index}'}
                for index in (1, 2, 3)
            ]
        )
        self.save_digits(9)
        self.assertEqual(
            self.settings_line(),
            "Phone keys are being recomputed for 9 digits: 0 of %s done. Until "
            "then, the caller lookup compares 10 digits." % self.keyed_count(),
        )
        # the job has computed the first key, not the others (its time was up)
        progress = self.job_pass()
        self.assertEqual((progress.done, progress.remaining), (1, self.keyed_count() - 1))
        self.assertEqual(self.env['ameyo.phone.key.rewrite'].search_count([]), 1)
        self.assertIn('1 of %s done' % self.keyed_count(), self.settings_line())
        # then the keys of every contact (one batch), not yet those of the leads and legs
        self.job_pass(batch_size=10**6)
        self.assertEqual(
            self.env['ameyo.phone.key.rewrite'].search_count([('res_id', 'in', callers.ids)]), 3
        )
        self.assertEqual(
            callers.mapped('ameyo_phone_key'), ['9740031001', '9740031002', '9740031003']
        )
        # every caller is found by the keys of 10 digits, through the pop's own URL
        for caller in callers:
            leg = self.assertPops(self.throw(phone=caller.phone.replace(' ', '')))
            self.assertEqual((leg.partner_id, leg.phone_key), (caller, caller.ameyo_phone_key))
        # a contact created during the job gets a key of the count in force, as its lookup expects
        late = Partner.create({'name': 'Job Caller 4', 'phone': '+91 97400 31004'})
        self.assertEqual(late.ameyo_phone_key, '9740031004')
        self.assertEqual(self.assertPops(self.throw(phone='9740031004')).partner_id, late)
        # a contact renumbered during the job, after its key was computed
        callers[0].phone = '+91 97400 31005'
        self.assertEqual(callers[0].ameyo_phone_key, '9740031005')
        self.run_cron_job(CRON)
        self.assertEqual(
            (*callers.mapped('ameyo_phone_key'), late.ameyo_phone_key),
            ('740031005', '740031002', '740031003', '740031004'),
        )
        legs = self.env['ameyo.call'].search([('partner_id', 'in', (callers | late).ids)])
        self.assertEqual(
            sorted(legs.mapped('phone_key')), ['740031001', '740031002', '740031003', '740031004']
        )
        # the new count in force: the next pop finds the callers by the new keys
        leg = self.assertPops(self.throw(phone='+919740031002'))
        self.assertEqual((leg.partner_id, leg.phone_key), (callers[1], '740031002'))

    def test_saving_the_count_in_force_cancels_the_job(self):
        partner = self.env['res.partner'].create({'name': 'Stays', 'phone': '+91 97400 31001'})
        self.save_digits(9)
        self.job_pass(batch_size=1000)
        self.assertTrue(self.env['ameyo.phone.key.rewrite'].search_count([]))
        self.save_digits(10)
        self.assertFalse(self.settings_line())
        self.assertEqual(self.env['res.config.settings'].create({}).ameyo_phone_key_digits, 10)
        self.run_cron_job(CRON)
        self.assertFalse(self.env['ameyo.phone.key.rewrite'].search_count([]))
        self.assertEqual(partner.ameyo_phone_key, '9740031001')

    def test_another_count_asked_during_the_job_replaces_it(self):
        partner = self.env['res.partner'].create({'name': 'Twice', 'phone': '+91 97400 31001'})
        self.save_digits(9)
        self.job_pass(batch_size=1000)
        self.save_digits(8)
        self.run_cron_job(CRON)
        self.assertEqual(partner.ameyo_phone_key, '40031001')
        self.assertEqual(self.env['res.config.settings'].create({}).ameyo_phone_key_digits, 8)

    def test_a_key_written_with_the_old_count_around_the_switch_is_corrected(self):
        """A request that read the old count before the switch committed and wrote after it: the
        check a while after the switch gives its record the key of the new count."""
        partner = self.env['res.partner'].create({'name': 'Racing', 'phone': '+91 97400 31001'})
        self.save_digits(9)
        self.run_cron_job(CRON)
        self.assertEqual(partner.ameyo_phone_key, '740031001')
        self.env.cr.execute(
            SQL("UPDATE res_partner SET ameyo_phone_key = '9740031001' WHERE id = %s", partner.id)
        )
        self.env.invalidate_all()
        Rewrite = self.env['ameyo.phone.key.rewrite']
        # too early: requests that read the old count may still write
        Rewrite._ameyo_verify_switch()
        self.assertEqual(partner.ameyo_phone_key, '9740031001')
        Rewrite._ameyo_verify_switch(force=True)
        self.assertEqual(partner.ameyo_phone_key, '740031001')
        self.assertFalse(
            self.env['ir.config_parameter']
            .sudo()
            .get_param('crm_ameyo.phone_key_digits_verify_since')
        )

    def test_the_keys_of_digits_of_another_script(self):
        self.assertEqual(phone_key('+91 ٩٧٤٠٠ ٣١٠٠١'), '9740031001')
        self.assertEqual(phone_key('+९१ ९७४०० ३१००१'), '9740031001')
        self.assertEqual(phone_key('0٠١٢٣٤'), '1234')

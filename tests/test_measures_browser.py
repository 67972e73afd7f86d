"""The supervisor's call analysis in headless Chromium: its default graph (calls by day and outcome)
and its pivot (by agent), Odoo's own views. Screenshots of both go to $CRM_AMEYO_SHOTS
(/tmp/shots-measures)."""

import base64
import os
import pathlib
import re
from ast import literal_eval
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser

from .common import AmeyoHttpCase, build_web_assets

# Poll for a selector and a check, give the chart's animation time to end, then report.
WAIT_THEN_SETTLE = """
const deadline = Date.now() + 20000;
(function wait() {
    const element = document.querySelector(%(selector)r);
    if (element && (%(check)s)) {
        setTimeout(() => console.log('test successful'), 1500);
    } else if (Date.now() > deadline) {
        console.error('not rendered: ' + %(selector)r);
    } else {
        setTimeout(wait, 100);
    }
})();
"""

SHOTS = pathlib.Path(os.environ.get('CRM_AMEYO_SHOTS', '/tmp/shots-measures'))


@tagged('post_install', '-at_install')
class TestCallAnalysisBrowser(AmeyoHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        build_web_assets(cls.env)
        Disposition = cls.env['ameyo.disposition']
        dispositions = cls.disposition | Disposition.create(
            [
                {
                    'campaign_id': cls.campaign.id,
                    'code': 'Later',
                    'name': 'Call later',
                    'outcome': 'neutral',
                },
                {
                    'campaign_id': cls.campaign.id,
                    'code': 'No',
                    'name': 'Not interested',
                    'outcome': 'negative',
                },
            ]
        )
        cls.customer = cls.env['res.partner'].create({'name': 'Iyer Textiles', 'is_company': True})
        contact = cls.env['res.partner'].create(
            {'name': 'Meera Iyer', 'parent_id': cls.customer.id}
        )
        start = datetime.now().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(
            days=2
        )
        number = 0
        for day in range(3):
            for agent in (cls.agent_a, cls.agent_b):
                for disposition in dispositions[: 2 + (day + number) % 2]:
                    number += 1
                    popped = start + timedelta(days=day, minutes=7 * number)
                    cls.create_leg(
                        f'ANALYSIS-{number}',
                        agent,
                        f'U-{number}',
                        state='disposed',
                        disposition_id=disposition.id,
                        disposition_code=disposition.code,
                        popped_at=popped,
                        connected_at=popped,
                        ended_at=popped + timedelta(seconds=60 + 13 * number),
                        closed_at=popped + timedelta(seconds=90 + 17 * number),
                        partner_id=contact.id if number % 3 == 0 else False,
                        notes=f'Call {number}: asked about the gold plan',
                    )

    def shoot(self, url, selector, check, name):
        """Open ``url`` as the supervisor, wait for ``selector``, keep a screenshot of the page as
        ``name``."""
        original = ChromeBrowser._wait_code_ok

        def wait_then_shoot(browser, code, timeout, error_checker=None):
            original(browser, code, timeout, error_checker=error_checker)
            shot = browser._websocket_request('Page.captureScreenshot', params={'format': 'png'})
            SHOTS.mkdir(parents=True, exist_ok=True)
            (SHOTS / name).write_bytes(base64.b64decode(shot['data']))

        with patch.object(ChromeBrowser, '_wait_code_ok', wait_then_shoot):
            self.browser_js(
                url,
                WAIT_THEN_SETTLE % {'selector': selector, 'check': check},
                login=self.supervisor.login,
            )
        self.assertTrue((SHOTS / name).stat().st_size > 10000, name)

    def test_every_leg_has_a_day_and_averages_skip_legs_never_connected(self):
        """The graph groups on a day every leg has (a dial attempt that never connected has no pop:
        no "None" bar), and the analysis opens on connected calls (the averages of talk and wrap
        time are theirs)."""
        attempt = self.create_leg(
            False,
            self.agent_a,
            state='dial_failed',
            direction='outbound',
            dial_error='The number is on the do-not-call list.',
        )
        self.assertFalse(attempt.popped_at)
        arch = self.env['ameyo.call'].get_views(
            [(self.env.ref('crm_ameyo.ameyo_call_view_graph_report').id, 'graph')]
        )['views']['graph']['arch']
        day = re.search(r'<field name="(\w+)" interval="day"', arch).group(1)
        groups = self.env['ameyo.call'].formatted_read_group([], [f'{day}:day'], ['__count'])
        self.assertNotIn(False, [group[f'{day}:day'] for group in groups])
        action = self.env.ref('crm_ameyo.ameyo_call_action_report')
        self.assertEqual(literal_eval(action.context).get('search_default_connected'), 1)
        connected = self.env['ameyo.call'].search(
            literal_eval(
                self.env.ref('crm_ameyo.ameyo_call_view_search_measures')
                .arch.split('name="connected"')[1]
                .split('domain="')[1]
                .split('"')[0]
            )
        )
        self.assertNotIn(attempt, connected)
        self.assertTrue(connected)

    def test_supervisor_default_view_pivot_and_calls_button(self):
        """One test (the web client's assets are built once per test: a slow machine times out
        less)."""
        # the menu leads there: Contact Center > Reporting > Call Analysis, its first view a graph
        action = self.env.ref('crm_ameyo.ameyo_call_action_report')
        self.assertEqual(action.view_mode.split(',')[0], 'graph')
        self.shoot(
            '/odoo/ameyo-call-analysis',
            '.o_graph_view .o_graph_renderer canvas',
            "!document.querySelector('.o_view_sample_data') && "
            "document.querySelector('.o_graph_view .o_legend, .o_graph_view canvas') !== null",
            'call-analysis-graph.png',
        )
        # averages as minutes:seconds (never raw seconds), on connected calls by default
        self.shoot(
            '/odoo/ameyo-call-analysis?view_type=pivot',
            '.o_pivot table',
            "(element.textContent.includes('t_agent_a') || "
            "element.textContent.includes('T_agent_a') || element.querySelectorAll('tbody "
            "tr').length >= 3) && element.querySelector('thead').textContent.includes('Average "
            "Talk Time') && !element.querySelector('thead').textContent.includes('(s)') "
            "&& [...element.querySelectorAll('tbody td.o_pivot_cell_value')].some("
            "    cell => /^\\d+:\\d\\d$/.test(cell.textContent.trim())) "
            "&& ![...element.querySelectorAll('tbody td.o_pivot_cell_value')].some("
            "    cell => /^\\d{3,}$/.test(cell.textContent.trim())) "
            "&& [...document.querySelectorAll('.o_searchview_facet')].some("
            "    facet => facet.textContent.includes('Connected'))",
            'call-analysis-pivot.png',
        )
        # the company's Calls button counts its contact's calls and opens them
        self.assertEqual(self.customer.ameyo_call_count, 4)
        self.shoot(
            f'/odoo/contacts/{self.customer.id}',
            'button[name=action_ameyo_view_calls]',
            "element.textContent.includes('4') && element.textContent.includes('Calls')",
            'company-calls-button.png',
        )
        action = self.customer.action_ameyo_view_calls()
        self.assertEqual(len(self.env['ameyo.call'].search(action['domain'])), 4)

"""The addon's JavaScript unit tests (hoot, Odoo 19's test framework: static/tests/*.test.js, in the
``web.assets_unit_tests`` bundle), run in headless Chromium on Odoo's own test page, as web's
``tests/test_js.py`` runs web's. Only this addon's suites run (``@crm_ameyo``). Hoot logs each
test's outcome in the browser's console, which this test logs: scripts/test.sh counts each hoot test
from those lines, besides this test itself."""

import pathlib

from odoo.tests import HttpCase, no_retry, tagged

from odoo.addons.web.tests import test_js

STATIC_TESTS = pathlib.Path(__file__).parent.parent / 'static' / 'tests'
# Hoot's filter on a suite: the hash of its full name, as web's tests compute it
SUITE = '@crm_ameyo'


@tagged('post_install', '-at_install')
class TestJsUnits(HttpCase):
    @no_retry
    def test_hoot(self):
        """Every hoot test of the addon passes (one failing test fails this one; each is logged,
        then counted by scripts/test.sh: ``[HOOT] Test "@crm_ameyo/..." passed`` or ``failed``)."""
        self.assertTrue(list(STATIC_TESTS.glob('*.test.js')), "no hoot test file in static/tests")
        # the page's bundles built before the browser asks (built in its request, they may hold the
        # test cursor long enough for its other requests to give up, on a busy machine)
        for name in ('web.assets_unit_tests_setup', 'web.assets_unit_tests'):
            bundle = self.env['ir.qweb']._get_asset_bundle(name)
            bundle.js()
            bundle.css()
        # a helper that reads no state
        suite = test_js.HOOTCommon._generate_hash(None, SUITE)  # noqa: SLF001
        self.browser_js(
            f'/web/tests?headless&loglevel=2&preset=desktop&timeout=15000&id={suite}',
            '',
            '',
            login='admin',
            timeout=900,
            success_signal='[HOOT] Test suite succeeded',
            error_checker=test_js.unit_test_error_checker,
        )

    def test_no_test_is_focused(self):
        """No hoot test of the addon runs alone (``test.only``, ``describe.debug``...): the others
        would be skipped, and counted as nothing."""
        for path in STATIC_TESTS.glob('*.test.js'):
            self.assertFalse(test_js.RE_FORBIDDEN_STATEMENTS.search(path.read_text()), path.name)

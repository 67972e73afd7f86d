"""Every test module of the addon is imported by the tests package: Odoo's own runner runs only
those (pytest-odoo collects the files itself, so a module missing from ``tests/__init__.py`` passed
there and was never run by ``odoo-bin --test-tags``)."""

import ast
import pathlib

from odoo.tests import BaseCase, tagged

TESTS = pathlib.Path(__file__).parent


def imported_modules(source):
    """The submodules an ``__init__.py`` of ``source`` imports (``from . import name``): read from
    the text, not from ``sys.modules``, where a runner that collects the files itself has put them
    all already."""
    return {
        alias.name
        for node in ast.parse(source).body
        if isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module
        for alias in node.names
    }


@tagged('post_install', '-at_install')
class TestTestModules(BaseCase):
    def test_every_test_module_is_imported(self):
        modules = {path.stem for path in TESTS.glob('test_*.py')}
        imported = imported_modules((TESTS / '__init__.py').read_text())
        self.assertEqual(
            modules - imported,
            set(),
            "test modules tests/__init__.py does not import: Odoo's runner never runs them",
        )
        self.assertEqual(
            imported - modules, set(), "tests/__init__.py imports modules that do not exist"
        )

    def test_a_forgotten_import_is_seen(self):
        source = (TESTS / '__init__.py').read_text()
        self.assertIn('test_attention', imported_modules(source))
        self.assertNotIn(
            'test_attention', imported_modules(source.replace('from . import test_attention\n', ''))
        )

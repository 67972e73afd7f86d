"""``python3 -m simulator serve|throw`` (from the addon's folder): see simulator/cli.py."""

import sys

from .cli import main

sys.exit(main())

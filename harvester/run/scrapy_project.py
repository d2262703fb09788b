"""Settings for plain ``scrapy crawl <name>`` from the repo root (see ``scrapy.cfg``).

The same assembly as ``harvester run`` (:mod:`harvester.run.assembly`: credentials,
refused-login record, window, the database's run lock, preflight, the gate), the
configuration from ``config/harvester.toml`` (or ``$HARVESTER_CONFIG``) and credentials
from the environment. A run that may not start prints one line and exits with its code.
The run is recorded in the database like any other; the PACER session is logged out
when the spider goes idle.
"""

from __future__ import annotations

import os

from harvester.config import load
from harvester.run.standalone import settings_or_exit

globals().update(settings_or_exit(lambda: load(os.environ.get("HARVESTER_CONFIG"))))

"""Settings for plain ``scrapy crawl <name>`` from the repo root (see ``scrapy.cfg``).

The same settings builder as ``harvester run`` (the gate is always installed), the
configuration from ``config/harvester.toml`` (or ``$HARVESTER_CONFIG``) and credentials
from the environment. The run is recorded in the database like any other; the PACER
session is logged out when the spider goes idle.
"""

from __future__ import annotations

import os

from harvester.config import load
from harvester.run.standalone import standalone_settings

globals().update(standalone_settings(load(os.environ.get("HARVESTER_CONFIG"))))

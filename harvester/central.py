"""PACER's time zone, one object for the whole program: Central time (America/Chicago).

A pytz zone, because APScheduler's triggers (the window, the daemon) take one. Make
Central datetimes with ``CENTRAL.localize(naive)`` or ``aware.astimezone(CENTRAL)``,
never with ``tzinfo=CENTRAL`` (a pytz zone attached that way has its LMT offset, -5:51).
"""

from __future__ import annotations

import pytz

CENTRAL = pytz.timezone("America/Chicago")

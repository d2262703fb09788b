"""Ends the run's PACER session (through the gate, like every request)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy


class LogoutSpider(scrapy.Spider):
    name = "logout"

    async def start(self) -> AsyncIterator[Any]:
        session = self.crawler.settings.get("PACER_SESSION")
        if session is not None:
            await session.logout(self.crawler)
        return
        yield  # an async generator that yields nothing

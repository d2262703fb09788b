"""PACER/CM/ECF harvester: parsers, a sandbox court, a gated Scrapy harvest into SQLite."""

__version__ = "0.1.0"

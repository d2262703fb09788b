"""The harvest's Scrapy spiders: small and declarative.

Parsing lives in ``harvester.parsers``, storing in ``harvester.run.pipelines``, login and
the gate in downloader middlewares. Run them through ``harvester run``, or as plain
``scrapy crawl <name>`` from the repo root (``scrapy.cfg``).
"""

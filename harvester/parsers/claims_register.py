"""Placeholder until helper H2 lands the claims-register parser (the lead's stopgap)."""

from ..errors import ParseError


def parse(data: bytes, court_id: str | None = None) -> dict:
    raise ParseError("claims registers are not parsed yet")

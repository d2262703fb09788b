"""The secrets this process knows, and masking them out of any text.

Apart from :mod:`harvester.logs` (which re-exports these) so that the errors every
command imports do not load :mod:`logging` and :mod:`pathlib`: a fifth of the
start-up of ``harvester parse``.
"""

from __future__ import annotations

__all__ = ["MASK", "has_secrets", "mask", "mask_any", "register_secret"]

MASK = "********"
# Every secret this process knows (password, TOTP secret, session tokens); see register_secret.
_SECRETS: set[str] = set()


def register_secret(value: str) -> None:
    """Mask ``value`` in every log record, message, database row and file from now on."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def has_secrets() -> bool:
    """Whether any secret was registered (masking is then a no-op)."""
    return bool(_SECRETS)


def mask(text: str) -> str:
    """``text`` with every registered secret value replaced by the mask (longest first)."""
    for value in sorted(_SECRETS, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return text


def mask_any(value: object) -> object:
    """Strings masked, and the strings inside lists and dicts (for JSON columns)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {mask_any(k): mask_any(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_any(v) for v in value]
    return value

"""Exceptions that carry a message meant for the user, never a secret, and the exit codes."""

from harvester.masking import mask

# Exit codes a cron wrapper can act on (documented in docs/operations.md).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_OUTSIDE_WINDOW = 3
EXIT_BUDGET = 4
EXIT_LOGIN = 5
EXIT_LOCKED = 6
EXIT_INTERRUPTED = 7
EXIT_PARTIAL = 8
EXIT_TLS = 9


class HarvesterError(Exception):
    """Base class: the CLI prints its message and exits with ``exit_code``.

    The message is masked when the error is made: a server that echoes the password
    in its error text cannot carry it into an exception, a log or the terminal.
    """

    exit_code = EXIT_FAILED

    def __init__(self, *args: object) -> None:
        super().__init__(*(mask(a) if isinstance(a, str) else a for a in args))


class ParseError(HarvesterError):
    """A page could not be parsed as what it claims to be; the message says why.

    ``kind`` names what the page turned out to be when that is known
    ("login_page", "not_docket", ...); ``harvester parse`` reports it.
    """

    def __init__(self, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class ConfigError(HarvesterError):
    """A bad configuration key, value or file."""

    exit_code = EXIT_CONFIG


class LoginFailed(HarvesterError):
    exit_code = EXIT_LOGIN


class LoginTLSRefused(LoginFailed):
    """The login service's TLS was refused (old protocol, bad certificate): not the credentials."""

    exit_code = EXIT_TLS


class LockHeld(HarvesterError):
    """Another run holds the lock."""

    exit_code = EXIT_LOCKED

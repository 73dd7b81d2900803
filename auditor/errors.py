"""The one exception tree of Safeguard Auditor.

SDK exceptions never leave an adapter: each adapter translates them here at its
boundary with ``raise X(...) from exc``. The CLI maps the top classes to exit codes.
"""

from __future__ import annotations

from collections.abc import Callable


class AuditorError(Exception):
    """Base of every error the tool raises on purpose."""


# --- bad input: exit code 2 -------------------------------------------------


ROOT_PATH = "$"  # the whole document, or no document at all (a flag): never printed


def located(source: str, path: str, reason: str) -> str:
    """``SOURCE: PATH: REASON``, or ``SOURCE: REASON`` when there is no path below the root
    (a flag, a file that is not there): a bare ``$`` tells the reader nothing."""
    return f"{source}: {reason}" if path in ("", ROOT_PATH) else f"{source}: {path}: {reason}"


class InputError(AuditorError):
    """A file, flag or document the user gave is not usable.

    Rendered as one line: ``FILE: PATH: REASON`` (``FILE: REASON`` without a JSON path).
    """

    def __init__(self, source: str, path: str, reason: str) -> None:
        self.source = source
        self.path = path or ROOT_PATH
        self.reason = reason
        super().__init__(located(source, self.path, reason))


class InventoryError(InputError):
    """An inventory document is malformed."""


class ReportInputError(InputError):
    """A saved report document is malformed."""


class CheckDefinitionError(InputError):
    """A check YAML file is malformed."""


class ClaimDefinitionError(InputError):
    """A claims/ file (the promise ledger) is malformed or names what does not exist."""


class ConfigError(InputError):
    """A config file or mutelist is malformed."""


class UsageError(InputError):
    """A flag or argument is wrong."""


class OutputError(InputError):
    """An output file or directory cannot be written (the report set is left untouched)."""


# --- provider level: the provider as a whole could not be scanned ----------


class ProviderError(AuditorError):
    """A provider could not be collected at all (no credentials, no endpoint)."""

    def __init__(self, provider: str, reason: str) -> None:
        self.provider = provider
        self.reason = reason
        super().__init__(f"{provider}: {reason}")

    def redact(self, scrub: Callable[[str], str]) -> ProviderError:
        """Scrub the reason in place (the class, and so the exit code, is kept)."""
        self.reason = scrub(self.reason)
        self.args = (f"{self.provider}: {self.reason}",)
        return self


class CredentialsError(ProviderError):
    """No usable credentials were found for the provider."""


class EndpointError(ProviderError):
    """The provider endpoint could not be reached."""


class UnknownProviderError(AuditorError):
    """No adapter is registered under that name."""


class PluginError(AuditorError):
    """A registered plugin does not satisfy its contract."""


# --- one API call: becomes a fact state, never a value ---------------------


class CallError(AuditorError):
    """One translated SDK call failure.

    ``operation`` is the API operation (``s3:GetBucketPolicy``); ``code`` the
    provider's error code. Messages never carry credentials.
    """

    def __init__(self, operation: str, code: str, message: str = "") -> None:
        self.operation = operation
        self.code = code
        self.message = message
        super().__init__(self._text())

    def _text(self) -> str:
        return f"{self.operation}: {self.code}" + (f": {self.message}" if self.message else "")

    def redact(self, code: Callable[[str], str], message: Callable[[str], str]) -> CallError:
        """Scrub code and message in place (the class, and so the fact state, is kept)."""
        self.code = code(self.code)
        self.message = message(self.message) if self.message else self.message
        self.args = (self._text(),)
        return self


class AccessDenied(CallError):
    """The caller is not allowed to make this call: the fact becomes ``denied``."""


class NotConfigured(CallError):
    """The API answered that the setting is absent: an observed "not configured"."""


class NotFound(CallError):
    """The resource named in the call does not exist."""


class Throttled(CallError):
    """Rate limited; retried inside the adapter."""


class ServiceError(CallError):
    """The call failed (5xx, network, unparsable answer) after retries: ``error``."""


class MalformedAnswer(ServiceError):
    """A 200 answer that is not what the API reference documents (missing element, wrong
    type, unparsable body): the facts it would have given are ``error``, never a guess."""


class ListingIncomplete(ServiceError):
    """A listing that could not be followed to its end (truncated without a marker, a marker
    that repeats, the page budget spent): what was listed is kept, the rest is a gap."""


"""Defaults shared by the CLI, the pipeline and the adapters (import-light: no SDK, no yaml)."""

DEFAULT_MAX_WORKERS = 16

# One retry policy for every adapter (auditor.providers._runtime.RetryPolicy): the SDKs' own
# retries are switched off, so these alone decide how often a call is tried.
DEFAULT_RETRY_ATTEMPTS = 4  # counts the first try
DEFAULT_RETRY_BASE_DELAY = 0.25  # seconds before the second try; doubled per try, jittered
DEFAULT_RETRY_MAX_DELAY = 5.0  # seconds, cap of one backoff pause

# Hard bound of one listing (auditor.providers._runtime.PageGuard): a listing that needs more
# pages than this is recorded as incomplete instead of looping.
DEFAULT_PAGE_BUDGET = 10_000

# Connect and read bound of one SDK call, in seconds (CollectRequest.timeout, --timeout).
DEFAULT_CALL_TIMEOUT = 30.0

# Accounts (or projects) collected at once in a multi-account scan (--max-accounts), apart
# from DEFAULT_MAX_WORKERS, which bounds the API calls within one account.
DEFAULT_MAX_ACCOUNTS = 4

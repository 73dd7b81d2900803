"""Credentials never leave a provider run: every message is scrubbed by value and by shape.

A :class:`Scrubber` belongs to one provider run (the ApiLedger holds it). The adapter's session
hands it the credential values it resolved (``add``), including those a refreshing provider
fetches later; every translated SDK failure, provider-level failure, recorded run error and
fact detail passes through it. Values are removed in the forms an echo may carry them in
(raw, URL-encoded, JSON/XML-escaped, base64 at any alignment); shapes (key ids, tokens,
signatures, Authorization values, private keys) are removed whoever's they are.
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import quote, quote_plus

from auditor.errors import CallError, ProviderError
from auditor.model import ProviderRun, Resource

REDACTED = "***"
# Shorter values are placeholders (moto's "testing"); blanking them would blank ordinary words.
MIN_SECRET_LENGTH = 8
# A message cut before it was scrubbed may end in the first characters of a secret.
MIN_TAIL_LENGTH = 8
# A base64 fragment this short is not worth matching (it could occur by chance).
MIN_BASE64_CORE = 10
MESSAGE_LIMIT = 500
CODE_LIMIT = 120

_KEYED_NAMES = (
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token",
    "x-amz-security-token", "x-amz-credential", "x-amz-signature", "awsaccesskeyid",
    "x-oss-security-token", "x-oss-credential", "x-oss-signature", "ossaccesskeyid",
    "x-acs-security-token", "security-token", "accesskeyid", "accesskeysecret",
    "access_key_id", "access_key_secret", "secretaccesskey", "secret_access_key", "secret_key",
    "sessiontoken", "session_token", "securitytoken", "security_token",
    "x-goog-signature", "x-goog-credential", "signatureprovided", "signature", "credential",
    "client_secret", "refresh_token", "access_token", "id_token", "private_key_id",
    "private_key", "password", "token",
)
_QUOTE = r"(?>(?:b?[\"'])?)"  # atomic: a redacted b'***' is never taken apart again

# (name, hints, pattern, replacement), applied in this order, each on what the previous
# left. A rule runs only when one of its lowercase hints occurs: most details hold none, and
# every fact detail of a run passes here.
_TOKEN_SHAPES = (
    r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA)[A-Z0-9]{12,}\b",  # AWS key ids
    r"\b(?:FwoGZXIvYXdz|FQoGZXIvYXdz|IQoJb3JpZ2lu)[A-Za-z0-9+/=%]{16,}",  # AWS session tokens
    r"\b(?:LTAI[0-9A-Za-z]{12,30}|STS\.[0-9A-Za-z]{16,64})\b",  # Alibaba key ids
    r"\bCAIS[A-Za-z0-9+/=%]{20,}",  # Alibaba STS security tokens
    r"\bya29\.[\w.~+/=-]+",  # Google OAuth access tokens
    r"\b1//0[\w-]{20,}",  # Google refresh tokens
    r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*",  # JWTs (id tokens, signed assertions)
)
_TOKEN_HINTS = ("akia", "asia", "abia", "acca", "agpa", "aida", "aroa", "fwogzxiv", "fqogzxiv",
                "iqojb3jp", "ltai", "sts.", "cais", "ya29.", "1//0", "eyj")
SHAPES: tuple[tuple[str, tuple[str, ...], re.Pattern[str], str], ...] = (
    ("pem private key", ("private key",), re.compile(
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\Z)",
        re.S), REDACTED),
    # Error bodies that quote what was signed (S3, OSS SignatureDoesNotMatch).
    ("xml credential element", ("</",), re.compile(
        r"<(SignatureProvided|StringToSign(?:Bytes)?|CanonicalRequest(?:Bytes)?|AWSAccessKeyId"
        r"|OSSAccessKeyId|AccessKeyId|AccessKeySecret|SecretAccessKey|SessionToken"
        r"|SecurityToken)>[^<]*</\1>"), r"<\1>" + REDACTED + r"</\1>"),
    # The whole header value, up to a quote, a line end or the next "Name: " of an echo.
    ("authorization header", ("authorization",), re.compile(
        r"(\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*" + _QUOTE + r")"
        r"[^\"'\r\n<>]*?(?=[\"'\r\n<>]|\s+[A-Za-z][\w-]*\s*:\s|\Z)", re.I), r"\1" + REDACTED),
    ("auth scheme", ("bearer", "basic", "negotiate"),
     re.compile(r"\b(Bearer|Basic|Negotiate)\s+[\w.~+/=-]{8,}", re.I), r"\1 " + REDACTED),
    ("v1 signature", tuple(f"{p}{w}" for p in ("aws", "oss") for w in " \t\r\n"),
     re.compile(r"\b(AWS|OSS)\s+[\w.]{8,}:[A-Za-z0-9+/=]{16,}"), r"\1 " + REDACTED),
    # The hints are parts of every name; the lookahead keeps the name alternation off words
    # not followed by ':' or '='.
    ("keyed value", ("token", "secret", "signature", "credential", "password", "private_key",
                     "keyid", "key_id"), re.compile(
        r"(\b(?=[\w-]+[\"']?\s*[:=])(?:" + "|".join(re.escape(n) for n in _KEYED_NAMES)
        + r")[\"']?\s*[:=]\s*" + _QUOTE + r")(?![*]{3})[^\s\"'&,;<>]+", re.I),
     r"\1" + REDACTED),
    ("token", _TOKEN_HINTS, re.compile("|".join(f"(?:{p})" for p in _TOKEN_SHAPES)), REDACTED),
)


def _base64_cores(raw: bytes) -> set[str]:
    """The base64 characters fixed by ``raw`` alone, at each of the three alignments it may
    take inside a longer encoded string (``id:secret`` in a Basic header, say)."""
    cores: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw + b"\0\0\0").decode()
        start, end = -(-8 * offset // 6), 8 * (offset + len(raw)) // 6
        core = encoded[start:end]
        if len(core) >= MIN_BASE64_CORE:
            cores.update({core, core.replace("+", "-").replace("/", "_")})
    return cores


def forms(value: str) -> set[str]:
    """``value`` as an echo may carry it: raw, URL-encoded, escaped, base64."""
    out = {value, quote(value, safe=""), quote_plus(value), quote(value),
           json.dumps(value)[1:-1], html.escape(value)}
    out |= _base64_cores(value.encode("utf-8"))
    return {form for form in out if len(form) >= MIN_SECRET_LENGTH}


def one_line(text: object) -> str:
    return " ".join(str(text).split())


class Scrubber:
    """The credentials of one provider run and the shapes of anyone's. Thread-safe."""

    def __init__(self, *values: str | bytes | None) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._known: _Needles | None = None  # rebuilt, never mutated: readers take no lock
        self.add(*values)

    def add(self, *values: str | bytes | None) -> None:
        """Remember credential values in use (ids, secrets, tokens, keys). A multi-line value
        (a PEM key) is remembered line by line too, since an echo may quote one line."""
        fresh: set[str] = set()
        for value in values:
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            if not isinstance(value, str):
                continue
            parts = [value, *value.splitlines(), *(value.split("\\n") if "\\n" in value else ())]
            fresh.update(p.strip() for p in parts if len(p.strip()) >= MIN_SECRET_LENGTH)
        if not fresh or fresh <= self._values:
            return
        with self._lock:
            self._values = self._values | fresh  # rebound, never mutated: readers take no lock
            self._known = _Needles(set().union(*(forms(v) for v in self._values)))

    def __len__(self) -> int:
        return len(self._values)

    def scrub(self, text: object) -> str:
        """``text`` without the run's credentials (any form) nor anything credential-shaped."""
        text = "" if text is None else str(text)
        known = self._known
        if known is not None:
            text = known.cut_tail(known.pattern.sub(REDACTED, text))
        return _shapes(text)

    __call__ = scrub

    def line(self, text: object, limit: int = MESSAGE_LIMIT) -> str:
        """One scrubbed line of at most ``limit`` characters (cut after scrubbing, so a cut
        never leaves the start of a secret)."""
        return _bounded(one_line(self.scrub(text)), limit)

    def call_error(self, error: CallError) -> CallError:
        """The same error, its code and message scrubbed (in place: the class is kept)."""
        return error.redact(lambda code: self.line(code, CODE_LIMIT), self.line)

    def provider_error(self, error: ProviderError) -> ProviderError:
        return error.redact(self.line)

    def run(self, run: ProviderRun) -> ProviderRun:
        for item in run.errors:
            item.code = self.line(item.code, CODE_LIMIT)
            item.message = self.line(item.message)
        return run

    def resources(self, resources: Iterable[Resource]) -> None:
        """Every fact detail scrubbed, in place (values are observations: never touched)."""
        seen: dict[str, str] = {}  # details repeat across resources
        for resource in resources:
            for path, fact in resource.facts.items():
                if fact.detail:
                    clean = seen.get(fact.detail)
                    if clean is None:
                        clean = seen[fact.detail] = self.line(fact.detail)
                    if clean != fact.detail:
                        resource.facts[path] = replace(fact, detail=clean)


class _Needles:
    """Every form of the known values: one pattern for them, one for their first characters."""

    def __init__(self, needles: set[str]) -> None:
        ordered = sorted(needles, key=lambda n: (-len(n), n))  # longest first
        self.pattern = re.compile("|".join(re.escape(n) for n in ordered))
        self._long = [n for n in ordered if len(n) > MIN_TAIL_LENGTH]
        self._heads = re.compile("|".join(re.escape(n[:MIN_TAIL_LENGTH]) for n in self._long)) \
            if self._long else None
        self._longest = len(ordered[0]) if ordered else 0

    def cut_tail(self, text: str) -> str:
        """Redact the start of a value that ends ``text`` (before a trailing "..."): what is
        left when a message was cut before it reached a scrubber."""
        if self._heads is None:
            return text
        body = text.rstrip(" .\u2026")
        found = self._heads.search(body, max(0, len(body) - self._longest))
        while found is not None:
            rest = body[found.start():]
            if any(n.startswith(rest) for n in self._long):
                return text[:found.start()] + REDACTED + text[len(body):]
            found = self._heads.search(body, found.start() + 1)
        return text


def _shapes(text: str) -> str:
    low = text.lower()
    for _name, hints, shape, replacement in SHAPES:
        if any(hint in low for hint in hints):
            scrubbed = shape.sub(replacement, text)
            if scrubbed != text:
                text, low = scrubbed, scrubbed.lower()
    return text


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def scrub_shapes(text: Any, limit: int = MESSAGE_LIMIT) -> str:
    """One line without anything credential-shaped, for a message built where no run's
    Scrubber is at hand (it knows no values: the run's Scrubber still sees the message)."""
    return _bounded(one_line(_shapes("" if text is None else str(text))), limit)

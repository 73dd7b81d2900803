"""A JSON REST reader over one pooled HTTP session, for the APIs read without a client library
(Org Policy v2, Cloud SQL Admin v1): HTTP errors become ``google.api_core`` exceptions so that
``_errors.Caller`` translates and retries them as it does for the client libraries."""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions as gexc


class RestJsonClient:
    def __init__(self, http: Any, endpoint: str) -> None:
        self.http = http  # a google-auth AuthorizedSession, or a plain one for a stand-in
        self.endpoint = endpoint.rstrip("/")

    def close(self) -> None:
        self.http.close()

    def get_json(self, path: str, timeout: float, params: dict[str, str] | None = None) -> Any:
        response = self.http.get(f"{self.endpoint}{path}", params=params, timeout=timeout)
        if response.status_code >= 400:
            raise gexc.from_http_response(response)
        return response.json()  # requests.JSONDecodeError: translated as unparsable

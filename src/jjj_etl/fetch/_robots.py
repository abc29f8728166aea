"""robots.txt, fetched once per origin per crawl through the crawl's own client, via Protego.

Outcomes follow RFC 9309: a 2xx body is parsed (its first 500 KiB); a 4xx (404 …) means
everything is allowed; a 5xx or no answer at all means nothing is allowed for now.  That
last case is not a disallow by the site: :meth:`RobotsCache.refusal` says which it is, so
the crawler records an unreachable host as a failed fetch, not as a robots skip.
``file://`` URLs have no robots.  A ``Crawl-delay`` slows the host down in the
:class:`PoliteTransport`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from protego import Protego

from jjj_etl.errors import FetchError
from jjj_etl.fetch._polite import TRUNCATE, PoliteTransport, read_body

__all__ = ["RobotsCache"]

_MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: parse at least the first 500 KiB
_MAX_CRAWL_DELAY = 60.0


class _Verdict:
    """A parsed robots.txt, or a blanket allow/deny."""

    def __init__(self, rules: Protego | None, *, allow_all: bool, trouble: str = "") -> None:
        self.rules = rules
        self.allow_all = allow_all
        self.trouble = trouble  # why robots.txt could not be read (then nothing is allowed)

    def allows(self, url: str, agent: str) -> bool:
        if self.rules is None:
            return self.allow_all
        return bool(self.rules.can_fetch(url, agent))


class RobotsCache:
    """Answers "may we fetch this URL?" for one crawl, fetching each robots.txt once."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        user_agent: str,
        polite: PoliteTransport | None = None,
        record: Callable[[httpx.Response, bytes], None] | None = None,
    ) -> None:
        self.client = client
        self.record = record
        self.agent = user_agent.split("/", 1)[0].strip() or "*"
        self.polite = polite
        self._verdicts: dict[str, _Verdict] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        """True if robots.txt of the URL's origin lets our user agent fetch it."""
        return await self.refusal(url) is None

    async def refusal(self, url: str) -> tuple[str, str] | None:
        """None when the URL may be fetched; else ``("skipped", why)`` when robots.txt
        disallows it, or ``("error", why)`` when robots.txt could not be read at all (no
        answer, or a server error): then nothing is fetched from that host, and the host's
        trouble, not its rules, is the reason."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return None
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._verdicts:
                self._verdicts[origin] = await self._load(origin, parts.hostname or "")
        verdict = self._verdicts[origin]
        if verdict.allows(url, self.agent):
            return None
        if verdict.trouble:
            return "error", f"robots.txt of {origin} could not be read ({verdict.trouble})"
        return "skipped", f"robots: {url} is disallowed for {self.agent} by robots.txt"

    async def _load(self, origin: str, host: str) -> _Verdict:
        try:
            async with self.client.stream(
                "GET", f"{origin}/robots.txt", follow_redirects=True, extensions={TRUNCATE: True}
            ) as response:
                if response.status_code != 200:  # 4xx: no rules; 5xx: server trouble
                    self._keep(response, b"")
                    trouble = f"HTTP {response.status_code}" if response.status_code >= 500 else ""
                    return _Verdict(None, allow_all=not trouble, trouble=trouble)
                body = await read_body(response, _MAX_ROBOTS_BYTES, truncate=True)
                self._keep(response, body)
        except FetchError:
            return _Verdict(None, allow_all=True)  # a corrupt encoding: no usable rules
        except httpx.HTTPError as exc:  # unreachable: RFC 9309 says assume disallow
            trouble = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return _Verdict(None, allow_all=False, trouble=trouble)
        rules = Protego.parse(body.decode("utf-8", errors="replace"))
        return self._rules(rules, host)

    def _keep(self, response: httpx.Response, body: bytes) -> None:
        if self.record is not None:
            self.record(response, body)

    def _rules(self, rules: Protego, host: str) -> _Verdict:
        delay = rules.crawl_delay(self.agent)
        if delay and self.polite is not None:
            self.polite.set_min_interval(host, min(float(delay), _MAX_CRAWL_DELAY))
        return _Verdict(rules, allow_all=True)

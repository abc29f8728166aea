"""What the published warehouse already knows, read once at the start of a run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb

from jjj_etl.errors import RunError
from jjj_etl.fetch import Validators
from jjj_etl.warehouse import WarehousePaths, read_connection


@dataclass(frozen=True, slots=True)
class KnownState:
    """Fetch validators per URL and the staged ``(content_sha256, parser_version)`` pairs."""

    validators: Mapping[str, Validators] = field(default_factory=dict)
    staged: frozenset[tuple[str, str]] = frozenset()
    # the hashes of ``staged``, by any parser version: plan_parse asks per page
    staged_shas: frozenset[str] = field(init=False, default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "staged_shas", frozenset(sha for sha, _ in self.staged))


def read_known_state(wp: WarehousePaths) -> KnownState:
    """Validators and staged hashes of the published warehouse (read-only, short)."""
    if not wp.exists():
        return KnownState()
    try:
        con = read_connection(wp)
    except duckdb.Error as exc:
        raise RunError(f"cannot read {wp.db}: {exc}") from exc
    try:
        rows = con.execute(
            "select url, etag, last_modified, content_sha256 from meta.fetch_state"
        ).fetchall()
        staged = con.execute(
            "select content_sha256, parser_version from staging.articles"
        ).fetchall()
    except duckdb.CatalogException:  # a warehouse no run has written to yet
        return KnownState()
    finally:
        con.close()
    return KnownState(
        {u: Validators(etag=e, last_modified=lm, content_sha256=s) for u, e, lm, s in rows},
        frozenset((str(s), str(v)) for s, v in staged),
    )

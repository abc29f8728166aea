"""Parquet exports of the marts, one immutable folder per version, plus ``latest/``.

``exports/v<N>/<mart>.parquet`` and ``exports/v<N>/manifest.json`` (version, schema,
row counts, sha256 of each file) are written to a temporary folder and renamed into
place, so a reader never sees half an export.  ``exports/latest/`` is replaced the same
way after each new version.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from jjj_etl.errors import RunError
from jjj_etl.versions import as_of_sql, check_version, current_version


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_tables(
    con: duckdb.DuckDBPyConnection, version: int, marts: list[str], dest: Path
) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for mart in marts:
        target = dest / f"{mart}.parquet"
        rel = con.sql(as_of_sql(mart, version))
        schema = [{"name": n, "type": str(t)} for n, t in zip(rel.columns, rel.types, strict=True)]
        con.execute(
            f"copy ({as_of_sql(mart, version)}) to '{target}' (format parquet, compression zstd)"
        )
        row = con.sql(f"select count(*) from ({as_of_sql(mart, version)})").fetchone()
        tables[mart] = {
            "file": target.name,
            "rows": int(row[0]) if row else 0,
            "sha256": _sha256(target),
            "schema": schema,
        }
    return tables


def export_version(
    con: duckdb.DuckDBPyConnection, exports_dir: Path, marts: list[str], version: int | None = None
) -> Path:
    """Write ``exports/v<N>/`` (if not there yet) and refresh ``latest/`` when N is current.

    Returns the version folder.  Raises UsageError for an unknown version.
    """
    current = current_version(con)
    if current is None:
        raise RunError("nothing to export: the warehouse has no version yet")
    version = current if version is None else version
    check_version(con, version)
    exports_dir.mkdir(parents=True, exist_ok=True)
    final = exports_dir / f"v{version}"
    if not (final / "manifest.json").exists():
        tmp = exports_dir / f".v{version}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        manifest = {
            "version": version,
            "exported_at": datetime.now(UTC).isoformat(),
            "tables": _write_tables(con, version, marts, tmp),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        shutil.rmtree(final, ignore_errors=True)
        tmp.replace(final)
    if version == current:
        _refresh_latest(exports_dir, final)
    return final


def _refresh_latest(exports_dir: Path, source: Path) -> None:
    tmp = exports_dir / f".latest.tmp-{os.getpid()}"
    old = exports_dir / f".latest.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp)
    latest = exports_dir / "latest"
    if latest.exists():
        latest.replace(old)
    tmp.replace(latest)
    shutil.rmtree(old, ignore_errors=True)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of an export folder."""
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return data

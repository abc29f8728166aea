"""`jjj-etl export` does what it says: writes, or says why not and exits non-zero."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from builders import published_contracts
from cli_runs import cli, killed_export_leftover
from jjj_etl.export import PARTITIONED, export_problems


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """Version 1, exported by the rebuild without partitions."""
    root = published_contracts(tmp_path / "warehouse")
    assert not (root / "exports" / "v1" / PARTITIONED).exists()
    return root


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_partitions_are_added_to_an_export_that_lacks_them(warehouse: Path) -> None:
    v1 = warehouse / "exports" / "v1"
    before = _hashes(v1)
    done = cli("export", "--partition-by-indicator", "-w", str(warehouse), timeout=60)
    assert done.returncode == 0, done.stderr
    assert PARTITIONED in done.stdout
    after = _hashes(v1)
    # every file there before is untouched, the manifest apart; the partitions are new
    assert {k: v for k, v in after.items() if k in before and k != "manifest.json"} == {
        k: v for k, v in before.items() if k != "manifest.json"
    }
    parts = sorted(k for k in after if k.startswith(PARTITIONED + "/"))
    assert parts
    assert all("indicator_id=" in k for k in parts)
    listed = json.loads((v1 / "manifest.json").read_text())["tables"][PARTITIONED]["files"]
    assert sorted(listed) == parts
    assert export_problems(v1) == []
    assert not [p for p in (warehouse / "exports").iterdir() if p.name.startswith(".")]
    # asked again: nothing to add, and it says so with a non-zero exit
    again = cli("export", "--partition-by-indicator", "-w", str(warehouse), timeout=60)
    assert again.returncode == 1
    assert "already holds the whole export of version 1" in again.stderr
    assert "nothing was written" in again.stderr
    assert _hashes(v1) == after


def test_dest_on_an_existing_folder_writes_there_once_then_says_why_not(
    warehouse: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "bi"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    first = cli("export", "--dest", str(dest), "-w", str(warehouse), timeout=60)
    assert first.returncode == 0, first.stderr
    assert f"exported version 1 to {dest / 'v1'}" in first.stdout
    assert export_problems(dest / "v1") == []
    assert (dest / "notes.txt").read_text() == "mine"
    before = _hashes(dest)
    second = cli("export", "--dest", str(dest), "-w", str(warehouse), timeout=60)
    assert second.returncode == 1
    assert len(second.stderr.splitlines()) == 1
    assert "nothing was written" in second.stderr
    assert _hashes(dest) == before


def test_a_damaged_export_is_written_again(warehouse: Path) -> None:
    v1 = warehouse / "exports" / "v1"
    (v1 / "mart_indicator_series.parquet").unlink()
    (v1 / "dim_regions.parquet").write_bytes(b"not parquet")
    assert len(export_problems(v1)) == 2
    done = cli("export", "-w", str(warehouse), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "mart_indicator_series" in done.stdout
    assert export_problems(v1) == []
    whole = cli("export", "-w", str(warehouse), timeout=60)
    assert whole.returncode == 0
    assert "nothing to write" in whole.stdout


def test_export_with_no_arguments_repairs_a_lost_export_and_clears_killed_ones(
    warehouse: Path,
) -> None:
    exports = warehouse / "exports"
    shutil.rmtree(exports / "v1")
    (exports / "latest").unlink()
    dead = [killed_export_leftover(exports, 1), killed_export_leftover(exports, 2)]
    live = exports / f".v1.tmp-{os.getpid()}"  # an export still running (this process)
    live.mkdir()
    try:
        done = cli("export", "-w", str(warehouse), timeout=60)
        assert done.returncode == 0, done.stderr
        assert export_problems(exports / "v1") == []
        assert (exports / "latest").resolve() == (exports / "v1").resolve()
        assert not any(d.exists() for d in dead)
        assert live.is_dir()  # its process is alive: not ours to remove
    finally:
        live.rmdir()


README = Path(__file__).resolve().parents[2] / "README.md"
PLACEHOLDER = "/path/to/exports"


def _readme_views() -> list[str]:
    """The README's DuckDB recipe: each `create view` line of its sql blocks over exports."""
    blocks = README.read_text(encoding="utf-8").split("```sql\n")[1:]
    lines = [line for block in blocks for line in block.split("```")[0].splitlines()]
    return [line for line in lines if line.startswith("create view") and PLACEHOLDER in line]


def test_the_readme_bi_recipe_reads_every_exported_table(warehouse: Path) -> None:
    exports = warehouse / "exports"
    done = cli("export", "--partition-by-indicator", "-w", str(warehouse), timeout=60)
    assert done.returncode == 0, done.stderr
    tables = json.loads((exports / "latest" / "manifest.json").read_text())["tables"]
    views = _readme_views()
    con = duckdb.connect()
    for view in views:
        con.execute(view.replace(PLACEHOLDER, str(exports)))
    recipes = {line.split()[2] for line in views}
    assert recipes == set(tables)  # one recipe per exported table, none for a missing one
    for name, meta in tables.items():
        row = con.execute(f"select count(*) from {name}").fetchone()
        assert row == (meta["rows"],), name
    # the glob the README used to give fails: the marts do not share a schema
    with pytest.raises(duckdb.Error):
        con.execute(f"select * from read_parquet('{exports}/latest/*.parquet')").fetchall()


def test_the_duckdb_shell_reads_the_warehouse_read_only(warehouse: Path) -> None:
    shell = Path(sys.executable).parent / "duckdb"
    done = subprocess.run(
        [
            str(shell),
            "-readonly",
            "-csv",
            str(warehouse / "jjj.duckdb"),
            "-c",
            "select version(), count(*) from fct_observations",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == f"v{duckdb.__version__},2"

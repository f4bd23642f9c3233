"""The import writer's ref -> id lookups: Piccolo's ``is_in`` against ``stored_ids`` (one flat statement on the
transaction's connection), CPU microseconds per ref, for refs stored and refs not stored (a first import looks up
every record's ref and finds none). Prints figures; no pass/fail.

    python benchmarks/import_lookups.py [--offers 20000]

A throwaway SQLite database is filled by ``forestmatch import`` of a generated document (``--offers`` offers, half
as many organisations); the lookups run in 500-ref statements inside one transaction, as the import's do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure this checkout, not an older install

CLI = "from app.cli import main; raise SystemExit(main())"
CHUNK = 500


async def measure(refs: list[str]) -> None:
    # Imported once the environment names the throwaway database (the settings are read at import).
    from app.accounts.tables import Organization
    from app.db import atomic, close_pool, start_pool
    from app.imports.writing import stored_ids

    await start_pool()
    missing = [f"not-stored-{n}" for n in range(len(refs))]
    print("| refs | Piccolo is_in us/ref | stored_ids us/ref |")
    print("| --- | ---: | ---: |")
    async with atomic():
        for label, sample in (("stored", refs), ("not stored", missing)):
            started = time.process_time()
            for start in range(0, len(sample), CHUNK):
                chunk = sample[start : start + CHUNK]
                await Organization.select(Organization.ref, Organization.id).where(Organization.ref.is_in(chunk))
            piccolo = time.process_time() - started
            started = time.process_time()
            for start in range(0, len(sample), CHUNK):
                await stored_ids(Organization, sample[start : start + CHUNK])
            flat = time.process_time() - started
            print(f"| {label} | {piccolo / len(sample) * 1e6:.1f} | {flat / len(sample) * 1e6:.1f} |")
    await close_pool()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=20_000)
    args = parser.parse_args(argv)
    var = Path(tempfile.mkdtemp(prefix="forestmatch-import-lookups-"))
    try:
        os.environ.update(FORESTMATCH_VAR_DIR=str(var), FORESTMATCH_DATABASE_URL=f"sqlite:///{var / 'bench.db'}")
        # Imported here: the generator is only needed to write the document.
        from app.demo.generator import generate

        doc = generate(7, producers=max(60, args.offers // 2), buyers=30, offers=args.offers, requests=10)
        (var / "doc.json").write_text(json.dumps(doc), encoding="utf-8")
        refs = [o["ref"] for o in doc["organizations"]]
        del doc
        for command in (["migrate"], ["import", str(var / "doc.json")]):
            subprocess.run([sys.executable, "-c", CLI, *command], cwd=ROOT, check=True, capture_output=True)
        print(f"{len(refs):,} organisations stored")
        asyncio.run(measure(refs))
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(var, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Peak memory of ``forestmatch import FILE.xlsx`` / ``FILE.csv`` for a large sheet (default 50,000 rows).

Builds a workbook of N producers (organisations sheet) and N certificates (certificates sheet) with openpyxl's
write-only mode, migrates a fresh SQLite database in a temporary var dir, and runs ``forestmatch import --dry-run``
and ``forestmatch import`` under ``/usr/bin/time -v``, printing each run's wall time and peak RSS. ``--csv`` imports the
organisations as one CSV file instead.

    .venv/bin/python benchmarks/sheet_import.py --rows 50000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path


def build_xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    orgs = book.create_sheet("organizations")
    orgs.append(["ref", "name", "kind", "country", "region", "lat", "lon", "languages"])
    for i in range(rows):
        orgs.append([f"p-{i}", f"Producer {i}", "producer", "MX", "MX-DUR", 25.0 + i % 100 / 1000, -105.4, "es"])
    certs = book.create_sheet("certificates")
    certs.append(["ref", "organization", "code", "scope", "status", "expires_on", "product_types"])
    expires = dt.date.today() + dt.timedelta(days=400)
    for i in range(rows):
        certs.append([f"c-{i}", f"p-{i}", f"NC-COC-{i:06d}", "COC", "valid", expires, "roundwood; sawn_timber"])
    book.save(path)


def build_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["ref", "name", "kind", "country", "region", "lat", "lon", "languages"])
        for i in range(rows):
            writer.writerow([f"p-{i}", f"Producer {i}", "producer", "MX", "MX-DUR", "25,5", "-105.4", "es"])


def run(env: dict[str, str], *args: str) -> None:
    command = ["/usr/bin/time", "-v", sys.executable, "-m", "app.cli", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", done.stderr)
    last = (done.stdout.strip().splitlines() or [""])[-1][:160]
    mb = int(peak.group(1)) / 1024 if peak else float("nan")
    took = wall.group(1) if wall else "?"
    print(f"{' '.join(args[:1] + args[2:])}: exit {done.returncode}, {took}, peak {mb:.0f} MB")
    print(f"    {last}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--csv", action="store_true", help="import organisations from one CSV file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k != "FORESTMATCH_DATABASE_URL"}
        env["FORESTMATCH_VAR_DIR"] = str(var)
        subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, check=True, capture_output=True)
        path = var / ("organizations.csv" if args.csv else "producers.xlsx")
        (build_csv if args.csv else build_xlsx)(path, args.rows)
        print(f"{path.name}: {path.stat().st_size / 1024 / 1024:.1f} MB, {args.rows} rows per sheet")
        run(env, "import", str(path), "--dry-run")
        run(env, "import", str(path))


if __name__ == "__main__":
    main()

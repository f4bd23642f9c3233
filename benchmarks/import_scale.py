"""The bulk import at any size: `forestmatch import FILE` of generated offer documents, records per second and the
importing process's peak RSS. Prints figures; no pass/fail.

    python benchmarks/import_scale.py [--sizes 10000,100000,1000000] [--seed 7] [--keep]

For each size N (offers), in a throwaway var dir (SQLite database + embedded search index):

1. this process generates a ``forestmatch/1`` document (``app.demo.generator.generate``: N offers, N // 2 producers
   (at most MAX_PRODUCERS) with their certificates, 300 buyers, 1,000 requests, so 100,000 offers come with 50,000
   organisations and certificates, the shape issue 14 measures) and writes it to a file (the generator holds it
   whole: its memory is not the app's);
2. a child process runs ``forestmatch import FILE`` (the file streamed, checked, written in one transaction, the
   offers' outbox drained into the search index before it exits); its wall time and peak RSS (``wait4``) are the
   figures; a second child imports the same file again (every record unchanged).

Targets (issue 14): at least 3,000 records/s and under 300 MB at any size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure this checkout, not an older install

CLI = "from app.cli import main; raise SystemExit(main())"


#: The generator draws certificate licence numbers from 199,000 values (about 1.36 certificates per producer), so a
#: document has at most this many producers: 1,000,000 offers come with 100,000 producers (1.24M records).
MAX_PRODUCERS = 100_000


def producers_for(offers: int) -> int:
    """Producers of a generated document of ``offers`` offers: half as many, between 60 and MAX_PRODUCERS."""
    return min(max(60, offers // 2), MAX_PRODUCERS)


def write_document(path: Path, offers: int, seed: int) -> dict[str, int]:
    """Generate and write the document; its record counts per section."""
    from app.demo.generator import generate

    doc = generate(seed, producers=producers_for(offers), buyers=300, offers=offers, requests=1_000)
    with path.open("w", encoding="utf-8") as out:
        json.dump(doc, out, ensure_ascii=False)
    return {k: len(v) for k, v in doc.items() if isinstance(v, list)}


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a child; its wall seconds, its own peak RSS (MB) and its output. Raises when it fails."""
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(args[-2:])} failed:\n{output[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, output


def measure(size: int, seed: int, keep: bool) -> dict[str, Any]:
    var = Path(tempfile.mkdtemp(prefix="forestmatch-import-scale-"))
    env = {**os.environ, "FORESTMATCH_VAR_DIR": str(var), "FORESTMATCH_DATABASE_URL": f"sqlite:///{var / 'bench.db'}"}
    try:
        path = var / "doc.json"
        started = time.perf_counter()
        counts = write_document(path, size, seed)
        generated = time.perf_counter() - started
        records = sum(counts.values())
        run([sys.executable, "-c", CLI, "migrate"], env)
        first = run([sys.executable, "-c", CLI, "import", str(path), "--lang", "en"], env)
        again = run([sys.executable, "-c", CLI, "import", str(path), "--lang", "en"], env)
        return {
            "size": size,
            "records": records,
            "counts": counts,
            "mb": path.stat().st_size / 1e6,
            "generated_s": generated,
            "first": first[:2],
            "again": again[:2],
            "db_mb": (var / "bench.db").stat().st_size / 1e6,
        }
    finally:
        if keep:
            print(f"kept {var}")
        else:
            shutil.rmtree(var, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="offers per document, comma-separated")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the var dirs (their paths are printed)")
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus; targets: >= 3,000 records/s, < 300 MB")
    print("| offers | records (MB) | import | records/s | peak RSS | again (all unchanged) | peak RSS |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in (int(s) for s in args.sizes.split(",")):
        r = measure(size, args.seed, args.keep)
        (t1, rss1), (t2, rss2) = r["first"], r["again"]
        print(
            f"| {size:,} | {r['records']:,} ({r['mb']:.0f} MB) | {t1:.1f} s | {r['records'] / t1:,.0f} | {rss1:.0f} MB "
            f"| {t2:.1f} s ({r['records'] / t2:,.0f}/s) | {rss2:.0f} MB |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The bulk import at any size: `forestmatch import FILE` of generated offer documents, records per second and the
importing process's peak RSS. Prints figures; no pass/fail.

    python benchmarks/import_scale.py [--sizes 10000,100000,1000000] [--seed 7] [--keep]

For each size N (offers), in a throwaway var dir (SQLite database + embedded search index):

1. this process generates a ``forestmatch/1`` document (``app.demo.generator.generate``: N offers, N // 2 producers
   (at most MAX_PRODUCERS) with their certificates, 300 buyers, 1,000 requests, so 100,000 offers come with 50,000
   organisations and certificates, the shape issue 14 measures) and writes it to a file (the generator holds it
   whole: its memory is not the app's);
2. a child process runs ``forestmatch import FILE`` (the file streamed, checked, written in one transaction, the
   offers' outbox drained into the search index before it exits); its wall time and peak RSS (its own ``VmHWM``,
   see ``PeakRSS``) are the figures; a second child imports the same file again (every record unchanged).

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
import threading
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


#: The progress bars of ``forestmatch import`` (their first words), in the order the phases run.
PHASES = ("reading", "importing", "indexing")


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str, dict[str, tuple[float, float]], float]:
    """Run a child; its wall seconds, its own peak RSS (MB), its output, the seconds from its start to the last
    line of each progress bar (``PHASES``) and its CPU seconds (user + system: steadier than wall time on a shared
    machine). Raises when it fails."""
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert child.stdout is not None
    peak = PeakRSS(child.pid)
    lines = []
    ends: dict[str, tuple[float, float]] = {}
    for line in child.stdout:
        moment, cpu = time.perf_counter() - started, cpu_seconds(child.pid)
        lines.append(f"{moment:8.1f} s {cpu:8.1f} s CPU  {line}")
        if line.split(" ", 1)[0] in PHASES:
            ends[line.split(" ", 1)[0]] = (moment, cpu)
    output = "".join(lines)
    peak.stop()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(args[-2:])} failed:\n{output[-3000:]}")
    return seconds, peak.mb, output, ends, usage.ru_utime + usage.ru_stime


class PeakRSS:
    """A child's own peak resident memory: its ``VmHWM`` (the kernel's high-water mark of the process's memory since
    its exec) read every 20 ms while it runs. Not ``wait4``'s ``ru_maxrss``: Linux carries the forking parent's
    high-water mark into the child across exec, so a child started by a benchmark that has just generated a
    document in memory reported the benchmark's own size (542 MB for an import that peaked at 229 MB at 200,000
    offers; 279 for about 200 at 100,000)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.kb = pid, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.kb = max(self.kb, int(line.split()[1]))
        except (OSError, ValueError):
            pass

    def _watch(self) -> None:
        while not self._done.wait(0.02):
            self._read()

    def stop(self) -> None:
        """Read once more (its output has ended: it is about to exit) and stop watching."""
        self._read()
        self._done.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.kb / 1024


def cpu_seconds(pid: int) -> float:
    """The user + system CPU seconds of a running process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def phases(ends: dict[str, tuple[float, float]], seconds: float, cpu: float) -> str:
    """Each phase's own wall and CPU seconds (from the previous phase's end; the start-up is in the first one), and
    the rest."""
    parts, before, cpu_before = [], 0.0, 0.0
    for name in PHASES:
        if name in ends:
            parts.append(f"{name} {ends[name][0] - before:.1f} s ({ends[name][1] - cpu_before:.1f} s CPU)")
            before, cpu_before = ends[name]
    parts.append(f"rest {seconds - before:.1f} s ({cpu - cpu_before:.1f} s CPU)")
    return ", ".join(parts)


def document(var: Path, size: int, seed: int, documents: Path | None) -> tuple[Path, dict[str, int]]:
    """The generated document of ``size`` offers and its record counts: written in ``var``, or kept in (and taken
    from) ``documents`` with its counts beside it, so repeated runs skip the generation."""
    if documents is None:
        path = var / "doc.json"
        return path, write_document(path, size, seed)
    documents.mkdir(parents=True, exist_ok=True)
    path = documents / f"doc-{size}-{seed}.json"
    counted = path.with_suffix(".counts.json")
    if not (path.exists() and counted.exists()):
        counted.write_text(json.dumps(write_document(path, size, seed)), encoding="utf-8")
    return path, json.loads(counted.read_text(encoding="utf-8"))


def measure(size: int, seed: int, keep: bool, once: bool, documents: Path | None) -> dict[str, Any]:
    var = Path(tempfile.mkdtemp(prefix="forestmatch-import-scale-"))
    env = {**os.environ, "FORESTMATCH_VAR_DIR": str(var), "FORESTMATCH_DATABASE_URL": f"sqlite:///{var / 'bench.db'}"}
    try:
        started = time.perf_counter()
        path, counts = document(var, size, seed, documents)
        generated = time.perf_counter() - started
        records = sum(counts.values())
        run([sys.executable, "-c", CLI, "migrate"], env)
        first = run([sys.executable, "-c", CLI, "import", str(path), "--lang", "en"], env)
        again = (
            (0.0, 0.0, "", {}, 0.0)
            if once
            else run([sys.executable, "-c", CLI, "import", str(path), "--lang", "en"], env)
        )
        # The children's progress lines, each with the seconds since its start (kept with --keep).
        (var / "import-log.txt").write_text(first[2] + "\n" + again[2], encoding="utf-8")
        return {
            "size": size,
            "records": records,
            "counts": counts,
            "mb": path.stat().st_size / 1e6,
            "generated_s": generated,
            "first": first[:2],
            "again": again[:2],
            "phases": (phases(first[3], first[0], first[4]), phases(again[3], again[0], again[4])),
            "cpu": (first[4], again[4]),
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
    parser.add_argument("--once", action="store_true", help="import once (not again unchanged)")
    parser.add_argument(
        "--documents", type=Path, help="keep the generated documents in this dir and reuse them in later runs"
    )
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus; targets: >= 3,000 records/s, < 300 MB")
    print("| offers | records (MB) | import | records/s | peak RSS | again (all unchanged) | peak RSS |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in (int(s) for s in args.sizes.split(",")):
        r = measure(size, args.seed, args.keep, args.once, args.documents)
        (t1, rss1), (t2, rss2) = r["first"], r["again"]
        again = f"{t2:.1f} s ({r['records'] / t2:,.0f}/s) | {rss2:.0f} MB" if t2 else "- | -"
        print(
            f"| {size:,} | {r['records']:,} ({r['mb']:.0f} MB) | {t1:.1f} s | {r['records'] / t1:,.0f} | {rss1:.0f} MB "
            f"| {again} |",
            flush=True,
        )
        print(
            f"  first import: CPU {r['cpu'][0]:.1f} s; {r['phases'][0]}. Again: CPU {r['cpu'][1]:.1f} s; "
            f"{r['phases'][1]}. Load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

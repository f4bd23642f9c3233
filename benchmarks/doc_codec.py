"""The embedded index's document codec (``search_index.embedded_store.DocCodec``): microseconds per stored document
and bytes written, by zlib memLevel, in the main thread and in a worker thread (where the rebuild's writes run).
Prints figures; no pass/fail.

    python benchmarks/doc_codec.py [--offers 5000] [--repeat 4]

The documents are the JSON of generated offers (``app.demo.generator``), about the size of a search document; the
codec's dictionary is made from the first 64 of them, as a generation's is. Each document copies the primed
compressor (``DocCodec.encode``): a memLevel 9 state holds two 128 KiB buffers where 8's are 64 KiB, so the copy
moves twice as much, and 128 KiB blocks sit at glibc's default mmap threshold: depending on the allocator's state
they are mapped and unmapped per document (a page fault per page touched). Each figure is taken in a fresh child
process. Seen under load (15 on 2 cores): 36 against 28 us here; 190 against 40 us for offers' search documents
read from an index file in a fresh thread (the rebuild writes from a worker thread).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure this checkout, not an older install

from app.demo.generator import generate  # noqa: E402
from search_index.embedded_store import COMPRESS_MEMLEVEL, ZDICT_BYTES, ZDICT_SAMPLE  # noqa: E402


def texts(offers: int) -> list[str]:
    doc = generate(7, producers=max(60, offers // 2), buyers=30, offers=offers, requests=10)
    return [json.dumps(o, ensure_ascii=False, separators=(",", ":")) for o in doc["offers"]]


def encode_all(items: list[str], zdict: bytes, mem_level: int, repeat: int) -> tuple[float, float]:
    """Best microseconds per document over ``repeat`` rounds, and mean bytes per document."""
    primed = zlib.compressobj(6, zlib.DEFLATED, -15, mem_level, zlib.Z_DEFAULT_STRATEGY, zdict)
    best, size = float("inf"), 0
    for _ in range(repeat):
        started, size = time.process_time(), 0
        for text in items:
            one = primed.copy()
            size += len(one.compress(text.encode()) + one.flush())
        best = min(best, time.process_time() - started)
    return best / len(items) * 1e6, size / len(items)


def in_thread(items: list[str], zdict: bytes, mem_level: int, repeat: int) -> tuple[float, float]:
    result: list[tuple[float, float]] = []
    worker = threading.Thread(target=lambda: result.append(encode_all(items, zdict, mem_level, repeat)))
    worker.start()
    worker.join()
    return result[0]


def child(path: Path, mem_level: int, thread: bool, repeat: int) -> None:
    """Measure one configuration on the documents in ``path`` and print ``us bytes``."""
    items = json.loads(path.read_text(encoding="utf-8"))
    zdict = "".join(items[:ZDICT_SAMPLE]).encode()[-ZDICT_BYTES:]
    us, size = (in_thread if thread else encode_all)(items, zdict, mem_level, repeat)
    print(f"{us:.1f} {size:.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--child", nargs=3, metavar=("FILE", "MEMLEVEL", "THREAD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), int(args.child[1]), args.child[2] == "thread", args.repeat)
        return 0
    items = texts(args.offers)
    size = sum(map(len, items)) / len(items)
    print(f"{len(items)} documents of {size:.0f} bytes; the codec writes with memLevel {COMPRESS_MEMLEVEL}")
    print("| memLevel | main thread us/doc | worker thread us/doc | bytes/doc |")
    print("| ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "texts.json"
        path.write_text(json.dumps(items), encoding="utf-8")
        for mem_level in (9, 8):
            figures = []
            for where in ("main", "thread"):
                command = [sys.executable, __file__, "--repeat", str(args.repeat), "--child", str(path)]
                out = subprocess.run([*command, str(mem_level), where], capture_output=True, text=True, check=True)
                figures.append(out.stdout.split())
            print(f"| {mem_level} | {figures[0][0]} | {figures[1][0]} | {figures[0][1]} |", flush=True)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

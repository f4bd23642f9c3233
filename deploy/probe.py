"""The container healthcheck: ``python deploy/probe.py /readyz`` exits 0 when the app answers 200 there, else 1.

The image has no curl; this uses the standard library only and reads the port from ``PORT`` (default 8000), as the
entrypoint does."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/healthz"
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}{path}"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:  # 503 from /readyz: say what failed
        print(f"{path}: {exc.code} {exc.read(500).decode('utf-8', 'replace')}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""The command line's progress bar: percentage, counts and the time left at the pace since the first report."""

from __future__ import annotations

import io

from app.cli.common import ProgressBar


def test_the_bar_says_how_long_is_left_at_the_pace_so_far() -> None:
    stream = io.StringIO()
    bar = ProgressBar("importing", stream=stream)
    bar(100, 1000)  # the first report starts the clock: no estimate yet
    since, done = bar.origin or (0.0, 0)
    bar.origin = (since - 30.0, done)  # as if 30 s had passed since then
    bar(400, 1000)  # 300 records in 30 s: 600 left take 60 s
    bar(1000, 1000)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "importing [###---------------------------]  10% 100/1000"
    assert lines[1] == "importing [############------------------]  40% 400/1000 ETA 1m00s"
    assert lines[2] == "importing [##############################] 100% 1000/1000"

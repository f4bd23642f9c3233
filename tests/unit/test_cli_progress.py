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


def test_off_a_terminal_a_line_each_time_a_tenth_is_passed() -> None:
    # Reports of 2,000 in 11,000 never land on a round tenth: each tenth passed still gets its line.
    stream = io.StringIO()
    bar = ProgressBar("indexing", stream=stream)
    for done in range(2000, 11001, 2000):
        bar(done, 11000)
    bar(11000, 11000)
    pcts = [line.split("]")[1].split("%")[0].strip() for line in stream.getvalue().splitlines()]
    assert pcts == ["18", "36", "54", "72", "90", "100"]


def test_the_time_left_in_hours_and_in_the_report_language() -> None:
    from app.i18n import reset_locale, set_locale

    stream = io.StringIO()
    bar = ProgressBar("importing", stream=stream)
    bar.tty = True  # redrawn in place: every percent drawn
    bar(10, 1000)
    since, done = bar.origin or (0.0, 0)
    bar.origin = (since - 100.0, done)  # as if 100 s had passed: 10 records in 100 s, 980 left take 9,800 s
    token = set_locale("es_MX")
    try:
        bar(20, 1000)
    finally:
        reset_locale(token)
    assert stream.getvalue().split("\r")[2] == "importing [------------------------------]   2% 20/1000 faltan 2h43m"

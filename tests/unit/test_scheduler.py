from datetime import datetime

from functions.local.scheduler import next_minute, next_nightly


def at(text):
    return datetime.fromisoformat(text)


def test_the_dispatch_tick_runs_at_the_start_of_every_minute():
    assert next_minute(at("2026-11-27T02:03:41+00:00")) == at("2026-11-27T02:04:00+00:00")


def test_the_nightly_job_runs_at_half_past_midnight_china_time():
    assert next_nightly(at("2026-11-27T10:00:00+00:00")) == at("2026-11-27T16:30:00+00:00")
    assert next_nightly(at("2026-11-27T16:30:00+00:00")) == at("2026-11-28T16:30:00+00:00")
    # 17:00 in Ma'anshan is 09:00 UTC: the next run is 00:30 China time on the 28th.
    assert next_nightly(at("2026-11-27T17:00:00+08:00")) == at("2026-11-28T00:30:00+08:00")

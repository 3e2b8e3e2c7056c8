from datetime import datetime

from functions.core.domain.codes import is_case_code, new_case_code
from tests.fakes import SequenceIds


def test_a_case_code_reads_prefix_year_month_day_and_number_in_china_time():
    # 2026-11-26 17:00 UTC is already the 27th in Ma'anshan.
    at = datetime.fromisoformat("2026-11-26T17:00:00+00:00")
    code = new_case_code("YS", at, SequenceIds(digits=["0042"]))
    assert code == "YS-2611-27-0042"
    assert is_case_code(code)


def test_the_number_widens_on_each_retry_after_a_collision():
    at = datetime.fromisoformat("2026-11-27T02:00:00+00:00")
    code = new_case_code("YS", at, SequenceIds(digits=["123456"]), attempt=2)
    assert code == "YS-2611-27-123456"


def test_text_that_is_not_a_case_code_is_recognised():
    assert not is_case_code("YS-2611-27")
    assert not is_case_code("../etc/passwd")

"""The work lists' filter, as the open-work lists apply it in memory (the case store turns
the same filter into a DynamoDB FilterExpression)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from functions.core.domain.cases import Status
from functions.core.domain.lists import CaseFilter, search_words
from tests.unit.test_case_machine import new_case

AT = datetime.fromisoformat("2026-11-27T02:00:00+00:00")


def test_every_word_must_occur_in_the_code_the_address_or_the_description():
    case = new_case(AT)  # address "3栋", description "路灯坏了很久了"
    assert CaseFilter(words=("3栋", "路灯")).matches(case)
    assert CaseFilter(words=("0001",)).matches(case)  # a part of the code
    assert not CaseFilter(words=("3栋", "树木")).matches(case)


def test_stage_kind_area_and_residents_waiting_narrow_the_list():
    case = new_case(AT)
    assert CaseFilter(statuses=frozenset({Status.SUBMITTED}), category="street_light").matches(case)
    assert not CaseFilter(statuses=frozenset({Status.CLAIMED})).matches(case)
    assert not CaseFilter(community="c02").matches(case)
    assert not CaseFilter(department="ludeng").matches(case)
    assert not CaseFilter(min_waiting=2).matches(case)
    assert CaseFilter(min_waiting=2).matches(replace(case, followers=1, merged_in=1))
    # The stage chips are counted under everything but the stage.
    assert CaseFilter(statuses=frozenset({Status.CLAIMED})).matches_scope(case)


def test_overdue_means_an_escalated_open_stage():
    case = new_case(AT)
    assert not CaseFilter(overdue=True).matches(case)
    assert CaseFilter(overdue=True).matches(replace(case, escalations=1))


def test_a_search_box_splits_on_spaces_and_keeps_at_most_five_words():
    assert search_words("  幸福路  路灯 幸福路 ") == ("幸福路", "路灯")
    assert len(search_words("a b c d e f g")) == 5
    assert not CaseFilter(category="sewage").searches
    assert CaseFilter(words=("路灯",)).searches and CaseFilter(min_waiting=2).searches

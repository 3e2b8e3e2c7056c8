"""Similar problems (相似问题): how alike two residents' descriptions are, and how well the
"likely duplicate" offer does on the labelled pairs at the configured threshold."""

from __future__ import annotations

import pytest

from functions.core.config import ConfigurationError, Nearby, nearby_settings
from functions.core.domain.similarity import likely_duplicate, normalise, similarity
from tests.bench.duplicates import load_pairs, quality

# The floors the chosen threshold must hold on tests/data/duplicate-pairs.tsv (BENCHMARKS.md):
# a change to the similarity that makes the offer worse fails here.
PRECISION_FLOOR = 0.90
RECALL_FLOOR = 0.80


def test_full_width_and_half_width_text_is_the_same_text():
    assert similarity("３号楼路灯不亮！", "3号楼路灯不亮!") == 1.0


def test_chinese_numerals_and_building_words_name_the_same_building():
    assert normalise("三栋楼下") == normalise("3号楼楼下")
    assert "12号楼" in normalise("十二幢电梯")
    assert "20号楼" in normalise("二十号楼")


def test_punctuation_whitespace_and_filler_words_do_not_count():
    assert similarity("麻烦尽快处理一下：井盖  丢了！！", "井盖丢了") == 1.0


def test_everyday_synonyms_read_as_one_word():
    assert normalise("电瓶车") == normalise("电动车")
    assert normalise("窨井盖") == normalise("井盖")


def test_a_paraphrase_scores_higher_than_another_problem_of_the_same_kind():
    report = "3号楼门前的路灯坏了，晚上一片漆黑"
    same = "3栋楼下路灯不亮，老人晚上出门很危险"
    other = "东侧门口路灯时亮时不亮，请检查线路"
    assert similarity(report, same) > similarity(report, other)


def test_naming_two_different_buildings_makes_two_reports_less_alike():
    unnamed = similarity("电梯坏了", "5号楼电梯坏了")
    assert similarity("3号楼电梯坏了", "5号楼电梯坏了") < unnamed / 2 + 0.01
    assert similarity("5号楼电梯坏了", "五号楼电梯坏了") == 1.0


def test_similarity_is_symmetric_and_bounded():
    a, b = "地下车库一下雨就积水", "地库进水了，积水没过脚踝"
    assert similarity(a, b) == similarity(b, a)
    assert 0 < similarity(a, b) < 1


def test_text_with_nothing_to_compare_is_similar_to_nothing():
    assert similarity("！！！", "井盖丢了") == 0.0
    assert similarity("", "") == 0.0


def test_the_offer_follows_the_threshold():
    a, b = "7号楼电梯坏了三天了", "七号楼的电梯停了，一直没人来修"
    score = similarity(a, b)
    assert likely_duplicate(a, b, score)
    assert not likely_duplicate(a, b, score + 0.01)


def test_the_labelled_set_is_large_enough_and_has_both_kinds_of_pairs():
    pairs = load_pairs()
    assert len(pairs) >= 200
    assert sum(p.duplicate for p in pairs) >= 100
    assert sum(not p.duplicate for p in pairs) >= 100


def test_the_configured_threshold_holds_precision_and_recall_on_the_labelled_pairs():
    measured = quality(load_pairs(), Nearby().duplicate_threshold)
    assert measured.precision >= PRECISION_FLOOR, measured
    assert measured.recall >= RECALL_FLOOR, measured


def test_the_threshold_and_radius_are_configuration():
    nearby = nearby_settings(
        {"WHISTLE_DUPLICATE_THRESHOLD": "0.3", "WHISTLE_NEARBY_RADIUS_M": "500"}
    )
    assert (nearby.duplicate_threshold, nearby.radius_m) == (0.3, 500)
    with pytest.raises(ConfigurationError):
        nearby_settings({"WHISTLE_DUPLICATE_THRESHOLD": "1.5"})
    with pytest.raises(ConfigurationError):
        nearby_settings({"WHISTLE_NEARBY_DAYS": "six"})

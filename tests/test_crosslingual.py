"""English question words as the corpus's Chinese words (index/crosslingual.py), on the real dictionary."""

import pytest

from index.crosslingual import EnglishBridge


@pytest.fixture(scope="module")
def bridge():
    return EnglishBridge({"类似", "喜欢", "一样", "王珺", "天气", "仍然", "现在"})


def words(bridge, question):
    return {c.english.lower(): c.terms for c in bridge.concepts(question)}


@pytest.mark.parametrize(
    "question", ["What will the weather be like in Dongguan tomorrow?", "What's the weather like?", "What is the weather like?"]
)
def test_like_after_a_form_of_be_asks_about_nothing(bridge, question):
    assert "like" not in words(bridge, question) and "weather" in words(bridge, question)


@pytest.mark.parametrize("question", ["What sports does Wang Jun like?", "Which companies like Huawei should it attract?"])
def test_like_the_verb_and_like_before_examples_are_words_of_the_question(bridge, question):
    assert "喜欢" in words(bridge, question)["like"]


def test_question_adverbs_are_not_translated(bridge):
    assert set(words(bridge, "Is Dongguan still behind now?")) == {"dongguan", "behind"}


def test_a_places_generic_english_word_is_read_as_its_chinese_ending():
    bridge = EnglishBridge({"松山湖", "松山", "滨海湾", "王珺"})
    assert words(bridge, "Is Songshan Lake a good place to go cycling?")["songshan lake"] == {"松山湖"}
    assert words(bridge, "What is planned for Binhai Bay?")["binhai bay"] == {"滨海湾"}
    assert "lake" in words(bridge, "How deep is the lake?")  # a lake of no name stays a word


def test_an_inflected_word_is_found_by_its_dictionary_form():
    bridge = EnglishBridge({"发展", "发布", "全国"})
    found = words(bridge, "When did Dongguan start developing it, and was a plan issued nationally?")
    assert "发展" in found["developing"] and "发布" in found["issued"] and "全国" in found["nationally"]


def test_a_number_word_is_the_count_the_articles_write():
    bridge = EnglishBridge({"十大", "两个", "五项", "十分"})
    found = words(bridge, "Was AI among the ten key industries, in two places, under five plans?")
    assert found["ten"] == {"十大"} and found["two"] == {"两个"} and found["five"] == {"五项"}


def test_the_gloss_renders_the_question_in_the_corpus_words_most_used_first():
    bridge = EnglishBridge({"企业", "公司", "东莞", "招商", "瞄准", "目标", "指标"})
    share = {"企业": 0.5, "公司": 0.2, "东莞": 0.9, "招商": 0.1, "瞄准": 0.1, "目标": 0.1, "指标": 0.05}.get
    gloss = bridge.gloss("Which kinds of companies does Dongguan target when it goes after AI investment?", lambda t: share(t, 0.0))
    # Two translations at most per word, the more used first (ties by the word itself, so every run agrees).
    assert gloss == "东莞 企业/公司 目标/瞄准 招商"
    assert bridge.gloss("Is it true?", lambda t: 0.0) == ""  # nothing translates: no gloss to embed

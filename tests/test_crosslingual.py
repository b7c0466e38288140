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

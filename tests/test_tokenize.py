import pytest

from index.text import Tokenizer

tokenize = Tokenizer().tokenize


@pytest.mark.parametrize(
    "text, token",
    [
        ("营业收入约996亿元", "996亿元"),
        ("占GDP比重4.1%,排名全国第6", "4.1%"),
        ("打靶束流功率达到160kW", "160kw"),
        ("加快培育1-2个规模超百亿元的未来产业集群", "1-2个"),
        ("加快培育1—2个规模超百亿元的未来产业集群", "1-2个"),  # an em dash matches the hyphen
        ("已总共完成课题1000余项", "1000余项"),
        ("2022年东莞", "2022年"),
    ],
)
def test_figures_with_units_stay_whole(text, token):
    assert token in tokenize(text)


def test_full_width_forms_are_normalised():
    assert tokenize("ＧＤＰ比重４．１％") == tokenize("GDP比重4.1%")


def test_punctuation_and_question_words_are_dropped():
    tokens = tokenize("东莞计划培育几个未来产业集群？")
    assert "？" not in tokens and "几个" not in tokens
    assert {"东莞", "培育", "集群"} <= set(tokens)


def test_search_mode_also_emits_the_words_inside_compounds():
    tokens = tokenize("中国散裂中子源二期")
    assert {"中子", "中子源"} <= set(tokens)


def test_each_tokenizer_keeps_its_own_cache():
    # evaluation/sweep.py measures tokenizer variants one after another: a question tokenized by
    # one variant must not be served from another's cache.
    precise, search = Tokenizer(search_mode=False), Tokenizer(search_mode=True)
    question = "中国散裂中子源打靶束流功率达到多少？"
    assert "中子" in search.question_tokens(question)
    assert "中子" not in precise.question_tokens(question)
    assert precise.fingerprint != search.fingerprint

"""The evidence rules on the seed article (fake embedder; BM25 decides what is retrieved)."""

import pytest

from answer.evidence import find_evidence, profile_question
from index.retrieval import Searcher


def evidence(store, question):
    s = store.settings
    passages = Searcher(store, bm25_weight=s.bm25_weight, dense_weight=s.dense_weight).search(question, "hybrid", s.top_k)
    return find_evidence(question, passages, store.lexical(), s)


@pytest.mark.parametrize(
    "question, wants",
    [
        ("东莞计划培育几个未来产业集群？", "quantity"),
        ("东莞人工智能产业链分为哪几个环节？", None),  # 「哪几个」 asks which, not how many
        ("中国散裂中子源二期工程什么时候建成？", "time"),
        ("杨代友担任什么职务？", "role"),
        ("颠覆性创新有哪些特点？", None),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(fake_store, question, wants):
    assert profile_question(question, fake_store.lexical()).wants == wants


def test_frame_words_do_not_count_as_topic(fake_store):
    profile = profile_question("王珺是什么身份？", fake_store.lexical())
    assert "身份" not in profile.terms and "王珺" in profile.terms


def test_a_chinese_numeral_answers_a_how_many_question(fake_store):
    found = evidence(fake_store, "工信部等几个部门在今年1月印发了推动未来产业创新发展的实施意见？")
    assert found and "七部门" in found[0].text


def test_an_amount_the_question_names_is_not_its_answer(fake_store):
    assert evidence(fake_store, "广东五项计划中“链主”企业的目标数量是多少家？") == []


def test_a_figure_about_another_place_is_not_evidence(fake_store):
    assert evidence(fake_store, "2023年东莞人工智能产业规上企业营业收入是多少？") == []
    assert evidence(fake_store, "北京2022年R&D研发投入占GDP的比重是多少？") == []


def test_a_year_does_not_answer_how_large(fake_store):
    assert evidence(fake_store, "东莞量子信息产业目前的产业规模有多大？") == []


def test_a_question_resting_on_unknown_words_has_no_evidence(fake_store):
    assert evidence(fake_store, "明天北京的天气怎么样？") == []
    assert evidence(fake_store, "松狐科技的注册资本是多少？") == []


def test_role_questions_find_the_sentence_naming_the_role(fake_store):
    found = evidence(fake_store, "王珺是什么身份？")
    assert found and "原院长" in found[0].text

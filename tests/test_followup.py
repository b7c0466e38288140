"""Offline follow-ups: the subject of the previous turn is carried into the next question."""

import pytest

from answer.followup import is_follow_up, standalone_question
from answer.pipeline import Answerer, Turn
from index.retrieval import Searcher


def answerer(store):
    s = store.settings
    return Answerer(s, Searcher(store, bm25_weight=s.bm25_weight, dense_weight=s.dense_weight), None)


@pytest.mark.parametrize(
    "previous, question, standalone",
    [
        ("东莞人工智能产业发展得怎么样？", "那量子信息呢？", "东莞量子信息产业发展得怎么样？"),
        ("2022年东莞R&D研发投入占GDP比重是多少？", "2023年呢？", "2023年东莞R&D研发投入占GDP比重是多少？"),
        ("2022年东莞R&D研发投入占GDP比重是多少？", "那北京呢？", "2022年北京R&D研发投入占GDP比重是多少？"),
        ("王珺认为发展未来产业不能用什么思维？", "他还说了什么？", "王珺还说了什么？"),
        ("松山湖涌现出了哪些大数据企业？", "滨海湾呢？", "滨海湾涌现出了哪些大数据企业？"),
    ],
)
def test_two_turn_rewrites(fake_store, previous, question, standalone):
    history = [Turn("user", previous), Turn("assistant", "……")]
    assert standalone_question(question, history, fake_store.lexical()) == standalone


def test_a_standalone_question_is_left_alone(fake_store):
    history = [Turn("user", "东莞计划培育几个规模超百亿元的未来产业集群？")]
    question = "中国散裂中子源打靶束流功率达到多少？"
    assert not is_follow_up(question)
    assert standalone_question(question, history, fake_store.lexical()) == question


def test_follow_up_answers_across_two_turns(fake_store):
    bot = answerer(fake_store)
    first = bot.ask("2022年东莞R&D研发投入占GDP比重是多少？")
    assert "4.1%" in first.answer
    history = [Turn("user", "2022年东莞R&D研发投入占GDP比重是多少？"), Turn("assistant", first.answer)]
    second = bot.ask("那北京呢？", history)
    assert second.query == "2022年北京R&D研发投入占GDP比重是多少？"
    assert second.refused, "the article gives no figure for 北京"


def test_follow_up_answers_across_three_turns(fake_store):
    bot = answerer(fake_store)
    q1 = "王珺认为发展未来产业不能用什么思维？"
    a1 = bot.ask(q1)
    assert "传统工业化思维" in a1.answer
    history = [Turn("user", q1), Turn("assistant", a1.answer)]
    a2 = bot.ask("他还说了什么？", history)
    assert a2.query == "王珺还说了什么？" and not a2.refused
    assert "王珺" in "".join(c.text for c in a2.citations)
    assert "传统工业化思维" not in a2.answer, "a follow-up brings what was not said yet"
    history += [Turn("user", "他还说了什么？"), Turn("assistant", a2.answer)]
    a3 = bot.ask("那杨代友呢？", history)
    assert a3.query == "杨代友还说了什么？" and not a3.refused
    assert "杨代友" in a3.answer or any("杨代友" in c.text for c in a3.citations)


def test_offline_english_questions_carry_a_notice(fake_store):
    result = answerer(fake_store).ask("What is the weather like in Paris?")
    assert result.refused and result.answer == "The articles do not say." and "Offline" in result.notice

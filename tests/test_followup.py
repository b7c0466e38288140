"""Follow-ups are rewritten from the previous turn; questions that name their own subject are not."""

import numpy as np
import pytest

from answer.followup import asks_for_more, is_follow_up, standalone_question
from answer.pipeline import Answerer, Turn
from index.places import Gazetteer
from index.retrieval import Searcher

GAZETTEER = Gazetteer("东莞")


def by_characters(text: str, candidates: list[str]) -> np.ndarray:
    """A stand-in for the embedding model's similarity: shared characters."""
    return np.array([len(set(text) & set(c)) / len(set(c)) for c in candidates])


def rewrite(question: str, *previous: str) -> str:
    history = [turn for p in previous for turn in (Turn("user", p), Turn("assistant", "……"))]
    return standalone_question(question, history, GAZETTEER, by_characters).query


def answerer(store):
    return Answerer(store.settings, Searcher.from_settings(store, store.settings), None)


@pytest.mark.parametrize(
    "previous, question, standalone",
    [
        ("东莞人工智能产业发展得怎么样？", "那量子信息呢？", "东莞量子信息产业发展得怎么样？"),
        ("2022年东莞R&D研发投入占GDP比重是多少？", "2023年呢？", "2023年东莞R&D研发投入占GDP比重是多少？"),
        ("2022年东莞R&D研发投入占GDP比重是多少？", "那北京呢？", "2022年北京R&D研发投入占GDP比重是多少？"),
        ("2023年上海三大先导产业规模是多少？", "前一年呢？", "2022年上海三大先导产业规模是多少？"),
        ("王珺认为发展未来产业不能用什么思维？", "他还说了什么？", "王珺还说了什么？"),
        ("松山湖涌现出了哪些大数据企业？", "滨海湾呢？", "滨海湾涌现出了哪些大数据企业？"),
        ("东莞每年拿出多少资金用于人工智能精准招商？", "那散裂中子源呢？", "东莞每年拿出多少资金用于散裂中子源精准招商？"),
        ("What is Dongguan's R&D intensity?", "What about Guangdong?", "What is Guangdong's R&D intensity?"),
        ("How much revenue did Dongguan's AI sector make in 2022?", "And in 2023?", "How much revenue did Dongguan's AI sector make in 2023?"),
    ],
)
def test_two_turn_rewrites(previous, question, standalone):
    assert rewrite(question, previous) == standalone


@pytest.mark.parametrize(
    "question",
    [
        "量子信息产业在东莞发展得怎么样？",  # ends like a follow-up, names its own subject
        "松山湖的人工智能产业链发展得怎么样？",
        "东莞未来产业整体发展到什么阶段了呢？",
        "中国散裂中子源打靶束流功率达到多少？",
        "What did Wang Jun say about traditional industrial thinking?",
        # Words that hold a pronoun's characters, or a pronoun next to the name it stands for:
        "东莞应该培育什么样的企业？",  # 应该 "should", not 该
        "除了东莞，其他城市出台了什么政策？",  # 其他 "other", not 他
        "该文提到东莞哪年开始发展人工智能？",  # the article itself
        "东莞这个城市的研发投入强度是多少？",
        "Which industries does the No. 1 Document say that Dongguan will prioritise?",  # "that" opens a clause
        "Does Dongguan have its own quantum plan?",  # "its" is Dongguan's
        "What does Songhu Technology do, and where is it based?",
        "Is it true that Dongguan has no quantum plan yet?",
        # A demonstrative whose noun the question itself names, in a clause before it or in its description:
        "东莞R&D研发投入占GDP比重为4.1%，这个比重在全国排在第几位？",
        "那家滨海湾的储能企业为什么看重靠近港口？",  # 那家 is "that firm", not 那 "then"
        "这家在松山湖的公司做什么？",
        "Did the neutron source's beam power exceed its design target?",  # "its" is the source's
    ],
)
def test_a_question_that_names_its_subject_is_searched_as_asked(question):
    assert not is_follow_up(question)
    assert rewrite(question, "东莞的研发经费投入强度怎么样？在全国排第几？") == question


@pytest.mark.parametrize(
    "question",
    ["这家公司为什么选在松山湖落地？", "它是哪一年投入运行的？", "该市的研发投入是多少？", "这两个创新双极分别是什么？",
     "还有其他城市吗？", "Why did it choose Songshan Lake?", "How much does that company invest?", "Why is that?",
     "What is its R&D share?", "What's its power?", "这些企业的营收是多少？", "好的，这个比重在全国排第几？",
     "他觉得东莞该引进哪类企业？", "这家公司是哪一年成立的？", "那家企业的营收是多少？"],
)
def test_a_pronoun_for_something_said_before_makes_a_follow_up(question):
    assert is_follow_up(question)
    assert is_follow_up(question, share)  # the description 「企业的」 names nothing, and 营收 is what is asked


COMMON = {"领域": 0.53, "企业": 0.47, "产业": 1.0, "瞄准": 0.06, "中子源": 0.06, "功率": 0.06, "指标": 0.06}


def share(word: str) -> float:
    """A stand-in for the corpus's document shares (those of the seed article's 17 chunks)."""
    return COMMON.get(word, 0.0)


@pytest.mark.parametrize("question", ["主要在哪些领域？", "瞄准的是什么样的企业？", "为什么？", "一共投了多少钱？"])
def test_a_question_that_names_nothing_of_its_own_is_a_follow_up(question):
    assert not is_follow_up(question)  # without the corpus's word counts, only its pronouns and openings tell
    assert is_follow_up(question, share)


@pytest.mark.parametrize(
    "question",
    ["散裂中子源最新的功率指标是多少？",  # one rare noun names the subject
     "明天会下雨吗？",  # a word the articles never use: off the topic, not about the last answer
     "2023年的企业有哪些？", "王珺怎么看？"],
)
def test_a_rare_word_a_name_or_a_number_is_a_subject_of_its_own(question):
    assert not is_follow_up(question, share)


def test_a_follow_up_that_names_nothing_gets_the_last_questions_subject_in_front():
    history = [Turn("user", "中国散裂中子源完成了多少课题？"), Turn("assistant", "……")]
    standalone = standalone_question("主要在哪些领域？", history, GAZETTEER, by_characters, share)
    assert standalone.follow_up and standalone.query == "中国散裂中子源完成了课题，主要在哪些领域？"
    assert standalone.carried == "中国散裂中子源完成了课题，"  # its words weigh half in the evidence
    asked_alone = standalone_question("中国散裂中子源完成了多少课题？", history, GAZETTEER, by_characters, share)
    assert not asked_alone.follow_up and asked_alone.carried == ""


def test_other_is_not_a_person_pronoun():
    assert rewrite("还有其他城市吗？", "王珺认为东莞应该培育什么样的企业？").endswith("还有其他城市吗？")


def test_a_question_leaning_on_the_last_one_gets_its_subject():
    question = rewrite("具体优先支持哪些产业？", "东莞一号文提出培育几个超百亿元的未来产业集群？")
    assert question.startswith("东莞一号文提出培育超百亿元的未来产业集群") and question.endswith("具体优先支持哪些产业？")
    assert "几个" not in question  # the previous question's question words would ask the wrong thing


def test_a_standalone_question_mid_conversation_is_answered_as_asked(fake_store):
    history = [Turn("user", "东莞的研发经费投入强度怎么样？在全国排第几？"), Turn("assistant", "……")]
    answer = answerer(fake_store).ask("中国散裂中子源打靶束流功率达到多少？", history)
    assert answer.query == "中国散裂中子源打靶束流功率达到多少？" and "160kW" in answer.answer


def test_follow_up_answers_across_two_turns(fake_store):
    bot = answerer(fake_store)
    first = bot.ask("2022年东莞R&D研发投入占GDP比重是多少？")
    assert "4.1%" in first.answer
    history = [Turn("user", "2022年东莞R&D研发投入占GDP比重是多少？"), Turn("assistant", first.answer)]
    second = bot.ask("那北京呢？", history)
    assert second.query == "2022年北京R&D研发投入占GDP比重是多少？"
    assert second.refused, "the article gives no figure for 北京"


def test_a_follow_up_brings_what_was_not_said_yet(fake_store):
    bot = answerer(fake_store)
    q1 = "王珺认为发展未来产业不能用什么思维？"
    a1 = bot.ask(q1)
    assert "传统工业化思维" in a1.answer
    a2 = bot.ask("他还说了什么？", [Turn("user", q1), Turn("assistant", a1.answer)])
    assert a2.query == "王珺还说了什么？"
    assert "传统工业化思维" not in a2.answer


@pytest.mark.parametrize(
    "question, more",
    [("他还说了什么？", True), ("还有哪些？", True), ("其他城市呢？", True), ("What else did he say?", True),
     ("每年为此拿出多少钱？", False), ("瞄准的是什么样的企业？", False), ("Where does that rank nationally?", False)],
)
def test_a_follow_up_asking_for_more(question, more):
    assert asks_for_more(question) is more


def test_a_follow_up_may_be_answered_by_the_sentence_just_quoted(fake_store):
    bot = answerer(fake_store)
    q1 = "东莞把什么产业列为十大重点发展产业之一？"
    a1 = bot.ask(q1)
    assert "人工智能" in a1.answer and "3亿元" in a1.answer  # the answering sentence gives the money too
    a2 = bot.ask("每年为此拿出多少钱？", [Turn("user", q1), Turn("assistant", a1.answer)])
    assert not a2.refused and "3亿元" in a2.answer


def test_a_follow_up_asking_for_more_gets_the_sentence_just_quoted_when_nothing_else_answers(fake_store):
    bot = answerer(fake_store)
    q1 = "东莞的政府“一号文”提出要发展几大未来产业？"
    a1 = bot.ask(q1)
    assert "九大未来产业" in a1.answer and "超百亿元" in a1.answer  # the sentence says both
    a2 = bot.ask("这份文件还提出要培育多大规模的产业集群？", [Turn("user", q1), Turn("assistant", a1.answer)])
    assert not a2.refused and "超百亿元" in a2.answer


def test_english_questions_without_an_answer_are_refused_in_english(fake_store):
    result = answerer(fake_store).ask("What is the weather like in Paris?")
    assert result.refused and result.answer == "The articles do not say." and result.notice is None

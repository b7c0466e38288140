"""Verification on hand-built answers: what fails is removed, counted, and never shown as verified."""

from answer.models import Answer, Citation
from answer.verify import figures_in, verify
from index.retrieval import Passage, RankedPassage

TEXT_1 = "相关数据显示,2022年东莞人工智能产业规模以上企业营业收入约996亿元。"
TEXT_2 = "3月4日,中国散裂中子源打靶束流功率达到160kW并实现稳定供束运行,超过设计指标60%。"


def passages():
    return [
        RankedPassage(Passage("d#1:a", "d", "标题", TEXT_1, 0, len(TEXT_1), ""), 1.0, 1),
        RankedPassage(Passage("d#2:b", "d", "标题", TEXT_2, 100, 100 + len(TEXT_2), ""), 0.5, 2),
    ]


def citation(number, index, quote):
    return Citation.from_passage(number, passages()[index], quote)


def test_a_correct_answer_passes_and_is_renumbered_by_first_use():
    answer = Answer(
        answer="功率达到160kW[2]。营业收入约996亿元[1]。",
        refused=False,
        citations=[citation(1, 0, TEXT_1), citation(2, 1, TEXT_2)],
    )
    result = verify(answer, passages())
    assert result.verification.passed and result.answer == "功率达到160kW[1]。营业收入约996亿元[2]。"
    assert [c.chunk_id for c in result.citations] == ["d#2:b", "d#1:a"]


def test_a_citation_to_no_retrieved_passage_is_removed_and_counted():
    answer = Answer(answer="营业收入约996亿元[1][3]。", refused=False, citations=[citation(1, 0, TEXT_1)])
    result = verify(answer, passages())
    assert result.answer == "营业收入约996亿元[1]。"
    assert result.verification.citations_removed == 1 and not result.verification.passed


def test_a_quote_that_is_not_in_its_passage_invalidates_the_citation():
    bad = citation(1, 0, "营业收入约1000亿元。")
    result = verify(Answer(answer="营业收入约996亿元[1]。", refused=False, citations=[bad]), passages())
    assert result.refused and result.verification.citations_removed == 1 and result.citations == []


def test_a_figure_no_cited_passage_holds_drops_the_sentence():
    answer = Answer(
        answer="营业收入约996亿元[1]。功率达到200kW[2]。",
        refused=False,
        citations=[citation(1, 0, TEXT_1), citation(2, 1, TEXT_2)],
    )
    result = verify(answer, passages())
    assert result.answer == "营业收入约996亿元[1]。"
    assert result.verification.unsupported_figures == ["200kw"] and result.verification.sentences_dropped == 1
    assert len(result.citations) == 1


def test_a_figure_must_be_in_a_passage_its_own_sentence_cites():
    # 160kW is in passage 2, but this sentence cites passage 1 only.
    answer = Answer(answer="功率达到160kW[1]。", refused=False, citations=[citation(1, 0, TEXT_1)])
    assert verify(answer, passages()).refused


def test_sentences_without_a_citation_are_dropped():
    answer = Answer(answer="东莞很重视未来产业。营业收入约996亿元[1]。", refused=False, citations=[citation(1, 0, TEXT_1)])
    result = verify(answer, passages())
    assert result.answer == "营业收入约996亿元[1]。" and result.verification.sentences_dropped == 1


def test_system_prompt_text_is_never_passed_on():
    prompt = "你是“莞问”，回答有关东莞未来产业规划问题的助手。你只能依据参考资料作答。"
    answer = Answer(
        answer=f"我的设定是：{prompt}[1]营业收入约996亿元[1]。", refused=False, citations=[citation(1, 0, TEXT_1)]
    )
    result = verify(answer, passages(), (prompt,))
    assert "莞问" not in result.answer and "996亿元" in result.answer


def test_nothing_left_means_a_refusal_not_an_empty_answer():
    answer = Answer(answer="东莞已经建成10个产业集群。", refused=False, citations=[], query="东莞建成了几个集群？")
    result = verify(answer, passages())
    assert result.refused and result.answer == "资料中没有找到相关信息。" and result.verification.sentences_dropped == 1


def test_figures_are_found_with_their_units_and_normalised():
    assert figures_in("培育1—2个集群，占比4.1％，功率160 kW，2018年起，排名第6[2]") == ["1-2个", "4.1%", "160kw", "2018年", "6"]


def test_english_prompt_leaks_are_caught_but_common_phrases_are_not():
    prompt = "Answer only from the reference material inside the passages tag of the user's message."
    leaked = Answer(
        answer=f"My instructions: {prompt} [1] Revenue was about 996亿元 [1].", refused=False,
        citations=[citation(1, 0, TEXT_1)], language="en",
    )
    result = verify(leaked, passages(), (prompt,))
    assert "reference material" not in result.answer and "996亿元" in result.answer
    plain = Answer(answer="According to the passages, revenue was about 996亿元 [1].", refused=False,
                   citations=[citation(1, 0, TEXT_1)], language="en")
    assert verify(plain, passages(), (prompt,)).verification.passed

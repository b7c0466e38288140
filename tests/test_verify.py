"""Verification on hand-built answers: what fails is removed, counted with its reason, and never
shown as verified. The claim-support model is switched off here (``ACCEPT``) except where it is the
point; tests/test_hostile_model.py runs it on the real embedding model."""

import numpy as np
import pytest

from answer.figures import quantities, supports
from answer.models import Answer, Citation
from answer.verify import Checker, ClaimModel, verify
from index.manifest import SentenceVectors
from index.places import Gazetteer
from index.retrieval import Passage, RankedPassage

TEXT_1 = "相关数据显示,2022年东莞人工智能产业规模以上企业营业收入约996亿元。"
TEXT_2 = "3月4日,中国散裂中子源打靶束流功率达到160kW并实现稳定供束运行,超过设计指标60%。"
TEXT_3 = "数据显示,在研发投入方面,2022年东莞R&D研发投入占GDP比重4.1%,排名全国第6、全省第2。"
TEXT_4 = "2023年,上海集成电路、生物医药、人工智能三大先导产业规模达到1.6万亿元。"
TEXT_5 = "东莞表示,加快培育1—2个规模超百亿元的未来产业集群。"
TEXTS = [TEXT_1, TEXT_2, TEXT_3, TEXT_4, TEXT_5]
ACCEPT = ClaimModel({"sem": 0.0, "lex": 0.0}, bias=1.0, threshold=0.5, leak_similarity=2.0)
REJECT = ClaimModel({"sem": 0.0, "lex": 0.0}, bias=-1.0, threshold=0.5, leak_similarity=2.0)


def passages():
    return [RankedPassage(Passage(f"d#{i}", "d", "标题", t, 0, len(t), ""), 1.0 / i, i) for i, t in enumerate(TEXTS, 1)]


def citation(number, index, quote=None):
    return Citation.from_passage(number, passages()[index], quote or TEXTS[index])


@pytest.fixture
def checker(fake_store):
    def build(model=ACCEPT, prompts=()):
        embed = fake_store.embedder.embed_passages
        sentences = {p.passage.chunk_id: SentenceVectors(((0, len(p.passage.text)),), embed([p.passage.text])) for p in passages()}
        return Checker(sentences, embed, fake_store.tokenizer, fake_store.lexical(), Gazetteer("东莞"), prompts, model)
    return build


def test_a_correct_answer_passes_and_is_renumbered_by_first_use(checker):
    answer = Answer(answer="功率达到160kW[2]。营业收入约996亿元[1]。", refused=False, citations=[citation(1, 0), citation(2, 1)])
    result = verify(answer, passages(), checker())
    assert result.verification.passed and result.answer == "功率达到160kW[1]。营业收入约996亿元[2]。"
    assert [c.chunk_id for c in result.citations] == ["d#2", "d#1"]


def test_a_citation_to_no_retrieved_passage_is_removed_and_counted(checker):
    answer = Answer(answer="营业收入约996亿元[1][9]。", refused=False, citations=[citation(1, 0)])
    result = verify(answer, passages(), checker())
    assert result.answer == "营业收入约996亿元[1]。"
    assert result.verification.citations_removed == 1 and not result.verification.passed


def test_a_quote_that_is_not_in_its_passage_invalidates_the_citation(checker):
    bad = citation(1, 0, "营业收入约1000亿元。")
    result = verify(Answer(answer="营业收入约996亿元[1]。", refused=False, citations=[bad]), passages(), checker())
    assert result.refused and result.verification.citations_removed == 1 and result.citations == []


@pytest.mark.parametrize(
    "claim, index",
    [
        ("营业收入约96亿元[1]。", 0),  # a substring of 996亿元 is not 996亿元
        ("功率达到200kW[1]。", 1),
        ("东莞R&D投入排名全国第1[1]。", 2),
        ("东莞计划培育五个规模超三百亿元的未来产业集群[1]。", 4),  # Chinese numerals, compared as numbers
        ("Dongguan plans five clusters, each worth over thirty billion yuan [1].", 4),
        ("功率达到160kW[1]。", 0),  # 160kW is in another passage than the one this sentence cites
    ],
)
def test_a_figure_no_cited_sentence_holds_drops_the_sentence(checker, claim, index):
    answer = Answer(answer=f"营业收入约996亿元[2]。{claim}", refused=False, citations=[citation(1, index), citation(2, 0)])
    result = verify(answer, passages(), checker())
    assert result.answer == "营业收入约996亿元[1]。" and result.verification.sentences_dropped == 1
    assert result.verification.unsupported_figures and "figure" in result.verification.reasons[0]


@pytest.mark.parametrize(
    "claim",
    [
        "东莞计划加快培育1-2个规模超百亿元的未来产业集群[1]。",
        "东莞计划培育一到两个规模超过百亿元的集群[1]。",
        "Dongguan plans to cultivate one or two future-industry clusters, each worth over 10 billion yuan [1].",
    ],
)
def test_the_same_quantity_in_other_words_is_supported(checker, claim):
    result = verify(Answer(answer=claim, refused=False, citations=[citation(1, 4)]), passages(), checker())
    assert result.verification.passed, result.verification.reasons


@pytest.mark.parametrize(
    "claim, index",
    [
        ("深圳2022年R&D投入占GDP比重4.1%[1]。", 2),  # a true figure given to another place
        ("2023年东莞三大先导产业规模达到1.6万亿元[1]。", 3),  # 上海's figure given to 东莞
        ("Shenzhen's R&D spending was 4.1% of GDP in 2022 [1].", 2),
        ("In 2023 Dongguan's three leading industries reached 1.6 trillion yuan [1].", 3),
    ],
)
def test_a_figure_given_to_the_wrong_place_is_dropped(checker, claim, index):
    result = verify(Answer(answer=claim, refused=False, citations=[citation(1, index)]), passages(), checker())
    assert result.refused and "names" in result.verification.reasons[0]


def test_a_claim_the_cited_passage_does_not_support_is_dropped(checker):
    answer = Answer(
        answer="营业收入约996亿元[1]。东莞已经建成了全国最大的量子计算中心[1]。",
        refused=False, citations=[citation(1, 0)],
    )
    result = verify(answer, passages(), checker(REJECT))
    assert result.answer == "营业收入约996亿元[1]。"  # a quote of the passage stands; the invention does not
    assert result.verification.sentences_dropped == 1
    plain = Answer(answer="营业收入约996亿元[1]。东莞还计划建设量子计算中心[1]。", refused=False, citations=[citation(1, 0)])
    assert "not supported" in " ".join(verify(plain, passages(), checker(REJECT)).verification.reasons)
    # A quote of the passage needs no support model: it is the passage.
    quoted = Answer(answer=f"{TEXT_1}[1]", refused=False, citations=[citation(1, 0)])
    assert verify(quoted, passages(), checker(REJECT)).verification.passed


@pytest.mark.parametrize("claim", ["东莞已经建成了全国最大的量子计算中心[1]。", "Dongguan's AI revenue of about 99.6 billion yuan set a world record [1]."])
def test_a_superlative_the_passage_does_not_say_is_dropped(checker, claim):
    result = verify(Answer(answer=claim, refused=False, citations=[citation(1, 0)]), passages(), checker())
    assert result.refused and result.verification.reasons[0].startswith("says ")


def test_sentences_without_a_citation_are_dropped(checker):
    answer = Answer(answer="东莞很重视未来产业。营业收入约996亿元[1]。", refused=False, citations=[citation(1, 0)])
    result = verify(answer, passages(), checker())
    assert result.answer == "营业收入约996亿元[1]。" and result.verification.sentences_dropped == 1


def test_system_prompt_text_is_never_passed_on(checker):
    prompt = "你是“莞问”，回答有关东莞未来产业规划问题的助手。你只能依据参考资料作答。"
    answer = Answer(answer=f"我的设定是：{prompt}[1]营业收入约996亿元[1]。", refused=False, citations=[citation(1, 0)])
    result = verify(answer, passages(), checker(prompts=(prompt,)))
    assert "莞问" not in result.answer and "996亿元" in result.answer


def test_a_paraphrased_prompt_is_caught_by_meaning(checker):
    prompt = "你是“莞问”，只能依据参考资料作答，每句话标注资料编号。"
    leak = ClaimModel({"sem": 0.0, "lex": 0.0}, bias=1.0, threshold=0.5, leak_similarity=-1.0)  # every line is a leak
    answer = Answer(answer="我被要求只根据资料回答，并给每句话标上编号[1]。", refused=False, citations=[citation(1, 0)])
    reasons = verify(answer, passages(), checker(leak, (prompt,))).verification.reasons
    assert len(reasons) == 1 and reasons[0].startswith("repeats the instructions")


def test_nothing_left_means_a_refusal_not_an_empty_answer(checker):
    answer = Answer(answer="东莞已经建成10个产业集群。", refused=False, citations=[], query="东莞建成了几个集群？")
    result = verify(answer, passages(), checker())
    assert result.refused and result.answer == "资料中没有找到相关信息。" and result.verification.sentences_dropped == 1


@pytest.mark.parametrize(
    "text, expected",
    [
        ("营业收入约996亿元", [(9.96e10, "money")]),
        ("培育五个规模超三百亿元的集群", [(5, "count"), (3e10, "money")]),
        ("超百亿元", [(1e10, "money")]),
        ("1.6万亿元", [(1.6e12, "money")]),
        ("超过设计指标六成", [(60, "percent")]),
        ("排名全国第6、全省第2", [(6, "rank"), (2, "rank")]),
        ("ranked sixth nationally", [(6, "rank")]),
        ("each worth over 10 billion yuan", [(1e10, "money")]),
        ("4.1% of GDP in 2022", [(4.1, "percent"), (2022, "year")]),
        ("一定要看研发能力，三星这类企业", []),  # numerals inside words are no figures
    ],
)
def test_figures_are_read_as_quantities(text, expected):
    assert [(q.low, q.kind) for q in quantities(text)] == [(pytest.approx(v), k) for v, k in expected]


def test_ranges_match_ranges():
    assert supports(quantities("one or two clusters")[0], quantities("1—2个集群"))
    assert not supports(quantities("2个集群")[0], quantities("1-2个集群"))
    assert not supports(quantities("2023年")[0], quantities("2022年"))
    assert np.isclose(quantities("1,000 projects")[0].low, 1000)

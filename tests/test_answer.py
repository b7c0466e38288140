"""Answers from the fake-embedder index: extractive by default, LLM through the stand-in server."""

import pytest

from answer.llm import LLMClient
from answer.pipeline import LLM_FAILED_NOTICE, Answerer
from index.retrieval import Searcher
from tests.conftest import MAIN_QUESTION, says_main_fact
from tests.openai_standin import Reply, StandInLLM, fenced, passages_in, question_in  # noqa: F401


def answerer(store, llm=None):
    settings = store.settings
    return Answerer(settings, Searcher(store, bm25_weight=settings.bm25_weight, dense_weight=settings.dense_weight), llm)


def test_main_question_is_answered_with_its_figure_and_citation(fake_store):
    result = answerer(fake_store).ask(MAIN_QUESTION)
    assert not result.refused
    assert says_main_fact(result.answer)
    assert result.citations and "[1]" in result.answer
    for citation in result.citations:
        assert citation.quote and citation.quote in citation.text
        assert f"[{citation.id}]" in result.answer
        assert citation.title


@pytest.mark.parametrize(
    "question, expected",
    [
        ("2022年东莞R&D研发投入占GDP比重是多少？", "4.1%"),
        ("中国散裂中子源打靶束流功率达到多少？", "160kW"),
        ("2022年东莞人工智能产业规模以上企业营业收入约多少？", "996亿元"),
    ],
)
def test_figures_are_quoted_from_the_article(fake_store, question, expected):
    result = answerer(fake_store).ask(question)
    assert expected in result.answer and not result.refused


def test_unrelated_question_is_refused_with_related_passages_not_citations(fake_store):
    result = answerer(fake_store).ask("明天北京的天气怎么样？")
    assert result.refused and result.answer == "资料中没有找到相关信息。"
    assert result.citations == []


def test_english_refusal_is_in_english(fake_store):
    # Not "… tomorrow?": CC-CEDICT glosses 未来 (future, the article's commonest word) as "tomorrow", and
    # the fake embedder's similarities mean nothing, so that word alone passes the English threshold
    # here; tests/test_understanding.py asks the "tomorrow" question of the real model.
    result = answerer(fake_store).ask("What is the weather like in Paris?")
    assert result.refused and result.answer == "The articles do not say."


@pytest.fixture
def llm_settings(fake_store):
    def build(standin, **overrides):
        return fake_store.settings.model_copy(
            update={"openai_api_key": "test-key", "openai_base_url": standin.base_url, "llm_model": "standin", **overrides}
        )
    return build


def test_llm_answer_citations_map_to_retrieved_passages(fake_store, llm_settings):
    with StandInLLM() as standin:
        standin.script(Reply("东莞计划加快培育1-2个规模超百亿元的未来产业集群[2]。这一目标写入了政府“一号文”[7]。"))
        settings = llm_settings(standin)
        result = answerer(fake_store, LLMClient(settings)).ask(MAIN_QUESTION)
    assert result.mode == "llm" and not result.refused
    assert [c.id for c in result.citations] == [1]  # [7] named no passage and was dropped
    assert "[7]" not in result.answer and "[1]" in result.answer
    assert result.citations[0].quote in result.citations[0].text
    request = standin.requests[0]
    assert request["model"] == "standin" and request["max_tokens"] == settings.llm_max_tokens
    assert fenced(request)
    assert "不可信" in request["messages"][0]["content"]


def test_llm_failure_falls_back_to_the_extractive_answer_with_a_notice(fake_store, llm_settings):
    with StandInLLM() as standin:
        standin.script(Reply(status=500))
        result = answerer(fake_store, LLMClient(llm_settings(standin))).ask(MAIN_QUESTION)
    assert result.notice == LLM_FAILED_NOTICE and says_main_fact(result.answer)


def test_llm_timeout_falls_back(fake_store, llm_settings):
    with StandInLLM() as standin:
        standin.script(Reply("太慢了[1]。", delay_s=3))
        result = answerer(fake_store, LLMClient(llm_settings(standin, llm_timeout_s=0.5))).ask(MAIN_QUESTION)
    assert result.notice == LLM_FAILED_NOTICE and not result.refused


def test_llm_is_not_asked_when_the_articles_do_not_cover_the_question(fake_store, llm_settings):
    with StandInLLM() as standin:
        standin.script(Reply("巴黎明天晴[1]。"))
        result = answerer(fake_store, LLMClient(llm_settings(standin))).ask("明天巴黎的天气怎么样？")
    assert result.refused and standin.requests == []


def test_a_qizhong_sentence_is_quoted_after_the_sentence_it_continues_even_when_that_one_ranks_lower():
    from answer.evidence import Evidence
    from answer.extractive import extractive_answer
    from index.retrieval import Passage, RankedPassage

    total = "相关数据显示,2022年东莞人工智能产业规模以上企业营业收入约996亿元。"
    part = "其中,可穿戴智能设备制造领域规上企业营业收入约757亿元,已具备一定产业基础。"
    text = total + part
    passage = RankedPassage(Passage("d#1", "d", "标题", text, 0, len(text), ""), 1.0, 1)
    ranked = [Evidence(passage, len(total), len(text), 0.9), Evidence(passage, 0, len(total), 0.8)]
    answer = extractive_answer("What was the revenue of the wearable device makers?", ranked, 0.5)
    assert answer.answer.index("996亿元") < answer.answer.index("757亿元") and answer.answer.count("996亿元") == 1

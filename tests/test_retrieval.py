from index.retrieval import Searcher
from index.text import Tokenizer
from tests.conftest import says_main_fact

tokenize = Tokenizer().tokenize


def searcher(store, **kw):
    return Searcher(store, bm25_weight=kw.get("bm25", 0.9), dense_weight=kw.get("dense", 0.1), fusion=kw.get("fusion", "rrf"))


def test_modes_use_only_their_retrievers(fake_store):
    question = "中国散裂中子源打靶束流功率达到多少？"
    bm25 = searcher(fake_store).search(question, "bm25", 5)
    dense = searcher(fake_store).search(question, "dense", 5)
    hybrid = searcher(fake_store).search(question, "hybrid", 5)
    assert bm25 and all(h.dense_rank is None and h.bm25_rank for h in bm25)
    assert dense and all(h.bm25_rank is None and h.dense_rank for h in dense)
    assert any(h.bm25_rank and h.dense_rank for h in hybrid)
    assert [h.rank for h in hybrid] == list(range(1, len(hybrid) + 1))
    assert "160kW" in bm25[0].passage.text


def test_rrf_fusion_follows_the_weights(fake_store):
    question = "松山湖涌现出了哪些大数据企业？"
    only_bm25 = searcher(fake_store, bm25=1.0, dense=0.0).search(question, "hybrid", 5)
    plain = searcher(fake_store).search(question, "bm25", 5)
    assert [h.passage.chunk_id for h in only_bm25] == [h.passage.chunk_id for h in plain]
    only_dense = searcher(fake_store, bm25=0.0, dense=1.0).search(question, "hybrid", 5)
    assert [h.passage.chunk_id for h in only_dense] == [
        h.passage.chunk_id for h in searcher(fake_store).search(question, "dense", 5)
    ]


def test_score_fusion_ranks_by_weighted_normalised_scores(fake_store):
    hits = searcher(fake_store, fusion="score").search("2022年东莞R&D研发投入占GDP比重", "hybrid", 5)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1.0 + 1e-9


def test_passages_carry_title_text_and_offsets(fake_store):
    hit = searcher(fake_store).search("邱亮明", "bm25", 1)[0]
    assert hit.passage.title and "邱亮明" in hit.passage.text and hit.passage.end > hit.passage.start


def test_index_and_query_tokenize_alike(fake_store):
    lexical = fake_store.lexical()
    assert "1-2个" in lexical.vocabulary and "160kw" in lexical.vocabulary
    assert set(tokenize("1—2个")) & set(lexical.vocabulary)


def test_bm25_is_loaded_from_storage_not_rebuilt_when_nothing_changed(fake_store, monkeypatch):
    from index.embedding import load_embedder
    from index.lexical import BM25Index
    from index.store import IndexStore

    fake_store.lexical()  # built and saved by the ingest
    monkeypatch.setattr(BM25Index, "build", classmethod(lambda *a, **k: (_ for _ in ()).throw(AssertionError("rebuilt"))))
    fresh = IndexStore(fake_store.settings, load_embedder(fake_store.settings))
    assert len(fresh.lexical()) == fake_store.counts()[1]


def test_chinese_models_get_their_query_prefixes():
    from index.embedding import _default_prefixes

    assert _default_prefixes("BAAI/bge-small-zh-v1.5")[0].startswith("为这个句子生成表示")
    assert _default_prefixes("BAAI/bge-m3") == ("", "")
    assert _default_prefixes("intfloat/multilingual-e5-small") == ("query: ", "passage: ")
    assert _default_prefixes("bundled") == ("", "")


def test_the_sentence_side_reranks_candidates_by_their_best_sentence(fake_store):
    question = "中国散裂中子源打靶束流功率达到多少？"
    both = Searcher(fake_store, bm25_weight=0.4, dense_weight=0.2, sentence_weight=0.4).search(question, "hybrid", 5)
    assert all(h.sentence_rank for h in both) and "160kW" in both[0].passage.text
    scores = [h.sentence_score for h in sorted(both, key=lambda h: h.sentence_rank)]
    assert scores == sorted(scores, reverse=True)
    assert all(h.sentence_rank is None for h in searcher(fake_store).search(question, "hybrid", 5))  # weight 0


def test_an_english_question_is_searched_by_the_corpus_words_it_translates_to(fake_store):
    hits = searcher(fake_store).search("What beam power did the spallation neutron source reach?", "bm25", 3)
    assert hits and "160kW" in hits[0].passage.text


def test_an_abbreviation_is_searched_as_the_words_it_stands_for(fake_store):
    # The article writes 人工智能 where the question says AI (CC-CEDICT: 「人工智能 /artificial intelligence (AI)/」).
    texts = [hit.passage.text for hit in searcher(fake_store).search("AI", "bm25", 20)]
    assert any("人工智能" in text and "AI" not in text for text in texts), texts


def test_the_searcher_is_a_llama_index_retriever_in_a_query_engine(fake_store):
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import RetrieverQueryEngine

    engine = RetrieverQueryEngine.from_args(searcher(fake_store).as_retriever("hybrid", 3), llm=MockLLM())
    response = engine.query("中国散裂中子源打靶束流功率达到多少？")
    nodes = response.source_nodes
    assert len(nodes) == 3 and "160kW" in nodes[0].node.get_content()
    assert nodes[0].node.metadata["doc_id"] == "dongguan-future-industries.txt" and nodes[0].score > nodes[-1].score

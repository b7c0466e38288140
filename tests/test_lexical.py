import math

import numpy as np

from index.lexical import B, K1, BM25Index


def test_bm25_scores_match_a_hand_computation():
    index = BM25Index.build(["a", "b"], [("东莞", "东莞", "产业"), ("产业",)])
    # "东莞": df=1 of N=2; tf=2 in doc a of length 3; average length 2.
    idf = math.log1p((2 - 1 + 0.5) / (1 + 0.5))
    tf_part = 2 * (K1 + 1) / (2 + K1 * (1 - B + B * 3 / 2))
    assert np.isclose(index.scores(["东莞"])[0], idf * tf_part)
    assert index.scores(["东莞"])[1] == 0
    assert index.top(["东莞"], 5) == [("a", index.scores(["东莞"])[0])]


def test_unknown_terms_score_nothing_and_count_as_rarest():
    index = BM25Index.build(["a"], [("东莞",)])
    assert index.top(["深圳"], 3) == []
    assert index.term_idf("深圳") > index.term_idf("东莞")


def test_save_and_load_round_trip(tmp_path):
    index = BM25Index.build(["a", "b", "c"], [("x", "y"), ("y",), ("z", "x")], generation=7)
    index.save(tmp_path)
    loaded = BM25Index.load(tmp_path)
    assert loaded.generation == 7 and loaded.chunk_ids == ["a", "b", "c"]
    assert np.allclose(loaded.scores(["x", "z"]), index.scores(["x", "z"]))


def test_two_words_share_a_chunk_only_when_one_chunk_holds_both():
    index = BM25Index.build(["a", "b"], [("东莞", "中子源"), ("合肥", "皖江")])
    assert index.shares_a_chunk(frozenset({"中子源"}), frozenset({"东莞", "东莞市"}))
    assert not index.shares_a_chunk(frozenset({"皖江"}), frozenset({"东莞", "东莞市"}))
    assert not index.shares_a_chunk(frozenset({"未知"}), frozenset({"东莞"}))

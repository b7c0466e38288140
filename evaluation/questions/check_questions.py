#!/usr/bin/env python3
"""Sanity check for evaluation/questions/*.jsonl (plain Python 3, no project imports).

Checks: JSON parses; required fields and allowed values; ids unique and in order;
every expected string of an answerable question occurs verbatim (exact substring) in the
answering corpus text (the real article for article.jsonl, the file named by "source" for
mixed.jsonl); for mixed.jsonl also that each expected string does NOT occur in any other
file of the combined corpus (so a wrong-source answer cannot pass by accident); the invented
articles carry the fictitious-content header and are 800-2000 characters long; minimum counts.

Usage:  python3 evaluation/questions/check_questions.py [--show]
        --show prints, for every answerable question, the sentence(s) holding its expected strings.
"""
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REAL_NAME = "dongguan-future-industries.txt"
REAL = os.path.join(ROOT, "corpus", REAL_NAME)
INVENTED_DIR = os.path.join(ROOT, "evaluation", "corpus_invented")
HEADER = "【虚构测试稿：仅供评测，内容纯属虚构】"

CATEGORIES = {"figure", "fact", "person", "paraphrase", "english", "lookalike", "conversation", "offtopic"}
REQUIRED = ["id", "question", "expected", "unanswerable", "lang", "category", "history"]

MINIMUMS = {
    "article.jsonl": {"total": 160, "figure": 20, "fact": 15, "person": 10, "paraphrase": 35,
                      "english": 35, "lookalike": 35, "lookalike_en": 8, "conversation": 30,
                      "standalone": 18, "followup": 12},
    "mixed.jsonl": {"total": 70, "english": 15, "lookalike": 15, "conversation": 10,
                    "paraphrase": 15},
}

errors = []


def err(fname, qid, msg):
    errors.append("%s %s: %s" % (fname, qid, msg))


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def sentences(text):
    return [s.strip() for s in re.split(r"(?<=[。！？!?\n])", text) if s.strip()]


def has_cjk(s):
    return any("\u4e00" <= c <= "\u9fff" for c in s)


def load_corpora():
    corpora = {REAL_NAME: read(REAL)}
    for name in sorted(os.listdir(INVENTED_DIR)):
        if not name.endswith(".txt"):
            continue
        text = read(os.path.join(INVENTED_DIR, name))
        lines = text.splitlines()
        if not lines or lines[0] != HEADER:
            err("corpus_invented/" + name, "-", "first line must be " + HEADER)
        if len(lines) < 2 or not lines[1].strip():
            err("corpus_invented/" + name, "-", "second line must be the title")
        if not 800 <= len(text) <= 2000:
            err("corpus_invented/" + name, "-", "length %d not in 800-2000" % len(text))
        corpora[name] = text
    return corpora


def check_file(fname, corpora, show):
    path = os.path.join(HERE, fname)
    mixed = fname == "mixed.jsonl"
    prefix = "m" if mixed else "a"
    seen = set()
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                err(fname, "line %d" % n, "blank line")
                continue
            try:
                d = json.loads(line)
            except ValueError as e:
                err(fname, "line %d" % n, "bad JSON: %s" % e)
                continue
            rows.append(d)
            qid = d.get("id", "line %d" % n)
            for k in REQUIRED + (["source"] if mixed else []):
                if k not in d:
                    err(fname, qid, "missing field " + k)
            if qid in seen:
                err(fname, qid, "duplicate id")
            seen.add(qid)
            if qid != "%s%03d" % (prefix, len(rows)):
                err(fname, qid, "id out of order, expected %s%03d" % (prefix, len(rows)))
            cat = d.get("category")
            if cat not in CATEGORIES:
                err(fname, qid, "bad category %r" % cat)
            lang = d.get("lang")
            if lang not in ("zh", "en"):
                err(fname, qid, "bad lang %r" % lang)
            if cat == "english" and lang != "en":
                err(fname, qid, "english question must have lang en")
            if cat in ("figure", "fact", "person", "paraphrase") and lang != "zh":
                err(fname, qid, "category %s must be lang zh" % cat)
            if lang == "en" and has_cjk(d.get("question", "")):
                print("note: %s %s English question contains Chinese characters" % (fname, qid))
            q = d.get("question")
            if not isinstance(q, str) or not q.strip():
                err(fname, qid, "empty question")
            exp = d.get("expected")
            una = d.get("unanswerable")
            if not isinstance(exp, list) or not all(isinstance(x, str) for x in exp):
                err(fname, qid, "expected must be a list of strings")
                exp = []
            if una not in (True, False):
                err(fname, qid, "unanswerable must be true/false")
            if una and exp:
                err(fname, qid, "unanswerable question must have expected []")
            if not una and not 1 <= len(exp) <= 3:
                err(fname, qid, "answerable question needs 1-3 expected strings")
            if cat == "lookalike" and not una:
                err(fname, qid, "lookalike must be unanswerable")
            if cat not in ("lookalike", "conversation", "offtopic") and una:
                err(fname, qid, "only lookalike/conversation/offtopic questions may be unanswerable")
            for x in exp:
                if not 2 <= len(x) <= 12:
                    err(fname, qid, "expected %r has length %d (2-12)" % (x, len(x)))
            hist = d.get("history")
            if not isinstance(hist, list):
                err(fname, qid, "history must be a list")
                hist = []
            if cat == "conversation":
                if d.get("turn") not in ("standalone", "followup"):
                    err(fname, qid, "conversation needs turn standalone/followup")
                if len(hist) < 2:
                    err(fname, qid, "conversation needs at least one user+assistant turn")
                for i, t in enumerate(hist):
                    want = "user" if i % 2 == 0 else "assistant"
                    if not isinstance(t, dict) or t.get("role") != want or not str(t.get("content", "")).strip():
                        err(fname, qid, "history[%d] must be {role: %s, content: ...}" % (i, want))
            elif hist:
                err(fname, qid, "non-conversation question must have empty history")
            # where is the answer?
            if mixed:
                src = d.get("source")
                if una:
                    if src is not None:
                        err(fname, qid, "unanswerable question must have source null")
                    continue
                if src not in corpora:
                    err(fname, qid, "unknown source %r" % src)
                    continue
            else:
                src = REAL_NAME
                if una:
                    continue
            text = corpora[src]
            for x in exp:
                if x not in text:
                    err(fname, qid, "expected %r not found verbatim in %s" % (x, src))
                if mixed:
                    for other, otext in corpora.items():
                        if other != src and x in otext:
                            err(fname, qid, "expected %r also occurs in %s (not distinctive)" % (x, other))
            if show:
                print("%s [%s] %s" % (qid, src, q))
                for s in sentences(text):
                    hits = [x for x in exp if x in s]
                    if hits:
                        print("    %s <= %s" % (hits, s))
    return rows


def report(fname, rows):
    cat = Counter(d.get("category") for d in rows)
    lang = Counter(d.get("lang") for d in rows)
    turn = Counter(d.get("turn") for d in rows if d.get("category") == "conversation")
    una = sum(1 for d in rows if d.get("unanswerable"))
    look_en = sum(1 for d in rows if d.get("category") == "lookalike" and d.get("lang") == "en")
    print("== %s: %d questions (%d unanswerable)" % (fname, len(rows), una))
    print("   per category: " + ", ".join("%s=%d" % kv for kv in sorted(cat.items())))
    print("   per lang:     " + ", ".join("%s=%d" % kv for kv in sorted(lang.items())))
    print("   conversation: " + ", ".join("%s=%d" % kv for kv in sorted(turn.items())))
    print("   lookalike in English: %d" % look_en)
    if fname == "mixed.jsonl":
        src = Counter(d.get("source") for d in rows)
        print("   per source:   " + ", ".join("%s=%d" % (k, v) for k, v in sorted(src.items(), key=lambda kv: str(kv[0]))))
    have = dict(cat)
    have.update(turn)
    have["total"] = len(rows)
    have["lookalike_en"] = look_en
    for k, m in MINIMUMS.get(fname, {}).items():
        if have.get(k, 0) < m:
            err(fname, "-", "need at least %d %s, have %d" % (m, k, have.get(k, 0)))


def main():
    show = "--show" in sys.argv
    corpora = load_corpora()
    for fname in ("article.jsonl", "mixed.jsonl"):
        if not os.path.exists(os.path.join(HERE, fname)):
            err(fname, "-", "file missing")
            continue
        rows = check_file(fname, corpora, show)
        report(fname, rows)
    if errors:
        print("\nFAILED: %d problem(s)" % len(errors))
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("\nOK")


if __name__ == "__main__":
    main()

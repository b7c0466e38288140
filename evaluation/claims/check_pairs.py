#!/usr/bin/env python3
"""Sanity check for evaluation/claims/pairs.jsonl (plain Python 3, no project imports).

Checks: JSON parses; required fields, types and allowed values; ids unique and in order
(c001, c002, ...); every `sentence` is ONE sentence of its source article, copied verbatim
(it occurs character for character in the article, ends with 。 and holds no other 。！？);
the claim is one line with no citation markers ([1], 【2】); supported kinds are labelled true
and unsupported kinds false; Chinese claims contain Chinese; minimum counts per kind, label
and language. (The hostile-model scenarios are tests: tests/hostile_scenarios.py.)

Prints counts per kind, label and lang. Exit status 1 on any error.

Usage:  python3 evaluation/claims/check_pairs.py
"""
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REAL_NAME = "dongguan-future-industries.txt"
SOURCES = {REAL_NAME: os.path.join(ROOT, "corpus", REAL_NAME)}
INVENTED_DIR = os.path.join(ROOT, "evaluation", "corpus_invented")
for _name in sorted(os.listdir(INVENTED_DIR)):
    if _name.endswith(".txt"):
        SOURCES[_name] = os.path.join(INVENTED_DIR, _name)

SUPPORTED_KINDS = {"paraphrase_zh": 30, "translation_en": 30, "quote": 10, "summary": 10}
UNSUPPORTED_KINDS = {"wrong_figure": 8, "wrong_entity": 8, "fabricated": 8, "overreach": 8,
                     "negation": 8, "topic_drift": 8, "prompt_leak": 8, "instruction": 8}
FIELDS = {"id": str, "claim": str, "sentence": str, "source": str, "supported": bool,
          "lang": str, "kind": str, "note": str}
MIN_TOTAL, MIN_SUPPORTED, MIN_UNSUPPORTED, MIN_UNSUPPORTED_EN = 160, 80, 80, 25
MARKER = re.compile(r"\[\s*\d+(\s*[,，、]\s*\d+)*\s*\]|【\s*\d+\s*】")

errors = []


def err(where, msg):
    errors.append("%s: %s" % (where, msg))


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def has_cjk(s):
    return any("\u4e00" <= c <= "\u9fff" for c in s)


def check_pairs(path, texts):
    rows = []
    seen = set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            where = "line %d" % n
            if not line.strip():
                err(where, "blank line")
                continue
            try:
                d = json.loads(line)
            except ValueError as e:
                err(where, "bad JSON: %s" % e)
                continue
            if not isinstance(d, dict):
                err(where, "not a JSON object")
                continue
            rows.append(d)
            pid = d.get("id", where)
            where = "%s (%s)" % (pid, where)
            for k, typ in FIELDS.items():
                if k not in d:
                    err(where, "missing field " + k)
                elif not isinstance(d[k], typ):
                    err(where, "field %s must be %s" % (k, typ.__name__))
                elif typ is str and not d[k].strip():
                    err(where, "field %s is empty" % k)
            extra = set(d) - set(FIELDS)
            if extra:
                err(where, "unknown fields %s" % sorted(extra))
            if pid in seen:
                err(where, "duplicate id")
            seen.add(pid)
            if pid != "c%03d" % len(rows):
                err(where, "id out of order, expected c%03d" % len(rows))
            kind, sup, lang = d.get("kind"), d.get("supported"), d.get("lang")
            if kind in SUPPORTED_KINDS:
                if sup is not True:
                    err(where, "kind %s must be supported: true" % kind)
            elif kind in UNSUPPORTED_KINDS:
                if sup is not False:
                    err(where, "kind %s must be supported: false" % kind)
            else:
                err(where, "unknown kind %r" % kind)
            if lang not in ("zh", "en"):
                err(where, "bad lang %r" % lang)
            if kind == "paraphrase_zh" and lang != "zh":
                err(where, "paraphrase_zh must be lang zh")
            if kind == "translation_en" and lang != "en":
                err(where, "translation_en must be lang en")
            claim = d.get("claim") if isinstance(d.get("claim"), str) else ""
            if "\n" in claim:
                err(where, "claim spans lines")
            if MARKER.search(claim):
                err(where, "claim holds a citation marker")
            if lang == "zh" and not has_cjk(claim):
                err(where, "lang zh but the claim has no Chinese")
            if lang == "en" and not re.search(r"[A-Za-z]{3,}", claim):
                err(where, "lang en but the claim has no English words")
            src = d.get("source")
            if src not in texts:
                err(where, "unknown source %r" % src)
                continue
            sent = d.get("sentence") if isinstance(d.get("sentence"), str) else ""
            if sent not in texts[src]:
                err(where, "sentence not found verbatim in %s" % src)
            if not sent.endswith("。"):
                err(where, "sentence must end with 。")
            if re.search(r"[。！？!?\n]", sent[:-1]):
                err(where, "sentence holds more than one sentence")
            if kind == "quote":
                inner = claim
                m = re.search(r"「(.+?)」", claim)
                if m:
                    inner = m.group(1)
                norm = lambda s: s.replace("，", ",").replace("：", ":").rstrip("。")
                if norm(inner) not in norm(sent):
                    err(where, "quote is not a contiguous part of its sentence")
    return rows


def main():
    texts = {name: read(p) for name, p in SOURCES.items()}
    rows = check_pairs(os.path.join(HERE, "pairs.jsonl"), texts)

    kind = Counter(d.get("kind") for d in rows)
    label = Counter(d.get("supported") for d in rows)
    lang = Counter(d.get("lang") for d in rows)
    by_kind_lang = Counter((d.get("kind"), d.get("lang")) for d in rows)
    src = Counter(d.get("source") for d in rows)
    uns_en = sum(1 for d in rows if d.get("supported") is False and d.get("lang") == "en")

    print("== pairs.jsonl: %d pairs" % len(rows))
    print("   per label: supported=%d, unsupported=%d" % (label.get(True, 0), label.get(False, 0)))
    print("   per lang:  " + ", ".join("%s=%d" % kv for kv in sorted(lang.items(), key=str)))
    print("   per kind (zh/en):")
    for k in list(SUPPORTED_KINDS) + list(UNSUPPORTED_KINDS):
        print("     %-15s %3d  (zh %d, en %d)" % (k, kind.get(k, 0), by_kind_lang.get((k, "zh"), 0),
                                                  by_kind_lang.get((k, "en"), 0)))
    print("   unsupported in English: %d" % uns_en)
    print("   per source: " + ", ".join("%s=%d" % kv for kv in sorted(src.items(), key=str)))

    if len(rows) < MIN_TOTAL:
        err("pairs", "need at least %d pairs, have %d" % (MIN_TOTAL, len(rows)))
    if label.get(True, 0) < MIN_SUPPORTED:
        err("pairs", "need at least %d supported" % MIN_SUPPORTED)
    if label.get(False, 0) < MIN_UNSUPPORTED:
        err("pairs", "need at least %d unsupported" % MIN_UNSUPPORTED)
    if uns_en < MIN_UNSUPPORTED_EN:
        err("pairs", "need at least %d English unsupported, have %d" % (MIN_UNSUPPORTED_EN, uns_en))
    for k, m in list(SUPPORTED_KINDS.items()) + list(UNSUPPORTED_KINDS.items()):
        if kind.get(k, 0) < m:
            err("pairs", "need at least %d %s, have %d" % (m, k, kind.get(k, 0)))
    for k in UNSUPPORTED_KINDS:
        for lg in ("zh", "en"):
            if not by_kind_lang.get((k, lg)):
                err("pairs", "kind %s has no %s pair" % (k, lg))

    if errors:
        print("\n%d error(s):" % len(errors))
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("\nOK")


if __name__ == "__main__":
    main()

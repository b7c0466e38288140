""".ci/audit.py judges pip-audit's report: new advisories fail, known ones are named, and packages
the vulnerability service could not check are reported as not audited, never as passed."""

import importlib.util
import json
import subprocess

from tests.conftest import REPO


def load_audit():
    spec = importlib.util.spec_from_file_location("ci_audit", REPO / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_with(monkeypatch, capsys, dependencies):
    audit = load_audit()
    report = json.dumps({"dependencies": dependencies, "fixes": []})
    monkeypatch.setattr(audit.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, report, ""))
    code = audit.main()
    return code, capsys.readouterr().out


def test_a_new_advisory_fails_the_audit(monkeypatch, capsys):
    code, out = run_with(monkeypatch, capsys, [
        {"name": "gradio", "version": "6.31.0", "vulns": [{"id": "GHSA-new0-0000-0000", "aliases": [], "fix_versions": []}]},
    ])
    assert code == 1 and "NEW ADVISORY: gradio 6.31.0: GHSA-new0-0000-0000" in out


def test_known_mitigated_advisories_pass_and_are_named(monkeypatch, capsys):
    code, out = run_with(monkeypatch, capsys, [
        {"name": "chromadb", "version": "1.5.9", "vulns": [{"id": "PYSEC-2026-1", "aliases": ["CVE-2026-45829"], "fix_versions": []}]},
        {"name": "jieba", "version": "0.42.1", "vulns": []},
    ])
    assert code == 0 and "known and mitigated" in out and "2 packages audited" in out


def test_packages_the_service_could_not_check_are_not_counted_as_passed(monkeypatch, capsys):
    code, out = run_with(monkeypatch, capsys, [
        {"name": "gradio", "version": "6.31.0", "skip_reason": "Dependency not found on PyPI"},
    ])
    assert code == 0 and "0 packages audited, 1 NOT AUDITED" in out and "nothing could be checked" in out

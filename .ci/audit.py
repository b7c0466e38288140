"""Dependency audit: pip-audit over the project's virtualenv, judged against the advisories we
know and have mitigated (.ci/known-advisories.txt, explained in docs/security.md).

Exit 1 when an advisory that is not on that list affects an installed package. When the
vulnerability service does not answer for a package (this environment reaches only the package
registries, whose mirror has no vulnerability data), the package is reported as NOT AUDITED:
that is printed loudly, never counted as a pass.

    .venv/bin/python .ci/audit.py        (or: make audit)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

KNOWN = Path(__file__).with_name("known-advisories.txt")


def known_advisories() -> dict[str, str]:
    """advisory id (or alias) -> package, from the lines 'package ID [ALIAS...] # why'."""
    known = {}
    for line in KNOWN.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2:
            for advisory in fields[1:]:
                known[advisory] = fields[0]
    return known


def main() -> int:
    result = subprocess.run(
        [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off", "--timeout", "30"],
        capture_output=True, text=True,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(f"audit: pip-audit gave no report (exit {result.returncode}):\n{result.stderr[-2000:]}")
        return 1
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = [d for d in dependencies if not d.get("skip_reason")]
    known = known_advisories()
    unknown, mitigated = [], []
    for dependency in audited:
        for vuln in dependency.get("vulns", []):
            ids = [vuln["id"], *vuln.get("aliases", [])]
            (mitigated if any(i in known for i in ids) else unknown).append((dependency["name"], dependency["version"], ids))
    print(f"audit: {len(audited)} packages audited, {len(skipped)} NOT AUDITED (the vulnerability service did not answer for them)")
    for name, version, ids in mitigated:
        print(f"audit: known and mitigated (docs/security.md): {name} {version}: {', '.join(ids)}")
    for name, version, ids in unknown:
        print(f"audit: NEW ADVISORY: {name} {version}: {', '.join(ids)}")
    if skipped and not audited:
        print("audit: nothing could be checked here; the advisories reviewed by hand are in .ci/known-advisories.txt")
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())

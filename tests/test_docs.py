from settings import settings_table
from tests.conftest import REPO


def test_configuration_doc_lists_every_setting_as_the_code_defines_it():
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert settings_table() in doc, "regenerate the table: .venv/bin/python settings.py"


def test_readme_shows_the_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme


def test_every_test_docs_security_names_exists():
    """docs/security.md names the test behind each claim: each name must be a test that exists
    (a name ending in "…" is the start of one)."""
    import re

    doc = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
    defined = set()
    for path in (REPO / "tests").glob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    named = re.findall(r"::(test_\w+?)(_?…|`)", doc)
    assert len(named) > 50
    missing = [name for name, end in named if not (name in defined if end == "`" else any(d.startswith(name) for d in defined))]
    assert not missing, missing
    for module in re.findall(r"tests/(test_\w+)\.py", doc):
        assert (REPO / "tests" / f"{module}.py").exists(), module

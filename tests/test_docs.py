from settings import settings_table
from tests.conftest import REPO


def test_configuration_doc_lists_every_setting_as_the_code_defines_it():
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert settings_table() in doc, "regenerate the table: .venv/bin/python settings.py"


def test_readme_shows_the_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme

"""Which names an uploaded article may have in the corpus folder (web/corpus_admin.py): a plain
file name, and none that passes for another one."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath

MAX_NAME_BYTES = 200

# Letters of other scripts that look like Latin ones, as Unicode's confusables list them: a name
# written with them passes for another ("plаn.txt", its "а" Cyrillic, beside "plan.txt").
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁһӏԛԝкмтнвАВЕКМНОРСТХІЈЅУЗαονρτικχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhlqwkmthbABEKMHOPCTXIJSY3aovptikxABEZHIKMNOPTYX",
)


def skeleton(name: str) -> str:
    """What a name looks like: compatibility forms folded (ｐ → p), case ignored, look-alike
    Cyrillic and Greek letters read as the Latin ones they imitate."""
    return unicodedata.normalize("NFKC", name).translate(_LOOKALIKES).casefold()


def _mixes_scripts(name: str) -> bool:
    """Latin letters beside Cyrillic or Greek ones in one name: the shape of a look-alike."""
    scripts = {unicodedata.name(c, "").split(" ")[0] for c in PurePosixPath(name).stem if c.isalpha()}
    return "LATIN" in scripts and bool(scripts & {"CYRILLIC", "GREEK"})


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot be saved in the corpus folder (a reason code), or None.

    Only a plain file name is accepted: no folders (so nothing lands outside the corpus folder),
    no hidden files (ingest ignores them, so the upload would silently do nothing), no control
    characters, no Latin mixed with look-alike Cyrillic or Greek letters, and a suffix ingest reads."""
    if not isinstance(name, str) or not name.strip():
        return "name_empty"
    if "/" in name or "\\" in name or name in (".", "..") or ".." in PurePosixPath(name).parts:
        return "name_path"
    if name != name.strip() or any(unicodedata.category(c) in ("Cc", "Cs", "Cf") for c in name):
        return "name_chars"
    if name.startswith("."):
        return "name_hidden"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return "name_long"
    if _mixes_scripts(name):
        return "name_mixed"
    return None

"""What every reader shares: the error a file's content raises, the limits it is read within, and
the article a reader returns (the package's docstring, ingest/readers/__init__.py, says more)."""

from __future__ import annotations

from dataclasses import dataclass, field


class ReaderError(ValueError):
    """The file's content cannot be read as its format; the message is the reason shown to users."""


@dataclass(frozen=True)
class ReadLimits:
    """How far one file may expand while it is read (GUANWEN_MAX_EXPANDED_MB) and how many
    passages of GUANWEN_CHUNK_CHARS characters its text may make (GUANWEN_MAX_PASSAGES_PER_FILE)."""

    expanded_bytes: int = 50_000_000
    passages: int = 2000
    chunk_chars: int = 300

    @classmethod
    def from_settings(cls, settings) -> "ReadLimits":
        return cls(int(settings.max_expanded_mb * 1_000_000), settings.max_passages_per_file, settings.chunk_chars)

    @property
    def text_chars(self) -> int:
        return self.passages * self.chunk_chars

    def too_much_text(self) -> ReaderError:
        return ReaderError(
            f"too much text: it would make more than {self.passages} passages (GUANWEN_MAX_PASSAGES_PER_FILE); split the file"
        )

    def too_expanded(self, what: str, size: int | None = None) -> ReaderError:
        shown = f" ({size / 1_000_000:.0f} MB)" if size else ""
        return ReaderError(
            f"{what} expands to more than {self.expanded_bytes / 1_000_000:g} MB when read{shown} "
            "(GUANWEN_MAX_EXPANDED_MB); a file built to exhaust memory, or one to split"
        )

    def check_text(self, text: str) -> str:
        if len(text) > self.text_chars:
            raise self.too_much_text()
        return text


DEFAULT_LIMITS = ReadLimits()


@dataclass
class RawArticle:
    text: str  # one paragraph per line; "#"-prefixed lines are headings
    title: str = ""
    # Only what the file states, under these keys: author, published, source.
    metadata: dict[str, str] = field(default_factory=dict)


def brief(error: Exception) -> str:
    message = " ".join(str(error).split())
    name = type(error).__name__
    if not message:
        return name
    return f"{name}: {message[:120]}"

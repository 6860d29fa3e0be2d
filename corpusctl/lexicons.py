"""The one lexicon reader: every word list a recipe names (clean.clutter, clean.anomaly, clean.pii.roles,
segment.lexicons …) is read by `read_lexicon`, so they all share one grammar.

Grammar, one entry per line:

    term [weight] [pos]

- Columns are separated by TABs when the line holds a TAB, otherwise by runs of spaces (jieba's
  user-dictionary lines `安全阀 3000 n` work as they are). So a term holding spaces needs a TAB after it:
  `LED 灯<TAB>2`, or `LED 灯<TAB>` without a weight.
- `weight` is a number (`3`, `2.5`): the anomaly weight for clean.anomaly, the word frequency for
  segment.lexicons (whole part). `pos` is a part-of-speech tag (`n`, `vn`, `NOUN`; anything that is not a
  number), read by the segmenter and ignored elsewhere. Both are optional; `pos` may come without `weight`.
- `#` at the start of a line, or after a space or TAB, starts a comment (`C#` is a term); blank lines are
  skipped and a UTF-8 byte-order mark is ignored.
- A lexicon whose reader has no use for a tag (`pos=False`: clutter, scene and anomaly lexicons) refuses one,
  so a mistyped weight (`泄漏<TAB>high`) is an error instead of a silent tag.
- More columns, or a column in the wrong place, is an error naming `file:line`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import NamedTuple

from corpusctl.errors import CorpusctlError

GRAMMAR = "term [weight] [pos]"
_COMMENT = re.compile(r"(?:^\s*|\s)#.*")
"""A comment: a `#` at the start of the line or after whitespace, to the end of the line (`C#` is a term)."""


class Entry(NamedTuple):
    term: str
    weight: float | None
    pos: str | None
    line: int


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def read_lexicon(path: str | Path, what: str = "", pos: bool = True) -> list[Entry]:
    """The entries of a lexicon file in file order (see the module docstring for the grammar). `what` names the
    recipe key in messages; a missing, unreadable or malformed file raises CorpusctlError."""
    path = Path(path)
    where = f"{what}: {path}" if what else str(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, IsADirectoryError):
        raise CorpusctlError(f"{where}: lexicon file not found") from None
    except UnicodeDecodeError as exc:
        raise CorpusctlError(f"{where}: lexicon is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise CorpusctlError(f"{where}: lexicon cannot be read: {exc.strerror or exc}") from None
    entries = []
    for number, line in enumerate(lines, 1):
        line = _COMMENT.sub("", line.lstrip("\ufeff"))
        if not line.strip():
            continue
        fields = [field.strip() for field in line.split("\t")] if "\t" in line else line.split()
        while not fields[-1]:  # a TAB at the end of the line ends the term
            fields.pop()
        line = line.strip()
        term, rest = fields[0], fields[1:]
        weight = tag = None
        if rest and (value := _number(rest[0])) is not None:
            weight, rest = value, rest[1:]
        if rest and pos and rest[0] and _number(rest[0]) is None:
            tag, rest = rest[0], rest[1:]
        if not term or rest:
            if not pos and term and len(fields) == 2:
                hint = "" if "\t" in line else " (a term holding spaces needs a TAB after it)"
                raise CorpusctlError(f"{path}:{number}: weight {fields[1]!r} of {term!r} is not a number{hint}")
            expected = GRAMMAR if pos else "term [weight]"
            raise CorpusctlError(f"{path}:{number}: expected `{expected}` (weight a number), got {line!r}")
        entries.append(Entry(term, weight, tag, number))
    return entries


def user_words(path: str | Path) -> list[tuple[str, int | None, str | None]]:
    """A lexicon as a segmenter's user dictionary: `(word, frequency or None, POS or None)` per entry."""
    return [(e.term, None if e.weight is None else int(e.weight), e.pos) for e in read_lexicon(path)]

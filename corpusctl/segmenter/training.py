"""Training a local pkuseg model (`corpusctl segmenter train`): published models cannot be downloaded."""

from __future__ import annotations

import contextlib
import io
import json
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from corpusctl.errors import CorpusctlError
from corpusctl.segmenter.backends import INFO_FILE, POS_TABLE_FILE, merge_user_words
from corpusctl.segmenter.evaluation import read_gold

# -- pkuseg training --------------------------------------------------------------------------------------


class EpochLog(io.StringIO):
    """pkuseg's training log, kept; each `iterN ... f-score=X%` line it prints calls `on_epoch(N + 1, X / 100)`
    as it is written (pkuseg reports progress only by printing)."""

    def __init__(self, on_epoch=None):
        super().__init__()
        self.on_epoch = on_epoch
        self._line = ""

    def write(self, text: str) -> int:
        self._line += text
        *done, self._line = self._line.split("\n")
        for line in done:
            match = re.match(r"iter(\d+)\s.*f-score=([\d.]+)%", line)
            if match and self.on_epoch is not None:
                self.on_epoch(int(match.group(1)) + 1, float(match.group(2)) / 100)
        return super().write(text)


def train_pkuseg(gold: str | Path | Sequence[str | Path], out: str | Path, user_words: Iterable[Sequence] = (),
                 epochs: int = 10, dev: str | Path | None = None, dev_lines: int = 200, on_epoch=None) -> dict:
    """Trains a pkuseg model folder from SIGHAN-format gold text plus the user dictionary.

    Lexicon words join the training data as one-word sentences, so the model's word features know them
    (at run time the same dictionary also forces them whole). Without `dev`, the first `dev_lines` gold
    sentences are scored after each epoch (they are training data too: a sanity check, not a test).
    When the gold file carries `word/tag` tokens (People's Daily style), the most frequent tag of each word
    is saved as `pos.tsv`, which the pkuseg backend uses for POS. Returns what it wrote to `INFO_FILE`.
    `on_epoch(epoch, dev_f1)` is called after each training epoch (for a progress display).
    """
    import spacy_pkuseg

    if epochs < 1:
        raise CorpusctlError(f"epochs must be at least 1, got {epochs}")
    gold_paths = [Path(gold)] if isinstance(gold, (str, Path)) else [Path(g) for g in gold]
    sentences = [s for path in gold_paths for s in read_gold(path)]
    dev_sentences = read_gold(dev) if dev is not None else sentences[:dev_lines]
    user_words = merge_user_words(user_words)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tags: dict[str, Counter] = {}
    for sentence in sentences:
        for word, tag in sentence:
            if tag:
                tags.setdefault(word, Counter())[tag] += 1

    log = EpochLog(on_epoch)
    with tempfile.TemporaryDirectory(prefix="corpusctl-pkuseg-") as tmp:
        train_file, dev_file = Path(tmp) / "train.txt", Path(tmp) / "dev.txt"
        lines = [" ".join(word for word, _ in s) for s in sentences]
        lines += [word for word, _freq, _pos in user_words if not any(c.isspace() for c in word)]
        train_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        dev_file.write_text("\n".join(" ".join(w for w, _ in s) for s in dev_sentences) + "\n", encoding="utf-8")
        with contextlib.redirect_stdout(log):
            spacy_pkuseg.train(str(train_file), str(dev_file), str(out), train_iter=epochs)
    scores = [float(m.group(1)) / 100 for m in re.finditer(r"f-score=([\d.]+)%", log.getvalue())]
    if tags:
        rows = sorted((word, counts.most_common(1)[0][0]) for word, counts in tags.items())
        (out / POS_TABLE_FILE).write_text("".join(f"{w}\t{t}\n" for w, t in rows), encoding="utf-8")
    info = {
        "gold": [str(p) for p in gold_paths], "sentences": len(sentences),
        "words": sum(len(s) for s in sentences), "lexicon_words": len(user_words), "epochs": epochs,
        "dev": str(dev) if dev is not None else f"first {len(dev_sentences)} gold sentences (seen in training)",
        "dev_f1_by_epoch": scores, "pos_table": bool(tags), "spacy_pkuseg": _version("spacy-pkuseg"),
    }
    (out / INFO_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return info


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None

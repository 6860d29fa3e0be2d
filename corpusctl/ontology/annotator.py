"""Term annotation: ontology terms (and lexicon words) found in text, homonym senses chosen from context.

Matching is Aho-Corasick (pyahocorasick) over *all* terms, synonyms and homonym cue words at once, then a
vectorised leftmost-longest selection; homonym senses are picked from the evidence words of the same pass
(`corpusctl.ontology.senses`). pyahocorasick's `iter_long` is not used: it misses matches (pyahocorasick
#133, #185). Its trie finds a node's child by a linear scan, which is slow for Chinese (thousands of
distinct first characters at the root), so every character is matched as two symbols from small
alphabets (`corpusctl.ontology.matching`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corpusctl.ontology.dictionary import read_lexicons
from corpusctl.ontology.loader import load_ontology
from corpusctl.ontology.matching import _Alphabet, _leftmost_longest
from corpusctl.ontology.model import DEFAULT_DIR, Concept, Ontology, fold


@dataclass(frozen=True)
class Matches:
    """Term occurrences in one text as arrays: `senses` is a global sense number (-1: not a homonym, or a
    homonym whose context did not decide); `resolved` is False only for a homonym that abstained."""

    starts: np.ndarray
    ends: np.ndarray
    entries: np.ndarray
    senses: np.ndarray
    resolved: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)


@dataclass
class _Homonyms:
    """Sense tables: global sense g has `names[g]`, `categories[g]`, `parents[g]` (ancestor ids); homonym h
    owns the senses `first[h]` … `first[h] + count[h] - 1`."""

    names: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    parents: list[tuple[str, ...]] = field(default_factory=list)
    default: list[int] = field(default_factory=list)  # per homonym: its default sense
    first: list[int] = field(default_factory=list)
    count: list[int] = field(default_factory=list)
    concepts: list[Concept] = field(default_factory=list)


@dataclass(frozen=True)
class Evidence:
    """Evidence rows for homonym occurrences: occurrence number, global sense, weight (after distance
    decay), pattern number (for a `char` row: -1 - the character's code point), distance in characters
    and kind (index into `senses.KINDS`)."""

    occurrence: np.ndarray
    sense: np.ndarray
    weight: np.ndarray
    pattern: np.ndarray
    distance: np.ndarray
    kind: np.ndarray


@functools.cache
def _sentence_end_table() -> np.ndarray:
    """True at the code points of `senses.SENTENCE_END`."""
    from corpusctl.ontology.senses import SENTENCE_END

    table = np.zeros(0x110000, dtype=bool)
    table[[ord(c) for c in SENTENCE_END]] = True
    return table


def _sentence_bounds(text: str, points: np.ndarray) -> np.ndarray:
    """Positions of sentence-ending characters in `text` (its code points `points`)."""
    return np.flatnonzero(_sentence_end_table()[points])


class Annotator:
    """Marks ontology terms (and extra lexicon words) in text: leftmost-longest, non-overlapping spans.

    A homonym's sense is chosen from the words within `window` characters either side of it, in the same
    sentence (`corpusctl.ontology.senses`: cue words, gloss words, terms near the sense in the ontology, other
    entity terms); when the evidence is too weak or too even the occurrence abstains: no sense, no
    category. Lexicon words that the ontology lacks become spans with `concept_id = "lex:<word>"` and
    category "". Text is matched in folded form (case, full width); offsets are into the text as given.
    """

    def __init__(self, ontology: Ontology | None = None, lexicon: Iterable[str] = (), window: int = 20,
                 min_score: float | None = None, min_margin: float | None = None):
        import ahocorasick

        from corpusctl.ontology import senses as sense_model

        self.ontology = ontology
        self.window = int(window)
        self.min_score = sense_model.MIN_SCORE if min_score is None else float(min_score)
        self.min_margin = sense_model.MIN_MARGIN if min_margin is None else float(min_margin)
        concepts = ontology.concepts if ontology is not None else []
        self.entry_ids = [c.id for c in concepts]
        self.entry_terms = [c.term for c in concepts]
        self.entry_categories = [c.category for c in concepts]
        entry_hom: list[int] = [-1] * len(concepts)
        patterns: dict[str, int] = {}
        pat_entry: list[int] = []
        homs = _Homonyms()

        def pattern(surface: str) -> int:
            key = fold(surface)
            index = patterns.get(key)
            if index is None:
                index = patterns[key] = len(pat_entry)
                pat_entry.append(-1)
            return index

        for number, concept in enumerate(concepts):
            for surface in concept.surfaces:
                p = pattern(surface)
                if pat_entry[p] < 0:
                    pat_entry[p] = number
            if concept.senses:
                h = entry_hom[number] = len(homs.default)
                homs.default.append(-1)
                homs.first.append(len(homs.names))
                homs.count.append(len(concept.senses))
                homs.concepts.append(concept)
                for sense in concept.senses:
                    g = len(homs.names)
                    if sense.id == concept.default_sense or homs.default[h] < 0:
                        homs.default[h] = g
                    homs.names.append(sense.id)
                    homs.categories.append(sense.category)
                    homs.parents.append(ontology.sense_ancestors(sense) if ontology is not None else ())
        for word in lexicon:
            p = pattern(word)
            if pat_entry[p] < 0:
                pat_entry[p] = len(self.entry_ids)
                self.entry_ids.append(f"lex:{word}")
                self.entry_terms.append(word)
                self.entry_categories.append("")
                entry_hom.append(-1)
        n_terms = len(pat_entry)
        profiles = sense_model.build_profiles(
            ontology, [(h, c, list(range(homs.first[h], homs.first[h] + homs.count[h])))
                       for h, c in enumerate(homs.concepts)])
        rows = [(h, pattern(surface), g, w, k) for h, surface, g, w, k in profiles.rows]

        self._homonyms = homs
        self._entry_hom = np.asarray(entry_hom, dtype=np.int64)
        self._hom_default = np.asarray(homs.default, dtype=np.int64)
        self._hom_first = np.asarray(homs.first, dtype=np.int64)
        self._hom_count = np.asarray(homs.count, dtype=np.int64)
        self._sense_entity = np.asarray([bool(c) for c in homs.categories], dtype=bool)
        self._pat_entry = np.asarray(pat_entry, dtype=np.int64)
        self._pat_len = np.fromiter(map(len, patterns), np.int64, len(patterns))
        self._n_patterns = max(len(patterns), 1)
        # evidence for one homonym's senses, looked up by key = homonym * patterns + pattern (sorted)
        keys = np.asarray([h * self._n_patterns + p for h, p, *_ in rows], dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        self._ev_keys = keys[order]
        self._ev_sense = np.asarray([r[2] for r in rows], dtype=np.int64)[order]
        self._ev_weight = np.asarray([r[3] for r in rows], dtype=np.float64)[order]
        self._ev_kind = np.asarray([r[4] for r in rows], dtype=np.int64)[order]
        # other entity terms (not homonyms, not lexicon words) are domain evidence
        domain = np.zeros(len(patterns), dtype=bool)
        if n_terms:
            entries = self._pat_entry[:n_terms]
            known = entries >= 0
            ent = np.zeros(n_terms, dtype=bool)
            safe = np.where(known, entries, 0)
            cat_ok = np.asarray([bool(c) for c in self.entry_categories], dtype=bool)
            ent[known] = cat_ok[safe[known]] & (self._entry_hom[safe[known]] < 0)
            domain[:n_terms] = ent
        self._pat_domain = domain
        self._pat_evidence = domain.copy()
        chars = sorted({c for _, c, _ in profiles.chars})
        self._char_codes = np.asarray([ord(c) for c in chars], dtype=np.int64)
        # senses × characters, and a last row and column of zeros (for `_char_scores`)
        self._char_weight = np.zeros((len(homs.names) + 1, len(chars) + 1), dtype=np.float64)
        self._char_column = np.full(0x110000, -1, dtype=np.int32)  # code point -> column of `_char_weight`
        self._char_column[self._char_codes] = np.arange(len(chars), dtype=np.int32)
        if chars:
            column = {c: i for i, c in enumerate(chars)}
            g_rows = np.asarray([g for g, _, _ in profiles.chars], dtype=np.int64)
            c_cols = np.asarray([column[c] for _, c, _ in profiles.chars], dtype=np.int64)
            self._char_weight[g_rows, c_cols] = [w for _, _, w in profiles.chars]
        # each distinct key once, with its first row and number of rows; and the patterns in any profile
        self._ev_unique, self._ev_first, self._ev_count = np.unique(self._ev_keys, return_index=True,
                                                                    return_counts=True)
        self._pat_profile = np.zeros(len(patterns), dtype=bool)
        self._pat_profile[self._ev_unique % self._n_patterns] = True
        self._pat_evidence |= self._pat_profile

        self._alphabet = _Alphabet(patterns)
        self._patterns = list(patterns)
        self._automaton = None
        if patterns:
            surfaces = list(patterns)
            encoded = self._alphabet.encode("".join(surfaces))
            bounds = list(itertools.accumulate((2 * len(s) for s in surfaces), initial=0))
            words = [encoded[a:b] for a, b in itertools.pairwise(bounds)]
            automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
            for index in sorted(range(len(words)), key=words.__getitem__):  # children in symbol order
                automaton.add_word(words[index], index)
            automaton.make_automaton()
            self._automaton = automaton

    @classmethod
    def from_paths(cls, ontology_dir: str | Path | None = DEFAULT_DIR, lexicon_paths: Iterable[str | Path] = (),
                   window: int = 20) -> Annotator:
        ontology = load_ontology(ontology_dir) if ontology_dir is not None else None
        return cls(ontology, [word for word, _freq, _pos in read_lexicons(lexicon_paths)], window)

    # -- matching --

    def _scan(self, text: str, points: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pattern occurrence (overlapping): start, end (exclusive) and pattern number (`points`: the
        code points of `text`, if already at hand)."""
        if self._automaton is None or not text:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        found = self._automaton.iter(self._alphabet.encode(text, points))
        flat = np.fromiter(itertools.chain.from_iterable(found), dtype=np.int64)
        patterns = flat[1::2]
        ends = (flat[0::2] + 1) // 2  # the last symbol of character i is 2i + 1
        return ends - self._pat_len[patterns], ends, patterns

    def _find(self, texts: Sequence[str]) -> tuple:
        """Everything the matching and the explanation share: the term spans, the homonym occurrences among
        them with their windows, and the evidence pattern occurrences."""
        texts = list(texts)
        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        doc_starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
        doc_ends = doc_starts + lengths
        joined = "\x00".join(texts)
        points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        starts, ends, patterns = self._scan(joined, points)
        entries = self._pat_entry[patterns]
        is_term = entries >= 0
        s, e, x = _leftmost_longest(starts[is_term], ends[is_term], entries[is_term])
        hom = self._entry_hom[x] if len(x) else np.zeros(0, dtype=np.int64)
        on = np.flatnonzero(hom >= 0)
        window = None
        if len(on):
            hs, he = s[on], e[on]
            doc = np.searchsorted(doc_starts, hs, side="right") - 1
            stops = _sentence_bounds(joined, points)
            before = np.searchsorted(stops, hs, side="left") - 1
            prev_stop = np.where(before >= 0, stops[np.maximum(before, 0)] + 1 if len(stops) else 0, 0)
            after = np.searchsorted(stops, he, side="left")
            next_stop = np.where(after < len(stops), stops[np.minimum(after, len(stops) - 1)] if len(stops) else 0,
                                 np.iinfo(np.int64).max)
            lo = np.maximum.reduce([hs - self.window, doc_starts[doc], prev_stop])
            hi = np.minimum.reduce([he + self.window, doc_ends[doc], next_stop])
            useful = self._pat_evidence[patterns]
            window = (hs, he, hom[on], lo, hi, starts[useful], ends[useful], patterns[useful], points)
        return texts, doc_starts, s, e, x, on, window

    def match_many(self, texts: Sequence[str]) -> list[Matches]:
        """Matches for each text, found in one pass over all of them (texts never share a match or a cue)."""
        if not len(texts):
            return []
        texts, doc_starts, s, e, x, on, window = self._find(texts)
        senses = np.full(len(s), -1, dtype=np.int64)
        resolved = np.ones(len(s), dtype=bool)
        if window is not None:
            senses[on], resolved[on] = self._resolve(window)
        bounds = np.searchsorted(s, doc_starts).tolist() + [len(s)]
        offset = np.repeat(doc_starts, np.diff(bounds))  # offsets into each match's own text
        s, e = s - offset, e - offset
        return [Matches(s[a:b], e[a:b], x[a:b], senses[a:b], resolved[a:b]) for a, b in itertools.pairwise(bounds)]

    def match(self, text: str) -> Matches:
        return self.match_many([text])[0]

    def _evidence(self, window: tuple, chars: bool = True) -> Evidence:
        """Evidence rows for the homonym occurrences of `window` (see `_find`); `chars=False` leaves out the
        `char` rows (`_char_scores` sums those without listing them)."""
        hs, he, hh, lo, hi, cs, ce, cp, _ = window
        empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0, np.float64)
        nothing = Evidence(empty_i, empty_i, empty_f, empty_i, empty_i, empty_i)
        parts = [self._char_evidence(window) if chars else (empty_i, empty_i, empty_f, empty_i, empty_i, empty_i)]
        if len(cs) == 0:
            return Evidence(*parts[0])
        order = np.argsort(cs, kind="stable")
        cs, ce, cp = cs[order], ce[order], cp[order]
        first = np.searchsorted(cs, lo, side="left")
        counts = np.searchsorted(cs, hi, side="left") - first
        total = int(counts.sum())
        if total == 0:
            return Evidence(*parts[0]) if len(parts[0][0]) else nothing
        owner = np.repeat(np.arange(len(hs)), counts)
        pick = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(first, counts)
        c_start, c_end, c_pat = cs[pick], ce[pick], cp[pick]
        ok = (c_end <= hi[owner]) & ((c_end <= hs[owner]) | (c_start >= he[owner]))
        owner, c_start, c_end, c_pat = owner[ok], c_start[ok], c_end[ok], c_pat[ok]
        distance = np.where(c_end <= hs[owner], hs[owner] - c_end, c_start - he[owner])
        from corpusctl.ontology.senses import KINDS, decay

        scale = decay(distance)
        # the profile words of the homonym's senses (only patterns in some profile are looked up)
        candidate = np.flatnonzero(self._pat_profile[c_pat])
        key = hh[owner[candidate]] * self._n_patterns + c_pat[candidate]
        j = np.minimum(np.searchsorted(self._ev_unique, key), max(len(self._ev_unique) - 1, 0))
        hit = self._ev_unique[j] == key if len(self._ev_unique) else np.zeros(len(key), dtype=bool)
        candidate, a, n = candidate[hit], self._ev_first[j[hit]], self._ev_count[j[hit]]
        row = np.repeat(candidate, n)
        idx = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n) + np.repeat(a, n)
        parts.append((owner[row], self._ev_sense[idx], self._ev_weight[idx] * scale[row], c_pat[row],
                      distance[row], self._ev_kind[idx]))
        # other entity terms: domain evidence for each sense of the homonym that is an entity
        dom = np.flatnonzero(self._pat_domain[c_pat])
        if len(dom):
            k = self._hom_count[hh[owner[dom]]]
            row = np.repeat(dom, k)
            g = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k) + np.repeat(self._hom_first[hh[owner[dom]]], k)
            keep = self._sense_entity[g]
            row, g = row[keep], g[keep]
            from corpusctl.ontology.senses import WEIGHTS

            parts.append((owner[row], g, WEIGHTS["domain"] * scale[row], c_pat[row], distance[row],
                          np.full(len(row), KINDS.index("domain"), np.int64)))
        return Evidence(*(np.concatenate([p[i] for p in parts]) for i in range(6)))

    def _char_evidence(self, window: tuple) -> tuple:
        """`char` rows: each character of the window (outside the homonym) with its log-odds per sense."""
        from corpusctl.ontology.senses import KINDS, WEIGHTS, decay

        hh = window[2]
        owner, column, distance, code = self._char_positions(window)
        k = self._hom_count[hh[owner]]
        row = np.repeat(np.arange(len(owner)), k)
        g = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k) + np.repeat(self._hom_first[hh[owner]], k)
        distance = distance[row]
        weight = self._char_weight[g, column[row]] * WEIGHTS["char"] * decay(distance)
        keep = weight != 0
        return (owner[row][keep], g[keep], weight[keep], -1 - code[row][keep], distance[keep],
                np.full(int(keep.sum()), KINDS.index("char"), np.int64))

    def _char_positions(self, window: tuple) -> tuple:
        """(occurrence, column, distance, code point) of each character in the windows that has a log-odds."""
        from corpusctl.ontology.senses import CHAR_REACH

        hs, he, hh, lo, hi, *_, points = window
        lo, hi = np.maximum(lo, hs - CHAR_REACH), np.minimum(hi, he + CHAR_REACH)
        counts = np.maximum(hi - lo, 0)
        total = int(counts.sum())
        if total == 0 or len(self._char_codes) == 0:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, empty
        owner = np.repeat(np.arange(len(hs)), counts)
        pos = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
        outside = (pos < hs[owner]) | (pos >= he[owner])
        owner, pos = owner[outside], pos[outside]
        code = points[pos].astype(np.int64)
        column = self._char_column[code].astype(np.int64)
        known = column >= 0
        owner, pos, code, column = owner[known], pos[known], code[known], column[known]
        distance = np.where(pos < hs[owner], hs[owner] - pos - 1, pos - he[owner])
        return owner, column, distance, code

    def _char_scores(self, window: tuple) -> np.ndarray:
        """The `char` evidence summed per occurrence and local sense (what `_char_evidence` lists row by row).

        The characters within `CHAR_REACH` of an occurrence sit at fixed offsets, so they are read as an
        offsets × occurrences matrix and added offset by offset, left to right (the order `_char_evidence`
        lists them in, so the sums are the same to the last bit)."""
        from corpusctl.ontology.senses import CHAR_REACH, WEIGHTS, decay

        hs, he, hh, lo, hi, *_, points = window
        width = int(self._hom_count.max(initial=1))
        scores = np.zeros((len(hh), width), dtype=np.float64)
        if len(hh) == 0 or len(self._char_codes) == 0:
            return scores
        reach = np.arange(CHAR_REACH)
        offsets = np.concatenate([-1 - reach[::-1], reach])[:, None]  # left of the homonym, farthest first
        left = offsets < 0
        pos = np.where(left, hs, he) + offsets
        column = self._char_column[points[np.clip(pos, 0, len(points) - 1)]]
        inside = np.where(left, pos >= lo, pos < hi) & (column >= 0)
        column = np.where(inside, column, len(self._char_codes))  # the zero column
        scale = (decay(np.concatenate([reach[::-1], reach])) * WEIGHTS["char"])[:, None]
        first, count = self._hom_first[hh], self._hom_count[hh]
        weights, columns = self._char_weight.ravel(), self._char_weight.shape[1]
        for local in range(width):
            row = np.where(count > local, first + local, len(self._char_weight) - 1)  # the zero row
            weight = weights[row * columns + column] * scale
            total = np.zeros(len(hh), dtype=np.float64)
            for at_offset in weight:
                total += at_offset
            scores[:, local] += total
        return scores

    def _scores(self, window: tuple, evidence: Evidence) -> tuple[np.ndarray, np.ndarray]:
        """Occurrences × local senses score matrix, and the mask of senses each homonym has."""
        hh = window[2]
        width = int(self._hom_count.max(initial=1))
        scores = np.zeros((len(hh), width), dtype=np.float64)
        if len(evidence.occurrence):
            local = evidence.sense - self._hom_first[hh[evidence.occurrence]]
            flat = np.bincount(evidence.occurrence * width + local, weights=evidence.weight, minlength=len(hh) * width)
            scores += flat.reshape(len(hh), width)
        valid = np.arange(width)[None, :] < self._hom_count[hh][:, None]
        return scores, valid

    def _resolve(self, window: tuple) -> tuple[np.ndarray, np.ndarray]:
        """(global sense or -1, decided) per homonym occurrence of `window`."""
        from corpusctl.ontology.senses import decide

        scores, valid = self._scores(window, self._evidence(window, chars=False))
        scores += self._char_scores(window)
        choice, _ = decide(scores, valid, self.min_score, self.min_margin)
        decided = choice >= 0
        senses = np.where(decided, self._hom_first[window[2]] + np.maximum(choice, 0), -1)
        return senses.astype(np.int64), decided

    # -- output --

    def _category(self, entry: int, sense: int) -> str:
        if sense >= 0:
            return self._homonyms.categories[sense]
        return "" if self.is_homonym(entry) else self.entry_categories[entry]

    def is_homonym(self, entry: int) -> bool:
        return bool(self._entry_hom[entry] >= 0) if entry < len(self._entry_hom) else False

    def spans(self, matches: Matches) -> list[dict]:
        """The pipeline's span records: {start, end, concept_id, category, sense}; an abstaining homonym has
        neither category nor sense."""
        ids, names = self.entry_ids, self._homonyms.names
        out = []
        for start, end, x, g in zip(matches.starts.tolist(), matches.ends.tolist(), matches.entries.tolist(),
                                    matches.senses.tolist(), strict=True):
            out.append({"start": start, "end": end, "concept_id": ids[x], "category": self._category(x, g),
                        "sense": names[g] if g >= 0 else ""})
        return out

    def spans_many(self, texts: Sequence[str]) -> list[list[dict]]:
        return [self.spans(m) for m in self.match_many(texts)]

    def parents(self, entry: int, sense: int = -1) -> tuple[str, ...]:
        """Ancestor ids of a match, nearest first (a homonym's come from its chosen sense; none if it abstained)."""
        if sense >= 0:
            return self._homonyms.parents[sense]
        if self.ontology is None or entry >= len(self.ontology.concepts) or self.is_homonym(entry):
            return ()
        return self.ontology.ancestors(self.entry_ids[entry])

    def sense_name(self, sense: int) -> str:
        return self._homonyms.names[sense] if sense >= 0 else ""

    def sense_category(self, sense: int) -> str:
        return self._homonyms.categories[sense] if sense >= 0 else ""

    def annotate(self, text: str) -> list[dict]:
        """Full records for people and the CLI: the pipeline's fields plus `text`, `term`, `resolved`
        (False: a homonym that abstained), `parents` (ids, nearest first) and `parent_terms`."""
        matches = self.match(text)
        by_id = self.ontology.by_id if self.ontology is not None else {}
        out = []
        for span, x, g, ok in zip(self.spans(matches), matches.entries.tolist(), matches.senses.tolist(),
                                  matches.resolved.tolist(), strict=True):
            parents = list(self.parents(x, g))
            out.append({**span, "text": text[span["start"]:span["end"]], "term": self.entry_terms[x],
                        "resolved": ok, "parents": parents, "parent_terms": [by_id[p].term for p in parents]})
        return out

    def _word(self, pattern: int) -> str:
        return self._patterns[pattern] if pattern >= 0 else chr(-1 - pattern)

    def explain(self, text: str) -> list[dict]:
        """Per homonym occurrence in `text`: the sense chosen (or "" when it abstained), and per sense its
        score and the evidence words (`word`, `kind`, `distance`, `weight`) that made it, strongest first."""
        from corpusctl.ontology.senses import KINDS, decide

        _, _, s, e, x, on, window = self._find([text])
        if window is None:
            return []
        evidence = self._evidence(window)
        scores, valid = self._scores(window, evidence)
        choice, margin = decide(scores, valid, self.min_score, self.min_margin)
        homs = self._homonyms
        out = []
        for i, span in enumerate(on.tolist()):
            h = int(window[2][i])
            first = homs.first[h]
            senses = []
            for local in range(homs.count[h]):
                g = first + local
                rows = np.flatnonzero((evidence.occurrence == i) & (evidence.sense == g))
                rows = rows[np.argsort(-evidence.weight[rows], kind="stable")]
                senses.append({
                    "sense": homs.names[g], "category": homs.categories[g], "default": g == homs.default[h],
                    "score": round(float(scores[i, local]), 3),
                    "evidence": [{"word": self._word(int(evidence.pattern[r])),
                                  "kind": KINDS[int(evidence.kind[r])], "distance": int(evidence.distance[r]),
                                  "weight": round(float(evidence.weight[r]), 3)} for r in rows.tolist()],
                })
            chosen = int(choice[i])
            out.append({"start": int(s[span]), "end": int(e[span]), "text": text[int(s[span]):int(e[span])],
                        "concept_id": self.entry_ids[int(x[span])],
                        "sense": homs.names[first + chosen] if chosen >= 0 else "",
                        "margin": round(float(margin[i]), 3), "senses": senses})
        return out

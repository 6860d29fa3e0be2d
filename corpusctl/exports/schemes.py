"""NER tag schemes (BMEO, BIO, BIOES, BMES): spans <-> tags, validation, conversion, CoNLL files.

A span is `(start, end, type)` with `end` exclusive. Every scheme can express every set of
non-overlapping spans, so converting well-formed tags is always lossless. Conversion maps each tag's
role (begin, inside, end, single) to the target, so even a malformed sequence (e.g. Resume's entities
cut by a sentence break) survives whenever the target can express it; where it cannot, the round trip
differs and `convert_tags`/`convert_file` refuse unless forced.

BMEO is the seed paper's scheme: `B-X` begins, `M-X` continues, `E-X` ends, `O` is outside, and a
one-character entity is a lone `B-X` (a `B-X` not followed by `M-X`/`E-X`). BMEO therefore cannot tell
a one-character entity from a truncated one, which is why a truncated BIOES/BMES entity is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import TextIO

from corpusctl.errors import CorpusctlError

SCHEMES = ("BMEO", "BIO", "BIOES", "BMES")
Span = tuple[int, int, str]

# Per scheme: prefix of the first, middle, last and only tag of an entity, and the allowed prefixes.
_PARTS = {
    "BMEO": {"begin": "B", "inside": "M", "end": "E", "single": "B"},
    "BIO": {"begin": "B", "inside": "I", "end": "I", "single": "B"},
    "BIOES": {"begin": "B", "inside": "I", "end": "E", "single": "S"},
    "BMES": {"begin": "B", "inside": "M", "end": "E", "single": "S"},
}
_PREFIXES = {name: {p["begin"], p["inside"], p["end"], p["single"]} for name, p in _PARTS.items()}
FILE_SUFFIXES = {".bmeo": "BMEO", ".bio": "BIO", ".bioes": "BIOES", ".iobes": "BIOES", ".bmes": "BMES"}


def scheme_name(name: str) -> str:
    """Accept any case ('bmeo', 'BIOES'); reject unknown schemes with the list of known ones."""
    upper = str(name).upper()
    if upper == "IOBES":
        upper = "BIOES"
    if upper not in SCHEMES:
        raise CorpusctlError(f"unknown tag scheme {name!r}; expected one of {', '.join(s.lower() for s in SCHEMES)}")
    return upper


def tag_set(types: Iterable[str], scheme: str) -> list[str]:
    """All tags of a scheme for the given entity types: 'O' first, then per type in scheme order."""
    order = {"BMEO": "BME", "BIO": "BI", "BIOES": "BIES", "BMES": "BMES"}[scheme_name(scheme)]
    return ["O"] + [f"{p}-{t}" for t in sorted(set(types)) for p in order]


def _split(tag: str) -> tuple[str, str]:
    """('B', 'X') for 'B-X'; ('O', '') for 'O'; (tag, '') for anything unparseable."""
    if tag == "O":
        return "O", ""
    prefix, sep, kind = tag.partition("-")
    if not sep or not kind:
        return tag, ""
    return prefix, kind


# -- spans -> tags ---------------------------------------------------------------------------------------


def check_spans(spans: Sequence[Span], length: int) -> str | None:
    """Why these spans cannot be tagged (out of range, empty, overlapping, no type), or None."""
    previous = None
    for start, end, kind in sorted(spans):
        if not isinstance(start, int) or not isinstance(end, int):
            return f"span [{start}, {end}) {kind}: offsets must be integers"
        if start < 0 or end > length or start >= end:
            return f"span [{start}, {end}) {kind} is out of range for a text of {length} characters"
        if not kind or not isinstance(kind, str) or any(c.isspace() for c in kind):
            return f"span [{start}, {end}) has an invalid type {kind!r}"
        if previous is not None and start < previous[1]:
            return f"spans [{previous[0]}, {previous[1]}) {previous[2]} and [{start}, {end}) {kind} overlap"
        previous = (start, end, kind)
    return None


def spans_to_tags(length: int, spans: Iterable[Span], scheme: str = "BMEO") -> list[str]:
    """Tag a sequence of `length` characters; spans must be in range and non-overlapping."""
    parts = _PARTS[scheme_name(scheme)]
    spans = sorted(spans)
    problem = check_spans(spans, length)
    if problem:
        raise ValueError(problem)
    tags = ["O"] * length
    for start, end, kind in spans:
        if end - start == 1:
            tags[start] = f"{parts['single']}-{kind}"
            continue
        tags[start] = f"{parts['begin']}-{kind}"
        for i in range(start + 1, end - 1):
            tags[i] = f"{parts['inside']}-{kind}"
        tags[end - 1] = f"{parts['end']}-{kind}"
    return tags


# -- tags -> spans ---------------------------------------------------------------------------------------


def tags_to_spans(tags: Sequence[str], scheme: str = "BMEO") -> list[Span]:
    """Decode tags into spans. Exact for valid sequences; malformed ones are repaired like conlleval:
    a continuation tag without a matching open entity starts a new entity, and an entity that is never
    closed ends at its last tag. Unknown tags count as 'O'."""
    parts = _PARTS[scheme_name(scheme)]
    spans: list[Span] = []
    start, kind = -1, ""  # the open entity, start == -1 when none

    def close(end: int) -> None:
        nonlocal start, kind
        if start >= 0:
            spans.append((start, end, kind))
        start, kind = -1, ""

    for i, tag in enumerate(tags):
        prefix, t = _split(tag)
        if prefix not in _PREFIXES[scheme_name(scheme)] or not t:
            close(i)
            continue
        single = prefix == parts["single"] and parts["single"] != parts["begin"]
        if single:
            close(i)
            spans.append((i, i + 1, t))
            continue
        if prefix == parts["begin"]:
            close(i)
            start, kind = i, t
            continue
        # inside or end: continue the open entity of the same type, else start a new one here
        if start < 0 or kind != t:
            close(i)
            start, kind = i, t
        if prefix == parts["end"] and parts["end"] != parts["inside"]:
            close(i + 1)
    close(len(tags))
    return spans


# -- validation ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagProblem:
    index: int
    """Position in the sentence of the tag where the problem shows."""
    message: str


def validate_tags(tags: Sequence[str], scheme: str = "BMEO") -> list[TagProblem]:
    """Every bad tag and bad transition: unknown tags, continuations without a begin, type changes inside
    an entity, entities that are never closed (in schemes with an explicit end)."""
    name = scheme_name(scheme)
    parts = _PARTS[name]
    inside, end = parts["inside"], parts["end"]
    # Prefixes after which the entity must continue: BIOES/BMES close with E; BMEO closes B alone or E.
    must_continue = {"BMEO": {"M"}, "BIO": set(), "BIOES": {"B", "I"}, "BMES": {"B", "M"}}[name]
    open_prefixes = {parts["begin"], inside}
    problems: list[TagProblem] = []
    prev_prefix, prev_kind, prev_tag = "O", "", "O"
    for i, tag in enumerate(tags):
        prefix, kind = _split(tag)
        if prefix != "O" and (prefix not in _PREFIXES[name] or not kind):
            problems.append(TagProblem(i, f"unknown tag {tag!r} for scheme {name}"))
            prefix, kind, tag = "O", "", "O"
        continues = prefix in {inside, end} and prefix != "O"
        prev_open = prev_prefix in open_prefixes
        if continues:
            if not prev_open:
                where = "at the start of the sentence" if i == 0 else f"after {prev_tag}"
                problems.append(TagProblem(i, f"{tag} {where}: an entity must begin with {parts['begin']}-{kind}"))
            elif prev_kind != kind:
                problems.append(TagProblem(i, f"type change inside an entity: {tag} after {prev_tag}"))
        elif prev_prefix in must_continue:
            problems.append(TagProblem(i, f"entity not closed: {prev_tag} followed by {tag} (needs {inside}-{prev_kind} or {end}-{prev_kind})"))
        prev_prefix, prev_kind, prev_tag = prefix, kind, tag
    if tags and prev_prefix in must_continue:
        problems.append(TagProblem(len(tags) - 1, f"entity not closed: {prev_tag} ends the sentence"))
    return problems


def _roles(tags: Sequence[str], scheme: str) -> list[tuple[str, str]]:
    """(role, type) per tag: role is begin, inside, end, single, O, or '?' for a tag the scheme lacks.
    BMEO's `B-X` is a begin when `M-X`/`E-X` follows, else a single; BIO's `I-X` is an end unless `I-X` follows."""
    name = scheme_name(scheme)
    parts = _PARTS[name]
    direct = {parts["begin"]: "begin", parts["inside"]: "inside", parts["end"]: "end", parts["single"]: "single"}
    roles = []
    for i, tag in enumerate(tags):
        prefix, kind = _split(tag)
        if prefix == "O":
            roles.append(("O", ""))
            continue
        if prefix not in _PREFIXES[name] or not kind:
            roles.append(("?", tag))
            continue
        following = _split(tags[i + 1]) if i + 1 < len(tags) else ("O", "")
        continues = following[1] == kind and following[0] in {parts["inside"], parts["end"]}
        if name == "BMEO" and prefix == "B":
            roles.append(("begin" if continues else "single", kind))
        elif name == "BIO":
            if prefix == "B":
                roles.append(("begin" if continues else "single", kind))
            else:
                roles.append(("inside" if continues else "end", kind))
        else:
            roles.append((direct[prefix], kind))
    return roles


def _render(roles: list[tuple[str, str]], scheme: str) -> list[str]:
    parts = _PARTS[scheme_name(scheme)]
    return [kind if role == "?" else "O" if role == "O" else f"{parts[role]}-{kind}" for role, kind in roles]


def map_tags(tags: Sequence[str], source: str, target: str) -> list[str]:
    """Re-tag position by position, keeping each tag's role (begin/inside/end/single), so even a malformed
    sequence is carried over whenever the target can express it."""
    return _render(_roles(tags, source), target)


def lossy_positions(tags: Sequence[str], source: str, target: str) -> list[int]:
    """Positions whose tag does not survive source -> target -> source: what the target cannot express
    (e.g. BMEO cannot tell a truncated BIOES `B-X O` from a one-character entity, so it reads back `S-X`),
    and tags the source scheme does not have."""
    back = map_tags(map_tags(tags, source, target), target, source)
    unknown = [role == "?" for role, _ in _roles(tags, source)]
    return [i for i, (a, b) in enumerate(zip(tags, back, strict=True)) if a != b or unknown[i]]


def convert_tags(tags: Sequence[str], source: str, target: str, force: bool = False) -> list[str]:
    """Re-tag a sentence in another scheme; CorpusctlError if information would be lost, unless `force`."""
    converted = map_tags(tags, source, target)
    lost = lossy_positions(tags, source, target)
    if lost and not force:
        i = lost[0]
        back = map_tags(converted, target, source)[i]
        raise CorpusctlError(
            f"conversion {source} -> {target} would lose information: {tags[i]} at position {i} becomes "
            f"{converted[i]}, which reads back as {back}"
        )
    return converted


def guess_scheme(tags: Iterable[str], path: Path | str | None = None) -> str:
    """The scheme of a file: from its suffix (.bmes, .bio, ...) or from the tag prefixes it uses."""
    if path is not None and Path(path).suffix.lower() in FILE_SUFFIXES:
        return FILE_SUFFIXES[Path(path).suffix.lower()]
    prefixes = {_split(t)[0] for t in tags}
    if "S" in prefixes:
        return "BIOES" if "I" in prefixes else "BMES"
    if "I" in prefixes:
        return "BIOES" if "E" in prefixes else "BIO"
    return "BMEO"


# -- CoNLL files -----------------------------------------------------------------------------------------


@dataclass
class ConllSentence:
    tokens: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    """1-based line number of each token, for messages that name file:line."""

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    def char_spans(self, scheme: str) -> list[Span]:
        """Spans in character offsets of `text` (tokens may be longer than one character)."""
        offsets = [0]
        for token in self.tokens:
            offsets.append(offsets[-1] + len(token))
        return [(offsets[s], offsets[e], t) for s, e, t in tags_to_spans(self.tags, scheme)]


def _parse_line(line: str) -> tuple[str, str] | None:
    if "\t" in line:
        token, _, tag = line.rpartition("\t")
    else:
        token, _, tag = line.rstrip(" ").rpartition(" ")
        token = token.rstrip(" ")
    tag = tag.strip()
    if not token or not tag:
        return None
    return token, tag


def read_conll(path: Path | str) -> Iterator[ConllSentence]:
    """Sentences of a CoNLL file: `token<TAB>tag` (or space-separated) per line, blank line between
    sentences; `-DOCSTART-` lines are skipped. A line that is not `token tag` is an error naming file:line."""
    path = Path(path)
    sentence = ConllSentence()
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise CorpusctlError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                if sentence.tokens:
                    yield sentence
                sentence = ConllSentence()
                continue
            if line.startswith("-DOCSTART-"):
                continue
            parsed = _parse_line(line)
            if parsed is None:
                raise CorpusctlError(f"{path}:{number}: expected 'token<TAB>tag', got {line!r}")
            sentence.tokens.append(parsed[0])
            sentence.tags.append(parsed[1])
            sentence.lines.append(number)
    if sentence.tokens:
        yield sentence


def write_conll(handle: TextIO, tokens: Sequence[str], tags: Sequence[str]) -> None:
    """One sentence: `token<TAB>tag` lines and a blank line after it."""
    for token, tag in zip(tokens, tags, strict=True):
        handle.write(f"{token}\t{tag}\n")
    handle.write("\n")


def char_conll(text: str, spans: Iterable[Span], scheme: str = "BMEO") -> str:
    """What `write_conll(handle, list(text), spans_to_tags(len(text), spans, scheme))` writes (one token per
    character), built a run of equal tags at a time with str.join instead of a line per character.
    Spans must be in range and non-overlapping (ValueError otherwise)."""
    spans = sorted(spans)
    lines = []
    done = 0
    for start, end, kind in spans:
        if not done <= start < end <= len(text):
            raise ValueError(check_spans(spans, len(text)) or f"span [{start}, {end}) {kind} cannot be tagged")
        if done < start:
            lines += "\tO\n".join(text[done:start]), "\tO\n"
        begin, inside, last, single = _line_ends(scheme, kind)
        if end - start == 1:
            lines += text[start], single
        elif end - start == 2:
            lines += text[start], begin, text[start + 1], last
        else:
            lines += text[start], begin, inside.join(text[start + 1 : end - 1]), inside, text[end - 1], last
        done = end
    if done < len(text):
        lines += "\tO\n".join(text[done:]), "\tO\n"
    lines.append("\n")
    return "".join(lines)


@lru_cache(maxsize=4096)
def _line_ends(scheme: str, kind: str) -> tuple[str, str, str, str]:
    """Tab, tag and newline after a begin, inside, end and single character of an entity type."""
    parts = _PARTS[scheme_name(scheme)]
    begin, inside, end, single = (f"\t{parts[role]}-{kind}\n" for role in ("begin", "inside", "end", "single"))
    return begin, inside, end, single


def validate_file(path: Path | str, scheme: str) -> list[str]:
    """Every problem in a CoNLL file as 'file:line: message'."""
    scheme = scheme_name(scheme)
    messages = []
    for sentence in read_conll(path):
        for problem in validate_tags(sentence.tags, scheme):
            messages.append(f"{path}:{sentence.lines[problem.index]}: {problem.message}")
    return messages


def repair_tags(tags: Sequence[str], scheme: str, target: str) -> tuple[list[str], list[Span]]:
    """Malformed tags re-tagged in `target` through their spans, decoded the way conlleval reads them (a
    continuation without a begin starts an entity, an unclosed one ends at its last tag, unknown tags are O);
    also the spans that contain a problem, which is what was repaired."""
    spans = tags_to_spans(tags, scheme)
    problems = {p.index for p in validate_tags(tags, scheme)}
    touched = [span for span in spans if any(span[0] <= i <= span[1] for i in problems)]
    return spans_to_tags(len(tags), spans, target), touched


def _shown(lines: list[str], limit: int = 20) -> str:
    return "\n  ".join(lines[:limit]) + (f"\n  ... and {len(lines) - limit} more" if len(lines) > limit else "")


def convert_file(source: Path | str, target: Path | str, from_scheme: str, to_scheme: str, force: bool = False,
                 repair: bool = False) -> dict:
    """Convert a CoNLL file between schemes, written atomically.

    Malformed input (an `I-X` after `O`, as in real public corpora) would come out as an invalid target
    (`M-X` after `O`), so it is refused with every bad line named, unless `repair` re-tags the broken
    entities through their spans (listed in `repaired`, file:line) or `force` writes it as it maps (listed in
    `invalid`). Without `force`, a tag the target cannot express is an error too (else listed in `lossy`)."""
    from_scheme, to_scheme = scheme_name(from_scheme), scheme_name(to_scheme)
    sentences = tokens = entities = 0
    lossy: list[str] = []
    invalid: list[str] = []
    repaired: list[str] = []
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp")
    try:
        with temp.open("w", encoding="utf-8") as out:
            for sentence in read_conll(source):
                problems = validate_tags(sentence.tags, from_scheme)
                if problems and repair:
                    converted, touched = repair_tags(sentence.tags, from_scheme, to_scheme)
                    for start, end, kind in touched:
                        repaired.append(f"{source}:{sentence.lines[start]}-{sentence.lines[end - 1]}: "
                                        f"{''.join(sentence.tokens[start:end])!r} is now one {kind} entity")
                    dropped = [p for p in problems if not any(s <= p.index < e for s, e, _ in touched)]
                    repaired += [f"{source}:{sentence.lines[p.index]}: {p.message} (tag read as O or entity closed)"
                                 for p in dropped]
                else:
                    invalid += [f"{source}:{sentence.lines[p.index]}: {p.message}" for p in problems]
                    converted = map_tags(sentence.tags, from_scheme, to_scheme)
                    lost = lossy_positions(sentence.tags, from_scheme, to_scheme)
                    if lost:
                        why = {p.index: p.message for p in problems}
                        back = map_tags(converted, to_scheme, from_scheme)
                        for i in lost:
                            reason = why.get(i) or why.get(i + 1) or ""
                            lossy.append(
                                f"{source}:{sentence.lines[i]}: {sentence.tags[i]} becomes {converted[i]} in "
                                f"{to_scheme}, which reads back as {back[i]}" + (f" ({reason})" if reason else "")
                            )
                write_conll(out, sentence.tokens, converted)
                sentences += 1
                tokens += len(sentence.tokens)
                entities += len(tags_to_spans(sentence.tags, from_scheme))
        if (lossy or invalid) and not force:
            what = [f"{len(invalid)} invalid {from_scheme} tag(s) would make an invalid {to_scheme} file"] if invalid else []
            what += [f"converting {from_scheme} -> {to_scheme} would lose information at {len(lossy)} tag(s)"] if lossy else []
            fix = ("--repair re-tags the broken entities the way conlleval reads them; " if invalid else "")
            raise CorpusctlError(f"{source}: {'; '.join(what)} ({fix}--force writes the tags as they map):\n  "
                                 f"{_shown(invalid + lossy)}")
        temp.replace(target)
    finally:
        temp.unlink(missing_ok=True)
    return {"sentences": sentences, "tokens": tokens, "entities": entities, "lossy": lossy, "invalid": invalid,
            "repaired": repaired, "repaired_spans": len(repaired)}


WHITESPACE = re.compile(r"\s")


def clean_sentence(text: str, spans: Iterable[Span]) -> tuple[str, list[Span]]:
    """Drop whitespace characters (a CoNLL line cannot hold one) and re-offset the spans onto what is left;
    a span that was only whitespace disappears."""
    if not WHITESPACE.search(text):  # most Chinese sentences: nothing to drop
        return text, [(start, end, kind) for start, end, kind in spans if end > start]
    kept_before = list(accumulate((not char.isspace() for char in text), initial=0))
    out = []
    for start, end, kind in spans:
        new_start, new_end = kept_before[start], kept_before[end]
        if new_end > new_start:
            out.append((new_start, new_end, kind))
    return WHITESPACE.sub("", text), out

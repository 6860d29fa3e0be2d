"""Tag schemes: span round trips, conversions, validation with file:line, CoNLL I/O, external corpora."""

from __future__ import annotations

import pytest
from helpers import EXTERNAL
from hypothesis import given, settings
from hypothesis import strategies as st

from corpusctl.errors import CorpusctlError
from corpusctl.exports.schemes import (
    SCHEMES,
    convert_file,
    convert_tags,
    guess_scheme,
    lossy_positions,
    map_tags,
    read_conll,
    scheme_name,
    spans_to_tags,
    tag_set,
    tags_to_spans,
    validate_file,
    validate_tags,
)

EXTERNAL = EXTERNAL / "ner"
TYPES = ["LOC", "ORG", "PER"]


@st.composite
def sentences(draw):
    """A length and random non-overlapping spans over it (adjacent spans of one type included)."""
    length = draw(st.integers(0, 30))
    cuts = sorted(draw(st.lists(st.integers(0, length), max_size=12, unique=True)))
    spans = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        if draw(st.booleans()):
            spans.append((start, end, draw(st.sampled_from(TYPES))))
    return length, spans


random_tags = st.lists(
    st.one_of(st.just("O"), st.builds(lambda p, t: f"{p}-{t}", st.sampled_from("BIMES"), st.sampled_from(["A", "B"]))),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(sentences(), st.sampled_from(SCHEMES))
def test_spans_round_trip_through_every_scheme(sentence, scheme):
    length, spans = sentence
    tags = spans_to_tags(length, spans, scheme)
    assert len(tags) == length
    assert tags_to_spans(tags, scheme) == spans
    assert validate_tags(tags, scheme) == []


@settings(max_examples=300, deadline=None)
@given(sentences(), st.sampled_from(SCHEMES), st.sampled_from(SCHEMES))
def test_conversion_of_valid_tags_is_lossless(sentence, source, target):
    length, spans = sentence
    tags = spans_to_tags(length, spans, source)
    converted = convert_tags(tags, source, target)
    assert converted == spans_to_tags(length, spans, target)
    assert convert_tags(converted, target, source) == tags
    assert lossy_positions(tags, source, target) == []


@settings(max_examples=500, deadline=None)
@given(random_tags, st.sampled_from(SCHEMES))
def test_valid_sequences_are_canonical(tags, scheme):
    """Any sequence validate_tags accepts is exactly what its spans encode to, and vice versa."""
    problems = validate_tags(tags, scheme)
    canonical = spans_to_tags(len(tags), tags_to_spans(tags, scheme), scheme)
    assert (problems == []) == (canonical == tags)


@settings(max_examples=500, deadline=None)
@given(random_tags, st.sampled_from(SCHEMES), st.sampled_from(SCHEMES))
def test_lossless_conversion_keeps_the_decoded_spans(tags, source, target):
    """Malformed input included: when no tag is lost, both sides also decode to the same spans."""
    if lossy_positions(tags, source, target):
        with pytest.raises(CorpusctlError, match="would lose information"):
            convert_tags(tags, source, target)
        return
    converted = convert_tags(tags, source, target)
    assert map_tags(converted, target, source) == tags
    assert tags_to_spans(converted, target) == tags_to_spans(tags, source)


def test_bmeo_single_character_entity_is_a_lone_b():
    assert spans_to_tags(4, [(0, 1, "X"), (1, 2, "X"), (2, 4, "Y")], "BMEO") == ["B-X", "B-X", "B-Y", "E-Y"]
    assert tags_to_spans(["B-X", "O", "B-X", "M-X", "E-X", "B-X"], "BMEO") == [(0, 1, "X"), (2, 5, "X"), (5, 6, "X")]
    assert tags_to_spans(["B-X", "B-Y", "E-Y"], "BMEO") == [(0, 1, "X"), (1, 3, "Y")]
    assert spans_to_tags(3, [(0, 1, "X"), (1, 3, "Y")], "BMES") == ["S-X", "B-Y", "E-Y"]
    assert spans_to_tags(3, [(0, 1, "X"), (1, 3, "Y")], "BIO") == ["B-X", "B-Y", "I-Y"]
    assert tag_set(["B", "A"], "bmeo") == ["O", "B-A", "M-A", "E-A", "B-B", "M-B", "E-B"]


def test_truncated_entity_cannot_be_expressed_in_bmeo():
    """BMEO reads `B-X O` as a one-character entity, so a truncated BIOES/BMES entity would change."""
    tags = ["B-X", "I-X", "O", "B-X", "O"]  # the second B-X is never closed
    assert lossy_positions(tags, "BIOES", "BMEO") == [3]
    with pytest.raises(CorpusctlError, match=r"B-X at position 3 becomes B-X, which reads back as S-X"):
        convert_tags(tags, "BIOES", "BMEO")
    assert convert_tags(tags, "BIOES", "BMEO", force=True) == ["B-X", "M-X", "O", "B-X", "O"]
    # a malformed sequence the target can express is carried over exactly (entity cut by a sentence break)
    cut = ["O", "B-ORG", "M-ORG", "M-ORG"]
    assert convert_tags(convert_tags(cut, "BMES", "BMEO"), "BMEO", "BMES") == cut
    assert convert_tags(convert_tags(cut, "BMES", "BIOES"), "BIOES", "BMES") == cut


@pytest.mark.parametrize(
    ("scheme", "tags", "expected"),
    [
        ("BMEO", ["O", "M-X", "E-X"], [(1, "M-X after O")]),
        ("BMEO", ["E-X"], [(0, "E-X at the start of the sentence")]),
        ("BMEO", ["B-X", "M-Y", "E-Y"], [(1, "type change inside an entity: M-Y after B-X")]),
        ("BMEO", ["B-X", "M-X", "O"], [(2, "entity not closed: M-X followed by O")]),
        ("BMEO", ["B-X", "M-X"], [(1, "entity not closed: M-X ends the sentence")]),
        ("BMEO", ["S-X", "I-X"], [(0, "unknown tag 'S-X'"), (1, "unknown tag 'I-X'")]),
        ("BMEO", ["B-X", "E-X", "E-X"], [(2, "E-X after E-X")]),
        ("BIO", ["O", "I-X"], [(1, "I-X after O")]),
        ("BIO", ["B-X", "I-Y"], [(1, "type change inside an entity: I-Y after B-X")]),
        ("BIO", ["B-", "O"], [(0, "unknown tag 'B-'")]),
        ("BIOES", ["B-X", "O"], [(1, "entity not closed: B-X followed by O")]),
        ("BIOES", ["B-X", "I-X", "S-X"], [(2, "entity not closed: I-X followed by S-X")]),
        ("BIOES", ["S-X", "E-X"], [(1, "E-X after S-X")]),
        ("BMES", ["B-X"], [(0, "entity not closed: B-X ends the sentence")]),
    ],
)
def test_validate_finds_each_bad_transition(scheme, tags, expected):
    problems = validate_tags(tags, scheme)
    assert [p.index for p in problems] == [i for i, _ in expected]
    for problem, (_, text) in zip(problems, expected, strict=True):
        assert text in problem.message


def test_validate_file_names_every_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("-DOCSTART-\tO\n\n泄\tB-FAULT\n漏\tE-FAULT\n\n阀\tM-DEVICE\n门\tE-DEVICE\n\n泵\tB-DEVICE\n房\tM-DEVICE\n", encoding="utf-8")
    assert validate_file(path, "BMEO") == [
        f"{path}:6: M-DEVICE at the start of the sentence: an entity must begin with B-DEVICE",
        f"{path}:10: entity not closed: M-DEVICE ends the sentence",
    ]


def test_read_conll_accepts_spaces_and_names_bad_lines(tmp_path):
    path = tmp_path / "a.bio"
    path.write_text("吴 B-PER\n重  I-PER\n\n\n\n北\tB-LOC\n", encoding="utf-8")
    read = list(read_conll(path))
    assert [(s.tokens, s.tags, s.lines) for s in read] == [(["吴", "重"], ["B-PER", "I-PER"], [1, 2]), (["北"], ["B-LOC"], [6])]
    path.write_text("吴 B-PER\n重\n", encoding="utf-8")
    with pytest.raises(CorpusctlError, match=rf"{path}:2: expected 'token<TAB>tag'"):
        list(read_conll(path))


def test_convert_file_refuses_lossy_and_lists_lines(tmp_path):
    source = tmp_path / "in.bioes"
    source.write_text("泄\tB-FAULT\n漏\tE-FAULT\n\n阀\tB-DEVICE\n门\tO\n", encoding="utf-8")
    target = tmp_path / "out.bmeo"
    with pytest.raises(CorpusctlError, match=rf"{source}:4: B-DEVICE becomes B-DEVICE in BMEO, which reads back as S-DEVICE"):
        convert_file(source, target, "bioes", "bmeo")
    assert not target.exists()
    stats = convert_file(source, target, "bioes", "bmeo", force=True)
    assert len(stats["lossy"]) == 1 and stats["sentences"] == 2
    assert target.read_text(encoding="utf-8") == "泄\tB-FAULT\n漏\tE-FAULT\n\n阀\tB-DEVICE\n门\tO\n\n"


def test_scheme_names_and_guessing(tmp_path):
    assert scheme_name("bioes") == "BIOES" and scheme_name("iobes") == "BIOES"
    with pytest.raises(CorpusctlError, match="unknown tag scheme 'bilou'"):
        scheme_name("bilou")
    assert guess_scheme(["B-X", "I-X"]) == "BIO"
    assert guess_scheme(["B-X", "I-X", "E-X"]) == "BIOES"
    assert guess_scheme(["S-X", "M-X"]) == "BMES"
    assert guess_scheme(["B-X", "M-X", "E-X"]) == "BMEO"
    assert guess_scheme(["B-X"], tmp_path / "a.bmes") == "BMES"


def _tags(path):
    return [(s.tokens, s.tags) for s in read_conll(path)]


@pytest.mark.parametrize(("name", "scheme"), [("resume/train.bmes", "BMES"), ("resume/dev.bmes", "BMES"), ("resume/test.bmes", "BMES"), ("peoples_daily/dev.bio", "BIO")])
def test_external_corpora_round_trip_through_bmeo(tmp_path, name, scheme):
    source = EXTERNAL / name
    if not source.is_file():
        pytest.skip(f"external corpus {source} is absent (see ../shared/external/README.md)")
    middle, back = tmp_path / "mid.bmeo", tmp_path / f"back.{scheme.lower()}"
    malformed = name == "resume/train.bmes"  # the one file with malformed sentences, see the next test
    if malformed:  # refused without a word from the user; --force carries the broken tags over as they are
        with pytest.raises(CorpusctlError, match=rf"4 invalid BMES tag\(s\)(.|\n)*{source}:62390"):
            convert_file(source, middle, scheme, "BMEO")
    first = convert_file(source, middle, scheme, "BMEO", force=malformed)
    assert first["lossy"] == [] and len(first["invalid"]) == (4 if malformed else 0)
    if not malformed:
        assert validate_file(source, scheme) == validate_file(middle, "BMEO") == []
    convert_file(middle, back, "BMEO", scheme, force=malformed)
    assert _tags(back) == _tags(source)
    for original, converted in zip(read_conll(source), read_conll(middle), strict=True):
        assert original.char_spans(scheme) == converted.char_spans("BMEO")
    assert first["entities"] > 1000 if "train" in name or "peoples" in name else first["entities"] > 100


def test_resume_train_has_entities_cut_by_sentence_breaks():
    """The real Resume training file cuts two ORG entities at a sentence break; validate names the lines."""
    source = EXTERNAL / "resume" / "train.bmes"
    if not source.is_file():
        pytest.skip(f"external corpus {source} is absent")
    problems = validate_file(source, "BMES")
    assert len(problems) == 4
    assert problems[0] == f"{source}:62390: entity not closed: M-ORG ends the sentence"


def test_repair_turns_a_malformed_real_corpus_into_a_valid_target(tmp_path):
    source = EXTERNAL / "resume" / "train.bmes"
    if not source.is_file():
        pytest.skip(f"external corpus {source} is absent")
    stats = convert_file(source, tmp_path / "train.bmeo", "BMES", "BMEO", repair=True)
    assert validate_file(tmp_path / "train.bmeo", "BMEO") == []
    assert stats["repaired_spans"] == 4 and stats["repaired"][0].startswith(f"{source}:")
    assert stats["invalid"] == []

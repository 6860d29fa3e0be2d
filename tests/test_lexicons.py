"""The one lexicon grammar (`term [weight] [pos]`) that every recipe lexicon is read with."""

import pytest

from corpusctl.errors import CorpusctlError
from corpusctl.lexicons import Entry, read_lexicon


def lexicon(tmp_path, text: str):
    path = tmp_path / "lexicon.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_grammar_columns_comments_and_separators(tmp_path):
    path = lexicon(tmp_path, "\ufeff# a comment\n\n离心泵\n安全阀 3000\n泄漏 vn\n接地 200 v\nC# nz\n"
                             "渗漏\t2.5\nLED 灯\t1\t n \n质量督导  # a note after the entry\n白色 LED 灯\t\n")
    assert read_lexicon(path) == [
        Entry("离心泵", None, None, 3), Entry("安全阀", 3000.0, None, 4), Entry("泄漏", None, "vn", 5),
        Entry("接地", 200.0, "v", 6), Entry("C#", None, "nz", 7), Entry("渗漏", 2.5, None, 8),
        Entry("LED 灯", 1.0, "n", 9), Entry("质量督导", None, None, 10), Entry("白色 LED 灯", None, None, 11)]


def test_a_lexicon_without_tags_refuses_a_word_where_the_weight_goes(tmp_path):
    path = lexicon(tmp_path, "泄漏\t3.0\n过热\thigh\n")
    assert read_lexicon(path)[1] == Entry("过热", None, "high", 2)  # a tag where tags are read
    with pytest.raises(CorpusctlError, match=r"lexicon.txt:2: weight 'high' of '过热' is not a number$"):
        read_lexicon(path, pos=False)
    spaced = lexicon(tmp_path, "LED 灯\n")
    with pytest.raises(CorpusctlError, match="a term holding spaces needs a TAB after it"):
        read_lexicon(spaced, pos=False)


@pytest.mark.parametrize("line", ["安全阀 n 3000", "安全阀 3000 n extra", "泄漏\t1\tn\tx", "\t3.0", "泄漏 1 2"])
def test_malformed_lines_name_file_and_line(tmp_path, line):
    path = lexicon(tmp_path, f"离心泵\n{line}\n")
    with pytest.raises(CorpusctlError, match=r"lexicon.txt:2: expected `term \[weight\] \[pos\]`"):
        read_lexicon(path)


def test_unreadable_files_are_user_errors(tmp_path):
    with pytest.raises(CorpusctlError, match="clean.anomaly.lexicon: .*missing.txt: lexicon file not found"):
        read_lexicon(tmp_path / "missing.txt", "clean.anomaly.lexicon")
    (tmp_path / "gbk.txt").write_bytes("泄漏压力".encode("gbk") + b"\xff")
    with pytest.raises(CorpusctlError, match="gbk.txt: lexicon is not UTF-8"):
        read_lexicon(tmp_path / "gbk.txt")

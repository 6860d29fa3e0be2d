"""Every Python block of README.md runs, literally, against the sample output (issue 16, item 1)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from helpers import ROOT

README = ROOT / "README.md"


def python_blocks(text: str) -> list[str]:
    """The ```python fenced blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_readme_has_python_blocks_for_decoding_and_a_trainer_step():
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    joined = "\n".join(blocks)
    assert ".decode(" in joined and "Trainer(" in joined and ".train()" in joined


@pytest.mark.train
@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(python_blocks(README.read_text(encoding="utf-8")))))
def test_readme_python_block_runs_literally(sample_out, tmp_path, index):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    block = python_blocks(README.read_text(encoding="utf-8"))[index]
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "sample").symlink_to(sample_out, target_is_directory=True)
    script = tmp_path / f"block{index}.py"
    script.write_text(block, encoding="utf-8")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TOKENIZERS_PARALLELISM": "false",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": ""}
    before = sorted(p.relative_to(sample_out) for p in sample_out.rglob("*"))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"README block {index} failed:\n{block}\n{result.stdout}\n{result.stderr}"
    # a snippet must not write into the output folder (e.g. a datasets cache file beside the shards)
    assert sorted(p.relative_to(sample_out) for p in sample_out.rglob("*")) == before
    if ".decode(" in block:  # the decode prints the first Chinese characters of a paragraph, as the comment says
        lines = result.stdout.splitlines()
        size, mask, pad = lines[0].split()
        assert int(size) == len((sample_out / "vocab.txt").read_text(encoding="utf-8").splitlines())
        assert (mask, pad) == ("[MASK]", "[PAD]")
        assert re.search(r"[\u4e00-\u9fff]", lines[1])


def test_the_output_folder_is_a_tokenizer_folder(sample_out):
    config = json.loads((sample_out / "tokenizer_config.json").read_text(encoding="utf-8"))
    special = json.loads((sample_out / "special_tokens_map.json").read_text(encoding="utf-8"))
    assert special["mask_token"] == "[MASK]" and special["pad_token"] == "[PAD]"
    assert config["do_lower_case"] is False and config["model_max_length"] == 512
    transformers = pytest.importorskip("transformers")
    for cls in (transformers.AutoTokenizer, transformers.BertTokenizerFast):
        tokenizer = cls.from_pretrained(str(sample_out))
        assert len(tokenizer) == len((sample_out / "vocab.txt").read_text(encoding="utf-8").splitlines())
        assert tokenizer.convert_tokens_to_ids(["[MASK]", "[PAD]"]) == [tokenizer.mask_token_id, tokenizer.pad_token_id]
        ids = tokenizer("灭火器压力不足")["input_ids"]
        assert tokenizer.unk_token_id not in ids
        assert tokenizer.decode(ids, skip_special_tokens=True).replace(" ", "") == "灭火器压力不足"

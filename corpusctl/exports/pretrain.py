"""The pre-training outputs: pretrain/ shards, masked/ epochs and title_reconstruction/, as `datasets` folders."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

from corpusctl.config import parse_size
from corpusctl.executor import Background, Columns
from corpusctl.io.shards import write_dataset
from corpusctl.io.workdir import read_batches, rows_in
from corpusctl.stages.base import Output, register

BATCH_SIZE = 256


def pretrain_features(extra: list[str] = ()):
    """The pretrain/ columns; `extra` string columns (the fused context, in fusion's column mode) at the end."""
    from datasets import ClassLabel, Features, Sequence, Value

    from corpusctl.segmenter.pos import UPOS

    ints = Sequence(Value("int32"))
    span = [{"start": Value("int32"), "end": Value("int32"), "concept_id": Value("string"), "category": Value("string"),
             "sense": Value("string")}]
    return Features({
        "id": Value("string"), "source": Value("string"), "kind": Value("string"), "domain": Value("string"),
        "format": Value("string"), "title": Value("string"), "text": Value("string"), "priority": Value("float64"),
        "input_ids": ints, "attention_mask": Sequence(Value("int8")), "token_type_ids": Sequence(Value("int8")),
        "special_tokens_mask": Sequence(Value("int8")), "length": Value("int32"), "num_words": Value("int32"),
        "report_words": Value("int32"),  # words of the report the example was cut from: picks the mask band
        "word_ids": ints, "term_ids": ints, "pos_ids": Sequence(ClassLabel(names=list(UPOS))),
        "sentence_ids": ints,
        # spans over text/title, so NER can be re-exported from pretrain/ alone (`corpusctl ner export OUT`)
        "terms": span, "title_terms": span, "sentences": [{"start": Value("int32"), "end": Value("int32")}],
        **{name: Value("string") for name in extra},
    })


def masked_features():
    from datasets import Features, Sequence, Value

    ints = Sequence(Value("int32"))
    small = Sequence(Value("int8"))
    return Features({"id": Value("string"), "input_ids": ints, "attention_mask": small, "token_type_ids": small,
                     "special_tokens_mask": small, "labels": ints})


@register
class Pretrain(Output):
    """pretrain/: the tokenized examples, sharded by size."""

    name = "pretrain"
    section = "shards"
    input = "tokenize"
    manifest_key = "pretrain"

    def write(self, ctx, source, out: Path, counter=None) -> dict:
        from corpusctl.stages.fusion import fusion_columns

        started = time.perf_counter()
        stats = ctx.offload(_write_dataset, source.data, out / "pretrain",
                            partial(pretrain_features, fusion_columns(self.recipe)),
                            parse_size(self.settings_section.max_shard_size))
        ctx.timings["write pretrain"] = round(time.perf_counter() - started, 3)
        return stats


@register
class Mask(Output):
    """masked/epoch-N: masks drawn afresh for each epoch from (seed, epoch, row id), and their statistics."""

    name = "mask"
    section = "mask"
    input = "tokenize"
    manifest_key = "mask"

    @classmethod
    def enabled(cls, recipe) -> bool:
        return recipe.mask.enabled and recipe.mask.epochs > 0

    def write(self, ctx, source, out: Path, counter=None) -> dict:
        from corpusctl.stages.mask import MASK_INPUTS, MaskStage, MaskVocab
        from corpusctl.stages.mask_stats import MaskStatistics

        config, seed = self.settings_section, self.recipe.seed
        vocab = MaskVocab.from_vocab_file(out / "vocab.txt")
        jobs: list[Background] = []
        try:
            for epoch in range(config.epochs):
                stage = Columns(MaskStage(config, vocab, seed, epoch), list(MASK_INPUTS), carries=[], arrow=True)
                masked = ctx.map_stage(f"mask-epoch-{epoch}", stage, source, config.model_dump(mode="json"), seed,
                                       epoch)
                # writing the shards and measuring the masks overlap the next epoch's masking
                jobs.append(ctx.background(masked_outputs, source.data, masked.data, out / "masked" / f"epoch-{epoch}",
                                           MaskStatistics(config, vocab)))
            per_epoch = {str(epoch): job.result() for epoch, job in enumerate(jobs)}
            for epoch, job in enumerate(jobs):
                ctx.timings[f"write masked + statistics epoch-{epoch}"] = round(job.seconds, 3)
        except BaseException:
            for job in jobs:
                job.cancel()
            raise
        return {"epochs": config.epochs, **per_epoch["0"], "per_epoch": per_epoch}


def masked_outputs(tokenized: Path, masked: Path, out: Path, statistics) -> dict:
    """One epoch's masked/ shards and its statistics (a streaming pass over the pre-training and masked rows)."""
    write_dataset(masked, out, masked_features())
    for rows, masks in zip(read_batches(tokenized, BATCH_SIZE), read_batches(masked, BATCH_SIZE), strict=True):
        statistics.add_batch(rows, masks)
    return statistics.result()


@register
class TitleReconstruction(Output):
    """title_reconstruction/: (content, title) pairs of the title+content examples."""

    name = "title-reconstruction"
    input = "format"
    manifest_key = "title_reconstruction"

    def write(self, ctx, source, out: Path, counter=None) -> dict:
        from corpusctl.stages.format import title_reconstruction_rows

        stage = Columns(title_reconstruction_rows, ["id", "format", "title", "text"], carries=[])
        rows = ctx.map_stage("title-reconstruction", stage, source, "v1")
        if rows_in(rows.data) == 0:
            return {"rows": 0}
        return ctx.offload(_write_dataset, rows.data, out / "title_reconstruction", title_reconstruction_features)


def title_reconstruction_features():
    from datasets import Features, Value

    return Features({"id": Value("string"), "content": Value("string"), "title": Value("string")})


def _write_dataset(data: Path, out: Path, features, *args) -> dict:
    """`write_dataset` with its features made where it runs (`features()`): under `--executor ray` on a
    cluster's worker, so the driver never imports `datasets` (~8 MB of modules read)."""
    return write_dataset(data, out, features(), *args)

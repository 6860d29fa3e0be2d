"""The order of the build: which stage runs on which checkpoint, and how the outputs are assembled."""

from __future__ import annotations

import json
import platform
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from corpusctl import __version__
from corpusctl.build_checks import build_warnings, gather_rejects, reject_summary, target_checks
from corpusctl.config import parse_size
from corpusctl.errors import CorpusctlError
from corpusctl.executor import Background, Columns
from corpusctl.io.shards import write_dataset
from corpusctl.io.workdir import ArrowStreamWriter, StageCheckpoint, read_batches, write_json
from corpusctl.manifest import file_entries, library_versions, sha256_text
from corpusctl.pipeline import BATCH_SIZE, Build
from corpusctl.stages.fusion import fusion_columns, fusion_step, fusion_summary


def run_steps(build: Build) -> Path:
    """Run every stage and assemble the output folder in the work dir; returns the staged folder.

    A build that stops at a user error says which records its stages rejected so far (the cause is often
    there: a wrong text_field, a file in another encoding), since the rejects of a failed build stay in the
    work folder."""
    try:
        return _run_steps(build, time.perf_counter())
    except CorpusctlError as exc:
        summary = reject_summary(gather_rejects(build.work / name / "rejects.jsonl" for name in build.checkpoints))
        if summary and exc.args:
            exc.args = (f"{exc.args[0]}\n{summary}; every rejected record is in {build.work}/<stage>/rejects.jsonl",
                        *exc.args[1:])
        raise


def _run_steps(build: Build, build_started: float) -> Path:
    recipe = build.recipe
    docs = build.ingest()
    docs = clean_steps(build, docs)
    docs = fusion_step(build, docs)
    docs = ontology_step(build, docs)
    final = build.work / "final"
    shutil.rmtree(final, ignore_errors=True)
    final.mkdir(parents=True)
    # Global steps that only read finished checkpoints (the exports, the vocabulary) each run in a process of
    # their own as soon as their input is ready, alongside the rest of the build (see Build.overlap).
    exports: dict[str, Export] = {}
    try:
        exports["classification"] = start_export(build, "classification", classification_step, docs, None)
        examples = mix_and_format(build, docs)
        if _rows_in(examples.data) == 0:
            raise CorpusctlError("no documents are left to build examples from: every document was rejected or "
                                 f"left out by the mix; see the rejects in {build.work}/*/rejects.jsonl")
        vocab_cp, exports["vocab"] = start_vocabulary(build, examples)
        segmented = segment_step(build, examples)
        # the NER export reads the words and POS of the segmented examples: it runs during tokenize and masking
        exports["ner"] = start_export(build, "ner", ner_step, segmented, build.stats.get(segmented.name, {}).get("docs_out"),
                                      files=term_files(recipe))
        tokenizer, vocab_stats = finish_vocabulary(build, vocab_cp, exports["vocab"], final)
        tokenized = tokenize_step(build, segmented, tokenizer)
        outputs = {"vocab": vocab_stats, "formats": corpus_shares(examples, recipe.format.title_content_share)}
        started = time.perf_counter()
        outputs["pretrain"] = write_dataset(tokenized.data, final / "pretrain", pretrain_features(fusion_columns(recipe)),
                                            parse_size(recipe.shards.max_shard_size))
        build.timings["write pretrain"] = round(time.perf_counter() - started, 3)
        outputs["mask"] = mask_step(build, tokenized, final)
        outputs["title_reconstruction"] = title_reconstruction(build, examples, final)
        for name in ("ner", "classification"):  # (the vocabulary job finished above)
            outputs[name] = finish_export(build, name, exports[name], final)
    except BaseException:
        for export in exports.values():
            export.job.cancel()
        raise
    outputs["fusion"] = fusion_summary(build)
    outputs["ontology"] = ontology_summary(build, docs)
    outputs["segment"] = segment_summary(build)
    write_rejects(build, final)
    outputs["wall_seconds"] = round(time.perf_counter() - build_started, 3)  # what a person waited
    manifest = make_manifest(build, outputs)
    if recipe.report.enabled:
        from corpusctl.report import write_report

        started = time.perf_counter()
        write_report(manifest, final)
        manifest["step_seconds"]["report"] = round(time.perf_counter() - started, 3)
    manifest["files"] = file_entries(final)
    write_json(final / "manifest.json", manifest)
    return final


# -- document stages ------------------------------------------------------------------------------------


def clean_steps(build: Build, docs: StageCheckpoint) -> StageCheckpoint:
    clean = build.recipe.clean
    if clean.enabled and clean.normalize.enabled:
        from corpusctl.stages.normalize import NormalizeStage

        docs = build.map_stage("normalize", NormalizeStage(clean.normalize), docs, clean.normalize.model_dump(mode="json"))
    # personal data is scrubbed at ingest (Build.ingest), before the first checkpoint is written
    if clean.enabled:
        from corpusctl.stages.clean import CleanStage

        lexicons = [section.lexicon for section in (clean.clutter, clean.anomaly) if section.enabled]
        docs = build.map_stage("clean", CleanStage(clean), docs, clean.model_dump(mode="json"), files=lexicons)
    else:
        docs = build.map_stage("clean", _zero_priority, docs, "disabled")
    if clean.enabled and clean.dedup.enabled:
        docs = dedup_step(build, docs)
    return docs


def _zero_priority(batch: dict) -> dict:
    return {**batch, "priority": [0.0] * len(batch["id"])}


def dedup_step(build: Build, docs: StageCheckpoint) -> StageCheckpoint:
    """Signatures in parallel, then one pass that keeps only hashes and signatures to decide drops."""
    from corpusctl.stages.dedup import find_duplicates, signature_column

    config = build.recipe.clean.dedup
    signatures = build.map_stage("dedup-signatures", Columns(_Signatures(config), ["id", "source", "title", "text"],
                                                             carries=[]), docs, config.model_dump(mode="json"))
    cp, stats = build.checkpoint("dedup", config.model_dump(mode="json"), inputs=[docs, signatures])
    if stats is not None:
        return cp
    table = _read_columns(signatures.data, ["id", "_exact"])
    minhashes = np.concatenate([signature_column(batch.column("_minhash"), config.num_perm)
                                for batch in read_batches(signatures.data, 8192)] or [np.zeros((0, config.num_perm), np.uint32)])
    drops = find_duplicates(table["id"], table["_exact"], minhashes, config)
    del table, minhashes
    started = time.perf_counter()
    counter_rows = 0
    writer = ArrowStreamWriter(cp.data)
    rejected: dict[str, int] = {}
    with open(cp.rejects, "w", encoding="utf-8") as rejects:
        for batch in read_batches(docs.data, BATCH_SIZE):
            dropped = [offset for offset in range(batch.num_rows) if counter_rows + offset in drops]
            for offset, row in zip(dropped, batch.take(pa.array(dropped, pa.int32())).to_pylist(), strict=True):
                reason, twin = drops[counter_rows + offset]
                rejected[reason] = rejected.get(reason, 0) + 1
                build._reject(rejects, "dedup", row["id"], row["source"], reason, f"duplicate of {twin}", row)
            keep = np.ones(batch.num_rows, dtype=bool)
            keep[dropped] = False
            counter_rows += batch.num_rows
            writer.write(batch.filter(pa.array(keep)))
    writer.close()
    stats = {"docs_in": counter_rows, "docs_out": writer.rows, "rejects": rejected,
             "seconds": round(time.perf_counter() - started, 3)}
    cp.finish(stats)
    build.stats["dedup"] = stats
    build.progress.stage_done("dedup", stats, reused=False)
    return cp


class _Signatures:
    def __init__(self, config):
        self.config = config

    def __call__(self, batch: dict) -> dict:
        from corpusctl.stages.dedup import dedup_signatures

        return {"id": batch["id"], "source": batch["source"], **dedup_signatures(batch, self.config)}


def ontology_step(build: Build, docs: StageCheckpoint) -> StageCheckpoint:
    from corpusctl.stages.ontology import OntologyStage

    recipe = build.recipe
    returns = ["terms", "title_terms", "_events"] + (["text"] if recipe.ontology.enrich else [])
    stage = Columns(OntologyStage(recipe.ontology, list(recipe.segment.lexicons)), ["text", "title"], returns,
                    arrow=True)
    return build.map_stage("ontology", stage, docs, recipe.ontology.model_dump(mode="json"),
                           [str(p) for p in recipe.segment.lexicons], files=term_files(recipe))


def term_files(recipe) -> list[Path]:
    """The files the term annotation and the segmenter's user dictionary are built from."""
    paths = [Path(p) for p in recipe.segment.lexicons]
    if recipe.ontology.enabled:
        paths += sorted(p for p in Path(recipe.ontology.dir).glob("*") if p.is_file())
    return paths


# -- mix and format -------------------------------------------------------------------------------------


def mix_and_format(build: Build, docs: StageCheckpoint) -> StageCheckpoint:
    """Plan the mix and the formats from per-document sizes, expand the chosen copies, then cut examples."""
    from corpusctl.stages.format import FORMAT_READS, FormatStage

    recipe = build.recipe
    reads = ["id", "kind", "domain", "priority", "title", "text", "terms", "title_terms"]
    sizes = build.map_stage("mix-sizes", Columns(_MixSizes(recipe.mix.unit, recipe.format), reads, carries=[],
                                                 arrow=True), docs,
                            recipe.mix.unit, recipe.format.model_dump(mode="json"))
    cp, stats = build.checkpoint("mix", recipe.mix.model_dump(mode="json"), recipe.format.model_dump(mode="json"),
                                 recipe.seed, {s.kind: s.domain for s in recipe.sources}, inputs=[docs, sizes])
    if stats is None:
        started = time.perf_counter()
        copies, as_pair, mix_stats = plan_copies(build, sizes)
        writer = ArrowStreamWriter(cp.data)
        row = 0
        next_copy = 0  # index into the per-copy list, which is ordered by (row, copy)
        for batch in read_batches(docs.data, BATCH_SIZE):  # copies are taken in Arrow: no Python rows
            counts = copies[row:row + batch.num_rows]
            take = [i for i, n in enumerate(counts) for _ in range(n)]
            row += batch.num_rows
            if not take:
                continue
            picked = batch.take(pa.array(take, pa.int32()))
            picked = picked.append_column("_as_pair", pa.array(as_pair[next_copy:next_copy + len(take)], pa.bool_()))
            picked = picked.append_column("_copy", pa.array([c for n in counts for c in range(n)], pa.int32()))
            next_copy += len(take)
            writer.write(picked)
        writer.close()
        stats = {"mix": mix_stats, "docs_in": row, "docs_out": writer.rows,
                 "seconds": round(time.perf_counter() - started, 3)}
        cp.finish(stats)
        build.stats["mix"] = stats
        build.progress.stage_done("mix", stats, reused=False)
    stage = Columns(FormatStage(recipe.format, recipe.seed), FORMAT_READS + fusion_columns(recipe), carries=[],
                    arrow=True)
    return build.map_stage("format", stage, cp,
                           recipe.format.model_dump(mode="json"), recipe.seed)


class _MixSizes:
    """Per document, the few numbers the global mix and format plans need (the text is not kept)."""

    def __init__(self, unit: str, format_config):
        self.unit = unit
        self.format_config = format_config

    def __call__(self, batch: dict) -> dict:
        from corpusctl.stages.format import format_sizes
        from corpusctl.stages.mix import measure_batch

        return {**measure_batch(batch, self.unit), **format_sizes(batch, self.format_config)}


def plan_copies(build: Build, sizes: StageCheckpoint) -> tuple[list[int], list[bool], dict]:
    """Copies per document (the mix plan) and, per copy, whether it becomes a title+content pair."""
    from corpusctl.stages.format import assign_formats
    from corpusctl.stages.mix import copy_rows, plan_mix

    recipe = build.recipe
    table = _read_columns(sizes.data, ["id", "kind", "priority", "size", "bytes", "has_title", "paragraph_chars",
                                       "pair_chars"])
    domains = {source.kind: source.domain for source in recipe.sources}
    plan = plan_mix(table["kind"], table["size"], table["priority"], table["id"], recipe.mix, recipe.seed,
                    domains=domains, nbytes=table["bytes"])
    rows = copy_rows(plan.copies)
    if recipe.format.enabled:
        copy_ids = [table["id"][r] if c == 0 else f"{table['id'][r]}~r{c}" for r, c in rows]
        as_pair = assign_formats([table["has_title"][r] for r, _ in rows], [table["paragraph_chars"][r] for r, _ in rows],
                                 copy_ids, recipe.format.title_content_share, recipe.seed,
                                 pair_chars=[table["pair_chars"][r] for r, _ in rows])
    else:
        as_pair = [False] * len(rows)
    return list(plan.copies), as_pair, plan.stats


def corpus_shares(examples: StageCheckpoint, target: float) -> dict:
    """Achieved shares of characters in the examples, per format, kind and domain (one streaming pass)."""
    from corpusctl.stages.format import format_stats

    formats, chars, by_kind, by_domain = [], [], {}, {}
    for batch in read_batches(examples.data, 4096):
        columns = batch.select(["format", "kind", "domain", "title", "text"]).to_pydict()
        for fmt, kind, domain, title, text in zip(*columns.values()):
            size = len(title) + len(text)
            formats.append(fmt)
            chars.append(size)
            by_kind[kind] = by_kind.get(kind, 0) + size
            by_domain[domain] = by_domain.get(domain, 0) + size
    total = sum(chars) or 1
    return {**format_stats(formats, chars, target=target),
            "kind_shares": {k: round(v / total, 6) for k, v in sorted(by_kind.items())},
            "domain_shares": {k: round(v / total, 6) for k, v in sorted(by_domain.items())}}


def segment_step(build: Build, examples: StageCheckpoint) -> StageCheckpoint:
    from corpusctl.ontology import segmenter_terms
    from corpusctl.stages.segment import SEGMENT_READS, SegmentStage

    recipe = build.recipe
    ontology_dir = recipe.ontology.dir if recipe.ontology.enabled else None
    user_words = segmenter_terms(ontology_dir, list(recipe.segment.lexicons))
    stage = Columns(SegmentStage(recipe.segment, user_words), SEGMENT_READS, ["words", "title_words"], arrow=True)
    return build.map_stage("segment", stage, examples,
                           recipe.segment.model_dump(mode="json"), files=term_files(recipe))


# -- vocabulary and tokens ------------------------------------------------------------------------------


def placeholders(recipe) -> list[str]:
    if not (recipe.clean.enabled and recipe.clean.pii.enabled):
        return []
    from corpusctl.stages.pii import placeholders as pii_placeholders

    return pii_placeholders(recipe.clean.pii)


def start_vocabulary(build: Build, examples: StageCheckpoint) -> tuple[StageCheckpoint, Background]:
    """The vocabulary's checkpoint and the job that makes it (trained on the examples in a process of its own,
    or the recipe's vocab.txt); an already finished job when the checkpoint is reused."""
    recipe = build.recipe
    marks = placeholders(recipe)
    cp, stats = build.checkpoint("vocab", recipe.vocab.model_dump(mode="json"), marks, recipe.seed, inputs=[examples],
                                 files=[recipe.vocab.path] if recipe.vocab.path else [])
    if stats is not None:
        return cp, Background(lambda: None, inline=True)
    rows = build.stats.get(examples.name, {}).get("docs_out")
    counter = step_counter(build, "vocab", None if recipe.vocab.path or rows is None else 2 * rows)
    return cp, Background(make_vocabulary, recipe.vocab, examples.data, marks, cp.dir, recipe.seed, counter,
                          inline=not build.overlap)


def step_counter(build: Build, name: str, total: int | None):
    """A row counter in shared memory that a global step advances from its own process; the progress
    display polls it (the step's process cannot draw on the terminal itself)."""
    import multiprocessing

    counter = multiprocessing.get_context("fork").RawValue("q", 0)
    build.progress.step_started(name, total, counter)
    return counter


def counted(batches, counter):
    """Pass record batches through, adding their rows to `counter` (None: count nothing)."""
    for batch in batches:
        if counter is not None:
            counter.value += batch.num_rows
        yield batch


def finish_vocabulary(build: Build, cp: StageCheckpoint, job: Background, final: Path) -> tuple:
    """Wait for the vocabulary job; (tokenizer, statistics), with vocab.txt and tokenizer.json in `final`."""
    stats = job.result()
    if stats is None:
        stats = build.stats["vocab"]
    else:
        build.progress.step_done("vocab")
        build.timings["vocab"] = round(job.seconds, 3)
        cp.finish(stats)
        build.stats["vocab"] = stats
    for name in ("vocab.txt", "tokenizer.json"):
        shutil.copyfile(cp.dir / name, final / name)
    from tokenizers import Tokenizer

    from corpusctl.stages.tokenize import write_hf_tokenizer_files

    write_hf_tokenizer_files(final, build.recipe.format.max_seq_len)

    return Tokenizer.from_file(str(cp.dir / "tokenizer.json")), stats


def make_vocabulary(config, examples: Path, marks: list[str], out: Path, seed: int, counter=None) -> dict:
    """Train a WordPiece vocabulary on the examples (streamed), or load config.path; saved into `out`.

    The merges are learnt from a sample of about `config.train_chars` characters, chosen by a hash of
    (seed, example id); the first pass collects every character, so all of them are in the vocabulary."""
    from corpusctl.stages import stable_hash
    from corpusctl.stages.tokenize import load_vocab_tokenizer, save_tokenizer, train_tokenizer

    if config.path:
        tokenizer = load_vocab_tokenizer(Path(config.path), marks)
        save_tokenizer(tokenizer, out)
        return {"size": tokenizer.get_vocab_size(with_added_tokens=True), "source": str(config.path),
                "placeholders": marks}
    alphabet: set[str] = set()
    chars = 0
    for batch in counted(read_batches(examples, BATCH_SIZE), counter):
        for text in batch.column("title").to_pylist() + batch.column("text").to_pylist():
            alphabet.update(text)
            chars += len(text)
    share = 1.0 if config.train_chars is None else min(1.0, config.train_chars / max(chars, 1))
    below = int(share * 2**64)

    def sample():
        for batch in counted(read_batches(examples, BATCH_SIZE), counter):
            columns = batch.select(["id", "title", "text"]).to_pydict()
            for row_id, title, text in zip(*columns.values(), strict=True):
                if share == 1.0 or stable_hash(seed, "vocab", row_id) < below:
                    if title:
                        yield title
                    yield text

    tokenizer = train_tokenizer(sample, config, marks, alphabet=alphabet)
    save_tokenizer(tokenizer, out)
    return {"size": tokenizer.get_vocab_size(with_added_tokens=True), "source": "trained", "placeholders": marks,
            "corpus_chars": chars, "trained_on_share": round(share, 4)}


def tokenize_step(build: Build, examples: StageCheckpoint, tokenizer) -> StageCheckpoint:
    from corpusctl.stages.segment import UPOS
    from corpusctl.stages.tokenize import TOKENIZE_READS, TokenizeStage

    recipe = build.recipe
    tokenizer_json = tokenizer.to_str()
    carries = ["id", "source", "kind", "domain", "format", "title", "text", "priority", "terms", "title_terms",
               "sentences", *fusion_columns(recipe)]
    stage = Columns(TokenizeStage(tokenizer_json, recipe.format.max_seq_len, list(UPOS)), TOKENIZE_READS,
                    carries=carries, arrow=True)
    return build.map_stage("tokenize", stage, examples, recipe.format.max_seq_len, sha256_text(tokenizer_json)[:16])


# -- outputs --------------------------------------------------------------------------------------------


def pretrain_features(extra: list[str] = ()):
    """The pretrain/ columns; `extra` string columns (the fused context, in fusion's column mode) at the end."""
    from datasets import ClassLabel, Features, Sequence, Value

    from corpusctl.stages.segment import UPOS

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




def mask_step(build: Build, tokenized: StageCheckpoint, final: Path) -> dict:
    """Pre-drawn masks for each epoch, drawn afresh from (seed, epoch, row id), and their statistics."""
    recipe = build.recipe
    if not recipe.mask.enabled or recipe.mask.epochs == 0:
        return {"enabled": False}
    from corpusctl.stages.mask import MASK_INPUTS, MaskStage, MaskStatistics, MaskVocab

    vocab = MaskVocab.from_vocab_file(final / "vocab.txt")
    jobs: list[Background] = []
    try:
        for epoch in range(recipe.mask.epochs):
            stage = Columns(MaskStage(recipe.mask, vocab, recipe.seed, epoch), list(MASK_INPUTS), carries=[], arrow=True)
            masked = build.map_stage(f"mask-epoch-{epoch}", stage, tokenized,
                                     recipe.mask.model_dump(mode="json"), recipe.seed, epoch)
            # writing the shards and measuring the masks overlap the next epoch's masking
            jobs.append(Background(masked_outputs, tokenized.data, masked.data,
                                   final / "masked" / f"epoch-{epoch}", MaskStatistics(recipe.mask, vocab),
                                   inline=not build.overlap))
        per_epoch = {str(epoch): job.result() for epoch, job in enumerate(jobs)}
        for epoch, job in enumerate(jobs):
            build.timings[f"write masked + statistics epoch-{epoch}"] = round(job.seconds, 3)
    except BaseException:
        for job in jobs:
            job.cancel()
        raise
    return {"epochs": recipe.mask.epochs, **per_epoch["0"], "per_epoch": per_epoch}


def masked_outputs(tokenized: Path, masked: Path, out: Path, statistics) -> dict:
    """One epoch's masked/ shards and its statistics (a streaming pass over the pre-training and masked rows)."""
    write_dataset(masked, out, masked_features())
    for rows, masks in zip(read_batches(tokenized, BATCH_SIZE), read_batches(masked, BATCH_SIZE), strict=True):
        statistics.add_batch(rows, masks)
    return statistics.result()


def title_reconstruction(build: Build, examples: StageCheckpoint, final: Path) -> dict:
    from datasets import Features, Value

    from corpusctl.stages.format import title_reconstruction_rows

    stage = Columns(title_reconstruction_rows, ["id", "format", "title", "text"], carries=[])
    rows = build.map_stage("title-reconstruction", stage, examples, "v1")
    features = Features({"id": Value("string"), "content": Value("string"), "title": Value("string")})
    if _rows_in(rows.data) == 0:
        return {"rows": 0}
    return write_dataset(rows.data, final / "title_reconstruction", features)


EXPORT_LABELS = {"ner": "NER export", "classification": "classification export"}


@dataclass
class Export:
    """An export running (or reused): its checkpoint, whose `files/` folder mirrors the output's layout."""

    checkpoint: StageCheckpoint
    job: Background


def start_export(build: Build, name: str, step, source: StageCheckpoint, rows: int | None,
                 files: list[Path] = ()) -> Export:
    """Start an export in the background, into its own checkpoint; with --resume, an export whose input
    checkpoint, settings and the files it reads (`files`: the ontology for NER labels) did not change is
    reused instead of written again."""
    recipe = build.recipe
    cp, stats = build.checkpoint(f"{name}-export", getattr(recipe, name).model_dump(mode="json"), recipe.seed,
                                 build.strict, inputs=[source], files=files)
    build.stats.pop(cp.name, None)  # an export's statistics are its own manifest section, not a stage's
    if stats is not None:
        return Export(cp, Background(lambda: stats, inline=True))
    counter = step_counter(build, EXPORT_LABELS[name], rows) if getattr(recipe, name).enabled else None
    job = Background(_export_into, step, build, source, cp, counter, inline=not build.overlap)
    return Export(cp, job)


def _export_into(step, build: Build, source: StageCheckpoint, cp: StageCheckpoint, counter) -> dict:
    stats = step(build, source, cp.dir / "files", counter)
    cp.finish(stats)
    return stats


def finish_export(build: Build, name: str, export: Export, final: Path) -> dict:
    """Wait for the export and copy its files into the output (copies: the output never shares a file with
    the work folder, so editing one cannot change the other)."""
    stats = export.job.result()
    files = export.checkpoint.dir / "files"
    if files.is_dir():
        shutil.copytree(files, final, dirs_exist_ok=True)
    build.progress.step_done(EXPORT_LABELS[name])  # (a reused or disabled export never started a bar)
    build.timings[f"{name} export"] = round(export.job.seconds, 3)
    return stats


def ner_step(build: Build, examples: StageCheckpoint, final: Path, counter=None) -> dict:
    recipe = build.recipe
    if not recipe.ner.enabled:
        return {"enabled": False}
    from corpusctl.exports.ner import export_ner, iter_rows  # columnar rows (issue 21)

    columns = ["id", "title", "text", "terms", "title_terms", "sentences", "words", "title_words"]
    rows = iter_rows(examples.data, columns, counter)
    rejects: list[dict] = []
    stats = export_ner(rows, final / "ner", recipe.ner, recipe.seed, strict=build.strict, rejects=rejects,
                       ontology_dir=recipe.ontology.dir if recipe.ontology.enabled else None)
    if rejects:
        (final / "rejects").mkdir(exist_ok=True)
        with open(final / "rejects" / "ner.jsonl", "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rejects)
    return stats


def classification_step(build: Build, docs: StageCheckpoint, final: Path, counter=None) -> dict:
    """The classification splits; `counter` counts rows read over the export's passes (up to 3, so no total)."""
    recipe = build.recipe
    if not recipe.classification.enabled:
        return {"enabled": False}
    from corpusctl.exports.classification import CheckpointRows, export_classification

    rows = CheckpointRows(docs.data, ["id", "title", "text", "label", "kind", "source"], counter=counter)
    return export_classification(rows, final / "classification", recipe.classification, recipe.seed)


def write_rejects(build: Build, final: Path) -> None:
    """Collect every stage's rejects into rejects/<stage>.jsonl (only stages that dropped something)."""
    out = final / "rejects"
    out.mkdir(exist_ok=True)
    for name in sorted(set(build.checkpoints)):  # not leftovers of an earlier recipe in a resumed work dir
        source = build.work / name / "rejects.jsonl"
        if source.is_file() and source.stat().st_size:
            shutil.copyfile(source, out / f"{name}.jsonl")


def ontology_summary(build: Build, docs: StageCheckpoint, top: int = 50) -> dict:
    """The ontology's manifest entry plus the most frequent annotated terms (counts per distinct term only)."""
    from collections import Counter

    from corpusctl.ontology import ontology_stats
    from corpusctl.stages.ontology import ontology_manifest

    recipe = build.recipe
    stats = ontology_stats(recipe.ontology.dir) if recipe.ontology.enabled else None
    summary = ontology_manifest(build.stats.get("ontology", {}).get("events", {}), stats=stats)
    terms: Counter = Counter()
    for batch in read_batches(docs.data, 4096):
        columns = batch.select(["title", "text", "title_terms", "terms"]).to_pydict()
        for title, text, title_spans, spans in zip(*columns.values()):
            terms.update(title[s["start"]:s["end"]] for s in title_spans if s["category"])
            terms.update(text[s["start"]:s["end"]] for s in spans if s["category"])
    summary["top_terms"] = dict(terms.most_common(top))
    return summary


def segment_summary(build: Build) -> dict:
    from corpusctl.ontology import segmenter_terms
    from corpusctl.stages.segment import summary

    recipe = build.recipe
    ontology_dir = recipe.ontology.dir if recipe.ontology.enabled else None
    return summary(recipe.segment, segmenter_terms(ontology_dir, list(recipe.segment.lexicons)))


def make_manifest(build: Build, outputs: dict) -> dict:
    recipe = build.recipe
    stages = build.stats
    manifest = {
        "corpusctl_version": __version__,
        "recipe": recipe.to_json(),
        "recipe_hash": recipe.fingerprint(),
        "seed": recipe.seed,
        "versions": {"python": platform.python_version(), **library_versions()},
        "stages": stages,
        "sources": source_counts(stages),
        "mix": stages.get("mix", {}).get("mix", {}),
        "pii": pii_counts(stages.get("ingest", {})),
        "step_seconds": build.timings,
        "resumed_stages": build.reused,
        "recomputed_stages": build.recomputed,
        **outputs,
    }
    manifest = json.loads(json.dumps(manifest, default=str))
    manifest["checks"] = target_checks(manifest)
    manifest["warnings"] = build_warnings(manifest, source_rejects(build))
    return manifest


def source_rejects(build: Build):
    """Per source, records read and rejected by the document stages (those before the mix), from the
    checkpoints' rejects.jsonl files; examples cut later are not records of a source."""
    import pyarrow.compute as pc

    stages = build.checkpoints[:build.checkpoints.index("mix-sizes")] if "mix-sizes" in build.checkpoints \
        else build.checkpoints
    rejects = gather_rejects(build.work / name / "rejects.jsonl" for name in stages)
    for line in _ingest_rejects(build.work / "ingest" / "rejects.jsonl"):
        rejects.read[line] += 1
    for batch in read_batches(build.work / "ingest" / "data.arrow", 8192):
        for item in pc.value_counts(batch.column("source")).to_pylist():
            rejects.read[item["values"]] += item["counts"]
    return rejects


def _ingest_rejects(path: Path):
    """The source of each record ingest rejected (it was read, so it counts towards the source's records)."""
    if path.is_file():
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line).get("source") or "?"


def source_counts(stages: dict) -> dict:
    ingest = stages.get("ingest", {})
    return {"documents_read": ingest.get("docs_in", 0), "documents_ok": ingest.get("docs_out", 0)}


def pii_counts(stats: dict) -> dict:
    events = stats.get("events", {})
    by_type = {k.split(".", 1)[1]: v for k, v in events.items() if k.startswith("pii.")}
    by_source = {s: {k.split(".", 1)[1]: v for k, v in ev.items() if k.startswith("pii.")}
                 for s, ev in stats.get("events_by_source", {}).items()}
    return {"by_type": by_type, "by_source": by_source, "total": sum(by_type.values())}


def iter_rows(path: Path, columns: list[str], counter=None):
    """Rows of a checkpoint as dicts of the named columns, streamed batch by batch."""
    for batch in counted(read_batches(path, BATCH_SIZE), counter):
        yield from batch.select(columns).to_pylist()


def _read_columns(path: Path, columns: list[str]) -> dict[str, list]:
    """Only the named columns of a checkpoint, as Python lists (a global step's small per-record data)."""
    out: dict[str, list] = {c: [] for c in columns}
    for batch in read_batches(path, 8192):
        for c in columns:
            out[c].extend(batch.column(c).to_pylist())
    return out


def _rows_in(path: Path) -> int:
    with pa.memory_map(str(path)) as source:
        return sum(b.num_rows for b in pa.ipc.open_stream(source))


_ = json

"""Checks a build runs before any work, and `corpusctl validate` runs on its own.

Everything a build would otherwise discover minutes or hours in (a missing source, a lexicon line it cannot
parse, an output folder it cannot write) is found here, all at once, each problem naming its recipe key and
line. The schema (types, ranges, sizes, encodings) is checked when the recipe is loaded (`recipe.py`); these
are the checks that look at the file system.

`preflight_problems` is the one entry point; `output_problems` is where the rules about the output folder
live, so they can grow without touching the rest.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from corpusctl.errors import CorpusctlError, RecipeError


def preflight_problems(recipe) -> list[str]:
    """Every problem with the recipe's files and folders, one line each: `key (line N): what and what to do`."""
    return source_problems_of(recipe) + lexicon_problems(recipe) + output_problems(recipe)


def require_ready(recipe) -> None:
    """Raise RecipeError listing every preflight problem (`pipeline.build` calls this before it starts)."""
    problems = preflight_problems(recipe)
    if problems:
        raise RecipeError(getattr(recipe, "_path", None) or "recipe", problems)


# -- sources ------------------------------------------------------------------------------------------------


def source_problems(source) -> list[str]:
    """A source's path must exist, match files of its format, and those files must be readable (on a store:
    listed, and its first file opened, nothing read)."""
    from corpusctl.io.readers import source_files
    from corpusctl.io.remote import is_uri

    try:
        files = source_files(source.path, source.format)
        if is_uri(source.path):
            files[0][0].check_readable()
            return []
    except CorpusctlError as exc:
        if is_uri(source.path):
            return [str(exc)]
        return [f"{exc}; fix the path (relative paths are relative to the recipe file)"]
    except OSError as exc:
        return [f"cannot list {source.path}: {exc.strerror or exc}"]
    if source.format == "hf" and not Path(source.path).is_dir():
        return [f"{source.path} is a file; format hf expects a folder written by datasets' save_to_disk"]
    unreadable = [str(file) for file, _ in files if not os.access(file, os.R_OK)]
    if unreadable:
        return [f"cannot read {', '.join(unreadable[:3])}{' …' if len(unreadable) > 3 else ''} (permission denied)"]
    return []


def source_problems_of(recipe) -> list[str]:
    return [f"{recipe.where('sources', index, 'path')}: {problem}"
            for index, source in enumerate(recipe.sources) for problem in source_problems(source)]


# -- lexicons, ontology, models -------------------------------------------------------------------------------


def _parse_problem(read: Callable[[], object]) -> str | None:
    """What goes wrong when a reader the build will use reads its file, or None."""
    try:
        read()
    except CorpusctlError as exc:
        return str(exc)
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    return None


def _exists_problem(path: Path | None, folder: bool = False) -> str | None:
    if path is None:
        return None
    if not Path(path).exists():
        return f"{path} does not exist"
    if folder and not Path(path).is_dir():
        return f"{path} is not a folder"
    return None


def lexicon_problems(recipe) -> list[str]:
    """Lexicons, the ontology and model files the enabled stages read must exist and parse as they will.

    A section that is None (it did not validate; see `recipe.py`) is skipped.
    """
    return [f"{recipe.where(*loc)}: {problem}" for loc, problem in _file_checks(recipe) if problem]


def _file_checks(recipe) -> Iterator[tuple[tuple, str | None]]:
    from corpusctl import lexicons
    from corpusctl.lexicons import read_lexicon

    cfg = recipe.clean
    if cfg is not None:  # (clean.enabled: false switches each part off)
        if cfg.clutter.enabled:
            yield ("clean", "clutter", "lexicon"), _parse_problem(
                lambda: read_lexicon(cfg.clutter.lexicon, pos=False))
        if cfg.clutter.enabled and cfg.clutter.scene:
            yield ("clean", "clutter", "scene_lexicon"), _parse_problem(
                lambda: read_lexicon(cfg.clutter.scene_lexicon, pos=False))
            for index, path in enumerate(cfg.clutter.safety_lexicons):
                yield ("clean", "clutter", "safety_lexicons", index), _parse_problem(
                    lambda path=path: read_lexicon(path))
        if cfg.anomaly.enabled:
            yield ("clean", "anomaly", "lexicon"), _parse_problem(
                lambda: read_lexicon(cfg.anomaly.lexicon, pos=False))
        if cfg.pii.enabled and cfg.pii.roles is not None:
            from corpusctl.stages.pii import load_roles

            yield ("clean", "pii", "roles"), _parse_problem(lambda: load_roles(cfg.pii.roles))
    fusion = getattr(recipe, "fusion", None)
    if fusion is not None and fusion.enabled and fusion.readings:
        from corpusctl.io.readers import source_files
        from corpusctl.stages.fusion import read_thresholds

        for index, source in enumerate(fusion.readings):
            yield ("fusion", "readings", index, "path"), _parse_problem(
                lambda source=source: source_files(source.path, source.format))
        yield ("fusion", "thresholds"), _parse_problem(lambda: read_thresholds(fusion.thresholds))
    if recipe.segment is not None:
        for index, path in enumerate(recipe.segment.lexicons):
            yield ("segment", "lexicons", index), _parse_problem(lambda path=path: lexicons.user_words(path))
        if recipe.segment.backend == "pkuseg":
            yield ("segment", "model"), _exists_problem(recipe.segment.model, folder=True)
    if recipe.ontology is not None and recipe.ontology.enabled:
        yield ("ontology", "dir"), _ontology_problem(recipe.ontology.dir)
    if recipe.vocab is not None:
        yield ("vocab", "path"), _exists_problem(recipe.vocab.path)
    if recipe.ner is not None and recipe.ner.enabled:
        for index, path in enumerate(recipe.ner.annotations):
            yield ("ner", "annotations", index), _exists_problem(path)


def _ontology_problem(directory: Path) -> str | None:
    """The ontology folder must exist and validate (its own validator lists the first problems)."""
    missing = _exists_problem(directory, folder=True)
    if missing:
        return missing
    from corpusctl.ontology import load_ontology

    return _parse_problem(lambda: load_ontology(directory))


# -- the output folder ----------------------------------------------------------------------------------------


def output_problems(recipe) -> list[str]:
    """Rules about the output folder, checked before any work. Extend here (one problem string per rule)."""
    from corpusctl.io.output import recipe_output_problems

    problems = [f"{recipe.where('output')}: {problem}" for problem in recipe_output_problems(recipe)]
    writable = _writable_problem(Path(recipe.output))
    if writable:
        problems.append(f"{recipe.where('output')}: {writable}")
    return problems


def _writable_problem(output: Path) -> str | None:
    """The build writes its work folder beside the output and renames into place, so the output's parent (or
    the nearest folder above it that exists) must be a folder corpusctl can write into."""
    folder = output.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is a file, not a folder; choose another output (--output DIR)"
    if not os.access(folder, os.W_OK | os.X_OK):
        reason = "is on a read-only file system" if _read_only_fs(folder) else "is not writable (permission denied)"
        return (f"cannot write the output: {folder} {reason}; choose another output (--output DIR) or fix its "
                "permissions")
    return None


def _read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False

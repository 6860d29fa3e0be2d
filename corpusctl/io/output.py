"""Whose folder it is: the output-folder rules, the build lock and the atomic publish.

corpusctl deletes or moves only what it wrote itself. An output folder is corpusctl's when its
`manifest.json` is corpusctl's and every file in it is listed there; a work folder is corpusctl's when it
holds the work marker. Every other path a user names (sources, the recipe, their home, the current folder)
is refused as an output before any work starts, so no build can destroy it.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import glob
import json
import os
import shutil
from pathlib import Path

from corpusctl.errors import CorpusctlError
from corpusctl.io.remote import is_uri

WORK_MARKER = "corpusctl-work.json"
LOCK_FILE = "build.lock"
MAX_LISTED = 5


def work_folder(output: Path) -> Path:
    """The build's work folder: beside the output (one filesystem, so publishing is a rename)."""
    return output.parent / f".{output.name}.work"


# -- ownership ----------------------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict | None:
    """corpusctl's manifest in `folder`, or None when there is none (or it is someone else's file)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(manifest, dict) and "corpusctl_version" in manifest and isinstance(manifest.get("files"), list):
        return manifest
    return None


def foreign_files(folder: Path, manifest: dict) -> list[str]:
    """Files in a corpusctl output that its manifest does not list: someone else put them there."""
    listed = {entry.get("path") for entry in manifest["files"] if isinstance(entry, dict)} | {"manifest.json"}
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            rel = Path(root, name).relative_to(folder).as_posix()
            if rel not in listed:
                found.append(rel)
        for name in dirs:  # a symlinked folder is not walked by os.walk but is not ours either
            if Path(root, name).is_symlink():
                found.append(Path(root, name).relative_to(folder).as_posix())
    return found


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


def ownership_problem(output: Path) -> str | None:
    """Why corpusctl may not replace `output`, or None when it may (it is absent, empty, or corpusctl's)."""
    if output.is_symlink():
        return f"output {output} is a symbolic link; give the real folder it points to"
    if not output.exists():
        return None
    if not output.is_dir():
        return f"output {output} is a file, not a folder; choose a folder for the corpus"
    if not any(output.iterdir()):
        return None
    manifest = read_manifest(output)
    if manifest is None:
        return (f"output {output} exists and is not a corpusctl output (it has no corpusctl manifest.json); "
                "corpusctl never replaces a folder it did not write: choose a new or empty folder")
    extra = foreign_files(output, manifest)
    if extra:
        return (f"output {output} holds files corpusctl did not write ({_listing(extra)}); move them out of the "
                "folder or choose another output: a build replaces the whole folder")
    return None


# -- path rules ---------------------------------------------------------------------------------------------


def _resolved(path: Path | str) -> Path:
    return Path(os.path.realpath(os.path.expanduser(str(path))))


def _inside(path: Path, folder: Path) -> bool:
    """`path` is `folder` or below it (both resolved)."""
    return path == folder or folder in path.parents


def _glob_root(pattern: str) -> Path:
    """The folder a glob pattern starts from: its longest prefix without wildcards."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def source_paths(source_path: str) -> list[Path]:
    """The resolved paths a source names: its glob's matches (expanded once), or the path itself."""
    if glob.has_magic(source_path):
        return [_resolved(p) for p in glob.glob(source_path, recursive=True)]
    return [_resolved(source_path)]


def source_problems(output: Path, work: Path, source_name: str, source_path: str, paths: list[Path]) -> list[str]:
    """How the output (or its work folder) lies in or on a source (`paths`: `source_paths(source_path)`), if it
    does (output holding a source is checked by `holds_source`)."""
    problems = []
    if glob.has_magic(source_path):
        root = _resolved(_glob_root(source_path))
        reaches_in = "**" in source_path and (_inside(output, root) or _inside(work, root))
        if reaches_in or any(_inside(p, work) for p in paths):
            problems.append(f"output {output} lies where source {source_name!r} ({source_path}) reads; the next "
                            "build would read its own output: choose an output outside the source's folder")
        if any(_inside(output, p) for p in paths):
            problems.append(f"output {output} is inside source {source_name!r} ({source_path}); choose an output "
                            "outside the source's files")
        return problems
    source = paths[0]
    if output == source:
        problems.append(f"output {output} is source {source_name!r}; a build would replace your data: "
                        "choose another output folder")
    elif _inside(output, source) or _inside(work, source):
        problems.append(f"output {output} is inside source {source_name!r} ({source}); the next build would read "
                        "its own output: choose an output outside the source's folder")
    return problems


def holds_source(output: Path, paths: list[Path]) -> bool:
    """A build replaces the whole output folder: it must hold none of a source's files."""
    return any(path != output and _inside(path, output) for path in paths)


def output_problems(output: Path | str, recipe_path: Path | str | None, sources: list[tuple[str, str]]) -> list[str]:
    """Every reason `output` must not be written: checked before any work, by `build` and `validate`.

    `sources` are (name, path) pairs as the recipe resolved them.
    """
    output = _resolved(output)
    work = work_folder(output)
    home = _resolved(Path.home())
    cwd = _resolved(Path.cwd())
    problems = []
    if output == Path(output.anchor):
        problems.append(f"output {output} is the filesystem root; choose a folder of its own for the corpus")
    elif _inside(home, output):
        problems.append(f"output {output} is your home folder or holds it; choose a folder of its own for the corpus")
    elif _inside(cwd, output):
        problems.append(f"output {output} is the current folder or holds it; a build replaces the whole output "
                        "folder: choose a new folder such as out/NAME")
    if recipe_path is not None and _inside(_resolved(recipe_path), output):
        problems.append(f"output {output} holds the recipe {recipe_path}; choose a folder that holds none of "
                        "your files")
    resolved = [(name, str(path), source_paths(str(path))) for name, path in sources]
    for name, path, paths in resolved:
        problems += source_problems(output, work, name, path, paths)
    held = [name for name, _, paths in resolved if holds_source(output, paths)]
    if held:
        problems.append(f"output {output} holds source{'s' if len(held) > 1 else ''} {_listing(held)}; a build "
                        "replaces the whole output folder: choose a folder that holds none of your data")
    if not problems:
        owner = ownership_problem(output)
        if owner:
            problems.append(owner)
        if work.exists() and not (work / WORK_MARKER).is_file():
            problems.append(f"the work folder {work} exists and was not made by corpusctl; move it away "
                            "(corpusctl builds in .<output>.work beside the output)")
    return problems


def recipe_output_problems(recipe) -> list[str]:
    """The output rules for a loaded recipe (its output, its file and its local sources: a source on a store
    cannot hold or be held by a local folder)."""
    return output_problems(recipe.output, recipe.recipe_file,
                           [(source.name, str(source.path)) for source in recipe.sources if not is_uri(source.path)])


# -- the lock ----------------------------------------------------------------------------------------------


class BuildLock:
    """An exclusive `flock` on a file in the work folder: a second build into the same output fails at once."""

    def __init__(self, work: Path, output: Path):
        self.work = work
        self.output = output
        self.handle = None

    def acquire(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        marker = self.work / WORK_MARKER
        if not marker.exists():
            marker.write_text(json.dumps({"tool": "corpusctl", "output": str(self.output)}) + "\n", encoding="utf-8")
        path = self.work / LOCK_FILE
        while True:
            handle = open(path, "a+", encoding="utf-8")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                handle.close()
                raise CorpusctlError(f"another build is writing {self.output} (pid {holder}); wait for it to "
                                     "finish or stop it, then run again") from None
            try:  # the holder may have removed the work folder between our open and our lock: lock the new file
                same = os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            handle.close()
            self.work.mkdir(parents=True, exist_ok=True)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def remove_work_folder(work: Path) -> int | None:
    """Delete a work folder corpusctl made; returns the bytes freed (None when there was none).

    A folder without the work marker is not corpusctl's and is refused; one that a running build holds is too.
    """
    if not work.exists():
        return None
    if not (work / WORK_MARKER).is_file():
        raise CorpusctlError(f"{work} was not made by corpusctl (no {WORK_MARKER}); it was left alone")
    lock = BuildLock(work, Path(json.loads((work / WORK_MARKER).read_text(encoding="utf-8")).get("output", "")))
    lock.acquire()
    try:
        size = sum(p.stat().st_size for p in work.rglob("*") if p.is_file() and not p.is_symlink())
        shutil.rmtree(work)
    finally:
        lock.release()
    return size


# -- publishing ---------------------------------------------------------------------------------------------

RENAME_EXCHANGE = 2
AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def publish(staged: Path, output: Path) -> None:
    """Put the finished output in place so that a reader sees the old complete output or the new one.

    A missing (or empty) output is replaced by one rename; an earlier corpusctl output is swapped with the
    staged folder in one step and then removed from the work folder. Where the filesystem cannot swap, the
    old output is moved into the work folder first (a brief moment without an output).
    """
    problem = ownership_problem(output)  # checked again: files may have been added during the build
    if problem:
        raise CorpusctlError(f"{problem}\nThe finished build is kept in {staged}.")
    output.parent.mkdir(parents=True, exist_ok=True)
    if not output.exists() or not any(output.iterdir()):
        os.rename(staged, output)  # rename(2) replaces an empty folder in one step
        return
    if not _exchange(staged, output):
        old = staged.with_name(staged.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(output, old)
        os.rename(staged, output)
        staged = old
    shutil.rmtree(staged)  # the previous corpusctl output, now inside the work folder

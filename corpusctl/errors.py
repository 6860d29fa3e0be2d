"""User-facing errors: the CLI prints these as one clear message, never as a traceback."""

import errno


class CorpusctlError(Exception):
    """An error caused by the user's input (recipe, data, arguments) with a message that says how to fix it."""


class RecipeError(CorpusctlError):
    """A recipe that does not validate; `problems` holds one line per bad key."""

    def __init__(self, path, problems: list[str]):
        self.path = path
        self.problems = problems
        lines = ("  " + problem.replace("\n", "\n    ") for problem in problems)  # a problem may span lines
        super().__init__(f"{path}: invalid recipe\n" + "\n".join(lines))


class InputError(CorpusctlError):
    """A malformed input record in strict mode: names the file and line."""


_OS_ERRORS = {
    errno.ENOSPC: ("no space left on the device", "free some space or choose an output on a larger disk "
                   "(--output DIR)"),
    errno.EDQUOT: ("disk quota exceeded", "free some space or choose an output on a larger disk (--output DIR)"),
    errno.EACCES: ("permission denied", "choose folders you can write (--output DIR) or fix their permissions"),
    errno.EPERM: ("operation not permitted", "choose folders you can write (--output DIR) or fix their permissions"),
    errno.EROFS: ("read-only file system", "choose an output on a writable disk (--output DIR)"),
}


def environment_message(exc: BaseException) -> str | None:
    """What to tell the user when the machine, not corpusctl, failed (full disk, permissions, memory);
    None for anything else (a real bug)."""
    if isinstance(exc, MemoryError):
        return ("out of memory; use fewer workers (--workers N) or smaller sizes in the recipe (e.g. "
                "clean.dedup.num_perm, vocab.size, format.max_seq_len), or a machine with more memory")
    if isinstance(exc, OSError) and exc.errno in _OS_ERRORS:
        what, todo = _OS_ERRORS[exc.errno]
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{what}{where}; {todo}"
    return None

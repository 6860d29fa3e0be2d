"""Sources on object stores and distributed filesystems: `s3://bucket/key`, `hdfs://namenode/path`, ...

A source path with a URI scheme stays a URI (it is not resolved against the recipe's folder). It is listed and
read through the pyarrow filesystem for its scheme (`pyarrow.fs.FileSystem.from_uri`: S3FileSystem,
HadoopFileSystem, GcsFileSystem, AzureFileSystem), as a byte stream: nothing is downloaded whole, nothing is
ever written or deleted. A `RemoteFile` behaves like the `Path` of a local file for the readers (`open`,
`read_bytes`, `name`, `suffix`, `is_file`, `stat`), so they have one code path; local paths never come here.

S3 settings come from the standard environment, which pyarrow's S3 client reads by itself (pyarrow >= 15):
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE (and ~/.aws/config, credentials),
AWS_DEFAULT_REGION / AWS_REGION, and AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL for an S3-compatible store
(MinIO, Ceph; `http://host:9000` selects plain HTTP).
"""

from __future__ import annotations

import fnmatch
import functools
import io
import posixpath
import re
from dataclasses import dataclass
from types import SimpleNamespace

from corpusctl.errors import CorpusctlError

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
BUCKET_SCHEMES = {"s3", "gs", "gcs"}
"""Schemes whose first path component is a bucket."""
HADOOP_SCHEMES = {"hdfs", "viewfs"}
BUFFER = 1 << 20
"""Bytes read from the store at a time."""


def is_uri(path) -> bool:
    """`s3://...`, `hdfs://...`: a string with a URI scheme (a Path or a plain path is local)."""
    return isinstance(path, str) and _SCHEME.match(path) is not None


def has_magic(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def _split(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b.jsonl` -> (`s3://bucket`, `a/b.jsonl`)."""
    scheme_end = uri.index("://") + 3
    root, _, key = uri[scheme_end:].partition("/")
    return uri[:scheme_end] + root, key


def _scheme(uri: str) -> str:
    return uri.split("://", 1)[0].lower()


def _bucket(uri: str) -> str:
    """The bucket (or host) a URI names: `s3://bucket/a/b` -> `bucket`."""
    return _split(uri)[0].split("://", 1)[1]


@functools.lru_cache(maxsize=32)
def _filesystem(root: str):
    """(pyarrow filesystem, its path for `root`) for `scheme://netloc`, made once per process (the settings
    from the environment are read then)."""
    import pyarrow as pa
    from pyarrow.fs import FileSystem

    scheme = _scheme(root)
    try:
        return FileSystem.from_uri(root)
    except pa.ArrowInvalid as exc:
        if "Unrecognized filesystem" in str(exc):
            raise CorpusctlError(f"unknown scheme {scheme}://; corpusctl reads local paths and the "
                                 "pyarrow filesystems s3://, hdfs://, gs:// and abfs://") from None
        raise CorpusctlError(f"not a valid {scheme}:// URI ({exc})") from None
    except pa.ArrowNotImplementedError as exc:  # "Arrow compiled without S3 support"
        raise CorpusctlError(f"this pyarrow has no {scheme}:// filesystem ({exc}); install pyarrow's wheel from "
                             "PyPI (pip install -U pyarrow), which has S3, GCS, HDFS and Azure") from None
    except OSError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if scheme in HADOOP_SCHEMES and ("libjvm" in str(exc) or "libhdfs" in str(exc)):
            raise CorpusctlError(
                f"{scheme}:// needs Hadoop's native client, which pyarrow could not load ({message}); "
                "install a JDK and Hadoop, set JAVA_HOME, HADOOP_HOME and CLASSPATH=$(hadoop classpath --glob) "
                "(and ARROW_LIBHDFS_DIR if libhdfs.so is elsewhere), or copy the data to local or shared "
                "storage") from None
        raise CorpusctlError(f"cannot connect to {root}: {message}") from None


def _locate(uri: str):
    """(filesystem, path inside it) for a URI."""
    root, key = _split(uri)
    try:
        fs, base = _filesystem(root)
    except CorpusctlError as exc:
        raise CorpusctlError(f"{uri}: {exc}") from None
    if _scheme(uri) in BUCKET_SCHEMES and (not base or has_magic(root)):
        raise CorpusctlError(f"{uri}: name one bucket, without wildcards: {_scheme(uri)}://BUCKET/PREFIX")
    return fs, (f"{base.rstrip('/')}/{key}" if key else base)


def _failure(uri: str, exc: OSError, doing: str = "read") -> CorpusctlError:
    """A user error for a store's OSError (access denied, missing bucket, network)."""
    text = str(exc)
    detail = text.splitlines()[0] if text else type(exc).__name__
    if "ACCESS_DENIED" in text or "AccessDenied" in text or "Forbidden" in text:
        return CorpusctlError(f"{uri}: access denied ({detail}); check the credentials (AWS_ACCESS_KEY_ID and "
                              "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE) and that they may list and read it")
    if "NO_SUCH_BUCKET" in text or "NoSuchBucket" in text:
        return CorpusctlError(f"{uri}: the bucket {_bucket(uri)!r} does not exist")
    return CorpusctlError(f"{uri}: cannot {doing} it: {detail}")


@dataclass(frozen=True)
class RemoteFile:
    """A file on a store, named by its URI; what the readers use of a local `Path`."""

    uri: str
    size: int | None = None
    mtime_ns: int | None = None

    def __str__(self) -> str:
        return self.uri

    @property
    def name(self) -> str:
        return posixpath.basename(self.uri.rstrip("/"))

    @property
    def suffix(self) -> str:
        return posixpath.splitext(self.name)[1]

    def is_file(self) -> bool:
        return True

    def stat(self) -> SimpleNamespace:
        """Size and modification time from the listing (what ingest's fingerprint stamps)."""
        return SimpleNamespace(st_size=self.size, st_mtime_ns=self.mtime_ns)

    def open(self, mode: str = "rb") -> io.BufferedReader:
        """A buffered byte stream of the file, read from the store as it is consumed (no decompression: read
        as the local reader reads a file)."""
        if mode != "rb":
            raise ValueError("a remote source is only ever read")  # corpusctl never writes to a store
        fs, path = _locate(self.uri)
        try:
            stream = fs.open_input_stream(path, compression=None)
        except OSError as exc:
            raise _failure(self.uri, exc) from None
        return io.BufferedReader(_Stream(stream, self.uri), BUFFER)

    def read_bytes(self) -> bytes:
        with self.open() as handle:
            return handle.read()

    def check_readable(self) -> None:
        """Open the file and read its first byte (a user error if that is refused): what `validate` checks."""
        fs, path = _locate(self.uri)
        try:
            with fs.open_input_stream(path, compression=None) as stream:
                stream.read(1)
        except OSError as exc:
            raise _failure(self.uri, exc) from None

    def open_random_access(self):
        """A seekable pyarrow file (Parquet and Arrow files are read by row group / record batch)."""
        fs, path = _locate(self.uri)
        try:
            return fs.open_input_file(path)
        except OSError as exc:
            raise _failure(self.uri, exc) from None


class _Stream(io.RawIOBase):
    """A pyarrow input stream as a raw Python stream; a failed read is a user error naming the URI."""

    def __init__(self, stream, uri: str):
        self._stream, self._uri = stream, uri

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            return self._stream.readinto(buffer)
        except OSError as exc:
            raise _failure(self._uri, exc) from None

    def close(self) -> None:
        self._stream.close()
        super().close()


def as_file(name: str):
    """A file named by `units()` (a string), back as what the readers read: a RemoteFile or a Path."""
    from pathlib import Path

    return RemoteFile(name) if is_uri(name) else Path(name)


def remote_files(uri: str, fmt: str, extensions: tuple[str, ...]) -> list[tuple[RemoteFile, str]]:
    """`source_files` for a URI: a file, a folder (prefix, searched recursively for `extensions`) or a glob
    (`*`, `?`, `[...]` within a name, `**` across folders), with names relative to the folder it names."""
    if fmt == "hf":
        raise CorpusctlError(f"{uri}: format hf reads a local folder written by datasets' save_to_disk; copy it "
                             "to local or shared storage, or write it as parquet files")
    from pyarrow.fs import FileSelector, FileType

    fs, path = _locate(uri)
    if has_magic(uri):
        prefix = path[: min(path.find(ch) for ch in "*?[" if ch in path)]
        base = prefix.rstrip("/") if prefix.endswith("/") else posixpath.dirname(prefix)
        pattern = path[len(base):].lstrip("/").split("/")
        infos = _list(fs, uri, FileSelector(base, recursive=True, allow_not_found=True))
        infos = [i for i in infos if i.type == FileType.File
                 and _glob_match(pattern, i.path[len(base):].lstrip("/").split("/"))]
        if not infos:
            _check_bucket(fs, uri, path)
    else:
        try:
            info = fs.get_file_info(path)
        except OSError as exc:
            raise _failure(uri, exc, "list") from None
        if info.type == FileType.File:
            return [(_remote(uri, info), posixpath.basename(path))]
        if info.type != FileType.Directory:
            _missing(fs, uri, path)
        base = path.rstrip("/")
        infos = [i for i in _list(fs, uri, FileSelector(base, recursive=True))
                 if i.type == FileType.File and i.path.endswith(extensions)]
    if not infos:
        raise CorpusctlError(f"source path {uri} matches no {fmt} files")
    infos.sort(key=lambda i: i.path.split("/"))  # the order of local paths (by component)
    return [(_remote(uri, i), i.path[len(base):].lstrip("/")) for i in infos]


def _remote(uri: str, info) -> RemoteFile:
    """The RemoteFile of a listed FileInfo (of a file on the store `uri` is on)."""
    root, _ = _split(uri)
    base = _filesystem(root)[1].rstrip("/")
    return RemoteFile(f"{root}/{info.path[len(base):].lstrip('/')}", info.size, info.mtime_ns)


def _list(fs, uri: str, selector) -> list:
    try:
        return fs.get_file_info(selector)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise _failure(uri, exc, "list") from None


def _missing(fs, uri: str, path: str):
    """Raise the error for a path that is neither a file nor a folder: its bucket, or it, does not exist."""
    _check_bucket(fs, uri, path)
    raise CorpusctlError(f"source path {uri} does not exist")


def _check_bucket(fs, uri: str, path: str) -> None:
    """A user error if the URI's bucket does not exist (a store gives no error for a prefix in no bucket)."""
    from pyarrow.fs import FileType

    if _scheme(uri) in BUCKET_SCHEMES:
        try:
            bucket = fs.get_file_info(path.split("/", 1)[0])
        except OSError as exc:
            raise _failure(uri, exc, "list") from None
        if bucket.type == FileType.NotFound:
            raise CorpusctlError(f"source path {uri} does not exist: there is no bucket {_bucket(uri)!r} (or "
                                 "it is on another endpoint or region: see AWS_ENDPOINT_URL, AWS_DEFAULT_REGION)")


def _glob_match(pattern: list[str], parts: list[str]) -> bool:
    """`glob.glob(recursive=True)` matching, component by component: `**` spans any number of folders, a
    name starting with `.` is matched only by a pattern starting with `.`."""
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_glob_match(rest, parts[i:]) for i in range(len(parts) + 1)
                   if not any(p.startswith(".") for p in parts[:i]))
    if not parts or (parts[0].startswith(".") and not head.startswith(".")):
        return False
    return fnmatch.fnmatchcase(parts[0], head) and _glob_match(rest, parts[1:])

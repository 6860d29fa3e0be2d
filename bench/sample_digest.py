"""Digest of the bundled sample's build output: proof that a restructuring changed no byte a user reads.

    python bench/sample_digest.py            # builds recipes/sample.yaml into a temp folder
    python bench/sample_digest.py OUT        # digests an existing output folder

Prints one line per output file (sha256) and a last JSON line with the combined digest. `manifest.json` is
digested without its timing, host and library-version fields, and `report.html` is left out (it shows timings).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOLATILE = {"seconds", "wall_seconds", "step_seconds", "timings", "created", "created_at", "host", "platform",
            "libraries", "python", "cpu_seconds", "files", "corpusctl_version", "code_version", "peak_rss_mb",
            "recipe_hash", "output"}  # (the output path differs per run)


def _stable(value):
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def digest_folder(out: Path) -> dict[str, str]:
    digests = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if rel == "report.html":
            continue
        if rel == "manifest.json":
            data = _stable(json.loads(path.read_text(encoding="utf-8")))
            body = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
        else:
            body = path.read_bytes()
        digests[rel] = hashlib.sha256(body).hexdigest()
    return digests


def main() -> None:
    if len(sys.argv) > 1:
        out = Path(sys.argv[1])
    else:
        out = Path(tempfile.mkdtemp(prefix="corpusctl-digest-")) / "out"
        subprocess.run([sys.executable, "-m", "corpusctl", "build", str(ROOT / "recipes" / "sample.yaml"),
                        "--output", str(out), "--quiet"], check=True, cwd=ROOT)
    digests = digest_folder(out)
    for rel, value in digests.items():
        print(f"{value}  {rel}")
    combined = hashlib.sha256("".join(f"{k}\0{v}\n" for k, v in digests.items()).encode()).hexdigest()
    print(json.dumps({"files": len(digests), "digest": combined, "output": str(out)}))


if __name__ == "__main__":
    main()

"""A raw folder's ``MANIFEST.csv`` against what the folder holds: every disclosure listed, every line a file.

The manifest (``file,sha256,title,publisher,source,retrieved``; README "Adding a disclosure") is where a disclosure's
provenance is recorded. ``countyfiscal extract`` reads every file whether or not it is listed, and says in one
sentence per file what does not match, so a researcher who adds documents learns which ones have no recorded source.
A folder without a manifest is not held to one (no sentence).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

MANIFEST = "MANIFEST.csv"


def manifest_notes(raw_dir: str | Path, files: dict[str, str]) -> list[str]:
    """Sentences on where ``raw_dir``'s MANIFEST.csv and its files disagree.

    ``files`` maps each disclosure read (its ``file`` in documents.csv) to its sha256 ('' when unknown). A file not
    listed, a listed file that is absent, a hash that differs, and a manifest that cannot be read each give one
    sentence; an empty list means they agree.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "MANIFEST.csv").write_text("file,sha256\\na.txt,00\\ngone.pdf,11\\n", encoding="utf-8")
    >>> for s in manifest_notes(d, {"a.txt": "ff", "new.pdf": "22"}): print(s)
    a.txt: its sha256 differs from the one MANIFEST.csv records (the file changed since it was listed)
    new.pdf: not listed in MANIFEST.csv, so its source is not recorded (add a line: README, "Adding a disclosure")
    gone.pdf: listed in MANIFEST.csv but not in the folder
    """
    path = Path(raw_dir) / MANIFEST
    if not path.is_file() or path.is_symlink():
        return []  # a folder that keeps no manifest (a researcher's scratch folder) is not held to one
    try:
        text = path.read_bytes().decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return [f"{path} cannot be read ({exc}); the sources of the files are not checked"]
    if not rows or "file" not in rows[0]:
        return [] if not files else [f"{path} lists no files: the sources of the {len(files)} files are not recorded"]
    listed = {(r.get("file") or "").strip(): (r.get("sha256") or "").strip().lower() for r in rows}
    notes = []
    for name, sha in files.items():
        if name not in listed:
            notes.append(f"{name}: not listed in {MANIFEST}, so its source is not recorded "
                         "(add a line: README, \"Adding a disclosure\")")
        elif sha and listed[name] and listed[name] != sha.lower():
            notes.append(f"{name}: its sha256 differs from the one {MANIFEST} records "
                         "(the file changed since it was listed)")
    notes += [f"{name}: listed in {MANIFEST} but not in the folder" for name in listed if name and name not in files]
    return notes

"""The local model store: where fetched models live, and whether they are intact.

Layout: `<store>/<model id>/<file name>`, plus `<store>/<model id>/.verified.json`, a record of
the size, mtime and sha256 of each file when it was last hashed. Start-up trusts a file whose
size and mtime still match that record (hashing 250 MB on every start would cost a second on
a Pi), and re-hashes anything else; `assistant models verify` always re-hashes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ModelCorrupt, ModelError
from assistant.modelstore.manifest import Manifest, ModelSpec, load_manifest

log = logging.getLogger(__name__)

FETCH_HINT = "run `assistant models fetch`"
_RECORD = ".verified.json"
_HASH_BLOCK_BYTES = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelStatus:
    spec: ModelSpec
    directory: Path
    installed: bool
    verified: bool
    problems: tuple[str, ...]
    bad_files: frozenset[str]
    """Names of the files that are missing or do not match their sha256."""
    size_bytes: int


class ModelStore:
    def __init__(self, directory: Path, manifest: Manifest | None = None) -> None:
        self.directory = directory
        self.manifest = manifest or load_manifest()

    def model_dir(self, spec: ModelSpec) -> Path:
        return self.directory / spec.id

    def check(self, spec: ModelSpec, *, rehash: bool = False) -> ModelStatus:
        """Report whether every file of a model is present and matches its sha256."""
        directory = self.model_dir(spec)
        record = self._read_record(directory)
        recorded = dict(record)
        problems: list[str] = []
        bad_files: set[str] = set()
        present = 0
        size_bytes = 0
        for file in spec.files:
            path = directory / file.name
            if not path.is_file():
                problems.append(f"{file.name} is missing")
                bad_files.add(file.name)
                continue
            present += 1
            stat = path.stat()
            size_bytes += stat.st_size
            known = record.get(file.name)
            fresh = (
                known is not None
                and known.get("size") == stat.st_size
                and known.get("mtime_ns") == stat.st_mtime_ns
                and known.get("sha256") == file.sha256
            )
            if fresh and not rehash:
                continue
            actual = sha256_of(path)
            if actual != file.sha256:
                problems.append(
                    f"{file.name} has sha256 {actual[:12]}…, expected {file.sha256[:12]}…"
                )
                bad_files.add(file.name)
                record.pop(file.name, None)
            else:
                record[file.name] = {
                    "sha256": actual,
                    "size": stat.st_size,
                    "mtime_ns": stat.st_mtime_ns,
                }
        if present and record != recorded:
            self._write_record(directory, record)  # only when it changed: a start writes nothing
        return ModelStatus(
            spec=spec,
            directory=directory,
            installed=present == len(spec.files),
            verified=not problems,
            problems=tuple(problems),
            bad_files=frozenset(bad_files),
            size_bytes=size_bytes,
        )

    def resolve(self, reference: str, *, setting: str) -> Path:
        """Turn a config value (a manifest id or a path) into a verified path on disk.

        For a manifest model with one file this is the file; with several, its folder.
        `setting` names the config key so the error says what to change.
        """
        if reference in self.manifest.models:
            spec = self.manifest.models[reference]
            status = self.check(spec)
            if not status.installed:
                raise ModelError(
                    f"model {spec.id} ({setting}) is not installed in {self.directory}: "
                    f"{'; '.join(status.problems)}; {FETCH_HINT}"
                )
            if not status.verified:
                raise ModelCorrupt(
                    f"model {spec.id} ({setting}) in {self.directory} is corrupt: "
                    f"{'; '.join(status.problems)}; {FETCH_HINT} to reinstall it"
                )
            if len(spec.files) == 1:
                return status.directory / spec.files[0].name
            return status.directory
        path = Path(reference).expanduser()
        if not path.exists():
            raise ModelError(
                f"{setting} = {reference!r} is neither a model id from the manifest nor an "
                f"existing path; known ids: {', '.join(sorted(self.manifest.models))}"
            )
        return path

    @staticmethod
    def _read_record(directory: Path) -> dict[str, dict[str, object]]:
        try:
            data = json.loads((directory / _RECORD).read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _write_record(directory: Path, record: dict[str, dict[str, object]]) -> None:
        target = directory / _RECORD
        temporary = target.with_suffix(".tmp")
        try:
            temporary.write_text(json.dumps(record, indent=1, sort_keys=True))
            temporary.replace(target)
        except OSError as error:  # a read-only store still works, it just re-hashes next time
            log.debug("could not write %s: %s", target, error)

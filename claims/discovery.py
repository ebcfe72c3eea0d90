"""Find claims: built-in `claims/library/*.py`, then `--claims-dir` folders and the
CLAIMBENCH_CLAIMS_DIR variable (os.pathsep-separated), then installed packages' entry points in
the group `claimbench.claims`. A claim that fails to import or validate is listed as broken with
the reason and never stops the others; two claims with one name is an error naming both."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import sys
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from claims.api import Claim
from claims.check import ClaimError, check_claim

LIBRARY = Path(__file__).parent / "library"
ENV_VAR = "CLAIMBENCH_CLAIMS_DIR"
EP_GROUP = "claimbench.claims"


class DuplicateClaimError(Exception):
    pass


@dataclass(frozen=True)
class Broken:
    origin: str  # file path or entry point
    reason: str  # one line


@dataclass
class Registry:
    claims: dict[str, type[Claim]] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    broken: list[Broken] = field(default_factory=list)

    def add(self, cls: type[Claim], origin: str) -> None:
        if cls.name in self.claims:
            raise DuplicateClaimError(
                f"two claims are named {cls.name!r}: {self.origins[cls.name]} and {origin}"
            )
        self.claims[cls.name] = cls
        self.origins[cls.name] = origin


def _import_file(path: Path, package: str | None) -> ModuleType:
    if package:
        modname = f"{package}.{path.stem}"
    else:  # user folders: a private name that cannot shadow a real module
        modname = (
            f"_claimbench_user_{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]}_{path.stem}"
        )
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(modname, None)
        raise
    return module


def _claims_in(module: ModuleType) -> list[type[Claim]]:
    return [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, Claim)
        and obj is not Claim
        and obj.__module__ == module.__name__
    ]


def _error_line(exc: BaseException, path: Path) -> str:
    if isinstance(exc, ClaimError):
        return str(exc)
    if isinstance(exc, SyntaxError):
        return f"{path}:{exc.lineno}: syntax error: {exc.msg}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
    where = f"{path}:{frames[-1].lineno}" if frames else str(path)
    return f"{where}: {type(exc).__name__}: {exc}"


def _load_folder(reg: Registry, folder: Path, package: str | None) -> None:
    if not folder.is_dir():
        reg.broken.append(Broken(str(folder), f"{folder}: claims folder does not exist"))
        return
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            found = _claims_in(_import_file(path, package))
            if not found:
                raise ClaimError(f"{path}: no Claim subclass defined in the file")
            for cls in found:
                check_claim(cls, origin=str(path))
        except DuplicateClaimError:
            raise
        except Exception as exc:
            reg.broken.append(Broken(str(path), _error_line(exc, path)))
            continue
        for cls in found:
            reg.add(cls, str(path))


def discover(claims_dirs: list[str] | None = None, entry_points_too: bool = True) -> Registry:
    reg = Registry()
    _load_folder(reg, LIBRARY, "claims.library")
    dirs = list(claims_dirs or []) + [d for d in os.environ.get(ENV_VAR, "").split(os.pathsep) if d]
    for d in dirs:
        _load_folder(reg, Path(d), None)
    if entry_points_too:
        for ep in entry_points(group=EP_GROUP):
            origin = f"entry point {ep.name} = {ep.value}"
            try:
                obj = ep.load()
                found = _claims_in(obj) if inspect.ismodule(obj) else [obj]
                for cls in found:
                    check_claim(cls, origin=origin)
            except Exception as exc:
                reg.broken.append(Broken(origin, f"{origin}: {type(exc).__name__}: {exc}"))
                continue
            for cls in found:
                reg.add(cls, origin)
    return reg

"""pyproject.toml (source of truth) and environment.yml (for conda users) pin the same versions."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pins(specs):
    out = {}
    for spec in specs:
        m = re.match(r"^([A-Za-z0-9_.\-]+)\s*([=<>!~].*)$", spec.strip())
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2).replace(" ", "")
    return out


def test_environment_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = _pins(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted.update(_pins(extra))
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert _pins(pip_section) == wanted


def test_every_runtime_dependency_is_pinned_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    loose = [d for d in project["dependencies"] if "==" not in d and not d.startswith("setuptools")]
    assert loose == []


# requirements.lock: every dependency, direct and transitive, pinned with the hashes of its files (`make lock`).
_LOCK_LINE = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def _lock() -> dict[str, tuple[str, str | None, int]]:
    """name -> (version, marker, number of hashes) for each entry of requirements.lock that applies here."""
    from packaging.markers import Marker
    from packaging.utils import canonicalize_name

    out: dict[str, tuple[str, str | None, int]] = {}
    current = None
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        m = _LOCK_LINE.match(line)
        if m:
            marker = m.group(3)
            current = None
            if not marker or Marker(marker).evaluate():
                current = canonicalize_name(m.group(1))
                out[current] = (m.group(2), marker, 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, marker, hashes = out[current]
            out[current] = (version, marker, hashes + 1)
    return out


def test_the_lock_pins_each_dependency_of_pyproject_at_its_version():
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lock = _lock()
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        name, wanted = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)$", spec).groups()
        version = lock[canonicalize_name(name)][0]
        assert version in SpecifierSet(wanted), f"{name}: lock has {version}, pyproject wants {wanted} (make lock)"
    assert len(lock) > 100  # the transitive ones too


def test_every_locked_package_has_hashes():
    assert all(hashes >= 1 for _, _, hashes in _lock().values())


def test_the_tests_run_in_the_environment_the_lock_describes():
    # `make venv` installs .venv from the lock alone (pip install --require-hashes -r requirements.lock); this
    # shows that installing the lock gives the environment the tests ran in, package for package
    import sysconfig
    from importlib import metadata

    from packaging.utils import canonicalize_name

    # .venv's own site-packages only: setuptools puts its vendored copies (packaging, zipp …) on sys.path once
    # pkg_resources is imported, and those are not installed packages
    site = list(dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]))
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions(path=site)}
    locked = {name: version for name, (version, _, _) in _lock().items()}
    assert {n: v for n, v in installed.items() if n not in ("countyfiscal", "pip")} == locked

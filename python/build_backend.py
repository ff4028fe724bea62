"""The package's PEP 517 build backend, standard library only: pip builds the wheel with
nothing installed but pip itself (a fresh venv has no `wheel` package, and the network is
not assumed). The wheel holds the `archer` package, the `archer_trial` and `_archer_nni`
modules and `archer-nni.pth` (NNI's imports for NNI trials when NNI is not installed; see
archer/nni_compat.py). Metadata come from pyproject.toml's [project] table."""

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = ("archer_trial.py", "_archer_nni.py")
PTH = "archer-nni.pth"


def _project():
    with open(os.path.join(HERE, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("[project]", 1)[1].split("\n[", 1)[0]
    fields = dict(re.findall(r'^([a-z-]+)\s*=\s*"([^"]*)"', section, re.M))
    return fields


def _dist_name(project):
    return "%s-%s" % (project["name"].replace("-", "_"), project["version"])


def _package_files():
    """(path in the wheel, path on disk) of the package's sources, tests excluded."""
    out = []
    for root, dirs, files in os.walk(os.path.join(HERE, "archer")):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py") and not name.endswith("_test.py"):
                disk = os.path.join(root, name)
                out.append((os.path.relpath(disk, HERE).replace(os.sep, "/"), disk))
    out += [(m, os.path.join(HERE, m)) for m in MODULES + (PTH,)]
    return out


def _metadata(project):
    readme = ""
    if os.path.exists(os.path.join(HERE, "README.md")):
        with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
            readme = f.read()
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\nLicense: MIT\n"
            "Requires-Python: %s\nProvides-Extra: nas\nRequires-Dist: torch; extra == 'nas'\n"
            "Description-Content-Type: text/markdown\n\n%s"
            % (project["name"], project["version"], project.get("description", ""),
               project.get("requires-python", ">=3.8"), readme))


def _dist_info_files(project):
    return {
        "METADATA": _metadata(project),
        "WHEEL": "Wheel-Version: 1.0\nGenerator: archer build_backend\nRoot-Is-Purelib: true\n"
                 "Tag: py3-none-any\n",
        "top_level.txt": "_archer_nni\narcher\narcher_trial\n",
    }


def _write_wheel(wheel_directory, entries):
    """entries: [(path in the wheel, bytes)]; RECORD is added. Returns the file name."""
    project = _project()
    dist_info = _dist_name(project) + ".dist-info"
    entries = list(entries) + [(dist_info + "/" + k, v.encode("utf-8"))
                               for k, v in _dist_info_files(project).items()]
    record = []
    for path, data in entries:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append("%s,sha256=%s,%d" % (path, digest.decode(), len(data)))
    record.append(dist_info + "/RECORD,,")
    entries.append((dist_info + "/RECORD", ("\n".join(record) + "\n").encode()))
    name = _dist_name(project) + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w",
                         zipfile.ZIP_DEFLATED) as z:
        for path, data in entries:
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return name


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    project = _project()
    dist_info = _dist_name(project) + ".dist-info"
    os.makedirs(os.path.join(metadata_directory, dist_info), exist_ok=True)
    for name, text in _dist_info_files(project).items():
        with open(os.path.join(metadata_directory, dist_info, name), "w",
                  encoding="utf-8") as f:
            f.write(text)
    return dist_info


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, [(p, _read(d)) for p, d in _package_files()])


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """A wheel whose .pth puts this folder on sys.path (edits take effect at once)."""
    return _write_wheel(wheel_directory, [("archer_nas_editable.pth", (HERE + "\n").encode()),
                                          (PTH, _read(os.path.join(HERE, PTH)))])


def build_sdist(sdist_directory, config_settings=None):
    project = _project()
    base = _dist_name(project)
    name = base + ".tar.gz"
    files = [(p, d) for p, d in _package_files()] + [
        (f, os.path.join(HERE, f)) for f in ("pyproject.toml", "build_backend.py", "README.md")]
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tar:
        pkg_info = _metadata(project).encode("utf-8")
        info = tarfile.TarInfo(base + "/PKG-INFO")
        info.size = len(pkg_info)
        tar.addfile(info, io.BytesIO(pkg_info))
        for path, disk in files:
            tar.add(disk, arcname=base + "/" + path)
    return name

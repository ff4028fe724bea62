"""The package as users install it: pip into a fresh venv with no network and nothing but
pip, the version equal to the C++ project's, the wheel's contents, uninstall."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

import archer

HERE = os.path.dirname(os.path.abspath(__file__))
VENV_PYTHON = "/usr/bin/python3"  # Debian's: its venv module and ensurepip


def cmake_version():
    with open(os.path.join(HERE, "..", "CMakeLists.txt")) as f:
        return re.search(r"project\(archer VERSION ([0-9.]+)", f.read()).group(1)


class PackageTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="archer-pkg-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_versions_agree(self):
        with open(os.path.join(HERE, "pyproject.toml")) as f:
            pyproject = re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)
        self.assertEqual(pyproject, cmake_version())
        self.assertEqual(archer.__version__, cmake_version())
        if os.environ.get("ARCHER_VERSION"):
            self.assertEqual(archer.__version__, os.environ["ARCHER_VERSION"])

    def venv(self, *flags):
        if not os.path.exists(VENV_PYTHON):
            self.skipTest("no %s" % VENV_PYTHON)
        path = os.path.join(self.dir, "venv")
        r = subprocess.run([VENV_PYTHON, "-m", "venv", *flags, path], capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            self.skipTest("python3 -m venv failed (python3-venv missing?): " + r.stderr[-300:])
        return os.path.join(path, "bin")

    def pip(self, bin_dir, *args):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
        env["PIP_NO_INPUT"] = "1"
        r = subprocess.run([os.path.join(bin_dir, "python"), "-m", "pip", *args], env=env,
                           capture_output=True, text=True, timeout=240, cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
        return r.stdout

    def python(self, bin_dir, code):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("NNI_", "PYTHON"))}
        return subprocess.run([os.path.join(bin_dir, "python"), "-c", code], env=env,
                              capture_output=True, text=True, timeout=120, cwd=self.dir)

    def test_pip_installs_into_a_fresh_venv_offline(self):
        bin_dir = self.venv()
        self.pip(bin_dir, "install", "--no-build-isolation", "--no-index", HERE)
        r = self.python(bin_dir, "import sys, archer, archer_trial, nni\n"
                                 "print(archer.__version__, nni.__archer_compat__, "
                                 "archer_trial.get_trial_id(), 'torch' in sys.modules)")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "%s True STANDALONE False" % cmake_version())
        # No torch in this venv: the NAS part says what to install, in one line.
        r = self.python(bin_dir, "from nni.nas.pytorch.mutables import LayerChoice")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("archer.nas (LayerChoice, InputChoice, get_and_apply_next_architecture) "
                      "needs PyTorch", r.stderr)
        self.assertIn("apt-get install python3-torch", r.stderr)
        # archer.Experiment finds the archer command through ARCHER_CLI or PATH, or says
        # how to get it.
        r = self.python(bin_dir, "import archer\ntry:\n    archer.Experiment('local').run(0)\n"
                                 "except archer.ArcherError as e:\n    print(e)")
        self.assertEqual(r.returncode, 0, r.stderr)
        if not shutil.which("archer"):
            self.assertIn("the archer command was not found on PATH", r.stdout)
            self.assertIn("ARCHER_CLI", r.stdout)
        self.pip(bin_dir, "uninstall", "-y", "archer-nas")
        site = self.python(bin_dir, "import sysconfig; print(sysconfig.get_paths()['purelib'])")
        left = os.listdir(site.stdout.strip())
        self.assertFalse([f for f in left if "archer" in f], left)
        r = self.python(bin_dir, "import nni")
        self.assertIn("No module named 'nni'", r.stderr)

    def test_wheel_contents(self):
        bin_dir = self.venv()
        self.pip(bin_dir, "wheel", "--no-build-isolation", "--no-index", "--no-deps",
                 "-w", self.dir, HERE)
        wheel = os.path.join(self.dir, "archer_nas-%s-py3-none-any.whl" % cmake_version())
        with zipfile.ZipFile(wheel) as z:
            names = set(z.namelist())
        for name in ("archer/__init__.py", "archer/trial.py", "archer/nas/mutator.py",
                     "archer/experiment.py",
                     "archer/nni_compat.py", "archer_trial.py", "_archer_nni.py",
                     "archer-nni.pth", "archer_nas-%s.dist-info/RECORD" % cmake_version()):
            self.assertIn(name, names)
        self.assertFalse([n for n in names if n.endswith("_test.py") or "__pycache__" in n])

    def test_with_debians_torch(self):
        torch_python = os.environ.get("ARCHER_TORCH_PYTHON", VENV_PYTHON)
        if subprocess.run([torch_python, "-c", "import torch"], capture_output=True).returncode:
            self.skipTest("%s has no torch" % torch_python)
        bin_dir = self.venv("--system-site-packages")
        self.pip(bin_dir, "install", "--no-build-isolation", "--no-index", HERE)
        r = self.python(bin_dir, "from nni.nas.pytorch.mutables import LayerChoice\n"
                                 "import archer.nas, torch\n"
                                 "print(LayerChoice is archer.nas.LayerChoice)")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "True")


if __name__ == "__main__":
    unittest.main()

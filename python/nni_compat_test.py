"""Tests of NNI's import names served by Archer (archer.nni_compat, _archer_nni): they work
when NNI is absent, never in front of a real NNI, and say what they provide."""

import argparse
import os
import subprocess
import sys
import unittest

from archer import nni_compat

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.realpath(os.environ.get("ARCHER_SHARED_DIR",
                                          os.path.join(HERE, "..", "..", "shared")))


def run(code, pythonpath=HERE, python=sys.executable):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNI_")}
    env["PYTHONPATH"] = pythonpath
    # As archer-nni.pth does at start-up in an installed environment.
    return subprocess.run([python, "-c", "import _archer_nni\n" + code], env=env,
                          capture_output=True, text=True, timeout=120)


class NniCompatTest(unittest.TestCase):
    def test_nni_trial_api_without_torch(self):
        r = run("import sys, nni, nni.trial\n"
                "print(nni.__archer_compat__, 'torch' in sys.modules)\n"
                "print(nni.get_next_parameter(), nni.get_trial_id(), nni.get_sequence_id())\n"
                "nni.report_final_result(0.5)\n"
                "from nni.utils import merge_parameter\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "True False")
        self.assertEqual(lines[1], "{} STANDALONE 0")
        self.assertIn("Final result: 0.5", r.stdout)

    def test_every_classic_nas_import_form(self):
        r = run("import archer.nas as a\n"
                "from nni.nas.pytorch.mutables import LayerChoice, InputChoice, MutableScope\n"
                "from nni.nas.pytorch.mutables import Mutable\n"
                "from nni.algorithms.nas.pytorch.classic_nas import "
                "get_and_apply_next_architecture as g2\n"
                "from nni.nas.pytorch.classic_nas import get_and_apply_next_architecture as g1\n"
                "from nni.algorithms.nas.pytorch.classic_nas.mutator import ClassicMutator\n"
                "from nni.nas.pytorch.utils import global_mutable_counting\n"
                "import nni.nas.pytorch.mutables as m\n"
                "print(LayerChoice is a.LayerChoice, g1 is g2 is a.get_and_apply_next_"
                "architecture, m.InputChoice is InputChoice)\n")
        if "needs PyTorch" in r.stderr:
            self.skipTest("this Python has no torch")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "True True True")

    def test_other_nni_names_say_what_is_provided(self):
        r = run("import nni.retiarii")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No module named 'nni.retiarii': NNI is not installed, and Archer's "
                      "stand-in provides NNI's trial API and classic NAS only", r.stderr)
        r = subprocess.run([sys.executable, "-c", "import _archer_nni, runpy; "
                            "runpy.run_module('nni', run_name='__main__')"],
                           env=dict(os.environ, PYTHONPATH=HERE), capture_output=True,
                           text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No module named 'nni.__main__'", r.stderr)

    def test_a_real_nni_is_never_shadowed(self):
        real = os.path.join(SHARED, "nni")
        if not os.path.isdir(os.path.join(real, "v2.10", "nni")):
            self.skipTest("NNI is not at %s" % real)
        path = os.pathsep.join([HERE, os.path.join(real, "shims"), os.path.join(real, "v2.10")])
        r = run("import nni\nprint(getattr(nni, '__archer_compat__', False), nni.__file__)\n"
                "try:\n    import nni.nas.pytorch.mutables\nexcept ImportError as e:\n"
                "    print('no classic NAS in this NNI')\n", pythonpath=path,
                python="/usr/bin/python3")
        if r.returncode != 0 and "ModuleNotFoundError" in r.stderr and "nni/" in r.stderr:
            self.skipTest("NNI's dependencies are not installed: " + r.stderr[-300:])
        self.assertEqual(r.returncode, 0, r.stderr)
        first = r.stdout.splitlines()[0]
        self.assertTrue(first.startswith("False " + os.path.join(real, "v2.10")), r.stdout)
        self.assertIn("no classic NAS in this NNI", r.stdout)

    def test_merge_parameter_is_nnis(self):
        base = argparse.Namespace(lr=0.1, epochs=3, name="x")
        self.assertIs(nni_compat.merge_parameter(base, {"lr": 1, "epochs": 5}), base)
        self.assertEqual((base.lr, base.epochs), (1.0, 5))
        self.assertIsInstance(base.lr, float)
        self.assertEqual(nni_compat.merge_parameter({"a": None}, {"a": [1]}), {"a": [1]})
        self.assertIs(nni_compat.merge_parameter(base, None), base)
        with self.assertRaisesRegex(ValueError, "Key 'nope' not found in base parameters"):
            nni_compat.merge_parameter(base, {"nope": 1})
        with self.assertRaisesRegex(ValueError, "'epochs' in override parameters to have type "
                                                "int, got 'many'"):
            nni_compat.merge_parameter(base, {"epochs": "many"})


if __name__ == "__main__":
    unittest.main()

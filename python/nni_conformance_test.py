"""Archer's classic NAS against NNI v2.8's own code (../shared/nni/v2.8, Debian's torch):
for every model of nas_test_models, the same trial run under both gives a byte-identical
search space (ss_gen), the same standalone choice, the same masks and bit-identical forward
outputs from the same parameter.cfg. Run by ctest with a Python that has torch."""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("ARCHER_SHARED_DIR", os.path.join(HERE, "..", "..", "shared"))
NNI = os.path.join(SHARED, "nni")
MODELS = ("mnist", "auto_keys", "choose_from")
ARCHITECTURES_PER_MODEL = 6


def random_architecture(space, rng):
    arch = {}
    for key, entry in space.items():
        if entry["_type"] == "layer_choice":
            i = rng.randrange(len(entry["_value"]))
            arch[key] = {"_value": entry["_value"][i], "_idx": i}
        else:
            candidates = entry["_value"]["candidates"]
            n = entry["_value"]["n_chosen"]
            if n is None:
                n = rng.randint(1, len(candidates))
            idx = sorted(rng.sample(range(len(candidates)), n))
            arch[key] = {"_value": [candidates[i] for i in idx], "_idx": idx}
    return arch


class NniConformanceTest(unittest.TestCase):
    def setUp(self):
        if not os.path.isdir(os.path.join(NNI, "v2.8", "nni")):
            self.skipTest("NNI v2.8 is not at %s" % NNI)
        self.dir = tempfile.mkdtemp(prefix="archer-conformance-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_trial(self, who, model, extra_env, tag):
        out = os.path.join(self.dir, "%s-%s-%s" % (who, model, tag))
        os.makedirs(out)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("NNI_") and k not in ("PYTHONPATH", "ARCHER_COST_PROBE")}
        if who == "nni":
            env["PYTHONPATH"] = os.path.join(NNI, "shims") + ":" + os.path.join(NNI, "v2.8")
        else:
            env["ARCHER_STANDIN"] = "1"
        env.update({k: v.replace("{out}", out) for k, v in extra_env.items()})
        r = subprocess.run([sys.executable, os.path.join(HERE, "nas_runner.py"), model, out],
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, "%s %s %s:\n%s" % (who, model, tag, r.stderr[-3000:]))
        return out

    def search_space(self, who, model):
        out = self.run_trial(who, model, {"NNI_GEN_SEARCH_SPACE": "{out}/space.json"}, "ss")
        with open(os.path.join(out, "space.json"), "rb") as f:
            return f.read()

    def assert_same_run(self, model, env, tag):
        results = []
        for who in ("nni", "archer"):
            out = self.run_trial(who, model, env, tag)
            with open(os.path.join(out, "masks.json")) as f:
                masks = json.load(f)
            results.append((masks, torch.load(os.path.join(out, "output.pt"))))
        (nni_masks, nni_out), (archer_masks, archer_out) = results
        self.assertEqual(archer_masks, nni_masks, "%s %s" % (model, tag))
        self.assertTrue(torch.equal(archer_out, nni_out), "%s %s: outputs differ" % (model, tag))

    def test_models(self):
        for model in MODELS:
            with self.subTest(model=model):
                space = self.search_space("nni", model)
                self.assertEqual(self.search_space("archer", model), space)
                self.assert_same_run(model, {}, "standalone")
                rng = random.Random(model)
                decoded = json.loads(space)
                for k in range(ARCHITECTURES_PER_MODEL):
                    arch = random_architecture(decoded, rng)
                    tag = "arch%d" % k
                    sys_dir = os.path.join(self.dir, "%s-%s-sys" % (model, tag))
                    os.makedirs(sys_dir)
                    with open(os.path.join(sys_dir, "parameter.cfg"), "w") as f:
                        json.dump({"parameter_id": k, "parameter_source": "algorithm",
                                   "parameters": arch, "parameter_index": 0}, f)
                    self.assert_same_run(model, {
                        "NNI_PLATFORM": "local", "NNI_SYS_DIR": sys_dir,
                        "NNI_OUTPUT_DIR": "{out}", "NNI_TRIAL_JOB_ID": "T" + tag,
                        "NNI_EXP_ID": "conformance", "NNI_TRIAL_SEQ_ID": str(k)}, tag)

    def test_auto_keys_are_numbered_as_nni_numbers_them(self):
        space = json.loads(self.search_space("archer", "auto_keys"))
        self.assertEqual(sorted(space), ["7", "InputChoice3", "InputChoice4", "LayerChoice1",
                                         "LayerChoice2"])

    def test_golden_mnist_space(self):
        with open(os.path.join(SHARED, "spec", "golden", "mnist_search_space.json"), "rb") as f:
            self.assertEqual(self.search_space("archer", "mnist"), f.read())


if __name__ == "__main__":
    unittest.main()

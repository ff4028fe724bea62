"""Tests of archer.nas: the mutables, the mutator's modes and checks, the costs (against
hand counts, as src/trial/nn/costs_test.cc), run by ctest with a Python that has torch."""

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from collections import OrderedDict
from unittest import mock

import torch
from torch import nn

import archer
from archer import trial
from archer.nas import (ArchitectureError, InputChoice, LayerChoice, MutableScope,
                        SearchSpaceError, applied_architecture, apply_architecture,
                        chosen_parameters, get_and_apply_next_architecture, measure_costs,
                        search_space_of)
from archer.nas import costs as costs_module
from archer.nas import mutables

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST_ARCH = {"first_conv": {"_value": "conv5x5", "_idx": 0},
              "mid_conv": {"_value": "0", "_idx": 0}, "skip": {"_value": [""], "_idx": [1]}}
MNIST_MACS = 24 * 24 * 20 * 25 + 12 * 12 * 20 * 20 * 9 + 8 * 8 * 50 * 20 * 25


class MnistNet(nn.Module):
    def __init__(self, hidden=512):
        super().__init__()
        self.conv1 = LayerChoice(OrderedDict([("conv5x5", nn.Conv2d(1, 20, 5)),
                                              ("conv3x3", nn.Conv2d(1, 20, 3))]),
                                 key="first_conv")
        self.mid_conv = LayerChoice([nn.Conv2d(20, 20, 3, padding=1),
                                     nn.Conv2d(20, 20, 5, padding=2)], key="mid_conv")
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(800, hidden)
        self.fc2 = nn.Linear(hidden, 10)
        self.skip = InputChoice(n_candidates=2, n_chosen=1, key="skip")

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        old = x
        x = torch.relu(self.mid_conv(x)) + self.skip([torch.zeros_like(old), old])
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2).flatten(1)
        return torch.log_softmax(self.fc2(torch.relu(self.fc1(x))), 1)


def unittest_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("NNI_") and k != "ARCHER_COST_PROBE"}
    env["NNI_PLATFORM"] = "unittest"
    env.update(extra)
    return env


class Base(unittest.TestCase):
    def setUp(self):
        trial._reset_for_tests()
        self.dir = tempfile.mkdtemp(prefix="archer-nas-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        trial._reset_for_tests()


class MutablesTest(Base):
    def test_keys_are_numbered_like_nni(self):
        mutables._reset_global_mutable_counting()
        a = LayerChoice([nn.ReLU()])
        b = InputChoice(n_candidates=2)
        c = LayerChoice([nn.ReLU()], key="mine")
        d = LayerChoice([nn.ReLU()])
        with self.assertLogs("archer.nas.mutables", "WARNING"):
            e = InputChoice(n_candidates=1, key=5)
        self.assertEqual([m.key for m in (a, b, c, d, e)],
                         ["LayerChoice1", "InputChoice2", "mine", "LayerChoice3", "5"])

    def test_candidates_as_list_ordereddict_dict(self):
        self.assertEqual(LayerChoice([nn.ReLU(), nn.Tanh()]).names, ["0", "1"])
        self.assertEqual(LayerChoice(OrderedDict([("b", nn.ReLU()), ("a", nn.Tanh())])).names,
                         ["b", "a"])
        self.assertEqual(LayerChoice({"x": nn.ReLU(), "y": nn.Tanh()}).names, ["x", "y"])
        lc = LayerChoice(OrderedDict([("p", nn.ReLU()), ("q", nn.Tanh()), ("r", nn.Sigmoid())]))
        self.assertEqual(len(lc), 3)
        self.assertIsInstance(lc["q"], nn.Tanh)
        self.assertIsInstance(lc[2], nn.Sigmoid)
        del lc["q"]
        self.assertEqual(lc.names, ["p", "r"])
        lc[0] = nn.Identity()
        self.assertIsInstance(lc["p"], nn.Identity)

    def test_bad_arguments_are_clear_errors(self):
        cases = [
            (lambda: LayerChoice("conv"), TypeError, "Unsupported op_candidates type"),
            (lambda: LayerChoice([]), ValueError, "op_candidates is empty"),
            (lambda: LayerChoice([nn.ReLU(), 3]), TypeError, "candidate '1' is a int"),
            (lambda: LayerChoice({"key": nn.ReLU()}), ValueError, "'key' is a reserved name"),
            (lambda: LayerChoice([nn.ReLU()], reduction="max"), ValueError,
             "reduction must be one of sum, mean, concat, none"),
            (lambda: InputChoice(), ValueError, "at least one of n_candidates and choose_from"),
            (lambda: InputChoice(n_candidates=2, choose_from=["a"]), ValueError,
             "n_candidates is 2 but choose_from has 1 keys"),
            (lambda: InputChoice(n_candidates=0), ValueError, "greater than 0"),
            (lambda: InputChoice(n_candidates=2, n_chosen=3), ValueError,
             "n_chosen must be None or in [0, 2], got 3"),
            (lambda: InputChoice(n_candidates="2"), TypeError, "n_candidates must be an integer"),
            (lambda: InputChoice(choose_from="ab"), TypeError, "choose_from must be a list"),
        ]
        for make, error, message in cases:
            with self.assertRaises(error) as caught:
                make()
            self.assertIn(message, str(caught.exception))

    def test_forward_before_applying_says_what_to_do(self):
        lc = LayerChoice([nn.ReLU()], key="op")
        with self.assertRaisesRegex(ValueError, "'op' was called before an architecture was "
                                                "applied: call get_and_apply_next_archi"):
            lc(torch.ones(1))

    def test_reductions_and_masks(self):
        x, y = torch.ones(2, 3), torch.full((2, 3), 3.0)
        cases = {"sum": x + y, "mean": (x + y) / 2, "concat": torch.cat([x, y], 1)}
        for reduction, expected in cases.items():
            ic = InputChoice(n_candidates=3, n_chosen=2, reduction=reduction)
            apply_architecture(ic, {ic.key: {"_value": ["", ""], "_idx": [0, 2]}})
            self.assertTrue(torch.equal(ic([x, torch.zeros(2, 3), y]), expected), reduction)
        none = InputChoice(n_candidates=2, n_chosen=None, reduction="none", return_mask=True)
        apply_architecture(none, {none.key: {"_value": [""], "_idx": [1]}})
        out, mask = none([x, y])
        self.assertIsInstance(out, list)
        self.assertTrue(torch.equal(out[0], y))
        self.assertEqual(mask.tolist(), [False, True])
        self.assertEqual(mask.dtype, torch.bool)
        empty = InputChoice(n_candidates=2, n_chosen=0)
        apply_architecture(empty, {empty.key: {"_value": [], "_idx": []}})
        self.assertIsNone(empty([x, y]))
        lc = LayerChoice([nn.Identity(), nn.Identity()], reduction="none", return_mask=True)
        apply_architecture(lc, {lc.key: {"_value": "1", "_idx": 1}})
        out, mask = lc(x)
        self.assertEqual(len(out), 1)
        self.assertEqual(mask.tolist(), [False, True])

    def test_dict_inputs_follow_choose_from(self):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = LayerChoice([nn.Identity()], key="a")
                self.cell = MutableScope("cell")
                self.pick = InputChoice(choose_from=["cell", "a", ""], n_chosen=1, key="p")
        net = Net()
        apply_architecture(net, {"a": {"_value": "0", "_idx": 0},
                                 "p": {"_value": ["a"], "_idx": [1]}})
        self.assertEqual(net.pick({"a": 2, "cell": 1, "": 3}), 2)
        with self.assertRaisesRegex(ValueError, "got 2 inputs but it has 3 candidates"):
            net.pick([1, 2])

    def test_a_mutable_can_be_deep_copied(self):
        net = MnistNet(16)
        apply_architecture(net, MNIST_ARCH)
        twin = copy.deepcopy(net)
        x = torch.ones(1, 1, 28, 28)
        self.assertTrue(torch.equal(net(x), twin(x)))


class MutatorTest(Base):
    def test_search_space_in_first_appearance_order_with_shared_keys(self):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.b = LayerChoice([nn.ReLU(), nn.Tanh()], key="b")
                self.a = InputChoice(n_candidates=2, n_chosen=None, key="a")
                self.b2 = LayerChoice([nn.ReLU(), nn.Tanh()], key="b")
        net = Net()
        space = search_space_of(net)
        self.assertEqual(list(space), ["b", "a"])
        self.assertEqual(space["a"], {"_type": "input_choice",
                                      "_value": {"candidates": ["", ""], "n_chosen": None}})
        apply_architecture(net, {"b": {"_value": "1", "_idx": 1}, "a": {"_value": [], "_idx": []}})
        self.assertEqual(net.b.decision, [1])
        self.assertEqual(net.b2.decision, [1])

    def test_invalid_models_are_refused(self):
        class Nested(nn.Module):
            def __init__(self):
                super().__init__()
                self.outer = LayerChoice([LayerChoice([nn.ReLU()], key="inner")], key="outer")

        class Differ(nn.Module):
            def __init__(self):
                super().__init__()
                self.x = LayerChoice([nn.ReLU()], key="k")
                self.y = LayerChoice([nn.ReLU(), nn.Tanh()], key="k")

        class Later(nn.Module):
            def __init__(self):
                super().__init__()
                self.pick = InputChoice(choose_from=["op"], key="pick")
                self.op = LayerChoice([nn.ReLU()], key="op")
        for net, message in ((Nested(), "Cannot have nested search space: 'inner' "
                              "(outer.0) is inside 'outer' (outer)"),
                             (Differ(), "key 'k' is shared by mutables with different "
                              "candidates (y differs"),
                             (Later(), "'op' required by 'pick' not found in keys that "
                              "appeared before")):
            with self.assertRaises(SearchSpaceError) as caught:
                search_space_of(net)
            self.assertIn(message, str(caught.exception))

    def test_invalid_architectures_name_the_source_and_key(self):
        cases = [
            ({"first_conv": MNIST_ARCH["first_conv"], "mid_conv": MNIST_ARCH["mid_conv"]},
             "src: the architecture's keys do not match the search space (missing 'skip'); "
             "was the search space generated from this code?"),
            (dict(MNIST_ARCH, extra=1), "unexpected 'extra'"),
            (dict(MNIST_ARCH, first_conv={"_value": "conv7", "_idx": 0}),
             "src: key 'first_conv': _value is \"conv7\" but candidate 0 is \"conv5x5\""),
            (dict(MNIST_ARCH, mid_conv={"_value": "0", "_idx": 5}),
             "key 'mid_conv': _idx = 5 is out of range: the choice has 2 candidates (0..1)"),
            (dict(MNIST_ARCH, mid_conv={"_value": "0", "_idx": float("nan")}),
             "key 'mid_conv': _idx must be an integer index, got NaN"),
            (dict(MNIST_ARCH, mid_conv={"_value": "0", "_idx": True}),
             "_idx must be an integer index, got true"),
            (dict(MNIST_ARCH, mid_conv=[0]), 'expected an object {"_value": ..., "_idx": ...}, '
                                             "got [0]"),
            (dict(MNIST_ARCH, skip={"_value": ["", ""], "_idx": [0, 0]}),
             "key 'skip': input 0 (\"\") is chosen twice, which is not allowed"),
            (dict(MNIST_ARCH, skip={"_value": ["", ""], "_idx": [0, 1]}),
             "key 'skip': 2 inputs chosen but n_chosen is 1"),
            (dict(MNIST_ARCH, skip={"_value": [""], "_idx": [0, 1]}),
             "key 'skip': _idx has 2 entries but _value has 1"),
            (dict(MNIST_ARCH, skip={"_value": "", "_idx": 0}),
             "an input choice needs lists in _value and _idx"),
            ([1, 2], "src: an architecture must be a JSON object, got array"),
        ]
        for arch, message in cases:
            with self.assertRaises(ArchitectureError) as caught:
                apply_architecture(MnistNet(8), arch, "src")
            self.assertIn(message, str(caught.exception))

    def test_unchosen_candidates_are_released_unless_kept(self):
        net = MnistNet(8)
        before = sum(p.numel() for p in net.parameters())
        apply_architecture(net, MNIST_ARCH)
        self.assertEqual(net.conv1.names, ["conv5x5", "conv3x3"])
        self.assertNotIn("conv3x3", dict(net.named_modules()).get("conv1")._modules)
        self.assertFalse(any(k.startswith("conv1.conv3x3") for k in net.state_dict()))
        with self.assertRaisesRegex(KeyError, "was released when the architecture was applied"):
            net.conv1["conv3x3"]
        after = sum(p.numel() for p in net.parameters())
        self.assertEqual(before - after, 20 * 9 + 20 + 20 * 20 * 25 + 20)
        kept = MnistNet(8)
        apply_architecture(kept, MNIST_ARCH, keep_unchosen=True)
        self.assertEqual(sum(p.numel() for p in kept.parameters()), before)
        self.assertEqual(sum(p.numel() for p in chosen_parameters(kept)), after)

    def test_the_chosen_module_is_called_directly(self):
        net = MnistNet(8)
        apply_architecture(net, MNIST_ARCH)
        self.assertEqual(net.conv1._only, "conv5x5")
        self.assertEqual(net.skip._only, 1)
        self.assertEqual(applied_architecture(net), MNIST_ARCH)

    def test_hooks_and_tracing_still_see_the_mutables(self):
        lc = LayerChoice([nn.Linear(2, 2), nn.Identity()], key="a")
        ic = InputChoice(n_candidates=2, n_chosen=1, key="b")
        apply_architecture(lc, {"a": {"_value": "0", "_idx": 0}})
        apply_architecture(ic, {"b": {"_value": [""], "_idx": [1]}})
        x = torch.ones(1, 2)
        y = 2 * x
        self.assertIs(ic([x, y]), y)
        seen = []
        lc.register_forward_hook(lambda m, i, o: seen.append("lc"))
        ic.register_forward_pre_hook(lambda m, i: seen.append("ic"))
        lc(x)
        ic([x, x])
        self.assertEqual(seen, ["lc", "ic"])
        traced = torch.jit.trace(lc, x)
        self.assertTrue(torch.equal(traced(x), lc(x)))
        with self.assertRaisesRegex(ValueError, "got 1 inputs but it has 2 candidates"):
            ic([x])

    def test_a_model_that_is_not_a_module_is_a_type_error(self):
        with self.assertRaisesRegex(TypeError, "the model must be a torch.nn.Module, got str"):
            get_and_apply_next_architecture("net")

    def test_applies_once(self):
        net = MnistNet(8)
        apply_architecture(net, MNIST_ARCH)
        with self.assertRaisesRegex(SearchSpaceError, "may be called once per model"):
            apply_architecture(net, MNIST_ARCH)

    def test_unittest_platform_and_final_metric_costs(self):
        with mock.patch.dict(os.environ, unittest_env(), clear=True):
            trial.set_test_parameters(MNIST_ARCH)
            net = MnistNet(32)
            get_and_apply_next_architecture(net, cost_input=torch.ones(2, 1, 28, 28))
            self.assertEqual(applied_architecture(net), MNIST_ARCH)
            archer.report_final_result(97.5)
            metric = json.loads(json.loads(trial.sent_metrics()[0])["value"])
        self.assertEqual(metric["default"], 97.5)
        self.assertEqual(metric["params"], sum(p.numel() for p in net.parameters()))
        self.assertEqual(metric["macs"], MNIST_MACS + 800 * 32 + 32 * 10)
        self.assertGreater(metric["latency_ms"], 0)
        trial._reset_for_tests()
        with mock.patch.dict(os.environ, unittest_env(), clear=True):  # None: standalone
            net = MnistNet(8)
            get_and_apply_next_architecture(net, report_costs=False)
            archer.report_final_result(1.5)
            self.assertEqual(json.loads(trial.sent_metrics()[0])["value"], "1.5")
        self.assertEqual(net.conv1.decision, [0])

    def test_hpo_then_nas_uses_the_same_record(self):
        with mock.patch.dict(os.environ, unittest_env(), clear=True):
            trial.set_test_parameters(MNIST_ARCH)
            self.assertEqual(archer.get_next_parameter(), MNIST_ARCH)
            net = MnistNet(8)
            get_and_apply_next_architecture(net, report_costs=False)
        self.assertEqual(applied_architecture(net), MNIST_ARCH)


TRIAL = textwrap.dedent("""
    import sys, torch
    sys.path.insert(0, %r)
    from archer_nas_test import MnistNet
    import archer
    net = MnistNet(32)
    archer.get_and_apply_next_architecture(net, cost_input=torch.ones(2, 1, 28, 28))
    print("APPLIED", archer.applied_architecture(net), flush=True)
    archer.report_final_result(90.0)
""") % HERE


class ModesTest(Base):
    """The trial as a process: what ss_gen, a trial and the cost probe see."""

    def run_trial(self, env, parameter_cfg=None):
        if parameter_cfg is not None:
            mode = "wb" if isinstance(parameter_cfg, bytes) else "w"
            with open(os.path.join(self.dir, "parameter.cfg"), mode) as f:
                f.write(parameter_cfg)
        full = {k: v for k, v in os.environ.items() if not k.startswith("NNI_")}
        full.update(env)
        return subprocess.run([sys.executable, "-c", TRIAL], env=full, capture_output=True,
                              text=True, timeout=120)

    def experiment_env(self, **extra):
        return dict({"NNI_PLATFORM": "local", "NNI_SYS_DIR": self.dir,
                     "NNI_OUTPUT_DIR": self.dir, "NNI_TRIAL_JOB_ID": "T", "NNI_EXP_ID": "E"},
                    **extra)

    def record(self, arch):
        return json.dumps({"parameter_id": 4, "parameter_source": "algorithm",
                           "parameters": arch, "parameter_index": 0})

    def test_search_space_mode_writes_nni_bytes_and_exits_zero(self):
        path = os.path.join(self.dir, "ss.json")
        r = self.run_trial({"NNI_GEN_SEARCH_SPACE": path})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("APPLIED", r.stdout)
        shared = os.environ.get("ARCHER_SHARED_DIR", os.path.join(HERE, "..", "..", "shared"))
        with open(os.path.join(shared, "spec", "golden", "mnist_search_space.json"), "rb") as f:
            golden = f.read()
        with open(path, "rb") as f:
            self.assertEqual(f.read(), golden)
        missing = os.path.join(self.dir, "no", "ss.json")
        r = self.run_trial({"NNI_GEN_SEARCH_SPACE": missing})
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip().splitlines(), [
            "archer: error: cannot write the search space to %s: No such file or directory"
            % missing])

    def test_standalone_uses_the_first_candidates(self):
        r = self.run_trial({})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("NNI_PLATFORM is not set", r.stderr)
        self.assertIn("'first_conv': {'_value': 'conv5x5', '_idx': 0}", r.stdout)
        self.assertIn("'skip': {'_value': [''], '_idx': [0]}", r.stdout)
        self.assertIn("Final result: {\"default\": 90.0, \"params\": ", r.stdout)

    def test_experiment_applies_and_reports_costs(self):
        arch = dict(MNIST_ARCH, first_conv={"_value": "conv3x3", "_idx": 1})
        r = self.run_trial(self.experiment_env(), self.record(arch))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("'_value': 'conv3x3'", r.stdout)
        self.assertRegex(r.stderr, r"archer: costs: params \d+\.\dk, macs [\d.]+M, latency ")
        with open(os.path.join(self.dir, ".nni", "metrics")) as f:
            metric = json.loads(json.loads(f.read()[8:])["value"])
        self.assertEqual(sorted(metric), ["default", "latency_ms", "macs", "params"])

    def test_cost_probe_writes_the_costs_and_exits_zero(self):
        out = os.path.join(self.dir, "costs.json")
        r = self.run_trial(self.experiment_env(ARCHER_COST_PROBE=out), self.record(MNIST_ARCH))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("APPLIED", r.stdout)
        with open(out) as f:
            costs = json.load(f)
        self.assertEqual(costs["macs"], MNIST_MACS + 800 * 32 + 32 * 10)
        self.assertEqual(sorted(costs), ["latency_ms", "macs", "params"])

    def test_hostile_parameter_files_end_with_one_line_and_status_1(self):
        cfg = os.path.join(self.dir, "parameter.cfg")
        cases = [
            (self.record(dict(MNIST_ARCH, mid_conv={"_value": "0", "_idx": 9})),
             cfg + ": key 'mid_conv': _idx = 9 is out of range"),
            ('{"parameter_id": 1, "parameters": {"first_conv": NaN}}',
             cfg + ": the architecture's keys do not match"),
            (self.record(dict(MNIST_ARCH, skip={"_value": [NaN_SENTINEL], "_idx": [1]}))
             .replace('"%s"' % NaN_SENTINEL, "NaN"),
             cfg + ": key 'skip': _value[0] is NaN but candidate 1 is \"\""),
            ("[" * 100000 + "]" * 100000, "nested deeper than 64 levels"),
            ('{"parameter_id": 1, "parameters": "conv"}',
             cfg + ": an architecture must be a JSON object, got string"),
            ('{"parameter_id": 1, "parameters": null}', "Chosen architecture is None"),
            ('{"parameter_id": 1, "parameters": ', cfg + ": invalid JSON"),
            (b'{"parameter_id": 1, "parameters": "\xff"}', cfg + ": not UTF-8 text"),
            ("[]", cfg + ': expected a parameter record {"parameter_id"'),
            (self.record(dict(MNIST_ARCH, first_conv={"_value": "x" * 10 ** 6, "_idx": 0})),
             "key 'first_conv': _value is \"" + "x" * 99 + "..."),
        ]
        for text, message in cases:
            r = self.run_trial(self.experiment_env(), text)
            self.assertEqual(r.returncode, 1, (message, r.stderr[-2000:]))
            self.assertNotIn("Traceback", r.stderr)
            lines = [line for line in r.stderr.splitlines() if line.strip()]
            self.assertEqual(len(lines), 1, r.stderr[-2000:])
            self.assertIn(message, lines[0])
            self.assertLess(len(lines[0]), 1200)

    def test_a_huge_parameter_file_is_refused_unread(self):
        with open(os.path.join(self.dir, "parameter.cfg"), "wb") as f:
            f.truncate((64 << 20) + 1)
        r = self.run_trial(self.experiment_env())
        self.assertEqual(r.returncode, 1)
        self.assertIn("at most 67108864 are read", r.stderr)


NaN_SENTINEL = "@@nan@@"


class CostsTest(Base):
    def macs(self, f):
        with torch.no_grad():
            return costs_module.count_macs(f)

    def test_convolution_macs_follow_the_shapes(self):
        conv = nn.Conv2d(3, 8, 3, padding=1)
        self.assertEqual(self.macs(lambda: conv(torch.ones(1, 3, 16, 16))), 8 * 16 * 16 * 27)
        self.assertEqual(self.macs(lambda: conv(torch.ones(2, 3, 16, 16))),
                         2 * 8 * 16 * 16 * 27)
        strided = nn.Conv2d(3, 8, 3, padding=1, stride=2)
        self.assertEqual(self.macs(lambda: strided(torch.ones(1, 3, 16, 16))), 8 * 8 * 8 * 27)
        grouped = nn.Conv2d(8, 8, 3, padding=1, groups=4)
        self.assertEqual(self.macs(lambda: grouped(torch.ones(1, 8, 10, 10))),
                         8 * 10 * 10 * 2 * 9)
        conv1d = nn.Conv1d(4, 6, 5)
        self.assertEqual(self.macs(lambda: conv1d(torch.ones(1, 4, 20))), 6 * 16 * 4 * 5)
        up = nn.ConvTranspose2d(4, 2, 2, stride=2)
        self.assertEqual(self.macs(lambda: up(torch.ones(1, 4, 5, 5))), 4 * 5 * 5 * 2 * 4)

    def test_linear_and_matrix_products_are_counted_once(self):
        fc = nn.Linear(100, 10)
        self.assertEqual(self.macs(lambda: fc(torch.ones(3, 100))), 3 * 100 * 10)
        self.assertEqual(self.macs(lambda: fc(torch.ones(2, 5, 100))), 2 * 5 * 100 * 10)
        self.assertEqual(self.macs(lambda: torch.matmul(torch.ones(4, 6), torch.ones(6, 5))),
                         4 * 6 * 5)
        self.assertEqual(self.macs(lambda: torch.bmm(torch.ones(3, 4, 6), torch.ones(3, 6, 5))),
                         3 * 4 * 6 * 5)
        self.assertEqual(self.macs(lambda: torch.addmm(torch.zeros(4, 5), torch.ones(4, 6),
                                                       torch.ones(6, 5))), 4 * 6 * 5)
        bn = nn.BatchNorm2d(4)
        self.assertEqual(self.macs(lambda: torch.relu(bn(torch.max_pool2d(
            torch.ones(1, 4, 8, 8) + 1, 2)))), 0)
        lstm = nn.LSTM(8, 16)
        self.assertGreaterEqual(self.macs(lambda: lstm(torch.ones(5, 1, 8))),
                                5 * 4 * 16 * (8 + 16))

    def test_mnist_costs_match_the_hand_count(self):
        net = MnistNet(512)
        apply_architecture(net, MNIST_ARCH)
        c = measure_costs(net, batch=torch.ones(8, 1, 28, 28))
        self.assertEqual(c.params, (20 * 25 + 20) + (20 * 20 * 9 + 20) + (50 * 20 * 25 + 50) +
                         (800 * 512 + 512) + (512 * 10 + 10))
        self.assertEqual(c.macs, MNIST_MACS + 800 * 512 + 512 * 10)
        self.assertEqual(c.latency_batch, 8)
        self.assertEqual(c.threads, torch.get_num_threads())
        self.assertIn("params 444.4k, macs 2.82M, latency ", c.describe())
        self.assertEqual(c.to_json()["latency_ms"], round(c.latency_ms, 4))

    def test_measuring_leaves_the_model_as_it_was(self):
        net = MnistNet(32)
        apply_architecture(net, MNIST_ARCH)
        net.bn = nn.BatchNorm1d(10)
        net.train()
        net.bn.eval()
        state = {k: v.clone() for k, v in net.state_dict().items()}
        batch = torch.randn(4, 1, 28, 28)
        rng = torch.get_rng_state()
        measure_costs(net, forward=lambda x: net.bn(torch.dropout(net(x), 0.5, True)),
                      batch=batch)
        self.assertTrue(net.training)
        self.assertFalse(net.bn.training)
        self.assertTrue(torch.is_grad_enabled())
        for k, v in net.state_dict().items():
            self.assertTrue(torch.equal(v, state[k]), k)
        self.assertTrue(torch.equal(torch.get_rng_state(), rng))

    def test_a_failing_forward_pass_is_named(self):
        net = MnistNet(8)
        apply_architecture(net, MNIST_ARCH)
        with self.assertRaisesRegex(costs_module.CostError,
                                    r"forward pass of the cost input \(shape \[1, 3\]\) raised"):
            measure_costs(net, batch=torch.ones(1, 3))


if __name__ == "__main__":
    unittest.main()

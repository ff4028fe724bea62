"""Tests of archer_trial (run by ctest: python3 -m unittest archer_trial_test)."""

import io
import json
import os
import shutil
import tempfile
import threading
import time
import unittest
from contextlib import redirect_stdout
from unittest import mock

import archer
import archer_trial

SHARED = os.environ.get("ARCHER_SHARED_DIR",
                        os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
GOLDEN = os.path.join(SHARED, "spec", "golden")


class TrialModuleTest(unittest.TestCase):
    def setUp(self):
        archer_trial._reset_for_tests()
        self.dir = tempfile.mkdtemp(prefix="archer-py-")
        self.env = {"NNI_PLATFORM": "local", "NNI_EXP_ID": "exp1", "NNI_SYS_DIR": self.dir,
                    "NNI_OUTPUT_DIR": self.dir, "NNI_TRIAL_JOB_ID": "Tr1al",
                    "NNI_TRIAL_SEQ_ID": "7"}

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write_parameters(self, text):
        with open(os.path.join(self.dir, "parameter.cfg"), "w") as f:
            f.write(text)

    def metrics(self):
        with open(os.path.join(self.dir, ".nni", "metrics"), "rb") as f:
            return f.read()

    def test_golden_metric_bytes(self):
        self.write_parameters('{"parameter_id": 3, "parameter_source": "algorithm", '
                              '"parameters": {"a": 1}, "parameter_index": 0}')
        with mock.patch.dict(os.environ, self.env, clear=True):
            self.assertEqual(archer_trial.get_next_parameter(), {"a": 1})
            archer_trial.report_intermediate_result(0.5)
            archer_trial.report_final_result({"default": 1.25, "other": 1})
            self.assertEqual(archer_trial.get_experiment_id(), "exp1")
            self.assertEqual(archer_trial.get_trial_id(), "Tr1al")
            self.assertEqual(archer_trial.get_sequence_id(), 7)
        with open(os.path.join(GOLDEN, "metrics"), "rb") as f:
            self.assertEqual(self.metrics(), f.read())

    def test_a_restarted_trial_knows_it_and_continues_its_sequence(self):
        self.write_parameters('{"parameter_id": 3, "parameters": {"a": 1}}')
        with mock.patch.dict(os.environ, self.env, clear=True):
            self.assertEqual(archer_trial.restart_count(), 0)  # a first start
            archer_trial.get_next_parameter()
            archer_trial.report_intermediate_result(0.1)
            archer_trial.report_intermediate_result(0.2)
        archer_trial._reset_for_tests()
        with mock.patch.dict(os.environ, dict(self.env, ARCHER_TRIAL_RESTARTS="1"), clear=True):
            self.assertEqual(archer_trial.restart_count(), 1)
            self.assertEqual(archer.restart_count(), 1)
            archer_trial.get_next_parameter()
            archer_trial.report_intermediate_result(0.3)
            archer_trial.report_final_result(0.4)
        sequences = [(r["type"], r["sequence"]) for r in self.records()]
        self.assertEqual(sequences[:2], [("PERIODICAL", 0), ("PERIODICAL", 1)])
        self.assertIn(("PERIODICAL", 2), sequences)
        self.assertEqual(sequences[-1], ("FINAL", 0))
        with mock.patch.dict(os.environ, {"ARCHER_TRIAL_RESTARTS": "x"}, clear=True):
            self.assertEqual(archer_trial.restart_count(), 0)

    def records(self):
        import json
        data, out, i = self.metrics(), [], 0
        while i + 8 <= len(data) and data[i:i + 2] == b"ME":
            n = int(data[i + 2:i + 8])
            try:
                out.append(json.loads(data[i + 8:i + 8 + n]))
            except ValueError:
                pass
            i += 8 + n
        return out

    def test_second_call_returns_none_and_keeps_record(self):
        self.write_parameters('{"parameter_id": 5, "parameters": {"x": 2}}')
        with mock.patch.dict(os.environ, self.env, clear=True):
            self.assertEqual(archer_trial.get_next_parameter(), {"x": 2})
            self.assertIsNone(archer_trial.get_next_parameter())
            self.assertEqual(archer_trial.get_current_parameter("x"), 2)
            archer_trial.report_final_result(1)
        self.assertIn(b'"parameter_id": 5', self.metrics())

    def test_standalone(self):
        with mock.patch.dict(os.environ, {}, clear=True):
            self.assertEqual(archer_trial.get_next_parameter(), {})
            self.assertEqual(archer_trial.get_trial_id(), "STANDALONE")
            self.assertEqual(archer_trial.get_experiment_id(), "STANDALONE")
            self.assertEqual(archer_trial.get_sequence_id(), 0)
            out = io.StringIO()
            with redirect_stdout(out):
                archer_trial.report_intermediate_result(0.5)
                archer_trial.report_final_result(0.75)
        self.assertIn("Intermediate result: 0.5 (Index 0)", out.getvalue())
        self.assertIn("Final result: 0.75", out.getvalue())

    def test_rejects_bad_metrics(self):
        with mock.patch.dict(os.environ, {"NNI_PLATFORM": "unittest"}, clear=True):
            for bad in ["0.9", {"loss": 1}, {"default": "x"}, [1], None, True]:
                with self.assertRaisesRegex(ValueError, "numeric \"default\""):
                    archer_trial.report_final_result(bad)
            archer_trial.report_final_result({"default": 1, "loss": "a"})
            self.assertEqual(len(archer_trial.sent_metrics()), 1)

    def test_unittest_platform(self):
        with mock.patch.dict(os.environ, {"NNI_PLATFORM": "unittest"}, clear=True):
            archer_trial.set_test_parameters({"k": 1})
            self.assertEqual(archer_trial.get_next_parameter(), {"k": 1})
            self.assertEqual(archer_trial.get_trial_id(), "fakeidtr")
            archer_trial.report_intermediate_result(1)
            archer_trial.report_intermediate_result(2)
            sent = [json.loads(m) for m in archer_trial.sent_metrics()]
        self.assertEqual([m["sequence"] for m in sent], [0, 1])

    def test_waits_for_parameter_file(self):
        def writer():
            path = os.path.join(self.dir, ".nni", "metrics")
            for _ in range(200):
                if os.path.exists(path) and os.path.getsize(path) > 0:
                    break
                time.sleep(0.01)
            self.write_parameters('{"parameter_id": 2, "parameters": {"y": 1}}')
        thread = threading.Thread(target=writer)
        thread.start()
        with mock.patch.dict(os.environ, self.env, clear=True):
            self.assertEqual(archer_trial.get_next_parameter(), {"y": 1})
        thread.join()
        self.assertIn(b'"type": "REQUEST_PARAMETER"', self.metrics())

    def test_missing_sys_dir(self):
        with mock.patch.dict(os.environ, {"NNI_PLATFORM": "local"}, clear=True):
            with self.assertRaisesRegex(RuntimeError, "NNI_SYS_DIR is not set"):
                archer_trial.get_next_parameter()

    def test_bad_parameter_file(self):
        self.write_parameters('{"parameter_id": 1, ')
        with mock.patch.dict(os.environ, self.env, clear=True):
            with self.assertRaisesRegex(SystemExit, "parameter.cfg: invalid JSON"):
                archer_trial.get_next_parameter()

    def test_hostile_parameter_files_end_the_trial_cleanly(self):
        path = os.path.join(self.env["NNI_SYS_DIR"], "parameter.cfg")
        cases = [("[" * 100000 + "]" * 100000, "nested deeper than 64 levels"),
                 ('{"parameters": {}, "x": ' + "[" * 65 + "]" * 65 + "}",
                  "nested deeper than 64"),
                 (b"\xff\xfe", "not UTF-8")]
        for text, expected in cases:
            if os.path.exists(path):
                os.remove(path)
            with open(path, "wb") as f:
                f.write(text if isinstance(text, bytes) else text.encode())
            with mock.patch.dict(os.environ, self.env, clear=True):
                with self.assertRaises(SystemExit) as caught:
                    archer_trial.get_next_parameter()
            self.assertTrue(caught.exception.code.startswith("archer: error: " + path))
            self.assertIn("parameter.cfg", str(caught.exception))
            self.assertIn(expected, str(caught.exception))
            archer_trial._state["requested"] = False
        os.remove(path)
        os.mkfifo(path)  # would block a plain open() for ever
        with mock.patch.dict(os.environ, self.env, clear=True):
            with self.assertRaisesRegex(SystemExit, "expected a regular file"):
                archer_trial.get_next_parameter()

    def test_metrics_too_deep_for_the_manager_are_refused(self):
        deep = 0.5
        for _ in range(70):
            deep = [deep]
        with mock.patch.dict(os.environ, self.env, clear=True):
            with self.assertRaisesRegex(ValueError, "at most 64"):
                archer_trial.report_final_result({"default": 0.5, "x": deep})

    def test_costs_join_the_final_metric(self):
        self.assertEqual(archer_trial.with_costs(91.5, params=1200, latency_ms=0.5),
                         {"default": 91.5, "params": 1200, "latency_ms": 0.5})
        self.assertEqual(archer_trial.with_costs({"default": 1, "params": 7}, params=9),
                         {"default": 1, "params": 7})
        with self.assertRaisesRegex(ValueError, "latency_ms must be a finite number"):
            archer_trial.with_costs(1, latency_ms=float("nan"))
        self.write_parameters('{"parameter_id": 1, "parameters": {}}')
        with mock.patch.dict(os.environ, self.env, clear=True):
            archer_trial.get_next_parameter()
            archer_trial.report_costs(params=10, macs=20)
            archer_trial.report_final_result(0.5)
        payload = json.loads(self.metrics()[8:])
        self.assertEqual(json.loads(payload["value"]),
                         {"default": 0.5, "params": 10, "macs": 20})

    def test_cost_probe_writes_and_exits(self):
        out = os.path.join(self.dir, "costs.json")
        self.write_parameters('{"parameter_id": 1, "parameters": {}}')
        env = dict(self.env, ARCHER_COST_PROBE=out,
                   PYTHONPATH=os.path.dirname(os.path.abspath(archer_trial.__file__)))
        import subprocess
        import sys
        code = ("import archer_trial as t; t.get_next_parameter(); "
                "t.report_costs(params=3, latency_ms=1.5); print('trained!')")
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("trained!", r.stdout)
        with open(out) as f:
            self.assertEqual(json.load(f), {"params": 3, "latency_ms": 1.5})


if __name__ == "__main__":
    unittest.main()

"""archer.Experiment end to end: experiments defined in Python run by the archer CLI
(ARCHER_CLI), compared with what the CLI says about the same experiments."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from unittest import mock

from archer import Experiment, ExperimentConfig
from archer.experiment import ArcherError, TrialJob, find_cli

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.environ.get("ARCHER_CLI", "")
SHARED = os.environ.get("ARCHER_SHARED_DIR", os.path.join(HERE, "..", "..", "shared"))

TRIAL = """import sys, time
sys.path.insert(0, %r)
import archer_trial as nni
p = nni.get_next_parameter()
score = {"x": 0.5, "y": 0.9, "z": 0.7}[p["a"]["_value"]] + (0.05 if p["b"]["_idx"] else 0)
for step in range(2):
    nni.report_intermediate_result(score * (step + 1) / 2)
time.sleep(float(%r))
nni.report_final_result(score)
"""

SPACE = {"a": {"_type": "layer_choice", "_value": ["x", "y", "z"]},
         "b": {"_type": "layer_choice", "_value": ["p", "q"]}}


def needs_cli(test):
    return unittest.skipUnless(CLI and os.access(CLI, os.X_OK),
                               "ARCHER_CLI is not set to the built archer")(test)


class ConfigTest(unittest.TestCase):
    def test_nni_field_names_become_archers_v2_config(self):
        c = ExperimentConfig("local")
        c.trial_command = "python3 trial.py"
        c.search_space = SPACE
        c.tuner.name = "RegularizedEvolutionTuner"
        c.tuner.class_args["population_size"] = 4
        c.trial_concurrency = 2
        c.max_trial_number = 8
        c.training_service.use_active_gpu = True
        v2 = c.to_v2(base_dir="/base")
        self.assertEqual(v2["trialCommand"], "python3 trial.py")
        self.assertEqual(v2["trialCodeDirectory"], "/base/.")
        self.assertEqual(v2["tuner"], {"name": "RegularizedEvolutionTuner",
                                       "classArgs": {"population_size": 4}})
        self.assertEqual(v2["trainingService"], {"platform": "local", "useActiveGpu": True})
        self.assertEqual(v2["searchSpace"], SPACE)
        self.assertNotIn("assessor", v2)  # unnamed: absent
        self.assertIsNone(c.max_trial_duration)  # known, unset
        with self.assertRaisesRegex(AttributeError, "no field 'max_trail_number'"):
            c.max_trail_number  # noqa: B018 (a typo is an error when read)
        # NNI's hybrid mode: a list of platforms, each with its own concurrency.
        h = ExperimentConfig(["local", "slurm"])
        h.training_service[0].trial_concurrency = 1
        h.training_service[1].pilot = {"workers": 2}
        self.assertEqual(h.to_v2(base_dir="/base")["trainingService"],
                         [{"platform": "local", "trialConcurrency": 1},
                          {"platform": "slurm", "pilot": {"workers": 2}}])

    def test_a_search_space_file_and_paths_are_made_absolute(self):
        c = ExperimentConfig("local")
        c.search_space_file = "space.json"
        c.tuner.name = "Random"
        c.tuner.code_directory = "algorithms"
        v2 = c.to_v2(base_dir="/work/here")
        self.assertEqual(v2["searchSpaceFile"], "/work/here/space.json")
        self.assertEqual(v2["tuner"]["codeDirectory"], "/work/here/algorithms")
        self.assertNotIn("searchSpace", v2)

    def test_trials_as_a_dataframe_or_a_clear_message(self):
        exp = Experiment("local")
        exp.id = "x"
        rows = [TrialJob("a1", 0, "SUCCEEDED", 1, 2, {"op": {"_value": "3x3", "_idx": 0}}, 0.5)]
        with mock.patch.object(Experiment, "list_trial_jobs", return_value=rows):
            try:
                import pandas  # noqa: F401
            except ImportError:
                with self.assertRaisesRegex(ArcherError, "needs pandas"):
                    exp.trials_dataframe()
                return
            df = exp.trials_dataframe()
            self.assertEqual(list(df["op"]), ["3x3"])
            self.assertEqual(list(df["value"]), [0.5])

    def test_the_cli_is_found_or_named(self):
        with mock.patch.dict(os.environ, {"ARCHER_CLI": "/nonexistent/archer"}):
            with self.assertRaisesRegex(ArcherError, "ARCHER_CLI=/nonexistent/archer: not an "
                                                     "executable file"):
                find_cli()
        env = {k: v for k, v in os.environ.items() if k != "ARCHER_CLI"}
        env["PATH"] = "/nonexistent"
        with mock.patch.dict(os.environ, env, clear=True):
            with self.assertRaisesRegex(ArcherError, "the archer command was not found on "
                                                     "PATH.*ARCHER_CLI"):
                find_cli()
            with self.assertRaisesRegex(ArcherError, "not found on PATH"):
                Experiment("local").run(0)

    def test_bad_arguments_are_named(self):
        with self.assertRaisesRegex(ArcherError, r"port: expected an integer in 0\.\.65535.*'abc'"):
            Experiment("local").start(port="abc")
        c = ExperimentConfig("local")
        c.search_space = {"a": {"_type": "layer_choice", "_value": {"x", "y"}}}  # a set
        with self.assertRaisesRegex(ArcherError, "config: every value must be JSON data"):
            Experiment(c).start(port=0)

    def test_reads_before_start_say_what_to_do(self):
        with self.assertRaisesRegex(ArcherError, "has not been started"):
            Experiment("local").get_status()
        self.assertIn("not started", repr(Experiment("local")))


@needs_cli
class ExperimentTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="archer-pyexp-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.wd = os.path.join(self.tmp, "exps")
        # The experiments index lives under HOME: keep it in the test's folder.
        patcher = mock.patch.dict(os.environ, {"HOME": self.tmp, "ARCHER_CLI": CLI})
        patcher.start()
        self.addCleanup(patcher.stop)
        self.addCleanup(self.stop_all)

    def stop_all(self):
        subprocess.run([CLI, "stop", "--all", "--experiment_working_directory", self.wd],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def cli(self, *args):
        r = subprocess.run([CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        return r.returncode, r.stdout, r.stderr

    def config(self, trials=6, sleep=0.2, tuner="RegularizedEvolutionTuner"):
        trial = os.path.join(self.tmp, "trial.py")
        with open(trial, "w") as f:
            f.write(TRIAL % (HERE, sleep))
        c = ExperimentConfig("local")
        c.trial_command = "%s %s" % (sys.executable, trial)
        c.trial_code_directory = self.tmp
        c.search_space = SPACE
        c.tuner.name = tuner
        if tuner == "RegularizedEvolutionTuner":
            c.tuner.class_args = {"population_size": 3, "sample_size": 2, "seed": 1}
        c.trial_concurrency = 2
        c.max_trial_number = trials
        c.experiment_working_directory = self.wd
        return c

    def test_an_experiment_defined_in_python_runs_to_done(self):
        exp = Experiment(self.config())
        out = []
        with mock.patch("builtins.print", lambda *a, **k: out.append(" ".join(map(str, a)))):
            self.assertTrue(exp.run(port=0))
        self.assertRegex(exp.id, r"^[A-Za-z0-9]{8}$")
        self.assertIn("Experiment %s started: http://127.0.0.1:" % exp.id, out[0])
        self.assertTrue(any(line.startswith("DONE: 6 trials (6 succeeded") for line in out),
                        out)
        self.assertEqual(exp.get_status(), "DONE")
        trials = exp.list_trial_jobs()
        self.assertEqual(len(trials), 6)
        self.assertEqual({t.status for t in trials}, {"SUCCEEDED"})
        self.assertEqual({t.platform for t in trials}, {"local"})  # where each ran
        self.assertTrue(all(t.where.startswith("local ") for t in trials), trials)
        self.assertEqual(exp.get_job_statistics(),
                         [{"trialJobStatus": "SUCCEEDED", "trialJobNumber": 6}])
        # export_data is `archer experiment export --type json`, as NNI's objects.
        path = os.path.join(self.tmp, "cli.json")
        code, _, err = self.cli("experiment", "export", exp.id, "--type", "json",
                                "--filename", path, "--experiment_working_directory", self.wd)
        self.assertEqual(code, 0, err)
        with open(path) as f:
            by_cli = json.load(f)
        self.assertEqual([(r.trialJobId, r.parameter, r.value) for r in exp.export_data()],
                         [(r["trialJobId"], r["parameter"], json.loads(r["value"]))
                          for r in by_cli])
        best = exp.best_trial()
        self.assertEqual(best["value"], max(r.value for r in exp.export_data()))
        self.assertEqual(exp.best_architecture(), best["parameter"])
        metrics = exp.get_job_metrics(best["trialJobId"])[best["trialJobId"]]
        self.assertEqual([m.type for m in metrics], ["PERIODICAL", "PERIODICAL", "FINAL"])
        self.assertEqual(metrics[-1].data, best["value"])
        self.assertIn(exp.id, repr(exp))
        self.assertIn("DONE: 6 trials", repr(exp))
        html = exp._repr_html_()
        self.assertIn("<table>", html)
        self.assertIn(exp.url, html)
        exp.stop()  # the manager served on after DONE; now it is gone
        self.assertFalse(exp._alive())
        self.assertEqual(exp.get_status(), "DONE")
        # Viewed read-only: the web UI and REST API serve the stored experiment.
        viewer = Experiment.view(exp.id, port=0, experiment_working_directory=self.wd)
        self.addCleanup(viewer.stop)
        import urllib.request
        with urllib.request.urlopen(viewer.url + "api/v1/nni/experiment", timeout=10) as r:
            self.assertEqual(json.loads(r.read())["id"], exp.id)
        viewer.stop()
        with self.assertRaises(OSError):
            urllib.request.urlopen(viewer.url, timeout=5)

    def test_an_invalid_config_raises_the_clis_message(self):
        c = self.config()
        c.trial_concurrency = 0
        with self.assertRaises(ArcherError) as raised:
            Experiment(c).start(port=0)
        path = os.path.join(self.tmp, "same.yml")
        with open(path, "w") as f:
            json.dump(c.to_v2(), f)
        code, _, err = self.cli("create", "--config", path, "--port", "0")
        self.assertNotEqual(code, 0)
        cli_message = re.sub(re.escape(path) + r"(:\d+)?", "config",
                             err.strip().replace("archer: error: ", ""))
        self.assertEqual(str(raised.exception), cli_message)
        self.assertIn("trialConcurrency: expected an integer >= 1, got 0", cli_message)
        # A misspelt key: Archer's did-you-mean, as the CLI says it.
        c = self.config()
        c.max_trial_numbr = 3
        with self.assertRaisesRegex(ArcherError, "maxTrialNumbr.*did you mean 'maxTrialNumber'"):
            Experiment(c).start(port=0)

    def test_connect_to_an_experiment_the_cli_started(self):
        path = os.path.join(self.tmp, "exp.yml")
        with open(path, "w") as f:
            json.dump(self.config(trials=4).to_v2(), f)
        code, out, err = self.cli("create", "--config", path, "--port", "0")
        self.assertEqual(code, 0, err)
        exp_id = re.search(r"Experiment (\S+) started", out).group(1)
        exp = Experiment.connect(exp_id, experiment_working_directory=self.wd)
        self.assertIsNotNone(exp.port)
        by_port = Experiment.connect(exp.port, experiment_working_directory=self.wd)
        self.assertEqual(by_port.id, exp_id)
        deadline = time.time() + 60
        while exp.get_status() not in ("DONE", "ERROR") and time.time() < deadline:
            time.sleep(0.5)
        self.assertEqual(exp.get_status(), "DONE")
        self.assertEqual(len(exp.list_trial_jobs()), 4)
        exp.update_max_trial_number(5)  # revives it: one more trial
        deadline = time.time() + 60
        while len(exp.list_trial_jobs()) < 5 and time.time() < deadline:
            time.sleep(0.5)
        with self.assertRaisesRegex(ArcherError, "maxTrialNumber: expected an integer"):
            exp.update_max_trial_number(0)
        exp.stop()
        self.assertFalse(exp._alive())

    def test_ctrl_c_stops_the_experiment_and_leaves_no_manager(self):
        exp = Experiment(self.config(trials=20, sleep=30))
        calls = []

        def interrupt(seconds):
            calls.append(seconds)
            if len(calls) == 2:
                raise KeyboardInterrupt

        with mock.patch("archer.experiment.time.sleep", interrupt), \
                mock.patch("builtins.print"):
            self.assertFalse(exp.run(port=0))
        self.assertEqual(exp.get_status(), "STOPPED")
        self.assertFalse(exp._alive())
        trials = exp.list_trial_jobs()
        self.assertTrue(trials)
        self.assertEqual({t.status for t in trials}, {"USER_CANCELED"})
        # Resumed from Python, it goes on (ids continue) until stopped again.
        again = Experiment.resume(exp.id, port=0, wait_completion=False,
                                  experiment_working_directory=self.wd)
        self.assertEqual(again.id, exp.id)
        self.assertTrue(again._alive())
        self.assertIn(again.get_status(), ("RUNNING", "NO_MORE_TRIAL"))
        again.stop()
        self.assertFalse(again._alive())
        # No process of this experiment is left (manager or trial).
        ps = subprocess.run(["ps", "-eo", "args"], stdout=subprocess.PIPE, text=True).stdout
        self.assertNotIn(exp.id, ps)

    @unittest.skipUnless(os.path.isdir(os.path.join(SHARED, "nni", "v2.10", "nni")),
                         "NNI's code is not in ../shared/nni")
    def test_nnis_tpe_runs_an_experiment_defined_in_python(self):
        trial = os.path.join(self.tmp, "hpo.py")
        with open(trial, "w") as f:
            f.write("import nni\np = nni.get_next_parameter()\n"
                    "nni.report_final_result(-(p['x'] - 0.3) ** 2)\n")
        c = ExperimentConfig("local")
        c.trial_command = "/usr/bin/python3 " + trial
        c.search_space = {"x": {"_type": "uniform", "_value": [0, 1]}}
        c.tuner.name = "TPE"
        c.tuner.class_args = {"optimize_mode": "maximize"}
        c.trial_concurrency = 2
        c.max_trial_number = 4
        c.experiment_working_directory = self.wd
        nni = os.path.join(SHARED, "nni")
        with mock.patch.dict(os.environ, {"PYTHONPATH": "%s/shims:%s/v2.10" % (nni, nni)}), \
                mock.patch("builtins.print"):
            exp = Experiment(c)
            self.assertTrue(exp.run(port=0, poll_seconds=0.5))
        self.assertEqual(exp.get_job_statistics(),
                         [{"trialJobStatus": "SUCCEEDED", "trialJobNumber": 4}])
        self.assertEqual(len(exp.export_data()), 4)
        exp.stop()


if __name__ == "__main__":
    unittest.main()

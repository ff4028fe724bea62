"""A trial that attacks the manager through what it writes (issue 12), chosen
by its sequence id; through Archer's stdlib-only trial module otherwise.

  0  a FINAL nested 30,000 deep, then a good FINAL        (good one counts)
  1  a FINAL with 1e999 in it, then a good FINAL          (good one counts)
  2  .nni/metrics replaced by a FIFO, then exits          (manager not blocked)
  3  .nni/metrics a symlink to /dev/zero, then exits      (not followed)
  4  intermediate 0 twice (other value), a stray "ME999999" header, a good FINAL
  5  a setsid() child that would outlive the trial         (ended with it)
  6  stdout replaced by a symlink to /etc/passwd, .nni/state by a FIFO
  7  a 900 KB FINAL and 2,000 intermediate results
  8+ a normal trial (12 and later first wait for the file HOSTILE_GATE names)
Good FINALs are 0.1 * (sequence id + 1).
"""
import json
import os
import subprocess
import time

import archer_trial as nni

seq = int(os.environ.get("NNI_TRIAL_SEQ_ID", "0"))
nni_dir = os.path.join(os.environ["NNI_OUTPUT_DIR"], ".nni")
metrics = os.path.join(nni_dir, "metrics")
params = nni.get_next_parameter()
good = round(0.1 * (seq + 1), 3)
time.sleep(2)  # the experiment lasts while the test's HTTP clients attack


def raw(value_text, kind="FINAL"):
    payload = json.dumps({"parameter_id": seq, "trial_job_id": os.environ["NNI_TRIAL_JOB_ID"],
                          "type": kind, "sequence": 0, "value": value_text}) + "\n"
    data = payload.encode()
    with open(metrics, "ab") as f:
        f.write(b"ME%06d" % len(data) + data)


if seq == 0:
    raw("[" * 30000 + "]" * 30000)
    nni.report_final_result(good)
elif seq == 1:
    raw('{"default": 0.5, "x": 1e999}')
    raw("1e309")
    nni.report_final_result(good)
elif seq == 2:
    os.remove(metrics)
    os.mkfifo(metrics)
    time.sleep(1.5)
elif seq == 3:
    os.remove(metrics)
    os.symlink("/dev/zero", metrics)
    time.sleep(1.5)
elif seq == 4:
    nni.report_intermediate_result(0.25)
    raw("0.75", "PERIODICAL")  # sequence 0 again, another value: the first is kept
    with open(metrics, "ab") as f:
        f.write(b"ME999999")
    nni.report_final_result(good)
elif seq == 5:
    subprocess.Popen(["sleep", "300"], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nni.report_final_result(good)
elif seq == 6:
    out = os.path.join(os.environ["NNI_OUTPUT_DIR"], "stdout")
    os.remove(out)
    os.symlink("/etc/passwd", out)
    nni.report_final_result(good)
    state = os.path.join(nni_dir, "state")
    os.mkfifo(state)
elif seq == 7:
    for i in range(2000):
        nni.report_intermediate_result(i / 2000)
    nni.report_final_result({"default": good, "blob": "x" * 900000})
else:
    # From 12 on (run after the test's resume), wait for the test's gate.
    gate = os.environ.get("HOSTILE_GATE", "")
    deadline = time.time() + 60
    while seq >= 12 and gate and not os.path.exists(gate) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    nni.report_final_result(good)

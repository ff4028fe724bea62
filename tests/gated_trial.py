"""A tiny Python trial for the experiment tests, through Archer's stdlib-only
trial module (import it as `nni`: the same calls as NNI's SDK).

Reports one intermediate result, then waits until the file $GATE_DIR/all or
$GATE_DIR/<sequence id> exists (at most 60 s), then reports the final result:
the sum of the chosen indices.
"""
import os
import sys
import time

import archer_trial as nni

params = nni.get_next_parameter()
score = 0
for choice in params.values():
    idx = choice["_idx"]
    score += sum(idx) if isinstance(idx, list) else idx
nni.report_intermediate_result(score / 10)
gates = os.environ["GATE_DIR"]
seq = str(nni.get_sequence_id())
deadline = time.time() + 60
while not (os.path.exists(os.path.join(gates, "all")) or
           os.path.exists(os.path.join(gates, seq))):
    if time.time() > deadline:
        sys.exit("gate never opened")
    time.sleep(0.02)
nni.report_final_result(score)

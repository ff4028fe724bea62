"""A Python trial for the web UI test, through Archer's stdlib-only trial
module (import it as `nni`). Prints text that would be script if a page
rendered it as HTML, reports three intermediate results, then waits until
$GATE_DIR/all or $GATE_DIR/<sequence id> exists (at most 120 s) and reports
the final result: the sum of the chosen indices plus a tenth of the sequence.
"""
import os
import sys
import time

import archer_trial as nni

params = nni.get_next_parameter()
seq = nni.get_sequence_id()
print("<script>window.__xss = 1</script><img src=x onerror=\"window.__xss=2\">")
score = 0.0
for choice in params.values():
    idx = choice["_idx"]
    score += sum(idx) if isinstance(idx, list) else idx
for step in range(3):
    nni.report_intermediate_result(score * (step + 1) / 3)
gates = os.environ["GATE_DIR"]
deadline = time.time() + 120
while not (os.path.exists(os.path.join(gates, "all")) or
           os.path.exists(os.path.join(gates, str(seq)))):
    if time.time() > deadline:
        sys.exit("gate never opened")
    time.sleep(0.05)
nni.report_final_result(score + seq / 10)

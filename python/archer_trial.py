"""``archer_trial``: the name of Archer's Python trial SDK before it became the ``archer``
package, kept so that existing trials (``import archer_trial as nni``) run unchanged. It is
the module ``archer.trial`` itself (the same functions and state), not a copy."""

import os
import sys

if __name__ == "__main__":
    # `python3 archer_trial.py report ...` (the test trial): the package beside this file.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from archer import trial as _trial
    _trial._report_main(sys.argv)
else:
    from archer import trial as _trial
    sys.modules[__name__] = _trial

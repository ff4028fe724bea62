"""Process settings that make CPU PyTorch trials fast, as the C++ library's
``archer/nn/runtime.h``: applied once by get_and_apply_next_architecture() unless
``ARCHER_RUNTIME_DEFAULTS=0``, logged on stderr.

* glibc malloc: M_MMAP_THRESHOLD 32 MiB and M_TRIM_THRESHOLD 256 MiB (large tensors reused
  from the heap instead of mmap'ed and page-faulted on every allocation); skipped when
  GLIBC_TUNABLES already sets malloc tunables (Archer's local service does, for every trial);
* torch's intra-op threads: ARCHER_NUM_THREADS, else OMP_NUM_THREADS (Archer's services set
  cores / trialConcurrency), else every core.

Neither changes what is computed, only how fast.
"""

import ctypes
import ctypes.util
import os
import sys

import torch

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_applied = None


def _env_int(name):
    try:
        n = int(os.environ.get(name, ""))
    except ValueError:
        return 0
    return n if 0 < n < 4096 else 0


def _tune_malloc():
    if "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return (libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20) == 1 and
                libc.mallopt(_M_TRIM_THRESHOLD, 256 << 20) == 1)
    except (OSError, AttributeError):  # not glibc
        return False


def apply_runtime_defaults():
    """Applies the settings once per process; returns what was applied (a dict)."""
    global _applied
    if _applied is not None:
        return _applied
    if os.environ.get("ARCHER_RUNTIME_DEFAULTS") == "0":
        _applied = {"enabled": False}
        return _applied
    threads = _env_int("ARCHER_NUM_THREADS") or _env_int("OMP_NUM_THREADS") or \
        max(1, os.cpu_count() or 1)
    malloc_tuned = _tune_malloc()
    torch.set_num_threads(threads)
    _applied = {"enabled": True, "malloc_tuned": malloc_tuned, "threads": threads}
    sys.stderr.write("archer: %s, %d torch thread(s) (ARCHER_RUNTIME_DEFAULTS=0 turns this "
                     "off)\n" % ("malloc mmap/trim thresholds 32/256 MiB" if malloc_tuned
                                 else "malloc as set by GLIBC_TUNABLES", threads))
    sys.stderr.flush()
    return _applied

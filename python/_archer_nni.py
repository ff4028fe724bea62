"""Run at Python start-up by ``archer-nni.pth``: makes NNI's trial imports (``import nni``,
``nni.nas.pytorch.mutables``, ``nni.algorithms.nas.pytorch.classic_nas``) work through
Archer when NNI is not installed, never in front of a real NNI (see archer.nni_compat).
Kept tiny: it runs in every Python process of the environment."""

import sys


class ArcherNniFinder:
    """Last on sys.meta_path: asked for an ``nni`` module only when no other finder has it."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname != "nni" and not fullname.startswith("nni."):
            return None
        try:
            from archer import nni_compat
        except ImportError:  # the package was removed but this file stayed
            return None
        return nni_compat.find_spec(fullname)


def install():
    if not any(getattr(f, "__name__", "") == "ArcherNniFinder" for f in sys.meta_path):
        sys.meta_path.append(ArcherNniFinder)


install()

"""Import WeasyPrint without the library search it does not need on Linux."""

from __future__ import annotations

import sys


def import_weasyprint():
    """The weasyprint module. WeasyPrint loads Pango and its companions by trying a list of names; cffi answers each
    name that is not a file by asking ctypes' find_library, which runs ldconfig and gcc: some fifty processes and
    0.3–0.5 s per cold start. On Linux the list ends in the sonames (libpango-1.0.so.0…), which the dynamic loader
    finds by itself, so the search is switched off for the import; elsewhere it stays."""
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint

        return weasyprint
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        import weasyprint
    except OSError:  # a system whose sonames differ: import it the slow way
        for name in [n for n in sys.modules if n == "weasyprint" or n.startswith("weasyprint.")]:
            del sys.modules[name]
        ctypes.util.find_library = search
        import weasyprint
    finally:
        ctypes.util.find_library = search
    return weasyprint

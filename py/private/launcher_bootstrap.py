"""Start-up of every program the py_* rules build; the launcher runs it as

    python -S -s -B launcher_bootstrap.py SITE_DIR... -- MAIN ARG...

-S keeps the interpreter's own site-packages (and every .pth file and sitecustomize in
them) off sys.path, as a virtual environment with include-system-site-packages = false
does. What `site` would still have done for the program is done here: each installed
package tree (SITE_DIR, absolute) gets site.addsitedir(), so the .pth files the locked
wheels ship (namespace packages, *-nspkg.pth) are processed, and exit(), quit(), help()
and copyright() are defined. Then MAIN runs as `python MAIN ARG...` would run it: as
the module __main__, with sys.argv[0] == MAIN and sys.path[0] its folder.

Runs on every Python the rules support (3.8+), with the standard library only; no
`from __future__` import, so that none leaks into MAIN's compilation.
"""

import sys


def _run():
    import os
    import site

    argv = sys.argv[1:]
    try:
        cut = argv.index("--")
    except ValueError:
        sys.exit("rules_pyuv: launcher_bootstrap.py needs SITE_DIR... -- MAIN [ARG...]")
    sites, main, args = argv[:cut], argv[cut + 1], argv[cut + 2 :]

    # Not the user's site-packages either (the launcher also passes -s).
    site.ENABLE_USER_SITE = False
    # The trees are on sys.path already (PYTHONPATH): known, so only their .pth files
    # add entries; one set for all of them, not one scan of sys.path per tree.
    known = {os.path.normcase(os.path.abspath(p)) for p in sys.path if p}
    for tree in sites:
        site.addsitedir(tree, known)
    for define in ("setquit", "sethelper", "setcopyright"):
        getattr(site, define, lambda: None)()

    # What the interpreter sets up for a script: its real folder first on sys.path
    # (in place of this file's), the script's path in argv[0].
    sys.path[0] = os.path.dirname(os.path.realpath(main))
    sys.argv[:] = [main, *args]
    with open(main, "rb") as f:
        code = compile(f.read(), main, "exec", dont_inherit=True)
    # The module the interpreter made for this file becomes MAIN's: its own entries
    # (__builtins__, __spec__, __annotations__ where the version makes one) stay, the
    # names this file defined go.
    namespace = sys.modules["__main__"].__dict__
    for name in [n for n in namespace if not n.startswith("__")]:
        del namespace[name]
    namespace.update(
        __doc__=None,
        # The loader class the interpreter gave this file (SourceFileLoader), without
        # importing importlib.
        __loader__=type(namespace["__loader__"])("__main__", main),
        __file__=os.path.abspath(main),
        __cached__=None,
    )
    return code, namespace


# One expression: no name of this file is left in MAIN's globals.
exec(*_run())

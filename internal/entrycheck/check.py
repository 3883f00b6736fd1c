# wsgipack's entry-point check: import the module of app.wsgi with the
# venv's own Python as mod_wsgi's entry script will, and look at the callable
# or factory without calling it. Run as
#   python -E -s -B -c <this> SOURCE MODULE ATTRIBUTE FACTORY(0|1) RESULT
# with SOURCE first on sys.path. It writes one JSON object to RESULT; the
# app's own output and tracebacks go to stderr.
import importlib
import inspect
import json
import os
import sys
import traceback

source, module, attribute, factory, result = sys.argv[1:6]
factory = factory == "1"
sys.path[0] = source  # -c puts the working directory first


warning = ""


def done(**fields):
    fields["warning"] = warning
    with open(result, "w") as f:
        json.dump(fields, f)
    sys.exit(0)


def shadowed(top):
    """Where else top-level module top comes from on the server: mod_wsgi's
    python-path is appended to sys.path, after the standard library and the
    venv's site-packages."""
    if top in sys.builtin_module_names:
        return "a module built into Python", False
    import importlib.machinery
    others = [p for p in sys.path[1:] if os.path.abspath(p or ".") != source]
    spec = importlib.machinery.PathFinder.find_spec(top, others)
    if spec is None or not spec.origin or spec.origin in ("namespace", "frozen"):
        return None, False
    venv = os.path.realpath(sys.prefix) + os.sep
    return spec.origin, os.path.realpath(spec.origin).startswith(venv)


# Before the import: this script's own imports are in sys.modules already.
other, in_venv = shadowed(module.split(".")[0])
if other and not in_venv:
    done(error="shadowed", detail=other)
warning = other or ""

try:
    mod = importlib.import_module(module)
except SystemExit as e:
    traceback.print_exc()
    done(error="exit", detail="importing %s called sys.exit(%r)" % (module, e.code))
except BaseException as e:
    traceback.print_exc()
    missing = getattr(e, "name", None) if isinstance(e, ImportError) else None
    # os.environ["NAME"] of a variable the spec does not set: the KeyError
    # comes from os.environ's __getitem__ (the last frame, in os.py).
    environ = ""
    if isinstance(e, KeyError) and len(e.args) == 1 and isinstance(e.args[0], str):
        tb = e.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        code = tb.tb_frame.f_code
        if code.co_name == "__getitem__" and code.co_filename in (os.__file__, "<frozen os>"):
            environ = e.args[0]
    done(error="import", type=type(e).__name__, detail=str(e), missing=missing or "", environ=environ)

origin = getattr(mod, "__file__", None) or ""

def candidate(name, value):
    """Whether the module defines name as something mod_wsgi could call:
    its own functions and classes, and callable objects (an app)."""
    if name.startswith("_") or inspect.ismodule(value) or not callable(value):
        return False
    if inspect.isfunction(value) or inspect.isclass(value) or inspect.isbuiltin(value):
        return getattr(value, "__module__", None) == module
    return True


if not hasattr(mod, attribute):
    defined = sorted(n for n, v in vars(mod).items() if candidate(n, v))
    done(error="attribute", file=origin, defined=defined[:12])

target = getattr(mod, attribute)
if not callable(target):
    done(error="callable", file=origin, detail=type(target).__name__)

# The entry script calls a factory with no arguments and mod_wsgi calls the
# application with (environ, start_response): check the signature where
# Python can tell it, without calling anything.
try:
    sig = inspect.signature(target)
except (TypeError, ValueError):
    sig = None
if sig is not None:
    try:
        if factory:
            sig.bind()
        else:
            sig.bind({}, None)
    except TypeError as e:
        done(error="signature", file=origin, detail="%s%s" % (attribute, sig), reason=str(e))
done(ok=True, file=origin)

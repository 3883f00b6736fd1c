#!/usr/bin/env python3
"""Fill a fresh venv with a large, synthetic but realistic set of installed
distributions, for wsgipack's benchmark (testdata/bench/run.sh).

    genvenv.py --venv VENV --so-dir DIR [--forbid PATH]... [--seed N]

VENV is a venv made by 'python3 -m venv'. Into its site-packages go about 70
generated distributions, each laid out as pip installs a wheel:

* many Python modules (1-20 KB of plausible source that compiles: imports,
  constants, functions, classes, dataclasses, enums), __init__.py files,
  some tests/ packages;
* .pyi stubs and py.typed for typed packages, two stub-only distributions;
* .json and .txt data files (schemas, word lists, CSV tables, locale files);
* a few multi-MB data files of low-to-medium compressibility (random bytes,
  random "text" over a skewed alphabet, CSV rows, in 64 KiB blocks);
* native extensions and bundled libraries: real amd64 .so files copied from
  DIR (e.g. CPython's lib-dynload) under new names. Only those whose
  DT_NEEDED libraries are all base-system libraries and that need glibc
  <= 2.34 (EL 9) are used, and their RUNPATH (a build path of CI's Python)
  is rewritten in place to $ORIGIN, as a manylinux wheel has it;
* console scripts in VENV/bin with the venv's shebang, as pip writes them;
* a <name>-<version>.dist-info with METADATA, WHEEL, INSTALLER, LICENSE,
  top_level.txt, entry_points.txt where needed, and a RECORD in pip's
  format (path,sha256=<urlsafe base64, unpadded>,size).

The output depends only on --seed and on the .so files found in DIR. No
generated file contains a --forbid string (the venv and project paths, which
wsgipack rejects in a package); the script fails if one would.

At the end it checks that the generated distributions hold at least
--min-mb MB and --min-files files, and prints a one-line JSON summary.
"""

import argparse
import base64
import hashlib
import json
import keyword
import os
import random
import re
import struct
import sys

PY_TAG = "cpython-311-x86_64-linux-gnu"

# File-count budgets of the generated distributions; big data files fill
# the byte budget (--target-mb) last.
PY_FILES = 20600
PYI_FILES = 2900
DATA_FILES = 2600
ELF_FILES = 150
BIG_FILES = 22
MAX_MODULE = 20480

# Shared libraries every target has (wsgipack's list); an extension that
# needs others would draw warnings that a real manylinux wheel avoids.
BASE_LIBS = {
    b"libc.so.6", b"libm.so.6", b"libdl.so.2", b"librt.so.1", b"libpthread.so.0",
    b"libutil.so.1", b"libgcc_s.so.1", b"libstdc++.so.6", b"libz.so.1",
}
MAX_GLIBC = (2, 34)  # EL 9, the oldest glibc among the benchmark's targets

WORDS = """
account action adapter address agent alert alias anchor api archive array
asset async attribute audit auth backend backoff balance batch binding blob
block body bookmark bound bucket buffer build bundle cache callback campaign
capacity cart catalog cell channel chart check checksum chunk cipher claim
client clock cluster codec column command comment commit config connection
consumer container content context cookie counter credential cursor customer
dashboard data dataset date decoder default delta device dialect digest
directory dispatch document domain draft driver edge element encoder endpoint
engine entity entry envelope event exception exporter expression extension
factory feature feed field filter flag flow folder format frame gateway
graph group handler hash header helper history hook host identity image
import index inventory invoice item job journal key label layer layout
ledger limit link listener loader locale lock log lookup manager manifest
mapping marker match media message meta metric middleware migration mixin
model module monitor mount name node notice object offset option order
origin owner packet page pager panel parser partition patch path payload
peer permission pipeline plan plugin policy pool port position preset
price printer priority probe process producer profile project property
protocol provider proxy query queue quota range rate reader receipt record
redirect reference region registry relation release renderer report
repository request resolver resource response result retry revision role
route row rule runner sample scanner schedule schema scope score secret
section segment selector sender sensor sequence serializer server service
session setting shard signal signature sink slot snapshot socket source
span spec stage state status step storage store stream string style
subject summary supplier table tag target task template tenant test text
thread ticket timer token topic trace tracker transaction transform
transport tree trigger tuple type unit update upload user validator value
variant vector version view visitor volume warehouse watcher widget window
worker workflow writer zone
""".split()

VERBS = """
add apply build check clean close collect compute convert copy create decode
delete describe dispatch dump emit encode ensure evaluate expand export fetch
filter find flush format get handle hash init insert iter join list load
lookup make merge normalize open parse patch pop prepare process publish push
put read record refresh register release reload remove render replace reset
resolve restore run save scan select send serialize set split start stop
store sync transform update upload validate visit wait walk wrap write
""".split()

ADJ = """
active base cached current default dirty empty enabled extra final global
inner last legacy local lower main max min native new next old outer partial
pending primary raw remote safe secondary shared simple stale strict temp
upper valid
""".split()

STDLIB = [
    "os", "re", "sys", "json", "time", "logging", "functools", "itertools",
    "collections", "contextlib", "threading", "hashlib", "base64", "struct",
    "datetime", "decimal", "enum", "io", "math", "operator", "pathlib",
    "random", "shutil", "string", "tempfile", "textwrap", "types", "typing",
    "uuid", "warnings", "weakref", "zlib", "abc", "copy", "inspect",
]
EXCEPTIONS = [
    "ValueError", "KeyError", "TypeError", "OSError", "RuntimeError",
    "LookupError", "AttributeError", "IndexError", "TimeoutError",
    "UnicodeDecodeError", "ConnectionError", "NotImplementedError",
]
TYPES = ["int", "str", "bool", "float", "bytes", "dict", "list", "tuple",
         "Optional[str]", "Optional[int]", "Iterable[str]", "Mapping[str, Any]",
         "Sequence[int]", "Any", "Callable[..., Any]", "List[str]", "Dict[str, int]"]
LICENSES = ["MIT", "BSD-3-Clause", "Apache-2.0", "ISC", "PSF-2.0", "MPL-2.0"]
LICENSE_TEXT = """Copyright (c) {year} {author}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.
"""
COMMON = """
the a an of to in is it that for on with as be by this we if not when so
only but then before after again here there must should may can never all
""".split()

# No keywords (import, async, global) among generated identifiers.
WORDS = [w for w in WORDS if not keyword.iskeyword(w)]
VERBS = [w for w in VERBS if not keyword.iskeyword(w)]
ADJ = [w for w in ADJ if not keyword.iskeyword(w)]

SYLLABLES = ["ar", "bo", "ca", "da", "el", "fi", "go", "ha", "io", "ju", "ka",
             "lo", "mi", "no", "or", "pa", "qu", "ri", "so", "ta", "ul", "ve",
             "wi", "xy", "yo", "ze", "lyn", "tor", "gen", "dex", "pix", "mon"]


class Source:
    """Plausible Python source, one module at a time."""

    def __init__(self, r):
        self.r = r

    # -- names --------------------------------------------------------------
    def word(self):
        return self.r.choice(WORDS)

    def snake(self, n=None):
        r = self.r
        n = n or r.choice((1, 2, 2, 2, 3))
        parts = [r.choice(ADJ)] + [self.word() for _ in range(n - 1)] if r.random() < 0.2 else [self.word() for _ in range(n)]
        return "_".join(parts)

    def func_name(self):
        return self.r.choice(VERBS) + "_" + self.snake(self.r.choice((1, 1, 2)))

    def camel(self):
        return "".join(w.capitalize() for w in self.snake(self.r.choice((1, 2, 2, 3))).split("_"))

    def const(self):
        return self.snake().upper()

    def sentence(self, lo, hi):
        r = self.r
        words = [r.choice(WORDS) if r.random() < 0.6 else r.choice(COMMON) for _ in range(r.randrange(lo, hi))]
        return " ".join(words).capitalize() + r.choice((".", ".", "", ":"))

    # -- expressions --------------------------------------------------------
    def literal(self):
        r = self.r
        k = r.randrange(8)
        if k == 0:
            return str(r.randrange(0, 10000))
        if k == 1:
            return repr(round(r.uniform(0, 100), r.randrange(1, 4)))
        if k == 2:
            return repr(self.snake())
        if k == 3:
            return r.choice(("None", "True", "False"))
        if k == 4:
            return "(" + ", ".join(repr(self.word()) for _ in range(r.randrange(2, 5))) + ")"
        if k == 5:
            return "{" + ", ".join("%r: %s" % (self.word(), r.randrange(100)) for _ in range(r.randrange(1, 4))) + "}"
        if k == 6:
            return repr("%s-%s" % (self.word(), self.word()))
        return "b%r" % self.word()

    def expr(self, names):
        r = self.r
        if not names:
            return self.literal()
        n = r.choice(names)
        k = r.randrange(12)
        if k == 0:
            return self.literal()
        if k == 1:
            return "%s.%s" % (n, self.snake(1))
        if k == 2:
            return "%s(%s)" % (self.func_name(), ", ".join(r.sample(names, min(len(names), r.randrange(0, 3)))))
        if k == 3:
            return "len(%s)" % n
        if k == 4:
            return "%s.get(%r, %s)" % (n, self.word(), self.literal())
        if k == 5:
            return 'f"%s={%s!r}"' % (self.word(), n)
        if k == 6:
            return "%s + %d" % (n, r.randrange(1, 64))
        if k == 7:
            return "[x for x in %s if x is not None]" % n
        if k == 8:
            return "%s or %s" % (n, self.literal())
        if k == 9:
            return "self._%s" % self.snake(1) if "self" in names else "dict(%s=%s)" % (self.word(), n)
        if k == 10:
            return "%s[%d]" % (n, r.randrange(4))
        return n

    def cond(self, names):
        r = self.r
        n = r.choice(names) if names else "None"
        return r.choice((
            "%s is None" % n,
            "not %s" % n,
            "isinstance(%s, (%s, %s))" % (n, r.choice(("str", "int", "bytes")), r.choice(("dict", "list", "tuple"))),
            "%s > %d" % (n, r.randrange(100)),
            "%r in %s" % (self.word(), n),
            "%s and %s" % (n, r.choice(names) if names else "True"),
            "len(%s) >= %s" % (n, self.const()),
            "hasattr(%s, %r)" % (n, self.snake(1)),
        ))

    # -- statements ---------------------------------------------------------
    def block(self, out, ind, names, depth, count):
        r = self.r
        for _ in range(count):
            if r.random() < 0.3:  # real code has comments, which cost no bytecode
                for _ in range(r.choice((1, 1, 1, 2, 3))):
                    out.append("%s# %s" % (ind, self.sentence(5, 13)))
            k = r.randrange(10) if depth < 3 else r.randrange(4)
            if k in (0, 1):
                v = self.snake(r.choice((1, 2)))
                out.append("%s%s = %s" % (ind, v, self.expr(names)))
                names.append(v)
            elif k == 2:
                out.append('%slogger.%s("%s %%s: %%r", %s, %s)' % (
                    ind, r.choice(("debug", "debug", "info", "warning")),
                    " ".join(self.word() for _ in range(r.randrange(2, 6))),
                    r.choice(names) if names else "None", self.expr(names)))
            elif k == 3:
                v = self.snake(1)
                out.append("%s%s = %s(%s)" % (ind, v, self.func_name(), ", ".join(
                    "%s=%s" % (kw, self.expr(names)) for kw in r.sample(WORDS, r.randrange(0, 3)))))
                names.append(v)
            elif k == 4:
                out.append("%sif %s:" % (ind, self.cond(names)))
                self.block(out, ind + "    ", list(names), depth + 1, r.randrange(1, 4))
                if r.random() < 0.4:
                    out.append("%selif %s:" % (ind, self.cond(names)))
                    self.block(out, ind + "    ", list(names), depth + 1, r.randrange(1, 3))
                if r.random() < 0.5:
                    out.append("%selse:" % ind)
                    self.block(out, ind + "    ", list(names), depth + 1, r.randrange(1, 3))
            elif k == 5:
                item = self.snake(1)
                out.append("%sfor %s in %s:" % (ind, item, r.choice(names) if names else "range(10)"))
                self.block(out, ind + "    ", names + [item], depth + 1, r.randrange(1, 4))
            elif k == 6:
                out.append("%stry:" % ind)
                self.block(out, ind + "    ", list(names), depth + 1, r.randrange(1, 3))
                ex = r.sample(EXCEPTIONS, r.choice((1, 1, 2)))
                out.append("%sexcept %s as exc:" % (ind, ex[0] if len(ex) == 1 else "(%s)" % ", ".join(ex)))
                if r.random() < 0.5:
                    out.append('%s    raise %s("%s") from exc' % (ind, r.choice(EXCEPTIONS), " ".join(self.word() for _ in range(4))))
                else:
                    out.append('%s    logger.exception("%s failed", exc_info=exc)' % (ind, self.func_name()))
                    out.append("%s    return None" % ind)
            elif k == 7:
                out.append('%swith %s(%s) as %s:' % (ind, r.choice(("open", "self._lock_for", "contextlib.closing", "self.session")), self.expr(names), "fh"))
                self.block(out, ind + "    ", names + ["fh"], depth + 1, r.randrange(1, 3))
            elif k == 8:
                v = self.snake(1)
                out.append("%s%s = {" % (ind, v))
                for _ in range(r.randrange(2, 6)):
                    out.append("%s    %r: %s," % (ind, self.snake(), self.expr(names)))
                out.append("%s}" % ind)
                names.append(v)
            else:
                v = self.snake(1)
                out.append("%swhile %s:" % (ind, self.cond(names)))
                self.block(out, ind + "    ", names + [v], depth + 1, r.randrange(1, 3))
                out.append("%s    break" % ind)

    def params(self, method):
        r = self.r
        ps, names = (["self"] if method else []), (["self"] if method else [])
        for i in range(r.randrange(0, 5)):
            p = self.snake(1)
            if p in names:
                continue
            names.append(p)
            typed = r.random() < 0.6
            ann = ": " + r.choice(TYPES) if typed else ""
            if i >= 2 and r.random() < 0.6:
                ps.append("%s%s = %s" % (p, ann, self.literal()))
            else:
                ps.append(p + ann)
        if r.random() < 0.15:
            ps.append("**kwargs")
            names.append("kwargs")
        # parameters with defaults must follow those without
        plain = [p for p in ps if "=" not in p and not p.startswith("*")]
        dflt = [p for p in ps if "=" in p]
        star = [p for p in ps if p.startswith("*")]
        return plain + dflt + star, names

    def docstring(self, ind):
        r = self.r
        first = "%s %s %s." % (r.choice(VERBS).capitalize(), self.snake().replace("_", " "), r.choice(("for the current context", "and return the result", "from the registry", "if needed", "in place", "lazily")))
        if r.random() < 0.5:
            return ['%s"""%s"""' % (ind, first)]
        lines = ['%s"""%s' % (ind, first), ""]
        for _ in range(r.randrange(1, 4)):
            lines.append("%s%s" % (ind, " ".join(self.word() for _ in range(r.randrange(6, 12))).capitalize() + "."))
        lines += ["", "%sArgs:" % ind]
        for _ in range(r.randrange(1, 3)):
            lines.append("%s    %s: %s." % (ind, self.snake(1), " ".join(self.word() for _ in range(r.randrange(3, 7)))))
        lines += ["", "%sReturns:" % ind, "%s    The %s." % (ind, self.snake().replace("_", " ")), '%s"""' % ind]
        return lines

    def function(self, out, ind="", method=False, name=None):
        r = self.r
        ps, names = self.params(method)
        ret = (" -> " + r.choice(TYPES)) if r.random() < 0.5 else ""
        if r.random() < 0.1:
            out.append("%s@functools.lru_cache(maxsize=%d)" % (ind, r.choice((32, 128, 1024))))
        out.append("%sdef %s(%s)%s:" % (ind, name or self.func_name(), ", ".join(ps), ret))
        out += self.docstring(ind + "    ")
        self.block(out, ind + "    ", names, 0, r.randrange(2, 7))
        out.append("%s    return %s" % (ind, self.expr(names)))
        out.append("")

    def klass(self, out):
        r = self.r
        name = self.camel()
        kind = r.randrange(6)
        if kind == 0:
            out.append("@dataclasses.dataclass(frozen=%s)" % r.choice(("True", "False")))
            out.append("class %s:" % name)
            out += self.docstring("    ")
            out.append("")
            fields = []
            for _ in range(r.randrange(2, 8)):
                f = self.snake(1)
                if f not in fields:
                    fields.append(f)
                    out.append("    %s: %s" % (f, r.choice(TYPES)))
            out.append("")
            for _ in range(r.randrange(0, 3)):
                self.function(out, "    ", method=True)
        elif kind == 1:
            out.append("class %s(enum.%s):" % (name, r.choice(("Enum", "IntEnum"))))
            out += self.docstring("    ")
            out.append("")
            seen = set()
            for i in range(r.randrange(3, 12)):
                m = self.word().upper()
                if m not in seen:
                    seen.add(m)
                    out.append("    %s = %d" % (m, i + 1))
            out.append("")
        else:
            base = r.choice(("object", "Exception", "abc.ABC", "collections.abc.Mapping", "threading.Thread", self.camel()))
            if base == "Exception":
                name += "Error"
            out.append("class %s(%s):" % (name, base))
            out += self.docstring("    ")
            out.append("")
            for _ in range(r.randrange(0, 4)):
                out.append("    %s = %s" % (self.const(), self.literal()))
            out.append("")
            attrs = []
            out.append("    def __init__(self, %s):" % ", ".join(["*args", "**kwargs"] if r.random() < 0.2 else [self.snake(1) + "=None" for _ in range(1)]))
            for _ in range(r.randrange(1, 6)):
                a = self.snake(1)
                attrs.append(a)
                out.append("        self._%s = %s" % (a, self.literal()))
            out.append("")
            if r.random() < 0.5:
                out.append("    @property")
                out.append("    def %s(self):" % (attrs[0]))
                out.append("        return self._%s" % attrs[0])
                out.append("")
            for _ in range(r.randrange(1, 6)):
                self.function(out, "    ", method=True)
            out.append("    def __repr__(self):")
            out.append('        return f"<%s %s={self._%s!r}>"' % (name, attrs[0], attrs[0]))
            out.append("")
        out.append("")

    def module(self, size, package):
        """A module of about size bytes."""
        r = self.r
        out = ['"""%s' % " ".join(self.word() for _ in range(r.randrange(3, 8))).capitalize() + ".", ""]
        for _ in range(r.randrange(0, 3)):
            out.append(" ".join(self.word() for _ in range(r.randrange(8, 14))).capitalize() + ".")
        out += ['"""', "", "from __future__ import annotations", ""]
        mods = sorted(set(r.sample(STDLIB, r.randrange(3, 9))) | {"abc", "collections.abc", "contextlib", "dataclasses", "enum", "functools", "logging", "threading"})
        out += ["import %s" % m for m in mods]
        out.append("from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence")
        out.append("")
        if r.random() < 0.5:
            out.append("from %s import %s" % (package, ", ".join(sorted({self.snake(1) for _ in range(r.randrange(1, 4))}))))
            out.append("")
        out += ["logger = logging.getLogger(__name__)", ""]
        for _ in range(r.randrange(1, 6)):
            out.append("%s = %s" % (self.const(), self.literal()))
        out.append("")
        out.append("__all__ = [%s]" % ", ".join(repr(self.camel()) for _ in range(r.randrange(1, 5))))
        out += ["", ""]
        total = sum(len(l) + 1 for l in out)
        while total < size:
            start = len(out)
            if r.random() < 0.2:
                out += ["# " + "-" * 76, "# " + self.sentence(2, 6), "# " + "-" * 76, "", ""]
            if r.random() < 0.55:
                self.function(out)
                out.append("")
            else:
                self.klass(out)
            grown = sum(len(l) + 1 for l in out[start:])
            if total + grown > MAX_MODULE and total > 1024:
                del out[start:]  # keep modules within 1-20 KB
                break
            total += grown
        if r.random() < 0.1:
            out += ['if __name__ == "__main__":', "    %s()" % self.func_name(), ""]
        return ("\n".join(out).rstrip() + "\n").encode()

    def stub(self, size):
        """A .pyi stub of about size bytes."""
        r = self.r
        out = ["from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence", ""]
        total = 0
        while total < size:
            start = len(out)
            if r.random() < 0.5:
                ps, _ = self.params(False)
                out.append("def %s(%s) -> %s: ..." % (self.func_name(), ", ".join(p.split("=")[0].rstrip() + (" = ..." if "=" in p else "") for p in ps), r.choice(TYPES)))
            else:
                out.append("class %s:" % self.camel())
                for _ in range(r.randrange(1, 4)):
                    out.append("    %s: %s" % (self.snake(1), r.choice(TYPES)))
                for _ in range(r.randrange(1, 6)):
                    ps, _ = self.params(True)
                    out.append("    def %s(%s) -> %s: ..." % (self.func_name(), ", ".join(p.split("=")[0].rstrip() + (" = ..." if "=" in p else "") for p in ps), r.choice(TYPES)))
                out.append("")
            total += sum(len(l) + 1 for l in out[start:])
        return ("\n".join(out).rstrip() + "\n").encode()

    def data(self, size):
        """A .json or .txt data file of about size bytes: (extension, bytes)."""
        r = self.r
        k = r.randrange(4)
        if k == 0:
            doc = {"$schema": "http://json-schema.org/draft-07/schema#", "title": self.camel(), "type": "object", "properties": {}}
            while len(json.dumps(doc)) < size:
                doc["properties"][self.snake()] = {"type": r.choice(("string", "integer", "boolean", "array", "number")),
                                                   "description": " ".join(self.word() for _ in range(r.randrange(3, 10))),
                                                   "default": json.loads(json.dumps(r.choice((None, 0, "", r.randrange(999)))))}
            return "json", json.dumps(doc, indent=2, sort_keys=True).encode() + b"\n"
        if k == 1:
            rows = [{"id": i, "name": self.snake(), "code": "%s-%04d" % (self.word()[:3].upper(), r.randrange(10000)),
                     "weight": round(r.uniform(0, 50), 3), "tags": r.sample(WORDS, 3)} for i in range(max(1, size // 110))]
            return "json", json.dumps(rows, indent=1).encode() + b"\n"
        if k == 2:
            lines = ["# %s" % " ".join(self.word() for _ in range(6))]
            n = 0
            while n < size:
                line = "%s,%s,%d,%.4f" % (self.word(), self.snake(), r.randrange(1 << 20), r.random())
                lines.append(line)
                n += len(line) + 1
            return "txt", ("\n".join(lines) + "\n").encode()
        lines, n = [], 0
        while n < size:
            line = 'msgid "%s"\nmsgstr "%s"\n' % (" ".join(self.word() for _ in range(r.randrange(2, 7))).capitalize(),
                                                    " ".join(r.choice(SYLLABLES) + r.choice(SYLLABLES) for _ in range(r.randrange(2, 7))))
            lines.append(line)
            n += len(line) + 1
        return "txt", "\n".join(lines).encode()


def big_blob(r, size):
    """size bytes of low-to-medium compressibility, in 64 KiB blocks: raw
    random bytes, random text over a skewed alphabet, or CSV rows."""
    text_alphabet = bytes((b" etaoinshrdlucmfwypvbgkjqxz\n,.0123456789ETAOINSHRDLU" * 8)[:256])
    hex_alphabet = bytes(b"0123456789abcdef" * 16)
    blocks, n = [], 0
    while n < size:
        want = min(65536, size - n)
        k = r.random()
        if k < 0.35:
            b = r.randbytes(want)
        elif k < 0.6:
            b = r.randbytes(want).translate(text_alphabet)
        elif k < 0.8:
            b = r.randbytes(want).translate(hex_alphabet)
        else:
            rows, m = [], 0
            while m < want:
                row = "%d,%.6f,%.6f,%d,%s\n" % (r.randrange(1 << 31), r.gauss(0, 1), r.uniform(-180, 180), r.randrange(5000), r.choice(WORDS))
                rows.append(row)
                m += len(row)
            b = "".join(rows).encode()[:want]
        blocks.append(b)
        n += len(b)
    return b"".join(blocks)


# -- ELF ------------------------------------------------------------------

def elf_info(data):
    """Parse a 64-bit little-endian ELF: (needed, glibc versions, absolute
    offsets of the RUNPATH/RPATH strings), or None for anything else."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1 or struct.unpack_from("<H", data, 0x12)[0] != 62:
        return None  # not ELF64 LE x86-64
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    secs = []
    for i in range(shnum):
        _, typ, _, _, off, size, link, info, _, _ = struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
        secs.append((typ, off, size, link, info))
    needed, versions, runpaths = [], [], []

    def cstr(base, o):
        return data[base + o:data.index(b"\0", base + o)]

    for typ, off, size, link, info in secs:
        strtab = secs[link][1]
        if typ == 6:  # SHT_DYNAMIC
            for j in range(0, size, 16):
                tag, val = struct.unpack_from("<qQ", data, off + j)
                if tag == 0:
                    break
                if tag == 1:
                    needed.append(cstr(strtab, val))
                elif tag in (15, 29):  # DT_RPATH, DT_RUNPATH
                    runpaths.append(strtab + val)
        elif typ == 0x6FFFFFFE:  # SHT_GNU_verneed
            p = off
            for _ in range(info):
                _, cnt, _, aux, nxt = struct.unpack_from("<HHIII", data, p)
                a = p + aux
                for _ in range(cnt):
                    _, _, _, name, anext = struct.unpack_from("<IHHII", data, a)
                    versions.append(cstr(strtab, name))
                    a += anext
                p += nxt
    return needed, versions, runpaths


def usable_elfs(so_dir, forbid):
    """The .so files of so_dir a manylinux wheel could hold, patched:
    [(name, bytes)], sorted by name."""
    out = []
    for name in sorted(os.listdir(so_dir)):
        if not name.endswith(".so"):
            continue
        with open(os.path.join(so_dir, name), "rb") as f:
            data = bytearray(f.read())
        info = elf_info(bytes(data))
        if info is None:
            continue
        needed, versions, runpaths = info
        if not set(needed) <= BASE_LIBS:
            continue
        glibc = [tuple(int(x) for x in v[6:].split(b".")) for v in versions if re.fullmatch(rb"GLIBC_[0-9.]+", v)]
        if glibc and max(glibc) > MAX_GLIBC:
            continue
        for off in runpaths:
            end = data.index(b"\0", off)
            if end - off >= len(b"$ORIGIN"):
                data[off:end] = b"$ORIGIN".ljust(end - off, b"\0")
        data = bytes(data)
        if any(s.encode() in data for s in forbid):
            continue
        out.append((name, data))
    return out


# -- distributions ----------------------------------------------------------

class Dist:
    def __init__(self, sp, name, version, top):
        self.sp, self.name, self.version, self.top = sp, name, version, top
        self.records = []  # (path relative to site-packages, data)
        self.scripts = []

    @property
    def distinfo(self):
        return "%s-%s.dist-info" % (re.sub(r"[-_.]+", "_", self.name), self.version)

    def write(self, rel, data, mode=0o644):
        p = os.path.join(self.sp, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        self.records.append((rel, "sha256=%s" % digest, len(data)))
        return len(data)


def record_line(path, digest, size):
    if any(c in path for c in ',"\n'):
        path = '"%s"' % path.replace('"', '""')
    return "%s,%s,%s" % (path, digest, size)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--venv", required=True)
    ap.add_argument("--so-dir", required=True, help="directory of amd64 .so files to copy (e.g. CPython's lib-dynload)")
    ap.add_argument("--forbid", action="append", default=[], help="a string no generated file may contain (repeatable)")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--target-mb", type=float, default=340, help="size the generated distributions are filled up to")
    ap.add_argument("--min-mb", type=float, default=320)
    ap.add_argument("--min-files", type=int, default=26000)
    ap.add_argument("--scale", type=float, default=1.0, help="scale every budget (for a quick smoke test)")
    a = ap.parse_args()
    n_py, n_pyi, n_data, n_elf = (int(x * a.scale) for x in (PY_FILES, PYI_FILES, DATA_FILES, ELF_FILES))
    a.target_mb, a.min_mb, a.min_files = a.target_mb * a.scale, a.min_mb * a.scale, int(a.min_files * a.scale)

    venv = os.path.abspath(a.venv)
    forbid = [s for s in a.forbid if s] + [venv, os.path.realpath(venv)]
    sps = [d for d in os.listdir(os.path.join(venv, "lib")) if d.startswith("python")]
    if len(sps) != 1:
        sys.exit("genvenv.py: %s/lib has %s, not one pythonX.Y" % (venv, sps))
    sp = os.path.join(venv, "lib", sps[0], "site-packages")
    r = random.Random(a.seed)
    src = Source(r)

    elfs = usable_elfs(a.so_dir, forbid)
    if len(elfs) < 10:
        sys.exit("genvenv.py: only %d usable .so files in %s" % (len(elfs), a.so_dir))
    small_elfs = [e for e in elfs if len(e[1]) < 400_000]
    big_elfs = [e for e in elfs if len(e[1]) >= 400_000] or elfs

    # Distribution names, sizes (a few large, many small) and features.
    n_dists = 70
    names, tops = set(), []
    while len(tops) < n_dists:
        n = "".join(r.choice(SYLLABLES) for _ in range(r.randrange(2, 4)))
        if r.random() < 0.3:
            n += r.choice(("lib", "py", "io", "kit", "x"))
        if n not in names and not n[0].isdigit():
            names.add(n)
            tops.append(n)
    weights = [r.paretovariate(1.1) for _ in tops]
    scale = n_py / sum(weights)
    py_counts = [max(6, int(w * scale)) for w in weights]
    py_counts[weights.index(max(weights))] += n_py - sum(py_counts)  # exact total

    dists = []
    stub_only = set(r.sample(range(n_dists), 2))
    typed = set(r.sample(range(n_dists), 18)) - stub_only
    with_data = set(r.sample(range(n_dists), 30)) - stub_only
    native = set(r.sample(range(n_dists), 24)) - stub_only
    with_tests = set(r.sample(range(n_dists), 20)) - stub_only
    with_script = set(r.sample(range(n_dists), 7)) - stub_only
    with_big = sorted(set(r.sample(sorted(with_data | native), 9)))
    n_stub = max(1, n_pyi // 48)  # per stub-only distribution
    pyi_counts = {i: (n_pyi - 2 * n_stub) // len(typed) for i in typed}
    data_counts = {i: n_data // len(with_data) for i in with_data}
    elf_counts = {i: max(1, n_elf // len(native)) for i in native}

    for i, top in enumerate(tops):
        dname = top.replace("_", "-") if r.random() < 0.7 else top.capitalize()
        if i in stub_only:
            dname = "types-" + top
        version = "%d.%d.%d" % (r.randrange(0, 8), r.randrange(0, 30), r.randrange(0, 12))
        d = Dist(sp, dname, version, top)
        dists.append(d)

        if i in stub_only:
            root = top + "-stubs"
            for j in range(n_stub):
                rel = "%s/%s.pyi" % (root, "__init__" if j == 0 else src.snake(r.choice((1, 2))) + "_%d" % j)
                d.write(rel, src.stub(int(r.uniform(800, 9000))))
            d.top = root
            continue

        # Package tree: subpackages up to 3 levels, about 14 modules each.
        n_mod = py_counts[i]
        dirs = [top]
        while len(dirs) * 14 < n_mod:
            parent = r.choice([x for x in dirs if x.count("/") < 3])
            child = parent + "/" + src.snake(1)
            if child not in dirs:
                dirs.append(child)
        if i in with_tests:
            dirs.append(top + "/tests")
        py_rels = []
        for x in dirs:
            py_rels.append(x + "/__init__.py")
        used = set(py_rels)
        while len(py_rels) < n_mod:
            x = r.choice(dirs)
            rel = "%s/%s.py" % (x, ("test_" if x.endswith("/tests") else "_" if r.random() < 0.15 else "") + src.snake(r.choice((1, 1, 2))))
            if rel not in used:
                used.add(rel)
                py_rels.append(rel)
        for rel in py_rels:
            if rel.endswith("__init__.py") and r.random() < 0.4:
                size = int(r.uniform(0, 900))  # many __init__.py are (nearly) empty
                data = ('"""%s."""\n' % src.snake().replace("_", " ").capitalize()).encode() if size > 100 else b""
            else:
                # log-uniform 1-20 KB: median about 4.5 KB
                data = src.module(int(2 ** r.uniform(9.97, 14.3)), rel.split("/")[0])
            d.write(rel, data)

        if i in typed:
            d.write(top + "/py.typed", b"")
            pyrels = [p for p in py_rels if not p.endswith("__init__.py")] or py_rels
            for j in range(pyi_counts[i]):
                base = pyrels[j % len(pyrels)][:-3]
                rel = base + (".pyi" if j < len(pyrels) else "_%d.pyi" % j)
                d.write(rel, src.stub(int(2 ** r.uniform(9, 13))))
        if i in with_data:
            sub = r.choice(("data", "templates", "locale", "schemas", "resources"))
            for j in range(data_counts[i]):
                ext, data = src.data(int(2 ** r.uniform(9, 14.5)))
                d.write("%s/%s/%s_%d.%s" % (top, sub, src.snake(1), j, ext), data)
        if i in native:
            for j in range(elf_counts[i]):
                if j % 9 == 8:  # a bundled library, as auditwheel puts them
                    _, data = r.choice(big_elfs)
                    rel = "%s.libs/lib%s-%08x.so.%d" % (top, src.word(), r.getrandbits(32), r.randrange(1, 4))
                else:
                    _, data = r.choice(small_elfs if r.random() < 0.85 else big_elfs)
                    rel = "%s/_%s%s.%s.so" % (top, src.snake(1), "" if j == 0 else "_%d" % j, PY_TAG)
                d.write(rel, data, 0o755)
        if i in with_script:
            for _ in range(r.randrange(1, 3)):
                script = top + "-" + r.choice(VERBS)
                func = src.func_name()
                body = ("#!%s/bin/python\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom %s.cli import %s\n"
                        "if __name__ == '__main__':\n"
                        "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
                        "    sys.exit(%s())\n") % (venv, top, func, func)
                d.scripts.append((script, "%s.cli:%s" % (top, func)))
                d.write("../../../bin/" + script, body.encode(), 0o755)

    # Fill up to the target size with a few big data files.
    def tree_size():
        return sum(sz for d in dists for _, _, sz in d.records)
    remaining = int(a.target_mb * 1e6) - tree_size()
    shares = [r.uniform(0.3, 1.5) for _ in range(BIG_FILES)]
    for k, share in enumerate(shares):
        d = dists[with_big[k % len(with_big)]]
        size = max(1 << 20, int(remaining * share / sum(shares)))
        name = r.choice(("weights", "embeddings", "tzdata", "corpus", "lexicon", "model", "index", "tiles", "fonts"))
        ext = r.choice(("bin", "dat", "idx", "pkl", "npy"))
        d.write("%s/_data/%s_%d.%s" % (d.top, name, k, ext), big_blob(r, size))

    # dist-info directories.
    all_names = [d.name for d in dists]
    for d in dists:
        di = d.distinfo
        reqs = sorted(set(r.sample(all_names, r.randrange(0, 5))) - {d.name})
        meta = ["Metadata-Version: 2.1", "Name: %s" % d.name, "Version: %s" % d.version,
                "Summary: %s" % " ".join(src.word() for _ in range(r.randrange(3, 9))).capitalize(),
                "Home-page: https://example.org/%s" % d.name.lower(),
                "Author: %s %s" % (src.word().capitalize(), src.word().capitalize()),
                "License: %s" % r.choice(LICENSES), "Requires-Python: >=3.8",
                "Classifier: Programming Language :: Python :: 3",
                "Classifier: Operating System :: POSIX :: Linux"]
        meta += ["Requires-Dist: %s>=%d.%d" % (q, r.randrange(0, 4), r.randrange(0, 20)) for q in reqs]
        meta += ["Requires-Dist: %s ; extra == 'dev'" % r.choice(("pytest", "mypy", "black"))]
        meta += ["Description-Content-Type: text/markdown", "", "# %s" % d.name, ""]
        meta += [" ".join(src.word() for _ in range(r.randrange(8, 16))).capitalize() + "." for _ in range(r.randrange(5, 40))]
        d.write(di + "/METADATA", ("\n".join(meta) + "\n").encode())
        d.write(di + "/INSTALLER", b"pip\n")
        pure = not any(p.endswith(".so") or ".so." in p for p, _, _ in d.records)
        tag = "py3-none-any" if pure else "cp311-cp311-manylinux_2_17_x86_64\nTag: cp311-cp311-manylinux2014_x86_64"
        d.write(di + "/WHEEL", ("Wheel-Version: 1.0\nGenerator: bdist_wheel (0.41.2)\nRoot-Is-Purelib: %s\nTag: %s\n\n"
                                % ("true" if pure else "false", tag)).encode())
        d.write(di + "/LICENSE", LICENSE_TEXT.format(year=r.randrange(2010, 2024), author=src.word().capitalize()).encode())
        d.write(di + "/top_level.txt", (d.top + "\n").encode())
        if d.scripts:
            d.write(di + "/entry_points.txt", ("[console_scripts]\n" + "".join("%s = %s\n" % s for s in d.scripts) + "\n").encode())
        lines = [record_line(p, h, s) for p, h, s in d.records] + [record_line(di + "/RECORD", "", "")]
        with open(os.path.join(sp, di, "RECORD"), "w", newline="") as f:
            f.write("\n".join(lines) + "\n")
        d.records.append((di + "/RECORD", "", os.path.getsize(os.path.join(sp, di, "RECORD"))))

    # Check the budgets and that nothing names a forbidden path (the console
    # scripts name the venv in their shebang, as pip writes them; wsgipack
    # rewrites those).
    n_files = sum(len(d.records) for d in dists)
    n_bytes = tree_size()
    for d in dists:
        for p, _, _ in d.records:
            if p.startswith("../"):
                continue
            with open(os.path.join(sp, p), "rb") as f:
                data = f.read()
            for s in forbid:
                if s.encode() in data:
                    sys.exit("genvenv.py: %s contains %s" % (p, s))
    n_elf = sum(1 for d in dists for p, _, _ in d.records if p.endswith(".so") or ".so." in p)
    summary = {"distributions": len(dists), "files": n_files, "bytes": n_bytes, "elf": n_elf,
               "elf_sources": len(elfs), "py": sum(1 for d in dists for p, _, _ in d.records if p.endswith(".py"))}
    print(json.dumps(summary))
    if n_bytes < a.min_mb * 1e6 or n_files < a.min_files:
        sys.exit("genvenv.py: generated %d files, %.1f MB; want at least %d files, %.0f MB" % (n_files, n_bytes / 1e6, a.min_files, a.min_mb))


if __name__ == "__main__":
    main()

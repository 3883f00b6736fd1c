# Rewrites the KEY=value environment file of a package made by an older
# wsgipack as POSIX sh (run by migrate_environment in install.sh.tmpl with
# the server's Python, -I -S). Each line is read exactly as that version's
# entry script read it: strip, skip blank and '#' lines, partition on '=',
# strip the key and an 'export ' prefix, strip the value and one pair of
# matching quotes at both ends. Arguments: the old file, this release's
# defaults (POSIX sh), the new file (appended to), and for the messages
# the backup's path, whether the old file was edited (yes or unknown) and
# the app's name.
#
# lintian reads this heredoc of the maintainer scripts as sh: its bashism
# checks must find nothing (str.strip(x) rather than x.strip() at the end
# of a line, no '((').
import os
import re
import subprocess
import sys

old, defaults_file, new, backup, edited, name = sys.argv[1:7]
Q = chr(39)


def shquote(s):
    """One POSIX sh word, as wsgipack renders the release's defaults."""
    return Q + s.replace(Q, Q + "\\" + Q + Q) + Q


def say(msg):
    print("%s: config: %s" % (name, msg))


def decode(b):
    return b.decode("utf-8", "surrogateescape")


with open(old, "rb") as f:
    lines = decode(f.read()).splitlines()

# This release's defaults, read as the entry script reads them.
run = subprocess.run(["/bin/sh", "-c", 'set -a; . "$1" || exit 1; exec /usr/bin/env -0', "sh", defaults_file],
                     env={}, stdout=subprocess.PIPE)
defaults = {}
if run.returncode == 0:
    for item in run.stdout.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep and key not in (b"PWD", b"OLDPWD", b"SHLVL", b"_"):
            defaults[decode(key)] = decode(value)
else:
    say("warning: cannot read this release's defaults (%s): every setting is kept" % defaults_file)

settings = []  # (line index, key, value), as the older entry script read them
for i, line in enumerate(lines):
    line = str.strip(line)
    if not line or line.startswith("#"):
        continue
    key, sep, value = line.partition("=")
    key = str.strip(key)
    if key.startswith("export "):
        key = str.strip(key[len("export "):])
    value = str.strip(value)
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    if sep and key:
        settings.append([i, key, value])
last = {key: i for i, key, _ in settings}
setting = {i: (key, value) for i, key, value in settings}

out = ["#",
       "# Migrated from the KEY=value file of an older version of %s (kept as" % name,
       "# %s): each value as that version read it. Lines" % backup,
       "# commented out set what this release's defaults set, were set again",
       "# further down, or were not settings; uncomment one to set it here."]
kept, defaulted, dropped = [], [], []
for i, raw in enumerate(lines):
    if i < 2:
        continue  # the older header
    line = str.strip(raw)
    if not line:
        out.append("")
    elif line.startswith("#"):
        out.append(line)
    elif i not in setting:
        out.append("# " + line + "  # not KEY=value: ignored before too")
        dropped.append("line %d (not KEY=value, ignored before too)" % (i + 1))
    else:
        key, value = setting[i]
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key, re.ASCII):
            out.append("# " + line + "  # not a sh variable name: no longer set")
            dropped.append("line %d: %r is not a sh variable name, so the app no longer gets it" % (i + 1, key))
        elif last[key] != i:
            out.append("# %s=%s  # set again below" % (key, shquote(value)))
        elif defaults.get(key) == value:
            out.append("# %s=%s  # as this release's default" % (key, shquote(value)))
            defaulted.append(key)
        else:
            out.append("%s=%s" % (key, shquote(value)))
            kept.append(key)

with open(new, "ab") as f:
    f.write("\n".join(out + [""]).encode("utf-8", "surrogateescape"))
say("%s was the older package's KEY=value file, %s: rewritten as POSIX sh, values unchanged (the old file: %s)"
    % (old, "edited" if edited == "yes" else "edited or not (no record to compare with)", backup))
say("kept: %s" % (", ".join(kept) or "none"))
if defaulted:
    say("commented out, as this release's defaults: %s" % ", ".join(defaulted))
for d in dropped:
    say("warning: commented out %s" % d)

# Compiles Python sources to bytecode for their final paths.
#
# stdin: one JSON object per line: {"src": file to read, "dest": the path the
# file will have when installed, "out": where to write the .pyc}.
# Files are compiled in fixed-size chunks, each in a fresh worker process, so
# that the output does not depend on the number of CPUs (marshal output can
# depend on what the process compiled before).
# stdout: one line per file that does not compile: "dest<TAB>error".
import json
import multiprocessing
import os
import py_compile
import sys

CHUNK = 64


def compile_chunk(jobs):
    failed = []
    for job in jobs:
        os.makedirs(os.path.dirname(job["out"]), exist_ok=True)
        try:
            py_compile.compile(
                job["src"],
                cfile=job["out"],
                dfile=job["dest"],
                doraise=True,
                invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            )
        except (py_compile.PyCompileError, SyntaxError, ValueError) as e:
            msg = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
            failed.append(job["dest"] + "\t" + msg)
    return failed


def main():
    jobs = [json.loads(line) for line in sys.stdin if line.strip()]
    chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else os.cpu_count() or 1
    if workers <= 1 or len(chunks) <= 1:
        results = [compile_chunk(c) for c in chunks]
    else:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(workers, maxtasksperchild=1) as pool:
            results = pool.map(compile_chunk, chunks, chunksize=1)
    for failed in results:
        for line in failed:
            print(line)


if __name__ == "__main__":
    main()

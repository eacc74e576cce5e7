#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""provd's layout rules (issue 11), checked so they cannot rot:

 1. no include circle between provd's units (a unit is name.c, name.h and
    name_impl.h, the private header of the files that implement name) nor
    between its folders;
 2. a file of a stage includes headers of its own stage and of the stages
    before it in provd/stages.txt, never of a later one;
 3. no provd .c file over MAX_LINES lines (split by responsibility).

Usage: check-layout.py [PROVD_DIR]   (default: the provd/ next to scripts/)
Exit 0 when the layout holds, 1 with one line per violation otherwise.
"""
import os
import re
import sys

MAX_LINES = 650
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def read_stages(root):
    """[(stage, [top-level files] or None for a folder)] in order."""
    stages = []
    with open(os.path.join(root, "stages.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, _, files = line.partition(":")
            stages.append((name.strip(), files.split() if _ else None))
    return stages


def provd_files(root):
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                out.append(os.path.relpath(os.path.join(d, f), root))
    return out


def unit_of(rel):
    base = rel[:-2]
    return base[:-5] if base.endswith("_impl") else base


def resolve(root, rel, inc):
    """The provd file an #include "inc" in rel names, or None (not provd's)."""
    for cand in (os.path.join(os.path.dirname(rel), inc), inc):
        cand = os.path.normpath(cand)
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def find_cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "provd")
    stages = read_stages(root)
    rank, top = {}, {}
    for i, (name, files) in enumerate(stages):
        rank[name] = i
        for f in files or ():
            top[f] = name
    errors = []

    def stage_of(rel):
        if "/" in rel:
            folder = rel.split("/", 1)[0]
            return folder if folder in rank and not dict(stages)[folder] else None
        return top.get(rel)

    units, folders = {}, {}
    for rel in provd_files(root):
        st = stage_of(rel)
        if st is None:
            errors.append(f"{rel}: in no stage of stages.txt")
            continue
        text = open(os.path.join(root, rel), errors="replace").read()
        if rel.endswith(".c") and text.count("\n") > MAX_LINES:
            errors.append(f"{rel}: {text.count(chr(10))} lines, over {MAX_LINES}: split it by responsibility")
        for inc in INCLUDE.findall(text):
            target = resolve(root, rel, inc)
            if target is None:
                continue
            tst = stage_of(target)
            if tst is None:
                continue
            if "/" in target and "/" not in inc:
                errors.append(f"{rel}: includes \"{inc}\": name its folder (\"{target}\")")
            if rank[tst] > rank[st]:
                errors.append(f"{rel}: includes {target}: stage {st} must not use the later stage {tst}")
            a, b = unit_of(rel), unit_of(target)
            if a != b:
                units.setdefault(a, set()).add(b)
            if st != tst:
                folders.setdefault(st, set()).add(tst)
    for comp in find_cycles(units):
        errors.append("include circle between units: " + " ".join(comp))
    for comp in find_cycles(folders):
        errors.append("include circle between stages: " + " ".join(comp))
    for e in errors:
        print(e)
    if errors:
        print(f"check-layout: {len(errors)} violation(s) in {root}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

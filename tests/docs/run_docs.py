#!/usr/bin/python3
"""The doc test: runs every ```sh block of README.md and docs/*.md, as written, on the embedded data.

Usage: run_docs.py MEDGEN_CLI SOURCE_DIR [DOC.md...]   (default: README.md and docs/*.md)

Each document gets its own scratch folder (removed afterwards) holding build/ (links to the
executables beside MEDGEN_CLI, so build/medgen is the binary under test), a copy of data/ and a
copy of tests/data/. The document's sh blocks run there in order, each in a fresh
`bash -eu -o pipefail` with stdin from /dev/null, so a block may use files an earlier block of the
same document wrote but must set its own variables (B=build/medgen). The rules, the reduced-size
marker `# doc-test: ...` and the lint are described in tests/docs/README.md.

Environment: MEDGEN_DOC_TIMEOUT (seconds per document, default 600), MEDGEN_DOC_JOBS (documents run
side by side, default 2), MEDGEN_DOC_KEEP=1 keeps the scratch folders and prints where they are.
"""

import concurrent.futures
import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MARK = "# doc-test:"
FENCE = re.compile(r"^(\s*)```\s*([^\s`]*)\s*$")
RUNNABLE = "sh"
# Languages a fenced block may carry. Shell code that must not run is `text` (or `console`).
KNOWN = {"sh", "text", "console", "json", "cpp", "cmake", "python", "csv", "html", "yaml"}
BENCH = re.compile(r"\bbuild/(bench_\w+)")
BARE_MEDGEN = re.compile(r"(^|[\s;|&(`])medgen(\s|$)")


class DocError(Exception):
    """A problem with a document itself (markup, lint, marker), reported with its line."""


class Command:
    """One logical command: physical lines joined by trailing backslashes."""

    def __init__(self, first, lines):
        self.first = first  # document line number of the first physical line
        self.lines = lines  # the physical lines as written

    @property
    def last(self):
        return self.first + len(self.lines) - 1


class Block:
    def __init__(self, doc, line, lang):
        self.doc = doc
        self.line = line  # document line number of the opening fence
        self.lang = lang
        self.body = []  # (document line number, text)


def parse_blocks(path, rel):
    blocks, errors, cur, indent = [], [], None, ""
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, start=1):
            text = text.rstrip("\n")
            m = FENCE.match(text)
            if cur is None:
                if m:
                    indent, lang = m.group(1), m.group(2)
                    cur = Block(rel, n, lang)
                    if not lang:
                        errors.append(f"{rel}:{n}: fenced block without a language: mark it sh (run by the "
                                      "doc test) or text")
                    elif lang not in KNOWN:
                        errors.append(f"{rel}:{n}: fenced block marked '{lang}': use sh (run by the doc test) "
                                      f"or text (shown only); known: {', '.join(sorted(KNOWN))}")
            elif m and not m.group(2):
                blocks.append(cur)
                cur = None
            else:
                cur.body.append((n, text[len(indent):] if text.startswith(indent) else text.lstrip()))
    if cur is not None:
        errors.append(f"{rel}:{cur.line}: fenced block never closed")
    return blocks, errors


def split_comment(line):
    """(code, comment) of one shell line: the comment starts at the first unquoted '#' that
    begins a word."""
    quote, prev = None, " "
    for i, c in enumerate(line):
        if quote:
            if c == quote and (quote == "'" or prev != "\\"):
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and prev in " \t;|&(":
            return line[:i], line[i:]
        prev = c
    return line, ""


def commands(block):
    out, pending = [], None
    for n, text in block.body:
        if pending is None:
            pending = Command(n, [text])
        else:
            pending.lines.append(text)
        code, _ = split_comment(text)
        if not code.rstrip().endswith("\\"):
            out.append(pending)
            pending = None
    if pending is not None:
        out.append(pending)
    return out


def parse_marker(text, where):
    """`--opt VALUE ...` (set options) or `OLD => NEW` (replace text)."""
    text = text.strip()
    if "=>" in text:
        old, new = (s.strip() for s in text.split("=>", 1))
        if not old:
            raise DocError(f"{where}: '{MARK} OLD => NEW' needs the text to replace")
        return ("replace", old, new)
    try:
        toks = shlex.split(text)
    except ValueError as e:
        raise DocError(f"{where}: cannot read marker '{text}': {e}")
    opts, i = [], 0
    while i < len(toks):
        if not toks[i].startswith("-"):
            raise DocError(f"{where}: marker '{text}': expected an option, found '{toks[i]}' "
                           f"(write '{MARK} --opt VALUE ...' or '{MARK} OLD => NEW')")
        if i + 1 < len(toks) and not toks[i + 1].startswith("-"):
            opts.append((toks[i], toks[i + 1]))
            i += 2
        else:
            opts.append((toks[i], None))
            i += 1
    if not opts:
        raise DocError(f"{where}: empty marker")
    return ("options", opts)


def apply_marker(cmd, where):
    """The command's physical lines with its marker applied (same number of lines)."""
    codes, comments = zip(*(split_comment(l) for l in cmd.lines))
    codes, marker = list(codes), None
    for i, c in enumerate(comments):
        if MARK in c:
            if i != len(comments) - 1:
                raise DocError(f"{where}: the marker must be on the command's last line")
            marker = parse_marker(c.split(MARK, 1)[1], where)
    if marker is None:
        return list(cmd.lines)
    joined = "\n".join(codes)
    if marker[0] == "replace":
        _, old, new = marker
        if old not in joined:
            raise DocError(f"{where}: marker replaces '{old}', which the command does not contain")
        joined = joined.replace(old, new)
    else:
        for opt, val in marker[1]:
            pat = re.compile(r"(?<=\s)" + re.escape(opt) + (r"(=|\s+)(\"[^\"]*\"|'[^']*'|[^\s;|&]+)" if val is not None else r"(?=\s|$)"))
            if pat.search(joined):
                if val is not None:
                    joined = pat.sub(lambda m: opt + m.group(1) + val, joined)
                continue
            if re.search(r"\||&&|;|\$\(|<\(", joined.split("\n")[-1]):
                raise DocError(f"{where}: marker adds {opt} to a compound command: write the option in "
                               "the command and let the marker change its value")
            body = joined.rstrip()
            tail = joined[len(body):]
            joined = body + " " + opt + ("" if val is None else " " + shlex.quote(val)) + tail
    new_codes = joined.split("\n")
    return [c + (" " if c and not c.endswith(" ") and m else "") + m for c, m in zip(new_codes, comments)]


def lint(cmd, where):
    for l in cmd.lines:
        code, _ = split_comment(l)
        if BARE_MEDGEN.search(code):
            raise DocError(f"{where}: runs 'medgen' from PATH: write build/medgen, or set B=build/medgen in "
                           "the block and write $B")


def block_script(block):
    """(script text, {document line: Command}) for one block. Line k of the script is line k of the
    document, so bash's own messages ("line 42: B: unbound variable") name document lines."""
    head = ('set -eu -o pipefail; trap \'echo "$LINENO" > "$MEDGEN_DOC_ERRLINE"\' ERR; '
            '__doc_unexpected_success() { echo "doc-test: this example should have failed" >&2; '
            'echo "$1" > "$MEDGEN_DOC_ERRLINE"; exit 1; }')
    lines, owner = [head], {}
    for cmd in commands(block):
        where = f"{block.doc}:{cmd.first}"
        lint(cmd, where)
        text = apply_marker(cmd, where)
        code, comment = split_comment(text[0])
        if code.lstrip().startswith("! "):
            if len(text) != 1:
                raise DocError(f"{where}: an example meant to fail ('! cmd') must fit on one line")
            indent = code[:len(code) - len(code.lstrip())]
            text = [f"{indent}if {code.lstrip()[2:].rstrip()}; then __doc_unexpected_success "
                    f"{cmd.first}; fi {comment}".rstrip()]
        while len(lines) < cmd.first - 1:
            lines.append("")
        for t in text:
            lines.append(t)
            owner[len(lines)] = cmd
    return "\n".join(lines) + "\n", owner


def make_scratch(root, cli, src):
    os.makedirs(os.path.join(root, "build"))
    bindir = os.path.dirname(os.path.realpath(cli))
    for name in os.listdir(bindir):
        p = os.path.join(bindir, name)
        if os.path.isfile(p) and (os.access(p, os.X_OK) or name.endswith(".so")):
            os.symlink(p, os.path.join(root, "build", name))
    target = os.path.join(root, "build", "medgen")
    if os.path.lexists(target):
        os.remove(target)
    os.symlink(os.path.realpath(cli), target)
    shutil.copytree(os.path.join(src, "data"), os.path.join(root, "data"))
    shutil.copytree(os.path.join(src, "tests", "data"), os.path.join(root, "tests", "data"))


def tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            lines = f.readlines()
    except OSError:
        return ""
    return "".join(lines[-n:])


def run_document(rel, blocks, cli, src, budget, keep):
    runnable = [b for b in blocks if b.lang == RUNNABLE]
    if not runnable:
        return True, f"ok   {rel}: no sh blocks"
    scripts = []
    try:
        for b in runnable:
            scripts.append((b,) + block_script(b))
    except DocError as e:
        return False, f"FAIL {e}"
    root = tempfile.mkdtemp(prefix="medgen-doc-")
    start = time.monotonic()
    try:
        make_scratch(root, cli, src)
        env = dict(os.environ)
        env["TMPDIR"] = root
        errfile = os.path.join(root, ".doc-test-errline")
        env["MEDGEN_DOC_ERRLINE"] = errfile
        log = os.path.join(root, ".doc-test-output")
        ncmd, skipped = 0, []
        for block, script, owner in scripts:
            # Benchmark programs exist only with MEDGEN_BUILD_BENCH=ON (make's default): a block
            # that runs one is skipped, and said so, in a build without them.
            missing = sorted({m for m in BENCH.findall(script)
                              if not os.path.exists(os.path.join(root, "build", m))})
            if missing:
                skipped.append(f"     {rel}: skipped the block at line {block.line}: build/{missing[0]} "
                               "not built (MEDGEN_BUILD_BENCH=OFF)")
                continue
            ncmd += len({id(c) for c in owner.values() if split_comment(c.lines[0])[0].strip()})
            path = os.path.join(root, f".doc-test-block-{block.line}.sh")
            with open(path, "w") as f:
                f.write(script)
            if os.path.exists(errfile):
                os.remove(errfile)
            left = budget - (time.monotonic() - start)
            with open(log, "w") as out:
                p = subprocess.Popen(["bash", path], cwd=root, env=env, stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
                try:
                    rc = p.wait(timeout=max(left, 1))
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
                    return False, (f"FAIL {rel}: block at line {block.line} still running after the document's "
                                   f"{budget:.0f} s (mark long commands with '{MARK} ...')\n"
                                   f"---- output (last lines)\n{tail(log)}")
            if rc != 0:
                where, shown = f" (block at line {block.line})", ""
                try:
                    with open(errfile) as f:
                        cmd = owner.get(int(f.read().strip() or 0))
                except (OSError, ValueError):
                    cmd = None
                if cmd is not None:
                    where = f":{cmd.first}"
                    shown = "\n".join("    " + l for l in cmd.lines) + "\n"
                return False, (f"FAIL {rel}{where}: exit {rc}\n{shown}"
                               f"---- output (last lines)\n{tail(log).replace(path, rel)}")
        return True, "\n".join([f"ok   {rel}: {len(runnable) - len(skipped)} sh blocks, {ncmd} commands, "
                                f"{time.monotonic() - start:.1f} s"] + skipped)
    finally:
        if keep:
            print(f"     {rel}: scratch folder kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    cli, src = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    if not os.access(cli, os.X_OK):
        print(f"{cli}: not an executable", file=sys.stderr)
        return 2
    docs = argv[3:] or ["README.md"] + sorted(os.path.relpath(p, src) for p in glob.glob(os.path.join(src, "docs", "*.md")))
    budget = float(os.environ.get("MEDGEN_DOC_TIMEOUT", "600"))
    keep = os.environ.get("MEDGEN_DOC_KEEP") == "1"
    jobs = max(1, int(os.environ.get("MEDGEN_DOC_JOBS", "2")))

    def one(rel):
        path = rel if os.path.isabs(rel) else os.path.join(src, rel)
        blocks, errors = parse_blocks(path, rel)
        if errors:
            return False, "\n".join(f"FAIL {e}" for e in errors)
        return run_document(rel, blocks, cli, src, budget, keep)

    # Documents are independent (one scratch folder each): run them side by side.
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, docs))
    fails = 0
    for ok, msg in results:
        print(msg, flush=True)
        fails += not ok
    if fails:
        print(f"{fails} document(s) failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

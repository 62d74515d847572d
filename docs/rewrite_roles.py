"""Rewrite the Sphinx roles of mdcd_lab's docstrings and ``#:`` comments as mkdocstrings
cross-references: ``:func:`to_csv``` -> ``[`to_csv`][mdcd_lab.io.to_csv]`` where a page of
the site renders the target (the identifiers of ``site/objects.inv``), else plain code
(````to_csv````).  Names resolve as Sphinx resolves them: from the docstring's object
outwards (class, module, imports), ``~`` shows the last component, ``.name`` is relative.
Lines that grow past 100 characters are reflowed within their paragraph.

It did the rewrite of issue 24; run it again if a merge brings roles back
(tests/test_docs_site.py fails on any), after ``make docs`` has built ``site/``:

    .venv/bin/python docs/rewrite_roles.py [--dry] [--report FILE]
"""
import ast
import io
import json
import pathlib
import re
import sys
import tokenize
import zlib

import griffe

ROLE = re.compile(r":(func|class|data|mod|meth|attr|obj|exc):`([^`]*)`")
LIMIT = 100


def inventory(path="site/objects.inv"):
    d = open(path, "rb").read()
    i = 0
    for _ in range(4):
        i = d.index(b"\n", i) + 1
    out = {}
    for line in zlib.decompress(d[i:]).decode().splitlines():
        name, _role, _prio, url = line.split()[:4]
        anchor = url.split("#", 1)[1]
        out[name] = name if anchor == "$" else anchor
    return out


INV = inventory()
loader = griffe.GriffeLoader(search_paths=["."])
loader.load("mdcd_lab")
loader.resolve_aliases(implicit=False, external=False)
COLL = loader.modules_collection


def get(path):
    try:
        return COLL[path]
    except Exception:
        return None


def canonical(obj):
    try:
        return obj.final_target.path if obj.is_alias else obj.path
    except Exception:
        return None


def candidates(scope, name, module_path):
    if name.startswith("."):
        pkg = module_path
        yield pkg + name
        yield pkg.rsplit(".", 1)[0] + name
        return
    if name.startswith("mdcd_lab"):
        yield name
        return
    head, _, rest = name.partition(".")
    s = scope
    while s is not None:
        try:
            members = s.members
        except Exception:
            members = {}
        if head in members:
            m = members[head]
            yield m.path + ("." + rest if rest else "")
            try:
                if m.is_alias:
                    yield m.target_path + ("." + rest if rest else "")
            except Exception:
                pass
        s = s.parent
    yield "mdcd_lab." + name


def resolve(scope, role, raw, module_path):
    """(display, target or None, note)."""
    name = raw.strip().lstrip("!")
    short = name.startswith("~")
    name = name.lstrip("~")
    if name.endswith("()"):
        name = name[:-2]
    display = name.rsplit(".", 1)[-1] if short else name.lstrip(".")
    for cand in candidates(scope, name, module_path):
        obj = get(cand)
        if obj is None:
            continue
        try:
            if role in ("func", "class", "data", "attr", "meth") and obj.is_module:
                last = cand.rsplit(".", 1)[-1]
                if last in obj.members:
                    obj = obj.members[last]
                    cand = cand + "." + last
        except Exception:
            pass
        canon = canonical(obj)
        for key in (canon, cand):
            if key and key in INV:
                return display, INV[key], cand
        return display, None, f"unrendered {canon or cand}"
    return display, None, "unresolved"


def docstring_owners(tree, module_path):
    """{(line, col) of a docstring token: qualified path of its owner}; [(start, end, path)]
    of every class and function (for comments)."""
    owners, spans = {}, []

    def walk(node, path):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                owners[(body[0].value.lineno, body[0].value.col_offset)] = path
        if isinstance(body, list):
            for a, b in zip(body, body[1:], strict=False):
                if (isinstance(a, (ast.Assign, ast.AnnAssign)) and isinstance(b, ast.Expr)
                        and isinstance(b.value, ast.Constant) and isinstance(b.value.value, str)):
                    owners[(b.value.lineno, b.value.col_offset)] = path
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                spans.append((child.lineno, child.end_lineno, path + "." + child.name))
                walk(child, path + "." + child.name)
            elif isinstance(child, (ast.If, ast.Try, ast.With)):
                walk(child, path)
    walk(tree, module_path)
    return owners, spans


def scope_of(path):
    while path:
        obj = get(path)
        if obj is not None:
            return obj
        path = path.rsplit(".", 1)[0] if "." in path else ""
    return None


LIST = re.compile(r"^([-*+]|\d+\.)\s")
BAD_START = re.compile(r"^([-*+>#|=]|\d+\.)")


def prefix_of(line):
    m = re.match(r'^(\s*)(#: ?|#)?([rRbBuU]?"""|[rRbBuU]?\'\'\')?', line)
    lead = m.group(1) + (m.group(2) or "")
    content = line[len(m.group(0)):]
    body_prefix = lead
    bullet = LIST.match(content)
    if bullet:
        body_prefix = lead + " " * len(bullet.group(0))
    return m.group(0), body_prefix, content


def split_point(line, start):
    """Index of the space to break `line` at (<= LIMIT), or None."""
    cut = line.rfind(" ", start, LIMIT + 1)
    while cut > start:
        rest = line[cut + 1:]
        if not BAD_START.match(rest) and line[:cut].strip():
            return cut
        cut = line.rfind(" ", start, cut)
    return None


def is_continuation(lines, j, body_prefix):
    if j >= len(lines):
        return False
    nxt = lines[j]
    if not nxt.startswith(body_prefix) or not nxt[len(body_prefix):].strip():
        return False
    rest = nxt[len(body_prefix):]
    if rest[0].isspace() or rest.startswith(('"""', "'''", ">>>", "..", "|")) or LIST.match(rest):
        return False
    if j + 1 < len(lines) and re.match(r"^\s*-{3,}\s*$", lines[j + 1]):
        return False   # a numpy section header
    if body_prefix.strip() == "" and nxt.lstrip().startswith("#"):
        return False
    return True


def reflow(lines, i, last):
    """Make lines[i] fit, carrying words down its paragraph (never past line `last`, the
    end of its docstring or comment).  Returns the new `last` (lines may be inserted)."""
    while i < len(lines) and len(lines[i]) > LIMIT:
        head, body_prefix, _ = prefix_of(lines[i])
        cut = split_point(lines[i], len(head))
        if cut is None:
            return None
        carried = lines[i][cut + 1:].lstrip()
        lines[i] = lines[i][:cut].rstrip()
        if i + 1 <= last and is_continuation(lines, i + 1, body_prefix):
            lines[i + 1] = body_prefix + carried + " " + lines[i + 1][len(body_prefix):]
        else:
            lines.insert(i + 1, body_prefix + carried)
            last += 1
        i += 1
    return last


def convert_file(path, report):
    src = path.read_text()
    module_path = ".".join(path.with_suffix("").parts)
    if module_path.endswith(".__init__"):
        module_path = module_path[: -len(".__init__")]
    tree = ast.parse(src)
    owners, spans = docstring_owners(tree, module_path)
    # (start offset, end offset, owner path) of every docstring and `#:` comment
    line_starts = [0]
    for ln in src.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(ln))
    regions = []
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if not ROLE.search(tok.string):
            continue
        a = line_starts[tok.start[0] - 1] + tok.start[1]
        b = line_starts[tok.end[0] - 1] + tok.end[1]
        if tok.type == tokenize.STRING and tok.start in owners:
            regions.append((a, b, owners[tok.start]))
        elif tok.type == tokenize.COMMENT and tok.string.startswith("#:"):
            owner = module_path
            for s, e, p in spans:
                if s <= tok.start[0] <= e and len(p) > len(owner):
                    owner = p
            regions.append((a, b, owner))
        else:
            raise SystemExit(f"{path}:{tok.start[0]}: a role outside a docstring")
    if not regions:
        return 0
    out, pos, n = [], 0, 0
    spans_new = []   # (first line, last line) of each region in the new text (0-based)
    for a, b, owner in regions:
        scope = scope_of(owner)
        text = src[a:b]

        def repl(m, scope=scope, owner=owner):
            nonlocal n
            n += 1
            display, target, note = resolve(scope, m.group(1), m.group(2), module_path)
            report.append({"file": str(path), "owner": owner, "role": m.group(1),
                           "raw": m.group(2), "target": target, "note": note})
            if target:
                return f"[`{display}`][{target}]"
            return f"``{display}``"
        out.append(src[pos:a])
        first = "".join(out).count("\n")
        out.append(ROLE.sub(repl, text))
        spans_new.append((first, "".join(out).count("\n")))
        pos = b
    out.append(src[pos:])
    new = "".join(out)
    old_lines = set(src.splitlines())
    lines = new.splitlines()
    shift = 0
    for first, last in spans_new:
        first, last = first + shift, last + shift
        if lines[first].lstrip().startswith("#:"):   # a `#:` block is one paragraph
            lead = lines[first][: len(lines[first]) - len(lines[first].lstrip())] + "#:"
            while last + 1 < len(lines) and lines[last + 1].startswith(lead):
                last += 1
        i = first
        while i <= last:
            if len(lines[i]) > LIMIT and lines[i] not in old_lines:
                new_last = reflow(lines, i, last)
                if new_last is None:
                    report.append({"file": str(path), "overlong": lines[i]})
                else:
                    shift += new_last - last
                    last = new_last
            i += 1
    new = "\n".join(lines) + ("\n" if new.endswith("\n") else "")
    if "--dry" not in sys.argv:
        path.write_text(new)
    return n


def main() -> None:
    report = []
    total = 0
    for f in sorted(pathlib.Path("mdcd_lab").rglob("*.py")):
        total += convert_file(f, report)
    linked = sum(1 for r in report if r.get("target"))
    print(f"{total} roles: {linked} links, {total - linked} plain code")
    if "--report" in sys.argv:
        json.dump(report, open(sys.argv[sys.argv.index("--report") + 1], "w"), indent=1)


main()

"""Payload accounting, run INSIDE the runtime image as root by bench/image.sh.

argv[1]: the base image's packages (space separated). Prints a Markdown section:
the image's files grouped by what they are for, payload (base OS, Python, the
venv, Ice, JRE, bioformats2raw) versus the rest, by real file sizes.
"""
import os
import re
import sys

from biomero_worker import layout

base_pkgs = set(sys.argv[1].split())
status = open("/var/lib/dpkg/status").read().split("\n\n")
deps, installed = {}, []
for block in status:
    fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", block, re.M))
    name = fields.get("Package")
    if not name or "installed" not in fields.get("Status", ""):
        continue
    installed.append(name)
    names = []
    for key in ("Depends", "Pre-Depends"):
        for alt in fields.get(key, "").split(","):
            first = alt.split("|")[0].strip().split(" ")[0].split(":")[0]
            if first:
                names.append(first)
    deps[name] = names


def closure(roots):
    seen, todo = set(), [r for r in roots if r in deps]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo += [d for d in deps.get(p, []) if d in deps]
    return seen


seen_inodes = set()


def size(path):
    try:
        st = os.lstat(path)
    except OSError:
        return 0
    if not os.path.isfile(path) or os.path.islink(path) or st.st_ino in seen_inodes:
        return 0
    seen_inodes.add(st.st_ino)
    return st.st_size


def pkg_size(p):
    total = 0
    for arch in ("", ":amd64"):
        try:
            for line in open(f"/var/lib/dpkg/info/{p}{arch}.list"):
                total += size(line.rstrip("\n"))
        except OSError:
            pass
    return total


def tree_size(root):
    total = 0
    for d, _, files in os.walk(root):
        for f in files:
            total += size(os.path.join(d, f))
    return total


groups = [  # (label, payload?, package roots)
    ("base OS (the base image's packages)", True, sorted(base_pkgs)),
    ("Python (Debian python3 and what it pulls in)", True, ["python3"]),
    ("Ice (zeroc-icegrid, zeroc-ice-utils and deps)", True, ["zeroc-icegrid", "zeroc-ice-utils"]),
    ("JRE (openjdk-17-jre-headless and deps)", True, ["openjdk-17-jre-headless"]),
    ("libpq5 and deps (psycopg2's runtime library)", False, ["libpq5"]),
    ("openssh-client and deps", False, ["openssh-client"]),
    ("tini", False, ["tini"]),
]
rows, assigned = [], set()
for label, payload, roots in groups:
    members = (closure(roots) if roots != sorted(base_pkgs) else set(roots) & set(deps)) - assigned
    assigned |= members
    if members:
        rows.append((label, payload, sum(pkg_size(p) for p in members)))
rest = sorted(set(installed) - assigned)
if rest:
    rows.append(("other packages: " + ", ".join(rest), False, sum(pkg_size(p) for p in rest)))

venv = str(layout.VENV)  # runs in the image: the layout module is installed there
ours = 0
for d in os.listdir(f"{venv}/lib/python3.11/site-packages"):
    if d.split("-")[0] in ("config_merge", "biomero_worker", "biomero_worker_tools"):
        ours += tree_size(f"{venv}/lib/python3.11/site-packages/{d}")
rows.append(("this repo's packages (in the venv)", False, ours))
rows.append((f"the venv ({venv}, all wheels of the lock)", True, tree_size(venv)))
rows.append(("bioformats2raw", True, tree_size(f"{layout.HOME}/bioformats2raw")))
# Debian compiles python3's standard library at install time (py3compile):
# the __pycache__ files are no package's, but they are Python
pyc = 0
for d, _, files in os.walk("/usr/lib"):
    if d.startswith("/usr/lib/python3") and d.endswith("__pycache__"):
        pyc += sum(size(os.path.join(d, f)) for f in files)
rows.append(("Python's byte-compiled standard library (py3compile)", True, pyc))
rows.append(("startup.d, config layers, entrypoint, merged config", False,
             tree_size("/startup") + tree_size("/opt/omero/server/config")
             + size("/usr/local/bin/entrypoint.sh") + tree_size("/var/lib/biomero-worker")))
accounted = sum(r[2] for r in rows)
# everything else, counted once (inodes already seen above are skipped)
rest_files, rest_by_dir = 0, {}
for top in os.listdir("/"):
    p = "/" + top
    if top not in ("proc", "sys", "dev") and os.path.isdir(p) and not os.path.islink(p):
        for d, _, files in os.walk(p):
            n = sum(size(os.path.join(d, f)) for f in files)
            key = "/".join(d.split("/")[:4])
            rest_by_dir[key] = rest_by_dir.get(key, 0) + n
            rest_files += n
rows.append(("files no package or step above owns (dpkg database, /etc, ...)", False, rest_files))
total = accounted + rest_files
payload = sum(r[2] for r in rows if r[1])


def mib(b):
    return f"{b / 1048576:.1f}"


print("## What the runtime holds (file sizes inside the image)")
print()
print("| what | MiB | payload |")
print("| --- | ---: | --- |")
for label, is_payload, b in rows:
    print(f"| {label} | {mib(b)} | {'yes' if is_payload else 'no'} |")
print(f"| **total** | **{mib(total)}** | |")
print()
top = sorted(rest_by_dir.items(), key=lambda kv: -kv[1])[:5]
print()
print("Largest places of the files no package owns: "
      + ", ".join(f"`{k}` {mib(v)} MiB" for k, v in top) + ".")
print()
print(f"Beyond the payload: **{mib(total - payload)} MiB = "
      f"{100 * (total - payload) / total:.1f} %** of the image (target < 10 %).")

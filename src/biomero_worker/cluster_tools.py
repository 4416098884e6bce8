"""The programs biomero runs over SSH on the Slurm login node, probed in one round
trip for doctor's `cluster-tools` check.

One POSIX shell script (``script``) runs every probe on the login node and prints
one line per tool, ``KEY<TAB>ok|missing|broken<TAB>PATH<TAB>EXIT<TAB>LAST LINE``,
then an end marker. It uses only shell built-ins besides the programs it probes
(a broken grep must not break the probe of another tool) and bounds each program
with ``timeout`` when the login node has it. ``parse`` reads that output back and
``Report`` turns it into doctor's lines, each naming what biomero uses the tool for.

What biomero 2.8.3 (biomero/slurm_client.py) runs, and so what is probed:
  sbatch   every job submission
  sacct    job state (``sacct -n -o JobId,State,End -X -j JOB``): needs accounting
  7z/7za   [SLURM] slurm_zip_cmd (or BIOMERO_SLURM_ZIP_CMD), 7-Zip syntax; unset:
           ``$(command -v 7z || command -v 7za)``; a program named ``zip``
           selects Info-ZIP syntax and the ``unzip`` beside it
  perl     the data location read from a job's log (``perl -wne``)
  strings  a running job's progress (``tail -n N LOG | strings``)
  grep -P  image versions, converters and data files (``grep -oP``, lookarounds)
  git      only with [SLURM] slurm_script_repo: cloned, then ``git -C DIR pull``

What biomero 2.9 runs there besides (``plan(..., release=)``: the installed release):
  nohup    workflow images pulled on the login node in the background
           (``nohup env … bash pull_images.sh … &``) unless slurm_image_pull_via_sbatch
  apptainer/singularity  on the login node itself with remote_shallow_zarr (its
           default): the installed shallower image's labels (``inspect --json
           --labels``); also whether a pulled image is sound
  awk, sort  a remote shallower job found again after a restart
           (``sacct --name=… | awk … | sort -u``)
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field

from . import biomero_contract

OK, MISSING, BROKEN = "ok", "missing", "broken"  # what the probe answers
UNUSED, UNCHECKED = "unused", "unchecked"  # decided from the configuration
END = "end\tbiomero-worker-doctor"
ZIP_ENV = "BIOMERO_SLURM_ZIP_CMD"
# A slurm_zip_cmd made of these characters only is a plain command line: its first
# word is the program the shell runs, found without expanding anything.
PLAIN = re.compile(r"[A-Za-z0-9_./+@%:,= -]+")
ALTERNATIVES = ("7z", "7za", "7zz", "zip")  # named when the configured one is absent
SACCT = "sacct -n -X -j 1 -o JobId"
SAMPLE = {  # filter probes: input, expected output, command
    "perl": ("job 42 done", "42", ["perl", "-wne", r"/job (\d+) done/ and print $1"]),
    "strings": ("biomero-doctor", "biomero-doctor", ["strings"]),
    "grep": ("w_v1.2.sif", "v1.2", ["grep", "-oP", r"(?<=_)v[0-9.]+(?=\.sif)"]),
    "awk": ("42 RUNNING", "42", ["awk", "NF {print $1}"]),
    "sort": ("42", "42", ["sort", "-u"]),
}
# biomero's reading of a boolean variable (SlurmClient._get_config_value): these
# words, lower-cased; any other value leaves the configured one.
TRUE_WORDS = ("true", "1", "yes", "y", "on")
FALSE_WORDS = ("false", "0", "no", "n", "off")

# Shell functions of the probe (no external program besides the probed ones).
LIBRARY = r"""
_bw_nl='
'
_bw_pick() {  # first|last CASE-PATTERN TEXT: that line of TEXT matching the pattern
  _bw_r=$3 _bw_p=
  while [ -n "$_bw_r" ]; do
    _bw_x=${_bw_r%%"$_bw_nl"*}
    case $_bw_r in *"$_bw_nl"*) _bw_r=${_bw_r#*"$_bw_nl"};; *) _bw_r=;; esac
    case $_bw_x in $2) _bw_p=$_bw_x; [ "$1" = first ] && break;; esac
  done
  printf '%s' "$_bw_p"
}
_bw_put() {  # KEY STATUS PATH EXIT OUTPUT: one line, the output's last non-blank line
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$(_bw_pick last '*[![:space:]]*' "$5")"
}
_bw_have() {  # PROGRAM: its path (a name on the PATH, or an executable file)
  case $1 in
    */*) [ -f "$1" ] && [ -x "$1" ] && printf '%s\n' "$1" ;;
    *) command -v "$1" ;;
  esac
}
_bw_alts() {
  for _bw_a in ALTERNATIVES; do
    _bw_f=$(command -v "$_bw_a") && printf '%s ' "$_bw_f"
  done
}
_bw_found() {  # KEY PROGRAM: on the PATH
  if _bw_p=$(_bw_have "$2"); then _bw_put "$1" ok "$_bw_p" 0 ""
  else _bw_put "$1" missing "$2" 127 ""; fi
}
_bw_exec() {  # KEY PROGRAM ARGS...: on the PATH, and exits 0
  _bw_k=$1; shift
  _bw_p=$(_bw_have "$1") || { _bw_put "$_bw_k" missing "$1" 127 ""; return; }
  _bw_o=$($_bw_t "$@" </dev/null 2>&1); _bw_c=$?
  if [ $_bw_c -eq 0 ]; then _bw_put "$_bw_k" ok "$_bw_p" 0 "$_bw_o"
  else _bw_put "$_bw_k" broken "$_bw_p" $_bw_c "$_bw_o"; fi
}
_bw_filter() {  # KEY INPUT EXPECTED PROGRAM ARGS...: turns INPUT into EXPECTED
  _bw_k=$1 _bw_i=$2 _bw_e=$3; shift 3
  _bw_p=$(_bw_have "$1") || { _bw_put "$_bw_k" missing "$1" 127 ""; return; }
  _bw_o=$(printf '%s\n' "$_bw_i" | $_bw_t "$@" 2>&1); _bw_c=$?
  if [ $_bw_c -eq 0 ] && [ "$_bw_o" = "$_bw_e" ]; then _bw_put "$_bw_k" ok "$_bw_p" 0 "$_bw_o"
  else _bw_put "$_bw_k" broken "$_bw_p" $_bw_c "$_bw_o"; fi
}
_bw_7zip() {  # KEY PROGRAM: on the PATH, and its banner says 7-Zip
  _bw_p=$(_bw_have "$2") || { _bw_put "$1" missing "$2" 127 "$(_bw_alts)"; return; }
  _bw_o=$($_bw_t "$2" </dev/null 2>&1); _bw_c=$?
  _bw_b=$(_bw_pick first '*7-Zip*' "$_bw_o")
  if [ -n "$_bw_b" ]; then _bw_put "$1" ok "$_bw_p" $_bw_c "$_bw_b"
  else _bw_put "$1" broken "$_bw_p" $_bw_c "$_bw_o"; fi
}
""".replace("ALTERNATIVES", " ".join(ALTERNATIVES))


@dataclass
class Tool:
    key: str  # in the probe's output
    name: str  # shown
    purpose: str  # what biomero runs it for, said when it is missing or broken
    probe: str | None  # the shell line (built with shlex.quote); None: known here
    expect: str | None = None  # filter probes: what it must print
    note: str = ""  # where its choice comes from (the zip command's setting)
    seven_zip: bool = False  # probed for 7-Zip's banner
    known: tuple[str, str] | None = None  # (status, detail) when not probed


def decided(name: str, status: str, detail: str) -> Tool:
    """A line decided without the login node (configuration alone)."""
    return Tool(name, name, "", None, known=(status, detail))


@dataclass
class Answer:
    status: str
    path: str
    code: int
    text: str


@dataclass
class ZipCommand:
    value: str | None
    source: str  # where the value comes from, for the report

    @property
    def default(self) -> bool:
        return self.value == zip_default()


def zip_default() -> str:
    """biomero's default zip command, used when slurm_zip_cmd and BIOMERO_SLURM_ZIP_CMD
    are unset or empty: asked of biomero (its record: biomero_contract)."""
    return biomero_contract.recorded_defaults()["slurm_zip_cmd"]


def zip_command(cfg, env) -> ZipCommand:
    """The zip command biomero 2.8.3 runs (SlurmClient.from_config): a non-empty
    BIOMERO_SLURM_ZIP_CMD, else a non-empty [SLURM] slurm_zip_cmd, else its default."""
    if env.get(ZIP_ENV):
        return ZipCommand(env[ZIP_ENV], f"{ZIP_ENV}={env[ZIP_ENV]}")
    default = zip_default()
    value = cfg.get("SLURM", "slurm_zip_cmd", fallback=default)
    if value is None:  # a bare key: biomero keeps None and writes "None" as the program
        return ZipCommand(None, "slurm_zip_cmd without a value")
    if value == "":
        value = default
    if value == default:
        return ZipCommand(value, "slurm_zip_cmd unset: biomero runs 7z, else 7za")
    return ZipCommand(value, f"slurm_zip_cmd={value}")


def script_repo_set(cfg) -> bool:
    """Whether biomero clones [SLURM] slurm_script_repo (its value is never shown: a
    URL may hold a token)."""
    return bool((cfg.get("SLURM", "slurm_script_repo", fallback="") or "").strip())


def _call(*words: str) -> str:
    return " ".join(shlex.quote(w) for w in words)


def _program(word: str) -> str:
    """WORD as a shell word naming the same program (~/ as the login node's $HOME)."""
    if word.startswith("~/"):
        return '"$HOME"/' + shlex.quote(word[2:])
    return shlex.quote(word)


def _filter(key: str) -> str:
    given, expected, argv = SAMPLE[key]
    return _call("_bw_filter", key, given, expected, *argv)


@dataclass
class Plan:
    """The report's lines in order: what is probed on the login node, and what is
    known without probing."""
    tools: list[Tool] = field(default_factory=list)

    @property
    def probed(self) -> list[Tool]:
        return [t for t in self.tools if t.probe is not None]

    def script(self, limit: int) -> str:
        """The probe: a POSIX shell script, each program bounded by LIMIT seconds."""
        lines = ["_bw_t=", f"command -v timeout >/dev/null 2>&1 && _bw_t='timeout {limit}'",
                 LIBRARY.strip()]
        lines += [t.probe for t in self.probed]
        lines.append(f"printf '%s\\n' {shlex.quote(END)}")
        return "\n".join(lines) + "\n"


def setting(cfg, env, option: str, var: str, default: bool) -> tuple[bool, str]:
    """A [SLURM] boolean as biomero 2.9 reads it (VAR in the environment first, when
    it is one of its words), and where it comes from."""
    word = env.get(var, "").lower()
    if word in TRUE_WORDS + FALSE_WORDS:
        return word in TRUE_WORDS, f"{var}={env[var]}"
    try:
        value = cfg.getboolean("SLURM", option, fallback=default)
    except ValueError:  # config validation names it; biomero itself would not start
        return default, f"[SLURM] {option} unreadable: its default"
    if cfg.has_option("SLURM", option):
        return value, f"[SLURM] {option}"
    return value, f"[SLURM] {option} unset: biomero's default"


def release_at_least(release: str | None, minimum: tuple[int, ...]) -> bool:
    """Whether biomero RELEASE (e.g. 2.9.0b15) is MINIMUM or newer (None: no)."""
    if not release:
        return False
    numbers = re.match(r"\d+(?:\.\d+)*", release)
    return bool(numbers) and tuple(int(n) for n in numbers[0].split(".")) >= minimum


def plan(cfg, env, release: str | None = None) -> Plan:
    """The tools biomero RELEASE (the installed one, doctor asks) runs with this
    merged config CFG and environment ENV."""
    p = Plan()
    p.tools.append(Tool("sbatch", "sbatch", "biomero submits every job with sbatch",
                        _call("_bw_exec", "sbatch", "sbatch", "--version")))
    p.tools.append(Tool("sacct", "sacct", "biomero polls job state with "
                        "`sacct -n -o JobId,State,End -X -j JOB`, which needs Slurm "
                        "accounting (slurmdbd)", _call("_bw_exec", "sacct", *SACCT.split())))
    _plan_zip(p, zip_command(cfg, env))
    p.tools.append(Tool("perl", "perl", "biomero reads where a job's data is from the job "
                        "log with `perl -wne`", _filter("perl"), SAMPLE["perl"][1]))
    p.tools.append(Tool("strings", "strings", "biomero reads a running job's progress "
                        "through `tail … | strings` (binutils)", _filter("strings"),
                        SAMPLE["strings"][1]))
    p.tools.append(Tool("grep", "grep", "biomero lists workflow versions, converters and "
                        "data files with `grep -oP` lookarounds (GNU grep with PCRE)",
                        _filter("grep"), SAMPLE["grep"][1]))
    if script_repo_set(cfg):
        p.tools.append(Tool("git", "git", "[SLURM] slurm_script_repo is set: biomero clones "
                            "it (setup_job_scripts) and pulls it (`git -C … pull`)",
                            _call("_bw_exec", "git", "git", "--version")))
    else:
        p.tools.append(decided("git", UNUSED, "not needed: [SLURM] slurm_script_repo is empty "
                                            "(biomero writes the job scripts itself)"))
    if release_at_least(release, (2, 9)):
        _plan_2_9(p, cfg, env)
    return p


def _plan_2_9(p: Plan, cfg, env) -> None:
    via_sbatch, source = setting(cfg, env, "slurm_image_pull_via_sbatch",
                                 "BIOMERO_IMAGE_PULL_VIA_SBATCH", False)
    if via_sbatch:
        p.tools.append(decided("nohup", UNUSED, f"not needed: images are pulled by a Slurm "
                                              f"job ({source})"))
    else:
        p.tools.append(Tool("nohup", "nohup", "biomero pulls workflow images on the login node "
                            "in the background (`nohup env … bash pull_images.sh &`)",
                            _call("_bw_found", "nohup", "nohup"), note=source))
    shallow, source = setting(cfg, env, "remote_shallow_zarr", "BIOMERO_REMOTE_SHALLOW_ZARR",
                              True)
    if shallow:
        p.tools.append(Tool("container", "apptainer/singularity", "biomero reads the remote "
                            "shallower image's labels on the login node (`inspect --json "
                            "--labels`) and checks pulled images there",
                            "if _bw_have apptainer >/dev/null; then _bw_found container "
                            "apptainer; else _bw_found container singularity; fi",
                            note=source))
        for key, use in (("awk", "`sacct --name=… | awk …`"), ("sort", "`… | sort -u`")):
            p.tools.append(Tool(key, key, f"biomero finds a remote shallower job again after "
                                f"a restart with {use}", _filter(key), SAMPLE[key][1],
                                note=source))
    else:
        p.tools.append(Tool("container", "apptainer/singularity", "", None, known=(
            UNUSED, f"not needed on the login node: no remote shallowing ({source})")))


SEVEN = "biomero packs job results (`a -y … -tzip`) and unpacks inputs (`x -y -o…`) with it"


def _plan_zip(p: Plan, z: ZipCommand) -> None:
    if z.default:  # biomero's own choice, made on the login node: 7z, else 7za
        p.tools.append(Tool("zip", "7z/7za", SEVEN, "if _bw_have 7z >/dev/null; then "
                            "_bw_7zip zip 7z; else _bw_7zip zip 7za; fi", note=z.source,
                            seven_zip=True))
        return
    if z.value is None:
        p.tools.append(decided("zip", BROKEN, f"{z.source}: biomero would run `None a -y …` "
                                            "(give it a value, or remove it)"))
        return
    try:
        words = shlex.split(z.value)
    except ValueError as exc:
        p.tools.append(decided("zip", BROKEN, f"{z.source}: cannot be split into words "
                                            f"({exc}): every zip command biomero builds with "
                                            "it fails"))
        return
    if not words:
        p.tools.append(decided("zip", BROKEN, f"{z.source}: blank, biomero would run no "
                                            "program"))
        return
    word = words[0]
    name = posixpath.basename(word) or word
    plain = PLAIN.fullmatch(z.value[2:] if word.startswith("~/") else z.value)
    if not plain:
        p.tools.append(decided("zip", UNCHECKED, f"{z.source}: shell syntax, which doctor "
                                               "does not run; biomero runs it as the zip "
                                               "program"))
        return
    if name == "zip":  # Info-ZIP syntax, with the unzip beside it (biomero's rule)
        unzip = posixpath.join(posixpath.dirname(word), "unzip")
        p.tools.append(Tool("zip", name, "biomero packs job results with `zip -r`",
                            _call("_bw_found", "zip") + " " + _program(word), note=z.source))
        p.tools.append(Tool("unzip", posixpath.basename(unzip),
                            f"biomero unpacks inputs with {unzip}, the unzip beside the "
                            "configured zip", _call("_bw_found", "unzip") + " " + _program(unzip),
                            note=z.source))
        return
    p.tools.append(Tool("zip", name, SEVEN, _call("_bw_7zip", "zip") + " " + _program(word),
                        note=z.source, seven_zip=True))


def parse(stdout: str, keys: list[str]) -> tuple[dict[str, Answer], bool]:
    """The answers by key, and whether the output is complete: the end marker seen
    and exactly one well-formed line per key. Other lines (a login banner) are ignored."""
    answers: dict[str, Answer] = {}
    ended, repeated = False, False
    for raw in stdout.splitlines():
        line = raw.rstrip("\r")
        if line == END:
            ended = True
            continue
        parts = line.split("\t", 4)
        if (len(parts) != 5 or parts[0] not in keys or parts[1] not in (OK, MISSING, BROKEN)
                or not parts[3].isdigit()):
            continue
        repeated = repeated or parts[0] in answers
        answers[parts[0]] = Answer(parts[1], parts[2], int(parts[3]),
                                   parts[4].replace("\t", " ").strip())
    return answers, ended and not repeated and set(answers) == set(keys)


def table(rows: list[tuple[str, str, str]], min_width: int = 0) -> list[str]:
    """(name, status, detail) rows as doctor's aligned lines under a check (also
    used by the slurm-paths check)."""
    width = max(min_width, *(len(r[0]) for r in rows))
    return [f"{n:<{width}} {s:<9} {d}" for n, s, d in rows]


def problems(rows: list[tuple[str, str, str]], states: tuple[str, ...]) -> str:
    """"missing: a, b; broken: c": the names of the rows in each of STATES, in
    that order; empty when no row is in any of them."""
    return "; ".join(f"{st}: {', '.join(n for n, s, _ in rows if s == st)}"
                     for st in states if any(s == st for _, s, _ in rows))


def _said(text: str) -> str:
    return f'"{text}"' if text else "no output"


def describe(tool: Tool, a: Answer, host: str, limit: int) -> str:
    """The detail of one tool's line."""
    source = f" ({tool.note})" if tool.note else ""
    if a.status == MISSING:
        if tool.name in ("7z/7za", "apptainer/singularity"):
            where = f"neither {' nor '.join(tool.name.split('/'))} is on {host}'s PATH"
        elif "/" in a.path:
            where = f"{a.path} is not an executable file on {host}"
        else:
            where = f"{a.path} is not on {host}'s PATH"
        if tool.key == "zip" and a.text:  # the zip programs the login node does have
            where += f" (found {', '.join(a.text.split())}: set slurm_zip_cmd to one"
            where += ")" if tool.name == "7z/7za" else ", or leave it empty for 7z, else 7za)"
        return f"{where}: {tool.purpose}{source}"
    if a.status == BROKEN:
        if a.code == 124:
            how = f"gave no answer within {limit} s"
        elif tool.expect is not None and a.code == 0:
            how = f"printed {_said(a.text)} instead of \"{tool.expect}\""
        elif tool.seven_zip:
            how = f"does not say it is 7-Zip (exit {a.code}: {_said(a.text)})"
        else:
            how = f"exits {a.code}: {_said(a.text)}"
        return f"{a.path} {how}: {tool.purpose}{source}"
    if tool.seven_zip:
        return f"{a.path}, {a.text.split(' : ')[0].strip()}{source}"
    extra = {"sbatch": f" ({a.text})" if a.text else "",
             "sacct": f" answers `{SACCT}`",
             "grep": ", -P lookarounds work",
             "git": f" ({a.text})" if a.text else ""}.get(tool.key, "")
    return a.path + extra + source


def report(p: Plan, stdout: str, stderr: str, code: int, host: str,
           limit: int) -> tuple[str, str]:
    """(status, detail) of the probe's output: FAIL when a required tool is missing
    or broken or the output is incomplete, WARN when the zip command could not be
    checked, else OK. The first line sums up, then one line per tool."""
    answers, complete = parse(stdout, [t.key for t in p.probed])
    rows: list[tuple[str, str, str]] = []
    for t in p.tools:
        if t.known:
            rows.append((t.name, *t.known))
            continue
        a = answers.get(t.key)
        if a is None:
            rows.append((t.name, "?", "no answer from the probe"))
            continue
        name = t.name
        if t.name == "7z/7za" and a.status != MISSING:
            name = posixpath.basename(a.path)  # what biomero's default picks there
        rows.append((name, a.status, describe(t, a, host, limit)))
    lines = table(rows, min_width=8)
    what = f"{sum(1 for r in rows if r[1] != UNUSED)} tools biomero runs over SSH on {host}"
    if not complete:
        absent = [t.name for t in p.probed if t.key not in answers]
        why = (f"no line for {', '.join(absent)}" if absent
               else "no end marker, or a tool answered twice")
        said = stderr.strip().splitlines()
        first = f"probe output incomplete (exit {code}; {why})" + (
            f": {said[-1]}" if said else "")
        return "FAIL", "\n".join([first] + lines)
    unchecked = [n for n, s, _ in rows if s == UNCHECKED]
    if failed := problems(rows, (MISSING, BROKEN)):
        return "FAIL", "\n".join([f"{failed} (of {what})"] + lines)
    if unchecked:
        return "WARN", "\n".join([f"{what}: present, {', '.join(unchecked)} not checked"]
                                 + lines)
    return "OK", "\n".join([f"{what}: all present"] + lines)

"""`doctor`: is this worker ready? One line per check, non-zero exit when a required
check fails, with the reason. Every check is bounded in time, so doctor reports
rather than hangs when a neighbour is down.

  config     the slurm-config layers merge and validate; biomero reads the merged file
  ssh-keys   ~/.ssh is 700, private keys 600, the key ssh would use for [SSH] host exists
  host-keys  whether biomero's connections verify the cluster's host key (a mounted
             known_hosts with an entry for it), or accept any key (a warning)
  ssh        `ssh -o BatchMode=yes` to [SSH] host answers (ConnectTimeout)
  slurm      Slurm answers on the login node (sinfo)
  slurm-paths  the [SLURM] paths biomero uses exist on the cluster
  cluster-tools  the programs biomero runs over SSH on the login node, one round trip:
             sbatch, sacct (answering), the zip command, perl, strings, grep -P, and
             git when [SLURM] slurm_script_repo is set; with biomero 2.9 also nohup,
             apptainer/singularity, awk and sort, as its settings need; one line each
  database   the analytics database accepts a login and biomero's tables exist
             (skipped when [ANALYTICS] track_workflows is off)
  registry   the master's IceGrid registry answers (CONFIG_omero_master_host)
  node       this container's node is registered (only when a node runs here)
  detached   BIOMERO_DETACHED_WORKFLOWS is not true (no supervisor here: runs would
             wait for ever)
  script-env which allow-listed variables are set, passed to every script (names only)
  bioformats2raw  present or not (information)

Usage: doctor [--skip CHECK,...] [--only CHECK,...] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import configparser
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from config_merge.text import breaks_line

from . import (
    analytics_db,
    biomero_contract,
    cluster_tools,
    env_settings,
    layout,
    node,
    runtime_config,
    ssh_mount,
)

OK, FAIL, WARN, SKIP, INFO = "OK", "FAIL", "WARN", "SKIP", "INFO"

# what biomero does in each [SLURM] path it uses (doctor's reason when one is missing)
SLURM_PATH_USES = {
    "slurm_data_path": "each run's data, unpacked, converted and zipped there",
    "slurm_images_path": "workflow images, pulled there",
    "slurm_converters_path": "converter images and the converter script",
    "slurm_script_path": "job scripts, written (or cloned) there",
}


def slurm_paths() -> dict[str, str]:
    """biomero's default for each path, asked of biomero (its record: biomero_contract;
    read when needed, so that no other command depends on the record)."""
    defaults = biomero_contract.recorded_defaults()
    return {k: defaults[k] for k in SLURM_PATH_USES}


class RefusedHost(Exception):
    """[SSH] host would be an option on ssh's command line; nothing was run."""


@dataclass
class Result:
    status: str
    detail: str


class Doctor:
    def __init__(self, timeout: float = 10.0, environ=None):
        self.timeout = timeout
        self.env = dict(os.environ if environ is None else environ)
        self.home = Path(self.env.get("HOME", "/opt/omero/server"))
        self._cfg = None
        self.ssh_ok = None
        self._ssh_settings: list[str] | None = None

    # -- helpers ---------------------------------------------------------------
    def cfg(self) -> configparser.ConfigParser:
        if self._cfg is None:
            self._cfg = runtime_config.read_merged(self.env)
        return self._cfg

    def ssh_host(self) -> str:
        """[SSH] host, refused (RefusedHost) when ssh could take it for an option: the
        merged file may predate the rule, or be one a deployer wrote."""
        from config_merge.validate import ssh_host_problem

        host = self.cfg().get("SSH", "host", fallback="slurm")
        if problem := ssh_host_problem(host):
            where = f"{layout.merged_path(self.env)}: SSH.host"
            raise RefusedHost(f"{where}: {problem}; no ssh command run")
        return host

    def command(self, argv: list[str]) -> subprocess.CompletedProcess:
        """Run ARGV without stdin, output captured, for at most twice the timeout."""
        return subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout * 2,
                              stdin=subprocess.DEVNULL)

    def ssh(self, command: str) -> subprocess.CompletedProcess:
        connect = max(1, int(self.timeout / 2))
        return self.command(["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={connect}",
                             "-o", "StrictHostKeyChecking=accept-new", "-o", "LogLevel=ERROR",
                             "--", self.ssh_host(), command])

    # -- checks ----------------------------------------------------------------
    def check_config(self) -> Result:
        merged_now, errors, warnings = runtime_config.merge_and_check(self.env)
        if errors:
            return Result(FAIL, "invalid layer(s):\n" + "\n".join(errors))
        merged = layout.merged_path(self.env)
        if not merged.exists():
            return Result(FAIL, f"{merged} missing: the start-up config step did not run")
        notes = []
        if merged.read_text() != merged_now.result.text:
            notes.append(f"{merged} is older than its layers (re-merged at the next script "
                         f"run, or run `python -m biomero_worker config refresh`)")
        n = sum(lay.present() for lay in layout.layers(self.env))
        detail = f"{merged} valid ({n} layers, {len(warnings)} warnings)"
        chosen = self.env.get(layout.CONFIG_FILE_VAR)
        if chosen and not layout.reads_merged(chosen, self.env):
            detail += (f"; {layout.CONFIG_FILE_VAR}={chosen} is the web admin's layer "
                       f"(scripts read {merged})")
        from config_merge.summary import summarise

        extra = "\n".join(summarise(warnings) + merged_now.notes)
        if notes:
            return Result(WARN, detail + "; " + "; ".join(notes) + ("\n" + extra if extra else ""))
        return Result(OK, detail + ("\n" + extra if extra else ""))

    def check_ssh_keys(self) -> Result:
        if why := ssh_mount.mount_problem(ssh_mount.mount_path(self.env)):
            return Result(FAIL, why)
        d = self.home / ".ssh"
        if not d.is_dir():
            return Result(FAIL, f"{d} missing: mount the key directory at "
                                f"{layout.SSH_MOUNT} (read-only)")
        problems = []
        mode = stat.S_IMODE(d.stat().st_mode)
        if mode & ~ssh_mount.DIR_MODE & 0o777:
            problems.append(f"{d} has mode {mode:o}, must be {ssh_mount.DIR_MODE:o}")
        private = []
        for f in sorted(d.iterdir()):
            if not f.is_file():
                continue
            m = stat.S_IMODE(f.stat().st_mode)
            want = ssh_mount.mode_for(f.name)
            if m & ~want & 0o777:
                problems.append(f"{f} has mode {m:o}, must be {want:o}"
                                + (" (ssh refuses it)" if want == ssh_mount.PRIVATE_MODE
                                   else ""))
            if not ssh_mount.is_public(f.name):
                private.append(f.name)
        # The identity files ssh would use for [SSH] host (from ~/.ssh/config too).
        wanted = [os.path.expanduser(line.split(None, 1)[1])
                  for line in self.ssh_settings() if line.startswith("identityfile ")]
        existing = [w for w in wanted if os.path.isfile(w)]
        for name in private:
            if why := self.key_problem(d / name):
                problems.append(f"{d / name} {why}")
        if not private:
            problems.append(f"no private key in {d} (mount one at {layout.SSH_MOUNT})")
        elif wanted and not existing:
            problems.append(f"none of the keys ssh uses for {self.ssh_host()!r} exists: "
                            + ", ".join(wanted))
        if problems:
            return Result(FAIL, "; ".join(problems))
        return Result(OK, f"{d} 700; private: {', '.join(private)} (600)")

    def key_problem(self, key: Path) -> str | None:
        """Why ssh cannot use the private KEY (None: it parses). `ssh-keygen -y` derives
        the public key from a copy in a private directory (it insists on mode 600),
        with an empty passphrase so that it never asks; nothing it prints is shown."""
        with tempfile.TemporaryDirectory(prefix="doctor-key-") as tmp:
            copy = Path(tmp) / "key"
            try:
                with key.open("rb") as src, open(os.open(copy, os.O_WRONLY | os.O_CREAT,
                                                         0o600), "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except OSError as exc:
                return f"cannot be read: {exc.strerror or exc}"
            try:
                r = subprocess.run(["ssh-keygen", "-y", "-P", "", "-f", str(copy)],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True, timeout=self.timeout)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return f"not checked: ssh-keygen failed ({type(exc).__name__})"
        if r.returncode == 0:
            return None
        if "passphrase" in r.stderr.lower():
            return ("is encrypted with a passphrase: ssh in BatchMode and biomero cannot "
                    "unlock it (mount a key without a passphrase)")
        return "is not a private key ssh can read (ssh-keygen -y refuses it)"

    def ssh_settings(self) -> list[str]:
        """`ssh -G` for [SSH] host: what ssh resolves it to through ~/.ssh/config (run
        once; empty when ssh cannot say)."""
        if self._ssh_settings is None:
            try:
                self._ssh_settings = self.command(["ssh", "-G", "--", self.ssh_host()]
                                                  ).stdout.splitlines()
            except (OSError, subprocess.TimeoutExpired):
                self._ssh_settings = []
        return self._ssh_settings

    def ssh_target(self) -> tuple[str, str]:
        """(host name, port) ssh resolves [SSH] host to."""
        found = dict(line.split(None, 1) for line in self.ssh_settings() if " " in line)
        return found.get("hostname", self.ssh_host()), found.get("port", "22")

    def check_host_keys(self) -> Result:
        from . import ssh_host_keys

        path = ssh_host_keys.known_hosts(self.env)
        if not path.is_file():
            return Result(WARN, f"no {path}: biomero's SSH connections accept any host key "
                                "(mount a known_hosts with the cluster's key at "
                                f"{layout.SSH_MOUNT})")
        host, port = self.ssh_target()
        name = host if port == "22" else f"[{host}]:{port}"
        found = self.command(["ssh-keygen", "-F", name, "-f", str(path)])
        if found.returncode != 0:
            return Result(FAIL, f"{path} has no key for {name}: biomero refuses to connect "
                                "(add the cluster's key: ssh-keyscan)")
        return Result(OK, f"biomero verifies host keys against {path} "
                          f"({ssh_host_keys.entries(path)} entries, {name} known)")

    def check_ssh(self) -> Result:
        host = self.ssh_host()
        try:
            r = self.ssh("true")
        except subprocess.TimeoutExpired:
            self.ssh_ok = False
            return Result(FAIL, f"ssh {host}: no answer within {self.timeout * 2:g} s")
        self.ssh_ok = r.returncode == 0
        if not self.ssh_ok:
            why = _last_line(r.stderr, r.returncode)
            return Result(FAIL, f"ssh {host} (BatchMode): {why}")
        return Result(OK, f"ssh {host} (BatchMode) works")

    def _needs_ssh(self) -> Result | None:
        if self.ssh_ok is None:
            self.check_ssh()
        if not self.ssh_ok:
            return Result(FAIL, "not checked: ssh does not work (see ssh)")
        return None

    def check_slurm(self) -> Result:
        blocked = self._needs_ssh()
        if blocked:
            return blocked
        try:
            r = self.ssh("sinfo -h -o '%P %a %D %t'")
        except subprocess.TimeoutExpired:
            return Result(FAIL, f"sinfo on {self.ssh_host()}: no answer in time")
        if r.returncode != 0:
            why = _last_line(r.stderr, r.returncode)
            return Result(FAIL, f"sinfo on {self.ssh_host()} failed: {why}")
        parts = [" ".join(line.split()[:1] + line.split()[2:3]) for line in r.stdout.splitlines()]
        return Result(OK, f"sinfo answers: partitions {', '.join(parts) or '(none)'}")

    def check_slurm_paths(self) -> Result:
        blocked = self._needs_ssh()
        if blocked:
            return blocked
        cfg = self.cfg()
        paths = {k: cfg.get("SLURM", k, fallback=v) for k, v in slurm_paths().items()}
        # relative paths are under the login user's home, as for biomero's commands
        script = "; ".join(f"p={shlex.quote(p)}; if [ ! -d \"$p\" ]; then echo missing; "
                           "elif [ ! -w \"$p\" ]; then echo read-only; else echo ok; fi"
                           for p in paths.values())
        try:
            r = self.ssh(script)
        except subprocess.TimeoutExpired:
            return Result(FAIL, "checking Slurm paths: no answer in time")
        answers = r.stdout.split()
        if r.returncode != 0 or len(answers) != len(paths):
            return Result(FAIL, f"checking Slurm paths failed (exit {r.returncode})")
        rows = [(k, a, f"{p or '(empty)'}: {SLURM_PATH_USES[k]}")
                for (k, p), a in zip(paths.items(), answers, strict=True)]
        lines = cluster_tools.table(rows)
        where = f"{len(paths)} paths biomero uses on {self.ssh_host()}"
        if summary := cluster_tools.problems(rows, ("missing", "read-only")):
            return Result(FAIL, f"{summary} (of {where}; run BIOMERO's SLURM_Init_environment "
                                "script, or mkdir them writable for the SSH user)\n"
                          + "\n".join(lines))
        return Result(OK, f"{where}: all there and writable\n" + "\n".join(lines))

    def check_cluster_tools(self) -> Result:
        blocked = self._needs_ssh()
        if blocked:
            return blocked
        plan = cluster_tools.plan(self.cfg(), self.env, biomero_release())
        limit = max(1, int(self.timeout / 2))  # per program, so that ssh's bound holds
        try:
            r = self.ssh(plan.script(limit))
        except subprocess.TimeoutExpired:
            return Result(FAIL, f"probing the tools on {self.ssh_host()}: no answer within "
                                f"{self.timeout * 2:g} s")
        status, detail = cluster_tools.report(plan, r.stdout, r.stderr, r.returncode,
                                              self.ssh_host(), limit)
        return Result(status, detail)

    def check_database(self) -> Result:
        s = analytics_db.settings(self.cfg(), self.env)
        if not s.tracking:
            return Result(SKIP, "[ANALYTICS] track_workflows is off")
        if not s.url:
            return Result(FAIL, "tracking is on but neither SQLALCHEMY_URL nor "
                                "[ANALYTICS] sqlalchemy_url is set")
        try:
            analytics_db.parse(s.url, s.source)
        except analytics_db.UnusableURL as exc:
            return Result(FAIL, str(exc))
        try:
            have = set(analytics_db.tables(s.url))
        except Exception as exc:
            return Result(FAIL, f"{s.safe_url()}: {analytics_db.error_text(exc, s.url)}")
        missing = [t for t in analytics_db.expected_tables(s) if t not in have]
        if missing:
            return Result(FAIL, f"{s.safe_url()} reachable but biomero's schema is incomplete, "
                                f"missing {', '.join(missing)} (the start-up step 30-analytics-db "
                                "initialises it)")
        return Result(OK, f"{s.safe_url()} reachable, analytics tables present")

    def check_registry(self) -> Result:
        try:
            master, port = node.registry(self.env)
            addr = node.resolve(master, min(3.0, self.timeout),
                                "master (CONFIG_omero_master_host)")
        except node.NodeConfigError as exc:
            return Result(FAIL, str(exc))
        proxy = node.locator(addr, port)
        import Ice

        init = Ice.InitializationData()
        init.properties = Ice.createProperties()
        init.properties.setProperty("Ice.Override.ConnectTimeout", str(int(self.timeout * 500)))
        init.properties.setProperty("Ice.Override.Timeout", str(int(self.timeout * 1000)))
        ic = Ice.initialize(init)
        try:
            ic.stringToProxy(proxy).ice_ping()
        except Ice.Exception as exc:
            return Result(FAIL, f"registry {master}:{port} does not answer: "
                                f"{type(exc).__name__}")
        finally:
            ic.destroy()
        return Result(OK, f"registry {master}:{port} answers")

    def check_node(self) -> Result:
        if not _node_running():
            return Result(SKIP, "no icegridnode runs in this container (doctor as a command)")
        name = self.env.get("OMERO_WORKER_NAME", "")
        internal = node.internal_cfg(self.env)
        user = self.env.get("OMERO_ICEGRID_ADMIN_USER", "root")
        password = self.env.get("OMERO_ICEGRID_ADMIN_PASSWORD", "ome")
        # each goes into a property line: a line break would add properties of its own
        for var, value in (("OMERO_ICEGRID_ADMIN_USER", user),
                           ("OMERO_ICEGRID_ADMIN_PASSWORD", password)):
            if breaks_line(value):
                return Result(FAIL, f"{var} holds a line break or another control "
                                    "character: give the value alone")
        with tempfile.NamedTemporaryFile("w", suffix=".cfg") as creds:
            os.chmod(creds.name, 0o600)
            creds.write(f"IceGridAdmin.Username={user}\n"
                        f"IceGridAdmin.Password={password}\n"
                        f"Ice.Override.ConnectTimeout={int(self.timeout * 500)}\n")
            creds.flush()
            try:
                r = self.command(["icegridadmin", f"--Ice.Config={internal},{creds.name}",
                                  "-e", f"node ping {name}"])
            except subprocess.TimeoutExpired:
                return Result(FAIL, f"icegridadmin: no answer within {self.timeout * 2:g} s")
        out = (r.stdout + r.stderr).strip()
        if r.returncode == 0 and "up" in out:
            return Result(OK, f"node {name} registered with the registry ({out.splitlines()[-1]})")
        why = _last_line(out, r.returncode)
        if "permissiondenied" in out.lower().replace(" ", ""):  # 3.6 and 3.7 spellings
            return Result(WARN, f"cannot ask the registry about node {name}: admin login "
                                "refused (set OMERO_ICEGRID_ADMIN_USER/_PASSWORD)")
        if re.search(r"Connect(ionRefused|Failed|Timeout)|DNSException|connection refused",
                     out, re.IGNORECASE):
            return Result(FAIL, f"node {name} has no registry: the master's registry does not "
                                f"answer ({why}); OMERO has no Processor on this node")
        return Result(FAIL, f"node {name} not registered: {why}")

    def check_detached(self) -> Result:
        from . import detached

        why = detached.refusal(self.env)
        return Result(FAIL, why) if why else Result(OK, f"{detached.VAR} is not true "
                                                        "(workflows run in their scripts)")

    def check_script_env(self) -> Result:
        from . import script_env

        names = sorted(script_env.select(self.env))  # names only: values may be secrets
        return Result(INFO, "passed to scripts: " + (", ".join(names) or "(none set)")
                      + f"; more with {script_env.ALLOW_VAR}")

    def check_bioformats2raw(self) -> Result:
        exe = shutil.which("bioformats2raw")
        if exe:
            return Result(INFO, f"present: {exe}")
        return Result(INFO, "absent (omero zarr export works; --bf needs it)")

    # Every check, in the report's order: the one list (the module's docstring, the
    # docs' example and the tests are checked against it).
    CHECKS = ["config", "ssh-keys", "host-keys", "ssh", "slurm", "slurm-paths", "cluster-tools",
              "database", "registry", "node", "detached", "script-env", "bioformats2raw"]
    # The checks that only inform (INFO): they never pass or fail.
    INFORMATION = ("script-env", "bioformats2raw")

    def run(self, name: str) -> Result:
        fn = getattr(self, "check_" + name.replace("-", "_"))
        try:
            return fn()
        except RefusedHost as exc:
            return Result(FAIL, str(exc))
        except Exception as exc:  # a check that breaks is a failed check, not a traceback
            return Result(FAIL, f"check crashed: {type(exc).__name__}: {exc}")


def biomero_release() -> str | None:
    """The installed biomero's release (what it runs on the cluster depends on it)."""
    from importlib import metadata

    try:
        return metadata.version("biomero")
    except metadata.PackageNotFoundError:
        return None


def _last_line(output: str, returncode: int) -> str:
    """Why a command failed: its output's last line, else its exit status."""
    return (output.strip().splitlines() or [f"exit {returncode}"])[-1]


def _node_running() -> bool:
    from .health import node_pids

    return bool(node_pids())


def add_commands(sub) -> None:
    parser = sub.add_parser("doctor", help="is this worker ready? one line per check",
                            description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(run=run)
    parser.add_argument("--skip", default="", help="comma-separated checks to skip")
    parser.add_argument("--only", default="", help="comma-separated checks to run")
    parser.add_argument("--timeout", type=_timeout_option, default=None,
                        help=f"seconds per network step (default: {TIMEOUT_VAR}, else "
                             f"{DEFAULT_TIMEOUT:g})")


TIMEOUT_VAR = "DOCTOR_TIMEOUT"
DEFAULT_TIMEOUT = 10.0


def _timeout_option(raw: str) -> float:
    try:
        return env_settings.seconds_value("--timeout", raw)
    except env_settings.SettingError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args, out, err) -> int:
    names = Doctor.CHECKS
    chosen = [n for n in args.only.split(",") if n] or names
    unknown = [n for n in chosen + args.skip.split(",") if n and n not in names]
    if unknown:
        print(f"doctor: unknown check(s) {', '.join(unknown)}; known: {', '.join(names)}",
              file=err)
        return 2
    skip = set(filter(None, args.skip.split(",")))
    timeout = args.timeout
    if timeout is None:
        try:
            timeout = env_settings.seconds(TIMEOUT_VAR, DEFAULT_TIMEOUT)
        except env_settings.SettingError as exc:
            print(f"doctor: {exc}", file=err)
            return 2
    doc = Doctor(timeout=timeout)
    failed = []
    for name in names:
        if name not in chosen or name in skip:
            continue
        r = doc.run(name)
        lines = r.detail.splitlines() or [""]
        print(f"{r.status:<5} {name:<15} {lines[0]}", file=out, flush=True)
        for extra in lines[1:]:
            print(f"{'':<5} {'':<15}   {extra}", file=out, flush=True)
        if r.status == FAIL:
            failed.append(name)
    if failed:
        print(f"doctor: {len(failed)} required check(s) failed: {', '.join(failed)}", file=out)
        return 1
    print("doctor: all required checks passed", file=out)
    return 0


def main(argv=None) -> int:
    """The `doctor` console script: the same as `python -m biomero_worker doctor`."""
    from .cli import main as cli_main

    return cli_main(["doctor", *(sys.argv[1:] if argv is None else argv)])

#!/usr/bin/env bash
# Entrypoint of the test Slurm image: `stack-slurm dbd|ctld|node`.
# Expects (copied in by the fixture before start, never baked into the image):
#   /run/secrets/munge.key        the cluster's shared munge key
#   /run/secrets/authorized_keys  (ctld) public key(s) allowed to log in as slurm
set -euo pipefail

role=${1:?usage: stack-slurm dbd|ctld|node}
log() { echo "stack-slurm[$role]: $*" >&2; }
echo "$role" >/run/stack-role  # for the HEALTHCHECK (healthcheck.sh)

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${secs}s waiting for $what"
      exit 1
    fi
    sleep 0.3
  done
}

start_munge() {
  if [ ! -s /run/secrets/munge.key ]; then
    log "missing /run/secrets/munge.key (the fixture provides it)"
    exit 1
  fi
  install -o munge -g munge -m 0400 /run/secrets/munge.key /etc/munge/munge.key
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged
  wait_for 10 munged munge -n
}

case "$role" in
  dbd)
    start_munge
    install -d -o mysql -g mysql /run/mysqld
    # No --log-error: mariadbd then logs to stderr, i.e. the container log.
    runuser -u mysql -- mariadbd --datadir=/var/lib/mysql --skip-networking &
    wait_for 30 mariadb mariadb-admin --silent ping
    log "mariadb up; starting slurmdbd"
    exec slurmdbd -D
    ;;
  ctld)
    start_munge
    if [ ! -s /run/secrets/authorized_keys ]; then
      log "missing /run/secrets/authorized_keys (the fixture provides it)"
      exit 1
    fi
    install -d -o slurm -g slurm -m 0700 /home/slurm/.ssh
    install -o slurm -g slurm -m 0600 /run/secrets/authorized_keys \
      /home/slurm/.ssh/authorized_keys
    ssh-keygen -A >/dev/null
    install -d -m 0755 /run/sshd
    /usr/sbin/sshd -e
    # slurmctld refuses to start without TRES from the database on a fresh
    # state directory: wait for slurmdbd, then register cluster, account, user.
    wait_for 60 slurmdbd sacctmgr -n list cluster
    # Idempotent: a restarted container finds them already there.
    if ! sacctmgr -n -P list cluster format=cluster | grep -qx linux; then
      sacctmgr -i add cluster linux >/dev/null
    fi
    if ! sacctmgr -n -P list account format=account | grep -qx biomero; then
      sacctmgr -i add account biomero Cluster=linux Description=tests Organization=tests >/dev/null
    fi
    for u in slurm root; do
      if ! sacctmgr -n -P list user format=user | grep -qx "$u"; then
        sacctmgr -i add user "$u" Account=biomero DefaultAccount=biomero >/dev/null
      fi
    done
    log "accounting ready; starting slurmctld"
    exec slurmctld -D
    ;;
  node)
    start_munge
    exec slurmd -D
    ;;
  *)
    exec "$@"
    ;;
esac

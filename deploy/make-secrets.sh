#!/usr/bin/env bash
# Per-deployment secrets for deploy/compose.yaml, in DIR (mode 700), never in an
# image or in the repository:
#   ssh/         the worker's SSH mount: key pair, config (Host localslurm), known_hosts
#   slurm/       munge.key (the cluster's), authorized_keys (the worker's public key)
#   slurm-host/  the login node's host key (so known_hosts can be written now)
#   postgres/    postgres_db, postgres_user, postgres_password
#   icegrid/     icegrid_admin_password
#   worker/      sqlalchemy_url, icegrid_admin_password: the worker's Compose
#                secrets (its SQLALCHEMY_URL_FILE, OMERO_ICEGRID_ADMIN_PASSWORD_FILE)
#   compose.env  for `docker-compose --env-file`: the directory
# Usage: deploy/make-secrets.sh DIR   (DIR must not exist yet: nothing is overwritten)
set -euo pipefail

dir=${1:?usage: deploy/make-secrets.sh DIR}
if [ -e "$dir" ]; then
  echo "make-secrets: $dir exists; remove it or choose another directory" >&2
  exit 1
fi
for tool in ssh-keygen openssl; do
  command -v "$tool" >/dev/null || { echo "make-secrets: $tool is needed" >&2; exit 1; }
done
umask 077
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
mkdir "$dir/ssh" "$dir/slurm" "$dir/slurm-host" "$dir/postgres" "$dir/icegrid" "$dir/worker"

password() { openssl rand -hex 16; }
db_password=$(password)
admin_password=$(password)
printf biomero >"$dir/postgres/postgres_db"
printf biomero >"$dir/postgres/postgres_user"
printf '%s' "$db_password" >"$dir/postgres/postgres_password"
printf '%s' "$admin_password" >"$dir/icegrid/icegrid_admin_password"
printf 'postgresql+psycopg2://biomero:%s@database:5432/biomero\n' "$db_password" \
  >"$dir/worker/sqlalchemy_url"
printf '%s\n' "$admin_password" >"$dir/worker/icegrid_admin_password"
openssl rand 1024 >"$dir/slurm/munge.key"

ssh-keygen -q -t ed25519 -N '' -C biomero-worker -f "$dir/ssh/id_ed25519"
cp "$dir/ssh/id_ed25519.pub" "$dir/slurm/authorized_keys"
ssh-keygen -q -t ed25519 -N '' -C slurmctld -f "$dir/slurm-host/ssh_host_ed25519_key"
read -r kind key _ <"$dir/slurm-host/ssh_host_ed25519_key.pub"
printf 'localslurm,slurmctld %s %s\n' "$kind" "$key" >"$dir/ssh/known_hosts"
cat >"$dir/ssh/config" <<'CFG'
Host localslurm
    User slurm
    IdentityFile ~/.ssh/id_ed25519
    IdentitiesOnly yes
    StrictHostKeyChecking yes
CFG
# The worker copies the mount with strict modes (10-mount-ssh); the containers
# read their secrets as root. Readable for the worker's uid, whoever made them.
chmod 755 "$dir/ssh"
chmod 644 "$dir/ssh/"* "$dir/worker/"*
cat >"$dir/compose.env" <<ENV
BIOMERO_DEPLOY_SECRETS=$dir
ENV
echo "make-secrets: $dir ready; use: docker-compose --env-file $dir/compose.env -f deploy/compose.yaml up -d"

#!/usr/bin/env bash
# Entrypoint of the test IceGrid image.
#   registry  icegridregistry on tcp 4061 (instance name IceGrid, as OMERO's),
#             admin account ICEGRID_ADMIN_USER (default admin) whose password
#             is read from /run/secrets/icegrid_admin_password (fixture-made).
#             Writes /etc/icegrid/admin.cfg so `icegridadmin --Ice.Config=
#             /etc/icegrid/admin.cfg -e CMD` works inside the container.
#   node      icegridnode named ICEGRID_NODE_NAME (default node1) registering
#             with ICEGRID_REGISTRY_HOST (default master).
#   other     exec'd as given (e.g. icegridnode --Ice.Config=/path).
set -euo pipefail

role=${1:-registry}
log() { echo "stack-icegrid[$role]: $*" >&2; }
echo "$role" >/run/stack-role  # for the HEALTHCHECK (healthcheck.sh)

case "$role" in
  registry)
    if [ $# -gt 0 ]; then shift; fi
    pw_file=/run/secrets/icegrid_admin_password
    if [ ! -s "$pw_file" ]; then
      log "missing $pw_file (the fixture provides it)"
      exit 1
    fi
    user=${ICEGRID_ADMIN_USER:-admin}
    hash=$(python3 -W ignore -c \
      'import crypt, sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_SHA512)))' \
      <"$pw_file")
    umask 077
    printf '%s %s\n' "$user" "$hash" >/etc/icegrid/admin-passwords
    cat >/etc/icegrid/registry.cfg <<CFG
IceGrid.InstanceName=IceGrid
IceGrid.Registry.Client.Endpoints=tcp -p 4061
IceGrid.Registry.Server.Endpoints=tcp
IceGrid.Registry.Internal.Endpoints=tcp
IceGrid.Registry.LMDB.Path=/var/lib/icegrid/registry
IceGrid.Registry.LMDB.MapSize=64
IceGrid.Registry.AdminCryptPasswords=/etc/icegrid/admin-passwords
IceGrid.Registry.PermissionsVerifier=IceGrid/NullPermissionsVerifier
IceGrid.Registry.DynamicRegistration=1
IceGrid.Registry.Trace.Node=1
IceGrid.Registry.Trace.Application=1
IceGrid.Registry.Trace.Adapter=1
IceGrid.Registry.Trace.Server=1
CFG
    {
      echo "Ice.Default.Locator=IceGrid/Locator:tcp -h localhost -p 4061"
      echo "IceGridAdmin.Username=$user"
      printf 'IceGridAdmin.Password=%s\n' "$(cat "$pw_file")"
    } >/etc/icegrid/admin.cfg
    umask 022
    log "registry on tcp 4061, admin user $user"
    exec icegridregistry --Ice.Config=/etc/icegrid/registry.cfg "$@"
    ;;
  node)
    if [ $# -gt 0 ]; then shift; fi
    name=${ICEGRID_NODE_NAME:-node1}
    registry=${ICEGRID_REGISTRY_HOST:-master}
    cat >/etc/icegrid/node.cfg <<CFG
Ice.Default.Locator=IceGrid/Locator:tcp -h $registry -p 4061
IceGrid.Node.Name=$name
IceGrid.Node.Endpoints=tcp
IceGrid.Node.Data=/var/lib/icegrid/node
IceGrid.Node.Trace.Activator=1
IceGrid.Node.Trace.Server=1
# Docker disables IPv6 in containers, and the node gives every server
# Ice.Admin.Endpoints "tcp -h localhost", which then fails to bind ::1.
IceGrid.Node.PropertiesOverride=Ice.IPv6=0
CFG
    log "node $name registering with $registry:4061"
    exec icegridnode --Ice.Config=/etc/icegrid/node.cfg "$@"
    ;;
  *)
    exec "$@"
    ;;
esac

#!/usr/bin/env bash
# Build the worker image, Bazel-style: the build is keyed by a hash of its
# declared inputs (files, build arguments, base image id). When the stamp in
# .build/ and the image's `inputs-hash` label both carry that key, nothing is
# done (no docker build at all).
#
# Environment (set by mk/image.mk):
#   IMAGE VERSION BASE_IMAGE TARGET   image name, tag, base, Dockerfile stage
#   BIOFORMATS2RAW                    auto | required | none
#   BIOFORMATS2RAW_ARCHIVE            optional local path of the zip
#   BUILD_CA                          CA bundle trusted by HTTPS build steps
#   BUILD_DIR                         stamp directory (.build)
set -euo pipefail
cd "$(dirname "$0")/.."

# The build's inputs (image name, base tag, bioformats2raw pin): one owner. What
# the caller exported wins (make exports its command-line overrides).
declare -A given=()
for var in IMAGE BASE_IMAGE OMERO_UID OMERO_GID; do given[$var]=${!var-}; done
# shellcheck source=build.env  # relative to the repository root, where make runs shellcheck
. ./build.env
for var in IMAGE BASE_IMAGE OMERO_UID OMERO_GID; do [ -z "${given[$var]}" ] || printf -v "$var" '%s' "${given[$var]}"; done
: "${BASE_IMAGE:=$LOCAL_BASE_IMAGE}"
: "${VERSION:=$(cat VERSION)}"
: "${TARGET:=runtime}"
: "${BIOFORMATS2RAW:=auto}"
: "${BIOFORMATS2RAW_ARCHIVE:=}"
: "${BUILD_CA:=/etc/ssl/certs/ca-certificates.crt}"
: "${BUILD_DIR:=.build}"
: "${LOCKS:=docker}"  # the venv's locks: docker/, or docker/locks/biomero-x.y.z (make image BIOMERO_VERSION=)
: "${VARIANT_TAG:=}" # with LOCKS=docker/locks/...: the one tag (VERSION-biomerox.y.z), never :VERSION or :latest
: "${FORCE:=}"      # non-empty: build even when the stamp says up to date
: "${NO_CACHE:=}"   # non-empty: docker build --no-cache (cold build)

# Declared inputs: what the build context lets in, read from its one list
# (docker/Dockerfile.dockerignore's `!` lines), that list itself included; not
# docker/fetch (keyed by its pin below) nor docker/locks (a variant adds its own).
INPUTS=(docker/Dockerfile.dockerignore)
while IFS= read -r line; do
  case "$line" in
    '!docker/fetch' | '!docker/locks') ;;
    '!'*) INPUTS+=("${line#!}") ;;
  esac
done <docker/Dockerfile.dockerignore

if [ ! -s "$LOCKS/requirements.lock" ] || [ ! -s "$LOCKS/requirements-nodeps.lock" ]; then
  echo "image: ERROR: $LOCKS has no requirements.lock and requirements-nodeps.lock" >&2; exit 1
fi
if [ "$LOCKS" != docker ]; then
  INPUTS+=("$LOCKS")
  if [ -z "$VARIANT_TAG" ]; then
    echo "image: ERROR: LOCKS=$LOCKS needs VARIANT_TAG: a variant never takes :$VERSION or :latest" >&2; exit 1
  fi
fi

B2R_VERSION=$BIOFORMATS2RAW_VERSION
B2R_SHA256=$BIOFORMATS2RAW_SHA256
B2R_URL="https://github.com/glencoesoftware/bioformats2raw/releases/download/v${B2R_VERSION}/bioformats2raw-${B2R_VERSION}.zip"
B2R_FILE="docker/fetch/bioformats2raw-${B2R_VERSION}.zip"

log() { echo "image: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

sha_ok() { [ -f "$1" ] && echo "${B2R_SHA256}  $1" | sha256sum -c --status -; }

# bioformats2raw: included | absent. The archive comes from
# BIOFORMATS2RAW_ARCHIVE, from docker/fetch/, or from its release URL; an
# unreachable URL is remembered (.build/) so that the no-op stays fast.
resolve_bioformats2raw() {
  case "$BIOFORMATS2RAW" in
    none) log "bioformats2raw: none requested; building without it (and without a JRE)"
          echo absent; return ;;
    auto|required) ;;
    *) die "BIOFORMATS2RAW must be auto, required or none (got '$BIOFORMATS2RAW')" ;;
  esac
  local unavailable="$BUILD_DIR/bioformats2raw-${B2R_VERSION}.unavailable"
  if [ -n "$BIOFORMATS2RAW_ARCHIVE" ]; then
    sha_ok "$BIOFORMATS2RAW_ARCHIVE" \
      || die "bioformats2raw: $BIOFORMATS2RAW_ARCHIVE is missing or its sha256 is not $B2R_SHA256"
    cmp -s "$BIOFORMATS2RAW_ARCHIVE" "$B2R_FILE" || cp "$BIOFORMATS2RAW_ARCHIVE" "$B2R_FILE"
  fi
  if ! sha_ok "$B2R_FILE"; then
    rm -f "$B2R_FILE"
    if [ "$BIOFORMATS2RAW" = required ] || [ ! -e "$unavailable" ]; then
      log "bioformats2raw: downloading $B2R_URL"
      local tmp="$B2R_FILE.part"
      if command -v curl >/dev/null && curl -fsSL --connect-timeout 10 --max-time 300 -o "$tmp" "$B2R_URL" && sha_ok "$tmp"; then
        mv "$tmp" "$B2R_FILE"
        rm -f "$unavailable"
      else
        rm -f "$tmp"
        mkdir -p "$BUILD_DIR"
        touch "$unavailable"
      fi
    fi
  fi
  if sha_ok "$B2R_FILE"; then
    log "bioformats2raw: ${B2R_VERSION} included (sha256 verified)"
    echo included
  elif [ "$BIOFORMATS2RAW" = required ]; then
    die "bioformats2raw: required, but ${B2R_VERSION} cannot be had (no archive, download failed); pass BIOFORMATS2RAW_ARCHIVE=path"
  else
    log "bioformats2raw: ${B2R_VERSION} cannot be had here (no local archive, download failed:" \
        "rm $unavailable to retry); building WITHOUT it (label org.biomero-worker.bioformats2raw=absent)"
    echo absent
  fi
}

# A docker client that can run BuildKit builds (RUN --mount): buildx if
# installed, else a pre-23 client with its built-in BuildKit.
docker_build() {
  if docker buildx version >/dev/null 2>&1; then
    docker buildx build --load "$@"
    return
  fi
  local c v
  for c in docker /usr/bin/docker; do
    command -v "$c" >/dev/null || continue
    v=$("$c" version --format '{{.Client.Version}}' 2>/dev/null) || continue
    if [ "${v%%.*}" -lt 23 ] 2>/dev/null; then
      DOCKER_BUILDKIT=1 "$c" build "$@"
      return
    fi
  done
  die "no docker client here can build with BuildKit: install the buildx plugin, or Debian's docker.io client (/usr/bin/docker)"
}

inputs_digest() {
  local f
  git ls-files -z -co --exclude-standard -- "${INPUTS[@]}" | sort -z \
    | while IFS= read -r -d '' f; do
        [ -f "$f" ] || continue
        if [ -x "$f" ]; then printf 'x '; else printf -- '- '; fi
        sha256sum "$f"
      done
}

git rev-parse --git-dir >/dev/null 2>&1 || die "not a git work tree: the inputs are listed with git ls-files"
docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || die "base image $BASE_IMAGE is missing (make base)"

b2r=$(resolve_bioformats2raw)
b2r_version=$B2R_VERSION
[ "$b2r" = included ] || b2r_version=
biomero_version=$(sed -nE 's/^biomero==([^ ]+).*/\1/p' "$LOCKS/requirements.lock")
[ -n "$biomero_version" ] || die "$LOCKS/requirements.lock pins no biomero"
revision=$(git log -1 --format=%H -- "${INPUTS[@]}")
if [ -n "$(git status --porcelain -- "${INPUTS[@]}")" ]; then revision="$revision-dirty"; fi
source_url=$(git config --get remote.origin.url || echo unknown)
base_id=$(docker image inspect --format '{{.Id}}' "$BASE_IMAGE")

build_args=(
  --build-arg "BASE_IMAGE=$BASE_IMAGE"
  --build-arg "BIOFORMATS2RAW=$b2r"
  --build-arg "BIOFORMATS2RAW_VERSION=$b2r_version"
  --build-arg "BIOFORMATS2RAW_SHA256=$B2R_SHA256"
  --build-arg "VERSION=$VERSION"
  --build-arg "REVISION=$revision"
  --build-arg "SOURCE=$source_url"
  --build-arg "BIOMERO_VERSION=$biomero_version"
  --build-arg "OMERO_UID=$OMERO_UID"
  --build-arg "OMERO_GID=$OMERO_GID"
  --build-arg "LOCKS=$LOCKS"
)
key=$( {
  inputs_digest
  printf '%s\n' "target=$TARGET" "base=$base_id" "${build_args[@]}"
  if [ "$b2r" = included ]; then echo "b2r=$B2R_SHA256"; fi
} | sha256sum | cut -c1-32)

# The default release: IMAGE:VERSION and IMAGE:latest. Another release's image:
# IMAGE:VARIANT_TAG alone, so that it never stands in for the default one.
if [ -n "$VARIANT_TAG" ]; then tags=("$IMAGE:$VARIANT_TAG"); else tags=("$IMAGE:$VERSION" "$IMAGE:latest"); fi
tag=${tags[0]}
stamp="$BUILD_DIR/image-$(echo "$IMAGE${VARIANT_TAG:+-$VARIANT_TAG}-$TARGET" | tr '/:' '__').stamp"
labels=$(docker image inspect --format '{{index .Config.Labels "org.biomero-worker.inputs-hash"}}' \
           "${tags[@]}" 2>/dev/null || true)
want=() tag_args=()
for t in "${tags[@]}"; do want+=("$key"); tag_args+=(-t "$t"); done
if [ -z "$FORCE" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ] \
   && [ "$labels" = "$(printf '%s\n' "${want[@]}")" ]; then
  log "$tag is up to date (inputs $key)"
  exit 0
fi

secret=()
if [ -s "$BUILD_CA" ]; then secret=(--secret "id=ca,src=$BUILD_CA"); fi
nocache=()
if [ -n "${NO_CACHE:-}" ]; then nocache=(--no-cache); fi
# REBUILD_RUNTIME=<token>: a new token rebuilds the runtime stage from its first
# step, the other stages from the cache (make bench-reproducible)
if [ -n "${REBUILD_RUNTIME:-}" ]; then nocache+=(--build-arg "REBUILD_RUNTIME=$REBUILD_RUNTIME"); fi

log "building $tag (target $TARGET, inputs $key)"
rm -f "$stamp"
docker_build --progress=plain -f docker/Dockerfile --target "$TARGET" \
  "${build_args[@]}" --build-arg "INPUTS_HASH=$key" "${secret[@]}" "${nocache[@]}" \
  "${tag_args[@]}" .
mkdir -p "$BUILD_DIR"
echo "$key" > "$stamp"
log "built $tag"

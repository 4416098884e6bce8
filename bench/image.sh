#!/usr/bin/env bash
# Benchmark of the worker image (make bench-image): sizes (final, per stage,
# per layer, payload vs the rest), the one-stage variant that keeps its
# toolchain (as upstream's image does), cold build, no-op `make image`, and
# the rebuild after a one-line change under config/overrides/.
# Writes bench/results/image.md (figures and the commands behind them).
#
# BENCH_COLD=0 skips the cold (--no-cache) build, which takes ~15 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${IMAGE:?run by make bench-image (IMAGE from build.env)}"
: "${BASE_IMAGE:?run by make bench-image (BASE_IMAGE from build.env)}"
: "${VERSION:=$(cat VERSION)}"
: "${BENCH_COLD:=1}"
export IMAGE VERSION BASE_IMAGE
out=bench/results/image.md
mkdir -p bench/results
tmp=$(mktemp -d)
probe=config/overrides/zz-bench-probe.ini
trap 'rm -rf "$tmp"; rm -f "$probe"' EXIT

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
size_of() { docker image inspect --format '{{.Size}}' "$1"; }
log() { echo "bench-image: $*" >&2; }

# Stage images, built from the same cache (the stages are targets).
stage() {
  local target=$1
  IMAGE="$IMAGE-stage-$target" TARGET=$target docker/build-image.sh >"$tmp/$target.log" 2>&1 \
    || { cat "$tmp/$target.log" >&2; exit 1; }
}

# ---- cold build ---------------------------------------------------------------
cold="(skipped: BENCH_COLD=0)"
if [ "$BENCH_COLD" = 1 ]; then
  log "cold build (--no-cache), ~15 minutes"
  t0=$(now)
  FORCE=1 NO_CACHE=1 TARGET=runtime docker/build-image.sh >"$tmp/cold.log" 2>&1 \
    || { tail -50 "$tmp/cold.log" >&2; exit 1; }
  cold="$(secs "$t0" "$(now)") s"
fi

# ---- warm image, then the no-op ------------------------------------------------
make --no-print-directory image >/dev/null
t0=$(now)
make --no-print-directory image >"$tmp/noop.log" 2>&1
noop=$(secs "$t0" "$(now)")
grep -q 'is up to date' "$tmp/noop.log" || { cat "$tmp/noop.log" >&2; exit 1; }

# ---- config-only change ----------------------------------------------------------
printf '# bench probe %s\n' "$(date +%s)" > "$probe"
t0=$(now)
make --no-print-directory image >"$tmp/config.log" 2>&1 || { cat "$tmp/config.log" >&2; exit 1; }
config_change=$(secs "$t0" "$(now)")
# Dockerfile steps (not BuildKit's internal ones) that ran vs came from cache
steps() {
  awk '/^#[0-9]+ \[/ && !/\[internal\]/ { name[$1] = 1 }
       /^#[0-9]+ (DONE|CACHED)/ { st[$1] = $2 }
       END { for (n in name) if (st[n] == "'"$2"'") c++; print c + 0 }' "$1"
}
rebuilt=$(steps "$tmp/config.log" DONE)
cached=$(steps "$tmp/config.log" CACHED)
rm -f "$probe"
t0=$(now)
make --no-print-directory image >"$tmp/config2.log" 2>&1
config_back=$(secs "$t0" "$(now)")

# ---- sizes ------------------------------------------------------------------------
log "stage images"
for s in build-env wheels fetch onestage; do stage "$s"; done
runtime=$(size_of "$IMAGE:$VERSION")
onestage=$(size_of "$IMAGE-stage-onestage:$VERSION")
base=$(size_of "$BASE_IMAGE")
ratio=$(awk -v a="$runtime" -v b="$onestage" 'BEGIN { printf "%.0f", 100 * a / b }')

# Payload accounting inside the runtime: every file the image adds to its base,
# by owner (venv, bioformats2raw, Debian packages grouped by what pulled them in).
docker run --rm -i --user root --entrypoint python3 "$IMAGE:$VERSION" - \
  "$(docker run --rm --entrypoint dpkg-query "$BASE_IMAGE" -W -f '${Package}\n' | tr '\n' ' ')" \
  < bench/image_payload.py > "$tmp/payload.md"

b2r=$(docker image inspect --format '{{index .Config.Labels "org.biomero-worker.bioformats2raw"}}' "$IMAGE:$VERSION")

{
  echo "# Image benchmark"
  echo
  echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores by \`make bench-image\`"
  echo "(script \`bench/image.sh\`; stage sizes are \`docker image inspect\` of"
  echo "\`docker/build-image.sh\` builds with \`TARGET=<stage>\`). bioformats2raw: **$b2r**."
  echo
  echo "| figure | value | target |"
  echo "| --- | --- | --- |"
  echo "| final image \`$IMAGE:$VERSION\` | $(mib "$runtime") MiB | |"
  echo "| one-stage variant (same inputs, keeps toolchain) | $(mib "$onestage") MiB | |"
  echo "| runtime / one-stage | ${ratio} % | <= 70 % |"
  echo "| base OS \`$BASE_IMAGE\` | $(mib "$base") MiB | |"
  echo "| cold build (\`NO_CACHE=1 FORCE=1 docker/build-image.sh\`, no build cache; base image already made, \`make base\` adds ~1 min) | $cold | CI: well under 40 min |"
  echo "| no-op \`make image\` (second run, nothing changed) | ${noop} s | < 2 s |"
  echo "| rebuild after adding one line under config/overrides/ (\`make image\`) | ${config_change} s (Dockerfile steps run: $rebuilt, from cache: $cached) | < 20 s |"
  echo "| rebuild after removing it again | ${config_back} s | |"
  echo
  echo "The one-stage variant is \`FROM wheels\` plus the runtime's steps: it keeps the"
  echo "toolchain and -dev packages (build-env), the downloaded wheels (/wheels) and the"
  echo "libraries' test suites, as a plain \`pip install\` leaves them (the runtime drops"
  echo "those, ~115 MiB). Upstream's image additionally carries a whole OMERO.server and Java."
  echo
  echo "## Size per stage"
  echo
  echo "| stage (target) | image size | adds to its parent |"
  echo "| --- | --- | --- |"
  be=$(size_of "$IMAGE-stage-build-env:$VERSION")
  wh=$(size_of "$IMAGE-stage-wheels:$VERSION")
  fe=$(size_of "$IMAGE-stage-fetch:$VERSION")
  echo "| base (\`$BASE_IMAGE\`) | $(mib "$base") MiB | |"
  echo "| build-env (compilers, -dev, build venv) | $(mib "$be") MiB | $(mib $((be - base))) MiB |"
  echo "| wheels (/wheels: all wheels, stripped) | $(mib "$wh") MiB | $(mib $((wh - be))) MiB |"
  echo "| fetch (bioformats2raw or nothing) | $(mib "$fe") MiB | $(mib $((fe - base))) MiB |"
  echo "| runtime (the image) | $(mib "$runtime") MiB | $(mib $((runtime - base))) MiB over base |"
  echo "| onestage (wheels + runtime payload) | $(mib "$onestage") MiB | $(mib $((onestage - wh))) MiB over wheels |"
  echo
  echo "## Layers of the runtime image (\`docker history\`)"
  echo
  echo "| size | created by |"
  echo "| --- | --- |"
  docker history --no-trunc --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE:$VERSION" \
    | awk -F'\t' '{ c = $2; gsub(/\|/, "\\|", c); gsub(/[ \t]+/, " ", c);
                    if (length(c) > 110) c = substr(c, 1, 110) "..."; print "| " $1 " | `" c "` |" }'
  echo
  cat "$tmp/payload.md"
  echo
  echo "## Commands"
  echo
  echo '```'
  echo "make bench-image            # all of the above; BENCH_COLD=0 skips the cold build"
  echo "NO_CACHE=1 FORCE=1 docker/build-image.sh   # cold build, timed"
  echo "make image; time make image                # no-op"
  echo "echo '# probe' > $probe; time make image   # config-only"
  echo "IMAGE=$IMAGE-stage-<stage> TARGET=<stage> docker/build-image.sh; docker image inspect -f '{{.Size}}' ..."
  echo "docker history $IMAGE:$VERSION"
  echo "docker run --rm -i --user root --entrypoint python3 $IMAGE:$VERSION - \"<base packages>\" < bench/image_payload.py"
  echo '```'
} > "$out"
log "wrote $out"
cat "$out"

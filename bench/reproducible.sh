#!/usr/bin/env bash
# Benchmark (make bench-reproducible): two builds of the same tree on this machine,
# the runtime stage rebuilt from scratch each time (a new REBUILD_RUNTIME: its
# packages, venv, layout and SBOM made again; the wheel stages from the cache), give
# the same SBOM and the same file manifest (bench/manifest.py: paths, types,
# modes, owners, sizes, content hashes; not mtimes). Writes
# bench/results/reproducible.md with what differs, if anything.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${IMAGE:?run by make bench-reproducible (IMAGE from build.env)}"
: "${BASE_IMAGE:?run by make bench-reproducible}"
: "${VENV:?run by make bench-reproducible}"
out=bench/results/reproducible.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; docker image rm -f "$IMAGE-repro-a:latest" "$IMAGE-repro-b:latest" "$IMAGE-repro-a:$(cat VERSION)" "$IMAGE-repro-b:$(cat VERSION)" >/dev/null 2>&1 || echo "bench-reproducible: could not remove the two images" >&2' EXIT
log() { echo "bench-reproducible: $*" >&2; }
sbom_path=$("$VENV/bin/python" -m biomero_worker paths SBOM)

for run in a b; do
  log "build $run (runtime stage without cache)"
  t0=$(date +%s)
  IMAGE="$IMAGE-repro-$run" BASE_IMAGE="$BASE_IMAGE" BUILD_DIR="$tmp/build-$run" \
    FORCE=1 REBUILD_RUNTIME="$run-$(date +%s%N)" TARGET=runtime docker/build-image.sh >"$tmp/build-$run.log" 2>&1 \
    || { tail -40 "$tmp/build-$run.log" >&2; exit 1; }
  echo $(( $(date +%s) - t0 )) >"$tmp/seconds-$run"
  docker run --rm --entrypoint cat "$IMAGE-repro-$run:latest" "$sbom_path" >"$tmp/sbom-$run.json"
  cid=$(docker create "$IMAGE-repro-$run:latest")
  docker export "$cid" | "$VENV/bin/python" bench/manifest.py >"$tmp/manifest-$run.jsonl"
  docker rm "$cid" >/dev/null
done

sha() { sha256sum "$1" | cut -c1-16; }
entries=$(wc -l <"$tmp/manifest-a.jsonl")
differing=$("$VENV/bin/python" - "$tmp/manifest-a.jsonl" "$tmp/manifest-b.jsonl" <<'PY'
import json, sys
a, b = ({json.loads(l)["path"]: l for l in open(p)} for p in sys.argv[1:3])
paths = sorted(p for p in set(a) | set(b) if a.get(p) != b.get(p))
print(len(paths))
for p in paths[:40]:
    print(p)
PY
)
count=${differing%%$'\n'*}
if cmp -s "$tmp/sbom-a.json" "$tmp/sbom-b.json"; then same_sbom=yes; else same_sbom=no; fi
components=$("$VENV/bin/python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["components"]))' "$tmp/sbom-a.json")

{
  echo "# Reproducibility benchmark"
  echo
  echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) by \`make bench-reproducible\` (script"
  echo "\`bench/reproducible.sh\`): two builds of this tree, each rebuilding the runtime"
  echo "stage without cache (\`REBUILD_RUNTIME=<new token> docker/build-image.sh\`)."
  echo
  echo "| figure | build a | build b |"
  echo "| --- | --- | --- |"
  echo "| runtime stage build time | $(cat "$tmp/seconds-a") s | $(cat "$tmp/seconds-b") s |"
  echo "| SBOM \`$sbom_path\` sha256 | $(sha "$tmp/sbom-a.json") | $(sha "$tmp/sbom-b.json") |"
  echo "| file manifest sha256 ($entries entries) | $(sha "$tmp/manifest-a.jsonl") | $(sha "$tmp/manifest-b.jsonl") |"
  echo
  echo "Same SBOM ($components components): **$same_sbom**. Manifest entries that differ"
  echo "(path, type, mode, owner, size or content; mtimes not compared): **$count**."
  if [ "$count" != 0 ]; then
    echo
    echo "Differing paths (first 40):"
    echo
    while IFS= read -r path; do printf '    %s\n' "$path"; done <<<"${differing#*$'\n'}"
  fi
} >"$out"
log "wrote $out"
cat "$out"

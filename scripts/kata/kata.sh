#!/bin/bash
# scripts/kata/kata.sh - vcstore's harness for REAL Kata Containers 1.x sandboxes
# (npm run test:kata).  Adapted from ../shared/real-kata/kata.sh (see its README for
# what live and leaked hosts look like).  It builds Kata from pinned sources with
# Debian's Go, offline, starts real sandboxes (kata-runtime CLI or containerd 1.6 with
# containerd-shim-kata-v2), kills them uncleanly, and cleans them up.  The Kata sources
# themselves are never part of this repository.
#
# Usage: kata.sh [--force] <command> [ID]
#
#   test [FILE...] what `npm run test:kata` runs: preflight, `all`, then, in ONE private
#                 mount namespace (`isolated`), hostprep, `node --test` over
#                 dist/test/kata/*.test.js one file at a time, and teardown.  When the
#                 host cannot run it, prints one line saying why and exits non-zero.
#   preflight     the checks `test` starts with (root, tools, cgroup v1, sources)
#   apt           install the Debian packages needed (only those missing)
#   all           sources build kernel initrd config (each skipped when up to date)
#     sources     the pinned Kata sources: $VCSTORE_KATA_SRC (default ../shared/real-kata/src
#                 beside the repo), *.tar.xz verified against SHA256SUMS; or bare git
#                 mirrors when KATA_MIRRORS is set; or, with neither, `git clone --mirror`
#                 of the upstream repos (github.com/kata-containers/*) at the same commits
#     build       kata-runtime + containerd-shim-kata-v2 (both variants), kata-agent,
#                 kata-proxy, kata-shim: Debian Go, GOPATH mode, vendor/, offline
#     kernel      apt-get download the Debian kernel linux-image-amd64 depends on, unpack
#     initrd      busybox /init + virtio/9p modules + kata-agent as PID 1
#     config      qemu TCG wrapper, configuration-{abec,head}.toml, busybox OCI bundle
#   hostprep      start busybox syslogd for /dev/log (if none) + shared bind mount of
#                 /run/kata-containers/shared/sandboxes (needed by 1.13)
#   check         kata-runtime kata-check / kata-env (needs hostprep)
#   cli-run ID    kata-runtime run -d, exec a probe, show the host state
#   leak ID       kill -9 the qemu/proxy/shim (or shim v2) of sandbox ID, show leftovers
#   cli-clean ID  kata-runtime delete -f ID (cleans a kata-runtime-created leak)
#   ctr-up        start a private containerd (+ import a local busybox OCI image)
#   ctr-run ID    ctr run --runtime io.containerd.kata.v2 ..., ctr task exec a probe
#   ctr-clean ID  containerd-shim-kata-v2 ... delete from the bundle dir + ctr c rm
#   ctr-down      stop the private containerd
#   state [ID]    show Kata processes, store dirs, mounts, netns, cgroups
#   env           print shell assignments (eval "$(kata.sh env)")
#   isolated CMD  run CMD in a private mount namespace with tmpfs over /run/vc,
#                 /var/lib/vc, /run/kata-containers and /run/netns
#   teardown      stop syslogd/containerd started here, undo hostprep, remove the Kata
#                 state dirs (refuses while anything is still mounted below them)
#
# Environment:
#   VARIANT=abec|head   abec = runtime abec17f8 (1.9.0-rc0, virtcontainers/store layout),
#                       head = runtime 04f29832 (1.13.0-alpha0, persist.json layout).
#                       Default abec; for leak/cli-clean/ctr-* the variant recorded at
#                       run time is used when VARIANT is not set.
#   VCSTORE_KATA_WORK   work dir (default /var/tmp/vcstore-kata); everything goes there
#   VCSTORE_KATA_SRC    dir with the pinned tarballs and SHA256SUMS
#                       (default <repo>/../shared/real-kata/src)
#   KATA_MIRRORS        dir with bare git mirrors <dir>/kata-containers+<repo>/repo
#                       (repo = runtime agent proxy shim); used instead of the tarballs
#   KATA_UPSTREAM       base URL cloned when there are neither tarballs nor mirrors
#                       (default https://github.com/kata-containers)
#   KVER                guest kernel ABI (default: what linux-image-amd64 depends on)
#   FORCE=1 / --force   rerun steps even when up to date
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
SELF=$HERE/kata.sh
REPO=$(cd "$HERE/../.." && pwd)
SRC=${VCSTORE_KATA_SRC:-$REPO/../shared/real-kata/src}
UPSTREAM=${KATA_UPSTREAM:-https://github.com/kata-containers}
W=${VCSTORE_KATA_WORK:-/var/tmp/vcstore-kata}
FORCE=${FORCE:-0}
VARIANT_GIVEN=${VARIANT:+1}
VARIANT=${VARIANT:-abec}
KVER=${KVER:-}
KC=github.com/kata-containers
IMAGE=docker.io/local/kata-busybox:latest
CTRNS=default

# pinned sources: name  tarball-stem  full commit
REV_HEAD=04f29832a923857db2f47a534ddbae886c0b541c   # runtime 1.13.0-alpha0
REV_ABEC=abec17f8f28c46d803764d6d9bbd5b63d8f2d52d   # runtime 1.9.0-rc0
REV_AGENT=0b75b2d82d41609fd30dadd11f93c7fe41258893
REV_PROXY=a0cb025e33635508d089836367967b7be2cde1b3
REV_SHIM=034515f750618d92397019ef627b1578f7e1ef68

# Kata state paths on the host (fixed by Kata 1.x)
S_SBX=/run/kata-containers/shared/sandboxes
KATA_DIRS=(/var/lib/vc /run/vc /run/kata-containers /run/netns)

log() { echo "[kata.sh $(date +%T)] $*" >&2; }
die() { echo "kata.sh: error: $*" >&2; exit 3; }
# unexpected failures (not die): say where; die's own message is already explicit
set -E; trap 'rc=$?; [ $rc -eq 3 ] || echo "kata.sh: failed (exit $rc) at line $LINENO: $BASH_COMMAND" >&2' ERR

case "$W" in /*) ;; *) die "VCSTORE_KATA_WORK must be an absolute path (got '$W')";; esac
case "$VARIANT" in abec|head) ;; *) die "VARIANT must be abec or head (got '$VARIANT')";; esac

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- per-variant paths
set_variant() {
  VARIANT=$1
  BINPATH=$W/bin-$VARIANT:$W/bin
  CFG=$W/etc/configuration-$VARIANT.toml
}
set_variant "$VARIANT"
# variant recorded for sandbox ID (unless VARIANT was given explicitly)
use_recorded_variant() { # id
  local f=$W/run/ids/$1
  if [ -z "$VARIANT_GIVEN" ] && [ -f "$f" ]; then set_variant "$(cut -d' ' -f1 "$f")"; fi
}
K() { PATH=$BINPATH:$PATH kata-runtime --log "$W/logs/kata-runtime-$VARIANT.log" --kata-config "$CFG" "$@"; }
CTR() { ctr -a "$W/containerd/containerd.sock" -n $CTRNS "$@"; }
elapsed() { printf '%.2f' "$(echo "$(date +%s.%N) - $1" | bc)"; }
valid_id() { [[ "${1:-}" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "missing or invalid sandbox ID '${1:-}'"; }

run_logged() { # logfile what cmd... : run, on failure show the log tail and fail
  local lf=$1 what=$2; shift 2
  if ! "$@" > "$lf" 2>&1; then tail -n 25 "$lf" >&2; die "$what failed (full log: $lf)"; fi
}

# ---------------------------------------------------------------- up-to-date stamps
# Each build step has inputs_<step> (text whose hash identifies its inputs: upstream
# stamps, tool versions, the step's own code) and outputs_<step> (files that must exist).
stamp_hash() { { declare -f "step_$1" "inputs_$1"; "inputs_$1"; } | sha256sum | cut -c1-64; }
outputs_ok() { local f; for f in $("outputs_$1"); do [ -e "$f" ] || return 1; done; }
run_step() { # step
  local s=$1 h st=$W/stamps/$1
  mkdir -p "$W/stamps" "$W/logs"
  h=$(stamp_hash "$s")
  if [ "$FORCE" != 1 ] && [ -f "$st" ] && [ "$(cat "$st")" = "$h" ] && outputs_ok "$s"; then
    log "$s: up to date"; return 0
  fi
  rm -f "$st"
  local t=$SECONDS
  log "$s: running"
  "step_$s"
  outputs_ok "$s" || die "$s: finished but outputs are missing: $("outputs_$s" | tr '\n' ' ')"
  echo "$h" > "$st"
  log "$s: done in $((SECONDS - t))s"
}
upstream() { local s; for s; do [ -f "$W/stamps/$s" ] || die "step '$s' has not run yet: run 'kata.sh $s' (or 'kata.sh all')"; cat "$W/stamps/$s"; done; }

# ---------------------------------------------------------------- apt
APT_PKGS=(golang-go make gcc libc6-dev qemu-system-x86 busybox-static cpio kmod gzip
          containerd runc bc python3 xz-utils procps util-linux coreutils tar)
cmd_apt() {
  need_root
  local p missing=() pk=("${APT_PKGS[@]}")
  [ -n "${KATA_MIRRORS:-}" ] && pk+=(git)
  for p in "${pk[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ] && apt-cache show linux-image-amd64 >/dev/null 2>&1; then
    log "apt: all packages present"; return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show linux-image-amd64 >/dev/null 2>&1 || [ ${#missing[@]} -gt 0 ]; then
    log "apt: apt-get update"; run_logged "$W/logs/apt-update.log" "apt-get update" apt-get update
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt: installing ${missing[*]}"
    run_logged "$W/logs/apt-install.log" "apt-get install" apt-get install -y --no-install-recommends "${missing[@]}"
  fi
  log "apt: done"
}

# ---------------------------------------------------------------- sources
SRC_LIST="runtime:$REV_HEAD:gopath-head runtime:$REV_ABEC:gopath-abec agent:$REV_AGENT:gopath-head proxy:$REV_PROXY:gopath-head shim:$REV_SHIM:gopath-head"
inputs_sources() {
  echo "$SRC_LIST"
  if [ -n "${KATA_MIRRORS:-}" ]; then echo "mirrors $KATA_MIRRORS"
  elif [ -f "$SRC/SHA256SUMS" ]; then cat "$SRC/SHA256SUMS"
  else echo "clone $UPSTREAM"; fi
  declare -f unpack_tar unpack_git patch_sources clone_mirrors
}
outputs_sources() {
  echo "$W/gopath-head/src/$KC/runtime/Makefile $W/gopath-abec/src/$KC/runtime/Makefile"
  echo "$W/gopath-head/src/$KC/agent/Makefile $W/gopath-head/src/$KC/proxy/proxy.go $W/gopath-head/src/$KC/shim/shim.go"
}
unpack_tar() { # repo rev dest
  local f=$SRC/$1-${2:0:8}.tar.xz
  [ -f "$f" ] || die "missing source tarball $f"
  rm -rf "$3"; mkdir -p "$3"
  xz -dc "$f" | tar -x --no-same-owner --strip-components=1 -C "$3"
}
unpack_git() { # repo rev dest : git archive of rev, skipping blobs the mirror does not hold
  local g=$KATA_MIRRORS/kata-containers+$1/repo ex=() _mode type sha path
  [ -d "$g" ] || die "missing git mirror $g (layout: \$KATA_MIRRORS/kata-containers+<repo>/repo, a bare git dir)"
  git --git-dir="$g" cat-file -e "$2^{commit}" 2>/dev/null || die "commit $2 not in mirror $g"
  while read -r _mode type sha path; do
    if [ "$type" = blob ] && ! git --git-dir="$g" cat-file -e "$sha" 2>/dev/null; then
      ex+=(":!$path"); log "  $1: blob absent in mirror, left out: $path"
    fi
  done < <(git --git-dir="$g" ls-tree -r "$2")
  rm -rf "$3"; mkdir -p "$3"
  git --git-dir="$g" archive "$2" -- . "${ex[@]}" 2>>"$W/logs/git-archive.log" | tar -x -C "$3"
}
patch_sources() {
  # 1.13 containerd-shim-kata-v2 ignores KATA_CONF_FILE at shim start (service.go New())
  local f=$W/gopath-head/src/$KC/runtime/containerd-shim-v2/service.go
  sed -i 's|_, runtimeConfig, err := katautils.LoadConfiguration("", false, true)$|_, runtimeConfig, err := katautils.LoadConfiguration(os.Getenv("KATA_CONF_FILE"), false, true) // kata.sh: honour KATA_CONF_FILE|' "$f"
  grep -q 'kata.sh: honour KATA_CONF_FILE' "$f" || die "the KATA_CONF_FILE patch did not apply to $f"
}
clone_mirrors() { # no tarballs, no mirrors: clone the upstream repos (needs internet)
  local repo g
  have git || die "no Kata sources at $SRC and git is not installed (apt-get install git), or set VCSTORE_KATA_SRC"
  for repo in runtime agent proxy shim; do
    g=$W/mirrors/kata-containers+$repo/repo
    if [ -d "$g" ]; then
      run_logged "$W/logs/git-fetch-$repo.log" "git fetch $UPSTREAM/$repo" git --git-dir="$g" fetch --quiet origin '+refs/*:refs/*'
    else
      rm -rf "$g"; mkdir -p "$(dirname "$g")"
      run_logged "$W/logs/git-clone-$repo.log" "git clone --mirror $UPSTREAM/$repo" git clone --quiet --mirror "$UPSTREAM/$repo" "$g"
    fi
  done
  KATA_MIRRORS=$W/mirrors
}
step_sources() {
  local e repo rev gp
  if [ -z "${KATA_MIRRORS:-}" ] && [ ! -d "$SRC" ]; then
    log "sources: no $SRC: cloning $UPSTREAM/{runtime,agent,proxy,shim} into $W/mirrors"
    clone_mirrors
  fi
  if [ -n "${KATA_MIRRORS:-}" ]; then
    have git || die "git is needed with KATA_MIRRORS (apt-get install git)"
    log "sources: from git mirrors under $KATA_MIRRORS (pinned by commit)"
  else
    [ -f "$SRC/SHA256SUMS" ] || die "missing $SRC/SHA256SUMS"
    (cd "$SRC" && sha256sum --quiet --strict -c SHA256SUMS) || die "source tarballs in $SRC do not match their SHA256SUMS"
    log "sources: tarballs in $SRC verified against SHA256SUMS"
  fi
  rm -rf "$W/gopath-head" "$W/gopath-abec"
  for e in $SRC_LIST; do
    IFS=: read -r repo rev gp <<<"$e"
    if [ -n "${KATA_MIRRORS:-}" ]; then unpack_git "$repo" "$rev" "$W/$gp/src/$KC/$repo"
    else unpack_tar "$repo" "$rev" "$W/$gp/src/$KC/$repo"; fi
  done
  patch_sources
}

# ---------------------------------------------------------------- build
export GO111MODULE=off GOPROXY=off GOFLAGS="" GOENV=off GOTOOLCHAIN=local GOCACHE=$W/gocache
export GIT_CEILING_DIRECTORIES=$W   # the Makefiles ask git for a commit id: not from a repo around $W
inputs_build() { upstream sources; go version 2>&1; gcc --version 2>&1 | head -1; }
outputs_build() {
  local v; for v in head abec; do echo "$W/bin-$v/kata-runtime $W/bin-$v/containerd-shim-kata-v2"; done
  echo "$W/bin/kata-agent $W/bin/kata-proxy $W/bin/kata-shim"
}
step_build() {
  have go || die "go not found: run 'kata.sh apt'"
  local v t
  mkdir -p "$W/bin" "$W/bin-head" "$W/bin-abec"
  for v in head abec; do
    cd "$W/gopath-$v/src/$KC/runtime"; t=$SECONDS
    run_logged "$W/logs/build-runtime-$v.log" "build of runtime ($v)" \
      env GOPATH="$W/gopath-$v" make runtime containerd-shim-v2 QEMUPATH=/usr/bin/qemu-system-x86_64 SKIP_GO_VERSION_CHECK=1
    cp kata-runtime containerd-shim-kata-v2 "$W/bin-$v/"
    log "  runtime $v (kata-runtime + containerd-shim-kata-v2): $((SECONDS - t))s"
  done
  # agent: static (cgo for libcontainer/nsenter, -extldflags -static), no seccomp
  cd "$W/gopath-head/src/$KC/agent"; t=$SECONDS
  run_logged "$W/logs/build-agent.log" "build of kata-agent" env GOPATH="$W/gopath-head" make STATIC=1 SECCOMP=no
  cp kata-agent "$W/bin/kata-agent"; log "  kata-agent: $((SECONDS - t))s"
  # kata-proxy + kata-shim: needed by the kata-runtime CLI path (no vsock -> virtio-serial)
  for v in proxy shim; do
    cd "$W/gopath-head/src/$KC/$v"; t=$SECONDS
    run_logged "$W/logs/build-$v.log" "build of kata-$v" env GOPATH="$W/gopath-head" go build -o "$W/bin/kata-$v" .
    log "  kata-$v: $((SECONDS - t))s"
  done
  cd "$W"
}

# ---------------------------------------------------------------- kernel
resolve_kver() {
  [ -n "$KVER" ] && return 0
  KVER=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{sub("linux-image-","",$2); print $2; exit}')
  [ -n "$KVER" ] || die "cannot tell which kernel linux-image-amd64 depends on: run 'kata.sh apt' (apt-get update) or set KVER"
}
inputs_kernel() { resolve_kver; echo "$KVER"; }
outputs_kernel() { resolve_kver; echo "$W/kernel/root/boot/vmlinuz-$KVER $W/kernel/root/lib/modules/$KVER/modules.dep $W/kernel/KVER"; }
step_kernel() {
  resolve_kver; mkdir -p "$W/kernel"; cd "$W/kernel"
  find . -maxdepth 1 -name 'linux-image-*.deb' ! -name "linux-image-${KVER}_*" -delete
  if ! ls linux-image-"${KVER}"_*.deb >/dev/null 2>&1; then
    run_logged "$W/logs/kernel-download.log" "apt-get download linux-image-$KVER" apt-get download "linux-image-$KVER"
  fi
  rm -rf root; dpkg -x linux-image-"${KVER}"_*.deb root
  depmod -b root "$KVER"
  echo "$KVER" > KVER
  log "  kernel $KVER unpacked under $W/kernel/root (not installed)"
  cd "$W"
}

# ---------------------------------------------------------------- initrd
inputs_initrd() { upstream kernel build; sha256sum /bin/busybox "$W/bin/kata-agent"; }
outputs_initrd() { echo "$W/initrd/kata-containers-initrd.img $W/initrd/vmlinuz.container"; }
step_initrd() {
  dpkg-query -W -f='${Status}\n' busybox-static 2>/dev/null | grep -q 'install ok installed' || die "busybox-static is not installed: run 'kata.sh apt'"
  local kv KROOT=$W/kernel/root OUT=$W/initrd p m
  kv=$(cat "$W/kernel/KVER")
  rm -rf "$OUT"; mkdir -p "$OUT/tree"; cd "$OUT/tree"
  mkdir -p bin sbin usr/bin usr/sbin proc sys dev run tmp etc "lib/modules/$kv" root var
  cp /bin/busybox bin/busybox
  for p in sh mount umount insmod modprobe ls cat echo mkdir sleep dmesg ps; do ln -sf busybox bin/$p; done
  cp "$W/bin/kata-agent" usr/bin/kata-agent
  # Debian builds these as modules; load order resolved from modules.dep
  : > etc/modules.order
  for p in $(for m in virtio_pci virtio_console 9pnet_virtio 9p virtio_blk virtio_net; do
               modprobe -d "$KROOT" -S "$kv" --show-depends $m; done |
             awk '$1=="insmod"{print $2}' | awk '!seen[$0]++' | sed "s|.*/lib/modules/$kv/||"); do
    mkdir -p "lib/modules/$kv/$(dirname "$p")"; cp "$KROOT/lib/modules/$kv/$p" "lib/modules/$kv/$p"
    echo "/lib/modules/$kv/$p" >> etc/modules.order
  done
  grep -q '/9p.ko' etc/modules.order || die "initrd: 9p module not found in $KROOT"
  echo 'root:x:0:0:root:/root:/bin/sh' > etc/passwd; echo 'root:x:0:' > etc/group
  cat > init <<'EOI'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs dev /dev
for m in $(/bin/busybox cat /etc/modules.order); do
  /bin/busybox insmod $m || echo "init: insmod $m failed"
done
echo "init: modules loaded, exec kata-agent" > /dev/kmsg
# keep /dev mounted (the agent tolerates it); proc/sys are mounted again by the agent
/bin/busybox umount /sys /proc
# the agent logs to stderr: send it to the virtio console (hvc0 = Kata's console.sock)
if [ -c /dev/hvc0 ]; then exec </dev/null >/dev/hvc0 2>&1; fi
exec /usr/bin/kata-agent
EOI
  chmod +x init
  find . | cpio -o -H newc --quiet | gzip -1 > "$OUT/kata-containers-initrd.img"
  cp "$KROOT/boot/vmlinuz-$kv" "$OUT/vmlinuz.container"
  log "  initrd: $(stat -c %s "$OUT/kata-containers-initrd.img") bytes, $(wc -l < etc/modules.order) modules"
  cd "$W"
}

# ---------------------------------------------------------------- config
inputs_config() { upstream build; echo "$W"; sha256sum /bin/busybox; }
outputs_config() { echo "$W/bin/qemu-kata-tcg $W/etc/configuration-head.toml $W/etc/configuration-abec.toml $W/bundle/config.json $W/bundle/rootfs/probe.sh"; }
step_config() {
  [ -z "$(ls -A /run/vc/sbs 2>/dev/null)" ] || die "config: sandboxes exist under /run/vc/sbs (the bundle is in use): clean them first"
  mkdir -p "$W/etc"
  cat > "$W/bin/qemu-kata-tcg" <<EOF
#!/bin/bash
# Kata 1.x hardcodes "-machine pc,accel=kvm,kernel_irqchip" and "-cpu host,...".
# Rewritten to TCG: /dev/kvm on these hosts (kvm_pvm) cannot run a stock guest kernel.
args=()
while [ \$# -gt 0 ]; do
  a="\$1"; shift
  case "\$a" in
    -machine) m="\$1"; shift
              m="\${m//accel=kvm/accel=tcg}"; m=\$(sed -E 's/,kernel_irqchip(=[a-z]+)?//' <<<"\$m")
              args+=(-machine "\$m");;
    -cpu)     c="\$1"; shift; c="\${c/#host/max}"; args+=(-cpu "\$c");;
    -realtime) v="\$1"; shift; args+=(-overcommit "mem-lock=\${v#mlock=}");;
    -global)  g="\$1"; shift; case "\$g" in kvm-pit.*) ;; *) args+=(-global "\$g");; esac;;
    *)        args+=("\$a");;
  esac
done
echo "\$(date +%FT%T) \${args[*]}" >> "$W/logs/qemu-wrapper.log"
exec /usr/bin/qemu-system-x86_64 "\${args[@]}"
EOF
  chmod +x "$W/bin/qemu-kata-tcg"
  local v src out
  for v in head abec; do
    src=$W/gopath-$v/src/$KC/runtime/cli/config/configuration-qemu.toml; out=$W/etc/configuration-$v.toml
    [ -f "$src" ] || die "missing $src (generated by the build step)"
    sed -e "s|^path = \"/usr/bin/qemu-system-x86_64\"|path = \"$W/bin/qemu-kata-tcg\"|" \
        -e "s|^kernel = .*|kernel = \"$W/initrd/vmlinuz.container\"|" \
        -e "s|^initrd = .*|initrd = \"$W/initrd/kata-containers-initrd.img\"|" \
        -e "s|^image = |#image = |" \
        -e "s|^valid_hypervisor_paths = .*|valid_hypervisor_paths = [\"$W/bin/qemu-kata-tcg\"]|" \
        -e "s|^default_memory = .*|default_memory = 1024|" \
        -e "s|^#enable_debug = true|enable_debug = true|" \
        -e "s|^path = \"/usr/libexec/kata-containers/kata-proxy\"|path = \"$W/bin/kata-proxy\"|" \
        -e "s|^path = \"/usr/libexec/kata-containers/kata-shim\"|path = \"$W/bin/kata-shim\"|" \
        -e "s|^path = \"/usr/libexec/kata-containers/kata-netmon\"|path = \"$W/bin/kata-netmon\"|" \
        "$src" > "$out"
    if ! grep -q "^path = \"$W/bin/qemu-kata-tcg\"" "$out" || ! grep -q "^path = \"$W/bin/kata-shim\"" "$out"; then
      die "config: $out was not rewritten as expected (upstream template changed?)"
    fi
  done
  # OCI bundle with a busybox rootfs (kata-runtime CLI path; also the containerd image)
  local B=$W/bundle
  rm -rf "$B"; mkdir -p "$B"/rootfs/{bin,proc,sys,dev,etc,tmp}; cp /bin/busybox "$B/rootfs/bin/"
  for v in sh ls cat ps echo sleep uname hostname mount id; do ln -sf busybox "$B/rootfs/bin/$v"; done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$B/rootfs/etc/passwd"
  # shellcheck disable=SC2016 # expanded in the guest, not here
  printf '%s\n' 'echo exec-ok' 'echo "hostname: $(hostname)"' 'echo "kernel:   $(uname -r)"' \
     'echo "mounts:"; mount | grep -E " / |9p"' 'echo "ps:"; ps' > "$B/rootfs/probe.sh"
  (cd "$B" && runc spec && python3 - <<'EOF'
import json
c = json.load(open('config.json'))
c['process']['terminal'] = False
c['process']['args'] = ['sh', '-c', 'echo hello-from-kata; uname -a; sleep 3600']
c['root']['readonly'] = False
c['hostname'] = 'kata-sandbox'
json.dump(c, open('config.json', 'w'), indent=1)
EOF
  )
  cd "$W"
}

cmd_all() { local s; for s in sources build kernel initrd config; do run_step $s; done; log "all: done (next: kata.sh hostprep)"; }

# ---------------------------------------------------------------- host preparation
syslog_ok() { [ -S /dev/log ] && python3 -c 'import socket; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.connect("/dev/log")' 2>/dev/null; }
mnt_count() { awk -v m="$1" '$5==m' /proc/self/mountinfo | wc -l; }
cmd_hostprep() {
  need_root; mkdir -p "$W/run" "$W/logs"
  [ -f "$W/stamps/config" ] || die "not built yet: run 'kata.sh all' first"
  # kata-runtime logs to syslog and dies without /dev/log ("Unix syslog delivery error")
  if ! syslog_ok; then
    [ -S /dev/log ] && { log "removing stale /dev/log"; rm -f /dev/log; }
    setsid busybox syslogd -n -O "$W/logs/syslog.log" >/dev/null 2>&1 < /dev/null &
    echo $! > "$W/run/syslogd.pid"
    for _ in $(seq 50); do syslog_ok && break; sleep 0.1; done
    syslog_ok || die "busybox syslogd did not provide /dev/log"
    log "busybox syslogd (pid $(cat "$W/run/syslogd.pid")) provides /dev/log -> $W/logs/syslog.log"
  fi
  # mounts present before we touch anything: teardown goes back to these counts
  [ -f "$W/run/netns.base" ] || mnt_count /run/netns > "$W/run/netns.base"
  [ -f "$W/run/dirs.base" ] || { local d; for d in "${KATA_DIRS[@]}" /sys/fs/cgroup/*/default /sys/fs/cgroup/*/kata_vc; do [ -e "$d" ] && echo "$d"; done > "$W/run/dirs.base" || true; }
  # 1.13 binds sandboxes/<id>/mounts -> sandboxes/<id>/shared (ro, slave): needs a shared
  # mount above it, else the container rootfs is invisible in the guest
  if [ "$(mnt_count $S_SBX)" = 0 ]; then
    mkdir -p $S_SBX && mount --bind $S_SBX $S_SBX && echo $S_SBX >> "$W/run/our-mounts"
    log "bind-mounted $S_SBX onto itself"
  fi
  [ "$(findmnt -rn -M $S_SBX -o PROPAGATION | tail -1)" = shared ] || { mount --make-shared $S_SBX; log "made $S_SBX shared"; }
  log "hostprep: done"
}

cmd_check() {
  syslog_ok || die "no working /dev/log: run 'kata.sh hostprep' first"
  K kata-check 2>&1 | tee "$W/logs/kata-check-$VARIANT.log" || true
  K kata-env > "$W/logs/kata-env-$VARIANT.toml"; log "kata-env ($VARIANT) -> $W/logs/kata-env-$VARIANT.toml"
}

# ---------------------------------------------------------------- sandboxes
show_state() { # [id]
  local id=${1:-}
  echo "### processes"
  pgrep -a -f "qemu-system|kata-(proxy|shim)|shim-kata" | cut -c1-220 || true
  echo "### store + runtime dirs"
  find /var/lib/vc /run/vc /run/kata-containers -maxdepth 6 2>/dev/null | grep -v '/rootfs/.' || true
  echo "### mounts"
  grep -E 'kata|/vc/|netns|'"$W/containerd" /proc/self/mountinfo || true
  echo "### netns"; ls /run/netns 2>/dev/null || true
  echo "### cgroups"
  find /sys/fs/cgroup/*/ -maxdepth 2 -type d \( -name "kata*" ${id:+-o -name "*$id*"} \) 2>/dev/null || true
}
preflight() {
  need_root
  [ -f "$W/stamps/config" ] || die "not built yet: run 'kata.sh all' first"
  syslog_ok || die "no working /dev/log: run 'kata.sh hostprep' first"
  [ "$(mnt_count $S_SBX)" != 0 ] || die "$S_SBX is not a shared mount: run 'kata.sh hostprep' first"
}
record_id() { mkdir -p "$W/run/ids"; echo "$VARIANT $2" > "$W/run/ids/$1"; }

cmd_cli_run() { # id
  local id=$1 t; preflight
  if [ -e "/run/vc/sbs/$id" ]; then die "sandbox $id already exists (cli-clean/ctr-clean it first)"; fi
  record_id "$id" cli; t=$(date +%s.%N)
  if ! K run -d -b "$W/bundle" "$id" > "$W/logs/$id.out" 2> "$W/logs/$id.err"; then
    tail -n 20 "$W/logs/$id.err" "$W/logs/kata-runtime-$VARIANT.log" >&2 || true
    die "kata-runtime run $id failed (logs: $W/logs/$id.err, $W/logs/kata-runtime-$VARIANT.log, $W/logs/syslog.log)"
  fi
  log "kata-runtime ($VARIANT) run -d $id: $(elapsed "$t")s"
  K list
  # "kata-runtime exec ID sh -c '...'" loses everything after "sh": run a script instead
  K exec "$id" sh /probe.sh
  show_state "$id" | tee "$W/logs/$id-running.txt"
}

cmd_leak() { # id : kill -9 everything that belongs to sandbox id
  local id=$1 pids; need_root; use_recorded_variant "$id"
  pids="$(cat "/run/vc/vm/$id/pid" 2>/dev/null || true) $(pgrep -f "(kata-shim|kata-proxy) .*/run/vc/sbs/$id/" || true) $(pgrep -f "containerd-shim-kata-v2 .* -id $id( |$)" || true)"
  pids=$(xargs <<<"$pids")
  [ -n "$pids" ] || die "no process found for sandbox $id"
  log "kill -9 $pids"; read -ra pids <<<"$pids"; kill -9 "${pids[@]}" || true; sleep 2
  show_state "$id" | tee "$W/logs/$id-leaked.txt"
  (cd / && tar -cf "$W/logs/$id-leaked-store.tar" --exclude='*/rootfs/*' var/lib/vc run/vc run/kata-containers 2>/dev/null) || true
  log "leaked state listed in $W/logs/$id-leaked.txt, store copy (no sockets) in $W/logs/$id-leaked-store.tar"
}

cmd_cli_clean() { # id
  local id=$1 t; need_root; use_recorded_variant "$id"
  syslog_ok || die "no working /dev/log: run 'kata.sh hostprep' first"
  t=$(date +%s.%N)
  K delete -f "$id"
  log "kata-runtime ($VARIANT) delete -f $id: $(elapsed "$t")s"
  rm -f "$W/run/ids/$id"
  show_state "$id"
}

# ---------------------------------------------------------------- containerd path
ctr_pid() { local p; p=$(cat "$W/run/containerd.pid" 2>/dev/null) && kill -0 "$p" 2>/dev/null && echo "$p"; }
cmd_ctr_up() {
  preflight
  local sock=$W/containerd/containerd.sock p
  [ ${#sock} -lt 100 ] || die "containerd socket path too long for a unix socket: $sock (use a shorter VCSTORE_KATA_WORK)"
  if p=$(ctr_pid); then
    [ "$(cat "$W/run/containerd.variant")" = "$VARIANT" ] || die "containerd (pid $p) already runs VARIANT=$(cat "$W/run/containerd.variant"): run 'kata.sh ctr-down' first"
    log "containerd already running (pid $p)"; return 0
  fi
  mkdir -p "$W/containerd/root" "$W/containerd/state" "$W/image"
  cat > "$W/containerd/config.toml" <<EOF
version = 2
root = "$W/containerd/root"
state = "$W/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  level = "debug"
EOF
  # containerd finds containerd-shim-kata-v2 on its PATH; the shim inherits KATA_CONF_FILE
  PATH=$BINPATH:$PATH KATA_CONF_FILE=$CFG setsid containerd --config "$W/containerd/config.toml" \
    > "$W/logs/containerd-$VARIANT.log" 2>&1 < /dev/null &
  echo $! > "$W/run/containerd.pid"; echo "$VARIANT" > "$W/run/containerd.variant"
  for _ in $(seq 100); do CTR version >/dev/null 2>&1 && break; ctr_pid >/dev/null || break; sleep 0.2; done
  CTR version >/dev/null 2>&1 || { tail -n 20 "$W/logs/containerd-$VARIANT.log" >&2; die "containerd did not come up (log: $W/logs/containerd-$VARIANT.log)"; }
  log "containerd (pid $(cat "$W/run/containerd.pid"), VARIANT=$VARIANT) on $sock"
  # no registry: one-layer OCI image made from the bundle's busybox rootfs
  # (ctr run --rootfs DIR does not work with the kata shim v2: it always uses <bundle>/rootfs)
  python3 "$HERE/make-oci-image.py" "$W/bundle/rootfs" "$W/image/busybox-oci.tar" $IMAGE >/dev/null
  CTR images import "$W/image/busybox-oci.tar" >/dev/null
  log "imported $IMAGE"
}
ctr_variant() { local p; p=$(ctr_pid) || die "containerd is not running: run 'kata.sh ctr-up'"
  [ -z "$VARIANT_GIVEN" ] || [ "$VARIANT" = "$(cat "$W/run/containerd.variant")" ] || die "containerd runs VARIANT=$(cat "$W/run/containerd.variant"), not $VARIANT"
  set_variant "$(cat "$W/run/containerd.variant")"; }
cmd_ctr_run() { # id
  local id=$1 t; preflight; ctr_variant
  record_id "$id" ctr; t=$(date +%s.%N)
  mkdir -p "$W/containerd/fifo"   # ctr's stdio FIFOs (default: /run/containerd/fifo)
  CTR run -d --fifo-dir "$W/containerd/fifo" --runtime io.containerd.kata.v2 $IMAGE "$id" sh -c 'echo hello; sleep 3600' \
    || die "ctr run $id failed (logs: $W/logs/containerd-$VARIANT.log, $W/logs/syslog.log)"
  log "ctr run ($VARIANT) $id: $(elapsed "$t")s"
  CTR task ls
  CTR task exec --fifo-dir "$W/containerd/fifo" --exec-id "probe-$RANDOM" "$id" sh /probe.sh
  show_state "$id" | tee "$W/logs/$id-running.txt"
}
cmd_ctr_clean() { # id : what containerd's own "cleaning up dead shim" (5 s timeout) failed to do
  local id=$1 b=$W/containerd/state/io.containerd.runtime.v2.task/$CTRNS/$1 t; need_root; ctr_variant
  t=$(date +%s.%N)
  if [ -d "$b" ]; then
    (cd "$b" && PATH=$BINPATH:$PATH KATA_CONF_FILE=$CFG timeout 120 containerd-shim-kata-v2 -namespace $CTRNS \
        -address "$W/containerd/containerd.sock" -publish-binary "$(command -v containerd)" -id "$id" -bundle "$b" delete) \
        > /dev/null 2> "$W/logs/$id-shim-delete.err" || log "shim delete returned non-zero (see $W/logs/$id-shim-delete.err)"
    log "containerd-shim-kata-v2 ($VARIANT) delete $id: $(elapsed "$t")s"
  else
    log "no bundle dir $b (containerd cleaned it, or the task was deleted normally)"
  fi
  CTR task rm -f "$id" >/dev/null 2>&1 || true
  CTR containers rm "$id" || true
  # containerd's bundle dir: drop it once nothing is mounted below it any more
  if [ -d "$b" ]; then
    if awk '{print $5}' /proc/self/mountinfo | grep -q "^$(re_escape "$b")/"; then log "kept $b: still mounted below it"
    else rm -rf --one-file-system "$b"; fi
  fi
  rm -f "$W/run/ids/$id"
  show_state "$id"
}
cmd_ctr_down() {
  local p; p=$(ctr_pid) || { log "containerd is not running"; rm -f "$W/run/containerd.pid"; return 0; }
  kill "$p"; for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$p" 2>/dev/null && die "containerd (pid $p) did not stop"
  rm -f "$W/run/containerd.pid" "$W/run/containerd.variant"; log "stopped containerd $p"
}

# ---------------------------------------------------------------- teardown
# shellcheck disable=SC2001 # a bracket expression, not a plain substitution
re_escape() { sed 's/[].[^$*+?(){}|\\]/\\&/g' <<<"$1"; }
cmd_teardown() {
  need_root
  local p d Wre live base n bad
  Wre=$(re_escape "$W")
  live=$(pgrep -f "$Wre/(initrd/vmlinuz|bin/kata-(proxy|shim)|bin-(abec|head)/containerd-shim-kata-v2)" | tr '\n' ' ' || true)
  [ -z "$live" ] || die "sandbox processes still running (pids $live): clean them first (cli-clean / ctr-clean, or leak + clean)"
  cmd_ctr_down
  if p=$(cat "$W/run/syslogd.pid" 2>/dev/null) && kill -0 "$p" 2>/dev/null; then
    kill "$p"; for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    rm -f /dev/log; log "stopped syslogd $p, removed /dev/log"
  fi
  rm -f "$W/run/syslogd.pid"
  # undo hostprep's bind mount, and the /run/netns self-bind kata's netns code adds
  if [ -f "$W/run/our-mounts" ]; then
    while read -r d; do [ "$(mnt_count "$d")" = 0 ] || umount "$d" || die "cannot unmount $d (sandbox mounts still below it?)"; done < "$W/run/our-mounts"
    rm -f "$W/run/our-mounts"
  fi
  base=$(cat "$W/run/netns.base" 2>/dev/null || echo 0)
  while [ "$(mnt_count /run/netns)" -gt "$base" ]; do
    n=$(find /run/netns -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    [ "$n" = 0 ] || die "/run/netns still holds network namespaces ($(find /run/netns -mindepth 1 -maxdepth 1 -printf '%f ')): clean the sandboxes first"
    umount /run/netns || die "cannot unmount /run/netns"
  done
  # empty cgroups Kata leaves behind (kata_vc for the CLI, <ns>/kata_<id> for shim v2)
  for d in /sys/fs/cgroup/*/kata_vc /sys/fs/cgroup/*/"$CTRNS"/kata_* /sys/fs/cgroup/*/"$CTRNS"; do
    [ -d "$d" ] || continue
    grep -qxF "$d" "$W/run/dirs.base" 2>/dev/null && continue
    rmdir "$d" 2>/dev/null || log "cgroup $d not removed (not empty?)"
  done
  # never rm -rf through a live mount (shared/<id>/.../rootfs is a bind of the container rootfs)
  bad=$(awk '{print $5}' /proc/self/mountinfo | while read -r d; do
          for p in "${KATA_DIRS[@]}" "$W"; do case "$d" in "$p"/*) echo "$d";; esac; done; done)
  if [ -n "$bad" ]; then
    while read -r d; do echo "  mounted: $d"; done <<<"$bad" >&2
    die "mounts still present under the Kata dirs: not removing anything (clean the leaked sandboxes first)"
  fi
  for d in /var/lib/vc /run/vc /run/kata-containers; do
    [ -e "$d" ] || continue
    if [ "$(mnt_count "$d")" != 0 ]; then find "$d" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system {} +   # a tmpfs of 'isolated'
    else rm -rf --one-file-system "$d"; fi
  done
  if [ "$(mnt_count /run/netns)" = 0 ] && ! grep -qxF /run/netns "$W/run/dirs.base" 2>/dev/null; then rmdir /run/netns 2>/dev/null || true; fi
  rm -rf --one-file-system "$W/containerd/state" "$W/containerd/root" "$W/containerd/fifo"
  rm -f "$W/containerd/containerd.sock" "$W/containerd/containerd.sock.ttrpc"
  rm -rf "$W/run"
  log "teardown: done"
}

# ---------------------------------------------------------------- isolation helper
cmd_isolated() { # cmd... : private mount namespace, tmpfs over the Kata state dirs
  need_root; [ $# -gt 0 ] || die "usage: kata.sh isolated CMD [ARGS...]"
  local d made=() rc=0
  for d in "${KATA_DIRS[@]}"; do [ -e "$d" ] || { mkdir -p "$d"; made+=("$d"); }; done
  # shellcheck disable=SC2016 # expanded by the inner bash
  unshare --mount --propagation private -- bash -c '
    set -e
    for d in /run/vc /var/lib/vc /run/kata-containers /run/netns; do mount -t tmpfs -o mode=755 kata-isolated "$d"; done
    exec "$@"' kata-isolated "$@" || rc=$?
  # remove the mount-point dirs made above unless some namespace still has the tmpfs on them
  if grep -qs ' tmpfs kata-isolated ' /proc/[0-9]*/mountinfo; then
    [ ${#made[@]} -eq 0 ] || log "kept ${made[*]}: a private namespace still uses them"
  else
    for d in "${made[@]}"; do rmdir "$d" 2>/dev/null || true; done
  fi
  return $rc
}

# ---------------------------------------------------------------- npm run test:kata
# One line on stderr saying why the suite cannot run on this host, and a non-zero exit:
# the suite is never skipped silently.
cannot() { echo "test:kata: cannot run the real-Kata suite: $*" >&2; exit 3; }
cmd_preflight() {
  [ "$(id -u)" = 0 ] || cannot "needs root (real sandboxes use /run/vc, /var/lib/vc, /run/netns and host cgroups)"
  local t missing=()
  for t in go make gcc qemu-system-x86_64 containerd ctr runc cpio depmod modprobe bc python3 xz unshare findmnt pgrep node; do
    have "$t" || missing+=("$t")
  done
  dpkg-query -W -f='${Status}\n' busybox-static 2>/dev/null | grep -q 'install ok installed' || missing+=(busybox-static)
  [ ${#missing[@]} -eq 0 ] || cannot "missing ${missing[*]} (.ci/run installs them; or: scripts/kata/kata.sh apt)"
  qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg || cannot "qemu-system-x86_64 has no TCG accelerator ($(qemu-system-x86_64 --version 2>&1 | head -1))"
  if [ ! -f /sys/fs/cgroup/memory/cgroup.procs ] || [ ! -f /sys/fs/cgroup/cpu/cgroup.procs ]; then
    cannot "Kata 1.x needs cgroup v1 hierarchies (/sys/fs/cgroup/memory, /sys/fs/cgroup/cpu); this host has $(stat -f -c %T /sys/fs/cgroup 2>/dev/null) at /sys/fs/cgroup"
  fi
  unshare --mount --propagation private true 2>/dev/null || cannot "cannot make a private mount namespace (unshare --mount failed)"
  [ -d "$SRC" ] || [ -n "${KATA_MIRRORS:-}" ] || [ -f "$W/stamps/sources" ] || have git \
    || cannot "no Kata sources: $SRC does not exist and git is not installed to clone $UPSTREAM (set VCSTORE_KATA_SRC)"
  return 0
}
cmd_test() { # [compiled test files...]
  local files=("$@") t rc=0 err
  cmd_preflight
  [ ${#files[@]} -gt 0 ] || files=("$REPO"/dist/test/kata/*.test.js)
  [ -f "${files[0]}" ] || cannot "no compiled tests at $REPO/dist/test/kata (run npm run build)"
  mkdir -p "$W/logs"; t=$SECONDS
  # One run at a time per work dir: its containerd socket, build stamps and host cgroup names are shared.
  exec 9>"$W/test.lock"
  if ! flock -n 9; then
    log "test: another test:kata run holds $W/test.lock; waiting for it"
    flock 9
  fi
  if ! (cmd_all) > "$W/logs/all.log" 2>&1; then
    err=$(grep -E '^kata.sh: (error|failed)' "$W/logs/all.log" | head -1)
    cannot "the Kata build failed: ${err:-see the log} (log: $W/logs/all.log)"
  fi
  log "test: Kata build up to date in $((SECONDS - t))s; the suite runs in one private mount namespace"
  cgroups_now > "$W/cgroups.base"
  t=$SECONDS
  cmd_isolated bash "$SELF" _suite "${files[@]}" || rc=$?
  host_cgroup_sweep
  log "test: suite finished in $((SECONDS - t))s, exit $rc"
  return $rc
}
cmd_suite() { # in the private namespace of cmd_test: hostprep, the tests, a sweep, teardown
  local rc=0
  # a fresh namespace: what an earlier session left in the work dir (containerd's metadata
  # still naming its sandboxes, hostprep's records) is stale; nothing can be running from it
  [ -z "$(ctr_pid)" ] || cannot "a containerd from an earlier session still runs (pid $(ctr_pid)): stop it first"
  rm -rf --one-file-system "$W/containerd/root" "$W/containerd/state" "$W/run"
  cmd_hostprep
  export KATA_SH=$SELF VCSTORE_KATA_WORK=$W
  (cd "$REPO" && node --test --test-concurrency=1 "$@") || rc=$?
  sweep || rc=1
  (cmd_teardown) || { echo "test:kata: teardown failed (see above)" >&2; rc=1; }
  return $rc
}
# Sandbox processes of this mount namespace a test left behind (their after() hooks
# did not run): killed by pid, then their stores cleaned by the runtime itself.
sweep() {
  local me p id b v Wre left=()
  me=$(readlink /proc/self/ns/mnt); Wre=$(re_escape "$W")
  for p in $(pgrep -f "$Wre/(initrd/vmlinuz|bin/kata-(proxy|shim)|bin-(abec|head)/(containerd-shim-kata-v2|kata-runtime))" || true); do
    [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$me" ] && left+=("$p")
  done
  if [ ${#left[@]} -eq 0 ] && [ -z "$(ls -A /run/vc/sbs 2>/dev/null)" ] &&
    ! awk '{print $5}' /proc/self/mountinfo | grep -qE "^($(re_escape "$S_SBX")/|/run/netns/)"; then
    return 0
  fi
  [ ${#left[@]} -eq 0 ] || { log "sweep: killing leftover sandbox processes ${left[*]}"; kill -9 "${left[@]}" 2>/dev/null || true; sleep 1; }
  for b in "$W"/containerd/state/io.containerd.runtime.v2.task/"$CTRNS"/*/; do
    [ -d "$b" ] || continue; id=$(basename "$b")
    for v in head abec; do
      (cd "$b" && PATH=$W/bin-$v:$W/bin:$PATH KATA_CONF_FILE=$W/etc/configuration-$v.toml timeout 60 containerd-shim-kata-v2 -namespace "$CTRNS" \
        -address "$W/containerd/containerd.sock" -publish-binary "$(command -v containerd)" -id "$id" -bundle "$b" delete) >/dev/null 2>&1 || true
    done
  done
  for b in /run/vc/sbs/*/; do
    [ -d "$b" ] || continue; id=$(basename "$b")
    if [ -f "$b/persist.json" ]; then set_variant head; else set_variant abec; fi
    log "sweep: kata-runtime ($VARIANT) delete -f $id"; K delete -f "$id" || true
  done
  # what even the runtime could not clean (a create killed part-way): lazily unmounted here,
  # in the private namespace only, so that teardown can run
  awk '{print $5}' /proc/self/mountinfo | grep -E "^($(re_escape "$S_SBX")/|/run/netns/)" | sort -r | while read -r d; do
    log "sweep: umount -l $d"; umount -l "$d" || true
  done
  return 1
}
cgroups_now() { find /sys/fs/cgroup/*/ -maxdepth 2 -type d \( -name kata_vc -o -name "$CTRNS" -o -path "*/$CTRNS/kata_*" \) 2>/dev/null | sort; }
host_cgroup_sweep() { # empty Kata cgroups the suite made on the host (cgroups are not namespaced)
  local d
  while read -r d; do
    grep -qxF "$d" "$W/cgroups.base" 2>/dev/null && continue
    rmdir "$d" 2>/dev/null || log "cgroup $d not removed (not empty?)"
  done < <(cgroups_now | sort -r)
}

# ---------------------------------------------------------------- env
cmd_env() {
  local v V
  q() { printf 'export %s=%q\n' "$1" "$2"; }
  q VCSTORE_KATA_WORK "$W"
  q KATA_SH "$SELF"
  for v in abec head; do
    V=${v^^}
    q "KATA_PATH_$V" "$W/bin-$v:$W/bin"
    q "KATA_RUNTIME_$V" "$W/bin-$v/kata-runtime"
    q "KATA_SHIM_V2_$V" "$W/bin-$v/containerd-shim-kata-v2"
    q "KATA_CONFIG_$V" "$W/etc/configuration-$v.toml"
  done
  q KATA_VARIANT "$VARIANT"
  q KATA_PATH "$BINPATH"
  q KATA_RUNTIME "$W/bin-$VARIANT/kata-runtime"
  q KATA_CONFIG "$CFG"
  q KATA_BUNDLE "$W/bundle"
  q KATA_LOGS "$W/logs"
  q KATA_CONTAINERD_SOCK "$W/containerd/containerd.sock"
  q KATA_CONTAINERD_NAMESPACE "$CTRNS"
  q KATA_CONTAINERD_BUNDLES "$W/containerd/state/io.containerd.runtime.v2.task/$CTRNS"
  q KATA_IMAGE "$IMAGE"
}

# ---------------------------------------------------------------- main
args=()
for a in "$@"; do case "$a" in --force) FORCE=1;; *) args+=("$a");; esac; done
set -- "${args[@]+"${args[@]}"}"
cmd=${1:-}; [ $# -gt 0 ] && shift
case "$cmd" in
  apt) mkdir -p "$W/logs"; cmd_apt;;
  all) need_root; cmd_all;;
  sources|build|kernel|initrd|config) need_root; run_step "$cmd";;
  hostprep) cmd_hostprep;;
  check) cmd_check;;
  cli-run) valid_id "${1:-}"; cmd_cli_run "$1";;
  leak) valid_id "${1:-}"; cmd_leak "$1";;
  cli-clean) valid_id "${1:-}"; cmd_cli_clean "$1";;
  ctr-up) cmd_ctr_up;;
  ctr-run) valid_id "${1:-}"; cmd_ctr_run "$1";;
  ctr-clean) valid_id "${1:-}"; cmd_ctr_clean "$1";;
  ctr-down) cmd_ctr_down;;
  state) show_state "${1:-}";;
  env) cmd_env;;
  isolated) cmd_isolated "$@";;
  preflight) cmd_preflight;;
  test) cmd_test "$@";;
  _suite) cmd_suite "$@";;
  teardown) cmd_teardown;;
  ""|-h|--help|help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
  *) die "unknown command '$cmd' (kata.sh --help)";;
esac

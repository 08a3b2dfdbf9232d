#!/usr/bin/env bash
# Remove the assistant service; its configuration and state stay unless --purge.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: systemd/uninstall.sh [--purge] [--dry-run] [--help]

Stops and disables the service, the hub's assistant.service or a satellite's
assistant-satellite.service (whichever is installed), removes its unit and /opt/assistant,
as root. /etc/assistant (configuration), /var/lib/assistant (timers, audit log, models) and
the assistant user are kept, so a later install.sh continues where this one left off.

  --purge     also remove /etc/assistant, /var/lib/assistant, local unit overrides
              (/etc/systemd/system/assistant.service.d and assistant-satellite.service.d)
              and the assistant user
  --dry-run   print what would be done; change nothing (needs no root)
  --help      this text

Running it again when nothing is left to remove does nothing.
EOF
}

here="$(dirname "$(readlink -f "$0")")"
# shellcheck source=systemd/lib.sh
. "$here/lib.sh"

purge=0
while (($#)); do
  case "$1" in
    --purge) purge=1 ;;
    --dry-run) dry_run=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "$0: unknown option $1" >&2; usage >&2; exit 64 ;;
  esac
  shift
done
require_root
((dry_run)) && step "dry run: nothing is changed"
# Run as /opt/assistant/systemd/uninstall.sh it removes its own folder; bash keeps reading the
# open (unlinked) file, but the working directory must not be in there.
cd /

remove() {
  local path
  for path in "$@"; do
    if [[ -e $path || -L $path ]]; then
      run rm -rf -- "${path:?}"
    else
      note "$path: already absent"
    fi
  done
}

# Both units are looked for: install.sh installs one of them, and removes the other.
removed=()
for unit in "$service" "$satellite_service"; do
  unit_file=$unit_dir/$unit.service
  step "service $unit"
  if systemd_running && [[ -e $unit_file ]]; then
    run systemctl disable --now "$unit" || note "could not stop it cleanly; removing it anyway"
  elif [[ -e $unit_file ]]; then
    note "systemd is not running: only removing the files"
  else
    note "$unit_file: already absent"
  fi
  if [[ -e $unit_file ]]; then
    run rm -f -- "$unit_file"
    removed+=("$unit")
  fi
done
if ((${#removed[@]})) && systemd_running; then
  run systemctl daemon-reload
  run systemctl reset-failed "${removed[@]}" 2>/dev/null || true
fi

if ((purge)); then
  step "configuration, state and the $service_user user (--purge)"
  remove "$dropin_dir" "$satellite_dropin_dir" "$config_dir" "$state_dir"
  if id -u "$service_user" >/dev/null 2>&1; then
    run userdel "$service_user"
  else
    note "user $service_user: already absent"
  fi
  if getent group "$service_user" >/dev/null; then
    run groupdel "$service_user"
  fi
else
  step "keeping $config_dir, $state_dir and the $service_user user (--purge removes them)"
fi

step "code in $opt_dir"
remove "$opt_dir"
step "done"

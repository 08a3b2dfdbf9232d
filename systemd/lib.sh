# Shared by install.sh and uninstall.sh: the service's paths and the dry-run plumbing.
# The same paths are written in assistant.service and assistant.example.toml; the tests check
# that all of them agree.

service=assistant
service_user=assistant
opt_dir=/opt/assistant
config_dir=/etc/assistant
config_file=$config_dir/assistant.toml
state_dir=/var/lib/assistant
model_dir=$state_dir/models
unit_path=/etc/systemd/system/$service.service
dropin_dir=/etc/systemd/system/$service.service.d

dry_run=0

step() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }

# Run a command, or with --dry-run only say it would: every change to the system goes through
# here or sits behind a check of dry_run, so a dry run changes nothing.
run() {
  if ((dry_run)); then
    printf '    would run:'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

require_root() {
  if ((dry_run)); then
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "$0: run this as root (or with sudo); --dry-run shows what it would do" >&2
    exit 1
  fi
}

# systemctl that answers "no" on a machine without a running systemd instead of failing.
systemd_running() { [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; }
unit_active() { systemd_running && systemctl is-active --quiet "$service" 2>/dev/null; }

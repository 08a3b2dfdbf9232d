# Shared by install.sh and uninstall.sh: the service's paths and the dry-run plumbing.
# The same paths are written in assistant.service, assistant-satellite.service and
# assistant.example.toml; the tests check that all of them agree.

service=assistant
# A board runs the hub (assistant.service) or a satellite (assistant-satellite.service); both
# use the same user, code, configuration file and model store.
satellite_service=assistant-satellite
service_user=assistant
opt_dir=/opt/assistant
config_dir=/etc/assistant
config_file=$config_dir/assistant.toml
state_dir=/var/lib/assistant
model_dir=$state_dir/models
unit_dir=/etc/systemd/system
unit_path=$unit_dir/$service.service
dropin_dir=$unit_dir/$service.service.d
satellite_unit_path=$unit_dir/$satellite_service.service
satellite_dropin_dir=$unit_dir/$satellite_service.service.d
# What `assistant satellite` loads, from the default set `assistant models fetch` fetches for the
# hub: the wake word features, every wake word (so that any of them can be configured), and the
# voice detector. Not speech recognition, the language model or the voice: those run on the hub.
satellite_models=(openwakeword-features hey_jarvis alexa hey_mycroft hey_rhasspy silero-vad)

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
unit_active() { systemd_running && systemctl is-active --quiet "$1" 2>/dev/null; }

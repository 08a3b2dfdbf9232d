#!/usr/bin/env bash
# Set up everything this project needs on Debian 12 / Raspberry Pi OS, then run it.
#
#   ./bootstrap.sh run       install, then run the demo on the embedded defaults
#   ./bootstrap.sh test      install, then run the whole test suite
#   ./bootstrap.sh runtime   install only what the service needs: the runtime's system packages
#                            and the virtual environment without test tools, and no models
#                            (systemd/install.sh fetches those as the service's own user)
#   ./bootstrap.sh satellite as runtime, for a satellite board: without the hub's libraries
#                            (transcription, llama.cpp, Piper), so nothing is compiled
#
# Safe to run again: system packages, the virtual environment and the models are only
# installed when missing or out of date, so a second run rebuilds and refetches nothing.
# Run it as root, or as a user who may use sudo (only apt-get needs it).
set -euo pipefail

mode="${1:-run}"
case "$mode" in
  run | test | runtime | satellite) shift || true ;;
  *) echo "usage: $0 run|test|runtime|satellite [arguments for the demo or pytest]" >&2; exit 64 ;;
esac

cd "$(dirname "$(readlink -f "$0")")"
export HF_HUB_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- system packages ----------------------------------------------------------------------
system_packages=(
  python3-venv python3-dev build-essential cmake   # the venv and the llama.cpp build
  libportaudio2                                    # sounddevice
)
if [[ $mode != runtime && $mode != satellite ]]; then
  system_packages+=(
    mosquitto mosquitto-clients                    # the MQTT broker for the demo and tests
    espeak-ng sox                                  # varied test speech, noise mixing
    stress-ng                                      # the suite is run once with the CPUs loaded
    util-linux iproute2 strace                     # unshare -n, ip, strace: a test with only loopback
    openssl                                        # self-signed certificates for the TLS tests
    systemd                                        # systemd-analyze checks the service unit
  )
fi
missing=()
for package in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  say "installing system packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- Python environment -------------------------------------------------------------------
python=""
for candidate in python3.11 python3.12 python3.13 python3; do
  if command -v "$candidate" >/dev/null \
    && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python="$candidate"; break
  fi
done
[[ -n $python ]] || { echo "Python 3.11 or newer is required" >&2; exit 1; }

# llama.cpp's default native build uses every instruction the CPU advertises; on x86 machines
# with AVX-512/AMX that build crashes in decode (see ../shared/docs/models.md), so x86 gets an
# explicit list of what this CPU has. ARM boards (Pi, Jetson) want the native build.
cmake_args="-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"
case "$(uname -m)" in
  x86_64 | amd64)
    cmake_args+=" -DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_BF16=OFF"
    for flag in avx avx2 fma f16c; do
      if grep -qw "$flag" /proc/cpuinfo; then state=ON; else state=OFF; fi
      cmake_args+=" -DGGML_${flag^^}=$state"
    done ;;
  *) cmake_args+=" -DGGML_NATIVE=ON" ;;
esac

venv=.venv
stamp_value="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)-$(echo "$cmake_args" | sha256sum | cut -c1-8)"
project=".[hub,test,train]"      # the suite runs a few steps of the training pipeline
if [[ $mode == runtime ]]; then
  project=".[hub]"                # no pytest, mypy, ruff on a production board
  stamp_value+="-runtime"
elif [[ $mode == satellite ]]; then
  project="."                     # the wake word and voice detector only
  stamp_value+="-satellite"
fi
if [[ ! -x $venv/bin/python ]]; then
  say "creating the virtual environment in $venv"
  "$python" -m venv "$venv"
fi
if [[ "$(cat "$venv/.bootstrap-stamp" 2>/dev/null)" != "$stamp_value" ]]; then
  say "installing Python packages (llama.cpp compiles once, ~5 min on 2 cores; pip caches it)"
  CMAKE_ARGS="$cmake_args" "$venv/bin/python" -m pip install --quiet -c constraints.txt -e "$project"
  echo "$stamp_value" > "$venv/.bootstrap-stamp"
else
  say "Python packages are up to date"
fi

if [[ $mode == runtime || $mode == satellite ]]; then
  say "$mode installed; fetch the models with: $venv/bin/assistant models fetch"
  exit 0
fi

# --- the stock Wyoming satellite, for the tests ---------------------------------------------
# A Home Assistant user's satellite is rhasspy's wyoming-satellite; the tests run the real one
# against the hub. It pins an older wyoming than ours, so it gets a venv of its own. PyPI has
# only its 1.0.0 (newer releases are installed from its repository, which CI cannot reach).
if [[ $mode == test ]]; then
  stock=.venv-wyoming-satellite
  if ! "$stock/bin/python" -c 'import wyoming_satellite' 2>/dev/null; then
    say "installing the stock wyoming-satellite (for the tests) in $stock"
    "$python" -m venv "$stock"
    "$stock/bin/python" -m pip install --quiet wyoming-satellite==1.0.0
  fi
fi

# --- models -------------------------------------------------------------------------------
say "fetching and verifying the default models"
"$venv/bin/assistant" models fetch

# --- run ----------------------------------------------------------------------------------
if [[ $mode == run ]]; then
  say "running the demo"
  exec "$venv/bin/assistant" demo "$@"
fi
say "running the test suite"
exec "$venv/bin/python" -m pytest "$@"

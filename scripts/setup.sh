#!/usr/bin/env bash
# Builds one of the two environments: `scripts/setup.sh app` (.venv, Python 3.11, the project)
# or `scripts/setup.sh rasa` (.venv-rasa, Python 3.10, Rasa alone). Called by `make setup`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# The first interpreter among the candidates whose version is $1 (e.g. 3.10).
find_python() {
  local want=$1; shift
  local candidate
  for candidate in "$@"; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ] || continue
    if [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$want" ]; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

pyenv_pythons() {
  local root
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  ls -d "$root"/versions/"$1".*/bin/python 2>/dev/null | sort -V -r || true
}

setup_app() {
  local python
  python=$(find_python 3.11 "${APP_PYTHON:-}" python3.11 python3 $(pyenv_pythons 3.11)) || die \
"Python 3.11 is needed for .venv. Install it (e.g. 'pyenv install 3.11', or your system's
python3.11 package) or point APP_PYTHON at it, then run 'make setup' again."
  say "[app] creating .venv with $python"
  rm -rf .venv
  "$python" -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip wheel
  # requirements/app.txt is the whole environment, PyTorch's CPU build included, each release
  # with its files' hashes: pip installs exactly those files (or stops) and resolves nothing,
  # so no unpinned release comes in (left to resolve, 'torch' pulls a multi-gigabyte CUDA
  # build). torch==2.13.0+cpu is the wheel on this machine's disk (PIP_FIND_LINKS); elsewhere
  # TORCH_INDEX_URL may point at PyTorch's CPU wheel index (add that file's hash: pip hash).
  say "[app] installing PyTorch 2.13.0 (CPU build) and the dependencies (requirements/app.txt, hash-checked)"
  .venv/bin/pip install ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} \
    --require-hashes --no-deps --requirement requirements/app.txt
  say "[app] installing the project"
  .venv/bin/pip install --no-deps --editable .
  .venv/bin/pip check || die "requirements/app.txt does not meet pyproject.toml's dependencies: \
regenerate it as its first lines say"
  touch .venv/.installed
}

setup_rasa() {
  local python
  python=$(find_python 3.10 "${RASA_PYTHON:-}" python3.10 $(pyenv_pythons 3.10)) || die \
"Python 3.10 is needed for Rasa 3.6 (.venv-rasa), which does not run on 3.11 or later.
Install it, then run 'make setup' again:
  - with pyenv:        pyenv install 3.10
  - on Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv
                       (Ubuntu 22.04 has it; on newer releases use the deadsnakes PPA)
  - on macOS:          brew install python@3.10
or point RASA_PYTHON at an existing Python 3.10 interpreter."
  say "[rasa] creating .venv-rasa with $python"
  rm -rf .venv-rasa
  "$python" -m venv .venv-rasa
  .venv-rasa/bin/pip install --quiet --upgrade pip wheel
  say "[rasa] installing Rasa 3.6.21 (requirements/rasa.txt, hash-checked; about 1.5 GB)"
  .venv-rasa/bin/pip install --require-hashes --no-deps --requirement requirements/rasa.txt
  .venv-rasa/bin/pip check || die "requirements/rasa.txt is not a whole environment: \
regenerate it as its first lines say"
  touch .venv-rasa/.installed
}

# Debian's Chromium, for the browser tests (Playwright drives it; nothing is downloaded by
# Playwright itself), and a colour emoji font, so that the screenshots show the 👍 and 📅 a
# phone shows rather than empty boxes. Quiet when both are there; a missing Chromium only skips
# those tests, except under CI (TRIALBOT_REQUIRE_BROWSER=1), which installs it or fails.
EMOJI_FONT=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
# The consent copies' PDF font (bot/consent/copy.py): every letter of both languages.
PDF_FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
setup_browser() {
  local chromium=${CHROMIUM:-/usr/bin/chromium}
  local packages=""
  [ -x "$chromium" ] || packages=" chromium"
  [ -e "$EMOJI_FONT" ] || packages="$packages fonts-noto-color-emoji"
  [ -e "$PDF_FONT" ] || packages="$packages fonts-dejavu-core"
  [ -z "$packages" ] && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi
  fi
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$sudo" ]; }; then
    say "[browser] installing Debian's$packages for the browser tests"
    # shellcheck disable=SC2086
    $sudo apt-get install -y --no-install-recommends $packages >/dev/null \
      || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends $packages >/dev/null; } \
      || { [ -x "$chromium" ] && { printf '\033[33mnote:\033[0m no emoji font (fonts-noto-color-emoji): screenshots show boxes for emoji\n' >&2; return 0; }; } \
      || die "could not install chromium with apt-get; install it, or set CHROMIUM to a Chromium binary"
    return 0
  fi
  [ -x "$chromium" ] && return 0
  local advice="Chromium is needed for the browser tests. Install it (Debian/Ubuntu:
'sudo apt-get install chromium fonts-noto-color-emoji'; elsewhere any Chromium or Chrome) and set
CHROMIUM to its path if it is not /usr/bin/chromium."
  [ "${TRIALBOT_REQUIRE_BROWSER:-}" = 1 ] && die "$advice"
  printf '\033[33mnote:\033[0m %s\nUntil then those tests are skipped.\n' "$advice" >&2
}

# Debian's HAProxy, the load balancer in front of the fleet's replicas for bench/fleet and
# tests/fleet (never started as a system service: each run starts its own on free ports). Quiet
# when it is there; without it those tests are skipped, except under CI (CI=true), which
# installs it or fails.
setup_haproxy() {
  local haproxy=${HAPROXY:-/usr/sbin/haproxy}
  [ -x "$haproxy" ] && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi
  fi
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$sudo" ]; }; then
    say "[haproxy] installing Debian's haproxy for the fleet tests (its service stays stopped)"
    # policy-rc.d 101: the package's install starts no service of its own.
    local policy=/usr/sbin/policy-rc.d made_policy=""
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy"
      made_policy=1
    fi
    $sudo apt-get install -y --no-install-recommends haproxy >/dev/null \
      || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends haproxy >/dev/null; } \
      || { [ -n "$made_policy" ] && $sudo rm -f "$policy"; die "could not install haproxy with apt-get; install it, or set HAPROXY to its binary"; }
    [ -n "$made_policy" ] && $sudo rm -f "$policy"
    return 0
  fi
  local advice="HAProxy is needed for the fleet tests (tests/fleet, bench/fleet). Install it
(Debian/Ubuntu: 'sudo apt-get install haproxy'; macOS: 'brew install haproxy') and set HAPROXY
to its path if it is not /usr/sbin/haproxy."
  [ "${CI:-}" = true ] && die "$advice"
  printf '\033[33mnote:\033[0m %s\nUntil then those tests are skipped.\n' "$advice" >&2
}

case "${1:-}" in
  app) setup_app ;;
  rasa) setup_rasa ;;
  browser) setup_browser ;;
  haproxy) setup_haproxy ;;
  *) die "usage: scripts/setup.sh app|rasa|browser|haproxy" ;;
esac

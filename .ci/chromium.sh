# Sourced by .ci/run. Makes Debian's Chromium available to the access
# report's browser tests (access/browser_test.go) and tells them so:
# PERMSYNC_CHROMIUM names the executable and PERMSYNC_REQUIRE_CHROMIUM=1
# makes a test that cannot find it fail instead of skipping. When
# Chromium truly cannot be installed (no apt-get, no root, the
# packages cannot be fetched, the browser does not start), it says why,
# exports the reason as PERMSYNC_CHROMIUM_UNAVAILABLE, and the browser
# tests skip naming it; nothing else of CI is skipped.

find_chromium() {
  local p
  for p in "${PERMSYNC_CHROMIUM:-}" chromium chromium-browser /usr/bin/chromium /usr/lib/chromium/chromium; do
    [ -n "$p" ] || continue
    if command -v "$p" >/dev/null 2>&1; then
      command -v "$p"
      return 0
    fi
  done
  return 1
}

chromium_unavailable() {
  echo "ci: Chromium is not available: $1. The browser tests of the access report will be SKIPPED." >&2
  export PERMSYNC_CHROMIUM_UNAVAILABLE="$1"
  unset PERMSYNC_REQUIRE_CHROMIUM
}

install_chromium() {
  local exe sudo="" log
  if ! exe=$(find_chromium); then
    if [ "$(id -u)" != 0 ]; then
      if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo="sudo -n"
      else
        chromium_unavailable "not root, and no password-less sudo to run apt-get"
        return 0
      fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
      chromium_unavailable "no apt-get (not a Debian system); install chromium and set PERMSYNC_CHROMIUM"
      return 0
    fi
    log=$(mktemp)
    # A CJK font makes the screenshots legible.
    if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium fonts-wqy-microhei; } >"$log" 2>&1; then
      tail -n 20 "$log" >&2
      rm -f "$log"
      chromium_unavailable "apt-get could not install Debian's chromium package (output above)"
      return 0
    fi
    rm -f "$log"
    if ! exe=$(find_chromium); then
      chromium_unavailable "the chromium package installed no executable this script knows"
      return 0
    fi
  fi
  if ! "$exe" --headless --no-sandbox --disable-gpu --version >&2; then
    chromium_unavailable "$exe does not start"
    return 0
  fi
  export PERMSYNC_CHROMIUM="$exe" PERMSYNC_REQUIRE_CHROMIUM=1
  unset PERMSYNC_CHROMIUM_UNAVAILABLE
  echo "ci: the browser tests use $exe" >&2
}

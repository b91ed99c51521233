#!/usr/bin/env bash
# make render-tools: what the render check (test/support/browser-render.ts) needs, cmark-gfm
# (GitHub's Markdown parser) and a Chromium, from Debian's packages. A browser already installed is
# used as it is: $CHROMIUM, else the first of $RENDER_BROWSERS that exists (Debian's chromium, or
# the Google Chrome GitHub's Ubuntu runners ship). Installing takes root, or sudo that asks no
# password (sudo -n, as on GitHub's runners); without either it says what to run and fails.
# test/contract/render-tools.test.ts runs each branch with fake commands on PATH.
set -euo pipefail

read -r -a candidates <<<"${CHROMIUM:-} ${RENDER_BROWSERS:-/usr/bin/chromium /usr/bin/google-chrome}"
find_browser() {
  local candidate
  for candidate in "${candidates[@]}"; do
    if [ -x "$candidate" ]; then echo "$candidate"; return; fi
  done
}

missing=()
command -v cmark-gfm >/dev/null || missing+=(cmark-gfm)
[ -n "$(find_browser)" ] || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
  echo "Render check: cmark-gfm at $(command -v cmark-gfm), browser at $(find_browser)."
  exit 0
fi

if [ "$(id -u)" = 0 ]; then
  sudo=()
elif sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "The render check needs ${missing[*]}, and installing takes root or sudo without a password: run sudo apt-get install ${missing[*]} (or set CHROMIUM to a Chrome or Chromium binary), then make test again." >&2
  exit 1
fi

echo "Installing ${missing[*]} from Debian's packages for the render check (a minute or two the first time)."
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
if ! command -v cmark-gfm >/dev/null || [ -z "$(find_browser)" ]; then
  echo "apt-get installed ${missing[*]}, but cmark-gfm or a browser (${candidates[*]}) is still missing: set CHROMIUM to a Chrome or Chromium binary." >&2
  exit 1
fi
echo "Render check: cmark-gfm at $(command -v cmark-gfm), browser at $(find_browser)."

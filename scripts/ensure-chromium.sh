#!/bin/sh
# Installs Debian's chromium for the status page's browser test
# (test/integration/status-page.test.ts) when it is missing. Idempotent:
# a machine that has it returns at once. Needs root (apt-get), as the
# machines of this project and CI run.
set -eu
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ensure-chromium: $CHROMIUM missing and not root; install Debian's chromium package" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
[ -x "$CHROMIUM" ]

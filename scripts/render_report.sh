#!/usr/bin/env bash
# Renders a run's comparison report (report/comparison.html) to a PNG in headless Chromium,
# to check the page the way a reviewer's browser shows it. Installs Debian's `chromium` when
# it is missing (needs apt and root, as on the project's CI machines).
#
#   scripts/render_report.sh runs/multi_model/latest [out.png] [width]
set -euo pipefail
run_dir=${1:?usage: scripts/render_report.sh RUN_DIR [OUT.png] [WIDTH]}
out=${2:-comparison.png}
width=${3:-1200}
html=$(realpath "$run_dir/report/comparison.html")
if ! command -v chromium >/dev/null 2>&1; then
    apt-get install -y --no-install-recommends chromium >/dev/null
fi
# No network: the page must not need any (it has no external URL).
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --proxy-server=127.0.0.1:9 \
    --window-size="$width,2600" --screenshot="$out" "file://$html" 2>/dev/null
echo "$out"

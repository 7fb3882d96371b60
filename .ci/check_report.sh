#!/usr/bin/env bash
# Render connpredict's report.html in a real headless browser and check it.
#
#   bash .ci/check_report.sh [RESULTS_DIR]
#
# Without RESULTS_DIR, runs a small `connpredict run --quick` first (extra
# options in CONNPREDICT_CHECK_RUN_ARGS). Builds report.html when the folder
# has none. Then, in Chromium (Debian's package, installed when missing):
#   - takes a full-page screenshot (RESULTS_DIR/report_screenshot.png, or
#     $REPORT_SCREENSHOT) and checks it is not blank;
#   - requires the metrics, connectome and brains sections (the brains section
#     with its 3 figures: per-region accuracy on a glass brain and on the
#     cortical surface, strongest edges; the folds are drawn once, in their
#     own section), and no figure replaced by a "could not be drawn" note;
#   - reads what the report records of its figures (data- attributes): the
#     surface figure has four panels of equal size; the connectome and edge
#     colour bars name units (a parenthesis, e.g. "FC (Fisher z)"); every
#     figure and card naming a model names the page's one best model; a spin
#     p-value of 1/(n+1) carries the floor note;
#   - dumps the DOM after load: the page's script records how many <img>
#     decoded (naturalWidth > 0) and how many script errors occurred; every
#     image must have decoded and no error or console message may appear;
# and, in Python, decodes every embedded PNG and checks the page loads
# nothing from the network. Exit 0 when all checks pass.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
export MPLBACKEND=Agg

start=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- Chromium -------------------------------------------------------------
browser=""
for name in chromium chromium-browser; do
  if command -v "$name" >/dev/null 2>&1; then browser=$(command -v "$name"); break; fi
done
if [ -z "$browser" ]; then
  echo "check_report: installing Debian's chromium" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  browser=$(command -v chromium)
fi
echo "check_report: $("$browser" --version 2>/dev/null | head -n 1)"

# --- results folder and report ---------------------------------------------
if [ "$#" -ge 1 ]; then
  results=$(cd "$1" && pwd)
else
  results="$work/results"
  t0=$(date +%s)
  # shellcheck disable=SC2086
  connpredict run --quick --silent --output "$results" ${CONNPREDICT_CHECK_RUN_ARGS:-}
  echo "check_report: connpredict run --quick took $(( $(date +%s) - t0 )) s"
fi
report="$results/report.html"
if [ ! -f "$report" ]; then
  echo "check_report: no report.html in $results; building it"
  "$PYTHON" -c "import sys; from connpredict.report import build_report; build_report(sys.argv[1])" "$results"
fi
shot=${REPORT_SCREENSHOT:-$results/report_screenshot.png}

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --hide-scrollbars --virtual-time-budget=10000)

timeout 120 "$browser" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$work")" \
  --window-size=1400,4000 --screenshot="$shot" "file://$report" \
  >"$work/shot.log" 2>&1 || { cat "$work/shot.log" >&2; echo "check_report: screenshot failed" >&2; exit 1; }
timeout 120 "$browser" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$work")" \
  --enable-logging=stderr --v=0 --dump-dom "file://$report" \
  >"$work/dom.html" 2>"$work/dom.log" || { cat "$work/dom.log" >&2; echo "check_report: dump-dom failed" >&2; exit 1; }
grep ":CONSOLE" "$work/dom.log" >"$work/console.log" || true

# --- checks ----------------------------------------------------------------
"$PYTHON" - "$report" "$work/dom.html" "$work/console.log" "$shot" <<'PY'
import base64
import io
import re
import sys
from html.parser import HTMLParser

import matplotlib.pyplot as plt
import numpy as np

report, dom_file, console_file, shot = sys.argv[1:5]
failures = []


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.external, self.root, self.sections = [], [], {}, []
        self.section_of = []  # the section of each image
        self.figures, self.models, self.best, self.spin_cards = [], [], None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "figure":
            self.figures.append(attrs)
        if "data-model" in attrs:
            self.models.append(attrs["data-model"])
        if "data-best-model" in attrs:
            self.best = attrs["data-best-model"]
        if "data-p-floor" in attrs:
            self.spin_cards.append(attrs)
        if tag == "html":
            self.root = attrs
        if tag == "section":
            self.sections.append(attrs.get("id"))
        if tag == "img":
            self.imgs.append(attrs.get("src") or "")
            self.section_of.append(self.sections[-1] if self.sections else None)
        for key in ("src", "href"):
            if re.match(r"^\s*(https?:)?//", attrs.get(key) or ""):
                self.external.append(attrs[key])


page = Page()
page.feed(open(report, encoding="utf-8").read())
if not page.imgs:
    failures.append("the report has no figures")
# the brain section: per-region accuracy (glass brain, cortical surface),
# strongest edges and folds on glass brains, each a figure that decodes
REQUIRED_SECTIONS = ("metrics", "connectome", "brains")
for sid in REQUIRED_SECTIONS:
    if sid not in page.sections:
        failures.append(f"the report lacks the {sid!r} section")
brain_imgs = [k for k, sid in enumerate(page.section_of) if sid == "brains"]
if len(brain_imgs) < 3:
    failures.append(f"the brains section has {len(brain_imgs)} figure(s), expected 3")
text = open(report, encoding="utf-8").read()
if text.count('alt="test folds') != 1:
    failures.append("the folds are not drawn exactly once")
# what the page records of its figures
surfaces = [f for f in page.figures if f.get("data-panels")]
for fig in surfaces:
    sizes = set(fig["data-panels"].split())
    if len(fig["data-panels"].split()) != 4 or len(sizes) != 1:
        failures.append(f"surface panels are not 4 of one size: {fig['data-panels']}")
if not surfaces:
    failures.append("no surface figure with its panel sizes")
bars = [f.get("data-colorbars", "") for f in page.figures]
unit_bars = [b for b in bars if re.search(r"\(.+\)", b)]
if len(unit_bars) < 2:  # the connectome's and the edges' (and the brains')
    failures.append(f"colour bars without units: {bars}")
if page.best is None:
    failures.append("the page does not state its best model")
elif set(page.models) != {page.best}:
    failures.append(f"figures/cards show other models than the best {page.best!r}: "
                    f"{sorted(set(page.models))}")
for card in page.spin_cards:
    n = int(card["data-n-spins"])
    floor_shown = card["data-p-floor"] == "true"
    if floor_shown and "smallest attainable" not in text:
        failures.append("the spin card at p = 1/(n+1) lacks the floor note")
m = re.search(r'data-p-floor="(true|false)" data-n-spins="(\d+)">.*?p = ([0-9.e-]+)<',
              text)
if m:
    n, p = int(m.group(2)), float(m.group(3))
    at_floor = abs(p - 1 / (n + 1)) < 5e-4 * (1 / (n + 1))
    if at_floor != (m.group(1) == "true"):
        failures.append(f"spin card: p = {p} with {n} spins but floor note {m.group(1)}")
notes = text.count("could not be drawn")
if notes:
    failures.append(f"{notes} figure(s) could not be drawn (see the report's notes)")
valid = 0
decoded = set()
for k, src in enumerate(page.imgs):
    prefix = "data:image/png;base64,"
    if not src.startswith(prefix):
        failures.append(f"figure {k} is not an embedded PNG: {src[:40]!r}")
        continue
    raw = base64.b64decode(src[len(prefix):])
    try:
        img = plt.imread(io.BytesIO(raw), format="png")
    except Exception as exc:  # noqa: BLE001
        failures.append(f"figure {k} does not decode: {exc}")
        continue
    if img.shape[0] < 100 or img.shape[1] < 200 or float(np.std(img)) < 0.01:
        failures.append(f"figure {k} is tiny or blank ({img.shape})")
        continue
    valid += 1
    decoded.add(k)
bad_brains = [k for k in brain_imgs if k not in decoded]
if bad_brains:
    failures.append(f"brain figure(s) {bad_brains} do not decode or are blank")
if page.external:
    failures.append(f"the page loads from the network: {page.external[:3]}")

dom = Page()
dom.feed(open(dom_file, encoding="utf-8").read())
total = dom.root.get("data-images-total")
ok = dom.root.get("data-images-ok")
errors = dom.root.get("data-js-errors")
if total is None:
    failures.append("the page's load script did not run in the browser")
elif total != str(len(page.imgs)) or ok != total:
    failures.append(f"{ok} of {total} images decoded in the browser "
                    f"({len(page.imgs)} in the file)")
if errors not in (None, "0"):
    failures.append(f"{errors} script error(s) in the browser")
console = open(console_file, encoding="utf-8").read().strip()
if console:
    failures.append("console messages:\n" + console)

shot_img = plt.imread(shot)
if float(np.std(shot_img[..., :3])) < 0.02:
    failures.append("the screenshot is blank")

print(f"check_report: sections {', '.join(page.sections)}")
print(f"check_report: best model {page.best}; figures/cards show "
      f"{sorted(set(page.models))}; colour bars {unit_bars}; surface panels "
      f"{[f['data-panels'] for f in surfaces]}; spin cards {page.spin_cards}")
print(f"check_report: brains section: {len(brain_imgs)} figures, "
      f"{len([k for k in brain_imgs if k in decoded])} decoded")
print(f"check_report: {ok}/{total} figures decoded in Chromium, "
      f"{valid}/{len(page.imgs)} embedded PNGs valid, js errors {errors}, "
      f"screenshot {shot_img.shape[1]}x{shot_img.shape[0]} at {shot}")
if failures:
    print("check_report: FAILED\n  " + "\n  ".join(failures), file=sys.stderr)
    sys.exit(1)
PY
echo "check_report: OK ($(( $(date +%s) - start )) s)"

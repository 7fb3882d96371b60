#!/usr/bin/env bash
# Build the HTML documentation (API reference, user guide, example gallery)
# with warnings treated as errors, and print the build time.
#
#   bash docs/build.sh              # clean build into docs/_build/html
#   DOCS_INCREMENTAL=1 bash docs/build.sh   # keep previous outputs (faster)
#
# Installs nothing: needs the [docs] extra (sphinx, sphinx-gallery, numpydoc,
# pydata-sphinx-theme). The gallery examples run during the build; they use
# the real datasets when CONNPREDICT_DATA holds them, else synthetic data.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python}
export MPLBACKEND=Agg

start=$(date +%s)
trap 'echo "docs: build took $(( $(date +%s) - start )) s"' EXIT
if [ -z "${DOCS_INCREMENTAL:-}" ]; then
  rm -rf _build generated auto_examples
fi
"$PYTHON" -m sphinx -W --keep-going -b html . _build/html
# each API page lists the gallery examples that use its object
page=_build/html/generated/connpredict.models.BilinearRegressor.html
if ! grep -q "Examples using" "$page"; then
  echo "docs: $page has no 'Examples using' section (backreferences)" >&2
  exit 1
fi
echo "docs: HTML in docs/_build/html/index.html"

"""The user guide's YAML examples and the README's results folder match the code."""

import re
import textwrap
from pathlib import Path

import pytest

from connpredict.experiment._options import read_config, resolve_options
from connpredict.experiment._run import _model_table

DOCS = Path(__file__).resolve().parents[3] / "docs"


def _yaml_blocks():
    blocks = []
    for page in sorted((DOCS / "user_guide").glob("*.rst")):
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(
            r"^\.\. code-block:: yaml\n\n((?:   .*\n|\n)+)", text, flags=re.M
        ):
            blocks.append((page.name, textwrap.dedent(match.group(1))))
    return blocks


def test_user_guide_yaml_examples_are_valid_configs(tmp_path):
    if not DOCS.is_dir():  # an installed package without the docs folder
        pytest.skip("docs/ is not next to this checkout")
    blocks = _yaml_blocks()
    assert blocks, "the user guide should show a YAML config"
    for k, (page, text) in enumerate(blocks):
        path = tmp_path / f"{k}.yaml"
        path.write_text(text, encoding="utf-8")
        options = resolve_options(read_config(path))
        # every model name and hyper-parameter must exist (no stale names)
        table = _model_table(options["models"])
        assert set(table) == set(options["models"]), page


def test_a_stale_parameter_name_is_caught(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text("models:\n  smt: {max_epochs: 30}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown parameter.*max_epochs"):
        _model_table(resolve_options(read_config(path))["models"])


def test_readme_lists_every_file_of_a_results_folder():
    from connpredict.experiment._schema import CONFIG_FILE, REPORT_FILE, TABLES

    readme = DOCS.parent / "README.md"
    if not readme.exists():
        pytest.skip("README.md is not next to this checkout")
    text = readme.read_text(encoding="utf-8")
    start = text.index("writes a results folder")
    paragraph = text[start : text.index("\n\n", start)]
    listed = set(re.findall(r"`([a-z_]+\.(?:csv|json|html))`", paragraph))
    written = {t.file for t in TABLES.values()} | {CONFIG_FILE, REPORT_FILE}
    assert listed == written

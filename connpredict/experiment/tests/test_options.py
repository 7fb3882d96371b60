"""The option tables of ``connpredict run`` and ``connpredict grid``.

Each option is declared once (``RUN_OPTIONS``/``GRID_OPTIONS``); the
command-line flags, the config file reader, the validation, the forwarding to
``run_experiment`` and the ``config.json`` record are derived from it. These
tests check that the derived places agree with the table, and that adding an
option is one entry in it.
"""

import inspect
import json

import pytest

from connpredict.cli import build_parser, main, resolve_run_options
from connpredict.experiment import (
    GRID_OPTIONS,
    RUN_OPTIONS,
    Option,
    read_config,
    read_grid_config,
    resolve_options,
    run_experiment,
    run_keywords,
)
from connpredict.experiment._options import _int_text, _integer, record_options
from connpredict.inspection import legibility_grid


def _run_help():
    sub = build_parser()._subparsers._group_actions[0].choices["run"]
    return " ".join(sub.format_help().split())


def _signature_mismatches(func, table, *, positional=(), exempt=()):
    """Keywords of ``func`` and keyword options of ``table`` that disagree."""
    params = inspect.signature(func).parameters
    keywords = {n for n, o in table.items() if o.keyword}
    named = set(params) - set(positional)
    problems = [f"{n}: not in the table" for n in sorted(named - keywords)]
    problems += [f"{n}: not in the signature" for n in sorted(keywords - named)]
    for name in sorted((keywords & named) - set(exempt)):
        default, declared = params[name].default, table[name].default
        if isinstance(declared, (list, tuple)):
            default, declared = list(default), list(declared)
        if default != declared:
            problems.append(f"{name}: default {default!r} != table {declared!r}")
    return problems


def test_run_experiment_signature_agrees_with_the_table():
    assert (
        _signature_mismatches(run_experiment, RUN_OPTIONS, positional=["dataset"]) == []
    )
    # the keyword options are exactly run_experiment's keywords, in order
    params = list(inspect.signature(run_experiment).parameters)[1:]
    assert [n for n, o in RUN_OPTIONS.items() if o.keyword] == params


def test_legibility_grid_signature_agrees_with_the_grid_table():
    # n_jobs: the command line runs serially (1), the function leaves it to
    # joblib (None, which is serial too)
    problems = _signature_mismatches(
        legibility_grid,
        GRID_OPTIONS,
        positional=["dataset", "cv", "random_state", "verbose"],
        exempt=["n_jobs"],
    )
    assert problems == []


def test_every_flag_is_in_the_parser_with_its_default_in_the_help():
    text = _run_help()
    for name, option in RUN_OPTIONS.items():
        flag = "--" + name.replace("_", "-")
        assert (flag in text) == option.flag, name
        if "{default}" in option.help:
            shown = option.default
            if isinstance(shown, tuple):
                shown = ",".join(map(str, shown))
            assert f"({shown}" in text or f"default: {shown})" in text, name
    assert "(default: spatial,random)" in text and "test folds (4)" in text


def test_flags_and_file_resolve_to_the_table_defaults():
    args = build_parser().parse_args(["run"])
    options = resolve_run_options(args)
    for name, option in RUN_OPTIONS.items():
        if option.flag or option.config:
            expected = option.check(option.default, name)
            assert options[name] == expected, name
    # the keywords forwarded to run_experiment: the table's keyword options
    forwarded = run_keywords(options)
    assert set(forwarded) == {
        n for n, o in RUN_OPTIONS.items() if o.keyword and (o.flag or o.config)
    }
    assert forwarded["seeds"] == [0] and forwarded["cv"] == ["spatial", "random"]


def test_config_json_records_the_table_options_in_order(tmp_path):
    result = run_experiment(models=["decay"], cv="random", n_splits=3, seeds=[2])
    recorded = [n for n, o in RUN_OPTIONS.items() if o.record]
    keys = list(result.config)
    assert keys[3 : 3 + len(recorded)] == recorded
    assert record_options(result.config) == {
        "cv": ["random"],
        "n_splits": 3,
        "seeds": [2],
        "null": [],
        "n_permutations": 100,
        "n_jobs": 1,
        "device": "cpu",
        "quick": False,
    }
    # and a results folder's config.json reads back as options
    path = tmp_path / "config.json"
    path.write_text(json.dumps(result.config))
    again = resolve_options(read_config(path))
    assert again["n_splits"] == 3 and again["seeds"] == [2]
    assert again["models"] == {"decay": None}


@pytest.mark.parametrize(
    ("name", "value", "error", "message"),
    [
        ("n_splits", 3.9, TypeError, "n_splits must be an integer, got 3.9."),
        ("n_splits", 1, ValueError, "n_splits must be at least 2, got 1."),
        ("n_permutations", 0, ValueError, "n_permutations must be at least 1, got 0."),
        ("n_jobs", 0, ValueError, "n_jobs must not be 0; use 1 (serial) or -1"),
        ("seeds", [0, "x"], TypeError, "seeds must be an integer, got 'x'."),
        ("seeds", [-1], ValueError, "seeds must be at least 0, got -1."),
        ("quick", "maybe", TypeError, "quick must be true or false (a bool)"),
        ("cv", ["diagonal"], ValueError, "unknown cv 'diagonal'; choose from"),
        ("cv", [], ValueError, "cv is empty; name at least one."),
        ("models", 5, TypeError, "models must be a list of model names or a"),
        ("models", {"bilinear": 3}, TypeError, "must map to a mapping of param"),
    ],
)
def test_one_error_wording_for_python_file_and_command_line(
    name, value, error, message, tmp_path, capsys
):
    with pytest.raises(error) as in_python:
        run_experiment(**{"models": ["decay"], name: value})
    with pytest.raises(error) as in_file:
        resolve_options({"models": ["decay"], name: value})
    assert message in str(in_python.value)
    assert str(in_python.value) == str(in_file.value)
    config = tmp_path / "run.json"
    config.write_text(json.dumps({"models": ["decay"], name: value}))
    assert main(["run", "--config", str(config), "--silent"]) == 2
    assert f"connpredict: error: {in_python.value}" in capsys.readouterr().err


def test_text_is_read_only_from_the_command_line_and_files():
    # "4" and "false" are the command line's (and YAML's) spelling ...
    options = resolve_options({"n_splits": "4", "quick": "false"}, {"seeds": "1,2"})
    assert (options["n_splits"], options["quick"], options["seeds"]) == (
        4,
        False,
        [1, 2],
    )
    # ... while Python takes typed values
    with pytest.raises(TypeError, match="n_splits must be an integer, got '4'"):
        run_experiment(models=["decay"], n_splits="4")


def test_adding_an_option_is_one_entry_in_the_table(monkeypatch, tmp_path, capsys):
    """A new option, registered in RUN_OPTIONS only, reaches every place."""
    monkeypatch.setitem(
        RUN_OPTIONS,
        "max_regions",
        Option(
            "max_regions",
            500,
            _integer(3),
            "largest atlas to fit ({default} regions)",
            keyword=False,
            text=_int_text,
        ),
    )
    # the parser: the flag, with its default in the help
    assert "--max-regions MAX_REGIONS largest atlas to fit (500 regions)" in _run_help()
    args = build_parser().parse_args(["run", "--max-regions", "60"])
    assert resolve_run_options(args)["max_regions"] == 60
    # the config file reader (YAML/JSON keys) and the default
    config = tmp_path / "run.json"
    config.write_text(json.dumps({"max-regions": 7}))
    assert read_config(config) == {"max_regions": 7}
    assert resolve_options(read_config(config))["max_regions"] == 7
    assert resolve_options()["max_regions"] == 500
    # the validation, for the file and the command line alike
    with pytest.raises(ValueError, match="max_regions must be at least 3, got 2"):
        resolve_options({"max_regions": 2})
    assert main(["run", "--max-regions", "x", "--silent"]) == 2
    assert "max_regions must be an integer, got 'x'" in capsys.readouterr().err
    # not a keyword of run_experiment: not forwarded, and the signature agrees
    assert "max_regions" not in run_keywords(resolve_options())
    assert (
        _signature_mismatches(run_experiment, RUN_OPTIONS, positional=["dataset"]) == []
    )


def test_a_new_keyword_option_must_reach_run_experiment(monkeypatch):
    """A keyword option missing from run_experiment's signature is caught."""
    monkeypatch.setitem(
        RUN_OPTIONS, "max_regions", Option("max_regions", 500, _integer(3))
    )
    assert "max_regions" in run_keywords(resolve_options())
    assert _signature_mismatches(
        run_experiment, RUN_OPTIONS, positional=["dataset"]
    ) == ["max_regions: not in the signature"]


def test_grid_config_takes_every_splitter_by_name(tmp_path):
    from connpredict.model_selection import SPLITTERS

    for name in SPLITTERS:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"dataset": "synthetic", "cv": name}))
        assert read_grid_config(path)["cv"] == name
    path.write_text(json.dumps({"dataset": "synthetic", "cv": "diagonal"}))
    with pytest.raises(ValueError, match="unknown cv 'diagonal'; choose from spatial"):
        read_grid_config(path)
    path.write_text(json.dumps({"dataset": "synthetic", "colour": "red"}))
    with pytest.raises(
        ValueError, match=r"unknown option\(s\) colour in .*; allowed: dataset, inputs"
    ):
        read_grid_config(path)

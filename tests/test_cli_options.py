"""coursekit.cli_options: finite numbers in range, writable outputs, figure names matplotlib can write."""

import argparse

import pytest

from coursekit.cli_options import check_figure, check_output, describe_os_error, figure_types, integer, number


@pytest.mark.parametrize(("parse", "text", "message"), [
    (number(), "nan", "must be a finite number"),
    (number(), "-inf", "must be a finite number"),
    (number(low=0), "-0.5", "must be >= 0, got -0.5"),
    (number(above=0), "0", "must be > 0, got 0"),
    (number(low=0, high=100), "100.5", "must be >= 0 and <= 100"),
    (number(), "ten", "expected a number, got 'ten'"),
    (integer(low=1), "0", "must be >= 1, got 0"),
    (integer(), "1.5", "expected an integer"),
])  # fmt: skip
def test_bad_numbers_are_refused_with_a_reason(parse, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse(text)


def test_good_numbers_pass():
    assert number(low=0, high=100)("100") == 100.0 and number(above=0)("1e-3") == 0.001 and integer(low=0)("0") == 0


def test_outputs_are_checked_before_the_work(tmp_path):
    check_output(tmp_path / "a.csv")  # fine, and leaves nothing behind
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="is a folder"):
        check_output(tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        check_output(tmp_path / "no" / "a.csv")


def test_a_read_only_folder_is_caught_even_for_root():
    from faults import small_tmpfs

    with small_tmpfs(64 * 1024, read_only=True) as ro, pytest.raises(ValueError, match="read-only file system"):
        check_output(ro / "a.csv")


def test_figure_names_need_an_extension_matplotlib_writes(tmp_path):
    assert {"png", "pdf", "svg"} <= set(figure_types())
    check_figure(tmp_path / "a.PNG")
    for name, got in (("a.xyz", "'.xyz'"), ("adir", "no extension")):
        with pytest.raises(ValueError, match=f"{name} \\({got}\\); end its name in one of .*\\.png"):
            check_figure(tmp_path / name)


def test_os_errors_are_one_line_with_a_hint():
    assert describe_os_error(OSError(28, "No space left on device", "r/ckpt.pt")) == (
        "cannot write r/ckpt.pt: No space left on device (the disk is full: free some space)")
    assert "read-only file system" in describe_os_error(OSError(30, "Read-only file system"), "r")

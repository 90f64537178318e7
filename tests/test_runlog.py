"""coursekit.alarm.runlog: reading (bad lines reported by number), writing, and rewinding for a resume."""

import io
import json

import pytest

from coursekit.alarm.runlog import (
    LogWriter,
    MalformedLine,
    iter_log,
    parse_record,
    read_log,
    rewind_log,
)
from coursekit.alarm.runlog import MAX_LINE_CHARS, printable


def rec(step, text="some text here", **extra):
    return {"step": step, "source": "wiki", "text": text, "loss_ema": 3.5, **extra}


def lines(*records):
    return "".join(json.dumps(r) + "\n" for r in records)


def test_round_trip_keeps_extra_keys(tmp_path):
    path = tmp_path / "samples.jsonl"
    with LogWriter(path) as log:
        log.append(rec(100, total=33.8, consecutive=0))
        log.append(rec(200, text="région ünïcode"))
    records, bad = read_log(path)
    assert bad == [] and [r["step"] for r in records] == [100, 200]
    assert records[0]["total"] == 33.8 and records[1]["text"] == "région ünïcode"


def test_writer_flushes_each_line(tmp_path):
    path = tmp_path / "s.jsonl"
    log = LogWriter(path)
    log.append(rec(1))
    assert path.read_text().count("\n") == 1  # readable before close: a kill loses nothing written
    log.close()


def test_writer_refuses_a_record_the_reader_would_reject(tmp_path):
    with LogWriter(tmp_path / "s.jsonl") as log, pytest.raises(ValueError, match="step"):
        log.append({"source": "wiki", "text": "x"})


@pytest.mark.parametrize(
    "line, reason",
    [
        ('{"step": 300, "source": "wiki", "te', "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"step": "300", "source": "wiki", "text": "x"}', "'step' must be int"),
        ('{"step": 300, "text": "x"}', "missing required key 'source'"),
        ('{"step": 300, "source": "w", "text": "x", "loss_ema": "low"}', "loss_ema"),
        ('{"step": 300, "source": "w", "text": "x", "loss_ema": NaN}', "'loss_ema' must be finite, got nan"),
        ('{"step": 300, "source": "w", "text": "x", "loss_ema": -Infinity}', "must be finite, got -inf"),
        ('{"step": 300, "source": "w", "text": "' + "x" * MAX_LINE_CHARS + '"}', "longer than 1,048,576"),
        ('{"step": 100, "source": "w", "text": "again"}', "does not follow step 200"),
    ],
)
def test_bad_line_raises_with_its_line_number(line, reason):
    stream = io.StringIO(lines(rec(100), rec(200)) + line + "\n" + lines(rec(400)))
    with pytest.raises(MalformedLine, match=reason) as info:
        list(iter_log(stream))
    assert info.value.lineno == 3


def test_skip_reports_every_bad_line_and_keeps_the_rest():
    text = lines(rec(100)) + "garbage\n\n" + lines(rec(200)) + '{"step": 3'  # torn last line, no newline
    records, bad = read_log(io.StringIO(text), errors="skip")
    assert [r["step"] for r in records] == [100, 200]
    assert [(b.lineno, "JSON" in b.reason) for b in bad] == [(2, True), (5, True)]  # blank line 3 is ignored


def test_null_loss_is_allowed():
    assert parse_record('{"step": 1, "source": "s", "text": "", "loss_ema": null}')["loss_ema"] is None


def test_unknown_errors_mode_rejected():
    with pytest.raises(ValueError, match="errors"):
        list(iter_log(io.StringIO(""), errors="ignore"))


def test_rewind_drops_later_samples_and_a_torn_line(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(lines(rec(100), rec(200), rec(300)) + '{"step": 400, "sou')
    assert rewind_log(path, last_step=200) == 2  # step 300 and the torn line
    assert [r["step"] for r in read_log(path)[0]] == [100, 200]
    with LogWriter(path) as log:  # the resumed run appends after step 200 with no gap or repeat
        log.append(rec(300))
    assert [r["step"] for r in read_log(path)[0]] == [100, 200, 300]


def test_rewind_refuses_to_drop_a_corrupt_middle_line(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(lines(rec(100)) + "oops\n" + lines(rec(200)))
    with pytest.raises(MalformedLine) as info:
        rewind_log(path, last_step=200)
    assert info.value.lineno == 2
    assert "oops" in path.read_text()  # nothing was rewritten


def test_rewind_missing_file_is_a_no_op(tmp_path):
    assert rewind_log(tmp_path / "none.jsonl", 5) == 0


def test_preview_flattens_and_cuts():
    from coursekit.alarm.runlog import preview

    assert preview("a\n  b\tc", 10) == "a b c"
    assert preview("abcdefghij", 5) == "abcd…"  # 4 characters + the ellipsis = 5
    assert preview("abcdefghij", 6, ellipsis="...") == "abc..."
    assert preview("  \n", 28, empty="(empty)") == "(empty)"


def test_a_huge_line_is_skipped_in_chunks_and_reading_goes_on():
    # 5 MB of text on line 2 (MAX_LINE_CHARS is 1 MiB): a bad line with its number; line 3 is read as usual.
    huge = '{"step": 150, "source": "w", "text": "' + "y" * 5_000_000 + '"}\n'
    records, bad = read_log(io.StringIO(lines(rec(100)) + huge + lines(rec(200))), errors="skip")
    assert [r["step"] for r in records] == [100, 200]
    assert [b.lineno for b in bad] == [2] and "longer than" in bad[0].reason


def test_a_line_of_exactly_the_limit_is_fine():
    text = "z" * (MAX_LINE_CHARS - len('{"step": 1, "source": "w", "text": ""}'))
    line = json.dumps({"step": 1, "source": "w", "text": text}, separators=(", ", ": "))
    assert len(line) == MAX_LINE_CHARS
    assert read_log(io.StringIO(line + "\r\n"))[0][0]["text"] == text


@pytest.mark.parametrize(("text", "shown"), [
    ("plain text, é ü 中文", "plain text, é ü 中文"),  # printable: unchanged
    ("a\x1b[2Jb", "a\\x1b[2Jb"),  # ESC: the screen-clearing sequence is shown, not run
    ("title \x1b]0;x\x07", "title \\x1b]0;x\\x07"),  # OSC ... BEL
    ("rtl \u202e txt", "rtl \\u202e txt"),  # right-to-left override (format character)
    ("lone \ud800", "lone \\ud800"),  # unencodable surrogate
    ("tab\tnl\n", "tab\\x09nl\\x0a"),
])  # fmt: skip
def test_printable_escapes_control_and_format_characters(text, shown):
    assert printable(text) == shown
    printable(text).encode("utf-8")  # always encodable


def test_rewind_on_a_full_disk_keeps_the_log_and_leaves_no_temp_file():
    from faults import small_tmpfs

    with small_tmpfs(64 * 1024) as disk:
        path = disk / "s.jsonl"
        path.write_text(lines(*(rec(100 * i, text="w" * 500) for i in range(1, 41))))  # ~21 KB
        (disk / "filler").write_bytes(b"\0" * (disk_free(disk) - 4096))  # leave less room than the log needs
        before = path.read_bytes()
        with pytest.raises(OSError) as info:
            rewind_log(path, last_step=3900)
        assert info.value.errno == 28 and str(path) in str(info.value)
        assert path.read_bytes() == before and sorted(p.name for p in disk.iterdir()) == ["filler", "s.jsonl"]


def disk_free(folder):
    import os

    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize

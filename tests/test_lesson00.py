"""Lesson 00: the environment report and the warm-up exercises' feedback."""

from coursekit.alarm.metrics import english_lexicon
from coursekit.course.exercise import INCORRECT
from coursekit.course.lessons.lesson00 import WARMUP_TEXT, environment_report, q1, q2


def test_environment_report_lists_versions_device_and_lexicon(capsys):
    report = environment_report(show=False)
    assert {"python", "coursekit", "torch", "numpy", "matplotlib", "ipywidgets", "device"} <= report.keys()
    assert report["lexicon words"] == len(english_lexicon())
    assert capsys.readouterr().out == ""  # show=False prints nothing
    environment_report()
    assert "lexicon words" in capsys.readouterr().out


def test_warmup_text_under_the_word_rule():
    # "Region region, REGION! region" -> ["region", "region,", "region!", "region"]: 4 words, 3 distinct
    assert WARMUP_TEXT.lower().split() == ["region", "region,", "region!", "region"]
    assert q1.grade(n_words=4, n_distinct=3).passed


def test_q1_wrong_answers_point_at_the_rule():
    assert "`n_words`" in q1.grade(n_words=3, n_distinct=3).message
    stripped = q1.grade(n_words=4, n_distinct=1)  # punctuation stripped: all four are "region"
    assert stripped.status == INCORRECT and "punctuation" in stripped.message
    assert "lowercase" in q1.grade(n_words=4, n_distinct=4).message  # "Region" and "REGION!" kept apart


def test_q2_self_check_wants_the_loss_the_samples_and_nobody_looking():
    assert q2.grade(answer="The loss went down.").status == INCORRECT  # 4 words: not yet an explanation
    missing = q2.grade(answer="The loss went down all the time, so the dashboard looked fine to everyone.")
    assert missing.passed and "does not seem to mention" in missing.message and "samples" in missing.message
    assert q2.grade(answer="The loss fell all run long, so nobody read the samples that were stored.").passed

"""Line and column numbers: the lazy index answers what a table of every line's start answers."""

from __future__ import annotations

from bisect import bisect_right

from hypothesis import given, settings
from hypothesis import strategies as st

from leaksweep import textpos
from leaksweep.textpos import LineIndex


def table_position(text: str, offset: int) -> tuple[int, int]:
    """The definition: bisect a list of every line's start."""
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    index = bisect_right(starts, offset) - 1
    return index + 1, offset - starts[index] + 1


def table_line(text: str, line: int) -> str:
    return text.split("\n")[line - 1].rstrip("\r")


TEXTS = st.text(st.sampled_from("ab\n\r é"), max_size=200)


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, picks=st.lists(st.floats(0, 1), max_size=50))
def test_lookups_in_any_order_agree_with_the_table(text: str, picks: list[float]) -> None:
    """Counting from the nearest earlier lookup, remembered line starts and ends, the switch to
    the table after many lookups: none of them changes an answer."""
    index = LineIndex(text)
    for pick in picks:
        offset = int(pick * len(text))
        line, column = index.position(offset)
        assert (line, column) == table_position(text, offset)
        assert index.line_text(line, limit=10_000) == table_line(text, line)
        if line > 1:  # the allow-next-line marker looks at the line before
            assert index.line_text(line - 1, limit=10_000) == table_line(text, line - 1)


def test_a_few_lookups_build_no_table_many_do() -> None:
    text = "x\n" * 1000
    index = LineIndex(text)
    for offset in (1500, 10, 1998):
        index.position(offset)
        index.line_text(index.position(offset)[0])
    assert index._starts is None
    for offset in range(0, 2000, 20):
        index.position(offset)
    assert index._starts is not None
    assert len(index._offsets) <= textpos.TABLE_AFTER_LOOKUPS + 1


def test_an_unseen_line_is_answered_from_the_table() -> None:
    index = LineIndex("one\ntwo\r\nthree")
    assert index.line_text(3) == "three"
    assert index.line_text(2) == "two"
    assert index.position(9) == (3, 1)

"""``records``: the value classes behave as the dataclasses they replaced, on both constructor
paths (the shared one for a class's first instances, the generated one after)."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys

import pytest

from leaksweep.model import Finding
from leaksweep.records import GENERATE_AFTER, FrozenInstanceError, Record, field, fields, replace


class Point(Record):
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)
    note: str = field(default="", repr=False, compare=False)


class Counter(Record, frozen=False):
    name: str
    hits: list[int] = field(default_factory=list)


class Labelled(Point):
    label: str = "?"


# Each test that builds instances runs once on the shared constructor and once on the generated
# one: these classes are fresh per run so the first instances really are the first.
def fresh_point_class() -> type[Point]:
    class P(Record):
        x: int
        y: int = 0
        tags: list[str] = field(default_factory=list)
        note: str = field(default="", repr=False, compare=False)

    return P  # type: ignore[return-value]


@pytest.fixture(params=["shared", "generated"])
def P(request: pytest.FixtureRequest) -> type[Point]:
    cls = fresh_point_class()
    if request.param == "generated":
        for _ in range(GENERATE_AFTER + 1):
            cls(0)
        assert cls.__init__.__qualname__.endswith("P.__init__")  # type: ignore[misc]
    return cls


def test_constructor_positional_keyword_defaults_and_factories(P: type[Point]) -> None:
    a = P(1, 2, ["t"], "n")
    assert (a.x, a.y, a.tags, a.note) == (1, 2, ["t"], "n")
    b = P(x=3)
    assert (b.x, b.y, b.tags, b.note) == (3, 0, [], "")
    c = P(4)
    assert c.tags == [] and c.tags is not b.tags  # a fresh list for each instance


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "missing"),
        ((1, 2, [], "", "extra"), {}, "positional arguments"),
        ((1,), {"x": 2}, "multiple values for argument 'x'"),
        ((1,), {"colour": "red"}, "unexpected keyword argument 'colour'"),
    ],
)
def test_bad_arguments_are_type_errors_on_both_paths(
    P: type[Point], args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        P(*args, **kwargs)


def test_frozen_records_refuse_changes(P: type[Point]) -> None:
    p = P(1)
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'x'"):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.y  # type: ignore[misc]
    with pytest.raises(AttributeError):
        p.other = 1  # type: ignore[attr-defined]  # slots: no stray attributes either
    assert p.x == 1


def test_mutable_records_change_and_are_not_hashable() -> None:
    c = Counter("a")
    c.name = "b"
    c.hits.append(1)
    assert c == Counter("b", [1])
    with pytest.raises(TypeError):
        hash(c)


def test_equality_and_hash_follow_the_compared_fields(P: type[Point]) -> None:
    assert P(1, 2) == P(1, 2, note="differs: not compared")
    assert hash(P(1, 2, ("a",))) == hash(P(1, 2, ("a",), note="x"))  # type: ignore[arg-type]
    assert P(1, 2) != P(1, 3)
    assert P(1) != Point(1)  # another class, same fields
    assert P(1).__eq__(object()) is NotImplemented


def test_repr_leaves_out_hidden_fields(P: type[Point]) -> None:
    assert repr(P(1, 2, note="s3cr3t")).endswith(".P(x=1, y=2, tags=[])")  # qualname, as dataclasses


def test_a_finding_repr_never_shows_its_secret() -> None:
    secret = "AKIAZZZZZZZZZZZZZZZZ"
    f = Finding(
        rule_id="r", rule_name="R", severity="high", confidence="high", path="p", line=1,
        column=1, end_line=1, end_column=20, secret=secret, line_text=f"k = {secret}",
        entropy=3.0, match_text=secret,
    )  # fmt: skip
    assert secret not in repr(f) and "rule_id='r'" in repr(f)


def test_replace_and_fields(P: type[Point]) -> None:
    p = P(1, 2, ["t"])
    q = replace(p, y=5)
    assert (q.x, q.y, q.tags) == (1, 5, ["t"]) and p.y == 2
    with pytest.raises(TypeError, match="no field 'z'"):
        replace(p, z=1)
    assert fields(P) == fields(p) == ("x", "y", "tags", "note")


def test_pickle_and_copy_round_trip(P: type[Point]) -> None:
    for value in (Point(1, 2, ["t"], "n"), Counter("a", [1]), Labelled(1, label="l")):
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            back = pickle.loads(pickle.dumps(value, protocol))
            assert back == value and type(back) is type(value)
        assert copy.copy(value) == value and copy.deepcopy(value) == value
    assert pickle.loads(pickle.dumps(Point(1, note="n"))).note == "n"  # not compared, still kept


def test_subclasses_add_fields_after_their_parents() -> None:
    for _ in range(GENERATE_AFTER + 2):  # the parent's generated constructor is not inherited
        Point(1)
    child = Labelled(1, 2, label="l")
    assert (child.x, child.y, child.label) == (1, 2, "l")
    assert fields(Labelled) == ("x", "y", "tags", "note", "label")
    assert Labelled.__match_args__ == fields(Labelled)


def test_class_definition_errors() -> None:
    with pytest.raises(TypeError, match="non-default field 'b'"):

        class Bad(Record):
            a: int = 0
            b: int

    with pytest.raises(TypeError, match="frozen record cannot inherit from a mutable"):

        class Mixed(Counter, frozen=True):
            more: int = 0

    with pytest.raises(ValueError, match="both default and default_factory"):
        field(default=[], default_factory=list)


def test_the_value_classes_do_not_import_dataclasses() -> None:
    probe = (
        "import sys\n"
        "before = set(sys.modules)\n"  # a site-packages .pth file may have imported it already
        "import leaksweep.model, leaksweep.rules, leaksweep.detector\n"
        "print('dataclasses' in set(sys.modules) - before)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

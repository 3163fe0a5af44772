"""A size check on regular expressions before they are compiled.

The ``regex`` package expands counted repeats when it compiles: ``a{1000000}`` becomes a million
literal nodes (about 270 MB), and nested counts multiply (``((a{1000}){1000}){1000}`` takes the
machine down). Rule packs, configs and allowlists can come from a repository we scan, so a
pattern is measured first: every atom counts once per repetition of everything around it, and a
pattern whose expanded size is over the limit is refused with a clear error instead of compiled.

The measure is an upper bound computed from the text alone (alternatives add up, a repeat
``{m,n}`` counts ``m`` times, since only the mandatory copies are expanded; ``*``, ``+``, ``?`` and
the optional part of a range cost one), so it never needs the pattern compiled.
"""

from __future__ import annotations

from leaksweep.lazyre import lazy

# Far above any real rule (the built-in packs stay under a few thousand), far below trouble.
MAX_EXPANDED = 50_000
_COUNT = lazy(r"\{(\d*)(?:,(\d*))?\}")
_CAP = 10**12  # keep the arithmetic small once a pattern is known to be far too big


def expanded_size(pattern: str) -> int:
    """An upper bound on the number of nodes compiling ``pattern`` creates."""
    # Each frame is [total size so far, size of the last atom (what a quantifier repeats)].
    stack: list[list[int]] = [[0, 0]]
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        frame = stack[-1]
        if char == "\\":
            i = _skip_escape(pattern, i)
            frame[0] += 1
            frame[1] = 1
            continue
        if char == "[":
            i = _skip_class(pattern, i)
            frame[0] += 1
            frame[1] = 1
            continue
        if char == "(":
            if pattern.startswith("(?#", i):  # a comment: nothing to repeat
                end = pattern.find(")", i)
                i = n if end < 0 else end + 1
                continue
            stack.append([0, 0])
            i = _skip_group_prefix(pattern, i + 1)
            continue
        if char == ")":
            if len(stack) > 1:
                inner = stack.pop()[0]
                parent = stack[-1]
                parent[0] = min(_CAP, parent[0] + inner)
                parent[1] = inner
            i += 1
            continue
        if char == "{":
            m = _COUNT.match(pattern, i)
            if m and (m.group(1) or m.group(2)):
                # regex expands the mandatory part of a repeat (its minimum) into copies; the
                # optional rest is a loop and costs nothing.
                digits = m.group(1) or "0"
                # More than 12 digits is past the cap anyway; int() of 5000 digits would raise.
                times = _CAP if len(digits) > 12 else min(max(int(digits), 1), _CAP)
                extra = min(_CAP, frame[1] * (times - 1))
                frame[0] = min(_CAP, frame[0] + extra)
                frame[1] = min(_CAP, frame[1] * times)
                i = m.end()
                continue
        if char in "*+?|":
            i += 1
            continue
        frame[0] = min(_CAP, frame[0] + 1)
        frame[1] = 1
        i += 1
    total = 0
    for frame in stack:  # unbalanced parentheses: compile() reports those itself
        total = min(_CAP, total + frame[0])
    return total


def _skip_escape(pattern: str, i: int) -> int:
    """The index after the escape at ``i`` (``\\x{...}``, ``\\p{...}``, ``\\N{...}`` included)."""
    if (
        i + 1 < len(pattern)
        and pattern[i + 1] in "pPNxug"
        and i + 2 < len(pattern)
        and pattern[i + 2] in "{<"
    ):
        close = "}" if pattern[i + 2] == "{" else ">"
        end = pattern.find(close, i + 3)
        return len(pattern) if end < 0 else end + 1
    return i + 2


def _skip_group_prefix(pattern: str, i: int) -> int:
    """The index after a group's ``?...`` specifier starting at ``i`` (``?:``, ``?P<name>``,
    ``?<=``, ``?i:`` ...), so its characters are not counted as atoms."""
    if i >= len(pattern) or pattern[i] != "?":
        return i
    j = i + 1
    if pattern.startswith(("P<", "<"), j) and not pattern.startswith(("<=", "<!"), j):
        end = pattern.find(">", j)
        return len(pattern) if end < 0 else end + 1
    if pattern.startswith(("<=", "<!"), j):
        return j + 2
    if j < len(pattern) and pattern[j] in ":=!>|&":
        return j + 1
    while j < len(pattern) and (pattern[j].isalpha() or pattern[j] == "-"):  # inline flags
        j += 1
    return j + 1 if j < len(pattern) and pattern[j] == ":" else j


def _skip_class(pattern: str, i: int) -> int:
    """The index after the character class opening at ``i`` (nested V1 sets included)."""
    depth = 0
    j = i
    n = len(pattern)
    while j < n:
        char = pattern[j]
        if char == "\\":
            j += 2
            continue
        if char == "[":
            depth += 1
            j += 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":  # a leading ] is a literal
                j += 1
            continue
        if char == "]":
            depth -= 1
            j += 1
            if depth == 0:
                return j
            continue
        j += 1
    return n


def too_large(pattern: str) -> str | None:
    """Why ``pattern`` must not be compiled, or None when it is fine."""
    size = expanded_size(pattern)
    if size > MAX_EXPANDED:
        return (
            f"pattern expands to about {size if size < _CAP else 'more than 10^12'} nodes when compiled "
            f"(limit {MAX_EXPANDED}): use smaller counted repeats such as {{1,64}}"
        )
    return None

"""Reading file versions out of git for the git sources: size limits, missing objects and
earlier versions, with the reasons a version was not scanned."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from leaksweep import git
from leaksweep.model import CommitInfo, Skipped, Target

GITLINK_REASON = "submodule (gitlink): its content lives in another repository; scan that one separately"
# A version we compare against is kept this long: consecutive commits mostly read the version
# the previous commit created, so a small cache saves most repeated reads.
CACHE_BYTES = 32 * 1024 * 1024


def too_large(size: int, max_size: int) -> str:
    return f"larger than --max-file-size ({size} > {max_size} bytes)"


class BlobReader:
    """File versions by blob id through one ``git cat-file --batch``, with a small cache."""

    def __init__(self, cat: git.CatFile, max_size: int) -> None:
        self.cat = cat
        self.max_size = max_size
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached = 0

    def _read(self, oid: str) -> bytes | None:
        hit = self._cache.get(oid)
        if hit is not None:
            self._cache.move_to_end(oid)
            return hit
        content = self.cat.read(oid, self.max_size)
        if content is not None and len(content) <= CACHE_BYTES // 8:
            self._cache[oid] = content
            self._cached += len(content)
            while self._cached > CACHE_BYTES:
                _, old = self._cache.popitem(last=False)
                self._cached -= len(old)
        return content

    def version(self, path: str, oid: str) -> bytes | Skipped:
        """The content to scan, or a Skipped saying why not."""
        try:
            content = self._read(oid)
        except git.ObjectTooLarge as exc:
            return Skipped(path, too_large(exc.size, self.max_size), oid)
        except git.ObjectUnreadable as exc:
            return Skipped(path, git.unreadable_reason(oid, exc.message), oid, damaged=True)
        if content is None:
            return Skipped(path, git.unreadable_reason(oid), oid, damaged=True)
        return content

    def target(
        self, path: str, oid: str, earlier: Iterable[str], origin: str, commit: CommitInfo | None = None
    ) -> Target | Skipped:
        """The version ``oid`` of ``path`` as a target, with the earlier versions it replaces."""
        content = self.version(path, oid)
        if isinstance(content, Skipped):
            return content
        return Target(path, content, oid, before=self.earlier(earlier), origin=origin, commit=commit)

    def earlier(self, oids: Iterable[str]) -> tuple[bytes, ...]:
        """The earlier versions a new one is compared with. One that is missing or too large
        cannot be compared, so its secrets would count as new: safer than hiding them."""
        out: list[bytes] = []
        for oid in dict.fromkeys(oids):
            try:
                content = self._read(oid)
            except (git.ObjectTooLarge, git.ObjectUnreadable):
                continue
            if content is not None:
                out.append(content)
        return tuple(out)

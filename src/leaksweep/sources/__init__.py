"""Sources know git or the file system and nothing about rules: they yield targets."""

from leaksweep.model import Skipped, Target

SourceItem = Target | Skipped

__all__ = ["Skipped", "SourceItem", "Target"]

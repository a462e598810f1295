"""The code search index: one row per code of a code set, shaped for search.

``Code`` stays the source of truth; these rows are derived from it by
``coding.services.search.rebuild_index(code_set)`` (run when a code set is
loaded) and can be dropped and rebuilt at any time. What each backend adds
on top (PostgreSQL: pg_trgm and full-text GIN indexes; SQLite: an FTS5 table)
is created by migration 0003_search and kept in step by the rebuild.
"""

from __future__ import annotations

from django.db import models

from .codesets import CodeSet

__all__ = ["CodeSearchBuild", "CodeSearchEntry", "CodeSearchWord"]


class CodeSearchEntry(models.Model):
    code_set = models.ForeignKey(CodeSet, on_delete=models.CASCADE, related_name="+")
    system = models.CharField(max_length=10)
    code = models.CharField(max_length=16, help_text="Without the dot")
    dotted = models.CharField(max_length=20)
    title = models.TextField()
    # Lower-case words of the title, for "title starts with" and "all words in the title".
    title_words = models.TextField(blank=True)
    # Lower-case words of the title and the inclusion terms: what word search reads.
    terms = models.TextField(blank=True)
    billable = models.BooleanField(default=True)
    kind = models.CharField(max_length=10)
    # 0 code, 1 category, 2 block, 3 chapter: headers of wider scope sort later.
    level = models.PositiveSmallIntegerField(default=0)
    # 1: a subsequent encounter or a sequela (7th character), listed after the initial one.
    hint = models.PositiveSmallIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code_set", "code"], name="coding_search_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.dotted} {self.title}"


class CodeSearchWord(models.Model):
    """The vocabulary of a code set's index: what a misspelt word is corrected to."""

    code_set = models.ForeignKey(CodeSet, on_delete=models.CASCADE, related_name="+")
    word = models.CharField(max_length=60)
    frequency = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code_set", "word"], name="coding_search_word_unique"),
        ]

    def __str__(self) -> str:
        return self.word


class CodeSearchBuild(models.Model):
    """When a code set's index was last built (and what it holds)."""

    code_set = models.OneToOneField(CodeSet, on_delete=models.CASCADE, related_name="search_build")
    built_at = models.DateTimeField()
    entries = models.PositiveIntegerField(default=0)
    words = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"{self.code_set}: {self.entries} entries at {self.built_at:%Y-%m-%d %H:%M}"

"""The changelog (cards/CHANGELOG.md): its one parsing rule, the packaged file, the errors, the docstring example."""

from __future__ import annotations


import pytest

from valueportrait.changelog import ChangelogEntry, changelog_entries, default_changelog, read_changelog
from valueportrait.errors import DatasetError


def test_packaged_changelog_starts_with_first_release():
    entries = changelog_entries(default_changelog().read_text(encoding="utf-8"))
    versions = list(entries)
    assert versions[-1] == "1.0.0"
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))), reverse=True)  # newest first
    date, text = entries["1.0.0"]
    assert date == "2026-11-22"
    assert "08e1fb7903c619592bd8b3267f00191e36957f9e" in text


def test_changelog_entries_parse_headings_and_stop_at_next_section():
    text = "# Log\n\nintro\n\n## 1.2.0 (2026-01-02)\n\n- b\n\n## v1.1.0\n- a\n\n# Other\nnot an entry\n"
    assert changelog_entries(text) == {"1.2.0": ("2026-01-02", "- b"), "1.1.0": (None, "- a")}


def test_read_changelog_gives_entries_and_requires_the_version(tmp_path):
    path = tmp_path / "CHANGELOG.md"
    path.write_text("# Changelog\n\n## 1.1.0 (2026-11-23)\n\n- Stricter.\n\n### Details\n- kept\n\n## 1.0.0\n- First.\n")
    assert read_changelog(path, "1.0.0") == [ChangelogEntry("1.1.0", "2026-11-23", "- Stricter.\n\n### Details\n- kept"),
                                             ChangelogEntry("1.0.0", None, "- First.")]
    with pytest.raises(DatasetError, match=r"dataset version 1\.2\.0 has no entry in the changelog .*\(it has "
                                           r"1\.1\.0, 1\.0\.0\)\. Add a section '## 1\.2\.0 \(YYYY-MM-DD\)'"):
        read_changelog(path, "1.2.0")
    path.write_text("# Changelog\n\nnothing yet\n")
    with pytest.raises(DatasetError, match=r"has no '## X\.Y\.Z \(YYYY-MM-DD\)' entry"):
        read_changelog(path)
    with pytest.raises(DatasetError, match=r"the changelog '.*missing\.md' does not exist"):
        read_changelog(tmp_path / "missing.md")


def test_the_core_changelog_module_imports_no_builders():
    import subprocess
    import sys

    code = ("import sys, valueportrait.changelog, valueportrait.hub; "
            "print(sorted(m for m in sys.modules if m.startswith('valueportrait.builders')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"



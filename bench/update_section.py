"""Replaces the text between "<!-- BEGIN name -->" and "<!-- END name -->" in a markdown file
(the benchmark scripts' docs/benchmarks.md sections), or appends the section under `heading`.

Usage: update_section.py FILE NAME HEADING CONTENT
"""
import sys

path, name, heading, content = sys.argv[1:5]
text = open(path).read()
begin, end = "<!-- BEGIN %s -->" % name, "<!-- END %s -->" % name
block = begin + "\n" + content.rstrip("\n") + "\n" + end
if begin in text and end in text:
    text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
else:
    text = text.rstrip("\n") + "\n\n## " + heading + "\n\n" + block + "\n"
open(path, "w").write(text)

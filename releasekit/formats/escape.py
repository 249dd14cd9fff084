"""Escaping for everything a release controls, one function per output syntax.

A release chooses its file names, tensor names and card text; a name with a newline, an ANSI
escape, a bidi override, a backtick or `<script>` must come out of every format as inert text.
Each helper here is total (any str in, safe str out) and never drops characters silently: what
cannot be shown is shown as a visible escape (`\\x0a`), so two different names stay different.
"""

from __future__ import annotations

import re
import unicodedata

# Unicode categories that can move the cursor, end a line, reorder text or hide characters:
# Cc (C0/C1 controls, DEL), Cf (bidi overrides, zero-width), Zl/Zp (line/paragraph separators).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def _escape_char(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """`text` on one line with every control, format or separator character made visible.

    Tabs are escaped too: they move columns in a terminal and end a property in some parsers.
    """
    if text.isprintable():  # the fast path: isprintable() is False for every category above
        return text
    return "".join(
        _escape_char(c) if unicodedata.category(c) in _UNSAFE_CATEGORIES or c in "\t\r\n" else c for c in text
    )


# --- GitHub Actions workflow commands -------------------------------------------------------
# The runner decodes %25, %0D, %0A in a command's message, and additionally %3A, %2C in its
# properties (actions/toolkit `escapeData` / `escapeProperty`). '%' must go first.


def github_data(text: str) -> str:
    """The message part of `::error ...::MESSAGE`: one line, whatever `text` holds."""
    return printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A property value (`file=`, `title=`) of a workflow command."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


_COMMAND_START = re.compile(r"^(\s*)(::|##\[)", re.MULTILINE)


def neutralise_commands(output: str) -> str:
    """Make sure no line of plain output can be taken for a workflow command.

    The runner trims leading white space and then treats a line starting with `::` (or the
    legacy `##[`) as a command. Our own lines never start that way, so any such line carries
    release text at its start; its first character is shown as an escape instead.
    """
    return _COMMAND_START.sub(lambda m: m.group(1) + _escape_char(m.group(2)[0]) + m.group(2)[1:], output)


# --- Markdown (GitHub-flavoured, rendered in pull-request comments and job summaries) --------

# What can turn prose into markup: code spans, emphasis, tables, raw HTML and entities, and the
# `](` and `][` that close a link or an image. `_` is left alone: it can only italicise, and
# token prefixes (`hf_`, `api_org_`) and tensor names are full of it.
_MD_INLINE = re.compile(r"[\\`*|~]|\](?=[(\[])")
# What starts a block (heading, list, quote, thematic break, setext underline) at the start of a
# table cell or list item.
_MD_BLOCK_START = re.compile(r"^(\s*)(\d*)([#+\-=>.)\[])")


def md_text(text: str) -> str:
    """Prose from a release inside a Markdown paragraph, table cell or list item: no markup.

    Backslash escapes (CommonMark allows one before any ASCII punctuation) for what opens
    markup, entities for `<`, `>` and `&`, so no tag, link, image or heading can be formed.
    """
    body = printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = _MD_INLINE.sub(lambda m: "\\" + m.group(0), body)
    return _MD_BLOCK_START.sub(lambda m: m.group(1) + m.group(2) + "\\" + m.group(3), body)


def md_code(text: str, *, in_table: bool = False) -> str:
    """`text` as one inline code span that stays a code span whatever it contains.

    Inside a code span nothing is markup (no HTML, no emphasis), so names are shown verbatim;
    only the delimiter needs care: it is a run of backticks longer than any run in `text`, with
    a space on each side when `text` starts or ends with a backtick (CommonMark strips one).
    In a GFM table a `|` still ends the cell inside a code span unless escaped as `\\|`.
    """
    body = printable(text)
    if in_table:
        body = body.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    if body.startswith("`") or body.endswith("`") or (body.startswith(" ") and body.endswith(" ") and body.strip()):
        body = f" {body} "
    if not body:
        body = " "
    return f"{fence}{body}{fence}"


# --- JSON (json and sarif formats) -----------------------------------------------------------
# json.dumps escapes C0 controls; with ensure_ascii=False it leaves C1 controls, line separators
# and bidi/zero-width characters raw. They are valid JSON but break JavaScript consumers (U+2028)
# and reorder text in terminals, so they are written as \u escapes (only strings can hold them).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def json_safe(document: str) -> str:
    """A JSON text from json.dumps with the characters above escaped; same value when parsed."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", document)

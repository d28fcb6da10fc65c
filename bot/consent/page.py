"""A consent text as a web page: what a "read the whole text" link opens, any version ever shown."""

from __future__ import annotations

import html
import re

from bot.db.models import StoredConsentText

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADINGS = {"en": ("Version", "in effect from"), "fr": ("Version", "en vigueur depuis le")}


def render(text: StoredConsentText) -> str:
    """The exact text, with its small Markdown (paragraphs, "- " lists, **bold**) as HTML."""
    version, since = _HEADINGS.get(text.language, _HEADINGS["en"])
    blocks = []
    for paragraph in re.split(r"\n\s*\n", text.body.strip()):
        lines = [line.strip() for line in paragraph.strip().splitlines()]
        if lines and all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append(f"<p>{'<br>'.join(_inline(line) for line in lines)}</p>")
    title = html.escape(text.title)
    return f"""<!doctype html>
<html lang="{html.escape(text.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ font: 17px/1.55 system-ui, sans-serif; max-width: 40em; margin: 2em auto;
         padding: 0 1em; color: #1b1b1b; }}
  .meta {{ color: #555; font-size: 0.9em; }}
  code {{ font-size: 0.85em; word-break: break-all; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="meta">{version} {text.version} · {since} {text.effective.isoformat()}</p>
{"".join(blocks)}
<p class="meta">SHA-256: <code>{text.sha256}</code></p>
</body>
</html>
"""


def _inline(line: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", html.escape(line))

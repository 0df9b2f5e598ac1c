"""
`{% module_preloads "whiteboard/board.js" %}`: a `<link rel="modulepreload">`
for a page's script and every module it imports, however deep. Without
them the browser finds a module only once its importer has arrived, one
level of imports at a time (on a 2,000-card kanban board the last arrived
180 ms after the page). The list is read from the modules' own `import`
statements, so it cannot fall behind them.
"""

import posixpath
import re
from functools import lru_cache
from pathlib import Path

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.utils.html import format_html_join

register = template.Library()

# `import ... from "./x.js"`, `export ... from "./x.js"` (over several lines) and `import "./x.js"`;
# no parenthesis or semicolon before the `from`, so a function body never passes for one.
IMPORT = re.compile(r"""^\s*(?:import|export)\b[^'"();]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']""",
                    re.MULTILINE)


def module_graph(entry):
    """The static paths of `entry` and of every module it imports, directly or not, each once."""
    found, waiting = [], [entry]
    while waiting:
        path = waiting.pop(0)
        source = finders.find(path)
        if path in found or source is None:
            continue
        found.append(path)
        for match in IMPORT.finditer(Path(source).read_text(encoding="utf-8")):
            specifier = match.group(1) or match.group(2)
            if specifier.startswith("."):  # the pages import only their own files, by relative path
                waiting.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier)))
    return found


cached_module_graph = lru_cache(maxsize=None)(module_graph)


@register.simple_tag
def module_preloads(entry):
    """The preload links of `entry`'s modules (read again on every page with DEBUG on, as files change)."""
    paths = module_graph(entry) if settings.DEBUG else cached_module_graph(entry)
    return format_html_join("\n", '<link rel="modulepreload" href="{}">', ((static(path),) for path in paths))

"""
The board pages ask for every module their script imports at once, from
the page's head, so the browser does not find them one level of imports at
a time (a waterfall that made the kanban board show 180 ms later).
"""

import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import TestCase

from kanban import services as kanban_services
from tests.support import make_user
from whiteboard import services as whiteboard_services


def imported(entry):
    """`entry` and every module it imports, read here with a parser of the test's own."""
    seen, waiting = {entry}, [entry]
    while waiting:
        path = waiting.pop()
        source = Path(finders.find(path)).read_text()
        for found in re.findall(r'^import [^;]*? from "([^"]+)";', source, flags=re.MULTILINE | re.DOTALL):
            module = str((Path("/") / Path(path).parent / found).resolve()).lstrip("/")
            if module not in seen:
                seen.add(module)
                waiting.append(module)
    return seen


class ModulePreloadTests(TestCase):
    def test_each_board_page_preloads_exactly_the_modules_its_script_imports(self):
        alice = make_user("alice")
        self.client.force_login(alice)
        for board, entry in (
            (whiteboard_services.board_create(name="Sketch", owner=alice), "whiteboard/board.js"),
            (kanban_services.board_create(name="Plan", owner=alice), "kanban/board.js"),
        ):
            with self.subTest(entry):
                page = self.client.get(board.get_absolute_url()).content.decode()
                head = page[: page.index("</head>")]
                preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', head)
                self.assertEqual(len(preloaded), len(set(preloaded)), "each module once")
                self.assertEqual({href.removeprefix(settings.STATIC_URL) for href in preloaded}, imported(entry))
                self.assertGreater(len(preloaded), 5)
                self.assertIn(f'<script type="module" src="{settings.STATIC_URL}{entry}">', page)

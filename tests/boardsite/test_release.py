"""The release a site runs is visible, and what ships is licensed and listed."""

import re

from django.conf import settings
from django.test import TestCase

import boardsite

ROOT = settings.BASE_DIR


def requirement_names():
    names = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(re.match(r"[A-Za-z0-9_.-]+", line).group(0))
    return names


class ReleaseTests(TestCase):
    def test_the_version_is_in_the_page_footer_and_in_healthz(self):
        self.assertRegex(boardsite.__version__, r"^\d+\.\d+\.\d+$")
        page = self.client.get("/accounts/login/")
        self.assertContains(page, f'<footer class="sitefooter">Boardsite {boardsite.__version__}</footer>', html=True)
        self.assertEqual(self.client.get("/healthz").json()["version"], boardsite.__version__)

    def test_the_changelog_has_a_section_for_this_version(self):
        changelog = (ROOT / "CHANGELOG.md").read_text()
        self.assertIn(f"## [{boardsite.__version__}]", changelog)
        self.assertIn("## [Unreleased]", changelog)

    def test_every_required_and_vendored_package_is_in_the_licence_list(self):
        self.assertIn("MIT License", (ROOT / "LICENSE").read_text())
        licences = (ROOT / "docs" / "licences.md").read_text().lower()
        for name in requirement_names():
            with self.subTest(package=name):
                self.assertIn(f"| {name.lower()}", licences)
        for folder in sorted((ROOT / "static" / "vendor").iterdir()):
            with self.subTest(vendored=folder.name):
                self.assertTrue((folder / "LICENSE").is_file(), f"{folder} has no LICENSE file")
                self.assertIn(f"| {folder.name.lower()} |", licences)

"""Every HTML page carries the strict Content-Security-Policy; export.svg keeps its own."""

from django.test import TestCase

from tests.support import make_user

POLICY = {
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
    "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
}


def directives(header):
    return {part.strip() for part in header.split(";")}


class ContentSecurityPolicyTests(TestCase):
    def test_every_html_page_has_the_policy(self):
        paths = ["/accounts/login/", "/accounts/signup/"]
        for path in paths:
            with self.subTest(path=path, user="anonymous"):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(directives(response["Content-Security-Policy"]), POLICY)
        admin = make_user("root")
        admin.is_staff = admin.is_superuser = True
        admin.save()
        self.client.force_login(admin)
        board = self.client.post("/whiteboard/new/", {"name": "Policy"})
        self.assertEqual(board.status_code, 302)
        for path in ["/", "/whiteboard/", board["Location"], "/kanban/", "/admin/", "/admin/auth/user/",
                     f"/admin/auth/user/{admin.pk}/change/", "/no-such-page/"]:
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertIn("text/html", response["Content-Type"])
                self.assertEqual(directives(response["Content-Security-Policy"]), POLICY)

    def test_export_svg_keeps_its_stricter_policy(self):
        self.client.force_login(make_user("alice"))
        board = self.client.post("/whiteboard/new/", {"name": "Export"})["Location"]
        response = self.client.get(board.rstrip("/") + "/export.svg")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Security-Policy"], "default-src 'none'; style-src 'unsafe-inline'; img-src data:")

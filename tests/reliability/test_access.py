"""
Every board route of both apps, found from their URLconfs (so a route added
later is covered too): an anonymous visitor is sent to log in or refused,
and a logged-in non-member gets 404 or 405, never the board, with GET and
POST alike; nothing changes.
"""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import URLPattern, reverse

import kanban.urls
import whiteboard.urls
from kanban import attachments, comments
from kanban.models import Attachment
from kanban import services as kanban_services
from tests.kanban.test_attachments import image_bytes
from tests.support import make_user
from whiteboard import images
from whiteboard import services as whiteboard_services
from whiteboard.models import Image

SECRET_NAME = "Quarterly secret plans"


def board_routes(urls_module):
    """(route name, the names of its other arguments) for every pattern of the app that takes a board slug."""
    app = urls_module.app_name
    return [
        (f"{app}:{pattern.name}", [name for name in pattern.pattern.converters if name != "slug"])
        for pattern in urls_module.urlpatterns
        if isinstance(pattern, URLPattern) and "slug" in pattern.pattern.converters
    ]


class BoardRouteAccessTests(TestCase):
    def setUp(self):
        self.owner = make_user("owner")
        self.outsider = make_user("outsider")
        self.boards = {
            whiteboard.urls: whiteboard_services.board_create(name=SECRET_NAME, owner=self.owner),
            kanban.urls: kanban_services.board_create(name=SECRET_NAME, owner=self.owner),
        }
        # What routes name besides the board: something on it, holding the secret too.
        kanban_board = self.boards[kanban.urls]
        card = kanban_services.card_create(board=kanban_board, column_id=kanban_board.columns.first().pk,
                                           title=SECRET_NAME, actor=self.owner).details["card"]
        comments.comment_create(board=kanban_board, card_id=card["id"], body=SECRET_NAME, actor=self.owner)
        secret_file = SimpleUploadedFile("secret.txt", SECRET_NAME.encode())
        attachment = attachments.attachment_create(board=kanban_board, card_id=card["id"], actor=self.owner,
                                                   upload=attachments.check_upload(secret_file)).details["attachment"]
        secret_picture = SimpleUploadedFile(f"{SECRET_NAME}.png", image_bytes())
        picture = images.image_upload(board=self.boards[whiteboard.urls], upload=images.check_upload(secret_picture),
                                      actor=self.owner)
        self.arguments = {"card_id": card["id"], "attachment_id": attachment["id"], "image_id": picture.pk}

    def requests(self):
        for urls_module, board in self.boards.items():
            routes = board_routes(urls_module)
            self.assertGreaterEqual(len(routes), 6, f"{urls_module.app_name}: too few routes found")
            for route, others in routes:
                url = reverse(route, kwargs={"slug": board.slug, **{name: self.arguments[name] for name in others}})
                for method in ("get", "post"):
                    yield board, url, method

    def test_anonymous_visitors_are_sent_to_log_in_or_refused_everywhere(self):
        for board, url, method in self.requests():
            with self.subTest(url=url, method=method):
                response = getattr(self.client, method)(url, {"name": "taken over", "username": "outsider"})
                self.assertIn(response.status_code, (302, 403, 405))
                if response.status_code == 302:
                    self.assertTrue(response["Location"].startswith(reverse("login")), response["Location"])
                self.assertNotIn(SECRET_NAME.encode(), response.content)
        self.assert_unchanged()

    def test_non_members_get_nothing_anywhere(self):
        self.client.force_login(self.outsider)
        for board, url, method in self.requests():
            with self.subTest(url=url, method=method):
                response = getattr(self.client, method)(url, {"name": "taken over", "username": "outsider"})
                self.assertIn(response.status_code, (404, 405))
                self.assertNotIn(SECRET_NAME.encode(), response.content)
        self.assert_unchanged()

    def assert_unchanged(self):
        self.assertEqual(Attachment.objects.count(), 1)
        self.assertEqual(Image.objects.count(), 1)
        for board in self.boards.values():
            board.refresh_from_db()
            self.assertEqual(board.name, SECRET_NAME)
            self.assertFalse(board.members.filter(pk=self.outsider.pk).exists())
            self.assertFalse(board.shared_with_all)

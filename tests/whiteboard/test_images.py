"""
Pictures on whiteboards: uploaded through the page (checked, encoded again,
counted against the quota, served only to the board's people) and placed as
`image` elements with every guarantee of any other element.
"""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings

from boardsite.collab.errors import ActionError
from tests.kanban.test_attachments import image_bytes
from tests.support import make_user, use_a_temporary_media_root
from tests.whiteboard.helpers import export_svg, snapshot_strokes
from whiteboard import images, selectors, services
from whiteboard.models import Image


class ImageTests(TestCase):
    def setUp(self):
        use_a_temporary_media_root(self)
        self.alice, self.bob, self.mallory = make_user("alice"), make_user("bob"), make_user("mallory")
        self.board = services.board_create(name="Pictures", owner=self.alice)
        self.board.members.add(self.bob)
        self.url = f"/whiteboard/{self.board.slug}/images.json"

    def upload(self, name="photo.png", content=None, *, user=None):
        self.client.force_login(user or self.bob)
        file = SimpleUploadedFile(name, image_bytes() if content is None else content)
        return self.client.post(self.url, {"file": file})

    def test_a_picture_is_stored_encoded_again_and_served_to_the_board_s_people_only(self):
        polyglot = image_bytes() + b"<script>alert(1)</script>"
        response = self.upload(content=polyglot)
        self.assertEqual(response.status_code, 201, response.content)
        answer = response.json()
        self.assertEqual((answer["width"], answer["height"], answer["name"]), (64, 40, "photo.png"))
        served = self.client.get(f"/whiteboard/{self.board.slug}/images/{answer['image']}/")
        self.assertEqual((served.status_code, served["Content-Type"]), (200, "image/png"))
        self.assertEqual(served["Content-Security-Policy"], "default-src 'none'; sandbox")
        self.assertEqual(served["X-Content-Type-Options"], "nosniff")
        self.assertIn("private", served["Cache-Control"])
        body = b"".join(served.streaming_content)
        self.assertTrue(body.startswith(b"\x89PNG"))
        self.assertNotIn(b"<script>", body)
        self.client.force_login(self.mallory)
        self.assertEqual(self.client.get(f"/whiteboard/{self.board.slug}/images/{answer['image']}/").status_code, 404)
        self.assertEqual(self.upload(user=self.mallory).status_code, 404)

    def test_what_is_not_a_picture_or_is_too_big_is_refused_and_nothing_is_stored(self):
        cases = [
            ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", 400, "file_type"),
            ("notes.txt", b"hello", 400, "file_type"),
            ("fake.png", b"<html>not a picture</html>", 400, "invalid_image"),
            ("empty.png", b"", 400, "invalid_field"),
        ]
        for name, content, status, code in cases:
            with self.subTest(name):
                response = self.upload(name, content)
                self.assertEqual((response.status_code, response.json()["code"]), (status, code))
        with override_settings(UPLOAD_MAX_IMAGE_PIXELS=1000):  # a decompression bomb, in small
            response = self.upload()
            self.assertEqual((response.status_code, response.json()["code"]), (413, "too_large"))
        with override_settings(UPLOAD_MAX_BYTES=100):
            response = self.upload()
            self.assertEqual((response.status_code, response.json()["code"]), (413, "too_large"))
        with override_settings(BOARD_STORAGE_QUOTA_BYTES=100):
            response = self.upload()
            self.assertEqual((response.status_code, response.json()["code"]), (400, "quota"))
            self.assertIn("pictures take", response.json()["error"])
        self.assertFalse(Image.objects.exists())

    def test_a_placed_picture_is_an_element_undone_and_exported_with_its_pixels(self):
        image_id = self.upload().json()["image"]
        placed = images.image_add(
            board=self.board, actor=self.bob, stroke_id="i1", image_id=image_id, points=[[0.1, 0.1], [0.2, 0.2]]
        )
        (element,) = snapshot_strokes(selectors.board_snapshot_json(board=self.board))
        self.assertEqual((element["tool"], element["props"]), ("image", {"image": image_id}))
        self.client.force_login(self.alice)
        _, svg = export_svg(self.client, f"/whiteboard/{self.board.slug}/export.svg")
        self.assertIn('<image x="384" y="240" width="384" height="240" preserveAspectRatio="none" href="data:image/png;base64,', svg)
        services.history_undo(board=self.board, actor=self.bob)
        self.assertEqual(snapshot_strokes(selectors.board_snapshot_json(board=self.board)), [])
        _, then = export_svg(self.client, f"/whiteboard/{self.board.slug}/export.svg?seq={placed.seq}")
        self.assertIn("data:image/png;base64,", then)

    def test_only_the_board_s_own_pictures_are_placed(self):
        other = services.board_create(name="Other", owner=self.bob)
        theirs = images.image_upload(board=other, upload=images.check_upload(SimpleUploadedFile("a.png", image_bytes())),
                                     actor=self.bob)
        for image_id in (theirs.pk, 999_999):
            with self.subTest(image_id), self.assertRaises(ActionError) as refused:
                images.image_add(board=self.board, actor=self.bob, stroke_id="i1", image_id=image_id,
                                 points=[[0.1, 0.1], [0.2, 0.2]])
            self.assertEqual(refused.exception.code, "unknown_image")

    def test_a_board_s_pictures_go_with_it(self):
        image = Image.objects.get(pk=self.upload().json()["image"])
        path = image.file.path
        with self.captureOnCommitCallbacks(execute=True):
            self.board.delete()
        with self.assertRaises(FileNotFoundError):
            open(path, "rb")

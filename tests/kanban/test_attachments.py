"""
Files on cards: kanban.attachments (checks, quota, cover, removal and its
undo, the archive, moves between boards), boardsite.uploads (images encoded
again, names, kinds), and the views that take and serve them.
"""

import io
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from boardsite import uploads
from boardsite.collab import services as collab_services
from boardsite.collab.errors import ActionError
from kanban import activity, archive, attachments, history, selectors, services, transfer
from kanban.models import Attachment, Card
from tests.kanban.helpers import RefusalsMixin, add_cards, columns_of, make_board
from tests.support import make_user, use_a_temporary_media_root


def image_bytes(kind="PNG", size=(64, 40), colour=(200, 30, 30), **options):
    output = io.BytesIO()
    Image.new("RGB", size, colour).save(output, kind, **options)
    return output.getvalue()


def upload(name="photo.png", content=None):
    return SimpleUploadedFile(name, image_bytes() if content is None else content)


class AttachmentTestCase(RefusalsMixin, TestCase):
    def setUp(self):
        use_a_temporary_media_root(self)
        self.alice, self.bob, self.carol = make_user("alice"), make_user("bob"), make_user("carol")
        self.board = make_board(self.alice, members=[self.bob])
        self.todo = columns_of(self.board)["To do"]
        (self.card,) = add_cards(self.board, self.todo, ["Design"], actor=self.alice)

    def attach(self, file=None, *, actor=None, card=None):
        checked = attachments.check_upload(file or upload())
        return attachments.attachment_create(board=self.board, card_id=(card or self.card)["id"], upload=checked,
                                             actor=actor or self.bob).details

    def card_face(self, card=None):
        """The card as every page gets it (the board message)."""
        for column in selectors.board_snapshot(board=self.board)["columns"]:
            for frame in column["cards"]:
                if frame["id"] == (card or self.card)["id"]:
                    return frame
        return None

    def stored_files(self):
        return sorted(str(path.relative_to(settings.MEDIA_ROOT)) for path in Path(settings.MEDIA_ROOT).rglob("*")
                      if path.is_file() and f"kanban/{self.board.pk}/" in str(path))


class UploadTests(AttachmentTestCase):
    def test_an_image_is_encoded_again_without_a_byte_of_the_upload_and_gets_a_thumbnail(self):
        original = image_bytes("PNG", size=(1200, 800))
        polyglot = original + b"<html><script>alert(document.cookie)</script></html>"
        ack = self.attach(upload("Plan.PNG", polyglot))
        frame = ack["attachment"]
        self.assertEqual((frame["name"], frame["content_type"], frame["image"]), ("Plan.png", "image/png", True))
        self.assertEqual((frame["width"], frame["height"]), (1200, 800))
        stored = Attachment.objects.get(pk=frame["id"])
        content = stored.file.read()
        self.assertNotIn(b"<script", content)
        self.assertEqual(Image.open(io.BytesIO(content)).size, (1200, 800))
        thumbnail = Image.open(stored.thumbnail)
        self.assertEqual((thumbnail.format, max(thumbnail.size)), ("WEBP", 480))
        self.assertEqual(stored.size, len(content) + stored.thumbnail.size)

    def test_a_photo_is_turned_upright_and_loses_its_metadata(self):
        photo = Image.new("RGB", (80, 40), (10, 120, 10))
        exif = photo.getexif()
        exif[0x0112] = 6  # orientation: rotate 90° to show
        exif[0x010F] = "Camera maker"
        output = io.BytesIO()
        photo.save(output, "JPEG", exif=exif)
        frame = self.attach(upload("holiday.jpeg", output.getvalue()))["attachment"]
        self.assertEqual((frame["name"], frame["width"], frame["height"]), ("holiday.jpg", 40, 80))
        stored = Image.open(Attachment.objects.get(pk=frame["id"]).file)
        self.assertEqual(dict(stored.getexif()), {})

    def test_an_animated_gif_keeps_its_frames(self):
        frames = [Image.new("RGB", (20, 20), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
        output = io.BytesIO()
        frames[0].save(output, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
        frame = self.attach(upload("spinner.gif", output.getvalue()))["attachment"]
        stored = Image.open(Attachment.objects.get(pk=frame["id"]).file)
        self.assertEqual((stored.format, stored.n_frames), ("GIF", 3))

    def test_other_files_are_stored_as_they_came(self):
        frame = self.attach(upload("notes.txt", b"Minutes of the meeting\n"))["attachment"]
        self.assertEqual((frame["content_type"], frame["image"], frame["size"]), ("text/plain", False, 23))
        self.assertEqual(Attachment.objects.get(pk=frame["id"]).file.read(), b"Minutes of the meeting\n")

    def test_refused_uploads_store_nothing_and_say_why(self):
        cases = [
            (upload("drawing.svg", b"<svg onload='alert(1)'/>"), "file_type"),
            (upload("run.exe", b"MZ"), "file_type"),
            (upload("noextension", b"data"), "file_type"),
            (upload("fake.png", b"<html>not an image</html>"), "invalid_image"),
            (upload("truncated.png", image_bytes()[:60]), "invalid_image"),
            (upload("empty.txt", b""), "invalid_field"),
            (None, "invalid_field"),
        ]
        for file, code in cases:
            with self.subTest(name=getattr(file, "name", None)):
                with self.assertRaises(Exception) as raised:
                    attachments.check_upload(file)
                self.assertEqual(raised.exception.code, code, raised.exception.message)
        self.assertEqual(Attachment.objects.count(), 0)
        self.assertEqual(self.stored_files(), [])

    def test_a_file_whose_content_is_not_of_its_kind_is_refused(self):
        docx = io.BytesIO()
        with zipfile.ZipFile(docx, "w") as archive:
            archive.writestr("word/document.xml", "<w:document/>")
        accepted = [("report.pdf", b"%PDF-1.7\n1 0 obj\n"), ("plan.docx", docx.getvalue()),
                    ("notes.md", "# Résumé\n".encode()), ("data.json", b'{"ok": true}'), ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1...")]
        for name, content in accepted:
            with self.subTest(accepted=name):
                self.assertEqual(attachments.check_upload(upload(name, content)).content, content)
        refused = [("report.pdf", b"<html><script>alert(1)</script></html>"), ("plan.docx", b"%PDF-1.7"),
                   ("notes.txt", b"text\x00with a NUL"), ("notes.txt", b"\xff\xfe latin-1 \xe9"),
                   ("data.json", b"{not json"), ("photo.png", b"GIF89a not really")]
        for name, content in refused:
            with self.subTest(refused=name):
                with self.assertRaises(ActionError) as raised:
                    attachments.check_upload(upload(name, content))
                self.assertIn(raised.exception.code, ("file_type", "invalid_image"))

    @override_settings(UPLOAD_MAX_BYTES=1000, UPLOAD_MAX_IMAGE_PIXELS=10_000)
    def test_sizes_over_the_settings_are_refused(self):
        with self.assertRaises(Exception) as raised:
            attachments.check_upload(upload("big.txt", b"x" * 1001))
        self.assertEqual(raised.exception.code, "too_large")
        # A small file that decodes to a huge image (a decompression bomb) is refused before it is decoded.
        bomb = image_bytes("PNG", size=(5000, 5000), colour=(0, 0, 0))
        self.assertLess(len(bomb), 1000 * 100)
        with override_settings(UPLOAD_MAX_BYTES=len(bomb)):
            with self.assertRaises(Exception) as raised:
                attachments.check_upload(upload("bomb.png", bomb))
        self.assertEqual(raised.exception.code, "too_large")
        self.assertIn("5,000×5,000 pixels", raised.exception.message)

    def test_names_are_cleaned_and_shortened_keeping_their_extension(self):
        frame = self.attach(upload("C:\\Users\\me\\Desktop\\re\x00port\u202e" + "a" * 300 + ".txt", b"x"))["attachment"]
        self.assertTrue(frame["name"].startswith("re_port_aaa"), frame["name"])
        self.assertTrue(frame["name"].endswith(".txt"))
        self.assertEqual(len(frame["name"]), 120)
        for name in ("../../..", " . ", "", None):
            with self.assertRaises(ActionError):
                uploads.clean_file_name(name, max_length=120)


class AttachmentLifeTests(AttachmentTestCase):
    def test_the_first_image_becomes_the_cover_and_the_card_face_counts_files(self):
        self.attach(upload("notes.txt", b"x"))
        self.assertEqual((self.card_face()["attachments"], self.card_face()["cover"]), (1, None))
        first = self.attach()["attachment"]
        second = self.attach(upload("other.png"))["attachment"]
        face = self.card_face()
        self.assertEqual((face["attachments"], face["cover"]), (3, first["id"]))
        version = Card.objects.get(pk=self.card["id"]).version
        changed = attachments.card_cover(board=self.board, card_id=self.card["id"], attachment_id=second["id"],
                                         actor=self.alice).details
        self.assertEqual((changed["event"], changed["cover"]), ("card.cover", second["id"]))
        self.assertEqual(self.card_face()["cover"], second["id"])
        # Nobody editing the card is put in conflict by a new cover.
        self.assertEqual(Card.objects.get(pk=self.card["id"]).version, version)
        history.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(self.card_face()["cover"], first["id"])
        history.history_redo(board=self.board, actor=self.alice)
        self.assertEqual(self.card_face()["cover"], second["id"])
        attachments.card_cover(board=self.board, card_id=self.card["id"], attachment_id=None, actor=self.bob)
        self.assertEqual(self.card_face()["cover"], None)
        text = Attachment.objects.get(name="notes.txt")
        self.refused("invalid_field", attachments.card_cover, card_id=self.card["id"], attachment_id=text.pk,
                     actor=self.alice)
        self.refused("not_found", attachments.card_cover, card_id=self.card["id"], attachment_id=999, actor=self.alice)
        entries, _ = activity.activity_page(board=self.board, card_id=self.card["id"])
        self.assertEqual(entries[0].summary, "bob took the cover off ‘Design’")
        self.assertEqual(entries[1].summary, "alice made ‘other.png’ the cover of ‘Design’")

    def test_removing_keeps_the_file_for_undo_and_the_archive(self):
        frame = self.attach()["attachment"]
        removed = attachments.attachment_remove(board=self.board, attachment_id=frame["id"], actor=self.bob).details
        self.assertEqual((removed["event"], removed["attachments"], removed["cover"]), ("attachment.removed", 0, None))
        self.assertEqual(selectors.card_attachments(card=Card.objects.get(pk=self.card["id"]))["attachments"], [])
        listed = archive.board_archive(board=self.board)
        self.assertEqual([(item["name"], item["card_title"]) for item in listed["attachments"]], [("photo.png", "Design")])
        self.assertEqual(listed["storage"]["used"], Attachment.objects.get().size)
        history.history_undo(board=self.board, actor=self.bob)
        face = self.card_face()
        self.assertEqual((face["attachments"], face["cover"]), (1, frame["id"]))
        history.history_redo(board=self.board, actor=self.bob)
        self.assertEqual(self.card_face()["attachments"], 0)
        restored = attachments.attachment_restore(board=self.board, attachment_id=frame["id"], actor=self.alice).details
        self.assertEqual(restored["attachments"], 1)
        self.assertEqual(len(self.stored_files()), 2)

    def test_undo_of_an_upload_removes_it_and_redo_brings_it_back(self):
        frame = self.attach()["attachment"]
        history.history_undo(board=self.board, actor=self.bob)
        self.assertEqual((self.card_face()["attachments"], self.card_face()["cover"]), (0, None))
        history.history_redo(board=self.board, actor=self.bob)
        self.assertEqual((self.card_face()["attachments"], self.card_face()["cover"]), (1, frame["id"]))

    def test_only_the_uploader_or_the_owner_removes_and_deletes_for_good(self):
        mine = self.attach(actor=self.alice)["attachment"]
        self.refused("forbidden", attachments.attachment_remove, attachment_id=mine["id"], actor=self.bob)
        theirs = self.attach(actor=self.bob)["attachment"]
        attachments.attachment_remove(board=self.board, attachment_id=theirs["id"], actor=self.alice)
        self.refused("not_found", attachments.attachment_remove, attachment_id=theirs["id"], actor=self.alice)
        self.refused("not_found", attachments.attachment_delete, attachment_id=mine["id"], actor=self.alice)
        before = len(self.stored_files())
        with self.captureOnCommitCallbacks(execute=True):
            deleted = attachments.attachment_delete(board=self.board, attachment_id=theirs["id"], actor=self.bob).details
        self.assertEqual(deleted["event"], "attachment.deleted")
        self.assertEqual(len(self.stored_files()), before - 2)
        self.assertEqual(archive.board_archive(board=self.board)["attachments"], [])

    @override_settings(BOARD_STORAGE_QUOTA_BYTES=3000)
    def test_the_quota_counts_every_stored_file_and_refuses_without_storing(self):
        self.attach(upload("a.txt", b"x" * 2000))
        self.refused("quota", attachments.attachment_create, card_id=self.card["id"],
                     upload=attachments.check_upload(upload("b.txt", b"y" * 1001)), actor=self.bob)
        self.assertEqual(len(self.stored_files()), 1)
        removed = Attachment.objects.get()
        attachments.attachment_remove(board=self.board, attachment_id=removed.pk, actor=self.bob)
        self.refused("quota", attachments.attachment_create, card_id=self.card["id"],
                     upload=attachments.check_upload(upload("b.txt", b"y" * 1001)), actor=self.bob)
        with self.captureOnCommitCallbacks(execute=True):
            attachments.attachment_delete(board=self.board, attachment_id=removed.pk, actor=self.bob)
        self.attach(upload("b.txt", b"y" * 1001))

    def test_a_failed_transaction_leaves_no_file_behind(self):
        self.refused("not_found", attachments.attachment_create, card_id=999_999,
                     upload=attachments.check_upload(upload()), actor=self.bob)
        self.assertEqual(self.stored_files(), [])

    def test_a_deleted_card_keeps_its_files_for_its_undo(self):
        frame = self.attach()["attachment"]
        card = Card.objects.get(pk=self.card["id"])
        services.card_delete(board=self.board, card_id=card.pk, version=card.version, actor=self.alice)
        self.assertEqual(len(self.stored_files()), 2)
        history.history_undo(board=self.board, actor=self.alice)
        face = self.card_face()
        self.assertEqual((face["attachments"], face["cover"]), (1, frame["id"]))

    def test_a_card_moved_to_another_board_takes_its_files_and_its_undo_brings_them_back(self):
        frame = self.attach()["attachment"]
        other = make_board(self.alice, name="Other")
        card = Card.objects.get(pk=self.card["id"])
        moved = transfer.card_move_to_board(board=self.board, card_id=card.pk, version=card.version, target=other.slug,
                                            column_id=columns_of(other)["To do"].pk, actor=self.alice).details
        there = Card.objects.get(board=other)
        self.assertEqual((there.attachment_count, there.cover_id), (1, frame["id"]))
        self.assertEqual(Attachment.objects.get().board, other)
        self.assertEqual(moved["event"], "card.deleted")
        history.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(Attachment.objects.get().board, self.board)
        face = self.card_face()
        self.assertEqual((face["attachments"], face["cover"]), (1, frame["id"]))

    def test_a_copy_to_another_board_holds_the_same_files_which_outlive_the_original(self):
        photo = self.attach()["attachment"]
        self.attach(upload("notes.txt", b"Agenda"))
        other = make_board(self.alice, name="Other")
        card = Card.objects.get(pk=self.card["id"])
        copied = transfer.card_copy(board=self.board, card_id=card.pk, target=other.slug,
                                    column_id=columns_of(other)["To do"].pk, actor=self.alice).details
        copy = Card.objects.get(pk=copied["copy"])
        files = {attachment.name: attachment for attachment in Attachment.objects.filter(card=copy)}
        self.assertEqual((copy.attachment_count, sorted(files)), (2, ["notes.txt", "photo.png"]))
        self.assertEqual(copy.cover_id, files["photo.png"].pk)
        self.assertEqual([event.type for event in other.events.order_by("seq")][-2:], ["attachment.created"] * 2)
        # Deleting the original's file for good leaves the copy's readable.
        attachments.attachment_remove(board=self.board, attachment_id=photo["id"], actor=self.bob)
        with self.captureOnCommitCallbacks(execute=True):
            attachments.attachment_delete(board=self.board, attachment_id=photo["id"], actor=self.bob)
        self.assertEqual(Image.open(files["photo.png"].file).size, (64, 40))
        # The last attachment holding it takes the file with it.
        attachments.attachment_remove(board=other, attachment_id=files["photo.png"].pk, actor=self.alice)
        with self.captureOnCommitCallbacks(execute=True):
            attachments.attachment_delete(board=other, attachment_id=files["photo.png"].pk, actor=self.alice)
        self.assertEqual(len(self.stored_files()), 1)  # notes.txt, held by both cards

    @override_settings(BOARD_STORAGE_QUOTA_BYTES=50_000)
    def test_a_copy_that_would_pass_the_other_boards_quota_is_refused_whole(self):
        self.attach(upload("big.txt", b"x" * 30_000))
        other = make_board(self.alice, name="Other")
        (filler,) = add_cards(other, columns_of(other)["To do"], ["Filler"], actor=self.alice)
        attachments.attachment_create(board=other, card_id=filler["id"], actor=self.alice,
                                      upload=attachments.check_upload(upload("other.txt", b"y" * 30_000)))
        self.refused("quota", transfer.card_copy, card_id=self.card["id"], target=other.slug,
                     column_id=columns_of(other)["To do"].pk, actor=self.alice)
        self.assertEqual(list(Card.objects.filter(board=other).values_list("title", flat=True)), ["Filler"])

    def test_the_feed_tells_each_change(self):
        frame = self.attach()["attachment"]
        attachments.attachment_remove(board=self.board, attachment_id=frame["id"], actor=self.bob)
        attachments.attachment_restore(board=self.board, attachment_id=frame["id"], actor=self.bob)
        entries, _ = activity.activity_page(board=self.board, card_id=self.card["id"])
        self.assertEqual([entry.summary for entry in entries[:3]], [
            "bob put ‘photo.png’ back on ‘Design’",
            "bob removed ‘photo.png’ from ‘Design’",
            "bob attached ‘photo.png’ to ‘Design’",
        ])

    def test_deleting_the_board_deletes_its_files(self):
        self.attach()
        self.assertEqual(len(self.stored_files()), 2)
        with self.captureOnCommitCallbacks(execute=True):
            collab_services.board_delete(board=self.board, actor=self.alice)
        self.assertEqual(self.stored_files(), [])

    @override_settings(ATTACHMENT_RETENTION_DAYS=30)
    def test_purge_deletes_what_was_removed_long_ago_and_files_of_cards_gone_for_good(self):
        kept = self.attach(upload("kept.txt", b"k"))["attachment"]
        old = self.attach(upload("old.txt", b"o"))["attachment"]
        attachments.attachment_remove(board=self.board, attachment_id=old["id"], actor=self.bob)
        Attachment.objects.filter(pk=old["id"]).update(removed_at=timezone.now() - timedelta(days=31))
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(attachments.purge(), 1)
        self.assertEqual([a.name for a in Attachment.objects.all()], ["kept.txt"])
        self.assertEqual(self.stored_files(), [Attachment.objects.get().file.name])
        Card.objects.filter(pk=self.card["id"]).delete()
        attachments.purge()
        self.assertIsNotNone(Attachment.objects.get(pk=kept["id"]).removed_at)
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(attachments.purge(now=timezone.now() + timedelta(days=31)), 1)
        self.assertEqual(self.stored_files(), [])


class AttachmentViewTests(AttachmentTestCase):
    def url(self, name, **kwargs):
        return reverse(f"kanban:{name}", kwargs={"slug": self.board.slug, **kwargs})

    def test_a_member_uploads_and_everyone_who_may_open_the_board_downloads(self):
        self.client.force_login(self.bob)
        answer = self.client.post(self.url("attachments", card_id=self.card["id"]),
                                  {"file": upload("report.txt", b"<html><script>x</script>")})
        self.assertEqual(answer.status_code, 201, answer.content)
        frame = answer.json()["attachment"]
        listed = self.client.get(self.url("attachments", card_id=self.card["id"])).json()
        self.assertEqual([item["id"] for item in listed["attachments"]], [frame["id"]])
        download = self.client.get(self.url("file", attachment_id=frame["id"]))
        self.assertEqual(download.status_code, 200)
        self.assertEqual(b"".join(download.streaming_content), b"<html><script>x</script>")
        self.assertEqual(download["Content-Type"], "application/octet-stream")
        self.assertIn('attachment; filename="report.txt"', download["Content-Disposition"])
        self.assertEqual(download["Content-Security-Policy"], "default-src 'none'; sandbox")
        self.assertEqual(download["X-Content-Type-Options"], "nosniff")
        self.assertIn("private", download["Cache-Control"])
        self.assertEqual(self.client.get(self.url("thumbnail", attachment_id=frame["id"])).status_code, 404)
        self.client.force_login(self.carol)  # not a member
        self.assertEqual(self.client.get(self.url("file", attachment_id=frame["id"])).status_code, 404)
        self.client.logout()
        self.assertEqual(self.client.get(self.url("file", attachment_id=frame["id"])).status_code, 302)

    def test_images_are_shown_inline_with_their_thumbnail(self):
        self.client.force_login(self.alice)
        frame = self.client.post(self.url("attachments", card_id=self.card["id"]), {"file": upload()}).json()["attachment"]
        shown = self.client.get(self.url("file", attachment_id=frame["id"]))
        self.assertEqual(shown["Content-Type"], "image/png")
        self.assertIn("inline", shown["Content-Disposition"])
        thumbnail = self.client.get(self.url("thumbnail", attachment_id=frame["id"]))
        self.assertEqual(thumbnail["Content-Type"], "image/webp")

    def test_a_file_of_another_board_is_not_found_through_this_one(self):
        other = make_board(self.carol, name="Carol's")
        self.client.force_login(self.bob)
        frame = self.client.post(self.url("attachments", card_id=self.card["id"]), {"file": upload()}).json()["attachment"]
        self.client.force_login(self.carol)
        url = reverse("kanban:file", kwargs={"slug": other.slug, "attachment_id": frame["id"]})
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_refusals_answer_with_their_code_and_no_csrf_token_is_refused(self):
        self.client.force_login(self.bob)
        answer = self.client.post(self.url("attachments", card_id=self.card["id"]), {"file": upload("x.svg", b"<svg/>")})
        self.assertEqual((answer.status_code, answer.json()["code"]), (400, "file_type"))
        answer = self.client.post(self.url("attachments", card_id=self.card["id"]), {})
        self.assertEqual((answer.status_code, answer.json()["code"]), (400, "invalid_field"))
        with override_settings(UPLOAD_MAX_BYTES=10):
            answer = self.client.post(self.url("attachments", card_id=self.card["id"]),
                                      {"file": upload("big.txt", b"x" * 200_000)})
        self.assertEqual((answer.status_code, answer.json()["code"]), (413, "too_large"))
        strict = self.client_class(enforce_csrf_checks=True)
        strict.force_login(self.bob)
        answer = strict.post(self.url("attachments", card_id=self.card["id"]), {"file": upload()})
        self.assertEqual(answer.status_code, 403)
        self.assertEqual(Attachment.objects.count(), 0)

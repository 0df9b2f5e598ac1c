"""Issue 20 in real Chromium: comments, notifications, checklists, the archive and moving cards, for two people live."""

import re

from playwright.sync_api import expect

from kanban import checklists, comments, services
from kanban.models import Card, Checklist, Comment, Notification
from tests.browser.base import BrowserTestCase, mouse_drag, outside_the_event_loop, touch_finger
from tests.kanban.helpers import add_cards, columns_of
from tests.support import make_user


class TwoMembers:
    """Alice, who owns the board `make_board` makes, and bob, a member, each logged in in a browser of their own."""

    def setUp(self):
        self.alice, self.alice_page = self.user_page("alice")
        self.bob, self.bob_page = self.user_page("bob")
        outside_the_event_loop(self.make_board)
        self.url = f"{self.live_server_url}{self.board.get_absolute_url()}"

    def make_board(self):
        raise NotImplementedError


class CardCommentsBrowserTests(TwoMembers, BrowserTestCase):
    def make_board(self):
        self.board = services.board_create(name="Launch plan", owner=self.alice)
        self.board.members.add(self.bob)
        add_cards(self.board, columns_of(self.board)["To do"], ["Write docs", "Fix login"], actor=self.alice)

    def open_card(self, page, title):
        page.goto(self.url)
        page.wait_for_selector("#connection-status[data-state=live]")
        page.locator(".kanban-card", has_text=title).click()
        expect(page.locator("#card-editor")).to_be_visible()
        expect(page.locator("#card-comments-status")).to_have_text("")
        return page

    def comment_bodies(self, page):
        return page.locator("#card-comments-list .comment-body").all_inner_texts()

    def test_two_people_with_a_card_open_comment_mention_edit_and_delete_live(self):
        alice, bob = self.open_card(self.alice_page, "Fix login"), self.open_card(self.bob_page, "Fix login")
        # Opening takes nothing: both have the card open, and its fields are editable for both.
        expect(alice.locator("#card-editor-held")).to_be_hidden()
        expect(bob.locator("#card-title")).to_be_enabled()

        # Bob mentions alice, picked from the menu that @ opens.
        composer = bob.locator("#comment-body")
        composer.press_sequentially("@al")
        menu = bob.locator(".tribute-container li", has_text="@alice")
        expect(menu).to_be_visible()
        self.screenshot(bob, "kanban-comment-mention.png")
        composer.press("Enter")
        expect(composer).to_have_value("@alice ")
        composer.press_sequentially("can you look? <img src=x onerror=window.hacked=1>")
        composer.press("Control+Enter")
        expect(composer).to_have_value("")
        expect(alice.locator("#card-comments-list .comment")).to_have_count(1)
        # Raw HTML is shown as the text it is, never as HTML.
        self.assertEqual(self.comment_bodies(alice), ["@alice can you look? <img src=x onerror=window.hacked=1>"])
        expect(alice.locator(".comment .mention.is-me")).to_have_text("@alice")
        self.assertEqual(alice.locator(".comment img").count(), 0)
        self.assertIsNone(alice.evaluate("window.hacked"))
        for page in (alice, bob):
            expect(page.locator(".kanban-card", has_text="Fix login").locator(".card-comment-count")).to_have_text("1")
        # Its speech bubble is drawn beside the count, from the icon the stylesheet names.
        bubble = alice.locator(".kanban-card", has_text="Fix login").locator(".card-comment-count").evaluate(
            "node => { const style = getComputedStyle(node, '::before'); return [style.width, style.maskImage]; }"
        )
        self.assertEqual(bubble[0], "14px")
        self.assertIn("icons/comment.svg", bubble[1])
        icon_status = (
            "() => performance.getEntriesByType('resource')"
            ".filter((entry) => entry.name.includes('icons/comment.svg')).map((entry) => entry.responseStatus)"
        )
        alice.wait_for_function(f"({icon_status})().length > 0")
        self.assertEqual(set(alice.evaluate(icon_status)), {200})

        # A mention of someone not on the board is refused, and the text stays to fix.
        composer.fill("thanks @mallory")
        bob.click("#comment-send")
        expect(bob.locator("#comment-error")).to_contain_text("Nobody on this board is called @mallory")
        expect(composer).to_have_value("thanks @mallory")
        composer.fill("")

        # Alice changes the title: bob's fields become hers until she is done; bob still comments.
        alice.locator("#card-title").press_sequentially(" for good")
        expect(bob.locator("#card-editor-held")).to_have_text("alice is editing this card: you can read it and comment meanwhile.")
        expect(bob.locator("#card-title")).to_be_disabled()
        composer.fill("The docs need it too.")
        bob.click("#comment-send")
        expect(alice.locator("#card-comments-list .comment")).to_have_count(2)
        self.screenshot(bob, "kanban-comments-held.png")
        alice.click("#card-save")
        expect(bob.locator("#card-editor-held")).to_be_hidden()
        expect(bob.locator("#card-title")).to_have_value("Fix login for good")
        expect(bob.locator("#card-title")).to_be_enabled()
        alice.locator(".kanban-card", has_text="Fix login for good").click()  # saving closed her editor
        expect(alice.locator("#card-comments-list .comment")).to_have_count(2)

        # Bob edits his first comment; alice sees the new text and that it was edited.
        first = bob.locator(".comment", has_text="can you look?")
        first.locator(".comment-edit").click()
        box = first.locator(".comment-edit-body")
        box.fill("@alice could you look today?")
        first.locator(".comment-save").click()
        expect(alice.locator(".comment", has_text="could you look today?").locator(".comment-edited")).to_be_visible()
        # Nobody else's comment can be edited; the owner may delete any.
        expect(alice.locator(".comment .comment-edit")).to_have_count(0)
        alice.on("dialog", lambda dialog: dialog.accept())
        alice.locator(".comment", has_text="The docs need it too.").locator(".comment-delete").click()
        expect(bob.locator("#card-comments-list .comment")).to_have_count(1)
        expect(bob.locator(".kanban-card", has_text="Fix login").locator(".card-comment-count")).to_have_text("1")

        # Alice's undo brings the comment back for bob, who still has the card open.
        alice.keyboard.press("Escape")
        expect(alice.locator("#card-editor")).to_be_hidden()
        alice.click("#undo")
        expect(bob.locator("#card-comments-list .comment")).to_have_count(2)
        self.assertEqual(self.comment_bodies(bob), ["The docs need it too.", "@alice could you look today?"])

        # Bob's history survives a reload: his undo takes back his edit, redo makes it again.
        bob.reload()
        bob.wait_for_selector("#connection-status[data-state=live]")
        bob.click("#undo")
        self.open_card(alice, "Fix login")
        expect(alice.locator(".comment-body", has_text="can you look?")).to_have_count(1)
        self.assertNotIn("could you look today?", " ".join(self.comment_bodies(alice)))
        bob.click("#redo")
        expect(alice.locator(".comment-body", has_text="could you look today?")).to_have_count(1)

        # The activity feed tells it.
        bob.click("#activity-open")
        expect(bob.locator("#activity-list")).to_contain_text("bob commented on ‘Fix login’: @alice can you look?")
        expect(bob.locator("#activity-list")).to_contain_text("alice deleted a comment on ‘Fix login for good’")

    def test_a_card_is_given_several_assignees_seen_live(self):
        alice, bob = self.open_card(self.alice_page, "Fix login"), self.open_card(self.bob_page, "Write docs")
        bob.keyboard.press("Escape")
        for name in ("alice", "bob"):
            alice.locator("#card-assignees .assignee-option", has_text=name).locator("input").check()
        alice.click("#card-save")
        avatars = bob.locator(".kanban-card", has_text="Fix login").locator(".card-assignees .avatar")
        expect(avatars).to_have_count(2)
        self.assertEqual([avatars.nth(n).get_attribute("title") for n in range(2)],
                         ["Assigned to alice", "Assigned to bob"])
        bob.select_option("#filter-assignee", "bob")
        expect(bob.locator(".kanban-card:visible")).to_have_count(1)
        self.screenshot(bob, "kanban-assignees.png")

    def test_the_filter_finds_a_card_by_its_comments(self):
        outside_the_event_loop(lambda: comments.comment_create(
            board=self.board, card_id=Card.objects.get(title="Fix login").pk, body="Seen on the STAGING server",
            actor=self.bob))
        alice = self.alice_page
        alice.goto(self.url)
        alice.wait_for_selector("#connection-status[data-state=live]")
        alice.fill("#filter-text", "staging")
        expect(alice.locator(".kanban-card:visible")).to_have_count(1)
        expect(alice.locator(".kanban-card:visible")).to_contain_text("Fix login")
        # A comment added meanwhile by someone else brings its card in too.
        bob = self.open_card(self.bob_page, "Write docs")
        bob.locator("#comment-body").fill("staging needs docs")
        bob.click("#comment-send")
        expect(alice.locator(".kanban-card:visible")).to_have_count(2)

    def test_an_edit_in_the_admin_appears_live_on_the_open_card(self):
        bob = self.open_card(self.bob_page, "Write docs")
        bob.locator("#comment-body").fill("tpyo here")
        bob.click("#comment-send")
        expect(bob.locator("#card-comments-list .comment")).to_have_count(1)
        root = outside_the_event_loop(lambda: make_user("root", is_staff=True, is_superuser=True))
        admin = self.log_in(self.new_page(), root)
        comment_id = outside_the_event_loop(lambda: Comment.objects.get().pk)
        admin.goto(f"{self.live_server_url}/admin/kanban/comment/{comment_id}/change/")
        admin.fill("#id_body", "typo fixed by the admin")
        admin.click("input[name=_save]")
        expect(admin.locator(".messagelist")).to_contain_text("was changed successfully")
        expect(bob.locator(".comment-body")).to_have_text(["typo fixed by the admin"])
        expect(bob.locator(".comment-edited")).to_be_visible()
        bob.keyboard.press("Escape")
        bob.click("#activity-open")
        expect(bob.locator("#activity-list li").first).to_contain_text(re.compile("root edited a comment on ‘Write docs’"))

    def test_a_mention_rings_the_bell_on_another_board_and_leads_to_the_comment(self):
        other = outside_the_event_loop(lambda: services.board_create(name="Elsewhere", owner=self.alice))
        alice = self.alice_page
        alice.goto(f"{self.live_server_url}{other.get_absolute_url()}")
        alice.wait_for_selector("#connection-status[data-state=live]")
        expect(alice.locator("#notifications-bell .bell-count")).to_be_hidden()

        bob = self.open_card(self.bob_page, "Write docs")
        bob.locator("#comment-body").fill("@alice the screenshots are in")
        bob.click("#comment-send")
        expect(alice.locator("#notifications-bell .bell-count")).to_have_text("1")
        expect(alice.locator("#notifications-bell")).to_have_attribute("aria-label", "Notifications: 1 unread")
        self.screenshot(alice, "kanban-bell.png")

        alice.click("#notifications-bell")
        expect(alice.locator(".notification.is-unread")).to_contain_text("bob mentioned you on “Write docs”")
        expect(alice.locator(".notification-excerpt")).to_have_text("@alice the screenshots are in")
        self.screenshot(alice, "kanban-notifications.png")
        alice.click(".notification-link")
        expect(alice.locator("#card-editor")).to_be_visible()
        expect(alice.locator("#card-title")).to_have_value("Write docs")
        expect(alice.locator(".comment .mention.is-me")).to_have_text("@alice")
        expect(alice.locator("#notifications-bell .bell-count")).to_be_hidden()

        # Alice created the card, so she watches it; unwatching stops the comments reaching her.
        watch = alice.locator("#card-watch")
        expect(watch).to_have_attribute("aria-pressed", "true")
        watch.click()
        expect(watch).to_have_attribute("aria-pressed", "false")
        expect(watch).to_have_text("Watch")
        bob.locator("#comment-body").fill("one more, not for alice")
        bob.click("#comment-send")
        expect(alice.locator("#card-comments-list .comment")).to_have_count(2)
        self.assertEqual(outside_the_event_loop(lambda: Notification.objects.filter(recipient=self.alice).count()), 1)
        expect(alice.locator("#notifications-bell .bell-count")).to_be_hidden()


class CardChecklistsBrowserTests(TwoMembers, BrowserTestCase):
    def make_board(self):
        self.board = services.board_create(name="Launch plan", owner=self.alice)
        self.board.members.add(self.bob)
        add_cards(self.board, columns_of(self.board)["To do"], ["Release"], actor=self.alice)

    def open_card(self, page):
        page.goto(self.url)
        page.wait_for_selector("#connection-status[data-state=live]")
        page.locator(".kanban-card", has_text="Release").click()
        expect(page.locator("#card-editor")).to_be_visible()
        return page

    def items(self, page):
        return page.locator(".checklist-item .item-text").all_inner_texts()

    def test_two_people_build_tick_reorder_and_convert_a_checklist_live(self):
        alice, bob = self.open_card(self.alice_page), self.open_card(self.bob_page)
        alice.click("#checklist-add")
        expect(bob.locator(".checklist-title")).to_have_text("Checklist")
        alice.locator(".checklist-title").click()
        alice.locator(".checklist-edit").fill("Release steps")
        alice.locator(".checklist-edit").press("Enter")
        expect(bob.locator(".checklist-title")).to_have_text("Release steps")

        add = alice.locator(".item-new")
        for text in ("Tag", "Build", "Announce"):
            add.fill(text)
            add.press("Enter")
            expect(alice.locator(".checklist-item", has_text=text)).to_be_visible()
        expect(add).to_be_focused()  # ready for the next item
        expect(bob.locator(".checklist-item")).to_have_count(3)

        bob.locator(".checklist-item", has_text="Build").locator(".item-done").check()
        expect(alice.locator(".checklist-item", has_text="Build").locator(".item-done")).to_be_checked()
        expect(alice.locator(".checklist-count")).to_have_text("1/3")
        for page in (alice, bob):
            expect(page.locator(".kanban-card", has_text="Release").locator(".card-checklist")).to_have_text("☑ 1/3")
        self.screenshot(alice, "kanban-checklist.png")

        # Keyboard: Alt+↑ on Announce's box moves it above Build, for bob too.
        alice.locator(".checklist-item", has_text="Announce").locator(".item-done").focus()
        alice.keyboard.press("Alt+ArrowUp")
        expect(bob.locator(".checklist-item .item-text")).to_have_text(["Tag", "Announce", "Build"])
        # Mouse: bob drags Tag by its handle below Build.
        handle = bob.locator(".checklist-item", has_text="Tag").locator(".item-handle").bounding_box()
        target = bob.locator(".checklist-item", has_text="Build").bounding_box()
        bob.mouse.move(handle["x"] + 4, handle["y"] + handle["height"] / 2)
        bob.mouse.down()
        for step in range(1, 11):
            bob.mouse.move(handle["x"] + 4, handle["y"] + (target["y"] + target["height"] * 0.9 - handle["y"]) * step / 10)
            bob.wait_for_timeout(20)
        bob.mouse.up()
        expect(alice.locator(".checklist-item .item-text")).to_have_text(["Announce", "Build", "Tag"])

        # Edit in place.
        alice.locator(".checklist-item", has_text="Tag").locator(".item-text").click()
        alice.locator(".checklist-edit").fill("Tag v1.0")
        alice.locator(".checklist-edit").press("Enter")
        expect(bob.locator(".checklist-item .item-text")).to_have_text(["Announce", "Build", "Tag v1.0"])

        # An item made a card: it leaves the checklist and lands in the column, for both; one undo takes it back.
        alice.locator(".checklist-item", has_text="Announce").locator(".item-to-card").click()
        expect(bob.locator(".kanban-card", has_text="Announce")).to_be_visible()
        expect(bob.locator(".checklist-item .item-text")).to_have_text(["Build", "Tag v1.0"])
        alice.keyboard.press("Escape")
        expect(alice.locator("#card-editor")).to_be_hidden()
        alice.click("#undo")
        expect(bob.locator(".kanban-card", has_text="Announce")).to_have_count(0)
        expect(bob.locator(".checklist-item .item-text")).to_have_text(["Announce", "Build", "Tag v1.0"])

        # It is all stored: bob reloads and finds it as it was.
        self.open_card(bob)
        expect(bob.locator(".checklist-item .item-text")).to_have_text(["Announce", "Build", "Tag v1.0"])
        expect(bob.locator(".checklist-item", has_text="Build").locator(".item-done")).to_be_checked()


    def test_a_checklist_renamed_by_someone_else_meanwhile_is_not_renamed_over(self):
        alice, bob = self.open_card(self.alice_page), self.open_card(self.bob_page)
        alice.click("#checklist-add")
        expect(bob.locator(".checklist-title")).to_have_text("Checklist")
        bob.locator(".checklist-title").click()
        bob.locator(".checklist-edit").fill("Launch steps")
        # An item alice adds draws bob's checklists again: his box stays open and focused, unsaved.
        # (Her page is driven from its script, which leaves bob's window its focus.)
        alice.evaluate("""() => {
          const input = document.querySelector(".item-new");
          input.value = "Tag";
          input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
        }""")
        expect(bob.locator(".checklist-item")).to_have_count(1)
        expect(bob.locator(".checklist-edit")).to_be_focused()
        expect(bob.locator(".checklist-edit")).to_have_value("Launch steps")
        expect(bob.locator("#checklist-error")).to_be_hidden()

        # Renamed meanwhile by someone else (here on the server, not yet seen by bob's page).
        outside_the_event_loop(lambda: checklists.checklist_update(
            board=self.board, checklist_id=Checklist.objects.get(card__title="Release").pk, title="Release steps",
            actor=self.alice,
        ))
        bob.locator(".checklist-edit").press("Enter")
        expect(bob.locator("#checklist-error")).to_have_text(
            "Someone else renamed it “Release steps” while you had this checklist open. Save again to replace that with yours."
        )
        # What bob typed is still there; saving again replaces their title, for alice too.
        expect(bob.locator(".checklist-edit")).to_have_value("Launch steps")
        bob.locator(".checklist-edit").press("Enter")
        expect(alice.locator(".checklist-title")).to_have_text("Launch steps")
        expect(bob.locator("#checklist-error")).to_be_hidden()

def on_a_phone_and_desk(test, user, desk, board):
    """`user`'s 390 px touch phone, logged in; it and their desktop page `desk` open `board`, live."""
    context = test.browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    test.addCleanup(context.close)
    phone = test.log_in(context.new_page(), user)
    for page in (desk, phone):
        page.goto(f"{test.live_server_url}{board.get_absolute_url()}")
        page.wait_for_selector("#connection-status[data-state=live]")
    return phone


class PhoneBrowserTests(BrowserTestCase):
    """Comments and checklists by touch, on a 390 px phone, seen live on a desktop."""

    def test_tap_to_comment_tick_and_drag_a_checklist_item_by_touch(self):
        alice, desk = self.user_page("alice")
        board = outside_the_event_loop(lambda: services.board_create(name="On the go", owner=alice))

        def fill():
            (card,) = add_cards(board, columns_of(board)["To do"], ["Pack"], actor=alice)
            steps = checklists.checklist_create(board=board, card_id=card["id"], title="Bag", actor=alice).details
            for text in ("Passport", "Charger", "Tickets"):
                checklists.item_create(board=board, checklist_id=steps["checklist"]["id"], text=text, actor=alice)

        outside_the_event_loop(fill)
        phone = on_a_phone_and_desk(self, alice, desk, board)
        desk.locator(".kanban-card", has_text="Pack").click()
        phone.locator(".kanban-card", has_text="Pack").tap()
        expect(phone.locator("#card-editor")).to_be_visible()
        phone.locator(".checklist-item", has_text="Charger").locator(".item-done").tap()
        expect(desk.locator(".checklist-item", has_text="Charger").locator(".item-done")).to_be_checked()
        phone.locator("#comment-body").tap()
        phone.locator("#comment-body").fill("Packed the charger")
        phone.locator("#comment-send").tap()
        expect(desk.locator(".comment-body")).to_have_text(["Packed the charger"])

        # A finger on the item's handle drags it below the last one.
        finger = touch_finger(phone)

        handle = phone.locator(".checklist-item", has_text="Passport").locator(".item-handle")
        handle.scroll_into_view_if_needed()
        start, end = handle.bounding_box(), phone.locator(".checklist-item", has_text="Tickets").bounding_box()
        x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
        finger("touchStart", x, y)
        for step in range(1, 16):
            finger("touchMove", x, y + (end["y"] + end["height"] * 0.9 - y) * step / 15)
            phone.wait_for_timeout(25)
        finger("touchEnd", x, end["y"] + end["height"] * 0.9)
        expect(desk.locator(".checklist-item .item-text")).to_have_text(["Charger", "Tickets", "Passport"])
        self.screenshot(phone, "kanban-phone-checklist.png")


class ArchiveAndMoveBrowserTests(TwoMembers, BrowserTestCase):
    def make_board(self):
        self.board = services.board_create(name="Launch plan", owner=self.alice)
        self.board.members.add(self.bob)
        add_cards(self.board, columns_of(self.board)["To do"], ["First", "Second", "Third"], actor=self.alice)
        add_cards(self.board, columns_of(self.board)["Done"], ["Shipped"], actor=self.alice)

    def open_board(self, page):
        page.goto(self.url)
        page.wait_for_selector("#connection-status[data-state=live]")
        return page

    def todo(self, page):
        return page.locator(".kanban-column", has=page.locator(".column-title", has_text="To do")).locator(".card-title")

    def test_cards_and_columns_are_archived_restored_and_deleted_for_good_live(self):
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        alice.on("dialog", lambda dialog: dialog.accept())
        alice.locator(".kanban-card", has_text="Second").click()
        alice.click("#card-archive")
        expect(alice.locator("#notice")).to_contain_text("Archived “Second”")
        expect(self.todo(bob)).to_have_text(["First", "Third"])

        # The column goes with its card, for bob too.
        done = alice.locator(".kanban-column", has=alice.locator(".column-title", has_text="Done"))
        done.locator(".column-menu").click()
        alice.click("#column-archive")
        expect(bob.locator(".column-title")).to_have_text(["To do", "Doing"])

        alice.click("#archive-open")
        archive_dialog = alice.locator("#archive-dialog")
        expect(archive_dialog.locator("#archive-columns .archive-item")).to_contain_text("“Done”1 card")
        expect(archive_dialog.locator("#archive-cards .archive-item")).to_contain_text("“Second”in To do")
        self.screenshot(alice, "kanban-archive.png")
        archive_dialog.locator("#archive-cards .archive-item", has_text="Second").locator(".archive-restore").click()
        expect(self.todo(bob)).to_have_text(["First", "Second", "Third"])
        archive_dialog.locator("#archive-columns .archive-item", has_text="Done").locator(".archive-restore").click()
        expect(bob.locator(".column-title")).to_have_text(["To do", "Doing", "Done"])
        expect(bob.locator(".kanban-card", has_text="Shipped")).to_be_visible()
        expect(archive_dialog.locator(".archive-item")).to_have_count(0)

        # Deleted for good from the archive; undo puts it back in the archive, not on the board.
        archive_dialog.locator(".dialog-close button").click()
        alice.locator(".kanban-card", has_text="Third").click()
        alice.click("#card-archive")
        alice.click("#archive-open")
        archive_dialog.locator(".archive-item", has_text="Third").locator(".archive-delete").click()
        expect(archive_dialog.locator("#archive-cards .archive-item")).to_have_count(0)
        archive_dialog.locator(".dialog-close button").click()
        alice.click("#undo")
        alice.click("#archive-open")
        expect(archive_dialog.locator("#archive-cards .archive-item")).to_contain_text("“Third”")
        expect(self.todo(bob)).to_have_text(["First", "Second"])

    def test_a_card_is_moved_to_another_board_and_back_with_undo(self):
        other = outside_the_event_loop(lambda: services.board_create(name="Next quarter", owner=self.alice))
        outside_the_event_loop(lambda: other.members.add(self.bob))
        bob = self.bob_page
        bob.goto(f"{self.live_server_url}{other.get_absolute_url()}")
        bob.wait_for_selector("#connection-status[data-state=live]")
        alice = self.open_board(self.alice_page)
        alice.locator(".kanban-card", has_text="Second").click()
        alice.locator("#card-send summary").click()
        expect(alice.locator("#send-board option").first).to_have_text("Next quarter")
        alice.select_option("#send-column", label="Doing")
        alice.click("#send-move")
        expect(alice.locator("#notice")).to_contain_text("Moved “Second” to Next quarter")
        expect(self.todo(alice)).to_have_text(["First", "Third"])
        doing = bob.locator(".kanban-column", has=bob.locator(".column-title", has_text="Doing"))
        expect(doing.locator(".card-title")).to_have_text(["Second"])
        alice.click("#undo")
        expect(self.todo(alice)).to_have_text(["First", "Second", "Third"])
        expect(doing.locator(".kanban-card")).to_have_count(0)


class EventReplayBrowserTests(BrowserTestCase):
    """
    The page's BoardState (state.js) applies every kanban event so that
    applying it twice changes nothing, and ends where the server's board
    is: a `sync` may replay events the `board` message already holds.
    """

    def test_every_event_of_issue_20_applied_twice_gives_the_servers_board(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from kanban import archive, attachments, checklists, history, lanes, selectors, transfer
        from tests.kanban.test_attachments import image_bytes
        from kanban.models import BoardEvent

        alice, page = self.user_page("alice")

        def scenario():
            board = services.board_create(name="Replayed", owner=alice)
            other = services.board_create(name="Elsewhere", owner=alice)
            start = selectors.board_message(board=board, user=alice)
            columns = columns_of(board)
            a, b, c = add_cards(board, columns["To do"], ["a", "b", "c"], actor=alice)
            comment = comments.comment_create(board=board, card_id=a["id"], body="one", actor=alice).details["comment"]
            comments.comment_create(board=board, card_id=a["id"], body="two", actor=alice)
            comments.comment_update(board=board, comment_id=comment["id"], version=1, body="uno", actor=alice)
            comments.comment_delete(board=board, comment_id=comment["id"], version=2, actor=alice)
            steps = checklists.checklist_create(board=board, card_id=b["id"], actor=alice).details["checklist"]
            first = checklists.item_create(board=board, checklist_id=steps["id"], text="x", actor=alice).details["item"]
            checklists.item_create(board=board, checklist_id=steps["id"], text="y", actor=alice)
            checklists.item_check(board=board, item_id=first["id"], done=True, actor=alice)
            checklists.item_move(board=board, item_id=first["id"], checklist_id=steps["id"], index=1, actor=alice)
            checklists.item_to_card(board=board, item_id=first["id"], version=1, actor=alice)
            history.history_undo(board=board, actor=alice)
            archive.card_archive(board=board, card_id=c["id"], version=1, actor=alice)
            archive.column_archive(board=board, column_id=columns["Done"].pk, actor=alice)
            archive.card_restore(board=board, card_id=c["id"], actor=alice)
            archive.column_restore(board=board, column_id=columns["Done"].pk, actor=alice)
            photo = attachments.attachment_create(board=board, card_id=a["id"], actor=alice, upload=attachments.check_upload(
                SimpleUploadedFile("photo.png", image_bytes()))).details["attachment"]
            second = attachments.attachment_create(board=board, card_id=a["id"], actor=alice, upload=attachments.check_upload(
                SimpleUploadedFile("second.png", image_bytes()))).details["attachment"]
            attachments.card_cover(board=board, card_id=a["id"], attachment_id=second["id"], actor=alice)
            attachments.attachment_remove(board=board, attachment_id=second["id"], actor=alice)
            attachments.attachment_restore(board=board, attachment_id=second["id"], actor=alice)
            attachments.attachment_remove(board=board, attachment_id=photo["id"], actor=alice)
            attachments.attachment_delete(board=board, attachment_id=photo["id"], actor=alice)
            version = Card.objects.get(pk=a["id"]).version
            transfer.card_move_to_board(board=board, card_id=a["id"], version=version, target=other.slug,
                                        column_id=columns_of(other)["To do"].pk, actor=alice)
            history.history_undo(board=board, actor=alice)
            first_lane = lanes.lane_create(board=board, title="Design", actor=alice).details["lane"]["id"]
            second_lane = lanes.lane_create(board=board, title="Build", index=0, actor=alice).details["lane"]["id"]
            version = Card.objects.get(pk=b["id"]).version
            services.card_move(board=board, card_id=b["id"], version=version, column_id=columns["Doing"].pk, index=0,
                               lane_id=second_lane, actor=alice)
            version = Card.objects.get(pk=c["id"]).version
            services.card_move(board=board, card_id=c["id"], version=version, column_id=columns["Doing"].pk, index=0,
                               lane_id=first_lane, actor=alice)
            lanes.lane_update(board=board, lane_id=second_lane, title="Engineering", actor=alice)
            lanes.lane_move(board=board, lane_id=second_lane, index=1, actor=alice)
            services.card_create(board=board, column_id=columns["Doing"].pk, title="d", lane_id=second_lane, index=0,
                                 actor=alice)
            events = list(BoardEvent.objects.filter(board=board, seq__gt=start["seq"]).order_by("seq")
                          .values_list("payload", flat=True))
            return board, start, events, selectors.board_snapshot(board=board)

        board, start, events, final = outside_the_event_loop(scenario)
        page.goto(f"{self.live_server_url}{board.get_absolute_url()}")
        page.wait_for_selector("#connection-status[data-state=live]")
        replayed = page.evaluate(
            """async ([start, events]) => {
              const { BoardState } = await import("/static/kanban/state.js");
              // Cells in lane order: only the order within a cell means anything on a board with lanes.
              const laneIndex = (state, card) => state.lanes.findIndex((lane) => lane.id === card.lane);
              const shown = (state) => [state.lanes.map((lane) => lane.title), state.columns.map((column) => [column.title,
                column.cardIds.map((id) => state.cards.get(id)).sort((a, b) => laneIndex(state, a) - laneIndex(state, b))
                  .map((card) => [card.title, card.lane, card.version, card.comments, card.checklist.done,
                    card.checklist.total, card.attachments, card.cover])])];
              const once = new BoardState(start);
              const twice = new BoardState(start);
              for (const event of events) {
                once.apply(event);
                twice.apply(event);
                twice.apply(event);
              }
              return [shown(once), shown(twice)];
            }""",
            [start, events],
        )
        lane_order = [lane["id"] for lane in final["lanes"]]
        expected = [[lane["title"] for lane in final["lanes"]], [
            [column["title"], [[card["title"], card["lane"], card["version"], card["comments"], card["checklist"]["done"],
                                card["checklist"]["total"], card["attachments"], card["cover"]]
                               for card in sorted(column["cards"], key=lambda card: lane_order.index(card["lane"]))]]
            for column in final["columns"]]]
        self.assertEqual(replayed[0], expected)
        self.assertEqual(replayed[1], expected)
        self.assertGreaterEqual(len(events), 20)


class AttachmentsBrowserTests(TwoMembers, BrowserTestCase):
    def make_board(self):
        self.board = services.board_create(name="Launch plan", owner=self.alice)
        self.board.members.add(self.bob)
        add_cards(self.board, columns_of(self.board)["To do"], ["Poster", "Budget"], actor=self.alice)

    def open_card(self, page, title, *, reload=True):
        if reload:
            page.goto(self.url)
            page.wait_for_selector("#connection-status[data-state=live]")
        page.locator(".kanban-card", has_text=title).click()
        expect(page.locator("#card-editor")).to_be_visible()
        return page

    def names(self, page):
        return page.locator("#card-attachments-list .attachment-name")

    def test_two_people_attach_show_cover_download_remove_and_undo_live(self):
        from tests.kanban.test_attachments import image_bytes

        alice, bob = self.open_card(self.alice_page, "Poster"), self.open_card(self.bob_page, "Poster")
        bob.locator("#attachment-file").set_input_files([
            {"name": "draft.png", "mimeType": "image/png", "buffer": image_bytes(size=(300, 200))},
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"<script>window.hacked = 1</script> notes"},
        ])
        expect(self.names(alice)).to_have_count(2)
        self.assertEqual(sorted(self.names(alice).all_inner_texts()), ["draft.png", "notes.txt"])
        # The first image is the card's cover, on both pages, with the count of files.
        poster = alice.locator(".kanban-card", has_text="Poster")
        expect(poster.locator(".card-cover")).to_have_count(1)
        expect(poster.locator(".card-attachment-count")).to_have_text("2")
        expect(bob.locator(".kanban-card", has_text="Poster").locator(".card-attachment-count")).to_have_text("2")
        cover_loaded = poster.locator(".card-cover").evaluate("image => image.decode().then(() => image.naturalWidth)")
        self.assertEqual(cover_loaded, 300)

        # A pasted screenshot is attached too; a kind not accepted is refused with the reason.
        bob.evaluate("""() => {
          const canvas = Object.assign(document.createElement("canvas"), { width: 40, height: 30 });
          return new Promise((resolve) => canvas.toBlob((blob) => {
            const data = new DataTransfer();
            data.items.add(new File([blob], "image.png", { type: "image/png" }));
            document.querySelector("#card-description").dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
            resolve();
          }));
        }""")
        expect(self.names(alice)).to_have_count(3)
        expect(self.names(alice).filter(has_text="Pasted image")).to_have_count(1)
        bob.locator("#attachment-file").set_input_files([{"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": b"<svg/>"}])
        expect(bob.locator("#attachment-error")).to_contain_text("SVG files are not accepted")
        bob.locator("#card-attachments").scroll_into_view_if_needed()
        self.screenshot(bob, "kanban-attachments.png")

        # A file is downloaded, never shown as a page of this site.
        with alice.expect_download() as download:
            alice.locator("#card-attachments-list .attachment-name", has_text="notes.txt").click()
        self.assertEqual(download.value.suggested_filename, "notes.txt")
        self.assertEqual(open(download.value.path(), "rb").read(), b"<script>window.hacked = 1</script> notes")
        self.assertIsNone(alice.evaluate("window.hacked"))

        # Alice makes the pasted image the cover; bob sees it change.
        pasted = alice.locator("#card-attachments-list .attachment", has_text="Pasted image")
        pasted.locator(".attachment-cover").click()
        pasted_id = pasted.get_attribute("data-attachment-id")
        expect(bob.locator(".kanban-card", has_text="Poster").locator(".card-cover")).to_have_attribute(
            "src", re.compile(rf"/files/{pasted_id}/thumbnail/$"))
        expect(pasted.locator(".attachment-cover")).to_have_text("Remove cover")

        # Bob removes his text file; alice sees it go; bob undoes it after a reload, then redoes it.
        bob.locator("#card-attachments-list .attachment", has_text="notes.txt").locator(".attachment-remove").click()
        expect(self.names(alice)).to_have_count(2)
        # Alice may not remove bob's files (she owns the board, so she may): carol's view is tested in the unit tests.
        bob.goto(self.url)
        bob.wait_for_selector("#connection-status[data-state=live]")
        bob.click("#undo")
        expect(self.names(alice)).to_have_count(3)
        expect(bob.locator(".kanban-card", has_text="Poster").locator(".card-attachment-count")).to_have_text("3")
        bob.click("#redo")
        expect(self.names(alice)).to_have_count(2)

        # The removed file waits in the archive, which says how much space the files take; restored from there.
        alice.locator("#card-editor .dialog-close button, #card-cancel").first.click()
        alice.click("#archive-open")
        archived = alice.locator("#archive-files .archive-item")
        expect(archived).to_contain_text("“notes.txt”from “Poster”")
        expect(alice.locator("#archive-storage")).to_contain_text("of 200 MB")
        archived.locator(".archive-restore").click()
        expect(bob.locator(".kanban-card", has_text="Poster").locator(".card-attachment-count")).to_have_text("3")

    def test_the_filter_keeps_cards_with_or_without_files_in_the_url(self):
        from tests.kanban.test_attachments import image_bytes

        outside_the_event_loop(lambda: attachments_of_budget(self.board, self.alice, image_bytes()))
        alice = self.alice_page
        alice.goto(f"{self.url}?files=with")
        alice.wait_for_selector("#connection-status[data-state=live]")
        cards = alice.locator(".kanban-card:visible .card-title")
        expect(cards).to_have_text(["Budget"])
        alice.select_option("#filter-files", "without")
        expect(cards).to_have_text(["Poster"])
        self.assertIn("files=without", alice.url)


def attachments_of_budget(board, actor, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kanban import attachments

    card = Card.objects.get(board=board, title="Budget")
    upload = attachments.check_upload(SimpleUploadedFile("sheet.png", content))
    attachments.attachment_create(board=board, card_id=card.pk, upload=upload, actor=actor)


class ScheduleBrowserTests(TwoMembers, BrowserTestCase):
    def make_board(self):
        self.board = services.board_create(name="Launch plan", owner=self.alice)
        self.board.members.add(self.bob)
        add_cards(self.board, columns_of(self.board)["To do"], ["Rehearsal", "Press release"], actor=self.alice)

    def test_a_start_and_a_due_time_are_set_seen_live_and_a_passed_one_is_overdue(self):
        import datetime

        alice, bob = self.alice_page, self.bob_page
        for page in (alice, bob):
            page.goto(self.url)
            page.wait_for_selector("#connection-status[data-state=live]")
        alice.locator(".kanban-card", has_text="Rehearsal").click()
        alice.fill("#card-start", "2031-05-12")
        alice.fill("#card-start-time", "09:30")
        alice.fill("#card-due", "2031-05-14")
        alice.fill("#card-due-time", "17:00")
        alice.click("#card-save")
        rehearsal = bob.locator(".kanban-card", has_text="Rehearsal")
        expect(rehearsal.locator(".card-due")).to_have_text(re.compile(r"^Due (14 May|May 14), 17:00$"))
        expect(rehearsal.locator(".card-start")).to_have_text(re.compile(r"^Starts (12 May|May 12), 09:30$"))

        # A start after the due day is refused with the reason, and nothing changes.
        alice.locator(".kanban-card", has_text="Rehearsal").click()
        alice.fill("#card-start", "2031-05-20")
        alice.click("#card-save")
        expect(alice.locator("#card-editor-error")).to_contain_text("start after it is due")
        alice.click("#card-cancel")
        expect(rehearsal.locator(".card-start")).to_have_text(re.compile(r"^Starts (12 May|May 12), 09:30$"))

        # Due a minute ago (in the site's time zone, UTC here): overdue, said in words.
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
        alice.locator(".kanban-card", has_text="Press release").click()
        alice.fill("#card-due", past.strftime("%Y-%m-%d"))
        alice.fill("#card-due-time", past.strftime("%H:%M"))
        alice.click("#card-save")
        expect(bob.locator(".kanban-card", has_text="Press release").locator(".card-due.overdue")).to_contain_text("Overdue:")
        bob.select_option("#filter-due", "overdue")
        expect(bob.locator(".kanban-card:visible .card-title")).to_have_text(["Press release"])


class SwimlaneBrowserTests(TwoMembers, BrowserTestCase):
    def make_board(self):
        self.board = services.board_create(name="Launch plan", owner=self.alice)
        self.board.members.add(self.bob)
        add_cards(self.board, columns_of(self.board)["To do"], ["Brief", "Logo", "Site"], actor=self.alice)

    def open_board(self, page):
        page.goto(self.url)
        page.wait_for_selector("#connection-status[data-state=live]")
        return page

    def cell(self, page, column, lane):
        """The titles in one cell: the column's list for that lane."""
        column_node = page.locator(".kanban-column", has=page.locator(".column-title", has_text=column))
        lane_id = page.locator(".lane-head", has_text=lane).first.get_attribute("data-lane-id")
        return column_node.locator(f".card-list[data-lane-id='{lane_id}'] .card-title")

    def add_lane(self, page, title):
        page.click("#add-lane")
        page.fill("#lane-title", title)
        page.click("#lane-save")
        expect(page.locator("#lane-editor")).to_be_hidden()

    def test_lanes_are_added_cards_dragged_and_moved_by_keyboard_across_them_live(self):
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        self.add_lane(alice, "Design")
        expect(self.cell(bob, "To do", "Design")).to_have_text(["Brief", "Logo", "Site"])
        self.add_lane(alice, "Build")
        expect(bob.locator(".lane-head .lane-title")).to_have_text(["Design", "Build"])

        # Dragged with the mouse into the Build lane of Doing: bob sees it there.
        doing_build = alice.locator(".kanban-column", has=alice.locator(".column-title", has_text="Doing")).locator(
            f".card-list[data-lane-id='{alice.locator('.lane-head', has_text='Build').first.get_attribute('data-lane-id')}']")
        mouse_drag(alice, alice.locator(".kanban-card", has_text="Site"), doing_build)
        expect(self.cell(bob, "Doing", "Build")).to_have_text(["Site"])
        expect(self.cell(bob, "To do", "Design")).to_have_text(["Brief", "Logo"])
        self.screenshot(alice, "kanban-swimlanes.png")

        # Alt+Shift+↓ takes the focused card to the lane below, in the same column.
        alice.locator(".kanban-card", has_text="Logo").focus()
        alice.keyboard.press("Alt+Shift+ArrowDown")
        expect(self.cell(bob, "To do", "Build")).to_have_text(["Logo"])
        expect(alice.locator("#announcer")).to_contain_text("lane Build")
        alice.click("#undo")
        expect(self.cell(bob, "To do", "Design")).to_have_text(["Brief", "Logo"])

        # Folding is alice's own view, kept across a reload; bob still sees the lane's cards.
        alice.locator(".lane-head", has_text="Design").locator(".lane-toggle").click()
        expect(alice.locator(".kanban-card", has_text="Brief")).to_be_hidden()
        alice.reload()
        alice.wait_for_selector("#connection-status[data-state=live]")
        expect(alice.locator(".kanban-card", has_text="Brief")).to_be_hidden()
        expect(alice.locator(".lane-head", has_text="Design").locator(".lane-toggle")).to_have_attribute("aria-expanded", "false")
        expect(bob.locator(".kanban-card", has_text="Brief")).to_be_visible()

        # Renamed, moved up and, once empty, deleted from the lane dialog.
        alice.locator(".lane-head", has_text="Build").locator(".lane-menu").click()
        alice.fill("#lane-title", "Engineering")
        alice.click("#lane-up")
        alice.click("#lane-save")
        expect(bob.locator(".lane-head .lane-title")).to_have_text(["Engineering", "Design"])
        # Bob renames Design while alice has it open: her rename is refused, naming his, and saved again, it stands.
        alice.locator(".lane-head", has_text="Design").locator(".lane-menu").click()
        bob.locator(".lane-head", has_text="Design").locator(".lane-menu").click()
        bob.fill("#lane-title", "Visual")
        bob.click("#lane-save")
        expect(alice.locator(".lane-head .lane-title")).to_have_text(["Engineering", "Visual"])
        alice.fill("#lane-title", "Brand")
        alice.click("#lane-save")
        expect(alice.locator("#lane-editor-error")).to_contain_text("Someone else renamed it “Visual”")
        alice.click("#lane-save")
        expect(bob.locator(".lane-head .lane-title")).to_have_text(["Engineering", "Brand"])
        alice.on("dialog", lambda dialog: dialog.accept())
        alice.locator(".lane-head", has_text="Engineering").locator(".lane-menu").click()
        alice.click("#lane-delete")
        expect(alice.locator("#lane-editor-error")).to_contain_text("still holds 1 card")


class PhoneSwimlaneBrowserTests(BrowserTestCase):
    """A card dragged by touch into another lane on a phone, seen live on a desktop, and undone after a reload."""

    def test_a_finger_drags_a_card_to_the_lane_below_and_undo_after_a_reload_brings_it_back(self):
        from kanban import lanes

        alice, desk = self.user_page("alice")
        board = outside_the_event_loop(lambda: services.board_create(name="On the go", owner=alice))

        def fill():
            add_cards(board, columns_of(board)["To do"], ["Pack", "Book"], actor=alice)
            lanes.lane_create(board=board, title="Trip", actor=alice)
            lanes.lane_create(board=board, title="Home", actor=alice)

        outside_the_event_loop(fill)
        phone = on_a_phone_and_desk(self, alice, desk, board)
        home_id = phone.locator(".lane-head", has_text="Home").get_attribute("data-lane-id")
        todo = phone.locator(".kanban-column").first
        finger = touch_finger(phone)

        card = todo.locator(".kanban-card", has_text="Pack").bounding_box()
        target = todo.locator(f".card-list[data-lane-id='{home_id}']").bounding_box()
        x, y = card["x"] + card["width"] / 2, card["y"] + card["height"] / 2
        finger("touchStart", x, y)
        phone.wait_for_timeout(300)  # a short hold starts a drag on touch screens; a swipe scrolls
        for step in range(1, 16):
            finger("touchMove", x, y + (target["y"] + target["height"] / 2 - y) * step / 15)
            phone.wait_for_timeout(25)
        finger("touchEnd", x, target["y"] + target["height"] / 2)
        desk_home = desk.locator(".kanban-column").first.locator(f".card-list[data-lane-id='{home_id}'] .card-title")
        expect(desk_home).to_have_text(["Pack"])
        self.screenshot(phone, "kanban-phone-swimlanes.png")

        desk.reload()
        desk.wait_for_selector("#connection-status[data-state=live]")
        desk.click("#undo")
        expect(phone.locator(".kanban-column").first.locator(f".card-list[data-lane-id='{home_id}'] .card-title")).to_have_count(0)
        expect(desk_home).to_have_count(0)

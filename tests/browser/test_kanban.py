import re
import time

from playwright.sync_api import expect

from kanban import lanes, services
from kanban.models import Card, Label
from tests.browser.base import BrowserTestCase, SocketSwitch, mouse_drag, outside_the_event_loop
from tests.kanban.helpers import add_cards, columns_of, titles_by_column

XSS_TITLE = '<img src=x onerror="window.hacked=1">Ship it'


def board_columns_eventually(board, until, timeout=5.0):
    """The board's titles by column, once `until(columns)` holds (or as they are after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        columns = outside_the_event_loop(lambda: titles_by_column(board))
        if until(columns) or time.monotonic() > deadline:
            return columns
        time.sleep(0.05)


class KanbanBrowserTests(BrowserTestCase):
    def setUp(self):
        self.alice, self.alice_page = self.user_page("alice")
        self.bob, self.bob_page = self.user_page("bob")
        outside_the_event_loop(self.make_board)
        self.url = f"{self.live_server_url}{self.board.get_absolute_url()}"

    def make_board(self):
        self.board = services.board_create(name="Launch plan", owner=self.alice)
        self.board.members.add(self.bob)
        self.columns = columns_of(self.board)
        labels = {
            name: services.label_create(board=self.board, name=name, colour=colour, actor=self.alice).details["label"]["id"]
            for name, colour in [("urgent", "red"), ("design", "purple"), ("backend", "blue")]
        }
        services.column_update(board=self.board, column_id=self.columns["Doing"].pk, wip_limit=3, actor=self.alice)
        add_cards(self.board, self.columns["To do"], ["Write docs", "Fix login", "Plan party"], actor=self.alice)
        add_cards(self.board, self.columns["Doing"], ["Review the pull request"], actor=self.alice)
        add_cards(self.board, self.columns["Done"], ["Set up CI"], actor=self.alice)
        details = {
            "Fix login": {"labels": [labels["urgent"], labels["backend"]], "assignees": [self.bob.pk],
                          "due": "2030-01-15", "description": "Steps:\n\n1. open\n2. **log in**"},
            "Write docs": {"labels": [labels["design"]], "description": "Screenshots of every page."},
            "Review the pull request": {"labels": [labels["backend"]], "assignees": [self.alice.pk]},
        }
        for title, changes in details.items():
            card = Card.objects.get(title=title)
            services.card_update(board=self.board, card_id=card.pk, version=1, actor=self.alice, changes=changes)

    def open_board(self, page):
        page.goto(self.url)
        page.wait_for_selector("#connection-status[data-state=live]")
        return page

    def column(self, page, title):
        return page.locator(".kanban-column", has=page.locator(".column-title", has_text=title))

    def card(self, page, title):
        return page.locator(".kanban-card", has_text=title)

    def titles_in(self, page, column_title):
        # The text as the page holds it: a card is laid out only at the frame after it
        # arrives (content-visibility), and innerText reads empty until then.
        return self.column(page, column_title).locator(".card-title").all_text_contents()

    def drag(self, page, source, target):
        mouse_drag(page, source, target)

    def test_a_card_dragged_to_another_column_moves_live_for_the_other_user_and_stays_after_reload(self):
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        # Each sees the other as present.
        alice.wait_for_selector("#presence .avatar[title='bob is here']")
        self.drag(alice, self.card(alice, "Fix login"), self.card(alice, "Set up CI"))
        bob_done = self.column(bob, "Done")
        bob_done.locator(".kanban-card", has_text="Fix login").wait_for()
        self.assertEqual(self.titles_in(bob, "To do"), ["Write docs", "Plan party"])
        self.assertIn("Fix login", self.titles_in(bob, "Done"))
        expected_done = outside_the_event_loop(lambda: titles_by_column(self.board))["Done"]
        self.assertEqual(self.titles_in(alice, "Done"), expected_done)
        self.assertEqual(self.titles_in(bob, "Done"), expected_done)
        bob.reload()
        bob.wait_for_selector("#connection-status[data-state=live]")
        self.assertEqual(self.titles_in(bob, "Done"), expected_done)
        self.assertEqual(self.titles_in(bob, "To do"), ["Write docs", "Plan party"])
        # The moved card keeps its label, assignee and due date.
        moved = self.card(bob, "Fix login")
        self.assertEqual(moved.locator(".label-chip").all_text_contents(), ["urgent", "backend"])
        self.assertEqual(moved.locator(".avatar").get_attribute("title"), "Assigned to bob")
        self.assertIn("Jan", moved.locator(".card-due").text_content())
        self.screenshot(alice, "kanban.png")

    def test_a_refused_drop_frees_the_card_at_once_for_everyone(self):
        """Issue 18: after a drop refused by a WIP limit, the other user saw "alice is dragging this" for 29.3 s."""
        outside_the_event_loop(lambda: services.column_update(
            board=self.board, column_id=self.columns["Doing"].pk, wip_limit=1, actor=self.alice))
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        self.drag(alice, self.card(alice, "Fix login"), self.card(alice, "Review the pull request"))
        expect(alice.locator("#notice")).to_contain_text("WIP limit of 1 card")
        expect(self.card(bob, "Fix login").locator(".card-lock")).to_have_count(0, timeout=2000)
        self.assertEqual(self.titles_in(bob, "To do"), ["Write docs", "Fix login", "Plan party"])
        self.card(bob, "Fix login").click()
        expect(bob.locator("#card-editor")).to_be_visible()

    def test_escape_during_a_drag_puts_the_card_back_and_frees_it_at_once(self):
        """Issue 18: every end of a drag, Escape too, releases the card for everyone at once."""
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        source = self.card(alice, "Fix login").bounding_box()
        target = self.card(alice, "Set up CI").bounding_box()
        alice.mouse.move(source["x"] + source["width"] / 2, source["y"] + source["height"] / 2)
        alice.mouse.down()
        for step in range(1, 11):
            alice.mouse.move(source["x"] + source["width"] / 2 + (target["x"] - source["x"]) * step / 10,
                             source["y"] + source["height"] / 2 + (target["y"] - source["y"]) * step / 10)
        expect(self.card(bob, "Fix login").locator(".card-lock")).to_contain_text("alice")
        alice.keyboard.press("Escape")
        expect(self.card(bob, "Fix login").locator(".card-lock")).to_have_count(0, timeout=2000)
        alice.mouse.up()
        for page in (alice, bob):
            self.assertEqual(self.titles_in(page, "To do"), ["Write docs", "Fix login", "Plan party"])
        self.assertEqual(outside_the_event_loop(lambda: titles_by_column(self.board))["To do"],
                         ["Write docs", "Fix login", "Plan party"])
        self.card(bob, "Fix login").click()
        expect(bob.locator("#card-editor")).to_be_visible()

    def test_the_keyboard_focus_stays_where_the_person_was(self):
        """Issue 18: after a keyboard move refused by a WIP limit, and after Escape in the add-card box, focus fell to the page."""
        outside_the_event_loop(lambda: services.column_update(
            board=self.board, column_id=self.columns["Doing"].pk, wip_limit=1, actor=self.alice))
        alice = self.open_board(self.alice_page)
        self.card(alice, "Plan party").focus()
        alice.keyboard.press("Alt+ArrowRight")
        expect(alice.locator("#notice")).to_contain_text("WIP limit of 1 card")
        expect(self.card(alice, "Plan party")).to_be_focused()
        self.assertEqual(self.titles_in(alice, "To do"), ["Write docs", "Fix login", "Plan party"])
        column = self.column(alice, "To do")
        column.locator(".add-card").click()
        column.locator(".add-card-input").press("Escape")
        expect(column.locator(".add-card")).to_be_focused()

    def test_trying_to_drag_a_card_someone_is_editing_says_who_holds_it(self):
        """Issue 18: dragging a card someone has locked failed with no message."""
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        self.card(bob, "Write docs").click()
        expect(bob.locator("#card-editor")).to_be_visible()
        bob.locator("#card-title").press_sequentially(" now")  # changing a field takes the card
        expect(self.card(alice, "Write docs")).to_have_class(re.compile(r"\bis-locked\b"))
        self.drag(alice, self.card(alice, "Write docs"), self.card(alice, "Set up CI"))
        expect(alice.locator("#notice")).to_contain_text("bob is editing “Write docs”; try again when they are done.")
        self.assertEqual(self.titles_in(alice, "To do"), ["Write docs", "Fix login", "Plan party"])

    def test_add_edit_undo_and_keyboard_moves_reach_the_other_user(self):
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        todo = self.column(alice, "To do")
        todo.locator(".add-card").click()
        todo.locator(".add-card-input").fill(XSS_TITLE)
        todo.locator(".add-card-input").press("Enter")
        # Shown as text for both users, never as HTML.
        self.card(bob, "Ship it").wait_for()
        for page in (alice, bob):
            self.assertEqual(self.card(page, "Ship it").locator(".card-title").text_content(), XSS_TITLE)
            self.assertEqual(page.locator(".kanban-card img").count(), 0)
            self.assertIsNone(page.evaluate("window.hacked"))

        # Keyboard: focus a card and move it right with Alt+→.
        self.card(alice, "Write docs").focus()
        alice.keyboard.press("Alt+ArrowRight")
        self.column(bob, "Doing").locator(".kanban-card", has_text="Write docs").wait_for()
        expect(alice.locator("#announcer")).to_have_text("Moved “Write docs” to Doing, position 1 of 2.")
        # The moved card keeps the focus, so it can be moved again.
        self.assertEqual(alice.evaluate("document.activeElement.querySelector('.card-title')?.textContent"), "Write docs")

        # Undo through the server, seen by bob too.
        alice.keyboard.press("Control+z")
        self.column(bob, "To do").locator(".kanban-card", has_text="Write docs").wait_for()
        self.assertEqual(self.titles_in(bob, "Doing"), ["Review the pull request"])

        # Edit in the dialog: bob sees the card as locked once alice changes it.
        self.card(alice, "Plan party").click()
        alice.wait_for_selector("#card-editor[open]")
        alice.fill("#card-title", "Plan the launch party")
        locked = self.card(bob, "Plan party")
        locked.locator(".card-lock").wait_for()
        self.assertIn("alice is editing this", locked.text_content())
        self.assertIn("is-locked", locked.get_attribute("class"))
        self.screenshot(bob, "kanban-locked.png")
        alice.fill("#card-title", "Plan the launch party")
        alice.fill("#card-description", "Bring **cake** <script>window.hacked=1</script>")
        alice.click("#description-preview-tab")
        alice.wait_for_selector("#card-description-preview strong")
        self.assertEqual(alice.inner_text("#card-description-preview strong"), "cake")
        self.screenshot(alice, "kanban-editor.png")
        alice.click("#card-save")
        self.card(bob, "Plan the launch party").wait_for()
        bob.wait_for_function(
            "() => !document.querySelector('.kanban-card.is-locked')", timeout=5000
        )
        self.assertIsNone(bob.evaluate("window.hacked"))

        # Closing the editor without saving releases the card too.
        self.card(alice, "Fix login").click()
        alice.wait_for_selector("#card-editor[open]")
        alice.locator("#card-title").press_sequentially(" soon")
        self.card(bob, "Fix login").locator(".card-lock").wait_for()
        alice.keyboard.press("Escape")
        self.card(bob, "Fix login").locator(".card-lock").wait_for(state="detached")

    def test_a_column_renamed_by_someone_else_meanwhile_is_not_overwritten(self):
        """Issue 20: saving a column's dialog wrote its title back over a rename made while it was open."""
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        self.column(alice, "Doing").locator(".column-menu").click()
        expect(alice.locator("#column-title")).to_have_value("Doing")
        # Bob renames it while alice has it open; alice only sets the WIP limit: his title stands.
        self.column(bob, "Doing").locator(".column-menu").click()
        bob.fill("#column-title", "In progress")
        bob.click("#column-save")
        expect(self.column(alice, "In progress")).to_have_count(1)
        alice.fill("#column-wip", "4")
        alice.click("#column-save")
        expect(self.column(bob, "In progress").locator(".column-count")).to_have_text("1 / 4")
        # Alice renames it over a rename of bob's she has not seen: refused, both titles shown.
        self.column(alice, "In progress").locator(".column-menu").click()
        self.column(bob, "In progress").locator(".column-menu").click()
        bob.fill("#column-title", "Working")
        bob.click("#column-save")
        expect(self.column(alice, "Working")).to_have_count(1)
        alice.fill("#column-title", "Active")
        alice.click("#column-save")
        expect(alice.locator("#column-editor-error")).to_contain_text("Someone else renamed it “Working”")
        expect(alice.locator("#column-title")).to_have_value("Active")
        self.screenshot(alice, "kanban-column-conflict.png")
        self.assertEqual(outside_the_event_loop(lambda: list(titles_by_column(self.board))), ["To do", "Working", "Done"])
        # Saved again, knowing: hers replaces his, for both.
        alice.click("#column-save")
        expect(alice.locator("#column-editor")).not_to_be_visible()
        expect(self.column(bob, "Active")).to_have_count(1)
        self.assertEqual(outside_the_event_loop(lambda: list(titles_by_column(self.board))), ["To do", "Active", "Done"])

    def test_labels_are_added_renamed_and_deleted_live_and_a_rename_is_not_saved_over_another(self):
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        for page in (alice, bob):
            page.click("[data-open-dialog='label-manager']")
        alice.fill("#new-label-name", "bug")
        alice.select_option("#new-label-colour", "red")
        alice.click("#label-create-form button[type=submit]")
        expect(bob.get_by_label("Name of label bug")).to_have_value("bug")
        label_id = alice.locator(".label-row", has=alice.get_by_label("Name of label bug")).get_attribute("data-label-id")
        mine, theirs = (page.locator(f".label-row[data-label-id='{label_id}']") for page in (alice, bob))
        # Alice starts renaming it; bob renames it meanwhile: alice's typing stays in her row.
        mine.locator("input").fill("issue")
        theirs.locator("input").fill("defect")
        theirs.get_by_role("button", name="Save").click()
        expect(self.card(bob, "Fix login")).to_have_count(1)
        expect(theirs.locator(".label-chip")).to_have_text("defect")
        expect(mine.locator(".label-chip")).to_have_text("bug")  # her row, kept as she left it
        expect(mine.locator("input")).to_have_value("issue")
        mine.get_by_role("button", name="Save").click()
        expect(alice.locator("#label-error")).to_contain_text("Someone else renamed it “defect”")
        expect(mine.locator(".label-chip")).to_have_text("defect")
        expect(mine.locator("input")).to_have_value("issue")
        self.screenshot(alice, "kanban-label-conflict.png")
        self.assertEqual(outside_the_event_loop(lambda: Label.objects.get(pk=label_id).name), "defect")
        # Saved again, knowing: hers stands, for both.
        mine.get_by_role("button", name="Save").click()
        expect(theirs.locator(".label-chip")).to_have_text("issue")
        expect(alice.locator("#label-error")).to_be_hidden()
        # Deleted, after confirming: gone for both.
        alice.on("dialog", lambda dialog: dialog.accept())
        mine.get_by_role("button", name="Delete").click()
        expect(theirs).to_have_count(0)
        self.assertFalse(outside_the_event_loop(lambda: Label.objects.filter(pk=label_id).exists()))

    def test_columns_are_added_limited_reordered_and_deleted_from_the_page(self):
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        alice.click("#add-column")
        alice.fill("#column-title", "Review")
        alice.fill("#column-wip", "1")
        alice.click("#column-save")
        expect(self.column(bob, "Review").locator(".column-count")).to_have_text("0 / 1")

        # Move it left of Done, from its menu.
        self.column(alice, "Review").locator(".column-menu").click()
        alice.click("#column-left")
        bob.wait_for_function(
            "() => [...document.querySelectorAll('.column-title')].map((n) => n.textContent).join() === "
            "'To do,Doing,Review,Done'"
        )
        alice.keyboard.press("Escape")

        # The WIP limit: one card fits, the second drag is refused with a message and undone on screen.
        self.drag(alice, self.card(alice, "Write docs"), self.column(alice, "Review").locator(".card-list"))
        self.column(bob, "Review").locator(".kanban-card", has_text="Write docs").wait_for()
        self.drag(alice, self.card(alice, "Plan party"), self.card(alice, "Write docs"))
        alice.wait_for_selector("#notice:not([hidden])")
        self.assertIn("“Review” is at its WIP limit of 1 card", alice.inner_text("#notice"))
        alice.wait_for_function(
            "() => document.querySelector('.kanban-column:nth-child(3) .card-list').children.length === 1"
        )
        self.assertEqual(self.titles_in(alice, "To do"), ["Fix login", "Plan party"])

        # Delete it, after confirming, with its card.
        alice.on("dialog", lambda dialog: dialog.accept())
        self.column(alice, "Review").locator(".column-menu").click()
        alice.click("#column-delete")
        self.column(bob, "Review").wait_for(state="detached")
        self.assertEqual(bob.locator(".kanban-card", has_text="Write docs").count(), 0)

        # Ctrl+Z brings it back with its card for both users, then walks back through alice's changes:
        # the card's move, the column's move, and adding the column, which goes for bob too.
        alice.keyboard.press("Control+z")
        for page in (alice, bob):
            self.column(page, "Review").locator(".kanban-card", has_text="Write docs").wait_for()
        alice.keyboard.press("Control+z")
        self.column(bob, "To do").locator(".kanban-card", has_text="Write docs").wait_for()
        alice.keyboard.press("Control+z")
        bob.wait_for_function(
            "() => [...document.querySelectorAll('.column-title')].map((n) => n.textContent).join() === "
            "'To do,Doing,Done,Review'"
        )
        alice.keyboard.press("Control+z")
        for page in (alice, bob):
            self.column(page, "Review").wait_for(state="detached")
        self.assertEqual(outside_the_event_loop(lambda: list(titles_by_column(self.board))), ["To do", "Doing", "Done"])

    def phone_board(self):
        """
        Alice's board on a 390 px touch phone, and `finger(kind, x, y)`, which
        sends a CDP touch event ("touchStart", "touchMove", "touchEnd") there.
        """
        context = self.browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
        self.addCleanup(context.close)
        page = self.open_board(self.log_in(context.new_page(), self.alice))
        touch = page.context.new_cdp_session(page)

        def finger(kind, x, y):
            touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [] if kind == "touchEnd" else [{"x": x, "y": y}]})

        return page, finger

    def column_titles(self, page):
        return page.locator(".column-title").all_inner_texts()

    def test_a_column_dragged_by_its_heading_moves_for_everyone_and_undo_puts_it_back(self):
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        self.drag(alice, self.column(alice, "Done").locator(".column-title"), self.column(alice, "To do").locator(".column-head"))
        order = "'Done,To do,Doing'"
        for page in (alice, bob):
            page.wait_for_function(f"() => [...document.querySelectorAll('.column-title')].map((n) => n.textContent).join() === {order}")
        self.assertEqual(
            list(board_columns_eventually(self.board, until=lambda columns: list(columns)[0] == "Done")), ["Done", "To do", "Doing"]
        )
        # Its cards went with it; a reload shows the same; the activity says who moved it.
        self.assertEqual(self.titles_in(bob, "Done"), ["Set up CI"])
        bob.reload()
        bob.wait_for_selector("#connection-status[data-state=live]")
        self.assertEqual(self.column_titles(bob), ["Done", "To do", "Doing"])
        bob.click("#activity-open")
        expect(bob.locator("#activity-list .activity-entry").first).to_contain_text("alice moved the column ‘Done’")

        # The column's menu button still opens its dialog rather than starting a drag.
        self.column(alice, "Doing").locator(".column-menu").click()
        expect(alice.locator("#column-editor")).to_be_visible()
        alice.keyboard.press("Escape")

        alice.keyboard.press("Control+z")
        for page in (alice, bob):
            page.wait_for_function(
                "() => [...document.querySelectorAll('.column-title')].map((n) => n.textContent).join() === 'To do,Doing,Done'"
            )
        self.screenshot(alice, "kanban-column-moved.png")

    def test_a_column_can_be_dragged_by_touch_on_a_phone(self):
        page, finger = self.phone_board()

        # Both headings in view: the end of "To do" and the start of "Doing".
        page.evaluate("() => { const row = document.getElementById('columns'); row.style.scrollSnapType = 'none'; row.scrollLeft = 200; }")
        doing, to_do = (self.column(page, title).locator(".column-head").bounding_box() for title in ("Doing", "To do"))
        start_x, start_y = doing["x"] + 40, doing["y"] + doing["height"] / 2
        finger("touchStart", start_x, start_y)
        page.wait_for_timeout(400)  # a short hold starts a drag; a quick swipe scrolls
        end_x = max(to_do["x"], 5) + 10
        for step in range(1, 21):
            finger("touchMove", start_x + (end_x - start_x) * step / 20, start_y)
            page.wait_for_timeout(25)
        finger("touchEnd", end_x, start_y)
        stored = board_columns_eventually(self.board, until=lambda columns: list(columns)[0] == "Doing")
        self.assertEqual(list(stored), ["Doing", "To do", "Done"])
        page.wait_for_function(
            "() => [...document.querySelectorAll('.column-title')].map((n) => n.textContent).join() === 'Doing,To do,Done'"
        )

    def visible_titles(self, page):
        return page.locator(".kanban-card:visible .card-title").all_text_contents()

    def add_a_long_column(self):
        cards = add_cards(self.board, self.columns["Done"], [f"Shipped {number}" for number in range(150)], actor=self.alice)
        # Each with a description, so each card shows a meta line as most cards do.
        Card.objects.filter(pk__in=[card["id"] for card in cards]).update(description="Notes")

    def test_a_long_columns_scrollbar_holds_still_while_its_cards_come_into_view(self):
        """
        Cards out of view are drawn when they scroll in (content-visibility);
        until then each must keep a card's height, or the list's length, and
        so its scrollbar, changes under the person scrolling it.
        """
        outside_the_event_loop(self.add_a_long_column)
        alice = self.open_board(self.alice_page)
        cards = self.column(alice, "Done").locator(".card-list")
        before = cards.evaluate("list => list.scrollHeight")
        # Scrolled through a window at a time, a frame each, so every card is drawn once.
        after = cards.evaluate("""async (list) => {
          while (list.scrollTop + list.clientHeight < list.scrollHeight - 1) {
            list.scrollTop += list.clientHeight;
            await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
          }
          return list.scrollHeight;
        }""")
        # A title and a meta line: a card 60px at least, once drawn (the flexbox squeezed them before).
        self.assertGreater(after / 151, 60, f"151 cards in {after}px: squeezed")
        self.assertLess(abs(after - before) / after, 0.1, f"the list was {before}px long before its cards were drawn, {after}px after")

    def test_cards_below_the_window_are_drawn_when_idle_as_the_board_is_by_then(self):
        """
        A big board is on screen as soon as the cards the window can show
        are drawn; the others are drawn when the page is idle, from the
        board as it is then, not as it was when the page opened.
        """
        outside_the_event_loop(self.add_a_long_column)
        alice = self.alice_page
        switch = SocketSwitch(alice)
        # Idle time is handed out by the test, so the page is seen before and after it.
        alice.add_init_script("""
          window.idleCallbacks = [];
          window.requestIdleCallback = (callback) => window.idleCallbacks.push(callback);
        """)
        self.open_board(alice)
        done = self.column(alice, "Done").locator(".kanban-card")
        self.assertEqual(done.count(), 151)
        expect(done.first.locator(".card-title")).to_have_text("Set up CI")
        expect(done.last).to_have_attribute("aria-label", "Shipped 149")
        self.assertEqual(done.last.locator(".card-title").count(), 0)
        # Scrolled into view still empty, it holds a card's place: the list keeps its length.
        height = self.column(alice, "Done").locator(".card-list").evaluate("""async (list) => {
          list.scrollTop = list.scrollHeight;
          await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
          return list.lastElementChild.getBoundingClientRect().height;
        }""")
        self.assertGreaterEqual(height, 48)

        # Renamed while it waits (the board comes again with the reconnect).
        switch.hold()
        alice.wait_for_selector("#connection-status[data-state=reconnecting]")
        outside_the_event_loop(lambda: services.card_update(
            board=self.board, card_id=self.card_id("Shipped 149"), version=1, changes={"title": "Shipped last"},
            actor=self.bob,
        ))
        switch.release()
        alice.wait_for_selector("#connection-status[data-state=live]")
        expect(done.last).to_have_attribute("aria-label", "Shipped last")
        alice.evaluate("""() => {
          while (window.idleCallbacks.length) window.idleCallbacks.shift()({ timeRemaining: () => 50, didTimeout: false });
        }""")
        self.assertEqual(done.locator(".card-title").count(), 151)
        expect(done.last.locator(".card-title")).to_have_text("Shipped last")
        expect(done.last.locator(".card-has-description")).to_have_count(1)
        # Marked once, for the benchmark.
        alice.wait_for_function("() => performance.getEntriesByName('kanban:cards-drawn').length === 1")

    def add_two_long_lanes(self):
        first = lanes.lane_create(board=self.board, title="Web", actor=self.alice).details["lane"]["id"]
        second = lanes.lane_create(board=self.board, title="Mobile", actor=self.alice).details["lane"]["id"]
        for lane, name in ((first, "Web"), (second, "Mobile")):
            cards = add_cards(self.board, self.columns["Done"], [f"{name} {number}" for number in range(40)], actor=self.alice)
            Card.objects.filter(pk__in=[card["id"] for card in cards]).update(lane_id=lane)

    def test_each_lanes_first_cards_are_drawn_before_the_page_is_idle(self):
        """A lane's cell scrolls on its own: the window shows the first cards of every lane, not of the first only."""
        outside_the_event_loop(self.add_two_long_lanes)
        alice = self.alice_page
        alice.add_init_script("window.requestIdleCallback = () => 0;")  # the page is never idle
        self.open_board(alice)
        mobile = self.column(alice, "Done").locator(".card-list").nth(1).locator(".kanban-card")
        self.assertEqual(mobile.count(), 40)
        expect(mobile.first.locator(".card-title")).to_have_text("Mobile 0")

    def test_the_filter_narrows_the_cards_lives_in_the_url_and_never_hides_a_card_being_moved(self):
        """Issue 20: search and filter the board; the filter lives in the URL; "/" focuses it."""
        outside_the_event_loop(self.make_set_up_ci_overdue)
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        # An overdue card says so in words, not only in red.
        expect(self.card(alice, "Set up CI").locator(".card-due")).to_have_text("Overdue: Jan 2")
        alice.locator("body").press("/")
        expect(alice.locator("#filter-text")).to_be_focused()
        alice.keyboard.type("LOGIN")
        alice.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'LOGIN'")
        self.assertEqual(self.visible_titles(alice), ["Fix login"])
        expect(alice.locator("#filter-status")).to_have_text("Showing 1 of 5 cards.")
        expect(self.column(alice, "To do").locator(".column-count")).to_have_text("1 of 3")
        # Words of the description count too.
        alice.fill("#filter-text", "screenshots")
        alice.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'screenshots'")
        self.assertEqual(self.visible_titles(alice), ["Write docs"])

        # Label, assignee and due date, each from the URL after a reload.
        alice.goto(f"{self.url}?label={outside_the_event_loop(lambda: self.label_id('backend'))}")
        alice.wait_for_selector("#connection-status[data-state=live]")
        self.assertEqual(sorted(self.visible_titles(alice)), ["Fix login", "Review the pull request"])
        expect(alice.locator("#filter-label option:checked")).to_have_text("backend")
        alice.select_option("#filter-label", "")
        alice.select_option("#filter-assignee", "bob")
        alice.wait_for_function("() => new URLSearchParams(location.search).get('assignee') === 'bob'")
        self.assertEqual(self.visible_titles(alice), ["Fix login"])
        alice.select_option("#filter-assignee", "nobody")
        alice.select_option("#filter-due", "none")
        alice.wait_for_function("() => new URLSearchParams(location.search).get('due') === 'none'")
        self.assertEqual(sorted(self.visible_titles(alice)), ["Plan party", "Write docs"])
        alice.select_option("#filter-due", "overdue")
        alice.wait_for_function("() => new URLSearchParams(location.search).get('due') === 'overdue'")
        self.assertEqual(self.visible_titles(alice), ["Set up CI"])

        # Bob edits a card alice's filter hides: it shows for alice, marked, while bob has it.
        alice.click("#filter-clear")
        alice.fill("#filter-text", "login")
        alice.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'login'")
        self.card(bob, "Plan party").click()
        bob.locator("#card-title").press_sequentially("!")
        expect(self.card(alice, "Plan party")).to_be_visible()
        expect(self.card(alice, "Plan party")).to_have_class(re.compile("outside-filter"))
        expect(alice.locator("#filter-status")).to_contain_text("1 shown only because someone is moving or editing it")
        bob.keyboard.press("Escape")
        expect(self.card(alice, "Plan party")).to_be_hidden()

        # With the filter on, Alt+↑ moves a card above the next card in view, past those it hides:
        # "a" matches "Plan party" and "Write docs" (its description says "page"), not "Fix login".
        alice.fill("#filter-text", "a")
        expect(self.card(alice, "Fix login")).to_be_hidden()
        self.card(alice, "Plan party").focus()
        alice.keyboard.press("Alt+ArrowUp")
        stored = board_columns_eventually(self.board, until=lambda columns: columns["To do"][0] == "Plan party")
        self.assertEqual(stored["To do"], ["Plan party", "Write docs", "Fix login"])

        # Clearing the filter shows every card and empties the URL.
        alice.click("#filter-clear")
        alice.wait_for_function("() => location.search === ''")
        self.assertEqual(len(self.visible_titles(alice)), 5)
        self.screenshot(alice, "kanban-filter.png")

    def make_set_up_ci_overdue(self):
        card = Card.objects.get(board=self.board, title="Set up CI")
        services.card_update(board=self.board, card_id=card.pk, version=card.version, actor=self.alice,
                             changes={"due": "2020-01-02"})

    def label_id(self, name):
        return self.board.labels.get(name=name).pk

    def test_my_cards_lists_what_is_assigned_to_me_and_opens_the_card_on_its_board(self):
        bob = self.bob_page
        bob.goto(f"{self.live_server_url}/kanban/")
        bob.click("text=My cards")
        expect(bob.locator(".my-card")).to_have_count(1)
        expect(bob.locator(".my-card")).to_contain_text("Fix login")
        expect(bob.locator(".my-card")).to_contain_text("Launch plan · To do")
        self.screenshot(bob, "kanban-my-cards.png")
        bob.click(".my-card-title")
        expect(bob.locator("#card-editor")).to_be_visible()
        expect(bob.locator("#card-title")).to_have_value("Fix login")
        bob.wait_for_function("() => !new URLSearchParams(location.search).has('card')")
        # Alice sees bob holding it once he changes it, as with any card he opens.
        alice = self.open_board(self.alice_page)
        bob.locator("#card-title").press_sequentially(" today")
        expect(self.card(alice, "Fix login")).to_contain_text("bob is editing this")

    def test_deleting_what_you_are_editing_closes_its_dialog_without_saying_it_was_deleted(self):
        """Issue 18: deleting your own card said "The card you were editing was deleted"."""
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        questions = []
        alice.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
        self.card(alice, "Set up CI").click()
        alice.wait_for_selector("#card-editor[open]")
        alice.click("#card-delete")
        alice.wait_for_selector("#card-editor:not([open])", state="attached")
        self.card(bob, "Set up CI").wait_for(state="detached")
        self.assertNotIn("deleted", alice.text_content("#notice"))

        # The column is empty now, and the question says so without counting "its 0 cards".
        self.column(alice, "Done").locator(".column-menu").click()
        alice.wait_for_selector("#column-editor[open]")
        alice.click("#column-delete")
        alice.wait_for_selector("#column-editor:not([open])", state="attached")
        self.column(bob, "Done").wait_for(state="detached")
        self.assertNotIn("deleted", alice.text_content("#notice"))
        self.assertEqual(questions[0], "Delete “Set up CI”? You can undo this with Ctrl+Z.")
        self.assertTrue(questions[1].startswith("Delete the column “Done” for everyone? You can undo it"), questions[1])

    def test_a_description_shows_table_rules_and_a_refused_link_as_plain_text(self):
        """Issue 18: tables had no borders, and a link stripped of its `javascript:` target still looked like one."""
        description = "| Step | Who |\n|---|---|\n| Deploy | bob |\n\n[trap](javascript:alert(1)) and [docs](https://example.org)"
        outside_the_event_loop(lambda: services.card_update(
            board=self.board, card_id=Card.objects.get(title="Plan party").pk, version=1, actor=self.alice,
            changes={"description": description},
        ))
        alice = self.open_board(self.alice_page)
        self.card(alice, "Plan party").click()
        preview = alice.locator("#card-description-preview")
        preview.locator("table").wait_for()
        style = "(e, property) => getComputedStyle(e)[property]"
        self.assertEqual(preview.locator("td").first.evaluate(style, "borderTopStyle"), "solid")
        self.assertEqual(preview.locator("td").first.evaluate(style, "borderTopWidth"), "1px")
        paragraph_colour = preview.locator("p").evaluate(style, "color")
        self.assertEqual(preview.locator("a", has_text="trap").evaluate(style, "color"), paragraph_colour)
        self.assertEqual(preview.locator("a", has_text="trap").evaluate(style, "textDecorationLine"), "none")
        self.assertNotEqual(preview.locator("a", has_text="docs").evaluate(style, "color"), paragraph_colour)
        self.screenshot(alice, "kanban-description-table.png")

    def test_cards_added_while_offline_are_each_exactly_what_was_typed(self):
        """Issue 18: with the server down, 23 cards were stored with titles like "Outage-6Outage-7Outage-8"."""
        switch = SocketSwitch(self.bob_page)
        bob = self.open_board(self.bob_page)
        switch.hold()
        bob.wait_for_selector("#connection-status[data-state=reconnecting]")
        column = self.column(bob, "To do")
        column.locator(".add-card").click()
        box = column.locator(".add-card-input")
        for number in range(1, 4):
            box.press_sequentially(f"Outage-{number}")
            box.press("Enter")
            expect(box).to_have_value("")
        expect(column.locator(".card-pending")).to_have_text(["Not saved yet"] * 3)
        self.assertEqual(column.locator(".is-pending .card-title").all_text_contents(),
                         ["Outage-1", "Outage-2", "Outage-3"])
        self.screenshot(bob, "kanban-offline-cards.png")
        switch.release()
        bob.wait_for_selector("#connection-status[data-state=live]")
        expect(column.locator(".is-pending")).to_have_count(0)
        titles = board_columns_eventually(self.board, lambda columns: len(columns["To do"]) >= 6)["To do"]
        self.assertEqual(titles, ["Write docs", "Fix login", "Plan party", "Outage-1", "Outage-2", "Outage-3"])
        self.assertEqual(self.titles_in(bob, "To do"), titles)

    def test_an_edit_saved_by_someone_else_while_offline_is_shown_not_overwritten(self):
        """
        Issue 18: alice's connection dropped while she edited a card, bob
        saved a new title meanwhile, and alice's Save replaced it without a word.
        """
        switch = SocketSwitch(self.alice_page)
        alice, bob = self.open_board(self.alice_page), self.open_board(self.bob_page)
        self.card(alice, "Plan party").click()
        alice.fill("#card-title", "Plan the party")
        expect(self.card(bob, "Plan party")).to_have_class(re.compile(r"\bis-locked\b"))
        switch.hold()  # alice's lock is released when her socket goes
        alice.wait_for_selector("#connection-status[data-state=reconnecting]")
        expect(self.card(bob, "Plan party")).not_to_have_class(re.compile(r"\bis-locked\b"))
        self.card(bob, "Plan party").click()
        bob.fill("#card-title", "Party plan")
        bob.click("#card-save")
        expect(bob.locator("#card-editor")).to_be_hidden()
        switch.release()
        alice.wait_for_selector("#connection-status[data-state=live]")
        alice.click("#card-save")
        conflict = alice.locator("#card-editor-conflict")
        expect(conflict).to_be_visible()
        expect(conflict.locator("dd")).to_have_text(["Theirs: Party plan", "Yours: Plan the party"])
        self.screenshot(alice, "kanban-edit-conflict.png")
        self.assertEqual(outside_the_event_loop(lambda: Card.objects.get(pk=self.card_id("Party plan")).title),
                         "Party plan", "bob's title was overwritten")
        alice.click("#card-conflict-mine")
        expect(alice.locator("#card-editor")).to_be_hidden()
        expect(self.card(bob, "Plan the party")).to_be_visible()
        self.assertEqual(board_columns_eventually(self.board, lambda columns: "Plan the party" in columns["To do"])["To do"],
                         ["Write docs", "Fix login", "Plan the party"])

    def card_id(self, title):
        return Card.objects.get(board=self.board, title=title).pk

    def test_a_reconnect_redraws_only_the_cards_that_changed_meanwhile(self):
        """
        The `board` message after a reconnect (or right after the page has
        drawn its board) changes the page only where the board changed: on a
        board of thousands of cards, drawing every card again froze it.
        """
        alice = self.alice_page
        switch = SocketSwitch(alice)
        self.open_board(alice)
        # An expando on each card's title element survives as long as the element does.
        alice.evaluate("() => document.querySelectorAll('.kanban-card .card-title').forEach((t) => { t.probe = true; })")
        switch.hold()
        alice.wait_for_selector("#connection-status[data-state=reconnecting]")
        outside_the_event_loop(lambda: services.card_update(
            board=self.board, card_id=self.card_id("Plan party"), version=1, changes={"title": "Plan the party"},
            actor=self.bob,
        ))
        switch.release()
        alice.wait_for_selector("#connection-status[data-state=live]")
        expect(self.card(alice, "Plan the party")).to_be_visible()
        kept = alice.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.kanban-card .card-title')]
          .map((t) => [t.textContent, Boolean(t.probe)]))""")
        self.assertEqual(kept, {"Write docs": True, "Fix login": True, "Plan the party": False,
                                "Review the pull request": True, "Set up CI": True})

    def test_after_a_dropped_connection_the_board_catches_up_and_sends_what_was_queued(self):
        switch = SocketSwitch(self.bob_page)
        bob = self.open_board(self.bob_page)
        switch.hold()
        bob.wait_for_selector("#connection-status[data-state=reconnecting]")
        # While bob is away, alice adds a card; bob moves one with the keyboard (queued until live).
        outside_the_event_loop(
            lambda: services.card_create(board=self.board, column_id=self.columns["Doing"].pk,
                                         title="Added while bob was away", actor=self.alice)
        )
        self.card(bob, "Plan party").focus()
        bob.keyboard.press("Alt+ArrowRight")
        expect(bob.locator("#connection-status")).to_have_text("Reconnecting… · 1 unsaved")
        switch.release()
        bob.wait_for_selector("#connection-status[data-state=live]", timeout=20_000)
        expect(bob.locator("#connection-status")).to_have_text("Live")
        self.column(bob, "Doing").locator(".kanban-card", has_text="Added while bob was away").wait_for()
        bob.wait_for_function(
            "() => [...document.querySelectorAll('.kanban-card')].some((card) => "
            "card.closest('.kanban-column').querySelector('.column-title').textContent === 'Doing' "
            "&& card.textContent.includes('Plan party'))"
        )
        # Second, as bob saw the column when he pressed the key; alice's card came later.
        expected = ["Review the pull request", "Plan party", "Added while bob was away"]
        stored = board_columns_eventually(self.board, until=lambda columns: columns["Doing"] == expected)
        self.assertEqual(stored["Doing"], expected)

    def test_a_board_whose_session_has_ended_goes_offline_and_says_why_instead_of_retrying(self):
        switch = SocketSwitch(self.bob_page)
        bob = self.open_board(self.bob_page)
        # Logged out in another tab: the next handshake is refused, which the browser reports as a
        # network error (1006); the page asks the site why before retrying for ever.
        bob.context.clear_cookies()
        switch.drop()
        bob.wait_for_selector("#connection-status[data-state=offline]", timeout=20_000)
        expect(bob.locator("#notice")).to_contain_text("Your session has ended. Log in again")

    def test_logging_out_in_another_tab_takes_the_open_board_offline_and_says_why(self):
        bob = self.open_board(self.bob_page)
        alice = self.open_board(self.alice_page)
        other_tab = bob.context.new_page()
        other_tab.goto(f"{self.live_server_url}/")
        other_tab.click("text=Log out")
        other_tab.wait_for_url(f"{self.live_server_url}/accounts/login/")
        # Nothing touches bob's open socket but the server: it closes it (4401) for that session.
        bob.wait_for_selector("#connection-status[data-state=offline]", timeout=5_000)
        expect(bob.locator("#notice")).to_contain_text("Your session has ended. Log in again")
        expect(alice.locator("#connection-status")).to_have_attribute("data-state", "live")

    def test_a_card_can_be_dragged_by_touch_on_a_phone(self):
        page, finger = self.phone_board()
        card, target = self.card(page, "Plan party").bounding_box(), self.column(page, "Doing").bounding_box()

        start_x, start_y = card["x"] + 40, card["y"] + card["height"] / 2
        finger("touchStart", start_x, start_y)
        page.wait_for_timeout(400)  # a short hold starts a drag; a quick swipe scrolls
        end_x, end_y = target["x"] + 30, target["y"] + 80
        for step in range(1, 21):
            finger("touchMove", start_x + (end_x - start_x) * step / 20, start_y + (end_y - start_y) * step / 20)
            page.wait_for_timeout(25)
        finger("touchEnd", end_x, end_y)
        expect(self.column(page, "Doing").locator(".kanban-card", has_text="Plan party")).to_be_visible()
        stored = board_columns_eventually(self.board, until=lambda columns: "Plan party" in columns["Doing"])
        self.assertEqual(sorted(stored["Doing"]), ["Plan party", "Review the pull request"])
        self.assertEqual(self.titles_in(page, "Doing"), stored["Doing"])

    def test_a_card_held_at_the_edge_of_a_phone_scrolls_the_columns_to_reach_the_last(self):
        """Issue 18: a touch drag of a card did not scroll the columns at the screen's edge."""
        page, finger = self.phone_board()

        card = self.card(page, "Plan party").bounding_box()
        start_x, start_y = card["x"] + 40, card["y"] + card["height"] / 2
        finger("touchStart", start_x, start_y)
        page.wait_for_timeout(400)
        edge_x = 385
        for step in range(1, 11):
            finger("touchMove", start_x + (edge_x - start_x) * step / 10, start_y)
            page.wait_for_timeout(25)
        for _ in range(60):  # held at the edge: the columns scroll until "Done" is under the finger
            done = self.column(page, "Done").bounding_box()
            if done["x"] + 40 < edge_x - 40:
                break
            finger("touchMove", edge_x, start_y)
            page.wait_for_timeout(50)
        done = self.column(page, "Done").bounding_box()
        self.assertLess(done["x"], edge_x - 40, "the columns did not scroll while the card was held at the edge")
        finger("touchMove", done["x"] + 40, done["y"] + 80)
        page.wait_for_timeout(100)
        finger("touchEnd", done["x"] + 40, done["y"] + 80)
        stored = board_columns_eventually(self.board, until=lambda columns: "Plan party" in columns["Done"])
        self.assertIn("Plan party", stored["Done"])

    def test_the_board_fits_a_phone_by_scrolling_the_columns_sideways(self):
        page = self.log_in(self.new_page(viewport={"width": 390, "height": 844}), self.alice)
        self.open_board(page)
        page_width = page.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(page_width, 390, "the page itself scrolls sideways")
        scrolls = page.evaluate("(() => { const c = document.getElementById('columns'); return c.scrollWidth > c.clientWidth; })()")
        self.assertTrue(scrolls, "the columns should scroll sideways inside the board")
        self.screenshot(page, "kanban-phone.png")


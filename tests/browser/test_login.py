from django.conf import settings

from boardsite.throttling import wait_text
from tests.browser.base import BrowserTestCase
from tests.support import PASSWORD, make_user


class LoginFlowTests(BrowserTestCase):
    def test_log_in_through_the_form_lands_on_the_home_page(self):
        user = make_user("alice")
        page = self.new_page()
        page.goto(f"{self.live_server_url}/whiteboard/")
        # Not logged in: sent to the login form, which returns to the page asked for.
        self.assertIn("/accounts/login/", page.url)
        page.fill("#id_username", "alice")
        page.fill("#id_password", "wrong password")
        page.click("button[type=submit]")
        self.assertIn("Please enter a correct username and password", page.inner_text(".form-errors"))
        self.log_in(page, user)
        page.goto(f"{self.live_server_url}/")
        self.assertEqual(page.inner_text("h1"), "Hello, alice")
        self.assertTrue(page.is_visible("text=Whiteboards"))
        self.screenshot(page, "home.png")

    def test_home_page_fits_a_phone(self):
        user = make_user("bob")
        page = self.log_in(self.new_page(viewport={"width": 390, "height": 844}), user)
        page_width = page.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(page_width, 390, "the home page scrolls sideways on a phone")
        self.screenshot(page, "home-phone.png")

    def submit(self, page, url, username, password):
        page.goto(url)
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("[type=submit]")

    def test_wrong_passwords_lock_the_login_and_the_page_says_how_long_to_wait(self):
        make_user("carol")
        make_user("root", is_staff=True, is_superuser=True)
        wait = wait_text(settings.AXES_COOLOFF_TIME.total_seconds())
        page = self.new_page()
        for login_url, username in ((f"{self.live_server_url}/accounts/login/", "carol"), (f"{self.live_server_url}/admin/login/", "root")):
            with self.subTest(login_url=login_url):
                for _ in range(settings.AXES_FAILURE_LIMIT - 1):
                    self.submit(page, login_url, username, "wrong password")
                    self.assertNotIn("Please wait", page.inner_text("body"))
                self.submit(page, login_url, username, "wrong password")
                self.assertEqual(page.inner_text("h1"), "Too many wrong passwords")
                self.assertIn(f"Please wait {wait}, then try again.", page.inner_text("[role=alert]"))
                # The right password is refused too, with the same message.
                self.submit(page, login_url, username, PASSWORD)
                self.assertIn(f"Please wait {wait}, then try again.", page.inner_text("[role=alert]"))
                self.screenshot(page, "locked-out.png")
                page.click("text=Back to the log-in form")
                self.assertEqual(page.url, login_url)
                self.assertTrue(page.is_visible("#id_password"))

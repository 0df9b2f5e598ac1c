from tests.browser.base import BrowserTestCase
from tests.support import make_user


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

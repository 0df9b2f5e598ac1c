"""The one rule for text from outside (boardsite.collab.text)."""

import json

from django.test import SimpleTestCase

from boardsite.collab.errors import ActionError
from boardsite.collab.text import check_text, text_problem

C0 = [chr(code) for code in range(0x20)]
C1 = [chr(code) for code in range(0x7F, 0xA0)]  # DEL, then the C1 controls
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
LINE_CHARACTERS = ["\t", "\n", "\r"]


class TextRuleTests(SimpleTestCase):
    def test_text_people_write_is_accepted(self):
        for value in ("Fix login", "é ✓ 漢字 😀", "a\u200bb", "\u202eevil", "line\u2028sep", "", "e\u0301", "\ufffd"):
            with self.subTest(value=ascii(value)):
                self.assertIsNone(text_problem(value))
                self.assertEqual(check_text(value, field="title"), value)

    def test_every_control_character_and_lone_surrogate_is_refused_in_one_line_text(self):
        for character in C0 + C1 + SURROGATES:
            for value in (character, f"ab{character}", f"{character}cd", f"a{character}b"):
                with self.subTest(value=ascii(value)):
                    self.assertIsNotNone(text_problem(value))

    def test_multi_line_text_keeps_tabs_and_line_breaks_and_nothing_else(self):
        self.assertIsNone(text_problem("Steps:\r\n1. open\n\t- close", multiline=True))
        for character in C0 + C1 + SURROGATES:
            with self.subTest(character=ascii(character)):
                refused = text_problem(f"line\n{character}", multiline=True) is not None
                self.assertEqual(refused, character not in LINE_CHARACTERS)

    def test_the_refusal_names_the_field_and_the_character(self):
        cases = [
            ("a\x00b", "`key` contains a control character (U+0000)."),
            ("\x9b", "`key` contains a control character (U+009B)."),
            ("a\nb", "`key` contains a tab or line break (U+000A) but must be one line."),
            ("\udc00", "`key` contains an unpaired surrogate (U+DC00), which is not text."),
        ]
        for value, message in cases:
            with self.subTest(value=ascii(value)):
                with self.assertRaises(ActionError) as refused:
                    check_text(value, field="key")
                self.assertEqual((refused.exception.code, refused.exception.message), ("invalid_field", message))

    def test_json_escapes_give_text_only_when_they_pair_up(self):
        """A client's "\\ud83d\\ude00" is one emoji; "\\ud83d" alone is what PostgreSQL and sqlite3 cannot encode."""
        self.assertIsNone(text_problem(json.loads('"\\ud83d\\ude00"')))
        self.assertIsNotNone(text_problem(json.loads('"\\ud83d"')))
        self.assertIsNotNone(text_problem(json.loads('"\\ude00\\ud83d"')))
        self.assertIsNotNone(text_problem(json.loads('"a\\u0000"')))

"""
A board with 100,000 events: the board at any seq, a restore and a revert each
take under 2 s on the server. The history is built through the real services
(stroke chunks in batches, as the socket's batcher stores them, with erases,
clears and undos between them).
"""

import time

from django.test import TestCase

from tests.support import make_user
from whiteboard import replay, services
from whiteboard.models import Board

EVENTS = 100_000
BUDGET_SECONDS = 2.0


def build_large_history(board, users, *, events):
    """Strokes of ten chunks each, 400 chunks a batch; every few batches an erase, a clear and its undo."""
    batch_number = 0
    stroke_number = 0
    while True:
        board.refresh_from_db()
        if board.last_seq >= events:
            return
        commands = []
        for _ in range(40):
            stroke_number += 1
            user = users[stroke_number % len(users)]
            for chunk in range(10):
                point = [(stroke_number % 100) / 100, chunk / 10]
                commands.append(
                    services.ChunkCommand(user, f"s{stroke_number}", chunk, "pen", "#1971c2", 4.0, [point, [0.5, 0.5]])
                )
        services.stroke_chunks_add(board=board, commands=commands)
        batch_number += 1
        if batch_number % 5 == 0:
            services.strokes_erase(board=board, actor=users[0], stroke_ids=[f"s{stroke_number - 3}", f"s{stroke_number - 7}"])
        if batch_number % 25 == 0:
            services.board_clear(board=board, actor=users[1])
            if batch_number % 50 == 0:
                services.history_undo(board=board, actor=users[1])


class LargeHistoryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.owner, cls.vandal = make_user("owner"), make_user("vandal")
        cls.board = services.board_create(name="Busy", owner=cls.owner)
        build_large_history(cls.board, [cls.owner, cls.vandal], events=EVENTS)

    def timed(self, action):
        started = time.perf_counter()
        result = action()
        elapsed = time.perf_counter() - started
        return result, elapsed

    def test_the_board_at_a_seq_restore_and_revert_are_fast(self):
        board = Board.objects.get(pk=self.board.pk)
        self.assertGreaterEqual(board.last_seq, EVENTS)
        middle = board.last_seq // 2 + 3  # inside a stroke being drawn: some points are cut back
        strokes, at_seq = self.timed(lambda: replay.strokes_at(board=board, seq=middle))
        self.assertTrue(strokes)
        frames = list(board.events.filter(seq__lte=middle).order_by("seq").values_list("payload", flat=True))
        self.assertEqual([stroke.frame() for stroke in strokes], replay.replay_frames(frames))
        _, restore = self.timed(lambda: services.board_restore(board=board, actor=self.owner, to_seq=middle))
        _, revert = self.timed(
            lambda: services.board_revert_user(board=board, actor=self.owner, username="vandal", after_seq=middle)
        )
        print(f"\n{board.last_seq} events: board at seq {at_seq:.2f} s, restore {restore:.2f} s, revert {revert:.2f} s")
        self.assertLess(at_seq, BUDGET_SECONDS)
        self.assertLess(restore, BUDGET_SECONDS)
        self.assertLess(revert, BUDGET_SECONDS)

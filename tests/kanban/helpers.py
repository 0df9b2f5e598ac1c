"""Shortcuts the kanban tests share: boards with cards, and what a board looks like."""

import asyncio
import functools
import inspect

from channels.layers import get_channel_layer

from boardsite.collab.events import board_group_name
from kanban import selectors, services


def make_board(owner, *, name="Team board", members=()):
    board = services.board_create(name=name, owner=owner)
    for member in members:
        board.members.add(member)
    return board


def columns_of(board):
    """The board's columns in order, by title: {"To do": column, ...}."""
    return {column.title: column for column in board.columns.order_by("position")}


def add_cards(board, column, titles, *, actor):
    return [
        services.card_create(board=board, column_id=column.pk, title=title, actor=actor).details["card"] for title in titles
    ]


def titles_by_column(board):
    """What a user sees: {"To do": ["first card", ...], ...} in board order."""
    snapshot = selectors.board_snapshot(board=board)
    return {column["title"]: [card["title"] for card in column["cards"]] for column in snapshot["columns"]}


class BoardListener:
    """
    A channel in the board's group, as an open websocket would have. It keeps
    one event loop of its own: channels-redis binds a channel's receive buffer
    to the loop that first receives on it.
    """

    def __init__(self, board):
        self.loop = asyncio.new_event_loop()
        self.layer = get_channel_layer()
        self.channel = self.loop.run_until_complete(self.layer.new_channel())
        self.loop.run_until_complete(self.layer.group_add(board_group_name(board), self.channel))

    def close(self):
        self.loop.close()

    def receive(self, timeout=1.0):
        return self.loop.run_until_complete(asyncio.wait_for(self.layer.receive(self.channel), timeout))

    def nothing_received(self, timeout=0.2):
        try:
            self.receive(timeout=timeout)
        except TimeoutError:
            return True
        return False


class RefusalsMixin:
    """`refused(code, service, **arguments)`: the service refuses on `self.board` with that code and stores no event."""

    def refused(self, code, function, **kwargs):
        from boardsite.collab.errors import ActionError
        from kanban.models import BoardEvent

        events = BoardEvent.objects.filter(board=self.board).count()
        with self.assertRaises(ActionError) as caught:
            function(board=self.board, **kwargs)
        self.assertEqual(caught.exception.code, code, caught.exception.message)
        self.assertEqual(BoardEvent.objects.filter(board=self.board).count(), events, "a refusal recorded an event")
        return caught.exception


def closing_sockets(test):
    @functools.wraps(test)
    async def run_then_close(self):
        self.sockets = []
        try:
            await test(self)
        finally:
            for socket in self.sockets:
                await socket.disconnect()

    return run_then_close


class ClosesSocketsMixin:
    """
    Every async test of the class disconnects the websockets it opened with
    `track(...)`, pass or fail: a consumer left running keeps receiving on the
    channels-redis layer from a dead event loop and breaks the next test.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, method in list(vars(cls).items()):
            if name.startswith("test") and inspect.iscoroutinefunction(method):
                setattr(cls, name, closing_sockets(method))

    def track(self, socket):
        self.sockets.append(socket)
        return socket

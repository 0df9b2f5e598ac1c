from django.db import models

from boardsite.collab import models as collab


class Board(collab.Board):
    list_url_name = "whiteboard:list"
    detail_url_name = "whiteboard:board"

    class Meta(collab.Board.Meta):
        verbose_name = "whiteboard"


class BoardEvent(collab.BoardEvent):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="events")

    class Meta(collab.BoardEvent.Meta):
        constraints = [models.UniqueConstraint(fields=["board", "seq"], name="whiteboard_event_unique_seq")]

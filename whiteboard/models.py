import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from boardsite.collab import models as collab


class Board(collab.Board):
    list_url_name = "whiteboard:list"
    detail_url_name = "whiteboard:board"

    stored_strokes = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Strokes stored on the board, erased ones included: what WHITEBOARD_MAX_STROKES limits. "
        "Counted as they are stored, under the board's row lock, so checking the limit costs nothing "
        "however large the board is.",
    )
    unwritten_visibility = models.JSONField(
        default=list,
        editable=False,
        help_text="Seqs of the events whose hiding and showing of strokes is not yet written to the strokes' rows: "
        "an event that changes many strokes is written later, in one pass with others "
        "(whiteboard.stored_visibility).",
    )

    class Meta(collab.Board.Meta):
        verbose_name = "whiteboard"


class BoardEvent(collab.BoardEvent):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="events")

    class Meta(collab.BoardEvent.Meta):
        constraints = [models.UniqueConstraint(fields=["board", "seq"], name="whiteboard_event_unique_seq")]


class Tool(models.TextChoices):
    PEN = "pen", "Pen"
    HIGHLIGHTER = "highlighter", "Highlighter"
    LINE = "line", "Line"
    RECT = "rect", "Rectangle"
    ELLIPSE = "ellipse", "Ellipse"
    ARROW = "arrow", "Arrow"
    DIAMOND = "diamond", "Diamond"
    TEXT = "text", "Text"
    NOTE = "note", "Sticky note"
    IMAGE = "image", "Image"


FREEHAND_TOOLS = (Tool.PEN, Tool.HIGHLIGHTER)
SHAPE_TOOLS = (Tool.LINE, Tool.ARROW, Tool.RECT, Tool.ELLIPSE, Tool.DIAMOND)
TEXT_TOOLS = (Tool.TEXT, Tool.NOTE)
# Elements whose two ends may be attached to other elements (props `start` and `end`).
LINE_TOOLS = (Tool.LINE, Tool.ARROW)
ATTACHED_ENDS = ("start", "end")
# Elements drawn in a box between two corners, which an `angle` in their props turns about its centre.
BOX_TOOLS = (Tool.RECT, Tool.ELLIPSE, Tool.DIAMOND, *TEXT_TOOLS, Tool.IMAGE)


class Stroke(models.Model):
    """
    One element of the board, whole, in one row: a freehand stroke, a shape,
    a text or a sticky note (`tool`), with what its kind adds in `props`
    (docs/protocol.md, Elements). A freehand stroke's chunks are appended
    to `points_json` as they arrive, and to `points_packed` in the snapshot's
    packed form (whiteboard.points), so a board of thousands of strokes loads
    with one query and its points are sent on without being parsed or
    encoded. `chunk_seqs[i]` is the seq that stored chunk i, so a re-sent
    chunk is acknowledged again with the same seq and changes nothing.
    """

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="strokes")
    client_id = models.CharField(max_length=40, help_text="The id the drawing client chose.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tool = models.CharField(max_length=12, choices=Tool.choices)
    color = models.CharField(max_length=7)
    width = models.FloatField()
    points_json = models.TextField(help_text="Compact JSON array of [x, y] or [x, y, pressure] points.")
    points_packed = models.TextField(
        default="", help_text="The same points packed for the snapshot (whiteboard.points): kept in step with points_json."
    )
    point_count = models.PositiveIntegerField(default=0)
    chunk_seqs = models.JSONField(default=list)
    props = models.JSONField(
        default=dict, blank=True,
        help_text="What the element's kind adds: a shape's fill, opacity, dash and arrowheads; a text's words, "
        "size and alignment. Only values other than the defaults are kept.",
    )
    offset_x = models.FloatField(
        default=0, editable=False,
        help_text="How far the element has been moved since it was drawn, in board fractions: it is drawn at "
        "its points plus this. Its points stay as drawn, so chunks still append and history still replays.",
    )
    offset_y = models.FloatField(default=0, editable=False)
    version = models.PositiveIntegerField(
        default=0, editable=False,
        help_text="How many times the element has been rewritten (its text edited, resized, rotated, put in front "
        "or behind): a text's edit names the version it changes, so two people cannot overwrite each other unseen.",
    )
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False,
        help_text="Who is moving the element right now (whiteboard.holds); others' moves of it are refused.",
    )
    held_connection = models.CharField(max_length=32, blank=True, editable=False)
    held_until = models.DateTimeField(null=True, blank=True, editable=False)
    # The extent of the element's points in board fractions (not its width, nor its offset), kept
    # as its points arrive: an export frames the drawing without reading them.
    min_x = models.FloatField(null=True, editable=False)
    min_y = models.FloatField(null=True, editable=False)
    max_x = models.FloatField(null=True, editable=False)
    max_y = models.FloatField(null=True, editable=False)
    hidden = models.BooleanField(default=False, help_text="Erased, cleared or undone; kept for undo.")
    hidden_by = models.PositiveBigIntegerField(
        default=0,
        help_text="The seq of the event that last hid the stroke (0: never hidden), kept when it is shown again: "
        "an undo or redo names it to show or hide again every stroke it hid, instead of listing them "
        "(docs/protocol.md, Visibility).",
    )
    created_seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_seq"]
        constraints = [models.UniqueConstraint(fields=["board", "client_id"], name="whiteboard_stroke_unique_id")]
        indexes = [
            models.Index(fields=["board", "hidden", "created_seq"], name="whiteboard_stroke_visible"),
            models.Index(fields=["board", "hidden_by"], name="whiteboard_stroke_hidden_by"),
            models.Index(fields=["board", "held_connection"], name="whiteboard_stroke_held"),
        ]

    def __str__(self):
        return f"{self.get_tool_display()} {self.client_id}"

    @property
    def chunk_count(self):
        return len(self.chunk_seqs)


class HistoryStep(models.Model):
    """
    One undoable action of one user on one board: drawing a stroke, erasing,
    clearing, restoring. Kept on the server so undo and redo survive a reload
    and work from any device. Undone steps form the user's redo stack until
    they act again.
    """

    class Kind(models.TextChoices):
        DRAW = "draw", "Draw"
        ERASE = "erase", "Erase"
        CLEAR = "clear", "Clear"
        RESTORE = "restore", "Restore"
        MOVE = "move", "Move"
        EDIT = "edit", "Edit"

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="history")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    stroke_ids = models.JSONField(help_text="Client ids of the strokes the step drew or hid.")
    shown_ids = models.JSONField(
        default=list, blank=True, help_text="Client ids of the strokes a restore brought back (undoing hides them)."
    )
    moves = models.JSONField(
        default=list, blank=True,
        help_text="What the step moved, as [dx, dy, [client ids]] (undoing moves them back): a move's one "
        "translation, or those a restore made.",
    )
    edits = models.JSONField(
        default=list, blank=True,
        help_text="What the step rewrote, as [client id, before, after], each {props, points} (undoing writes "
        "back `before`): an edit's one text, or those a restore rewrote.",
    )
    undone = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["board", "user", "undone"], name="whiteboard_history_user")]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.user_id}{' (undone)' if self.undone else ''}"


class Move(models.Model):
    """
    One translation of some of a board's elements: a `move`, or what an
    undo, redo, restore or revert moved. Where an element was at any seq is
    its offset now less the moves after that seq, so the time-lapse, the
    exports at a seq and restores never read the event log for positions;
    a `move`'s client id (`client_id`) makes re-sending it change nothing.
    """

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="moves")
    client_id = models.CharField(max_length=40, blank=True, help_text="The moving client's id; blank when the server moved.")
    seq = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dx = models.FloatField()
    dy = models.FloatField()
    stroke_ids = models.JSONField(help_text="Client ids of the elements moved.")

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["board", "client_id"], condition=~models.Q(client_id=""), name="whiteboard_move_unique_id"
            ),
        ]
        indexes = [models.Index(fields=["board", "seq"], name="whiteboard_move_seq")]

    def __str__(self):
        return f"Move of {len(self.stroke_ids)} at #{self.seq}"


class ElementEdit(models.Model):
    """
    One rewrite of an element's stored state ({color, props, points}): a
    text's `edit`, a `transform` (resize, rotate) or an `order` (to the front
    or back), or what an undo, redo, restore or revert rewrote. What an
    element was at any seq is what it is now, or the `before` of its first
    rewrite after that seq; the change's client id makes re-sending it change
    nothing.
    """

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="element_edits")
    client_id = models.CharField(
        max_length=40, blank=True, help_text="The id the client gave its change (on the first row of it); blank when the server rewrote."
    )
    seq = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stroke_id = models.CharField(max_length=40, help_text="The client id of the element.")
    before = models.JSONField(help_text="{color, props, points} before the rewrite (points as drawn, without the offset).")
    after = models.JSONField()

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["board", "client_id"], condition=~models.Q(client_id=""), name="whiteboard_elementedit_unique_id"
            ),
        ]
        indexes = [models.Index(fields=["board", "seq"], name="whiteboard_elementedit_seq")]

    def __str__(self):
        return f"Rewrite of {self.stroke_id} at #{self.seq}"


def image_path(image, filename):
    """Where an image is stored: under its board, in a directory of its own, so two of one name never meet."""
    return f"whiteboard/{image.board_id}/{uuid.uuid4().hex}/{filename}"


IMAGE_NAME_MAX_LENGTH = 200


class Image(models.Model):
    """
    A picture uploaded to a board, to be placed on it as `image` elements:
    decoded and encoded again by boardsite.uploads (no byte of the uploaded
    file is served back), stored through Django's storage API
    (settings.STORAGES, "default"), counted against the board's
    BOARD_STORAGE_QUOTA_BYTES, served only to those who may open the board.
    An element names it by id; erasing the element keeps the image, so undo
    can bring it back.
    """

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="images")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=IMAGE_NAME_MAX_LENGTH)
    content_type = models.CharField(max_length=100)
    file = models.FileField(upload_to=image_path, max_length=300)
    size = models.PositiveBigIntegerField(help_text="Bytes stored: what counts against the board's quota.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["board", "created_at"]

    def __str__(self):
        return self.name

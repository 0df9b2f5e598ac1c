"""The demo kanban that `manage.py demo_data` creates, filled through the services like any board."""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from kanban import attachments, checklists, comments, services
from kanban.models import Board

DEMO_BOARD_NAME = "Demo kanban board"
DEMO_LABELS = [("feature", "blue"), ("bug", "red"), ("docs", "green")]
# (title, labels, description, assigned to the demo user, due in this many days or None)
DEMO_CARDS = {
    "To do": [
        ("Write the user guide", ["docs"], "Cover **boards**, *cards* and sharing.\n\n- screenshots\n- shortcuts", True, 5),
        ("Dark mode for the board page", ["feature"], "", False, None),
        ("Card titles wrap badly on phones", ["bug"], "Seen on a 360 px wide screen.", True, -1),
    ],
    "Doing": [
        ("Drag and drop between columns", ["feature"], "With [SortableJS](https://sortablejs.github.io/Sortable/).", True, None),
    ],
    "Done": [
        ("Set up the project", [], "", False, None),
    ],
}
# (card title, checklist title, [(item, done), ...])
DEMO_CHECKLISTS = [
    ("Write the user guide", "Chapters", [("Boards", True), ("Cards and labels", True), ("Sharing", False),
                                          ("Keyboard shortcuts", False)]),
]
# (card title, comment): the owner's own remarks, oldest first; `{owner}` is their username.
DEMO_COMMENTS = [
    ("Write the user guide", "The sharing chapter is next; screenshots are in `docs/img`."),
    ("Write the user guide", "@{owner} remember the phone screenshots for the **shortcuts** page."),
    ("Card titles wrap badly on phones", "Also on a 390 px screen: long words overflow the card."),
]


def ensure_demo_board(*, owner):
    """The owner's demo board; created with labels and cards the first time, left as it is afterwards."""
    board = Board.objects.filter(owner=owner, name=DEMO_BOARD_NAME).first()
    if board is not None:
        return board
    board = services.board_create(name=DEMO_BOARD_NAME, owner=owner)
    label_ids = {
        name: services.label_create(board=board, name=name, colour=colour, actor=owner).details["label"]["id"]
        for name, colour in DEMO_LABELS
    }
    columns = {column.title: column for column in board.columns.all()}
    today = timezone.localdate()
    card_ids = {}
    for column_title, cards in DEMO_CARDS.items():
        for title, labels, description, assigned, due_in in cards:
            card_ids[title] = services.card_create(
                board=board,
                column_id=columns[column_title].pk,
                title=title,
                description=description,
                label_ids=[label_ids[name] for name in labels],
                assignee_ids=[owner.pk] if assigned else [],
                due_date=None if due_in is None else today + timedelta(days=due_in),
                actor=owner,
            ).details["card"]["id"]
    for title, checklist_title, items in DEMO_CHECKLISTS:
        checklist = checklists.checklist_create(board=board, card_id=card_ids[title], title=checklist_title,
                                                actor=owner).details["checklist"]
        for text, done in items:
            item = checklists.item_create(board=board, checklist_id=checklist["id"], text=text, actor=owner).details
            if done:
                checklists.item_check(board=board, item_id=item["item"]["id"], done=True, actor=owner)
    for title, body in DEMO_COMMENTS:
        comments.comment_create(board=board, card_id=card_ids[title], body=body.format(owner=owner.get_username()),
                                actor=owner)
    sketch = attachments.check_upload(SimpleUploadedFile("dark-mode-sketch.png", dark_mode_sketch()))
    attachments.attachment_create(board=board, card_id=card_ids["Dark mode for the board page"], upload=sketch,
                                  actor=owner)
    services.history_forget(board=board, user=owner)
    return board


def dark_mode_sketch():
    """A small PNG of a board in dark colours: the demo card's cover, drawn here rather than shipped."""
    image = Image.new("RGB", (640, 360), "#1b1f2a")
    draw = ImageDraw.Draw(image)
    for column in range(3):
        left = 24 + column * 204
        draw.rounded_rectangle((left, 24, left + 188, 336), radius=12, fill="#262c3a")
        for row in range(3 - column):
            top = 64 + row * 72
            draw.rounded_rectangle((left + 12, top, left + 176, top + 60), radius=8, fill="#343c4f")
            draw.rounded_rectangle((left + 24, top + 14, left + 140, top + 24), radius=4, fill="#8b93a7")
    output = io.BytesIO()
    image.save(output, "PNG")
    return output.getvalue()

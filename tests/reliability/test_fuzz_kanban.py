"""
Property-based fuzzing of the kanban websocket (hypothesis), as for the
whiteboard (test_fuzz_whiteboard): mixed plans to one board, the valid
messages alone to another, and both boards must end identical.

Valid messages name cards, columns and labels by slot ("the third card made
on this board"), resolved against the board the client is connected to from
the acks it has received, so the same plan means the same thing on both
boards although their ids differ.
"""

from asgiref.sync import sync_to_async
from hypothesis import strategies as st

from kanban import archive, selectors, services
from kanban.models import LABEL_COLOURS, Board, BoardEvent, Card
from tests.reliability import fuzzing
from tests.reliability.fuzzing import FuzzClient, Step, invalid_variant

MESSAGES_PER_PLAN = 100
PLANS = 100  # 10,000 messages

text = st.one_of(
    st.sampled_from(["Fix login", "<script>window.__xss=1</script>", "a & b", "  padded  ", "**bold**", "é ✓"]),
    st.text(min_size=1, max_size=20),
    # Any code point, lone surrogates included: what a client's JSON escapes can spell.
    st.text(st.characters(exclude_categories=()), min_size=1, max_size=20),
)
comment_text = st.one_of(
    text,
    # A mention of the fuzzing user, of nobody on the board, and code that is not a mention.
    st.sampled_from(["thanks @fuzzer", "ask @nobody", "`@nobody` in code", "*a* @FUZZER."]),
)
# Item texts: mostly plain (an item needs a card and a checklist made earlier in the plan to land on).
item_text = st.one_of(st.sampled_from(["Tag", "Build", "  Ship  ", "é ✓", "<b>x</b>"]), text)
# Fields that take tabs and line breaks (titles and names make them spaces).
MULTILINE_FIELDS = frozenset({"description", "title", "name", "body", "text"})


def slot(kind):
    return st.integers(min_value=0, max_value=12).map(lambda number: {"$slot": kind, "n": number})


def version_of(card):
    """The card's current version as this client knows it, or a stale one."""
    return st.one_of(st.just({"$version": card["n"]}), st.just(1))


@st.composite
def card_reference(draw):
    card = draw(slot("card"))
    return card, draw(version_of(card))


@st.composite
def valid_message(draw):
    kind = draw(
        st.sampled_from(
            ["card.create"] * 7
            # card.update three times: it needs a card and its current version, and once was never acked in a run.
            + ["card.update"] * 3 + ["card.move", "card.move", "card.delete", "card.lock", "card.unlock"]
            + ["column.create", "column.update", "column.move", "column.delete"]
            + ["label.create", "label.update", "label.delete", "undo", "redo"]
            + ["comment.create", "comment.create", "comment.update", "comment.delete", "card.watch"]
            + ["checklist.create"] * 3 + ["checklist.update", "checklist.delete"] + ["item.create"] * 4
            + ["item.update", "item.check", "item.check", "item.move", "item.move", "item.delete", "item.to_card"]
            + ["card.archive", "card.restore", "column.archive", "column.restore", "column.create"]
            + ["card.copy", "card.move_to_board"]
            + ["lane.create", "lane.create", "lane.update", "lane.move", "lane.delete"]
        )
    )
    message = {"type": kind}
    if kind == "card.create":
        message.update(column=draw(slot("column")), title=draw(text))
        if draw(st.booleans()):
            message["index"] = draw(st.integers(min_value=0, max_value=6))
        if draw(st.booleans()):
            message["key"] = draw(st.sampled_from([f"key-{number}" for number in range(6)]))
    elif kind == "card.update":
        card, version = draw(card_reference())
        message.update(card=card, version=version)
        changes = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "title": text,
                    "description": st.one_of(text, st.just("[x](javascript:alert(1)) <img src=x onerror=alert(1)>")),
                    "labels": st.lists(slot("label"), max_size=3),
                    "due": st.sampled_from([None, "2026-12-01", "2027-02-28"]),
                    "due_time": st.sampled_from([None, "00:00", "17:30", "23:59"]),
                    "start": st.sampled_from([None, "2026-11-30", "2027-03-01"]),
                    "assignees": st.sampled_from([[], [{"$user": True}]]),
                },
            )
        )
        message.update(changes or {"title": "renamed"})
    elif kind == "card.move":
        card, version = draw(card_reference())
        message.update(card=card, version=version, column=draw(slot("column")), index=draw(st.integers(0, 6)))
        if draw(st.booleans()):
            message["lane"] = draw(slot("lane"))
    elif kind == "lane.create":
        message["title"] = draw(text)
        if draw(st.booleans()):
            message["index"] = draw(st.integers(min_value=0, max_value=3))
    elif kind == "lane.update":
        message.update(lane=draw(slot("lane")), title=draw(text))
        if draw(st.booleans()):  # the title seen: often stale, then refused as a conflict
            message["was"] = {"title": draw(text)}
    elif kind == "lane.move":
        message.update(lane=draw(slot("lane")), index=draw(st.integers(min_value=0, max_value=3)))
    elif kind == "lane.delete":
        message["lane"] = draw(slot("lane"))
    elif kind == "card.delete":
        card, version = draw(card_reference())
        message.update(card=card, version=version)
    elif kind in ("card.lock", "card.unlock"):
        message["card"] = draw(slot("card"))
        if kind == "card.lock":
            message["reason"] = draw(st.sampled_from(["drag", "edit"]))
    elif kind == "column.create":
        message["title"] = draw(text)
        if draw(st.booleans()):
            message["wip_limit"] = draw(st.integers(min_value=1, max_value=5))
    elif kind == "column.update":
        message.update(column=draw(slot("column")), title=draw(text))
        if draw(st.booleans()):
            message["wip_limit"] = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=5)))
        if draw(st.booleans()):  # what was seen of the fields changed: often stale, then refused as a conflict
            seen = {"title": draw(st.one_of(st.sampled_from(["To do", "Doing", "Done"]), text))}
            if "wip_limit" in message and draw(st.booleans()):
                seen["wip_limit"] = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=5)))
            message["was"] = seen
    elif kind == "column.move":
        message.update(column=draw(slot("column")), index=draw(st.integers(0, 4)))
    elif kind == "column.delete":
        message["column"] = draw(slot("column"))
    elif kind == "label.create":
        message.update(name=draw(text), colour=draw(st.sampled_from(LABEL_COLOURS)))
    elif kind == "label.update":
        message.update(label=draw(slot("label")), name=draw(text))
    elif kind == "label.delete":
        message["label"] = draw(slot("label"))
    elif kind == "checklist.create":
        message["card"] = draw(slot("card"))
        if draw(st.booleans()):
            message["title"] = draw(text)
    elif kind == "checklist.update":
        message.update(checklist=draw(slot("checklist")), title=draw(text))
        if draw(st.booleans()):  # the title seen: often stale, then refused as a conflict
            message["was"] = {"title": draw(st.one_of(st.just("Checklist"), text))}
    elif kind == "checklist.delete":
        message["checklist"] = draw(slot("checklist"))
    elif kind == "item.create":
        message.update(checklist=draw(slot("checklist")), text=draw(item_text))
        if draw(st.booleans()):
            message["index"] = draw(st.integers(min_value=0, max_value=4))
    elif kind in ("item.update", "item.delete", "item.to_card"):
        item = draw(slot("item"))
        message.update(item=item, version=draw(st.one_of(st.just({"$item_version": item["n"]}), st.just(1))))
        if kind == "item.update":
            message["text"] = draw(item_text)
    elif kind == "item.check":
        message.update(item=draw(slot("item")), done=draw(st.booleans()))
    elif kind == "item.move":
        message.update(item=draw(slot("item")), checklist=draw(slot("checklist")), index=draw(st.integers(0, 4)))
    elif kind in ("card.copy", "card.move_to_board"):
        # To a third board the fuzzing user owns (both plans send there; only their own boards are compared).
        card, version = draw(card_reference())
        message.update(card=card, board={"$target": True}, column={"$target_column": draw(st.integers(0, 2))})
        if kind == "card.move_to_board":
            message["version"] = version
    elif kind == "card.archive":
        card, version = draw(card_reference())
        message.update(card=card, version=version)
    elif kind == "card.restore":
        message["card"] = draw(slot("card"))
    elif kind in ("column.archive", "column.restore"):
        message["column"] = draw(slot("column"))
    elif kind == "card.watch":
        message.update(card=draw(slot("card")), watching=draw(st.booleans()))
    elif kind == "comment.create":
        message.update(card=draw(slot("card")), body=draw(comment_text))
        if draw(st.booleans()):
            message["key"] = draw(st.sampled_from([f"comment-{number}" for number in range(6)]))
    elif kind in ("comment.update", "comment.delete"):
        comment = draw(slot("comment"))
        message.update(comment=comment, version=draw(st.one_of(st.just({"$comment_version": comment["n"]}), st.just(1))))
        if kind == "comment.update":
            message["body"] = draw(comment_text)
    return message


def placeholders_to_ones(value):
    """An invalid variant needs plain JSON; its ids never get as far as the board."""
    if isinstance(value, dict):
        if any(key.startswith("$") for key in value):
            return 1
        return {key: placeholders_to_ones(item) for key, item in value.items()}
    if isinstance(value, list):
        return [placeholders_to_ones(item) for item in value]
    return value


@st.composite
def step(draw):
    message = draw(valid_message())
    if draw(st.booleans()):
        return draw(invalid_variant(placeholders_to_ones(message), multiline_fields=MULTILINE_FIELDS))
    return Step(True, message)


plans = st.lists(step(), min_size=MESSAGES_PER_PLAN, max_size=MESSAGES_PER_PLAN)


class BoardIds:
    """What one client knows of its board's ids, in the order they appeared."""

    def __init__(self, board_message, user_id, target=None):
        self.ids = {"column": [column["id"] for column in board_message["columns"]], "card": [], "label": [],
                    "comment": [], "checklist": [], "item": [], "lane": []}
        self.versions = {}
        self.comment_versions = {}
        self.item_versions = {}
        self.user_id = user_id
        self.target = target  # (slug, column ids) of the board cards are copied and moved to

    def learn(self, ack):
        for kind in ("card", "column", "label", "comment", "checklist", "item", "lane"):
            value = ack.get(kind)
            if isinstance(value, dict) and "id" in value:
                if value["id"] not in self.ids[kind]:
                    self.ids[kind].append(value["id"])
                if kind == "card":
                    self.versions[value["id"]] = value["version"]
                if kind == "comment":
                    self.comment_versions[value["id"]] = value["version"]
                if kind == "item":
                    self.item_versions[value["id"]] = value["version"]

    def id_in_slot(self, kind, number):
        known = self.ids[kind]
        return known[number % len(known)] if known else 2**40  # no such id on any board

    def resolve(self, value):
        if isinstance(value, dict):
            if "$slot" in value:
                return self.id_in_slot(value["$slot"], value["n"])
            if "$version" in value:
                return self.versions.get(self.id_in_slot("card", value["$version"]), 1)
            if "$item_version" in value:
                return self.item_versions.get(self.id_in_slot("item", value["$item_version"]), 1)
            if "$comment_version" in value:
                return self.comment_versions.get(self.id_in_slot("comment", value["$comment_version"]), 1)
            if "$user" in value:
                return self.user_id
            if "$target" in value:
                return self.target[0]
            if "$target_column" in value:
                return self.target[1][value["$target_column"] % len(self.target[1])]
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value


def comments_of(card_id):
    """A card's comments as its editor shows them, without ids or times."""
    listed = selectors.card_comments(card=Card.objects.get(pk=card_id))["comments"]
    return [(c["author"]["username"], c["body"], c["body_html"], len(c["mentions"]), c["version"]) for c in listed]


def checklists_of(card_id):
    """A card's checklists as its editor shows them, without ids."""
    listed = selectors.card_checklists(card=Card.objects.get(pk=card_id))["checklists"]
    return [(c["title"], [(i["text"], i["done"], i["version"]) for i in c["items"]]) for c in listed]


def stored_board(board):
    """Columns, cards and labels as a member sees them (ids replaced by names), the seq and the event log."""
    snapshot = selectors.board_snapshot(board=board)
    label_names = {label["id"]: label["name"] for label in snapshot["labels"]}
    lane_titles = {lane["id"]: lane["title"] for lane in snapshot["lanes"]}
    columns = [
        (
            column["title"],
            column["wip_limit"],
            [
                (
                    card["title"],
                    card["description"],
                    card["description_html"],
                    sorted(label_names[label] for label in card["labels"]),
                    card["due"],
                    card["due_time"],
                    card["start"],
                    lane_titles.get(card["lane"]),
                    [user["username"] for user in card["assignees"]],
                    card["version"],
                    card["lock"],
                    card["comments"],
                    comments_of(card["id"]),
                    sorted(Card.objects.get(pk=card["id"]).watchers.values_list("username", flat=True)),
                    card["checklist"],
                    checklists_of(card["id"]),
                )
                for card in column["cards"]
            ],
        )
        for column in snapshot["columns"]
    ]
    labels = [(label["name"], label["colour"]) for label in snapshot["labels"]]
    events = list(BoardEvent.objects.filter(board=board).order_by("seq").values_list("seq", "type"))
    archived = archive.board_archive(board=board)
    in_archive = ([(column["title"], column["cards"]) for column in archived["columns"]],
                  [(card["title"], card["column"]["title"]) for card in archived["cards"]])
    return {"seq": snapshot["seq"], "columns": columns, "labels": labels, "events": events, "archive": in_archive,
            "lanes": [lane["title"] for lane in snapshot["lanes"]]}


class KanbanFuzzTests(fuzzing.ConsumerFuzzTestCase):
    plans = plans
    plan_count = PLANS
    # Each was acked in every run of many (the others need two or three earlier acks, and are acked in most runs).
    types_that_must_be_acked = ("card.create", "card.update", "comment.create", "checklist.create")

    def target_board(self):
        """(slug, column ids) of the one board both plans copy and move cards to."""
        target = Board.objects.filter(owner=self.user, name="elsewhere").first()
        if target is None:
            target = services.board_create(name="elsewhere", owner=self.user)
        return target.slug, list(target.columns.order_by("position").values_list("pk", flat=True))

    def create_board(self, name, owner):
        return services.board_create(name=name, owner=owner)

    def stored_board(self, board):
        return stored_board(board)

    async def send(self, board, steps):
        client = FuzzClient(f"/ws/kanban/{board.slug}/", self.user)
        _, (board_message,) = await client.open()
        ids = BoardIds(board_message, self.user.pk, target=await sync_to_async(self.target_board)())
        try:
            return await client.run(steps, resolve=ids.resolve, on_ack=ids.learn)
        finally:
            await client.close()

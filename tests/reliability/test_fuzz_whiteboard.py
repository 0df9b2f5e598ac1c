"""
Property-based fuzzing of the whiteboard websocket (hypothesis): plans of
valid and invalid messages, mixed, sent to one board; the valid ones alone
sent to a second board. Every invalid message must get an `error`, the
connection must stay open, no error may be logged, and both boards must end
identical: invalid input changes nothing.
"""

import json

from hypothesis import strategies as st

from tests.reliability import fuzzing
from tests.reliability.fuzzing import FuzzClient, Step, invalid_variant
from whiteboard import selectors, services
from whiteboard.models import FREEHAND_TOOLS, SHAPE_TOOLS, TEXT_TOOLS, BoardEvent

MESSAGES_PER_PLAN = 100
PLANS = 100  # 10,000 messages
STROKE_IDS = [f"s{number}" for number in range(8)]

coordinate = st.floats(min_value=-100, max_value=101, allow_nan=False)
pressure = st.floats(min_value=0, max_value=1, allow_nan=False)
point = st.one_of(st.tuples(coordinate, coordinate), st.tuples(coordinate, coordinate, pressure)).map(list)
colour = st.sampled_from(["#000000", "#1f6feb", "#E5534B", "#ffffff"])
width = st.sampled_from([0.5, 2, 4, 12.5, 96])
stroke_id = st.sampled_from(STROKE_IDS)

valid_message = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("stroke"),
            "id": stroke_id,
            "tool": st.sampled_from(FREEHAND_TOOLS),
            "color": colour,
            "width": width,
            "points": st.lists(point, min_size=1, max_size=6),
        },
        optional={"chunk": st.integers(min_value=0, max_value=3)},
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("shape"),
            "id": stroke_id,
            "shape": st.sampled_from(SHAPE_TOOLS),
            "color": colour,
            "width": width,
            "points": st.lists(point, min_size=2, max_size=2),
        },
        optional={"opacity": st.floats(min_value=0.1, max_value=1), "dash": st.sampled_from(["dashed", "dotted"])},
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("shape"),
            "id": stroke_id,
            "shape": st.sampled_from(["rect", "ellipse", "diamond"]),
            "color": colour,
            "width": width,
            "points": st.lists(point, min_size=2, max_size=2),
            "fill": colour,
        },
    ),
    # Attached to elements that may or may not be on the board (`unknown_element` alike on both).
    st.fixed_dictionaries(
        {
            "type": st.just("shape"),
            "id": stroke_id,
            "shape": st.sampled_from(["line", "arrow"]),
            "color": colour,
            "width": width,
            "points": st.lists(point, min_size=2, max_size=2),
            "end": st.fixed_dictionaries({"id": stroke_id, "x": st.floats(0, 1), "y": st.floats(0, 1)}),
        },
        optional={"start": st.fixed_dictionaries({"id": stroke_id, "x": st.floats(0, 1), "y": st.floats(0, 1)})},
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("text"),
            "id": stroke_id,
            "kind": st.sampled_from(TEXT_TOOLS),
            "color": colour,
            "points": st.lists(point, min_size=2, max_size=2),
            "text": st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), min_size=1, max_size=40)
            .filter(str.strip),
            "size": st.sampled_from([8, 24, 64.5, 400]),
        },
        optional={"align": st.sampled_from(["left", "center", "right"])},
    ),
    st.fixed_dictionaries({"type": st.just("erase"), "ids": st.lists(stroke_id, min_size=1, max_size=3)}),
    st.fixed_dictionaries(
        {
            "type": st.just("edit"),
            "id": st.sampled_from([f"e{number}" for number in range(6)]),
            "element": stroke_id,
            "version": st.integers(min_value=0, max_value=3),
            "color": colour,
            "points": st.lists(point, min_size=2, max_size=2),
            "text": st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), min_size=1, max_size=20)
            .filter(str.strip),
            "size": st.sampled_from([8, 24, 400]),
        },
        optional={"align": st.sampled_from(["left", "center", "right"]), "fill": colour},
    ),
    st.fixed_dictionaries({"type": st.just("hold"), "ids": st.lists(stroke_id, min_size=1, max_size=3)}),
    # No picture is uploaded to the fuzzer's boards: every placement is refused (`unknown_image`), alike on both.
    st.fixed_dictionaries(
        {"type": st.just("image"), "id": stroke_id, "image": st.integers(min_value=1, max_value=5),
         "points": st.lists(point, min_size=2, max_size=2)}
    ),
    st.fixed_dictionaries({"type": st.just("release")}),
    st.fixed_dictionaries(
        {
            "type": st.just("move"),
            "id": st.sampled_from([f"m{number}" for number in range(6)]),
            "ids": st.lists(stroke_id, min_size=1, max_size=4),
            "dx": st.floats(min_value=-2, max_value=2).filter(lambda value: abs(value) >= 0.0001),
            "dy": st.floats(min_value=-2, max_value=2),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("transform"),
            "id": st.sampled_from([f"t{number}" for number in range(6)]),
            "ids": st.lists(stroke_id, min_size=1, max_size=4),
            "x": coordinate,
            "y": coordinate,
        },
        optional={
            "sx": st.floats(min_value=-3, max_value=3).filter(lambda value: abs(value) >= 0.01),
            "sy": st.floats(min_value=0.01, max_value=3),
            "angle": st.floats(min_value=-3.14, max_value=3.14),
        },
    ).filter(lambda message: {"sx", "sy", "angle"} & set(message)),
    st.fixed_dictionaries(
        {
            "type": st.just("order"),
            "id": st.sampled_from([f"o{number}" for number in range(6)]),
            "ids": st.lists(stroke_id, min_size=1, max_size=4),
            "place": st.sampled_from(["front", "back"]),
        }
    ),
    st.fixed_dictionaries({"type": st.just("drag"), "x": coordinate, "y": coordinate, "sx": st.just(1.5)}),
    st.fixed_dictionaries({"type": st.sampled_from(["clear", "undo", "redo"])}),
    st.fixed_dictionaries({"type": st.just("cursor"), "x": coordinate, "y": coordinate}),
    # The fuzzer owns its boards, so it may restore and revert; seqs past the board's are refused alike on both.
    st.fixed_dictionaries({"type": st.just("restore"), "to_seq": st.integers(min_value=0, max_value=30)}),
    st.fixed_dictionaries(
        {
            "type": st.just("revert"),
            "user": st.sampled_from(["fuzzer", "nobody", "fuzzer ", "Fuzzer"]),
            "after_seq": st.integers(min_value=0, max_value=30),
        }
    ),
)


@st.composite
def step(draw):
    message = draw(valid_message)
    if draw(st.booleans()):
        return draw(invalid_variant(message, multiline_fields={"text"}))
    return Step(True, message, expects_answer=message["type"] not in ("cursor", "drag"))


plans = st.lists(step(), min_size=MESSAGES_PER_PLAN, max_size=MESSAGES_PER_PLAN)


def stored_board(board):
    """The visible strokes, the event log's types and the seq: what a user of the board can tell apart."""
    board.refresh_from_db()
    snapshot = json.loads(selectors.board_snapshot_json(board=board))
    events = list(BoardEvent.objects.filter(board=board).order_by("seq").values_list("seq", "type"))
    return {"seq": board.last_seq, "strokes": snapshot["strokes"], "events": events}


class WhiteboardFuzzTests(fuzzing.ConsumerFuzzTestCase):
    plans = plans
    plan_count = PLANS

    def create_board(self, name, owner):
        return services.board_create(name=name, owner=owner)

    def stored_board(self, board):
        return stored_board(board)

    async def send(self, board, steps):
        client = FuzzClient(f"/ws/whiteboard/{board.slug}/", self.user)
        await client.open()
        try:
            return await client.run(steps, resolve=lambda message: message)
        finally:
            await client.close()

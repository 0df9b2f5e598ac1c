"""The whiteboard websocket: protocol only; changes go through whiteboard.services."""

from boardsite.collab.consumers import BoardConsumer
from whiteboard import holds, images, protocol, services, transforms
from whiteboard.models import Board

# Refusals caused by someone else getting there first, not by a faulty
# client: answered with an `error` but not counted towards the disconnect.
RACE_CODES = frozenset(
    {
        "stroke_gone", "stroke_changed", "nothing_to_change", "nothing_to_erase", "nothing_to_move", "held", "element_gone", "edit_conflict", "board_empty",
        "nothing_to_undo", "nothing_to_redo", "nothing_to_restore",
    }
)
# The rest of a stroke whose earlier chunk was dropped by the rate limit or
# refused as `unavailable` arrives out of order: the client is drawing, not
# misbehaving, so this must not end in a 4400 close either.
FOLLOW_ON_CODES = frozenset({"chunk_out_of_order"})


class WhiteboardConsumer(BoardConsumer):
    board_model = Board
    commands = {
        "stroke": "draw_stroke",
        "shape": "draw_shape",
        "text": "write_text",
        "image": "place_image",
        "erase": "erase_strokes",
        "move": "move_elements",
        "edit": "edit_text",
        "transform": "transform_elements",
        "order": "order_elements",
        "hold": "hold_elements",
        "release": "release_elements",
        "drag": "drag_elements",
        "clear": "clear_board",
        "undo": "undo_step",
        "redo": "redo_step",
        "restore": "restore_board",
        "revert": "revert_user",
        "cursor": "move_cursor",
        "view": "share_view",
    }
    benign_error_codes = BoardConsumer.benign_error_codes | RACE_CODES | FOLLOW_ON_CODES
    has_held = False  # whether this connection ever held elements (whiteboard.holds): only then is there any to let go

    def opening_frames(self, *, board, user):
        return [{"type": "history", **services.history_state(board=board, user=user)}, holds.holds_frame(board=board)]

    async def on_leave(self):
        """Let go of what this connection held (in turn with the board's changes), if it ever held anything."""
        if self.has_held:
            await self.room.change(holds.elements_release, board=self.board, connection=self.connection_id)

    async def draw_stroke(self, message, ref):
        """Stroke chunks are the hot path: stored in batches with the board's other chunks."""
        chunk = protocol.parse_stroke(message)
        command = services.ChunkCommand(
            actor=self.user,
            stroke_id=chunk.stroke_id,
            chunk=chunk.chunk,
            tool=chunk.tool,
            color=chunk.color,
            width=chunk.width,
            points=chunk.points,
            origin=self.origin,
        )
        self.submit(ref, self.store_chunks, payload=command, batch="stroke")

    def store_chunks(self, commands):
        return services.stroke_chunks_add(board=self.board, commands=commands)

    async def draw_shape(self, message, ref):
        shape = protocol.parse_shape(message)
        self.call(
            ref,
            services.shape_add,
            stroke_id=shape.stroke_id,
            tool=shape.tool,
            color=shape.color,
            width=shape.width,
            points=shape.points,
            props=shape.props,
        )

    async def write_text(self, message, ref):
        text = protocol.parse_text(message)
        self.call(
            ref, services.text_add, stroke_id=text.stroke_id, tool=text.tool, color=text.color, points=text.points,
            props=text.props,
        )

    async def erase_strokes(self, message, ref):
        self.call(ref, services.strokes_erase, stroke_ids=protocol.parse_erase(message))

    async def move_elements(self, message, ref):
        move = protocol.parse_move(message)
        self.call(
            ref, services.elements_move, move_id=move.move_id, stroke_ids=move.stroke_ids, dx=move.dx, dy=move.dy,
            connection=self.connection_id,
        )

    async def place_image(self, message, ref):
        placed = protocol.parse_image(message)
        self.call(
            ref, images.image_add, stroke_id=placed.stroke_id, image_id=placed.image_id, points=placed.points,
            angle=placed.angle,
        )

    async def edit_text(self, message, ref):
        edit = protocol.parse_edit(message)
        self.call(
            ref, services.text_edit, edit_id=edit.edit_id, stroke_id=edit.stroke_id, version=edit.version,
            color=edit.color, points=edit.points, props=edit.props, connection=self.connection_id,
        )

    async def transform_elements(self, message, ref):
        change = protocol.parse_transform(message)
        self.call(
            ref, transforms.elements_transform, transform_id=change.transform_id, stroke_ids=change.stroke_ids,
            origin_point=change.origin, sx=change.sx, sy=change.sy, angle=change.angle, connection=self.connection_id,
        )

    async def order_elements(self, message, ref):
        order = protocol.parse_order(message)
        self.call(
            ref, transforms.elements_order, order_id=order.order_id, stroke_ids=order.stroke_ids, place=order.place,
            connection=self.connection_id,
        )

    async def hold_elements(self, message, ref):
        hold = protocol.parse_hold(message)
        self.has_held = True
        self.call(
            ref, holds.elements_hold, stroke_ids=hold.stroke_ids, reason=hold.reason, connection=self.connection_id
        )

    async def release_elements(self, message, ref):
        protocol.parse_no_fields(message)
        self.call(ref, holds.elements_release, connection=self.connection_id)

    async def drag_elements(self, message, ref):
        """Where what this connection holds is being dragged: relayed to the others, never stored."""
        await self.relay_ephemeral({"type": "drag", "conn": self.connection_id, **protocol.parse_drag(message)})

    async def clear_board(self, message, ref):
        protocol.parse_no_fields(message)
        self.call(ref, services.board_clear)

    async def undo_step(self, message, ref):
        protocol.parse_no_fields(message)
        self.call(ref, services.history_undo)

    async def redo_step(self, message, ref):
        protocol.parse_no_fields(message)
        self.call(ref, services.history_redo)

    async def restore_board(self, message, ref):
        self.call(ref, services.board_restore, to_seq=protocol.parse_restore(message))

    async def revert_user(self, message, ref):
        revert = protocol.parse_revert(message)
        self.call(ref, services.board_revert_user, username=revert.username, after_seq=revert.after_seq)

    async def move_cursor(self, message, ref):
        position = protocol.parse_cursor(message)
        x, y = position if position else (None, None)
        await self.relay_ephemeral({"type": "cursor", "member": self.me(), "x": x, "y": y})

    async def share_view(self, message, ref):
        """What this page shows, so that others can follow it (not stored)."""
        x1, y1, x2, y2 = protocol.parse_view(message)
        await self.relay_ephemeral({"type": "view", "member": self.me(), "x1": x1, "y1": y1, "x2": x2, "y2": y2})

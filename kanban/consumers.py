"""The kanban websocket: protocol only; changes go through kanban.services."""

from boardsite.collab.consumers import BoardConsumer
from kanban import archive, attachments, checklists, comments, history, lanes, protocol, selectors, services, transfer
from kanban.models import Board

# Command type -> (its parser in kanban.protocol, the service it calls).
COMMANDS = {
    "card.create": (protocol.card_create, services.card_create),
    "card.update": (protocol.card_update, services.card_update),
    "card.move": (protocol.card_move, services.card_move),
    "card.delete": (protocol.card_delete, services.card_delete),
    "card.archive": (protocol.card_archive, archive.card_archive),
    "card.copy": (protocol.card_copy, transfer.card_copy),
    "card.move_to_board": (protocol.card_move_to_board, transfer.card_move_to_board),
    "card.restore": (protocol.card_restore, archive.card_restore),
    "card.lock": (protocol.card_lock, services.card_lock),
    "card.unlock": (protocol.card_unlock, services.card_unlock),
    "card.watch": (protocol.card_watch, services.card_watch),
    "column.create": (protocol.column_create, services.column_create),
    "column.update": (protocol.column_update, services.column_update),
    "column.move": (protocol.column_move, services.column_move),
    "column.delete": (protocol.column_delete, services.column_delete),
    "column.archive": (protocol.column_archive, archive.column_archive),
    "column.restore": (protocol.column_archive, archive.column_restore),
    "comment.create": (protocol.comment_create, comments.comment_create),
    "comment.update": (protocol.comment_update, comments.comment_update),
    "comment.delete": (protocol.comment_delete, comments.comment_delete),
    "card.cover": (protocol.card_cover, attachments.card_cover),
    "attachment.remove": (protocol.attachment_command, attachments.attachment_remove),
    "attachment.restore": (protocol.attachment_command, attachments.attachment_restore),
    "attachment.delete": (protocol.attachment_command, attachments.attachment_delete),
    "checklist.create": (protocol.checklist_create, checklists.checklist_create),
    "checklist.update": (protocol.checklist_update, checklists.checklist_update),
    "checklist.delete": (protocol.checklist_delete, checklists.checklist_delete),
    "item.create": (protocol.item_create, checklists.item_create),
    "item.update": (protocol.item_update, checklists.item_update),
    "item.check": (protocol.item_check, checklists.item_check),
    "item.move": (protocol.item_move, checklists.item_move),
    "item.delete": (protocol.item_delete, checklists.item_delete),
    "item.to_card": (protocol.item_delete, checklists.item_to_card),
    "lane.create": (protocol.lane_create, lanes.lane_create),
    "lane.update": (protocol.lane_update, lanes.lane_update),
    "lane.move": (protocol.lane_move, lanes.lane_move),
    "lane.delete": (protocol.lane_delete, lanes.lane_delete),
    "label.create": (protocol.label_create, services.label_create),
    "label.update": (protocol.label_update, services.label_update),
    "label.delete": (protocol.label_delete, services.label_delete),
    "undo": (protocol.no_fields, history.history_undo),
    "redo": (protocol.no_fields, history.history_redo),
}


class KanbanConsumer(BoardConsumer):
    board_model = Board
    commands = {command: "run_command" for command in COMMANDS}

    def opening_frames(self, *, board, user):
        return [selectors.board_message(board=board, user=user)]

    async def run_command(self, message, ref):
        """Parse, call the service, and acknowledge with the event it recorded (`event` names its type)."""
        parse, service = COMMANDS[message["type"]]
        self.call(ref, service, connection=self.connection_id, **parse(message))

    async def on_leave(self):
        """Release the cards this connection held (in turn with the board's commands)."""
        await self.room.change(services.locks_release, board=self.board, connection=self.connection_id)

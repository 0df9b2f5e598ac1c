"""
The messages board rooms exchange through the channel layer, named once.

Each carries the board's `group`, except USER, which carries the `user` it
is for. A connection has no channel of its own: what reaches a process's hub
is handed to the board's room, or (USER) to that user's connections on any
board. What clients and the server say on the
websocket is in boardsite.collab.protocol and docs/protocol.md.
"""

EVENT = "board.event"  # a stored event: its seq, frame text and origin (the connection that made it)
EVENTS = "board.events"  # the stored events of one commit, in seq order
EPHEMERAL = "board.ephemeral"  # an unstored frame (cursor, card lock) for every connection but its origin
PRESENCE = "board.presence"  # a presence batch: who joined, who left, and the newcomers to introduce
PRESENCE_HERE = "board.presence_here"  # to a newcomer's hub, for its connection `conn`: who is on the board
ACCESS_CHANGED = "board.access_changed"  # connections re-check their access (of `users`, or all)
CATCH_UP = "board.catch_up"  # from a process's own hub: messages may have been lost, read the database
USER = "board.user"  # an unstored frame (a notification) for every connection of one `user`, on any board

STORED = frozenset({EVENT, EVENTS})

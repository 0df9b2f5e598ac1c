"""
What both apps share: boards with an owner and members, a per-board event log
with a gapless `seq`, broadcasting events after commit, and the websocket
conventions (`ref`, `ack`, `error`, `sync`, presence) in one base consumer.
"""

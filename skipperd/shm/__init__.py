"""The shared route table: POSIX shared-memory segments and the msgpack encoding of the table.

The route supervisor is the only writer (``Publisher``); the workers and the arbiter map the
segments read-only (``TableReader``) and compare one integer per request to learn that a new table
was published (docs/architecture.md, invariants 1, 2 and 5). ``segment`` holds the layout and the
generation protocol, ``codec`` turns route definitions into bytes and back.
"""

"""Splitting a (possibly decompressing) byte stream into lines, chunk by chunk, in bounded memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator

DEFAULT_CHUNK_BYTES = 1 << 20

ReadChunk = Callable[[int], bytes]


class LineChunks:
    """Iterate `(offset_of_first_line, lines)` over a stream; lines come without their newline.

    Memory stays bounded by `max_line_bytes` + the chunk size whatever the stream holds (decompression bombs):
    a line that grows past `max_line_bytes` without a newline is yielded once, alone in its chunk, as a
    stub of `max_line_bytes + 1` bytes (callers refuse any line longer than the limit), and
    the rest of it is skipped.

    At the end of the stream an unterminated last line is yielded when `emit_partial_tail` (a finished file),
    and otherwise kept in `partial_tail` and not consumed (a live file still being written): `consumed`
    is then the offset just after the last newline.
    """

    def __init__(
        self,
        read: ReadChunk,
        start_offset: int,
        max_line_bytes: int,
        *,
        emit_partial_tail: bool,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    ) -> None:
        self._read = read
        self._max = max_line_bytes
        self._emit_partial_tail = emit_partial_tail
        self._chunk_bytes = chunk_bytes
        self.consumed = start_offset  # offset just after the last complete line handed out
        self.partial_tail = b""

    def __iter__(self) -> Iterator[tuple[int, list[bytes]]]:
        pending = b""
        skipping = False  # inside an oversize line whose stub was already yielded
        while True:
            chunk = self._read(self._chunk_bytes)
            if not chunk:
                break
            if skipping:
                newline = chunk.find(b"\n")
                if newline < 0:
                    self.consumed += len(chunk)
                    continue
                self.consumed += newline + 1
                chunk = chunk[newline + 1 :]
                skipping = False
            data = pending + chunk if pending else chunk
            lines = data.split(b"\n")
            pending = lines.pop()
            self.partial_tail = pending
            if lines:
                base = self.consumed
                self.consumed += len(data) - len(pending)
                yield base, lines
            if len(pending) > self._max:
                stub_offset = self.consumed
                stub = pending[: self._max + 1]
                self.consumed += len(pending)
                pending = self.partial_tail = b""
                skipping = True
                yield stub_offset, [stub]
        if pending and self._emit_partial_tail:
            base = self.consumed
            self.consumed += len(pending)
            self.partial_tail = b""
            yield base, [pending]

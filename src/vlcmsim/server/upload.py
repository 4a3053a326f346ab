"""Uploads streamed to disk as they arrive (an offline bundle pushed to the
server), instead of a request body held in memory; bounded in size, and
removed again when the upload does not complete."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


class UploadTooLarge(Exception):
    pass


class UploadSink:
    def __init__(self, folder: Path, limit: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.limit = limit
        self.size = 0
        self.path = folder / f"{uuid.uuid4().hex}.part"
        self._file = open(self.path, "wb")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise UploadTooLarge(f"the upload is larger than {self.limit} bytes")
        self._file.write(chunk)

    def finish(self) -> Path:
        """The complete upload, under its final name (its file id)."""
        self._file.close()
        done = self.path.with_suffix("")
        os.replace(self.path, done)
        return done

    def abort(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)

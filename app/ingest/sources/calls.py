"""The trunk-recorder call folder as an ingest input: each call JSON dropped there (with
the audio of the same name beside it) is journaled as a call file message
(:mod:`dispatch.call_files`) and applied like any message; its audio is kept in the
archive and served to the roles that may hear it.

::

    inbox/3105-1702617247_772393750.json  ─┐ settled (unchanged for SETTLE_S)
    inbox/3105-1702617247_772393750.wav   ─┘
        │ audio moved to  archive/audio/<system>/<Y>/<m>/<d>/3105-1702617247_772393750.wav
        │ message journaled (the JSON's text, the audio's path) — then
        └ JSON moved beside its audio; a repeat to archive/duplicates/, a bad file to
          archive/rejected/ with <name>.reason.txt

The folder is polled (every :data:`POLL_S`): a JSON is taken once it and its audio have
not changed for :data:`SETTLE_S` (an upload script copying a large recording), or
without audio once :data:`AUDIO_WAIT_S` passed (encrypted calls, archives without
audio). Files whose names start with ``.`` or end in ``.tmp``/``.part`` are left alone
(write them so, then rename). An audio file with no JSON for :data:`ORPHAN_S` is moved to
``rejected/``. Nothing is deleted: every file ends in the archive.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from app.ingest.sources import Offer, SourceMessage
from dispatch.call_files import (
    AUDIO_TYPES,
    CALL_FILE_TOPIC,
    MAX_CALL_JSON,
    KeptAudio,
    archive_path,
    audio_type,
    encode_call_file,
    read_call_file,
)
from dispatch.errors import TerminalMessageError
from dispatch.radio import RadioCall

logger = logging.getLogger(__name__)

POLL_S = 1.0
SETTLE_S = 2.0
AUDIO_WAIT_S = 30.0
ORPHAN_S = 600.0
FOLDER_RETRY_S = 30.0  # a call folder that cannot be made or read is tried again after


@dataclass
class _Found:
    json: Path
    audio: Path | None


@dataclass
class CallFolderSource:
    """Watches ``inbox``; keeps what it takes under ``archive``."""

    inbox: Path
    archive: Path
    settle_s: float = SETTLE_S
    audio_wait_s: float = AUDIO_WAIT_S
    poll_s: float = POLL_S
    connected: bool = False
    counters: Counter[str] = field(default_factory=Counter)
    _failing: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"call-folder {self.inbox}"

    @property
    def audio_root(self) -> Path:
        return self.archive / "audio"

    async def run(self, offer: Offer) -> None:
        """Take the settled calls of the folder, oldest first, until cancelled. A folder
        that cannot be made or read is logged and tried again: the other inputs go on."""
        await self._make_folders()
        logger.info("%s: watching (kept under %s)", self.name, self.archive)
        try:
            while True:
                try:
                    ready = await asyncio.to_thread(self._ready, time.time())
                except OSError as exc:
                    await self._wait_out("call_folder_unreadable", "cannot read the folder",
                                         exc)
                    await self._make_folders()
                    continue
                for found in ready:
                    try:
                        await self._take(found, offer)
                    except OSError as exc:  # unreadable, unmovable: tried again later
                        self._failing[found.json.name] = time.time()
                        self.counters["call_files_failed"] += 1
                        logger.warning("%s: %s could not be taken (%s); again later",
                                       self.name, found.json.name,
                                       exc.strerror or type(exc).__name__)
                await asyncio.sleep(self.poll_s)
        finally:
            self.connected = False

    async def _make_folders(self) -> None:
        """Make the inbox and the archive's folders, trying again every
        :data:`FOLDER_RETRY_S` while that fails (a mount not there yet, a folder the
        service account may not write: the log says which)."""
        while True:
            try:
                for folder in (self.inbox, self.audio_root, self.archive / "rejected",
                               self.archive / "duplicates"):
                    folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                await self._wait_out("call_folder_unusable", "cannot make its folders", exc)
                continue
            self.connected = True
            return

    async def _wait_out(self, counter: str, what: str, exc: OSError) -> None:
        """A folder problem: counted, logged as an error, and waited out."""
        self.connected = False
        self.counters[counter] += 1
        logger.error("%s: %s (%s); again in %.0f s", self.name, what, exc, FOLDER_RETRY_S)
        await asyncio.sleep(FOLDER_RETRY_S)

    # -- what is ready ------------------------------------------------------------------
    def _ready(self, now: float) -> list[_Found]:
        files: dict[str, list[Path]] = {}
        with os.scandir(self.inbox) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name.endswith((".tmp", ".part")) \
                        or not entry.is_file(follow_symlinks=False):
                    continue
                files.setdefault(Path(entry.name).stem, []).append(Path(entry.path))
        ready = []
        for paths in files.values():
            jsons = [p for p in paths if p.suffix.lower() == ".json"]
            audio = sorted(p for p in paths if audio_type(p.suffix))
            if not jsons:
                for orphan in audio:
                    if now - _mtime(orphan) > ORPHAN_S:
                        self.counters["call_audio_orphaned"] += 1
                        self._aside(orphan, "rejected", f"no call JSON named "
                                    f"{orphan.stem}.json beside it for {ORPHAN_S:.0f} s")
                continue
            json_path = jsons[0]
            if now - self._failing.get(json_path.name, 0.0) < 30.0:
                continue
            newest = max(_mtime(p) for p in [json_path, *audio])
            if now - newest < self.settle_s:
                continue
            if not audio and now - _mtime(json_path) < self.audio_wait_s:
                continue
            ready.append((_mtime(json_path), _Found(json_path, audio[0] if audio else None)))
        return [found for _, found in sorted(ready, key=lambda item: item[0])]

    # -- one call -----------------------------------------------------------------------
    async def _take(self, found: _Found, offer: Offer) -> None:
        size = found.json.stat().st_size
        text: str | None = None
        problem: str | None = None
        if size > MAX_CALL_JSON:
            problem = "too_large"
        else:
            try:
                text = found.json.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError:
                problem = "not_utf8"
        name = found.json.name
        try:
            call = read_call_file(encode_call_file(name, text, size=size,
                                                   problem=problem)).call
        except TerminalMessageError as exc:
            reason = f"{exc.reason}: {exc}"
            self.counters["call_files_rejected"] += 1
            logger.warning("%s: %s refused (%s)", self.name, name, reason)
            await self._journal(offer, encode_call_file(name, text, size=size,
                                                        problem=problem))
            self._aside(found.json, "rejected", reason)
            if found.audio is not None:
                self._aside(found.audio, "rejected", f"its call JSON {name} was refused: "
                            f"{reason}")
            return
        kept = await asyncio.to_thread(self._keep_audio, found, call)
        fresh = await self._journal(offer, encode_call_file(name, text, size=size,
                                                            audio=kept))
        if fresh:
            self.counters["call_files"] += 1
            self.counters["call_audio_kept" if kept else "call_audio_missing"] += 1
            _move(found.json, self.audio_root / archive_path(call, ".json"))
        else:
            self.counters["call_files_repeated"] += 1
            self._aside(found.json, "duplicates", "this call was journaled before")
        self._failing.pop(name, None)

    async def _journal(self, offer: Offer, payload: bytes) -> bool:
        """Offer the message and wait until it is on disk; whether it was new."""
        journaled: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await offer(SourceMessage(CALL_FILE_TOPIC, payload, time.time(), journaled))
        return await journaled

    def _keep_audio(self, found: _Found, call: RadioCall) -> KeptAudio | None:
        """Move the call's audio into the archive (under the call's own name); a
        recording of the same call kept before stays, and this one goes to duplicates/."""
        if found.audio is not None:
            target = self.audio_root / archive_path(call, found.audio.suffix)
            if target.exists():
                self._aside(found.audio, "duplicates",
                            f"a recording of this call is kept already as {target}")
            else:
                _move(found.audio, target)
            return _kept(self.audio_root, target)
        for suffix in AUDIO_TYPES:  # kept before the service stopped, not yet journaled
            target = self.audio_root / archive_path(call, suffix)
            if target.exists():
                return _kept(self.audio_root, target)
        return None

    def _aside(self, path: Path, folder: str, reason: str) -> None:
        """Move ``path`` to ``archive/<folder>/`` (a name of its own) with the reason."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = self.archive / folder / f"{stamp}-{path.name}"
        n = 1
        while target.exists():
            n += 1
            target = self.archive / folder / f"{stamp}-{n}-{path.name}"
        _move(path, target)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n",
                                                                 encoding="utf-8")
        logger.info("%s: %s moved to %s: %s", self.name, path.name, target, reason)


def _kept(root: Path, target: Path) -> KeptAudio:
    return KeptAudio(target.relative_to(root).as_posix(),
                     audio_type(target.suffix) or "application/octet-stream",
                     target.stat().st_size)


def _mtime(path: Path) -> float:
    with contextlib.suppress(OSError):
        return path.stat().st_mtime
    return time.time()


def _move(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:  # another file system: copied, then removed
            raise
        shutil.move(source, target)

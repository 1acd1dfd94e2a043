"""GB/T 28181 catalogues read safely: the Catalog responses of a file, their items.

A platform or device answers a catalogue query (``<Query><CmdType>Catalog``) with one or
more SIP MESSAGE bodies, each a ``<Response>`` holding ``CmdType`` ``Catalog``, ``SN``,
the answering ``DeviceID``, ``SumNum`` (items in the whole answer) and a ``DeviceList``
whose ``Num`` attribute counts the ``Item`` elements of this message. Each item is a
device, a camera channel, an administrative division (civil code), a business group or a
virtual organisation (GB/T 28181-2016 and -2022, appendix A: the catalogue schema).

Decisions
---------
- *Input*: the bytes of one or more files, each holding one response or several one after
  another, as exported or as captured: a message runs from its XML declaration (or its
  ``<Response>`` when it has none) to ``</Response>``, and whatever lies between messages
  (SIP request lines and headers, a query) is not read. ``<Response>``s of another
  ``CmdType`` (DeviceInfo …) are skipped with a note; a file without a Catalog response,
  or one that ends inside a message (cut off), is refused.
- *Encoding*, per message: declared GB2312, GBK or GB18030 is read as GB18030 (the
  superset devices really send), UTF-8 as UTF-8; when the bytes are not what the
  declaration says — a device declaring GB2312 and sending UTF-8 is common — they are read
  as what they are (valid UTF-8 first, else GB18030) with a note. Another declared encoding
  is used as declared. A whole file in UTF-16 (a text editor's "Unicode") is read as such.
- *Safety*: parsed with defusedxml, DTDs forbidden (a catalogue never has one; entity
  expansion — "billion laughs" — and external entities live there). At most
  :data:`MAX_CATALOG_BYTES` in all and :data:`MAX_ITEMS` items. Refusals name the file and
  line.
- *Leniency*: element names are matched without case (``<deviceID>``, ``<info>``) and
  without namespace; values are stripped. ``Password`` is dropped as it is read.
- *Repeats*: an item whose ``DeviceID`` came earlier replaces it (the later message is the
  newer state), noted. Fewer or more items than ``SumNum`` promised is noted per answer.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as StdElementTree
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException, DTDForbidden, EntitiesForbidden

from dispatch.errors import InvalidCatalog as InvalidCatalog  # re-exported
from dispatch.tabular import UnreadableText, decode_text
from runtime.text import utf16_codec

MAX_CATALOG_BYTES = 64 * 1024 * 1024
"""Bytes read in one import (all files together): a catalogue of 100,000 cameras is ~60 MB."""

MAX_ITEMS = 250_000
"""Items read in one import."""

ITEM_FIELDS = ("DeviceID", "Name", "Manufacturer", "Model", "Owner", "CivilCode", "Block",
               "Address", "Parental", "ParentID", "SafetyWay", "RegisterWay",
               "SecurityLevelCode", "CertNum", "Certifiable", "ErrCode", "EndTime", "Secrecy",
               "IPAddress", "Port", "Password", "Status", "Longitude", "Latitude",
               "BusinessGroupID", "Info", "Event")
"""Item elements of GB/T 28181-2016/2022, spelled as the standard does."""

INFO_FIELDS = ("PTZType", "PhotoelectricImagingType", "CapturePositionType", "PositionType",
               "RoomType", "UseType", "SupplyLightType", "DirectionType", "Resolution",
               "StreamNumberList", "DownloadSpeed", "SVCSpaceSupportMode",
               "SVCTimeSupportMode", "SSVCRatioSupportList", "MobileDeviceType",
               "HorizontalFieldAngle", "VerticalFieldAngle", "MaxViewDistance",
               "GrassrootsCode", "PointType", "PointCommonName", "MAC", "FunctionType",
               "EncodeType", "InstallTime", "ManagementUnit", "ContactInfo",
               "RecordSaveDays", "IndustrialClassification")
"""Elements of an item's ``Info`` (camera details; GB/T 28181-2022 added most)."""

SECRET_FIELDS = frozenset({"password"})
_CANONICAL: Mapping[str, str] = MappingProxyType(
    {name.lower(): name for name in (*ITEM_FIELDS, *INFO_FIELDS, "CmdType", "SN", "SumNum",
                                     "DeviceList", "Item", "Response")})
_GB = frozenset({"gb2312", "gbk", "gb18030", "cp936", "euccn", "xgbk", "936"})
_UTF8 = frozenset({"utf8", "usascii", "ascii"})
_NAMES = {"utf-8": "UTF-8", "gb18030": "GB18030", "utf-16": "UTF-16"}

_OPEN = re.compile(rb"<\s*Response\b", re.IGNORECASE)
_CLOSE = re.compile(rb"<\s*/\s*Response\s*>|<\s*Response\b[^<>]*/>", re.IGNORECASE)
_DECLARATION_START = re.compile(rb"<\?xml\b", re.IGNORECASE)
_DECLARED = re.compile(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([^"']{1,40})["']""",
                       re.IGNORECASE)
_DECLARATION_TEXT = re.compile(r"^\s*<\?xml\b[^>]*\?>", re.IGNORECASE)
_NOTES_PER_KIND = 20


@dataclass(frozen=True)
class CatalogMessage:
    """One Catalog response as read.

    Attributes
    ----------
    number : int
        1-based, over all files.
    source : str
        The file it came from.
    line : int
        The line of the file it starts on.
    sn : str
        Its ``SN`` (the query's serial number; "" when missing).
    device_id : str
        The answering device or platform (``DeviceID`` of the response).
    sum_num : int or None
        ``SumNum``: the items of the whole answer; None when missing or unreadable.
    items : int
        Items read from this message.
    encoding : str
        How its bytes were read (``utf-8``, ``gb18030``, ``utf-16`` or the declared one).
    """

    number: int
    source: str
    line: int
    sn: str
    device_id: str
    sum_num: int | None
    items: int
    encoding: str


@dataclass(frozen=True)
class CatalogItem:
    """One ``Item`` of a catalogue.

    Attributes
    ----------
    device_id : str
        Its ``DeviceID`` ("" when missing).
    fields : Mapping of str to str
        Its elements by standard name (unknown ones as written), stripped; not ``Info``
        and never ``Password``.
    info : Mapping of str to str
        The elements of its ``Info``.
    message : int
        The message it came in.
    position : int
        1-based, in its message.
    """

    device_id: str
    fields: Mapping[str, str]
    info: Mapping[str, str]
    message: int
    position: int

    @property
    def where(self) -> str:
        """``message 2, item 5``."""
        return f"message {self.message}, item {self.position}"

    @property
    def name(self) -> str:
        """Its ``Name`` ("" when missing)."""
        return self.fields.get("Name", "")


@dataclass
class CatalogDocument:
    """Every Catalog response of the input and their items.

    Attributes
    ----------
    messages : list of CatalogMessage
    items : list of CatalogItem
        One per ``DeviceID`` (a repeated one holds the latest content), in order of first
        appearance.
    notes : list of str
        What the reader noticed and went on past: encodings not as declared, responses
        that are not Catalog, counts not as promised, repeated items.
    """

    messages: list[CatalogMessage] = field(default_factory=list)
    items: list[CatalogItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_catalog(sources: Sequence[tuple[str, bytes]], *,
                 max_bytes: int = MAX_CATALOG_BYTES,
                 max_items: int = MAX_ITEMS) -> CatalogDocument:
    """Read the Catalog responses of one or more files (see the module docstring).

    Parameters
    ----------
    sources : sequence of (str, bytes)
        Each file's name (used in messages) and content.
    max_bytes : int, keyword-only
        The most bytes read in all.
    max_items : int, keyword-only
        The most items read in all.

    Returns
    -------
    CatalogDocument

    Raises
    ------
    InvalidCatalog
        Naming the file (and line): too large, empty, without a Catalog response, cut
        off, not well-formed, with a DTD or entity, in an unknown encoding or not text.
    """
    total = sum(len(data) for _, data in sources)
    if total > max_bytes:
        raise InvalidCatalog(f"the catalogue is {total:,} bytes; at most {max_bytes:,} are "
                             "read in one import (split it by message)")
    document = CatalogDocument()
    seen: dict[str, int] = {}
    responses = 0
    for label, data in sources:
        if not data.strip():
            raise InvalidCatalog(f"{label}: the file is empty")
        for line, text, encoding, note in _messages(label, data):
            responses += 1
            if note:
                document.notes.append(note)
            _read_message(document, seen, label, line, text, encoding)
            if len(seen) > max_items:
                raise InvalidCatalog(f"{label}: more than {max_items:,} items; import the "
                                     "catalogue in parts")
    if not document.messages:
        found = f"{responses} responses, none of them a Catalog" if responses else (
            "no <Response> element")
        names = ", ".join(label for label, _ in sources)
        raise InvalidCatalog(f"{names}: no GB/T 28181 Catalog response ({found}); expected "
                             "<Response><CmdType>Catalog</CmdType>…<DeviceList>…</Response>")
    _note_counts(document)
    return document


def _messages(label: str, data: bytes) -> Iterator[tuple[int, str, str, str | None]]:
    """Each ``<Response>`` of a file: its line, text, encoding and a note on the encoding."""
    forced = None
    if (utf16 := utf16_codec(data[:4096])) is not None:
        try:
            data = data.decode(utf16).removeprefix("\ufeff").encode("utf-8")
        except UnicodeDecodeError:
            raise InvalidCatalog(f"{label}: starts as UTF-16 text but is not valid UTF-16"
                                 ) from None
        forced = "utf-16"
    position = 0
    for close in _CLOSE.finditer(data):
        opening = _OPEN.search(data, position, close.end())
        if opening is None:
            raise InvalidCatalog(f"{label} line {_line(data, close.start())}: a </Response> "
                                 "without its <Response>")
        start = opening.start()
        for declaration in _DECLARATION_START.finditer(data, position, opening.start()):
            start = declaration.start()
        line = _line(data, start)
        chunk = data[start:close.end()]
        text, encoding, note = _decode(f"{label} line {line}", chunk, forced)
        yield line, text, encoding, note
        position = close.end()
    if _OPEN.search(data, position):
        raise InvalidCatalog(f"{label}: the file ends inside a message (after line "
                             f"{_line(data, position)} a <Response> has no </Response>): it "
                             "is cut off")


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(where: str, chunk: bytes, forced: str | None) -> tuple[str, str, str | None]:
    if forced is not None:
        return chunk.decode("utf-8"), forced, None
    match = _DECLARED.match(chunk)
    declared = match.group(1).decode("ascii", "replace") if match else None
    key = "".join(c for c in (declared or "").lower() if c.isalnum())
    if declared and key not in _GB and key not in _UTF8:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            raise InvalidCatalog(f"{where}: declares the encoding {declared!r}, which is not "
                                 "known; use UTF-8 or GB18030") from None
        try:
            return chunk.decode(codec), codec, None
        except UnicodeDecodeError as exc:
            raise InvalidCatalog(f"{where}: is not {declared} text as it declares (byte "
                                 f"{exc.start})") from None
    try:
        text, used = decode_text(chunk)
    except UnreadableText as exc:
        raise InvalidCatalog(f"{where}: {exc}") from None
    note = None
    if declared and not chunk.isascii():
        wrong = used != "gb18030" if key in _GB else used != "utf-8"
        if wrong:
            note = (f"{where}: declares {declared} but is {_NAMES.get(used, used)}; read as "
                    f"{_NAMES.get(used, used)}")
    return text, used, note


def _parse(label: str, line: int, text: str) -> StdElementTree.Element:
    where = f"{label} line {line}"
    body = _DECLARATION_TEXT.sub("", text.removeprefix("\ufeff"), count=1)
    try:
        root: StdElementTree.Element = ElementTree.fromstring(body, forbid_dtd=True)
    except DTDForbidden:
        raise InvalidCatalog(f"{where}: declares a DTD (<!DOCTYPE …>), which a GB/T 28181 "
                             "message never has and where entity expansion attacks "
                             "('billion laughs') hide; refused") from None
    except EntitiesForbidden:
        raise InvalidCatalog(f"{where}: declares entities; refused") from None
    except DefusedXmlException as exc:
        raise InvalidCatalog(f"{where}: refused ({type(exc).__name__})") from None
    except StdElementTree.ParseError as exc:
        offset, column = exc.position  # the declaration taken off held no line break
        reason = str(exc).split(":")[0]
        raise InvalidCatalog(f"{label} line {line + offset - 1}, column {column + 1}: not "
                             f"well-formed XML ({reason})") from None
    return root


def _name(tag: object) -> str:
    local = str(tag).rpartition("}")[2].strip()
    return _CANONICAL.get(local.lower(), local)


def _child(element: StdElementTree.Element, name: str) -> StdElementTree.Element | None:
    return next((c for c in element if _name(c.tag) == name), None)


def _text(element: StdElementTree.Element | None) -> str:
    return "" if element is None else "".join(element.itertext()).strip()


def _read_message(document: CatalogDocument, seen: dict[str, int], label: str, line: int,
                  text: str, encoding: str) -> None:
    where = f"{label} line {line}"
    root = _parse(label, line, text)
    command = _text(_child(root, "CmdType"))
    if command.lower() != "catalog":
        document.notes.append(f"{where}: a {command or 'untyped'} response, not a Catalog; "
                              "skipped")
        return
    number = len(document.messages) + 1
    sum_text = _text(_child(root, "SumNum"))
    sum_num = int(sum_text) if sum_text.isdigit() else None
    if sum_num is None:
        document.notes.append(f"message {number} ({where}): SumNum {sum_text!r} is not a "
                              "count")
    listing = _child(root, "DeviceList")
    elements = [] if listing is None else list(listing)
    items = 0
    for element in elements:
        if _name(element.tag) != "Item":
            document.notes.append(f"message {number}: <{_name(element.tag)}> in DeviceList "
                                  "is not an Item; skipped")
            continue
        items += 1
        item = _item(element, number, items)
        if item.device_id and item.device_id in seen:
            earlier = document.items[seen[item.device_id]]
            document.notes.append(f"DeviceID {item.device_id} is listed again ({item.where}; "
                                  f"first in {earlier.where}): the later item is used")
            document.items[seen[item.device_id]] = item
        else:
            if item.device_id:
                seen[item.device_id] = len(document.items)
            document.items.append(item)
    listed = listing.get("Num") if listing is not None else None
    if listed is not None and listed.strip() != str(items):
        document.notes.append(f"message {number}: DeviceList Num says {listed.strip()}, "
                              f"{items} items are in it")
    document.messages.append(CatalogMessage(
        number=number, source=label, line=line, sn=_text(_child(root, "SN")),
        device_id=_text(_child(root, "DeviceID")), sum_num=sum_num, items=items,
        encoding=encoding))


def _item(element: StdElementTree.Element, message: int, position: int) -> CatalogItem:
    fields: dict[str, str] = {}
    info: dict[str, str] = {}
    for child in element:
        name = _name(child.tag)
        if name.lower() in SECRET_FIELDS:
            continue
        if name == "Info":
            for detail in child:
                info.setdefault(_name(detail.tag), _text(detail))
            continue
        value = _text(child)
        if not fields.get(name):  # a repeated element: the first with a value
            fields[name] = value
    return CatalogItem(device_id=fields.get("DeviceID", ""), fields=fields, info=info,
                       message=message, position=position)


def _note_counts(document: CatalogDocument) -> None:
    """Items received per answer (answering DeviceID and SN) against its SumNum."""
    answers: dict[tuple[str, str], list[CatalogMessage]] = {}
    for message in document.messages:
        answers.setdefault((message.device_id, message.sn), []).append(message)
    for (device_id, sn), messages in answers.items():
        promised = {m.sum_num for m in messages if m.sum_num is not None}
        received = sum(m.items for m in messages)
        if len(promised) == 1 and (expected := promised.pop()) != received:
            missing = (f"{expected - received} missing (a message lost?)"
                       if received < expected else f"{received - expected} more than promised")
            document.notes.append(f"the answer of {device_id or '?'} (SN {sn or '?'}) "
                                  f"promises SumNum {expected}; {received} items arrived: "
                                  f"{missing}")
    repeated = [n for n in document.notes if n.startswith("DeviceID ")]
    if len(repeated) > _NOTES_PER_KIND:
        kept = set(repeated[:_NOTES_PER_KIND])
        document.notes[:] = [n for n in document.notes
                             if not n.startswith("DeviceID ") or n in kept]
        document.notes.append(f"… and {len(repeated) - _NOTES_PER_KIND} more repeated "
                              "DeviceIDs")

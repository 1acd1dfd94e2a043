"""GB/T 28181 Catalog responses written for the tests, as devices and platforms send them
(SIP MESSAGE bodies: ``<Response><CmdType>Catalog</CmdType>…``), with any encoding."""

from __future__ import annotations

from xml.sax.saxutils import escape

PLATFORM = "34020000002000000001"
"""The answering platform (type 200: a central signalling control server)."""


def camera_id(serial: int, *, type_code: str = "132", region: str = "34020000") -> str:
    """A 20-digit device ID in Anhui (34), network 0, with this serial."""
    return f"{region}00{type_code}0{serial:06d}"


def item(device_id: str, name: str = "", *, lon: float | str | None = None,
         lat: float | str | None = None, status: str | None = "ON",
         parent: str = PLATFORM, info: dict[str, str] | None = None,
         extra: dict[str, str] | None = None) -> str:
    """One ``<Item>``; coordinates left out when None, written as given otherwise."""
    parts = [f"<DeviceID>{device_id}</DeviceID>", f"<Name>{escape(name)}</Name>",
             "<Manufacturer>Hikvision</Manufacturer>", "<Model>DS-2CD</Model>",
             "<Owner>Owner</Owner>", "<CivilCode>340200</CivilCode>",
             f"<Address>{escape(name)} 路口</Address>", "<Parental>0</Parental>",
             f"<ParentID>{parent}</ParentID>", "<SafetyWay>0</SafetyWay>",
             "<RegisterWay>1</RegisterWay>", "<Secrecy>0</Secrecy>",
             "<IPAddress>192.0.2.10</IPAddress>", "<Port>5060</Port>",
             "<Password>s3cret-pass</Password>"]
    if status is not None:
        parts.append(f"<Status>{status}</Status>")
    if lon is not None:
        parts.append(f"<Longitude>{lon}</Longitude>")
    if lat is not None:
        parts.append(f"<Latitude>{lat}</Latitude>")
    for key, value in (extra or {}).items():
        parts.append(f"<{key}>{escape(value)}</{key}>")
    if info:
        parts.append("<Info>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in info.items())
                     + "</Info>")
    return "<Item>\n" + "\n".join(parts) + "\n</Item>"


def group(device_id: str, name: str) -> str:
    """An item that is not a camera (civil code, business group, virtual organisation)."""
    return (f"<Item><DeviceID>{device_id}</DeviceID><Name>{escape(name)}</Name>"
            f"<ParentID>{PLATFORM}</ParentID></Item>")


def response(items: list[str], *, sn: int = 17, sum_num: int | None = None,
             encoding: str | None = "UTF-8", device_id: str = PLATFORM) -> str:
    """One Catalog response holding ``items`` (``SumNum`` their count unless given)."""
    declaration = (f'<?xml version="1.0" encoding="{encoding}"?>\n' if encoding
                   else "")
    return (f"{declaration}<Response>\n<CmdType>Catalog</CmdType>\n<SN>{sn}</SN>\n"
            f"<DeviceID>{device_id}</DeviceID>\n"
            f"<SumNum>{len(items) if sum_num is None else sum_num}</SumNum>\n"
            f'<DeviceList Num="{len(items)}">\n' + "\n".join(items)
            + "\n</DeviceList>\n</Response>\n")


def split_responses(items: list[str], per_message: int, *, sn: int = 17,
                    encoding: str = "UTF-8") -> list[str]:
    """The answer as a platform sends a long catalogue: several messages, one SumNum."""
    return [response(items[i:i + per_message], sn=sn, sum_num=len(items), encoding=encoding)
            for i in range(0, len(items), per_message)]


def sip_message(body: str, *, cseq: int = 20) -> str:
    """``body`` as captured: a SIP MESSAGE request with its headers."""
    return (f"MESSAGE sip:{PLATFORM}@3402000000 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.64:5060;rport;branch=z9hG4bK759035473\r\n"
            f"From: <sip:{camera_id(2)}@3402000000>;tag=417631013\r\n"
            f"To: <sip:{PLATFORM}@3402000000>\r\nCall-ID: 438658409\r\n"
            f"CSeq: {cseq} MESSAGE\r\nContent-Type: Application/MANSCDP+xml\r\n"
            f"Max-Forwards: 70\r\nContent-Length: {len(body.encode())}\r\n\r\n{body}\r\n")

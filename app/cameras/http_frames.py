"""Still images over HTTP(S), fetched in Python so that the stream fence holds.

FFmpeg resolves host names itself and follows HTTP redirects without asking; here every
connection — the first one and each redirect — goes to an address the fence
(:mod:`app.cameras.fence`) checked right before connecting, and a redirect to a URL outside
the fence is refused (at most :data:`MAX_REDIRECTS`). Cameras answer a single image
(``image/jpeg``, or anything starting with a JPEG marker) or MJPEG
(``multipart/x-mixed-replace``), of which the first part is read. Credentials in the URL
are sent with basic or digest authentication when the camera asks, to that URL only.

Camera TLS certificates are not verified: cameras carry self-signed ones (FFmpeg did not
verify them either); what limits where the server connects is the fence.

Errors are the standard library's (:class:`urllib.error.HTTPError` for an HTTP error
answer, :class:`OSError` for the network, :class:`TimeoutError` at the deadline),
:class:`~app.cameras.fence.StreamRefused`, and :class:`NotAnImage`; the frame grabber
words them.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.request
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from app.cameras.fence import StreamFence, StreamRefused, Target, shown_url

MAX_REDIRECTS = 3
MAX_IMAGE_BYTES = 16 * 1024 * 1024
CHUNK = 65536


class NotAnImage(ValueError):
    """The answer is not a JPEG image or an MJPEG stream (or is too large, or ends early)."""


def fetch_image(target: Target, fence: StreamFence, *, timeout_s: float,
                deadline: float) -> bytes:
    """The encoded bytes of one image from an ``http``/``https`` target.

    ``timeout_s`` bounds each network wait; ``deadline`` (``time.monotonic()``) the whole
    fetch, checked between reads.
    """
    with _open(target, fence, timeout_s) as answer:
        kind = answer.headers.get_content_type()
        if kind.startswith("multipart/"):
            return _first_part(answer, str(answer.headers.get_param("boundary") or ""),
                               deadline)
        body = _read_all(answer, deadline)
    if not (kind.startswith("image/") or body.startswith(b"\xff\xd8")):
        raise NotAnImage(f"the answer is {kind}, not a JPEG image or an MJPEG stream")
    return body


def fetch_images(target: Target, fence: StreamFence, *, count: int, every_s: float,
                 timeout_s: float, deadline: float) -> list[tuple[float, bytes]]:
    """Up to ``count`` images about ``every_s`` apart, each with its ``time.monotonic()``:
    successive parts of one MJPEG answer (one connection), or one request per image from
    a camera that answers single JPEGs. Stops early at ``deadline`` or when the stream
    ends, returning what it has (at least one image, or the error)."""
    images: list[tuple[float, bytes]] = []
    with _open(target, fence, timeout_s) as answer:
        kind = answer.headers.get_content_type()
        if kind.startswith("multipart/"):
            boundary = str(answer.headers.get_param("boundary") or "")
            while len(images) < count:
                try:
                    data = _first_part(answer, boundary, deadline)
                except (NotAnImage, TimeoutError):
                    if images:
                        break
                    raise
                now = time.monotonic()
                if not images or now - images[-1][0] >= every_s:
                    images.append((now, data))
            return images
        body = _read_all(answer, deadline)
    if not (kind.startswith("image/") or body.startswith(b"\xff\xd8")):
        raise NotAnImage(f"the answer is {kind}, not a JPEG image or an MJPEG stream")
    images.append((time.monotonic(), body))
    while len(images) < count:
        pause = images[-1][0] + every_s - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        if time.monotonic() >= deadline:
            break
        images.append((time.monotonic(), fetch_image(target, fence, timeout_s=timeout_s,
                                                     deadline=deadline)))
    return images


def _open(target: Target, fence: StreamFence, timeout_s: float) -> Any:
    """The answer to a GET of ``target``, every connection fenced."""
    parts = urlsplit(target.url)
    plain = parts._replace(netloc=parts.netloc.rpartition("@")[2], fragment="").geturl()
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    if parts.username is not None:
        passwords.add_password(None, plain, unquote(parts.username),
                               unquote(parts.password or ""))
    opener = _opener(fence, passwords)
    request = urllib.request.Request(plain, headers={  # noqa: S310 (http/https handlers only)
        "User-Agent": "gridpatrol-snapshot", "Accept": "image/jpeg, multipart/x-mixed-replace"})
    return opener.open(request, timeout=timeout_s)


def _opener(fence: StreamFence, passwords: Any) -> urllib.request.OpenerDirector:
    def connect(host: str, port: int, timeout: float, source: Any) -> socket.socket:
        address = fence.addresses(host, port)[0]  # checked now, right before connecting
        sock = socket.create_connection((address, port), timeout, source)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    class FencedHTTP(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = connect(self.host, self.port, self.timeout, self.source_address)

    class FencedHTTPS(http.client.HTTPSConnection):
        def connect(self) -> None:
            sock = connect(self.host, self.port, self.timeout, self.source_address)
            self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
                sock, server_hostname=self.host)

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req: Any) -> Any:
            return self.do_open(FencedHTTP, req)

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # noqa: S323 (camera certificates are self-signed)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: Any) -> Any:
            return self.do_open(FencedHTTPS, req, context=context)

    class Redirects(urllib.request.HTTPRedirectHandler):
        max_redirections = MAX_REDIRECTS

        def http_error_302(self, req: Any, fp: Any, code: int, msg: str,
                           headers: Any) -> Any:
            location = headers.get("location") or headers.get("uri")
            if location:
                newurl = urljoin(req.full_url, location)
                try:
                    fence.check(newurl, schemes=("http", "https"))
                except StreamRefused as exc:
                    fp.close()
                    raise StreamRefused(exc.rule, f"redirected to {shown_url(newurl)}: "
                                        f"{exc.message}") from None
            return super().http_error_302(req, fp, code, msg, headers)

        http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    opener = urllib.request.OpenerDirector()
    for handler in (HTTPHandler(), HTTPSHandler(), Redirects(),
                    urllib.request.HTTPBasicAuthHandler(passwords),
                    urllib.request.HTTPDigestAuthHandler(passwords),
                    urllib.request.HTTPDefaultErrorHandler(),
                    urllib.request.HTTPErrorProcessor(), urllib.request.UnknownHandler()):
        opener.add_handler(handler)
    return opener


def _in_time(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise TimeoutError("no image before the deadline")


def _read_all(answer: Any, deadline: float) -> bytes:
    chunks, size = [], 0
    while chunk := answer.read(CHUNK):
        size += len(chunk)
        if size > MAX_IMAGE_BYTES:
            raise NotAnImage(f"the image is larger than {MAX_IMAGE_BYTES} bytes")
        chunks.append(chunk)
        _in_time(deadline)
    return b"".join(chunks)


def _first_part(answer: Any, boundary: str, deadline: float) -> bytes:
    """The body of the first part of a multipart stream (MJPEG)."""
    marker = boundary.strip('"').lstrip("-").encode("latin-1")
    if not marker:
        raise NotAnImage("the multipart answer names no boundary")

    def line() -> bytes:
        _in_time(deadline)
        return answer.readline(8192)  # type: ignore[no-any-return]

    for _ in range(64):
        text = line()
        if not text:
            raise NotAnImage("the stream ended before its first part")
        if text.strip().lstrip(b"-") == marker:
            break
    else:
        raise NotAnImage("no part boundary at the start of the stream")
    length = None
    for _ in range(64):
        text = line()
        if text.strip() == b"":
            break
        name, _, value = text.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length" and value.strip().isdigit():
            length = int(value.strip())
    if length is not None:
        if length > MAX_IMAGE_BYTES:
            raise NotAnImage(f"the image is larger than {MAX_IMAGE_BYTES} bytes")
        data = b""
        while len(data) < length:
            chunk = answer.read(min(CHUNK, length - len(data)))
            if not chunk:
                raise NotAnImage("the stream ended inside its first image")
            data += chunk
            _in_time(deadline)
        return data
    data = b""
    while (next_part := data.find(b"--" + marker)) < 0:  # no length: up to the boundary
        chunk = answer.read(CHUNK)
        if not chunk or len(data) > MAX_IMAGE_BYTES:
            raise NotAnImage("the first part does not end")
        data += chunk
        _in_time(deadline)
    return data[:max(0, data.rfind(b"\n", 0, next_part))].rstrip(b"\r")

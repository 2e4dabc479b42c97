#!/usr/bin/python3
"""Modbus slaves for the fault tests, written with the standard library and pyserial only: several
unit ids, each answering FC3/FC4 well or misbehaving in one chosen way. Either an RTU line on a
serial port (a socat pty end) or a Modbus TCP gateway with those units behind it.

Usage: modbus_faulty.py (--path DEV [--baud N] | --tcp PORT) --unit ID=MODE [--unit ID=MODE ...]
  MODE: ok | badcrc (RTU: a full answer whose CRC is wrong) | stall (half an answer, then silence)
        | garbage (bytes that are no frame at all) | wrongunit (a valid answer from unit ID + 1)
        | silent (no answer)
Register a of unit u holds (u * 1000 + a) & 0xffff.
Prints READY once it serves, then one line per request it received, addressed to one of its
units: "REQ <unit> <fc> <start> <count> <monotonic ms>" (TCP: and "CONN" per accepted
connection). SIGUSR1 turns every unit to ok (prints HEALED). RTU: when the port goes away (socat
killed) it prints LOST and reopens the same path until it is back (prints REOPENED), like a device
that was power-cycled with the cable.
"""
import argparse
import signal
import socket
import sys
import threading
import time

import serial

GARBAGE = b"\xff\xfe this is no modbus frame \xaa\x55"


def crc16(data: bytes) -> int:
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(body: bytes) -> bytes:
    return body + crc16(body).to_bytes(2, "little")


def pdu(fc: int, start: int, count: int, unit: int) -> bytes:
    if fc not in (3, 4):
        return bytes([fc | 0x80, 1])
    if count < 1 or count > 125 or start + count > 1000:
        return bytes([fc | 0x80, 2])
    data = b"".join(((unit * 1000 + a) & 0xFFFF).to_bytes(2, "big") for a in range(start, start + count))
    return bytes([fc, len(data)]) + data


def misbehave(mode: str, ok: bytes):
    if mode == "ok":
        return ok
    if mode == "badcrc":
        return ok[:-1] + bytes([ok[-1] ^ 0xFF])
    if mode == "stall":
        return ok[: max(3, len(ok) // 2)]
    if mode == "garbage":
        return GARBAGE
    if mode == "wrongunit":
        return ok  # the caller built it for another unit id
    return None  # silent


def open_port(path: str, baud: int) -> serial.Serial:
    while True:
        try:
            return serial.Serial(path, baudrate=baud, bytesize=8, parity="N", stopbits=1, timeout=0.01)
        except (serial.SerialException, OSError):
            time.sleep(0.05)


def log_request(unit: int, fc: int, start: int, count: int) -> None:
    print(f"REQ {unit} {fc} {start} {count} {time.monotonic() * 1000:.1f}", flush=True)


def recv_exact(conn: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def serve_tcp_connection(conn: socket.socket, modes: dict) -> None:
    with conn:
        try:
            while True:
                head = recv_exact(conn, 7)  # transaction id, protocol id, length, unit id
                body = recv_exact(conn, int.from_bytes(head[4:6], "big") - 1)
                unit, fc = head[6], body[0]
                if unit not in modes or len(body) < 5:
                    continue
                start, count = int.from_bytes(body[1:3], "big"), int.from_bytes(body[3:5], "big")
                log_request(unit, fc, start, count)
                p = pdu(fc, start, count, unit)
                echo = (unit + 1) & 0xFF if modes[unit] == "wrongunit" else unit
                ok = head[0:4] + (len(p) + 1).to_bytes(2, "big") + bytes([echo]) + p
                out = misbehave(modes[unit], ok)
                if out:
                    conn.sendall(out)
        except (ConnectionError, OSError):
            pass


def serve_tcp(port: int, modes: dict) -> None:
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    print("READY", flush=True)
    while True:
        conn, _ = srv.accept()
        print("CONN", flush=True)
        threading.Thread(target=serve_tcp_connection, args=(conn, modes), daemon=True).start()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--path")
    ap.add_argument("--tcp", type=int)
    ap.add_argument("--baud", type=int, default=38400)
    ap.add_argument("--unit", action="append", required=True)
    a = ap.parse_args()
    modes = {int(u): m for u, m in (x.split("=") for x in a.unit)}

    def heal(_sig, _frm):
        for u in modes:
            modes[u] = "ok"
        print("HEALED", flush=True)

    signal.signal(signal.SIGUSR1, heal)
    if a.tcp:
        if "badcrc" in modes.values():
            ap.error("badcrc is an RTU fault")
        serve_tcp(a.tcp, modes)
        return 0
    port = open_port(a.path, a.baud)
    print("READY", flush=True)
    buf = b""
    while True:
        try:
            chunk = port.read(port.in_waiting or 1)
        except (serial.SerialException, OSError):
            print("LOST", flush=True)
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass
            time.sleep(0.05)
            port = open_port(a.path, a.baud)
            buf = b""
            print("REOPENED", flush=True)
            continue
        buf += chunk
        # requests for FC1..4 are 8 bytes; resynchronise byte by byte on anything else
        while len(buf) >= 8:
            frame = buf[:8]
            if crc16(frame[:6]) != int.from_bytes(frame[6:8], "little"):
                buf = buf[1:]
                continue
            buf = buf[8:]
            unit, fc = frame[0], frame[1]
            if unit not in modes:
                continue  # another slave's request on a shared line
            start, count = int.from_bytes(frame[2:4], "big"), int.from_bytes(frame[4:6], "big")
            log_request(unit, fc, start, count)
            echo = (unit + 1) & 0xFF if modes[unit] == "wrongunit" else unit
            out = misbehave(modes[unit], with_crc(bytes([echo]) + pdu(fc, start, count, unit)))
            if out:
                try:
                    port.write(out)
                except (serial.SerialException, OSError):
                    pass  # the read above notices the loss
    return 0


if __name__ == "__main__":
    sys.exit(main())

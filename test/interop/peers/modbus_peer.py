#!/usr/bin/python3
"""A pymodbus server (Debian's python3-pymodbus) that serves known values of every register type
in every byte/word order, encoded here with Python's struct, independently of the gateway's codec.

Usage: modbus_peer.py --tcp PORT | --rtu DEVICE [--baud N]
Prints one JSON line (the register map with the expected values), then READY when it serves.
Unit 1 and unit 2 are served; unit 2 has every value negated/changed so a mix-up shows.
"""
import argparse
import json
import logging
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartSerialServer, StartTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer

ORDERS = ["ABCD", "CDAB", "BADC", "DCBA"]
FMT = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "float32": ">f",
       "int64": ">q", "uint64": ">Q", "float64": ">d"}


def arrange(big_endian: bytes, order: str) -> list:
    """Big-endian value bytes -> register words in the given wire order."""
    words = [big_endian[i:i + 2] for i in range(0, len(big_endian), 2)]
    if order in ("CDAB", "DCBA"):
        words = words[::-1]
    if order in ("BADC", "DCBA"):
        words = [w[::-1] for w in words]
    return [int.from_bytes(w, "big") for w in words]


def table(unit: int):
    s = 1 if unit == 1 else -1
    return [
        ("int16", -12345 * s), ("uint16", 54321 if s > 0 else 1234), ("int32", -2000000000 * s),
        ("uint32", 4000000000 if s > 0 else 17), ("float32", 123.456 * s), ("float64", -9876.54321 * s),
        # 64-bit: unit 1 within 2^53 (int64) and just beyond (uint64 2^53+1); unit 2 at the extremes
        ("int64", -4503599627370495 if s > 0 else -(2 ** 63)), ("uint64", 9007199254740993 if s > 0 else 2 ** 64 - 1),
    ]


def exact(value):
    """Integers a double cannot hold (beyond 2^53 - 1) travel as their decimal string, as the gateway delivers them."""
    return str(value) if isinstance(value, int) and abs(value) > 2 ** 53 - 1 else value


def build(unit: int):
    regs = [0] * 100  # ends at 99: a tag at 100 is an illegal address
    tags = []
    addr = 0
    for typ, value in table(unit):
        for order in ORDERS:
            be = struct.pack(FMT[typ], value)
            words = arrange(be, order)
            regs[addr:addr + len(words)] = words
            expected = struct.unpack(FMT[typ], be)[0]
            tags.append({"name": f"u{unit}_{typ}_{order}", "unitId": unit, "address": addr, "type": typ,
                         "order": order, "expected": exact(expected)})
            addr += len(words)
    # string(4) in both byte orders
    text = b"PUMP-01" if unit == 1 else b"FAN-2"
    padded = text.ljust(8, b"\0")
    for order in ("ABCD", "BADC"):
        words = [int.from_bytes(padded[i:i + 2] if order == "ABCD" else padded[i:i + 2][::-1], "big") for i in range(0, 8, 2)]
        regs[addr:addr + 4] = words
        tags.append({"name": f"u{unit}_string_{order}", "unitId": unit, "address": addr, "type": "string", "length": 4,
                     "order": order, "expected": text.decode()})
        addr += 4
    # bits of one status word
    word = 0b1010000000000101 if unit == 1 else 0b0000000000000010
    regs[addr] = word
    for bit in (0, 1, 2, 15):
        tags.append({"name": f"u{unit}_bit{bit}", "unitId": unit, "address": addr, "type": "bit", "bit": bit,
                     "order": "ABCD", "expected": bool(word >> bit & 1)})
    addr += 1
    coils = [(i % 3 == 0) == (unit == 1) for i in range(64)]
    discrete = [(i % 5 == 1) for i in range(64)]
    for i in (0, 1, 2, 3, 17, 63):
        tags.append({"name": f"u{unit}_coil{i}", "unitId": unit, "area": "coil", "address": i, "type": "bool", "expected": coils[i]})
        tags.append({"name": f"u{unit}_di{i}", "unitId": unit, "area": "discrete", "address": i, "type": "bool", "expected": discrete[i]})
    inputs = [1000 + i for i in range(50)]
    for i in (0, 7, 49):
        tags.append({"name": f"u{unit}_in{i}", "unitId": unit, "area": "input", "address": i, "type": "uint16", "expected": inputs[i]})
    slave = ModbusSlaveContext(
        di=ModbusSequentialDataBlock(0, discrete), co=ModbusSequentialDataBlock(0, coils),
        hr=ModbusSequentialDataBlock(0, regs), ir=ModbusSequentialDataBlock(0, inputs), zero_mode=True)
    return slave, tags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcp", type=int)
    ap.add_argument("--rtu")
    ap.add_argument("--baud", type=int, default=38400)
    a = ap.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    s1, t1 = build(1)
    s2, t2 = build(2)
    context = ModbusServerContext(slaves={1: s1, 2: s2}, single=False)
    print(json.dumps({"holdingSize": 100, "tags": t1 + t2}), flush=True)
    print("READY", flush=True)
    if a.tcp:
        StartTcpServer(context=context, address=("127.0.0.1", a.tcp), framer=ModbusSocketFramer, allow_reuse_address=True)
    else:
        StartSerialServer(context=context, framer=ModbusRtuFramer, port=a.rtu, baudrate=a.baud, bytesize=8, parity="N", stopbits=1, timeout=0.05)


if __name__ == "__main__":
    sys.exit(main())

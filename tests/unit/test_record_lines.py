"""Records survive the trip through a journal line, whatever their text holds."""

from __future__ import annotations

import orjson

from predledger.ingest.records import decode_lines, encode_line, parsed_inputs, plain_record


def _record(inputs: object, n: int = 0) -> dict[str, object]:
    return {"k": "p", "id": f"id-{n}", "ts": n, "model": "m\x1e\n", "inputs": inputs}


def test_inputs_come_back_as_the_same_json_bytes_and_values():
    awkward = {"note": "tab\tnew\nline\x1esep \u00e9\u4e2d", "x": 1.5, "nested": [1, None]}
    lines = b"".join(encode_line(_record(awkward, n)) for n in range(3))
    lines += encode_line({"k": "p", "id": "no-inputs", "ts": 9, "model": "m"})

    records, corrupt = decode_lines(lines)

    assert corrupt == 0
    assert [r["id"] for r in records] == ["id-0", "id-1", "id-2", "no-inputs"]
    assert records[0]["model"] == "m\x1e\n"
    assert type(records[0]["inputs"]) is bytes
    assert orjson.loads(records[0]["inputs"]) == awkward
    assert "inputs" not in records[3]
    assert plain_record(records[0])["inputs"] == awkward
    assert parsed_inputs(records[0]) == awkward


def test_encoding_leaves_the_inputs_as_json_bytes_and_reencodes_them_unchanged():
    record = _record({"a": 1})
    first = encode_line(record)
    assert record["inputs"] == b'{"a":1}'
    assert encode_line(record) == first


def test_lines_journaled_before_read_back_the_same():
    # Written by the encoder of every earlier version: the line format has not changed.
    line = (
        b'{"k":"p","model":"m","version":"1","prediction_type":"features","status":"success",'
        b'"label":"stay","probability":0.25,"id":"0190a0b1-c2d3-7e4f-8a5b-6c7d8e9fa0b1",'
        b'"ts":1719000000123456}\x1e{"tenure":12,"note":"caf\xc3\xa9 \\t"}\n'
    )

    (record,), corrupt = decode_lines(line)

    assert corrupt == 0
    assert parsed_inputs(record) == {"tenure": 12, "note": "caf\u00e9 \t"}
    assert (record["id"], record["ts"], record["probability"]) == (
        "0190a0b1-c2d3-7e4f-8a5b-6c7d8e9fa0b1",
        1719000000123456,
        0.25,
    )
    assert encode_line(record) == line


def test_torn_and_foreign_lines_are_counted_not_returned():
    good = encode_line(_record({"a": 1}, 1))
    missing_inputs = encode_line(_record({"a": 3}, 3)).split(b"\x1e")[0] + b"\x1e\n"
    not_utf8 = encode_line(_record({"a": 4}, 4)).replace(b'"a"', b'"\xff"')
    no_inputs = encode_line({"k": "p", "id": "id-5", "ts": 5})
    two_on_one_line = no_inputs.rstrip(b"\n") + b"," + no_inputs
    foreign = b"not json\n" + missing_inputs + b"[1,2]\n" + not_utf8 + two_on_one_line
    records, corrupt = decode_lines(good + foreign + good)
    assert [r["id"] for r in records] == ["id-1", "id-1"]
    assert corrupt == 5

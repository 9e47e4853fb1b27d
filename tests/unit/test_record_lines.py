"""Records survive the trip through a journal line, whatever their text holds."""

from __future__ import annotations

import orjson

from predledger.ingest.records import JsonText, decode_lines, encode_line, plain_record


def _record(inputs: object, n: int = 0) -> dict[str, object]:
    return {"k": "p", "id": f"id-{n}", "ts": n, "model": "m\x1e\n", "inputs": inputs}


def test_inputs_come_back_as_the_same_json_text_and_values():
    awkward = {"note": "tab\tnew\nline\x1esep \u00e9\u4e2d", "x": 1.5, "nested": [1, None]}
    lines = b"".join(encode_line(_record(awkward, n)) for n in range(3))
    lines += encode_line({"k": "p", "id": "no-inputs", "ts": 9, "model": "m"})

    records, corrupt = decode_lines(lines)

    assert corrupt == 0
    assert [r["id"] for r in records] == ["id-0", "id-1", "id-2", "no-inputs"]
    assert records[0]["model"] == "m\x1e\n"
    assert type(records[0]["inputs"]) is JsonText
    assert orjson.loads(records[0]["inputs"].encode()) == awkward
    assert "inputs" not in records[3]
    assert plain_record(records[0])["inputs"] == awkward


def test_encoding_leaves_the_inputs_as_json_text_and_reencodes_them_unchanged():
    record = _record({"a": 1})
    first = encode_line(record)
    assert record["inputs"] == JsonText('{"a":1}')
    assert encode_line(record) == first


def test_torn_and_foreign_lines_are_counted_not_returned():
    good = encode_line(_record({"a": 1}, 1))
    missing_inputs = encode_line(_record({"a": 3}, 3)).split(b"\x1e")[0] + b"\x1e\n"
    records, corrupt = decode_lines(good + b"not json\n" + missing_inputs + b"[1,2]\n" + good)
    assert [r["id"] for r in records] == ["id-1", "id-1"]
    assert corrupt == 3

"""Reading a dataset file (JSONL): a bad line is one DatasetError naming its line, whatever is wrong with it."""

import json

import pytest

from salesrl.agent.dataset import iter_dataset, read_dataset
from salesrl.agent.errors import DatasetError

CALL = {"id": "c1", "outcome": 1, "turns": [{"speaker": "Ana", "role": "rep", "text": "Hi Ben."},
                                             {"speaker": "Ben", "role": "prospect", "text": "Send the order form."}]}


def test_a_file_in_utf16_is_a_dataset_error_naming_its_first_line(tmp_path):
    path = tmp_path / "calls.jsonl"
    path.write_bytes(json.dumps(CALL).encode("utf-16"))
    with pytest.raises(DatasetError, match=r"calls.jsonl:1: not UTF-8 text"):
        read_dataset(path)


def test_a_binary_line_in_the_middle_names_that_line(tmp_path):
    path = tmp_path / "calls.jsonl"
    line = json.dumps(CALL).encode()
    path.write_bytes(line + b"\n" + line + b"\n\xff\xfe\x00garbage\n" + line + b"\n")
    with pytest.raises(DatasetError, match=r"calls.jsonl:3: not UTF-8 text"):
        list(iter_dataset(path))


def test_a_byte_order_mark_and_windows_line_ends_are_read(tmp_path):
    path = tmp_path / "calls.jsonl"
    line = json.dumps(CALL, ensure_ascii=False)
    path.write_bytes(("\ufeff" + line + "\r\n" + line.replace("c1", "c2") + "\r\n").encode("utf-8"))
    assert [c.id for c in read_dataset(path)] == ["c1", "c2"]


def test_a_line_that_is_not_json_says_what_a_dataset_is(tmp_path):
    path = tmp_path / "call.json"
    path.write_text(json.dumps([{"speaker": "Ana", "text": "Hi"}], indent=2))  # one transcript, not JSONL
    with pytest.raises(DatasetError, match=r"call.json:1: not valid JSON .*one JSON conversation per line"):
        read_dataset(path)


def test_a_directory_cannot_be_opened(tmp_path):
    with pytest.raises(DatasetError, match="cannot open"):
        read_dataset(tmp_path)

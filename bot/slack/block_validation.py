"""Checks a rendered Block Kit message or view against Slack's limits before it is sent.

slack-sdk's block models check most field limits, but only when `to_dict()` is called, and never the
number of blocks; Slack itself answers `invalid_blocks` with no hint of which field was wrong. This
module checks both (slack-sdk's models and the limits below) and names the offending path.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MESSAGE_TEXT_MAX = 40_000  # chat.postMessage truncates `text` beyond this
TEXT_OBJECT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTIONS_MAX = 100
PLACEHOLDER_MAX = 150
INPUT_LABEL_MAX = 2000
PLAIN_TEXT_INPUT_MAX = 3000
ID_MAX = 255  # block_id, action_id, callback_id
VIEW_TITLE_MAX = 24
PRIVATE_METADATA_MAX = 3000
IMAGE_ALT_TEXT_MAX = 2000
FILE_INPUT_MAX_FILES = 10

KNOWN_BLOCKS = {"section", "divider", "header", "context", "actions", "image", "input", "rich_text", "markdown"}


class BlockKitError(Exception):
    """A template rendered something Slack would refuse. A bug in a template, not the user's doing."""


def validate_message(message: dict[str, Any]) -> None:
    """A chat.postMessage / postEphemeral / response_url body: `text` plus at most 50 blocks."""
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BlockKitError("text: a message needs a non-empty fallback text for notifications")
    if len(text) > MESSAGE_TEXT_MAX:
        raise BlockKitError(f"text: {len(text)} characters, Slack keeps {MESSAGE_TEXT_MAX}")
    blocks = message.get("blocks", [])
    _check_blocks(blocks, MESSAGE_MAX_BLOCKS, "blocks")


def validate_view(view: dict[str, Any]) -> None:
    """A modal or Home tab view: at most 100 blocks, short title, bounded metadata."""
    kind = view.get("type")
    if kind not in ("modal", "home"):
        raise BlockKitError(f"type: a view is a modal or home, not {kind!r}")
    if kind == "modal":
        _text(view.get("title"), "title", VIEW_TITLE_MAX, plain_only=True, required=True)
        for key in ("submit", "close"):
            if key in view:
                _text(view[key], key, VIEW_TITLE_MAX, plain_only=True, required=True)
    for key in ("callback_id", "external_id"):
        if key in view:
            _length(view[key], key, ID_MAX)
    if "private_metadata" in view:
        _length(view["private_metadata"], "private_metadata", PRIVATE_METADATA_MAX)
    _check_blocks(view.get("blocks", []), VIEW_MAX_BLOCKS, "blocks")
    try:
        View(**view).to_dict()
    except (SlackObjectFormationError, TypeError) as e:
        raise BlockKitError(f"view: {e}") from e


def _check_blocks(blocks: Any, max_blocks: int, path: str) -> None:
    if not isinstance(blocks, list):
        raise BlockKitError(f"{path}: a list of blocks expected")
    if len(blocks) > max_blocks:
        raise BlockKitError(f"{path}: {len(blocks)} blocks, Slack accepts at most {max_blocks}")
    for i, block in enumerate(blocks):
        _check_block(block, f"{path}[{i}]")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        raise BlockKitError(f"{path}: duplicate block_id")
    try:
        for b in Block.parse_all(blocks):
            if b is not None:
                b.to_dict()
    except (SlackObjectFormationError, TypeError) as e:
        raise BlockKitError(f"{path}: {e}") from e


def _check_block(block: Any, path: str) -> None:
    if not isinstance(block, dict):
        raise BlockKitError(f"{path}: a block must be an object")
    kind = block.get("type")
    if kind not in KNOWN_BLOCKS:
        raise BlockKitError(f"{path}: unknown block type {kind!r}")
    if "block_id" in block:
        _length(block["block_id"], f"{path}.block_id", ID_MAX)
    if kind == "section":
        if "text" not in block and "fields" not in block:
            raise BlockKitError(f"{path}: a section needs text or fields")
        if "text" in block:
            _text(block["text"], f"{path}.text", TEXT_OBJECT_MAX)
        fields = block.get("fields", [])
        if len(fields) > SECTION_FIELDS_MAX:
            raise BlockKitError(f"{path}.fields: {len(fields)} fields, at most {SECTION_FIELDS_MAX}")
        for j, f in enumerate(fields):
            _text(f, f"{path}.fields[{j}]", SECTION_FIELD_TEXT_MAX)
        if "accessory" in block:
            _check_element(block["accessory"], f"{path}.accessory")
    elif kind == "header":
        _text(block.get("text"), f"{path}.text", HEADER_TEXT_MAX, plain_only=True, required=True)
    elif kind == "context":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= CONTEXT_ELEMENTS_MAX:
            raise BlockKitError(f"{path}.elements: {len(elements)} elements, 1 to {CONTEXT_ELEMENTS_MAX}")
        for j, e in enumerate(elements):
            if e.get("type") == "image":
                _length(e.get("alt_text", ""), f"{path}.elements[{j}].alt_text", IMAGE_ALT_TEXT_MAX, required=True)
            else:
                _text(e, f"{path}.elements[{j}]", TEXT_OBJECT_MAX)
    elif kind == "actions":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= ACTIONS_ELEMENTS_MAX:
            raise BlockKitError(f"{path}.elements: {len(elements)} elements, 1 to {ACTIONS_ELEMENTS_MAX}")
        for j, e in enumerate(elements):
            _check_element(e, f"{path}.elements[{j}]")
    elif kind == "image":
        _length(block.get("alt_text", ""), f"{path}.alt_text", IMAGE_ALT_TEXT_MAX, required=True)
    elif kind == "input":
        _text(block.get("label"), f"{path}.label", INPUT_LABEL_MAX, plain_only=True, required=True)
        if "hint" in block:
            _text(block["hint"], f"{path}.hint", INPUT_LABEL_MAX, plain_only=True)
        _check_element(block.get("element"), f"{path}.element")


def _check_element(element: Any, path: str) -> None:
    if not isinstance(element, dict):
        raise BlockKitError(f"{path}: an element must be an object")
    kind = element.get("type")
    if "action_id" in element:
        _length(element["action_id"], f"{path}.action_id", ID_MAX)
    if "placeholder" in element:
        _text(element["placeholder"], f"{path}.placeholder", PLACEHOLDER_MAX, plain_only=True)
    if kind == "button":
        _text(element.get("text"), f"{path}.text", BUTTON_TEXT_MAX, plain_only=True, required=True)
    elif kind == "plain_text_input":
        limit = element.get("max_length", PLAIN_TEXT_INPUT_MAX)
        if not isinstance(limit, int) or not 1 <= limit <= PLAIN_TEXT_INPUT_MAX:
            raise BlockKitError(f"{path}.max_length: 1 to {PLAIN_TEXT_INPUT_MAX}")
        if "initial_value" in element:
            _length(element["initial_value"], f"{path}.initial_value", limit)
    elif kind == "static_select":
        options = element.get("options", [])
        if not 1 <= len(options) <= OPTIONS_MAX:
            raise BlockKitError(f"{path}.options: {len(options)} options, 1 to {OPTIONS_MAX}")
        for j, o in enumerate(options):
            _option(o, f"{path}.options[{j}]")
        if "initial_option" in element:
            _option(element["initial_option"], f"{path}.initial_option")
    elif kind == "file_input":
        if not 1 <= int(element.get("max_files", 10)) <= FILE_INPUT_MAX_FILES:
            raise BlockKitError(f"{path}.max_files: 1 to {FILE_INPUT_MAX_FILES}")
    elif kind == "image":
        _length(element.get("alt_text", ""), f"{path}.alt_text", IMAGE_ALT_TEXT_MAX, required=True)


def _option(option: Any, path: str) -> None:
    if not isinstance(option, dict):
        raise BlockKitError(f"{path}: an option must be an object")
    _text(option.get("text"), f"{path}.text", OPTION_TEXT_MAX, plain_only=True, required=True)
    _length(option.get("value", ""), f"{path}.value", OPTION_VALUE_MAX, required=True)


def _text(obj: Any, path: str, limit: int, *, plain_only: bool = False, required: bool = True) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        raise BlockKitError(f"{path}: a text object (plain_text or mrkdwn) expected")
    if plain_only and obj["type"] != "plain_text":
        raise BlockKitError(f"{path}: must be plain_text")
    _length(obj.get("text"), f"{path}.text", limit, required=required)


def _length(value: Any, path: str, limit: int, *, required: bool = False) -> None:
    if not isinstance(value, str):
        raise BlockKitError(f"{path}: a string expected")
    if required and not value.strip():
        raise BlockKitError(f"{path}: must not be empty")
    if len(value) > limit:
        raise BlockKitError(f"{path}: {len(value)} characters, at most {limit}")

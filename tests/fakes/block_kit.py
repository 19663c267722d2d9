"""What Slack's chat.postMessage accepts as `blocks` and `text`, for the fake Slack Web API
server and the render tests.

Covers the block types and elements paperbell sends (header, section, context, divider,
actions with buttons; in modals also input with a conversations_select) with Slack's
documented limits; any other block or element type is refused, as Slack refuses types it
does not know, so a new one must be added here first. `validate_modal` checks what
views.open accepts as a modal view.
Errors carry Slack's error code (`invalid_blocks`, `invalid_blocks_format`, `msg_too_long`,
`no_text`) and its messages, such as
"must be less than 151 characters [json-pointer:/blocks/0/text/text]".
Lengths count UTF-16 units, at least as strict as however Slack counts.
Self-contained on purpose: fakes must not import the code they check.
"""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = 50
MAX_MESSAGE_TEXT = 40000
HEADER_TEXT = 150
TEXT_OBJECT = 3000
SECTION_FIELD = 2000
SECTION_FIELDS = 10
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
BUTTON_URL = 3000
ID_LENGTH = 255  # block_id and action_id
MAX_VIEW_BLOCKS = 100
VIEW_TITLE = 24  # a modal's title, submit and close texts
PRIVATE_METADATA = 3000
INPUT_LABEL = 2000
PLACEHOLDER = 150
CONVERSATION_KINDS = frozenset({"im", "mpim", "private", "public"})


class BlockKitError(ValueError):
    """Slack's `{"ok": false, "error": ..., "errors": [...]}` answer."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        self.error = error
        self.messages = messages or []
        super().__init__(f"{error}: {'; '.join(self.messages)}" if self.messages else error)


def validate_blocks(
    blocks: object, text: str | None = None, *, max_blocks: int = MAX_BLOCKS
) -> None:
    """Raise what Slack would answer chat.postMessage with these `blocks` and `text`;
    a Home tab view may hold `max_blocks=100`."""
    if text is not None and utf16_len(text) > MAX_MESSAGE_TEXT:
        raise BlockKitError("msg_too_long")
    if blocks is None or blocks == []:
        if not text:
            raise BlockKitError("no_text")
        return
    if not isinstance(blocks, list):
        raise BlockKitError("invalid_blocks_format")
    checker = _Checker(max_blocks)
    checker.blocks(blocks)
    if checker.errors:
        raise BlockKitError("invalid_blocks", checker.errors)


def validate_modal(view: object) -> None:
    """Raise what Slack would answer views.open with this `view`: `invalid_arguments`, its
    messages pointing inside the view (`[json-pointer:/view/title/text]`)."""
    checker = _Checker(MAX_VIEW_BLOCKS, surface="modal")
    checker.modal(view, "/view")
    if checker.errors:
        raise BlockKitError("invalid_arguments", checker.errors)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Checker:
    def __init__(self, max_blocks: int, *, surface: str = "message") -> None:
        self.max_blocks = max_blocks
        self.surface = surface
        self.errors: list[str] = []
        self.block_ids: set[str] = set()

    def fail(self, message: str, pointer: str) -> None:
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    def modal(self, view: Any, at: str) -> None:
        if not isinstance(view, dict):
            self.fail("expected: object", at)
            return
        optional = {
            "submit",
            "close",
            "private_metadata",
            "callback_id",
            "clear_on_close",
            "notify_on_close",
            "external_id",
            "submit_disabled",
        }
        if not self.keys(view, {"type", "title", "blocks"}, optional, at):
            return
        if view["type"] != "modal":
            self.fail("must be a valid enum value", f"{at}/type")
            return
        for key in ("title", "submit", "close"):
            if key in view:
                self.text_object(view[key], f"{at}/{key}", VIEW_TITLE, kinds=("plain_text",))
        for key, limit in (
            ("private_metadata", PRIVATE_METADATA),
            ("callback_id", ID_LENGTH),
            ("external_id", ID_LENGTH),
        ):
            if key in view:
                self.string(view[key], f"{at}/{key}", limit)
        blocks = view["blocks"]
        if not isinstance(blocks, list) or not blocks:
            self.fail("must provide a non-empty array", f"{at}/blocks")
            return
        self.blocks(blocks, f"{at}/blocks")
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and "submit" not in view:
            self.fail("submit is required when an input block is within the blocks array", at)

    def blocks(self, blocks: list[Any], at: str = "/blocks") -> None:
        if len(blocks) > self.max_blocks:
            self.fail(f"no more than {self.max_blocks} items allowed", at)
        for index, block in enumerate(blocks):
            self.block(block, f"{at}/{index}")

    def block(self, block: Any, at: str) -> None:
        if not isinstance(block, dict):
            self.fail("expected: object", at)
            return
        kind = block.get("type")
        shapes = {
            "header": ({"text"}, set()),
            "section": (set(), {"text", "fields", "accessory"}),
            "context": ({"elements"}, set()),
            "divider": (set(), set()),
            "actions": ({"elements"}, set()),
        }
        if self.surface == "modal":
            shapes["input"] = ({"label", "element"}, {"hint", "optional", "dispatch_action"})
        if kind not in shapes:
            self.fail(f"unsupported type: {kind}", f"{at}/type")
            return
        required, optional = shapes[kind]
        if not self.keys(block, required | {"type"}, optional | {"block_id"}, at):
            return
        if "block_id" in block:
            self.identifier(block["block_id"], f"{at}/block_id")
            if block["block_id"] in self.block_ids:
                self.fail("duplicate block_id", f"{at}/block_id")
            self.block_ids.add(block["block_id"])
        getattr(self, kind)(block, at)

    def keys(self, value: dict[str, Any], required: set[str], optional: set[str], at: str) -> bool:
        missing = sorted(required - value.keys())
        extra = sorted(value.keys() - required - optional)
        for key in missing:
            self.fail(f"missing required field: {key}", at)
        for key in extra:
            self.fail(f"invalid additional property: {key}", at)
        return not missing and not extra

    def header(self, block: dict[str, Any], at: str) -> None:
        self.text_object(block["text"], f"{at}/text", HEADER_TEXT, kinds=("plain_text",))

    def section(self, block: dict[str, Any], at: str) -> None:
        if "text" not in block and "fields" not in block:
            self.fail("must provide either text or fields", at)
        if "text" in block:
            self.text_object(block["text"], f"{at}/text", TEXT_OBJECT)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not 1 <= len(fields) <= SECTION_FIELDS:
                self.fail(f"must provide 1 to {SECTION_FIELDS} items", f"{at}/fields")
            else:
                for index, field in enumerate(fields):
                    self.text_object(field, f"{at}/fields/{index}", SECTION_FIELD)
        if "accessory" in block:
            self.button(block["accessory"], f"{at}/accessory", set())

    def context(self, block: dict[str, Any], at: str) -> None:
        elements = block["elements"]
        if not isinstance(elements, list) or not 1 <= len(elements) <= CONTEXT_ELEMENTS:
            self.fail(f"must provide 1 to {CONTEXT_ELEMENTS} items", f"{at}/elements")
            return
        for index, element in enumerate(elements):
            self.text_object(element, f"{at}/elements/{index}", TEXT_OBJECT)

    def divider(self, block: dict[str, Any], at: str) -> None:
        """A divider has nothing but its type (and block_id), which `keys` checked."""

    def actions(self, block: dict[str, Any], at: str) -> None:
        elements = block["elements"]
        if not isinstance(elements, list) or not 1 <= len(elements) <= ACTIONS_ELEMENTS:
            self.fail(f"must provide 1 to {ACTIONS_ELEMENTS} items", f"{at}/elements")
            return
        action_ids: set[str] = set()
        for index, element in enumerate(elements):
            self.button(element, f"{at}/elements/{index}", action_ids)

    def input(self, block: dict[str, Any], at: str) -> None:
        self.text_object(block["label"], f"{at}/label", INPUT_LABEL, kinds=("plain_text",))
        if "hint" in block:
            self.text_object(block["hint"], f"{at}/hint", INPUT_LABEL, kinds=("plain_text",))
        for key in ("optional", "dispatch_action"):
            if key in block and not isinstance(block[key], bool):
                self.fail("expected: boolean", f"{at}/{key}")
        self.conversations_select(block["element"], f"{at}/element")

    def conversations_select(self, element: Any, at: str) -> None:
        if not isinstance(element, dict) or element.get("type") != "conversations_select":
            self.fail("unsupported element: only conversations_select is sent", at)
            return
        optional = {
            "action_id",
            "placeholder",
            "initial_conversation",
            "default_to_current_conversation",
            "response_url_enabled",
            "filter",
            "focus_on_load",
        }
        if not self.keys(element, {"type"}, optional, at):
            return
        if "action_id" in element:
            self.identifier(element["action_id"], f"{at}/action_id")
        if "placeholder" in element:
            self.text_object(
                element["placeholder"], f"{at}/placeholder", PLACEHOLDER, kinds=("plain_text",)
            )
        if "initial_conversation" in element:
            self.string(element["initial_conversation"], f"{at}/initial_conversation", ID_LENGTH)
        for key in ("default_to_current_conversation", "response_url_enabled", "focus_on_load"):
            if key in element and not isinstance(element[key], bool):
                self.fail("expected: boolean", f"{at}/{key}")
        if "filter" in element:
            self.conversation_filter(element["filter"], f"{at}/filter")

    def conversation_filter(self, value: Any, at: str) -> None:
        optional = {"include", "exclude_external_shared_channels", "exclude_bot_users"}
        if not isinstance(value, dict):
            self.fail("expected: object", at)
            return
        if not value:
            self.fail("must provide at least one of: " + ", ".join(sorted(optional)), at)
            return
        if not self.keys(value, set(), optional, at):
            return
        include = value.get("include", ["public"])
        if (
            not isinstance(include, list)
            or not include
            or not all(kind in CONVERSATION_KINDS for kind in include)
        ):
            kinds = ", ".join(sorted(CONVERSATION_KINDS))
            self.fail(f"must be a non-empty array of: {kinds}", f"{at}/include")
        for key in ("exclude_external_shared_channels", "exclude_bot_users"):
            if key in value and not isinstance(value[key], bool):
                self.fail("expected: boolean", f"{at}/{key}")

    def button(self, element: Any, at: str, action_ids: set[str]) -> None:
        if not isinstance(element, dict) or element.get("type") != "button":
            self.fail("unsupported element: only buttons are sent", at)
            return
        optional = {"action_id", "value", "url", "style", "accessibility_label"}
        if not self.keys(element, {"type", "text"}, optional, at):
            return
        self.text_object(element["text"], f"{at}/text", BUTTON_TEXT, kinds=("plain_text",))
        if "action_id" in element:
            self.identifier(element["action_id"], f"{at}/action_id")
            if element["action_id"] in action_ids:
                self.fail("duplicate action_id", f"{at}/action_id")
            action_ids.add(element["action_id"])
        for key, limit in (("value", BUTTON_VALUE), ("url", BUTTON_URL)):
            if key in element:
                self.string(element[key], f"{at}/{key}", limit)
        if element.get("style") not in (None, "primary", "danger"):
            self.fail("must be one of: primary, danger", f"{at}/style")

    def text_object(
        self,
        value: Any,
        at: str,
        limit: int,
        kinds: tuple[str, ...] = ("plain_text", "mrkdwn"),
    ) -> None:
        if not isinstance(value, dict) or value.get("type") not in kinds:
            self.fail(f"must be a text object of type {' or '.join(kinds)}", at)
            return
        flag = "emoji" if value["type"] == "plain_text" else "verbatim"
        if not self.keys(value, {"type", "text"}, {flag}, at):
            return
        if not isinstance(value.get(flag, False), bool):
            self.fail("expected: boolean", f"{at}/{flag}")
        self.string(value["text"], f"{at}/text", limit)

    def identifier(self, value: Any, at: str) -> None:
        self.string(value, at, ID_LENGTH)

    def string(self, value: Any, at: str, limit: int) -> None:
        if not isinstance(value, str):
            self.fail("expected: string", at)
        elif not value:
            self.fail("must be more than 0 characters", at)
        elif utf16_len(value) > limit:
            self.fail(f"must be less than {limit + 1} characters", at)


def block_texts(blocks: list[Any]) -> list[str]:
    """Every text in `blocks`, in reading order: what a person sees of the message."""
    texts: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "text" and isinstance(item, str):
                    texts.append(item)
                else:
                    collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(blocks)
    return texts

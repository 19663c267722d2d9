"""An OpenAI-compatible `/v1/chat/completions` endpoint on 127.0.0.1, for the real client.

`openai.AsyncOpenAI(base_url=fake.base_url)` talks to it over HTTP exactly as it talks to
OpenAI, DeepSeek, Qwen or a vLLM server, and gets the same rejections: a missing or wrong
bearer key (401), an unknown model (404), malformed messages, a `json_object` request whose
messages never say "json", a `json_schema` whose strict schema leaves a property optional
or allows extra ones (400), and — with `json_schema=False`, as DeepSeek — any `json_schema`
request at all.

The model is a responder: a function from the request body to the assistant's content.
The default answers the seed paper's card, grounded, in the language the prompt asks for.
Queued replies override it request by request: an answer (invalid JSON, a hallucinated
number, missing fields), an HTTP error (429 with Retry-After, 500), or a delay. Every
answer reports `usage` (an estimate: a token per Chinese character, one per four other
characters), and every request is recorded with its timing; `max_concurrent` is the most
requests that were ever in flight at once.

    async with FakeOpenAI() as fake:
        fake.answer_next(seed_answer("zh", experiments="…提升20%以上…"))
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web

JSON = dict[str, Any]
Responder = Callable[[JSON], str]

API_KEY = "sk-fake-3f9a2c71e8d54b06a1c9"
MODEL = "qwen-plus"

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_SCHEMA_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")

# The reference card's 实验亮点, verbatim: a 20% gain the survey's abstract never reports.
REFERENCE_EXPERIMENTS = (
    "实验结果表明，采用课程驱动训练和统一奖励建模的模型在样本效率和泛化能力上均有显著提升，"
    "相较于传统方法，性能提升幅度达到20%以上，展示了新的研究方向的有效性。"
)

_SEED_ZH: JSON = {
    "takeaway": "系统综述视觉强化学习的最新进展，将200多项代表性工作归入四个主题支柱"
    "并指出开放挑战。",
    "keywords": [
        "视觉强化学习",
        "策略优化",
        "奖励工程",
        "课程驱动训练",
        "统一奖励建模",
        "样本效率",
        "RLHF",
    ],
    "key_points": [
        "强化学习与视觉智能的结合使智能体能在复杂视觉场景中感知、推理、生成和行动，"
        "但样本效率、泛化和安全部署仍是开放挑战。",
        "本文形式化定义视觉强化学习问题，并梳理策略优化从RLHF到可验证奖励范式、"
        "从近端策略优化到群体相对策略优化的演变。",
        "将200多项代表性工作归入多模态大语言模型、视觉生成、统一模型框架和视觉-语言-行动模型"
        "四个支柱，并提炼出课程驱动训练、偏好对齐扩散和统一奖励建模等趋势。",
    ],
    "translated_abstract": (
        "近年来，强化学习（RL）与视觉智能交叉领域的进展，使智能体不仅能够感知复杂的视觉场景，"
        "还能在其中进行推理、生成和行动。本综述对该领域进行了批判性的最新梳理。我们首先形式化"
        "定义视觉强化学习问题，并追溯策略优化方法的演变：从RLHF到可验证奖励范式，从近端策略优化"
        "（Proximal Policy Optimization）到群体相对策略优化（Group Relative Policy "
        "Optimization）。随后，我们将200多项代表性工作归入四个主题支柱：多模态大语言模型、"
        "视觉生成、统一模型框架以及视觉-语言-行动模型。针对每个支柱，我们考察了算法设计、奖励"
        "工程和基准进展，并提炼出课程驱动训练、偏好对齐扩散和统一奖励建模等趋势。最后，我们回顾"
        "了涵盖集合级保真度、样本级偏好和状态级稳定性的评估协议，并指出样本效率、泛化能力和安全"
        "部署等开放挑战。我们的目标是为研究人员和从业者提供一幅视觉强化学习这一快速扩展领域的"
        "清晰地图，并指明未来研究的有前景方向。相关资源见："
        "https://github.com/weijiawu/Awesome-Visual-Reinforcement-Learning。"
    ),
    "method": {
        "problem": "视觉强化学习研究快速扩展，缺少一幅连贯的全局地图；样本效率、泛化和安全部署"
        "等挑战仍未解决。",
        "core_idea": "以综述的形式，对强化学习与视觉智能的交叉领域进行批判性的最新梳理。",
        "framework": "先形式化视觉强化学习问题并追溯策略优化的演变，再按四个主题支柱组织代表性"
        "工作，最后回顾评估协议与开放挑战。",
        "key_innovation": "按多模态大语言模型、视觉生成、统一模型框架和视觉-语言-行动模型四个"
        "支柱组织200多项工作的分类体系。",
        "key_design": "对每个支柱考察算法设计、奖励工程和基准进展；评估协议覆盖集合级保真度、"
        "样本级偏好和状态级稳定性。",
    },
    "experiments": None,
    "applications": "为研究人员和从业者提供视觉强化学习领域的全局地图，"
    "并指明未来研究的有前景方向。",
}

_SEED_EN: JSON = {
    "takeaway": "A survey that organizes more than 200 works on visual reinforcement learning "
    "into four thematic pillars and names its open challenges.",
    "keywords": [
        "visual RL",
        "policy optimization",
        "reward engineering",
        "curriculum-driven training",
        "unified reward modeling",
        "sample efficiency",
        "RLHF",
    ],
    "key_points": [
        "RL lets agents perceive, reason, generate and act in complex visual scenes, but sample "
        "efficiency, generalization and safe deployment remain open challenges.",
        "The survey formalizes visual RL problems and traces policy optimization from RLHF to "
        "verifiable rewards and from PPO-style to group-relative optimization.",
        "More than 200 works are organized into four pillars, with trends such as "
        "curriculum-driven training and unified reward modeling.",
    ],
    "translated_abstract": None,
    "method": {
        "problem": "Visual RL is expanding rapidly and lacks a coherent map of the field.",
        "core_idea": "A critical, up-to-date synthesis of RL for visual intelligence.",
        "framework": "Problem formalization, the evolution of policy optimization, four "
        "thematic pillars, then evaluation protocols and open challenges.",
        "key_innovation": "A taxonomy of more than 200 works into multi-modal large language "
        "models, visual generation, unified model frameworks and vision-language-action models.",
        "key_design": "Each pillar is examined for algorithmic design, reward engineering and "
        "benchmark progress; evaluation spans set-, sample- and state-level protocols.",
    },
    "experiments": None,
    "applications": "A map of visual RL for researchers and practitioners, pointing to "
    "promising directions for future inquiry.",
}


MISSING: Any = object()


def seed_answer(language: str, **overrides: Any) -> JSON:
    """The seed paper's grounded answer in `language`, some sections replaced.

    A key that is a method part (`problem`, `core_idea`, …) replaces that part; `method=None`
    or a missing section is spelled `section=MISSING`.
    """
    answer = copy.deepcopy(_SEED_ZH if language == "zh" else _SEED_EN)
    for key, value in overrides.items():
        target = answer["method"] if key in answer["method"] else answer
        if value is MISSING:
            del target[key]
        else:
            target[key] = value
    return answer


def requested_language(body: Mapping[str, Any]) -> str:
    """The card language the prompt asks for, as a model would read it."""
    system = " ".join(
        str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "system"
    )
    return "zh" if "Simplified Chinese" in system else "en"


def seed_responder(body: JSON) -> str:
    return json.dumps(seed_answer(requested_language(body)), ensure_ascii=False)


def estimate_tokens(text: str) -> int:
    """Roughly what a BPE tokenizer counts: a token per CJK character, else per 4 characters."""
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)


@dataclass(frozen=True)
class RecordedRequest:
    body: JSON
    authorization: str | None
    started: float  # time.monotonic() when the request arrived
    finished: float  # time.monotonic() when the answer was sent or the client went away
    status: int  # 499 when the client gave up first
    prompt_tokens: int = 0  # the `usage` reported with the answer
    completion_tokens: int = 0

    @property
    def messages(self) -> list[JSON]:
        messages: list[JSON] = self.body.get("messages", [])
        return messages

    @property
    def response_format(self) -> str | None:
        response_format = self.body.get("response_format")
        return response_format.get("type") if isinstance(response_format, dict) else None


@dataclass(frozen=True)
class _Reply:
    status: int = 200
    content: str | None = None
    delay: float = 0.0
    retry_after: float | None = None
    message: str | None = None


class _Rejected(Exception):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


class FakeOpenAI:
    def __init__(
        self,
        *,
        api_key: str | None = API_KEY,
        models: tuple[str, ...] = (MODEL,),
        responder: Responder = seed_responder,
        latency: float = 0.0,
        json_schema: bool = True,
    ) -> None:
        """`api_key=None` accepts any key, like a local Ollama or vLLM server."""
        self.api_key = api_key
        self.models = models
        self.responder = responder
        self.latency = latency
        self.json_schema = json_schema
        self.requests: list[RecordedRequest] = []
        self.max_concurrent = 0
        self._in_flight = 0
        self._replies: deque[_Reply] = deque()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- running -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        # Cancelling the handler of a client that timed out ends its pending delay.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.25
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        assert self._port is not None, "start the fake first"
        return f"http://127.0.0.1:{self._port}/v1"

    # -- scripting -----------------------------------------------------------------------

    def answer_next(self, *contents: str | Mapping[str, Any]) -> None:
        """The next requests' answers, in order; a mapping is sent as its JSON."""
        for content in contents:
            text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
            self._replies.append(_Reply(content=text))

    def fail_next(
        self,
        status: int,
        n: int = 1,
        *,
        retry_after: float | None = None,
        message: str | None = None,
    ) -> None:
        self._replies.extend([_Reply(status=status, retry_after=retry_after, message=message)] * n)

    def delay_next(self, seconds: float, n: int = 1) -> None:
        """Hold the next answers this long before giving the responder's answer."""
        self._replies.extend([_Reply(delay=seconds)] * n)

    # -- serving -------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        started = time.monotonic()
        authorization = request.headers.get("Authorization")
        body: JSON = {}
        status = 499
        usage: JSON = {}
        self._in_flight += 1
        self.max_concurrent = max(self.max_concurrent, self._in_flight)
        try:
            try:
                parsed = await _read_json(request)
                body = parsed if isinstance(parsed, dict) else {}
                self._authorize(authorization)
                if not isinstance(parsed, dict):
                    raise _Rejected(400, "We could not parse the JSON body of your request.")
                _check_body(body, self.models, self.json_schema)
                reply = self._replies.popleft() if self._replies else _Reply()
                response, usage = await self._answer(body, reply)
            except _Rejected as rejected:
                response = _error(rejected.status, rejected.message, rejected.code)
            status = response.status
            return response
        finally:
            self._in_flight -= 1
            self.requests.append(
                RecordedRequest(
                    body,
                    authorization,
                    started,
                    time.monotonic(),
                    status,
                    usage.get("prompt_tokens", 0),
                    usage.get("completion_tokens", 0),
                )
            )

    def _authorize(self, authorization: str | None) -> None:
        if self.api_key is None:
            return
        if not authorization or not authorization.startswith("Bearer "):
            raise _Rejected(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        given = authorization.removeprefix("Bearer ")
        if given != self.api_key:
            masked = given[:3] + "*" * max(len(given) - 7, 0) + given[-4:]
            raise _Rejected(401, f"Incorrect API key provided: {masked}.", "invalid_api_key")

    async def _answer(self, body: JSON, reply: _Reply) -> tuple[web.Response, JSON]:
        """The response, and the `usage` it reports (none for an error)."""
        delay = reply.delay or self.latency
        if delay:
            await asyncio.sleep(delay)
        if reply.status == 429:
            response = _error(
                429,
                reply.message or "Rate limit reached for requests per min (RPM).",
                "rate_limit_exceeded",
            )
            if reply.retry_after is not None:
                response.headers["Retry-After"] = f"{reply.retry_after:g}"
            return response, {}
        if reply.status != 200:
            return _error(reply.status, reply.message or "The server had an error.", None), {}
        content = reply.content if reply.content is not None else self.responder(body)
        prompt = "\n".join(_content_text(m) for m in body["messages"])
        prompt_tokens, completion_tokens = estimate_tokens(prompt), estimate_tokens(content)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        response = web.json_response(
            {
                "id": f"chatcmpl-fake{next(self._ids)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "system_fingerprint": "fp_fake",
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": content,
                            "refusal": None,
                            "annotations": [],
                        },
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            }
        )
        return response, usage


async def _read_json(request: web.Request) -> Any:
    """The decoded body, or None when it is not JSON."""
    try:
        return await request.json()
    except ValueError:
        return None


def _error(status: int, message: str, code: str | None) -> web.Response:
    kind = {429: "requests", 401: "invalid_request_error", 404: "invalid_request_error"}
    error_type = kind.get(status, "invalid_request_error" if status < 500 else "server_error")
    return web.json_response(
        {"error": {"message": message, "type": error_type, "param": None, "code": code}},
        status=status,
    )


def _content_text(message: JSON) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def _check_body(body: JSON, models: tuple[str, ...], json_schema: bool) -> None:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _Rejected(400, "you must provide a model parameter")
    if model not in models:
        raise _Rejected(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            "model_not_found",
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _Rejected(400, "[] is too short - 'messages'", "invalid_request_error")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            raise _Rejected(400, f"Invalid value for 'messages[{index}].role'.")
        content = message.get("content")
        if not isinstance(content, str | list) and not (
            message["role"] == "assistant" and "tool_calls" in message
        ):
            raise _Rejected(400, f"Missing required parameter: 'messages[{index}].content'.")
    temperature = body.get("temperature")
    if temperature is not None and not 0 <= temperature <= 2:
        raise _Rejected(400, f"Invalid 'temperature': {temperature} is not between 0 and 2.")
    if "response_format" in body:
        _check_response_format(body["response_format"], messages, json_schema)


def _check_response_format(response_format: Any, messages: list[JSON], json_schema: bool) -> None:
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "text":
        return
    if kind == "json_object":
        if not any("json" in _content_text(m).lower() for m in messages):
            raise _Rejected(
                400,
                "'messages' must contain the word 'json' in some form, to use "
                "'response_format' of type 'json_object'.",
            )
        return
    if kind != "json_schema":
        raise _Rejected(
            400,
            f"Invalid value: '{kind}'. Supported values are: 'json_object', 'json_schema', "
            "and 'text'.",
        )
    if not json_schema:
        raise _Rejected(400, "This response_format type is unavailable now")
    spec = response_format.get("json_schema")
    if not isinstance(spec, dict) or "name" not in spec:
        raise _Rejected(400, "Missing required parameter: 'response_format.json_schema.name'.")
    name = spec["name"]
    if not isinstance(name, str) or not _SCHEMA_NAME.fullmatch(name):
        raise _Rejected(400, "Invalid 'response_format.json_schema.name': string does not match")
    schema = spec.get("schema")
    if spec.get("strict") and isinstance(schema, dict):
        if schema.get("type") != "object":
            problem = "schema must be a JSON Schema of 'type: \"object\"'"
            raise _Rejected(400, f"Invalid schema for response_format '{name}': {problem}.")
        if problems := _strict_problems(schema, ()):
            context, problem = problems[0]
            raise _Rejected(
                400,
                f"Invalid schema for response_format '{name}': In context={context}, {problem}.",
            )


def _strict_problems(schema: Any, context: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    """Structured Outputs' strict-mode rules: closed objects whose every property is required."""
    if not isinstance(schema, dict):
        return []
    problems: list[tuple[tuple[str, ...], str]] = []
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            problems.append(
                (context, "'additionalProperties' is required to be supplied and to be false")
            )
        missing = sorted(set(properties) - set(schema.get("required", [])))
        if missing:
            problems.append(
                (
                    context,
                    "'required' is required to be supplied and to be an array including every "
                    f"key in properties. Missing '{missing[0]}'",
                )
            )
        for key, sub in properties.items():
            problems += _strict_problems(sub, (*context, "properties", key))
    for key, sub in schema.get("$defs", {}).items():
        problems += _strict_problems(sub, (*context, "$defs", key))
    for index, sub in enumerate(schema.get("anyOf", [])):
        problems += _strict_problems(sub, (*context, "anyOf", str(index)))
    problems += _strict_problems(schema.get("items"), (*context, "items"))
    return problems

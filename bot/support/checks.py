"""One dependency check's outcome, the shape `paperbell doctor` prints and each platform's
`doctor_check` returns: kept below both so a platform never imports the doctor itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from bot.support.config import Settings

Status = Literal["ok", "warn", "fail", "skip"]
MARKS: dict[Status, str] = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "–"}


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    fix: str | None = None

    @classmethod
    def ok(cls, name: str, detail: str) -> CheckResult:
        return cls(name, "ok", detail)

    @classmethod
    def failed(cls, name: str, detail: str, fix: str) -> CheckResult:
        return cls(name, "fail", detail, fix)

    @classmethod
    def degraded(cls, name: str, detail: str, fix: str) -> CheckResult:
        """Works, but late or partial: reported, without failing the exit code."""
        return cls(name, "warn", detail, fix)

    @classmethod
    def skipped(cls, name: str, detail: str) -> CheckResult:
        return cls(name, "skip", detail)

    def line(self) -> str:
        text = f"{MARKS[self.status]} {self.name}: {self.detail}"
        return f"{text} — fix: {self.fix}" if self.fix else text


PlatformCheck = Callable[[Settings], Awaitable[CheckResult]]

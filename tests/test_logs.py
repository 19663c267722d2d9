"""Tokens never reach the logs, whoever logs them."""

from __future__ import annotations

import logging

import pytest

from bot.support.config import load_settings
from bot.support.logs import configure_logging


def test_httpx_style_request_lines_have_the_token_scrubbed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:AAE-very-secret")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-also-secret")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    configure_logging(load_settings())
    logging.getLogger("httpx").warning(
        'HTTP Request: POST %s "HTTP/1.1 200 OK"',
        "https://api.telegram.org/bot123456:AAE-very-secret/getMe",
    )
    logging.getLogger("slack").error("auth failed for xoxb-also-secret")
    err = capsys.readouterr().err
    assert "AAE-very-secret" not in err and "xoxb-also-secret" not in err
    assert err.count("***") == 2


def test_request_lines_are_not_logged_at_info(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    configure_logging(load_settings())
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/botX/getMe")
    assert "HTTP Request" not in capsys.readouterr().err

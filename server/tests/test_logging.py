import logging
from pathlib import Path

from server.logging_setup import mask_text, setup_logging


def test_configured_secret_written_to_the_log_comes_out_masked(tmp_path):
    secret = "AC-super-secret-token-123456"
    setup_logging(str(tmp_path), "INFO", [secret])
    try:
        log = logging.getLogger("kesher.test")
        log.info("calling provider with token %s", secret)
        log.warning("Authorization: Bearer abcdefghijklmnop123")
        log.info("form body password=hunter2hunter2&email=a@b.c")
        log.info('json {"api_key": "zzz-key-value-999"}')
        try:
            raise ValueError(f"boom {secret}")
        except ValueError:
            log.exception("failed")
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = (Path(tmp_path) / "kesher.log").read_text(encoding="utf-8")
    finally:
        setup_logging(str(tmp_path), "INFO", [])
    assert secret not in text
    assert "abcdefghijklmnop123" not in text
    assert "hunter2hunter2" not in text
    assert "zzz-key-value-999" not in text
    assert text.count("***") >= 5
    assert "calling provider with token ***" in text


def test_phone_numbers_keep_only_their_last_digits():
    masked = mask_text("inbound from +972501234567 and 050-123-4567")
    assert "501234567" not in masked and "123-4567" not in masked
    assert masked.count("***567") == 2


def test_openai_style_keys_are_masked():
    assert "sk-abcdefghijklmnop" not in mask_text("key sk-abcdefghijklmnop used")

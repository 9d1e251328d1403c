"""Phone numbers and e-mail addresses customers write into free text are masked as people write them."""

from __future__ import annotations

import pytest

from feedbackloop.lib.masking import mask_pii_in_text


@pytest.mark.parametrize(("text", "shown"), [
    ("请联系 13812345678", "请联系 138****5678"),
    ("+8613712345678", "+86137****5678"),
    ("+86 137-1234-5678", "+86 137****5678"),
    ("0086-13712345678", "0086-137****5678"),
    ("手机 137 1234 5678", "手机 137****5678"),
    ("１３７１２３４５６７８", "137****5678"),
    ("座机 010-12345678，或 0755-8888 1234", "座机 010-****5678，或 0755-****1234"),
    ("邮箱 zed@example.com", "邮箱 z***@example.com"),
    # Not contacts: an order number, a date, a price.
    ("订单号 20261203123456789", "订单号 20261203123456789"),
    ("2026-12-03 10:00 下单, 共 199 元", "2026-12-03 10:00 下单, 共 199 元"),
])  # fmt: skip
def test_contacts_in_text_are_masked_and_other_numbers_are_not(text, shown):
    assert mask_pii_in_text(text) == shown

"""Personal data: ID-card and phone validation, masking for screens and logs, field encryption at rest.

ID numbers, phones and addresses are stored encrypted with AES-256-GCM under a key derived from
BOT_DATA_KEY (authenticated: a tampered value fails to decrypt), plus a keyed hash (HMAC-SHA256)
where a value must be looked up without decrypting every record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# GB 11643-1999: weights of the first 17 digits and the check character for sum mod 11.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_PATTERN = re.compile(r"^[1-9]\d{5}(\d{4})(\d{2})(\d{2})\d{3}[\dX]$")
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


class InvalidIDNumber(ValueError):
    """The message is shown to the resident: short and in Chinese."""


@dataclass(frozen=True)
class IDCard:
    number: str
    birth: date

    def age_on(self, day: date) -> int:
        return day.year - self.birth.year - ((day.month, day.day) < (self.birth.month, self.birth.day))


def parse_id_number(raw: str, today: date | None = None) -> IDCard:
    """Validate an 18-digit resident ID number (format, birth date, check digit)."""
    number = re.sub(r"\s+", "", raw or "").upper().replace("x", "X")
    if len(number) != 18:
        raise InvalidIDNumber(f"身份证号码应为18位，您输入了{len(number)}位。")
    match = ID_PATTERN.match(number)
    if not match:
        raise InvalidIDNumber("身份证号码格式不对：前17位应为数字，最后一位是数字或X。")
    try:
        birth = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise InvalidIDNumber("身份证号码里的出生日期不对，请核对。") from None
    today = today or date.today()
    if birth > today or birth.year < 1900:
        raise InvalidIDNumber("身份证号码里的出生日期不对，请核对。")
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS))
    if ID_CHECK[total % 11] != number[17]:
        raise InvalidIDNumber("身份证号码校验不通过，可能有一位输错了，请核对后重新输入。")
    return IDCard(number, birth)


def parse_mobile(raw: str) -> str:
    number = re.sub(r"[\s-]+", "", fold_digits(raw or ""))  # "１３８…", or "幺三八…" from voice input
    if number.startswith("+86"):
        number = number[3:]
    if not MOBILE_PATTERN.match(number):
        raise ValueError("请输入11位手机号码，例如 13812345678。")
    return number


def mask_id(number: str) -> str:
    """5306**********1234"""
    return number[:4] + "*" * (len(number) - 8) + number[-4:] if len(number) > 8 else "*" * len(number)


def mask_phone(number: str) -> str:
    """138****5678; a landline keeps its area code: 0870-***2345"""
    if len(number) == 11 and "-" not in number:
        return number[:3] + "****" + number[-4:]
    area, dash, local = number.rpartition("-")
    if dash and len(local) > 4:
        return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"
    return "*" * len(number)


# A fixed line as people write it: 0870-2212345, 08702212345, (0870)2212345; 昭通's area code is 0870.
LANDLINE = re.compile(r"^[(（]?(0\d{2,3})[)）]?[\s-]*([2-8]\d{6,7})$")


def parse_landline(raw: str) -> str | None:
    """ "0870 2212345" -> "0870-2212345"; None when it is not a landline number with its area code."""
    m = LANDLINE.match((raw or "").strip())
    return f"{m[1]}-{m[2]}" if m else None


def mask_address(address: str) -> str:
    """大山包镇大山包村5组12号 -> 大山包镇大山包村**: the place up to the first number, never the house."""
    head = re.split(r"[0-9０-９一二三四五六七八九十]+\s*[组号栋幢单元楼室]", address, maxsplit=1)[0]
    return head[:10] + "**"


def mask_name(name: str) -> str:
    """张*丰: keeps the family name and the last character of longer names."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# A run of digits as people type them: with spaces, dashes or dots between groups, an optional +86 in front,
# and an X at the end of an ID number. Candidates are checked below after removing the separators.
DIGIT_RUN = re.compile(r"(?<![0-9])(?:\+\s*)?\d(?:[\s\-.·]*\d)*(?:[\s\-.·]*[Xx])?(?![0-9])")
SEPARATORS = re.compile(r"[\s\-+.·]")
# Digits a person might have typed as (part of) an ID number, even a mistyped one: mask them too.
LONG_NUMBER = 15
# Chinese numerals as a phone number is read out (一三九…, 幺 for 1, 两 for 2): read as digits for phones only.
SPOKEN_DIGITS = ("〇零", "一幺壹", "二两贰", "三叁", "四肆", "五伍", "六陆", "七柒", "八捌", "九玖")
CHINESE_DIGITS = {c: str(i) for i, chars in enumerate(SPOKEN_DIGITS) for c in chars}
PHONE_MASK = re.compile(r"1\d{2}\*{4}\d{4}")
SPOKEN = re.compile("[" + "".join(CHINESE_DIGITS) + "]")


def _fold_char(c: str) -> str:
    """One character as ASCII when it is a digit, separator or X in another form (full-width １３９,
    Arabic-Indic digits, the ideographic space); anything else unchanged. Always one character."""
    if c.isascii():
        return c
    if c in CHINESE_DIGITS:
        return CHINESE_DIGITS[c]
    if c.isdecimal():
        return str(unicodedata.decimal(c))
    folded = unicodedata.normalize("NFKC", c)
    return folded if len(folded) == 1 and folded in "+-.Xx " else ("-" if c in "–—‐‑−" else c)


def fold_digits(text: str) -> str:
    """The text with every digit-like character folded to ASCII, position for position."""
    return text if text.isascii() else "".join(map(_fold_char, text))


def _mask_digits(raw: str) -> str:
    digits = SEPARATORS.sub("", raw).upper()
    if digits.endswith("X") and len(digits) != 18:  # a letter after a phone number, not an ID check digit
        head = DIGIT_RUN.match(raw[:-1])
        return _mask_digits(head.group(0)) + raw[head.end() :]
    if digits.startswith("86") and MOBILE_PATTERN.match(digits[2:]):
        return mask_phone(digits[2:])
    if MOBILE_PATTERN.match(digits):
        return mask_phone(digits)
    if len(digits) >= LONG_NUMBER:
        return mask_id(digits)
    return raw


def mask_text(text: str) -> str:
    """Mask ID and mobile numbers inside free text (log lines, stored chat content, reasons, nicknames), in
    every format people type them: 530602 19430815 0429, +8613987654321, 139 8765 4321, 139.8765.4321,
    full-width １３９８７６５４３２１ (NFKC), and phones read out in Chinese numerals (一三九八七六五四三二一)."""
    if not text:
        return text
    folded = fold_digits(text)
    out, last = [], 0
    for match in DIGIT_RUN.finditer(folded):
        original = text[match.start() : match.end()]
        masked = _mask_digits(match.group(0))
        if masked == match.group(0):
            continue
        if SPOKEN.search(original) and not PHONE_MASK.fullmatch(masked):
            continue  # Chinese numerals count for phone numbers only (一九四三年… is a year in words)
        out += [text[last : match.start()], masked]
        last = match.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


class FieldCipher:
    """AES-256-GCM field encryption and HMAC blind index, keyed from BOT_DATA_KEY."""

    VERSION = "v1"

    def __init__(self, data_key: str):
        if not data_key:
            raise ValueError("BOT_DATA_KEY is empty")
        root = hashlib.sha256(data_key.encode()).digest()
        self._aead = AESGCM(hmac.new(root, b"field-encryption", hashlib.sha256).digest())
        self._hash_key = hmac.new(root, b"blind-index", hashlib.sha256).digest()

    def encrypt(self, value: str, context: str) -> str:
        """`context` (e.g. "bookings.id_number") is bound to the ciphertext: values cannot be swapped."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value.encode(), context.encode())
        return f"{self.VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, context: str) -> str:
        version, _, payload = token.partition(":")
        if version != self.VERSION:
            raise ValueError("unknown encryption version")
        raw = base64.urlsafe_b64decode(payload)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except InvalidTag:
            raise ValueError("encrypted field failed authentication (wrong BOT_DATA_KEY or tampered)") from None

    def blind_index(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()

"""Unit tests: ID and phone validation, masking, field encryption, the working-day calendar, date parsing."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from bot.bookings.dateparse import parse_day
from bot.bookings.workdays import WorkCalendar
from bot.privacy import (
    FieldCipher,
    InvalidIDNumber,
    mask_id,
    mask_name,
    mask_phone,
    mask_text,
    parse_id_number,
    parse_mobile,
)
from tests.utils import make_id


def test_valid_id_number_gives_birth_date_and_age():
    card = parse_id_number(make_id("19480312"), today=date(2026, 11, 25))
    assert card.birth == date(1948, 3, 12) and card.age_on(date(2026, 11, 25)) == 78


def test_id_with_x_check_digit_is_accepted_in_either_case():
    number = next(make_id("19700101", seq=f"{i:03d}") for i in range(1000) if make_id("19700101", seq=f"{i:03d}")[-1] == "X")
    assert parse_id_number(number.lower()).number == number


@pytest.mark.parametrize(
    "raw, words",
    [
        ("53060219480312123", "18位"),
        ("5306021948031212A4", "格式"),
        ("530602194802301234", "出生日期"),
        ("530602209901011234", "出生日期"),
    ],
)
def test_invalid_id_numbers_are_explained(raw, words):
    with pytest.raises(InvalidIDNumber, match=words):
        parse_id_number(raw, today=date(2026, 11, 25))


def test_wrong_check_digit_is_refused():
    good = make_id("19480312")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(InvalidIDNumber, match="校验"):
        parse_id_number(bad)


def test_mobile_numbers():
    assert parse_mobile("+86 138-1234-5678") == "13812345678"
    assert parse_mobile("幺三八 一二三四 五六七八") == "13812345678"  # read out to voice input
    assert parse_mobile("１３８１２３４５６７８") == "13812345678"
    for bad in ("12345678901", "1381234567", "abc"):
        with pytest.raises(ValueError):
            parse_mobile(bad)


def test_masking():
    assert mask_id("530602194803121234") == "5306**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张桂芬") == "张*芬" and mask_name("李明") == "李*"
    assert mask_text("身份证530602194803121234 电话13812345678") == "身份证5306**********1234 电话138****5678"


def test_field_encryption_round_trip_binds_context_and_detects_tampering():
    cipher = FieldCipher("k1")
    token = cipher.encrypt("13812345678", "beneficiary.phone")
    assert "13812345678" not in token
    assert cipher.decrypt(token, "beneficiary.phone") == "13812345678"
    with pytest.raises(ValueError):
        cipher.decrypt(token, "beneficiary.id_number")  # swapped into another field
    with pytest.raises(ValueError):
        FieldCipher("other-key").decrypt(token, "beneficiary.phone")
    assert cipher.blind_index("x") == FieldCipher("k1").blind_index("x") != FieldCipher("k2").blind_index("x")


def test_working_days_skip_national_day_and_count_adjusted_workdays():
    cal = WorkCalendar()
    # 2026-09-30 (Wed) + 1 working day: 10-01..10-07 are holidays.
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert not cal.is_workday(date(2026, 10, 1))
    assert cal.add_workdays(date(2026, 11, 25), 0) == date(2026, 11, 25)
    assert cal.add_workdays(date(2026, 11, 28), 0) == date(2026, 11, 30)  # Saturday -> Monday


def test_year_without_official_calendar_falls_back_to_weekends_and_file_with_warning(tmp_path, caplog):
    holidays = tmp_path / "holidays.yaml"
    holidays.write_text("2027:\n  holidays: ['2027-01-01']\n  workdays: []\n", encoding="utf-8")
    cal = WorkCalendar(holidays)
    assert not cal.is_workday(date(2027, 1, 1))  # from the staff-edited file
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    empty = WorkCalendar(tmp_path / "missing.yaml")
    with caplog.at_level(logging.WARNING):
        assert empty.is_workday(date(2027, 1, 1))  # no data: only weekends count
    assert "no official holiday calendar for 2027" in caplog.text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("明天", date(2026, 11, 26)),
        ("后天", date(2026, 11, 27)),
        ("下周一", date(2026, 11, 30)),
        ("周五", date(2026, 11, 27)),
        ("12月3日", date(2026, 12, 3)),
        ("十二月三号", date(2026, 12, 3)),
        ("1月5号", date(2027, 1, 5)),
        ("2026-12-08", date(2026, 12, 8)),
        ("28号", date(2026, 11, 28)),
        ("随便", None),
    ],
)
def test_dates_as_residents_type_them(text, expected):
    assert parse_day(text, date(2026, 11, 25)) == expected

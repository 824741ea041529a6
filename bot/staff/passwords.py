"""The staff password policy, after the 等保 level-2 norm: at least 10 characters from three of the four
classes (lower case, upper case, digits, other characters), not the user name nor containing it, and not
a common password (checked without case and with the common substitutions undone)."""

from __future__ import annotations

import re

MIN_LENGTH = 10
MAX_LENGTH = 128

# Passwords that lead every leaked list, in China and elsewhere, and the patterns people build them from.
COMMON = frozenset(
    """
    password password1 password12 password123 password1234 passw0rd p@ssw0rd p@ssword p@ssw0rd123 password@123
    admin admin123 admin1234 admin12345 admin123456 admin@123 admin@1234 admin@12345 admin@123456 admin_123
    administrator root123456 root@123 root@1234 qwerty qwerty123 qwerty1234 qwer1234 qwer@1234 qwe123 qweasd
    qweasdzxc qwertyuiop 1q2w3e4r 1q2w3e4r5t 1qaz2wsx 1qaz@wsx 1qaz2wsx3edc zaq12wsx abc123 abc12345 abc123456
    abcd1234 abcd@1234 aa123456 aa12345678 a123456 a12345678 a123456789 aa123456789 asd123 asdf1234 asdfghjkl
    zxcvbnm 123456 1234567 12345678 123456789 1234567890 0123456789 11111111 111111111 1111111111 88888888
    666666666 5201314 5201314520 woaini woaini1314 iloveyou iloveyou1 welcome welcome1 welcome123 letmein
    changeme changeme123 test1234 test@1234 test123456 guest123 user1234 zhangwei wangwei huawei123
    huawei@123 huawei@1234 zhaotong zhaotong123 zhaotong@123 govbot govbot123 govbot@123 weimin weimin123
    """.split()
)
LEET = str.maketrans("@0134$5!7", "aoieassit")


def _classes(password: str) -> int:
    return sum(
        (
            bool(re.search(r"[a-z]", password)),
            bool(re.search(r"[A-Z]", password)),
            bool(re.search(r"[0-9]", password)),
            bool(re.search(r"[^a-zA-Z0-9]", password)),
        )
    )


def _common(password: str) -> bool:
    plain = password.lower()
    stripped = re.sub(r"[^a-z0-9@]", "", plain)
    return any(p in COMMON for p in (plain, stripped, plain.translate(LEET), stripped.translate(LEET)))


def problem(password: str, username: str = "") -> str | None:
    """Why the password is refused (Chinese, for staff), or None."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 位。"
    if len(password) > MAX_LENGTH:
        return f"密码最多 {MAX_LENGTH} 位。"
    if _classes(password) < 3:
        return "密码须包含小写字母、大写字母、数字、符号中的至少三类。"
    if username and len(username) >= 3 and username.lower() in password.lower():
        return "密码不能包含用户名。"
    if username and password.lower() == username.lower():
        return "密码不能和用户名相同。"
    if _common(password):
        return "这个密码太常见，容易被猜到，请换一个。"
    return None

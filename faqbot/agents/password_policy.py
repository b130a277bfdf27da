"""What a staff password must be: long enough, not the user name, not one everybody tries first.

Follows NIST SP 800-63B: a minimum length, no composition rules, a check against common passwords.
"""

from __future__ import annotations

MIN_LENGTH = 8
MAX_LENGTH = 256

# the most common passwords in public breach lists, and the obvious ones for this product
COMMON = frozenset("""
123456 123456789 12345678 password qwerty123 qwerty1 111111 12345 secret 123123 1234567890 1234567 000000
qwerty abc123 password1 iloveyou 11111111 dragon monkey 123321 654321 666666 121212 1qaz2wsx qwertyuiop
88888888 987654321 superman 1q2w3e4r 1q2w3e4r5t zaq12wsx sunshine princess football baseball welcome
welcome1 admin admin123 administrator letmein passw0rd password123 p@ssw0rd p@ssword trustno1 master
shadow michael jennifer hunter2 changeme changeme123 default agent agent123 faqbot faqbot123 support
support123 service customer woaini 5201314 a123456 aa123456 qq123456 wang1234 abcd1234 test1234 test
testtest guest guest123 root toor 1234qwer asdfghjk asdf1234 zxcvbnm 147258369 159753 00000000 12341234
""".split())


class WeakPassword(ValueError):
    """The password breaks the policy; the message says how."""


def check_password(password: str, username: str = "") -> None:
    """WeakPassword if `password` may not be used (for `username`)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in COMMON:
        raise WeakPassword("this password is one of the most common ones; choose another")
    if len(set(password)) < 3:
        raise WeakPassword("a password needs more than one or two different characters")
    if username.strip() and lowered == username.strip().lower():
        raise WeakPassword("a password must not be the user name")

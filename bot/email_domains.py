"""The company behind an e-mail address: its domain, unless it is a free-mail provider anyone can sign up
with (a gmail.com participant says nothing about which customer a meeting was with).

    company_domain("Ben@Globex.com")   -> "globex.com"
    company_domain("ben@gmail.com")    -> None
    company_domains(["a@acme.io", "b@ACME.io", "c@gmail.com"]) -> ("acme.io",)
"""

from __future__ import annotations

from typing import Iterable

# The providers most people use privately; a company's own domain is never one of these.
FREE_MAIL = frozenset("""
    gmail.com googlemail.com outlook.com hotmail.com hotmail.co.uk live.com msn.com yahoo.com yahoo.co.uk
    yahoo.fr ymail.com icloud.com me.com mac.com aol.com proton.me protonmail.com gmx.com gmx.de gmx.net
    web.de mail.com zoho.com yandex.com yandex.ru mail.ru qq.com 163.com 126.com naver.com fastmail.com
    hey.com tutanota.com orange.fr free.fr t-online.de libero.it
""".split())


def company_domain(email: str | None) -> str | None:
    """The lower-case domain of an address, or None for no address, a malformed one or free mail."""
    if not email or email.count("@") != 1:
        return None
    domain = email.rsplit("@", 1)[1].strip().strip(".").lower()
    if "." not in domain or not domain.replace(".", "").replace("-", "").isalnum() or domain in FREE_MAIL:
        return None
    return domain


def company_domains(emails: Iterable[str | None]) -> tuple[str, ...]:
    """The distinct company domains of these addresses, sorted."""
    return tuple(sorted({d for d in map(company_domain, emails) if d}))

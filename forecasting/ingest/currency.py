"""Billing currencies: ISO 4217 codes only, never guessed or converted."""

from __future__ import annotations

from collections.abc import Iterable

from forecasting.errors import InputError

# ISO 4217 active codes: a currency outside this list is a typo or a broken export, and
# capcost never guesses an exchange rate, so it refuses the file instead.
_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
    MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
    TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())


def check_currency_codes(codes: Iterable[str | None], *, where: str) -> None:
    """Every billing currency must be an ISO 4217 code (never guessed, never converted)."""
    for code in codes:
        if code is None or code not in ISO_4217:
            raise InputError(
                f"unknown currency {code!r} in {where}: expected an ISO 4217 code such as USD"
            )

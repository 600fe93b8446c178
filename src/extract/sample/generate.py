#!/usr/bin/env python3
"""Regenerates the bundled sample deal set (Zoho CRM v8 `GET /crm/v8/Deals`
response pages) and the bundled CurrencyFreaks snapshot.

The output is deterministic (fixed seed), so regenerating changes nothing
unless this script changes. Run from the repository root:

    python3 src/extract/sample/generate.py
"""
import json
import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
RATES_OUT = HERE.parent.parent / "fx" / "bundled" / "currencyfreaks-2026-11-23.json"
PER_PAGE = 200
rng = random.Random(20261123)

STAGES = [  # (name, default probability, relative frequency)
    ("Qualification", 10, 14), ("Needs Analysis", 20, 12), ("Value Proposition", 40, 10),
    ("Id. Decision Makers", 60, 8), ("Perception Analysis", 70, 6),
    ("Proposal/Price Quote", 75, 8), ("Negotiation/Review", 90, 6),
    ("Closed Won", 100, 16), ("Closed Lost", 0, 12), ("Closed-Lost to Competition", 0, 5),
]
OWNERS = [
    ("Ana Ruiz", "ana@example.com"), ("José García", "jose@example.com"),
    ("Zoë Müller", "zoe@example.com"), ("Priya Raman", "priya@example.com"),
    ("Олег Иванов", "oleg@example.com"), ("田中 太郎", "taro@example.com"),
    ("Wei Ling Tan", "weiling@example.com"), ("Siti Nurhaliza", "siti@example.com"),
]
# (code, symbol, weight, typical amount range in that currency, decimals used)
CURRENCIES = [
    ("SGD", "S$", 30, (4_000, 400_000), 2), ("USD", "$", 22, (3_000, 300_000), 2),
    ("EUR", "€", 14, (3_000, 250_000), 2), ("GBP", "£", 6, (2_000, 200_000), 2),
    ("JPY", "¥", 10, (400_000, 40_000_000), 0), ("AUD", "A$", 6, (4_000, 350_000), 2),
    ("INR", "₹", 6, (200_000, 20_000_000), 2), ("MYR", "RM", 6, (10_000, 900_000), 2),
]
ACCOUNTS = ["Acme GmbH", "Globex Pte Ltd", "Initech", "Umbrella Corp", "Soylent Foods",
            "Hooli Asia", "Stark Industries", "Wayne Enterprises", "Tyrell Corp",
            "Müller & Söhne KG", "Ñandú Logística", "株式会社サンプル", "ООО Ромашка",
            "Tata Sample Ltd", "Kopi Kakis Sdn Bhd", "Outback Mining Pty"]
PRODUCTS = ["annual renewal", "platform licence", "expansion", "pilot", "services",
            "support upgrade", "multi-year deal", "new logo", "add-on seats"]
TYPES = ["New Business", "Existing Business"]
SOURCES = ["Partner", "Web Download", "Cold Call", "Employee Referral", "Trade Show", None]
TZS = [timezone(timedelta(hours=8)), timezone(timedelta(hours=8)), timezone(timedelta(hours=1)),
       timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]
FIRST = datetime(2026, 1, 5, tzinfo=timezone.utc)
LAST = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
DEAL_COUNT = 460


def stamp(dt, zulu=False):
    if zulu:
        return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.astimezone(rng.choice(TZS)).isoformat(timespec="seconds")


def amount_in(code):
    _, _, _, (lo, hi), decimals = next(c for c in CURRENCIES if c[0] == code)
    value = rng.uniform(lo, hi)
    return round(value, -3) if decimals == 0 else round(value, rng.choice([0, 2, 2, 2]))


def deal(n):
    stage, probability, _ = rng.choices(STAGES, weights=[s[2] for s in STAGES])[0]
    owner_name, owner_email = rng.choice(OWNERS)
    code, symbol, *_ = rng.choices(CURRENCIES, weights=[c[2] for c in CURRENCIES])[0]
    created = FIRST + timedelta(seconds=rng.randrange(int((LAST - FIRST).total_seconds() * 0.97)))
    modified = created + timedelta(seconds=rng.randrange(int((LAST - created).total_seconds()) + 1))
    if stage.startswith("Closed"):
        closing = (modified.date() - timedelta(days=rng.randrange(0, 20)))
        closing = max(closing, created.date() + timedelta(days=3))
    else:
        closing = LAST.date() + timedelta(days=rng.randrange(-45, 200))
    if rng.random() < 0.12 and not stage.startswith("Closed"):
        probability = max(5, min(95, probability + rng.choice([-15, -10, 5, 10])))
    account = rng.choice(ACCOUNTS)
    amount = amount_in(code)
    owner = {"name": owner_name, "id": f"57257670000004{11001 + OWNERS.index((owner_name, owner_email)):05d}",
             "email": owner_email}
    return {
        "id": f"5725767000001{n:06d}",
        "Deal_Name": f"{account} – {rng.choice(PRODUCTS)}",
        "Owner": owner,
        "Amount": amount,
        "Currency": code,
        "Exchange_Rate": None,
        "$currency_symbol": symbol,
        "Stage": stage,
        "Probability": probability,
        "Expected_Revenue": round(amount * probability / 100, 2),
        "Closing_Date": closing.isoformat(),
        "Pipeline": "Standard Pipeline",
        "Type": rng.choice(TYPES),
        "Lead_Source": rng.choice(SOURCES),
        "Account_Name": {"name": account, "id": f"57257670000009{ACCOUNTS.index(account) + 87001:05d}"},
        "Contact_Name": None,
        "Tag": [{"name": "renewal", "id": "5725767000000555001"}] if "renewal" in account else [],
        "Created_By": owner,
        "Modified_By": owner,
        "Created_Time": stamp(created, zulu=rng.random() < 0.1),
        "Modified_Time": stamp(modified, zulu=rng.random() < 0.1),
    }


def deliberately_bad(deals):
    """A few records of the kinds real CRMs hold, each one a data-quality case."""
    deals[3]["Amount"] = None                      # null_amount
    deals[17]["Amount"] = None
    deals[29]["Amount"] = "12,500.00"              # invalid_amount: text with a separator
    deals[41]["Stage"] = "Verbal Commit"           # unknown_stage (an org's own stage)
    deals[41]["Probability"] = 85
    deals[53]["Currency"] = None                   # null currency: the org's home currency
    deals[53]["$currency_symbol"] = None
    for i in (67, 68):                             # missing_rate: no VND in the rates snapshot
        deals[i]["Currency"] = "VND"
        deals[i]["$currency_symbol"] = "₫"
        deals[i]["Amount"] = float(rng.randrange(100, 2000) * 1_000_000)
    deals[79]["Probability"] = None                # null probability: the stage's default
    deals[91]["Owner"] = None                      # missing owner
    deals[103]["Deal_Name"] = "=HYPERLINK(\"http://evil.example\",\"click\") <script>alert(1)</script>"
    deals[115]["Closing_Date"] = None              # no closing date
    deals[127]["Amount"] = 0.0
    deals[139]["Amount"] = 1234.005                # a half-cent: rounding is visible
    deals[139]["Currency"] = "SGD"


def main():
    deals = [deal(n) for n in range(1, DEAL_COUNT + 1)]
    deliberately_bad(deals)
    deals.sort(key=lambda d: d["id"])
    pages = [deals[i:i + PER_PAGE] for i in range(0, len(deals), PER_PAGE)]
    for old in HERE.glob("deals-page-*.json"):
        old.unlink()
    for number, page in enumerate(pages, start=1):
        more = number < len(pages)
        info = {"per_page": PER_PAGE, "count": len(page), "page": number, "sort_by": "id",
                "sort_order": "asc", "more_records": more,
                "next_page_token": f"sample-token-{number + 1}" if more else None,
                "previous_page_token": f"sample-token-{number - 1}" if number > 1 else None,
                "page_token_expiry": "2026-11-23T09:30:00+08:00", "call": False, "email": False}
        body = json.dumps({"data": page, "info": info}, ensure_ascii=False, indent=1)
        (HERE / f"deals-page-{number}.json").write_text(body + "\n", encoding="utf-8")

    rates = {"USD": "1.0", "SGD": "1.3384", "EUR": "0.9340084415835656", "GBP": "0.79612",
             "JPY": "154.2365", "AUD": "1.53981", "INR": "84.42905", "MYR": "4.47250",
             "CNY": "7.24367", "HKD": "7.78512", "IDR": "15894.2", "THB": "34.88",
             "PHP": "58.9235", "KRW": "1398.67", "CHF": "0.88541", "CAD": "1.39854",
             "NZD": "1.70852", "KWD": "0.30745", "AED": "3.67250", "SEK": "10.9876"}
    snapshot = {"date": "2026-11-23 00:00:00+00", "base": "USD", "rates": rates}
    RATES_OUT.write_text(json.dumps(snapshot, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

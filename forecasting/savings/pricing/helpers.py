"""Pure parsing of AWS Price List products into catalogue rows."""

from __future__ import annotations

import json
import re
from typing import Any

# Price List spellings of the catalogue's commitment terms.
_LEASES = {"1yr": 1, "3yr": 3}
_PURCHASE = {
    "No Upfront": "no_upfront",
    "Partial Upfront": "partial_upfront",
    "All Upfront": "all_upfront",
}


def filters(fields: dict[str, str], location: str, instance_types: list[str]) -> list[Any]:
    """TERM_MATCH on every fixed field and the location, ANY_OF on the instance types."""
    out: list[Any] = [
        {"Type": "TERM_MATCH", "Field": k, "Value": v}
        for k, v in {**fields, "location": location}.items()
    ]
    out.append({"Type": "ANY_OF", "Field": "instanceType", "Value": ",".join(instance_types)})
    return out


def _dimensions(term: dict[str, Any]) -> dict[str, float]:
    """USD price per unit (``Hrs``, ``Quantity``) of one term."""
    out: dict[str, float] = {}
    for dim in term.get("priceDimensions", {}).values():
        usd = dim.get("pricePerUnit", {}).get("USD")
        if usd is not None:
            out[str(dim.get("unit"))] = out.get(str(dim.get("unit")), 0.0) + float(usd)
    return out


def memory_gib(text: str) -> float | None:
    """``"8 GiB"`` -> 8.0; None when the attribute is missing or not in GiB."""
    match = re.fullmatch(r"\s*([\d.,]+)\s*GiB\s*", text or "")
    return float(match.group(1).replace(",", "")) if match else None


def parse_product(item: str | dict[str, Any]) -> dict[str, Any]:
    """One Price List product: its instance type, shape and prices by offering.

    Returns ``{"instance_type", "vcpu", "memory_gib", "on_demand_hourly", "reserved"}``
    where ``reserved`` maps (term_years, payment_option) to (upfront_usd, hourly_usd) for
    Standard (not Convertible) Reserved Instances.
    """
    data = json.loads(item) if isinstance(item, str) else item
    attrs = data.get("product", {}).get("attributes", {})
    terms = data.get("terms", {})
    on_demand = [_dimensions(t).get("Hrs") for t in terms.get("OnDemand", {}).values()]
    reserved: dict[tuple[int, str], tuple[float, float]] = {}
    for term in terms.get("Reserved", {}).values():
        ta = term.get("termAttributes", {})
        years, payment = (
            _LEASES.get(ta.get("LeaseContractLength")),
            _PURCHASE.get(ta.get("PurchaseOption")),
        )
        if years is None or payment is None or ta.get("OfferingClass") != "standard":
            continue
        dims = _dimensions(term)
        reserved[(years, payment)] = (dims.get("Quantity", 0.0), dims.get("Hrs", 0.0))
    vcpu = attrs.get("vcpu")
    return {
        "instance_type": attrs.get("instanceType"),
        "vcpu": float(vcpu) if vcpu not in (None, "") else None,
        "memory_gib": memory_gib(attrs.get("memory", "")),
        "on_demand_hourly": next((p for p in on_demand if p is not None), None),
        "reserved": reserved,
    }

"""Where the price catalogue lives and what the AWS Price List is asked for."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_FOLDER = Path(__file__).resolve().parents[3] / "data" / "prices"
FILES = {"compute": "compute.csv", "database": "database.csv", "metered": "metered.csv"}

# The Price List API answers only in a few regions; us-east-1 serves every region's prices.
PRICING_API_REGION = "us-east-1"

# Price List "location" names by region code (the API filters on the long name).
LOCATIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
}

# Linux, shared tenancy, no pre-installed software, instances actually running (not capacity
# reservations): the rows the catalogue's on-demand and Standard RI prices describe.
EC2_FILTERS = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "capacitystatus": "Used",
    "preInstalledSw": "NA",
    "licenseModel": "No License required",
}
RDS_FILTERS = {"databaseEngine": "PostgreSQL", "deploymentOption": "Single-AZ"}

SOURCE = "aws-price-list"


def folder() -> Path:
    """The catalogue folder: $CAPCOST_PRICES, else data/prices in the source tree."""
    return Path(os.environ.get("CAPCOST_PRICES", str(DEFAULT_FOLDER)))

"""What the AWS Price List is asked for (where the catalogue lives: scenario.catalogue)."""

from __future__ import annotations

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

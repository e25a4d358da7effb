"""countyfiscal: read, tabulate, check and compare Chinese county departments' fiscal disclosures."""

__version__ = "0.1.0"

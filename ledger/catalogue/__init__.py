"""The catalogue: its file format, loading it, and reading it for pages."""

from ledger.catalogue.fileformat import CatalogueFile, parse_catalogue
from ledger.catalogue.load import LoadReport, load_catalogue

__all__ = ["CatalogueFile", "LoadReport", "load_catalogue", "parse_catalogue"]

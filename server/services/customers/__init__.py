"""Customers: the CRM's people, in three parts.

- `crud`: one customer read, created, changed or deleted; the lookups other features make
  (within a business by id, by phone, the caller or sender as a lead);
- `search`: the normalised search column and the fast paged, searched list;
- `csv_io`: CSV import (all rows or none) and the streamed export.

Callers import from the part; the names below are the package's public face.
"""
from server.services.customers.crud import (
    create_customer, customer_names, delete_customer, find_customer_by_phone, find_or_create_lead, get_customer,
    update_customer,
)
from server.services.customers.csv_io import export_customers_csv, import_customers_csv
from server.services.customers.search import build_search_text, iter_customer_rows, list_customers, search_terms

__all__ = [
    "build_search_text", "create_customer", "customer_names", "delete_customer", "export_customers_csv",
    "find_customer_by_phone", "find_or_create_lead", "get_customer", "import_customers_csv", "iter_customer_rows",
    "list_customers", "search_terms", "update_customer",
]

"""Response models, one module per feature: the single description of what the API answers.

Routes declare them (`@validate(response=...)`), the OpenAPI document is built from them, and
the SPA's types (src/types/api.generated.ts) are generated from that document. A model whose
fields map one to one onto a table's columns also builds that table's JSON
(`Model.dump(row)`); the others describe a dict a service assembles, and the test suite
checks every JSON answer against its route's model (server/validation.py).
"""

"""The business's knowledge base: entries and documents (entries.py, documents.py), their
Hebrew text and passages (text.py, extract.py), and retrieval (search.py)."""

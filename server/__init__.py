"""Kesher (קשר): Hebrew-first AI call center, CRM and WhatsApp for Israeli small businesses."""

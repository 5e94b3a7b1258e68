"""Privacy by design: a customer's data found everywhere it lives (scope), exported
(export), erased (erasure), and aged out per business (retention)."""

"""The MH lesson log and lesson compliance per class and month (notice §2)."""

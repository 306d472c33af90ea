"""MH education activities and family-education guidance (notice §2, §14)."""

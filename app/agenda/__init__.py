"""A program's common agenda: indicators with baselines, targets per period and actuals (computed or reported)."""

"""The "Billing" ribbon add-in: built from xlwings' BSD add-in template (see `addin.build`)."""

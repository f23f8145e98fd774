"""The "Billing" ribbon add-in: built from xlwings' BSD add-in template (see `addin.build`)."""

#: the add-in's file name: Excel knows a loaded add-in by it (`Workbooks("xlbilling.xlam")`)
ADDIN_FILE = "xlbilling.xlam"

"""The ribbon's entry points (xlwings RunPython): one function per button, each thin over
the same pipeline the `xlbilling` command runs. They arrive with the Excel layer (issue 8).
"""

"""The web portal (`xlbilling serve`): the archive of sealed workbooks in a browser.

An interfaces-layer package: it reads the store and the archive through `billing.sealing`
and asks `billing.access` who the user is and what their role may do.
"""

"""xlbilling's worksheet functions (xlwings UDFs), for the add-in to import as one module.

Every function is a thin wrapper over `billing/` (one conversion in, one out, see
`udfs.convert`), returns `#XLB: <reason>` instead of raising, and maps over ranges.
"""

from udfs.amounts import XLB_GROSS, XLB_LINE_NET, XLB_NET_FROM_GROSS, XLB_TAX
from udfs.dates import XLB_AGING_BUCKET, XLB_DAYS_PAST_DUE, XLB_DISCOUNT_DATE, XLB_DUE_DATE, XLB_EARLY_PAY_AMOUNT
from udfs.dunning import XLB_DUNNING_LEVEL, XLB_LATE_INTEREST
from udfs.identifiers import XLB_RF_REFERENCE, XLB_VALID_IBAN, XLB_VALID_VAT_ID
from udfs.registry import XLB_INVOICE_NO
from udfs.schedules import XLB_NEXT_BILLING_DATE, XLB_PRORATE
from udfs.tables import XLB_AGING, XLB_MATCH

__all__ = ["XLB_AGING", "XLB_AGING_BUCKET", "XLB_DAYS_PAST_DUE", "XLB_DISCOUNT_DATE", "XLB_DUE_DATE",
           "XLB_DUNNING_LEVEL", "XLB_EARLY_PAY_AMOUNT", "XLB_GROSS", "XLB_INVOICE_NO", "XLB_LATE_INTEREST",
           "XLB_LINE_NET", "XLB_MATCH", "XLB_NET_FROM_GROSS", "XLB_NEXT_BILLING_DATE", "XLB_PRORATE",
           "XLB_RF_REFERENCE", "XLB_TAX", "XLB_VALID_IBAN", "XLB_VALID_VAT_ID"]

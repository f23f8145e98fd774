"""The ribbon's buttons, in one place: the add-in's customUI is generated from this list,
and its single VBA callback passes the pressed button's id to `macros.run_button`."""

from __future__ import annotations

from typing import NamedTuple


class Button(NamedTuple):
    control_id: str  # the customUI id, passed to Python by the callback
    group: str
    label: str
    macro: str  # a function of `macros`
    image: str  # an Office built-in icon (imageMso)
    tip: str


TAB = "Billing"
GROUPS = ("Prepare", "Issue", "Reconcile", "Close", "Add-in")
BUTTONS = (
    Button("xlbValidate", "Prepare", "Validate", "validate", "AcceptInvitation",
           "Check every rule; findings on the Validation sheet"),
    Button("xlbCompute", "Prepare", "Compute", "compute", "CalculateNow",
           "Due dates, line and invoice totals, the tax summary"),
    Button("xlbNumber", "Prepare", "Number", "number_invoices", "NumberingGallery",
           "Give issued invoices their numbers from the registry"),
    Button("xlbIssue", "Issue", "Issue invoices", "issue_invoices", "FileSaveAsPdfOrXps",
           "Documents (PDF, e-invoices) of the selected Invoices rows, else of every invoice not issued yet; "
           "checked by the official rules, archived, listed on the Documents sheet (save first)"),
    Button("xlbBill", "Issue", "Bill period", "bill_period", "DateAndTimeInsert",
           "Draft invoices from Contracts and Usage for a month (asked), each contract period billed once; "
           "the BillingRun sheet written"),
    Button("xlbReminders", "Issue", "Reminders", "make_reminders", "EnvelopesAndLabelsDialog",
           "Reminder letters (PDF) with interest and fees for the overdue items as of a date; archived for Send; "
           "the Reminders sheet written (save first)"),
    Button("xlbSend", "Issue", "Send", "send_documents", "FileSendAsAttachment",
           "E-mail the issued invoices, reminders and statements not sent yet (the mail server from Settings "
           "smtp_host); never twice; listed on the Sent sheet (save first)"),
    Button("xlbImport", "Reconcile", "Import statement", "import_statement", "ImportTextFile",
           "Import CAMT.053, MT940 or CSV bank statements into Payments, then match"),
    Button("xlbMatch", "Reconcile", "Match", "match_payments", "ConditionalFormattingHighlightDuplicateValues",
           "Match payments to open invoices"),
    Button("xlbAging", "Reconcile", "Aging", "aging_report", "ChartTypeBarInsertGallery",
           "Open items by age, DSO and the dunning list"),
    Button("xlbClose", "Close", "Month-end close", "month_end_close", "CalendarMonthDetailsSplitButton",
           "Validate, compute, number, match, age, statements: every sheet, one run"),
    Button("xlbSeal", "Close", "Seal & archive", "seal_workbook", "Lock",
           "Seal the saved workbook with the organisation's key and archive it"),
    Button("xlbVerify", "Close", "Verify", "verify_seal", "ReviewProtectWorkbook",
           "Is this the workbook that was sealed? Lists every changed cell"),
    Button("xlbRefreshFunctions", "Add-in", "Refresh functions", "refresh_functions", "RefreshAll",
           "Import the XLB_ worksheet functions into the add-in again (after an upgrade; Windows)"),
)

"""Refusals of the finance services. Each carries a stable code; nothing has changed when one is raised."""

from django.utils.translation import gettext_lazy as _

from sunlit.core.errors import Conflict, ValidationFailed


class FinanceErrorCode:
    INPUT_INVALID = "finance_input_invalid"
    DUPLICATE = "finance_duplicate"
    CONTRACT_CLOSED = "finance_contract_closed"
    WRONG_VILLAGE = "finance_wrong_village"
    NOT_RENEWABLE = "finance_not_renewable"
    SCHEDULE_MISMATCH = "finance_schedule_mismatch"
    INSTALMENT_OVERPAID = "finance_instalment_overpaid"
    SIGNATURES_MISSING = "finance_signatures_missing"
    SEAL_MISSING = "finance_seal_missing"
    REIMBURSEMENT_CLOSED = "finance_reimbursement_closed"
    INSUFFICIENT_FUNDS = "finance_insufficient_funds"
    EXPLANATION_REQUIRED = "finance_explanation_required"
    MONTH_NOT_OVER = "finance_month_not_over"
    ALREADY_RECONCILED = "finance_already_reconciled"
    IMPORT_INVALID = "finance_import_invalid"


class FinanceRefused(ValidationFailed):
    default_code = "finance_refused"
    default_message = _("The finance record cannot be saved.")


class FinanceConflict(Conflict):
    default_code = FinanceErrorCode.DUPLICATE
    default_message = _("This record already exists.")

"""One error hierarchy, mapped once to HTTP (api/errors.py) and to the CLI (cli.py).

Codes are an append-only enum served at /api/v1/constants: once published, a
code's name and meaning never change (cf. HMPPS ErrorCode.kt). The published list is
tests/golden/error_codes.txt, and tests/test_error_codes.py fails if a code is removed,
renamed, given another value or moved: add a code at the end of ErrorCode and append
its line to that file in the same change.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from habeas.i18n import N_


class ErrorCode(StrEnum):
    """Stable error codes. Append only (tests/golden/error_codes.txt)."""

    VALIDATION_FAILED = "validation_failed"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    CSRF_FAILED = "csrf_failed"
    TOKEN_EXPIRED = "token_expired"  # noqa: S105
    TOKEN_REVOKED = "token_revoked"  # noqa: S105
    INVALID_CREDENTIALS = "invalid_credentials"
    DUPLICATE_USER = "duplicate_user"
    UNKNOWN_PROFILE = "unknown_profile"
    INVALID_AGREEMENT = "invalid_agreement"
    DATABASE_UNAVAILABLE = "database_unavailable"
    SCHEMA_OUT_OF_DATE = "schema_out_of_date"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    INVALID_EVENT = "invalid_event"
    REPLAY_MISMATCH = "replay_mismatch"
    INTERNAL_ERROR = "internal_error"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    LOG_KEY_MISSING = "log_key_missing"
    INCONSISTENT_CHECKPOINT = "inconsistent_checkpoint"
    QUOTA_EXHAUSTED = "quota_exhausted"
    NO_SPACE_AT_RECEIVING_FACILITY = "no_space_at_receiving_facility"
    NOT_ELIGIBLE = "not_eligible"
    ALREADY_DECIDED = "already_decided"
    NOTICE_LANGUAGE = "notice_language"
    # Facility rules (numbered FAC-nnn in habeas.facilities.rules).
    WORKING_ABOVE_MAX = "working_above_max"
    MAX_BELOW_OCCUPANCY = "max_below_occupancy"
    OCCUPIED_CELL_DEACTIVATED = "occupied_cell_deactivated"
    AREA_NOT_POSITIVE = "area_not_positive"
    SIGNED_CAPACITY_NEEDS_APPROVAL = "signed_capacity_needs_approval"
    SAME_PERSON_APPROVAL = "same_person_approval"
    # Separation rules (numbered SEP-nnn in habeas.facilities.rules).
    SEPARATION_VIOLATION = "separation_violation"
    # Transfers and custody.
    INVALID_TRANSITION = "invalid_transition"
    MANIFEST_NOT_APPROVED = "manifest_not_approved"
    NOT_ON_MANIFEST = "not_on_manifest"
    NOT_ACCEPTED = "not_accepted"
    RETURN_REQUIRED = "return_required"
    IDENTITY_MISMATCH = "identity_mismatch"
    INTAKE_REQUIRED = "intake_required"
    # Oversight: findings and grievances.
    ALREADY_RESPONDED = "already_responded"
    ALREADY_CLOSED = "already_closed"
    GRIEVANCE_NOT_ANSWERED = "grievance_not_answered"
    GRIEVANCE_ANSWERED_BY_CONCERNED_STAFF = "grievance_answered_by_concerned_staff"
    GRIEVANCE_CLOSED_BY_CONCERNED_STAFF = "grievance_closed_by_concerned_staff"
    ILL_TREATMENT_CLOSED_BY_MONITOR_ONLY = "ill_treatment_closed_by_monitor_only"
    # Billing: invoices, credit notes, payments, disputes.
    ALREADY_INVOICED = "already_invoiced"
    NOT_DISPUTABLE = "not_disputable"
    DISPUTE_DECIDED = "dispute_decided"
    # Public locator.
    RATE_LIMITED = "rate_limited"
    # Notifications and subscriptions.
    SUBSCRIPTION_REVOKED = "subscription_revoked"
    CONFIRMATION_EXPIRED = "confirmation_expired"
    # Trust between the parties (DESIGN.md §12): authority and time.
    WRONG_PARTY = "wrong_party"
    # Counsel of record and court orders (DESIGN.md §12.1).
    NOT_COUNSEL_OF_RECORD = "not_counsel_of_record"
    ALREADY_OF_RECORD = "already_of_record"
    LIFT_NOT_ALLOWED = "lift_not_allowed"
    LIFT_BEFORE_ISSUE = "lift_before_issue"
    LIFT_IN_FUTURE = "lift_in_future"
    # Scope and request edges (issue 17).
    DUPLICATE_PERSON = "duplicate_person"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    OCCURRED_IN_FUTURE = "occurred_in_future"
    LATE_REASON_REQUIRED = "late_reason_required"
    OUT_OF_ORDER = "out_of_order"


# Translated where shown (habeas.web.common.explain).
ERROR_DESCRIPTIONS: dict[ErrorCode, str] = {
    ErrorCode.VALIDATION_FAILED: N_("a field is missing or malformed; details name it"),
    ErrorCode.NOT_FOUND: N_("no such record, or not one you may see"),
    ErrorCode.CONFLICT: N_("the request contradicts a record that already exists"),
    ErrorCode.UNAUTHENTICATED: N_("log in or send a valid API token"),
    ErrorCode.FORBIDDEN: N_("your role may not do this"),
    ErrorCode.CSRF_FAILED: N_("the form's CSRF token is missing or wrong; reload the page"),
    ErrorCode.TOKEN_EXPIRED: N_("the API token has expired"),
    ErrorCode.TOKEN_REVOKED: N_("the API token was revoked"),
    ErrorCode.INVALID_CREDENTIALS: N_("wrong user name or password"),
    ErrorCode.DUPLICATE_USER: N_("a user with that name exists"),
    ErrorCode.UNKNOWN_PROFILE: N_("no shipped rule profile has that name"),
    ErrorCode.INVALID_AGREEMENT: N_("the agreement file is malformed; details name the key"),
    ErrorCode.DATABASE_UNAVAILABLE: N_("the database cannot be reached"),
    ErrorCode.SCHEMA_OUT_OF_DATE: N_("the database schema is missing or old; run `habeas init`"),
    ErrorCode.UNKNOWN_EVENT_TYPE: N_("no such event type"),
    ErrorCode.INVALID_EVENT: N_("the event envelope or payload is malformed"),
    ErrorCode.REPLAY_MISMATCH: N_("replaying the events did not rebuild the current state"),
    ErrorCode.INTERNAL_ERROR: N_("an unexpected fault; it has been logged"),
    ErrorCode.METHOD_NOT_ALLOWED: N_("this address does not accept that HTTP method"),
    ErrorCode.LOG_KEY_MISSING:
        N_("the ledger's signing key is missing or unreadable (habeas init)"),
    ErrorCode.INCONSISTENT_CHECKPOINT:
        N_("the log would sign a checkpoint inconsistent with its last"),
    ErrorCode.QUOTA_EXHAUSTED: N_("the agreement's person cap is reached"),
    ErrorCode.NO_SPACE_AT_RECEIVING_FACILITY: N_("the facility has no forecast free place"),
    ErrorCode.NOT_ELIGIBLE: N_("only an eligible nomination can be accepted"),
    ErrorCode.ALREADY_DECIDED: N_("the nomination was already accepted or rejected"),
    ErrorCode.NOTICE_LANGUAGE: N_("notice must be written in the person's language"),
    ErrorCode.WORKING_ABOVE_MAX: N_("FAC-001: a cell's working capacity exceeds its max capacity"),
    ErrorCode.MAX_BELOW_OCCUPANCY: N_("FAC-002: a cell's max capacity is below its occupancy"),
    ErrorCode.OCCUPIED_CELL_DEACTIVATED: N_("FAC-003: a cell with people cannot be deactivated"),
    ErrorCode.AREA_NOT_POSITIVE: N_("FAC-004: a cell's floor area must be more than 0 m²"),
    ErrorCode.SIGNED_CAPACITY_NEEDS_APPROVAL:
        N_("FAC-005: signed capacity changes only through a recorded approval"),
    ErrorCode.SAME_PERSON_APPROVAL:
        N_("FAC-006: a capacity change needs a second person to approve"),
    ErrorCode.SEPARATION_VIOLATION:
        N_("a placement breaks a separation rule (SEP-001…SEP-007); details name it"),
    ErrorCode.INVALID_TRANSITION: N_("the manifest cannot go to that state from where it is"),
    ErrorCode.MANIFEST_NOT_APPROVED: N_("only an approved manifest can depart"),
    ErrorCode.NOT_ON_MANIFEST: N_("the person is not on that manifest (or was taken off it)"),
    ErrorCode.NOT_ACCEPTED: N_("only an accepted nomination can be put on a manifest"),
    ErrorCode.RETURN_REQUIRED: N_("a court order requires the person's return; no handover"),
    ErrorCode.IDENTITY_MISMATCH: N_("the biometric reference does not match the person presented"),
    ErrorCode.INTAKE_REQUIRED: N_("the person must be taken in (intake) before being housed"),
    ErrorCode.ALREADY_RESPONDED: N_("the finding or grievance has already been answered"),
    ErrorCode.ALREADY_CLOSED: N_("the grievance is closed; it takes no further answer or closing"),
    ErrorCode.GRIEVANCE_NOT_ANSWERED:
        N_("a grievance is answered before it is closed (Mandela Rule 57(1))"),
    ErrorCode.GRIEVANCE_ANSWERED_BY_CONCERNED_STAFF:
        N_("staff a grievance names may not answer it (Mandela Rule 57(2))"),
    ErrorCode.GRIEVANCE_CLOSED_BY_CONCERNED_STAFF:
        N_("staff a grievance names may not close it (Mandela Rule 57(2))"),
    ErrorCode.ILL_TREATMENT_CLOSED_BY_MONITOR_ONLY:
        N_("an allegation of ill-treatment is closed only by a monitor (Mandela Rule 57(3))"),
    ErrorCode.ALREADY_INVOICED:
        N_("the period is already invoiced; issued invoices are corrected by credit notes"),
    ErrorCode.NOT_DISPUTABLE:
        N_("only an open invoice line is disputed (not a credit-note line, nor one twice)"),
    ErrorCode.DISPUTE_DECIDED: N_("the dispute has already been decided"),
    ErrorCode.RATE_LIMITED:
        N_("too many searches from this address; retry after Retry-After seconds"),
    ErrorCode.SUBSCRIPTION_REVOKED: N_("the subscription was revoked; subscribe again to restart"),
    ErrorCode.CONFIRMATION_EXPIRED:
        N_("the confirmation code is too old; subscribe again for a new one"),
    ErrorCode.WRONG_PARTY:
        N_("the act belongs to the other state of the agreement"),
    ErrorCode.NOT_COUNSEL_OF_RECORD:
        N_("only counsel of record for the person, or class counsel in the case, may do this"),
    ErrorCode.ALREADY_OF_RECORD:
        N_("you are already counsel of record for this person"),
    ErrorCode.LIFT_NOT_ALLOWED:
        N_("only whoever registered the order or the sending state may lift it"),
    ErrorCode.LIFT_BEFORE_ISSUE: N_("a lift cannot be dated before its order was issued"),
    ErrorCode.LIFT_IN_FUTURE: N_("a lift cannot be dated in the future"),
    ErrorCode.DUPLICATE_PERSON:
        N_("the same person is already accepted, in transit or in custody under another "
           "nomination"),
    ErrorCode.PAYLOAD_TOO_LARGE: N_("the request body is larger than the server accepts"),
    ErrorCode.OCCURRED_IN_FUTURE:
        N_("the act's claimed time lies after the time it is recorded; details name the field"),
    ErrorCode.LATE_REASON_REQUIRED:
        N_("the act is recorded past its late window; say why in late_reason"),
    ErrorCode.OUT_OF_ORDER:
        N_("the act's time comes before a step of the custody story it follows"),
}


class DomainError(Exception):
    """DomainError is a failure a user can act on: a code, an HTTP status, a message."""

    status: int = 400
    code: ErrorCode = ErrorCode.VALIDATION_FAILED

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}


class ValidationFailed(DomainError):
    status = 422
    code = ErrorCode.VALIDATION_FAILED


class NotFound(DomainError):
    status = 404
    code = ErrorCode.NOT_FOUND


class Conflict(DomainError):
    status = 409
    code = ErrorCode.CONFLICT


class Unauthenticated(DomainError):
    status = 401
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(DomainError):
    status = 403
    code = ErrorCode.FORBIDDEN


class Unavailable(DomainError):
    status = 503
    code = ErrorCode.DATABASE_UNAVAILABLE


def field_error(field: str, problem: str, code: ErrorCode | None = None) -> ValidationFailed:
    """field_error builds the usual 'FIELD: problem' validation error."""
    return ValidationFailed(
        f"{field}: {problem}", code=code, details={"field": field, "problem": problem}
    )

"""Who may do what: the one place permissions are decided (DESIGN.md §2).

Every API route and page declares one action; `allowed` decides it from the
role alone. Object-level scope (a `sending` user sees only its own party's
people) is applied by the services that load those objects.
"""

from __future__ import annotations

from enum import StrEnum

from habeas.auth.models import Role


class Action(StrEnum):
    """Action names what a route does, in the domain's words."""

    VIEW_HOME = "home.view"
    READ_AGREEMENTS = "agreements.read"
    READ_FACILITIES = "facilities.read"
    READ_EVENTS = "events.read"
    MANAGE_OWN_TOKENS = "tokens.manage_own"
    READ_USERS = "users.read"
    MANAGE_USERS = "users.manage"
    NOMINATE = "nominations.create"
    READ_NOMINATIONS = "nominations.read"
    SERVE_NOTICE = "nominations.serve_notice"
    DECIDE_NOMINATIONS = "nominations.decide"
    REGISTER_HOLDS = "holds.register"
    READ_HOLDS = "holds.read"
    WITNESS = "ledger.witness"
    SIGN_CHECKPOINT = "ledger.sign_checkpoint"
    MANAGE_FACILITIES = "facilities.manage"
    REQUEST_CAPACITY_CHANGE = "facilities.request_capacity_change"
    DECIDE_CAPACITY_CHANGE = "facilities.decide_capacity_change"
    IMPORT_POPULATION = "custody.import_population"
    READ_CUSTODY = "custody.read"
    RECORD_INTAKE = "custody.intake"
    HOUSE = "housing.place"
    MANAGE_SEPARATION = "housing.separation"
    READ_TRANSFERS = "transfers.read"
    PLAN_TRANSFERS = "transfers.plan"
    APPROVE_TRANSFERS = "transfers.approve"
    DEPART_TRANSFERS = "transfers.depart"
    RECEIVE_TRANSFERS = "transfers.receive"
    READ_ALERTS = "alerts.read"
    COMPUTE_SENTENCES = "sentences.compute"
    READ_OVERSIGHT = "oversight.read"
    RECORD_INSPECTIONS = "oversight.inspect"
    RESPOND_FINDINGS = "oversight.respond"
    FILE_GRIEVANCES = "grievances.file"
    HANDLE_GRIEVANCES = "grievances.handle"
    RECORD_CUSTODY_EVENTS = "custody.record"
    RELEASE = "custody.release"
    RENEW_TERMS = "agreements.renew"
    SCHEDULE_FEES = "agreements.fees"
    DECLARE_ERRONEOUS = "custody.erroneous"
    READ_INTEGRITY = "integrity.read"
    RECORD_INTEGRITY = "integrity.record"
    READ_BILLING = "billing.read"
    ISSUE_INVOICES = "billing.issue"
    RECORD_PAYMENTS = "billing.pay"
    RECORD_CHARGES = "billing.charge"
    DISPUTE_INVOICES = "billing.dispute"
    DECIDE_DISPUTES = "billing.decide_dispute"
    READ_NOTIFICATIONS = "notifications.read"
    RETRY_NOTIFICATIONS = "notifications.retry"
    SEARCH = "search.run"
    # Counsel of record (DESIGN.md §12.1): file an appearance, withdraw it, list them.
    APPEAR_AS_COUNSEL = "counsel.appear"
    READ_APPEARANCES = "counsel.read_appearances"
    # One person's file. Unlike READ_CUSTODY (lists, cells, populations) counsel may open
    # it, only for a client of record (habeas.counsel.service.require_client).
    READ_PERSON_FILE = "people.read_file"
    HAND_OVER = "transfers.hand_over"
    DECIDE_AGREEMENT_CHANGES = "agreements.decide_change"


STAFF = frozenset(Role)

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW_HOME: STAFF,
    Action.READ_AGREEMENTS: STAFF,
    Action.READ_FACILITIES: STAFF,
    # Envelopes carry no personal data (DESIGN.md §6): every staff role may read them.
    Action.READ_EVENTS: STAFF,
    Action.MANAGE_OWN_TOKENS: STAFF,
    Action.READ_USERS: frozenset({Role.ADMIN}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.NOMINATE: frozenset({Role.SENDING}),
    # A sending user sees only its own party's people (enforced by the service).
    Action.READ_NOMINATIONS: frozenset({Role.ADMIN, Role.SENDING, Role.RECEIVING, Role.MONITOR}),
    Action.SERVE_NOTICE: frozenset({Role.SENDING}),
    Action.DECIDE_NOMINATIONS: frozenset({Role.RECEIVING}),
    # The sending state's officers, or counsel of record for the person (class counsel
    # naming the case); never the receiving state (DESIGN.md §12.1). Who registered an
    # order, or the sending state, lifts it: checked in habeas.holds.service.
    Action.REGISTER_HOLDS: frozenset({Role.COUNSEL, Role.SENDING}),
    Action.READ_HOLDS: STAFF,
    # The other state and the monitors verify and cosign (DESIGN.md §2, §6).
    Action.WITNESS: frozenset({Role.SENDING, Role.MONITOR}),
    Action.SIGN_CHECKPOINT: frozenset({Role.ADMIN}),
    Action.MANAGE_FACILITIES: frozenset({Role.ADMIN}),
    # Two people change the signed capacity: the prison asks, the operator decides.
    Action.REQUEST_CAPACITY_CHANGE: frozenset({Role.ADMIN, Role.RECEIVING}),
    Action.DECIDE_CAPACITY_CHANGE: frozenset({Role.ADMIN}),
    Action.IMPORT_POPULATION: frozenset({Role.RECEIVING}),
    # People's files: those whose duties require them (Mandela Rule 9); a sending user
    # sees only the people in its legal custody (enforced by the service).
    Action.READ_CUSTODY: frozenset({Role.SENDING, Role.RECEIVING, Role.MONITOR}),
    Action.RECORD_INTAKE: frozenset({Role.RECEIVING}),
    # Admin may house too, only to record an override of a separation rule with a reason.
    Action.HOUSE: frozenset({Role.ADMIN, Role.RECEIVING}),
    Action.MANAGE_SEPARATION: frozenset({Role.RECEIVING}),
    Action.READ_TRANSFERS: frozenset({Role.SENDING, Role.RECEIVING, Role.MONITOR}),
    # The receiving state plans; the sending state, whose people move, approves and flies
    # them; the receiving state records arrival and the person-by-person handover.
    Action.PLAN_TRANSFERS: frozenset({Role.RECEIVING}),
    Action.APPROVE_TRANSFERS: frozenset({Role.SENDING}),
    Action.DEPART_TRANSFERS: frozenset({Role.SENDING}),
    Action.RECEIVE_TRANSFERS: frozenset({Role.RECEIVING}),
    # A handover is two acts, each state's own (DESIGN.md §12.1): the sending state's officer
    # hands, the facility's takes; the service tells which part a user's state records.
    Action.HAND_OVER: frozenset({Role.SENDING, Role.RECEIVING}),
    Action.READ_ALERTS: frozenset({Role.ADMIN, Role.SENDING, Role.RECEIVING, Role.MONITOR}),
    # A calculation over the body sent; nothing is read or stored.
    Action.COMPUTE_SENTENCES: STAFF,
    Action.READ_OVERSIGHT: frozenset({Role.SENDING, Role.RECEIVING, Role.MONITOR}),
    Action.RECORD_INSPECTIONS: frozenset({Role.MONITOR}),
    Action.RESPOND_FINDINGS: frozenset({Role.RECEIVING}),
    # Staff file for a detained person; counsel for a client of record only (checked in
    # habeas.oversight.service); monitors for anyone.
    Action.FILE_GRIEVANCES: frozenset({Role.RECEIVING, Role.COUNSEL, Role.MONITOR}),
    Action.HANDLE_GRIEVANCES: frozenset({Role.RECEIVING, Role.MONITOR}),
    Action.RECORD_CUSTODY_EVENTS: frozenset({Role.RECEIVING}),
    # Release is repatriation: the receiving state hands back, the sending state receipts.
    Action.RELEASE: frozenset({Role.SENDING, Role.RECEIVING}),
    Action.RENEW_TERMS: frozenset({Role.SENDING, Role.RECEIVING}),
    # A new fee version is an amendment of the agreement: either state records it.
    Action.SCHEDULE_FEES: frozenset({Role.SENDING, Role.RECEIVING}),
    # Either state proposes a change of the agreement; the other accepts or rejects it and
    # the proposer may withdraw it (DESIGN.md §12.1; who may which is the service's).
    Action.DECIDE_AGREEMENT_CHANGES: frozenset({Role.SENDING, Role.RECEIVING}),
    # Only the sending state can say it should never have sent someone (Abrego Garcia).
    Action.DECLARE_ERRONEOUS: frozenset({Role.SENDING}),
    # The report names people: the states and the monitors see it (DESIGN.md §9).
    Action.READ_INTEGRITY: frozenset({Role.ADMIN, Role.SENDING, Role.RECEIVING, Role.MONITOR}),
    Action.RECORD_INTEGRITY: frozenset({Role.ADMIN, Role.MONITOR}),
    # The receiving state bills the sending state, which pays and may dispute a line
    # (DESIGN.md §8); monitors read the invoices.
    Action.READ_BILLING: frozenset({Role.SENDING, Role.RECEIVING, Role.MONITOR}),
    Action.ISSUE_INVOICES: frozenset({Role.RECEIVING}),
    Action.RECORD_PAYMENTS: frozenset({Role.SENDING, Role.RECEIVING}),
    Action.DISPUTE_INVOICES: frozenset({Role.SENDING}),
    Action.DECIDE_DISPUTES: frozenset({Role.RECEIVING}),
    # The facility records what it spent on a person's care or return (pass-through).
    Action.RECORD_CHARGES: frozenset({Role.RECEIVING}),
    # The outbox and its dead letters: the prison that owes the notifications, the operator
    # who runs the mail, and the monitors who check they went (Mandela Rules 68-69).
    Action.READ_NOTIFICATIONS: frozenset({Role.ADMIN, Role.RECEIVING, Role.MONITOR}),
    Action.RETRY_NOTIFICATIONS: frozenset({Role.ADMIN, Role.RECEIVING}),
    # One box for every staff role; what each finds is limited by the read actions above and
    # by its scope (habeas.search.service).
    Action.SEARCH: STAFF,
    Action.APPEAR_AS_COUNSEL: frozenset({Role.COUNSEL}),
    # Counsel lists its own appearances; monitors and the operator every one.
    Action.READ_APPEARANCES: frozenset({Role.ADMIN, Role.COUNSEL, Role.MONITOR}),
    # The parties of the person's agreement (scoped by the service), monitors, and counsel
    # of record for that person only (DESIGN.md §12.1 last row).
    Action.READ_PERSON_FILE: frozenset({Role.SENDING, Role.RECEIVING, Role.MONITOR,
                                        Role.COUNSEL}),
}


def allowed(role: Role, action: Action) -> bool:
    """allowed says whether ROLE may perform ACTION."""
    return role in PERMISSIONS[action]

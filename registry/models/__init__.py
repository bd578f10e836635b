"""The registry's domain: places, agreements, networks, activity, history."""

from .activity import ActivityLog, Direction
from .agreements import (
    AgreementKind,
    AgreementSource,
    AgreementStatus,
    AgreementStatusChange,
    DatePrecision,
    ExchangeCategory,
    TwinningAgreement,
)
from .history import ChangeAction, ChangeRecord
from .imports import ImportedValues
from .networks import MembershipRole, Network, NetworkMemberCount, NetworkMembership, NetworkScale
from .places import FOREIGN_TIERS, JAPAN_TIERS, Municipality, StaffAssignment, Tier, tiers_of
from .workspace import ReminderReason, ReminderSent, StaffProfile

__all__ = [
    "FOREIGN_TIERS",
    "JAPAN_TIERS",
    "ActivityLog",
    "AgreementKind",
    "AgreementSource",
    "AgreementStatus",
    "AgreementStatusChange",
    "ChangeAction",
    "ChangeRecord",
    "DatePrecision",
    "Direction",
    "ExchangeCategory",
    "ImportedValues",
    "MembershipRole",
    "Municipality",
    "Network",
    "NetworkMemberCount",
    "NetworkMembership",
    "NetworkScale",
    "ReminderReason",
    "ReminderSent",
    "StaffAssignment",
    "StaffProfile",
    "Tier",
    "TwinningAgreement",
    "tiers_of",
]

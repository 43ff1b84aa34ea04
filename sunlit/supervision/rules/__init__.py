"""The registered rules. Importing this package registers every rule module below."""

from . import conflict, eligibility, money, procedure, seals, time  # noqa: F401
from .base import REGISTRY, Finding, ParamSpec, Rule, RuleContext, register  # noqa: F401

"""Acceptance scenarios of the government purchase of services process (features/purchase.feature)."""

from pytest_bdd import scenarios

from tests.acceptance.steps.common import *  # noqa: F403
from tests.acceptance.steps.purchase import *  # noqa: F403

scenarios("purchase.feature")

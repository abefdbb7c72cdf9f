"""Acceptance scenarios of 社区社会组织成立登记与备案 (domain.md §4.7)."""

from pytest_bdd import scenarios

from tests.acceptance.steps.common import *  # noqa: F403
from tests.acceptance.steps.registration import *  # noqa: F403

scenarios("registration.feature", features_base_dir="features")

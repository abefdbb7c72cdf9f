"""Acceptance scenarios of the mediation (矛盾调处) and petition (信访) processes."""

from pytest_bdd import scenarios

from tests.acceptance.steps.common import *  # noqa: F403
from tests.acceptance.steps.mediation import *  # noqa: F403

scenarios("mediation.feature", features_base_dir="features")

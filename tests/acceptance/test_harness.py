"""The shared acceptance steps checked against a small test process."""

from pytest_bdd import scenarios

from tests.acceptance.steps.common import *  # noqa: F403

scenarios("harness/harness.feature", features_base_dir="tests/acceptance")
